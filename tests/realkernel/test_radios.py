"""mac80211_hwsim radios created and destroyed at run time over generic netlink."""

from __future__ import annotations

import pytest
from support.realkernel import Vm, wifi

pytestmark = pytest.mark.realkernel

NAME = "vmradio"

SCRIPT = f"""
snapshot() {{  # phys, hwsim's own radio list, the interfaces
  ls /sys/class/ieee80211 > $RESULTS/phys_$1.txt
  {wifi.hwsimctl("list")} > $RESULTS/radios_$1.txt
  ls /sys/class/net > $RESULTS/netdevs_$1.txt
}}
iface_of() {{
  for d in /sys/class/net/*; do
    [ "$(cat $d/phy80211/name 2>/dev/null)" = "$1" ] && basename $d
  done
}}
snapshot before
{wifi.start_ap()}
{wifi.hwsimctl("new", NAME)} > $RESULTS/new_id.txt
snapshot added
iface=$(iface_of {NAME})
echo $iface > $RESULTS/iface.txt
ip link set $iface up
# `iw scan` waits for the end of the scan, and on a loaded TCG machine that wait
# once outlasted the job (the whole 150 s): trigger a scan instead (again each
# round, a busy or missed one is retried) and read the BSS table, which the
# AP's probe responses fill while the scan runs.
heard() {{
  iw dev $iface scan trigger freq 2412 >/dev/null 2>&1
  for i in 1 2 3 4 5 6 7 8 9 10; do
    iw dev $iface scan dump > $RESULTS/scan.txt 2>&1
    grep -q 'SSID: {wifi.SSID}' $RESULTS/scan.txt && return 0
    sleep 0.3
  done
  return 1
}}
wait_for 60 heard || true
{wifi.hwsimctl("del", NAME)}
snapshot removed
"""


def test_radio_added_and_removed_at_run_time(vm: Vm) -> None:
    r = vm.run(SCRIPT, radios=1, timeout_s=150).check()

    def lines(name: str) -> list[str]:
        return r.text(name).split()

    new_id = int(r.text("new_id.txt"))
    assert new_id == 1  # radio 0 came with the module
    assert lines("phys_before.txt") == ["phy0"]
    assert sorted(lines("phys_added.txt")) == ["phy0", NAME]
    assert lines("phys_removed.txt") == ["phy0"]
    # GET_RADIO's dump, decoded by the project's codec: "id name" per radio.
    assert r.text("radios_before.txt").splitlines() == ["0 phy0"]
    assert r.text("radios_added.txt").splitlines() == ["0 phy0", f"{new_id} {NAME}"]
    assert r.text("radios_removed.txt").splitlines() == ["0 phy0"]
    # The new radio got an interface that works: its scan hears the AP on radio 0.
    iface = r.text("iface.txt").strip()
    assert iface and iface in lines("netdevs_added.txt") and iface not in lines("netdevs_removed.txt")
    assert f"SSID: {wifi.SSID}" in r.text("scan.txt")
