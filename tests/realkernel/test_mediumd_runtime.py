"""hwsim-mediumd on the real kernel while it runs: radios named by their permanent
addresses, wmediumd's run-time control API, the daemon killed, and `--netns`.

One boot carries a whole story (each test reads its chapter from the module's
result): the config names the radios by their permanent addresses (42:...,
wmediumd's own style; the 02:... style is test_mediumd.py's); the stations
associate and ping through the daemon; the control API sets the link's SNR
far below the noise (pings fail) and back (they work again); then the daemon
is killed with SIGKILL: the kernel falls back to its perfect medium and
pings work on, nothing hangs.  A second boot serves the radios of another
network namespace with `--netns`.
"""

from __future__ import annotations

import shlex

import pytest
from support.realkernel import Vm, VmResult, mediumd, wifi
from support.realkernel.initramfs import RESULTS_DIR

from .helpers import ap_station_flags, keyvals, ping_received, sta_addr

pytestmark = pytest.mark.realkernel

SNR_DB = 37
AP_HW, STA_HW = "42:00:00:00:00:00", "42:00:00:00:01:00"  # the radios' permanent addresses
PERM_CONFIG = (f'ifaces : {{ ids = [ "{AP_HW}", "{STA_HW}" ]; }};\n'
               f'model : {{ type = "snr"; default_snr = {SNR_DB}; }};\n')
CONTROL = "/run/wmediumd.sock"

# wmediumd's SNR request (REFERENCE section 10): [1][from][to][i32 snr], big-endian; the
# answer echoes it after its type (2) and ends with the result (0: success).
SNR_CLIENT = r"""
import socket, struct, sys
a, b = (bytes.fromhex(x.replace(":", "")) for x in sys.argv[1:3])
snr = int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[4])
results = []
for src, dst in ((a, b), (b, a)):
    req = bytes([1]) + src + dst + struct.pack(">i", snr)
    s.sendall(req)
    ans = b""
    while len(ans) < 19:
        ans += s.recv(64)
    results.append(ans[0] == 2 and ans[1:18] == req and ans[18] == 0)
print("ok" if all(results) else f"refused {results}")
"""


def _snr(snr: int, name: str) -> str:
    return (f"/usr/bin/python3 -c {shlex.quote(SNR_CLIENT)} {AP_HW} {STA_HW} {snr} {CONTROL} "
            f"> {RESULTS_DIR}/{name} 2>&1 || true\n")


def _story() -> str:
    wpa = "ip netns exec sta1 wpa_cli -p /run/wpa_supplicant -i wlan1"
    associated = f"{wpa} status | grep -q wpa_state=COMPLETED"
    return (mediumd.start(PERM_CONFIG, [*(mediumd.kernel_mode_args() or []), "--control", CONTROL])
            + wifi.association(None) + f"""
{_snr(-20, "snr_low.txt")}
{wifi.ping(1, count=5, name="ping_low.txt")}
{_snr(SNR_DB, "snr_back.txt")}
wait_for 60 sh -c {shlex.quote(associated)} || true
{wifi.ping(1, count=10, name="ping_back.txt")}
# The medium dies without a word: the kernel notices its socket closing.
kill -KILL $(cat /run/mediumd.pid)
wait $(cat /run/mediumd.pid) || true
wait_for 60 sh -c {shlex.quote(associated)} || true
{wifi.ping(1, count=5, name="ping_killed.txt")}
{wifi.ap_stations().replace("ap_stations.txt", "ap_stations_killed.txt")}
dmesg > {RESULTS_DIR}/dmesg.txt
""")


def _netns_story() -> str:
    """Two radios created from inside namespace medns belong to its medium (mac80211_hwsim's
    netgroup follows the creating namespace, not the phy's); the daemon serves them from outside."""
    ns = "ip netns exec medns"
    wpa = "ip netns exec sta1 wpa_cli -p /run/wpa_supplicant -i wlan1"
    config = ('ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00" ]; };\n'
              f'model : {{ type = "snr"; default_snr = {SNR_DB - 7}; }};\n')
    kernel = " ".join(mediumd.kernel_mode_args() or [])
    return f"""
ip netns add medns
{ns} ip link set lo up
{ns} {wifi.hwsimctl("new", "apphy")} > {RESULTS_DIR}/ap_id.txt
{ns} {wifi.hwsimctl("new", "staphy")} > {RESULTS_DIR}/sta_id.txt
cat > /run/medium.cfg <<'CONF'
{config}CONF
{mediumd.MEDIUMD} {kernel} --netns medns -c /run/medium.cfg > {RESULTS_DIR}/mediumd.log 2>&1 &
echo $! > /run/mediumd.pid
wait_for {mediumd.REGISTER_TIMEOUT_S} grep -qi registered {RESULTS_DIR}/mediumd.log
cat > /run/ap.conf <<'CONF'
{wifi.hostapd_conf(iface="wlan0")}CONF
{ns} hostapd -B -t -P /run/hostapd.pid -f {RESULTS_DIR}/hostapd.log /run/ap.conf
wait_for 30 sh -c '{ns} hostapd_cli -p /run/hostapd -i wlan0 status | grep -q state=ENABLED'
{ns} ip addr add {wifi.AP_IP}/24 dev wlan0
cat > /run/sta1.conf <<'CONF'
{wifi.wpa_conf()}CONF
ip netns add sta1
{ns} iw phy staphy set netns name sta1
ip -n sta1 link set lo up
ip -n sta1 addr add {wifi.sta_ip(1)}/24 dev wlan1
ip netns exec sta1 wpa_supplicant -B -t -i wlan1 -c /run/sta1.conf -P /run/wpa1.pid \\
  -f {RESULTS_DIR}/wpa_supplicant1.log
wait_for 90 sh -c '{wpa} status | grep -q wpa_state=COMPLETED' || true
{wpa} status > {RESULTS_DIR}/status_1.txt
{wifi.ping(1)}
{ns} hostapd_cli -p /run/hostapd -i wlan0 all_sta > {RESULTS_DIR}/ap_stations.txt
{mediumd.stop()}
"""


@pytest.fixture(scope="module")
def story(vm: Vm) -> VmResult:
    return vm.run(_story(), radios=2, timeout_s=420).check()


def test_radios_named_by_their_permanent_addresses_associate_through_the_daemon(story: VmResult) -> None:
    assert keyvals(story.text("status_1.txt"))["wpa_state"] == "COMPLETED", story.report()
    assert ping_received(story.text("ping_1.txt")) == (5, 5)
    # the link the config gave the two 42:... stations, not the default (there is none) or the kernel's -30
    signal = int(keyvals(story.text("ap_stations.txt"))["signal"])
    assert abs(signal - (mediumd.NOISE_DBM + SNR_DB)) <= 1, story.text("mediumd.log")


def test_the_control_api_cuts_the_link_and_restores_it(story: VmResult) -> None:
    assert story.text("snr_low.txt").strip() == "ok" and story.text("snr_back.txt").strip() == "ok"
    sent, received = ping_received(story.text("ping_low.txt"))
    assert sent == 5 and received == 0, story.text("ping_low.txt")
    sent, received = ping_received(story.text("ping_back.txt"))
    assert received > 0, story.text("ping_back.txt")


def test_a_killed_daemon_leaves_the_kernel_on_its_perfect_medium(story: VmResult) -> None:
    assert "perfect" in story.text("dmesg.txt").lower() and "wmediumd" in story.text("dmesg.txt")
    sent, received = ping_received(story.text("ping_killed.txt"))
    assert received == sent == 5, story.text("ping_killed.txt")
    # the perfect medium's signal: rx_rssi -50 + the sender's 20 dBm
    flags = ap_station_flags(story.text("ap_stations_killed.txt"))
    assert "[AUTHORIZED]" in flags[sta_addr(1)]
    assert int(keyvals(story.text("ap_stations_killed.txt"))["signal"]) == -30


def test_radios_of_another_namespace_are_served_with_netns(vm: Vm) -> None:
    r = vm.run(_netns_story(), radios=0, timeout_s=420).check()
    assert (r.text("ap_id.txt").strip(), r.text("sta_id.txt").strip()) == ("0", "1")
    assert "2 radios" in r.text("mediumd.log"), r.text("mediumd.log")
    assert keyvals(r.text("status_1.txt"))["wpa_state"] == "COMPLETED", r.report()
    assert ping_received(r.text("ping_1.txt")) == (5, 5)
    signal = int(keyvals(r.text("ap_stations.txt"))["signal"])
    assert abs(signal - (mediumd.NOISE_DBM + SNR_DB - 7)) <= 1, r.text("mediumd.log")
    assert r.text("mediumd_rc.txt").strip() == "0", r.text("mediumd.log")
