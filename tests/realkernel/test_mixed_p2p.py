"""Wi-Fi Direct against the real wpa_supplicant: a project P2P device and a
real wpa_supplicant P2P device (mac80211_hwsim radio 0 in the VM) in one
medium through hwsim-mediumd form WPA2 groups by push button, as wpa_cli
users do it.  One boot, three phases, each ending with both groups removed:

1. the project device initiates: the real one authorized it
   (`p2p_connect <ours> pbc auth go_intent=15`) and listens; ours sends the
   GO negotiation request and becomes the client: WPS enrollee of the real
   GO's registrar (M1-M8), then the 4-way handshake with the PSK it got;
2. the real device initiates: ours asks first, the real one answers
   "information unavailable" and reports P2P-GO-NEG-REQUEST, its user runs
   `p2p_connect <ours> pbc go_intent=0`; ours is GO, the real client
   enrolls with our registrar and joins with WPA2;
3. the real device joins our autonomous GO (`p2p_group_add`, `wps_pbc`) with
   `p2p_connect <ours> pbc join`, which finds the group by the GO's P2P IE.

Each phase ends with a ping between the two over the encrypted group.
"""

from __future__ import annotations

import json
import pathlib
import shlex
from typing import Any

import pytest
from support.realkernel import Vm, VmResult, mediumd, wifi
from support.realkernel.initramfs import RESULTS_DIR

from net80211.rsn.kdf import pmk_from_passphrase

from .helpers import keyvals, ping_received

pytestmark = pytest.mark.realkernel

WORLD = pathlib.Path(__file__).with_name("mixed_p2p_world.py")
CONFIG = ('ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:64:00" ]; };\n'
          'model : { type = "snr"; default_snr = 40; };\n')
REAL_IP, OUR_IP = "10.80.2.1", "10.80.2.2"
# Protocol steps under TCG with the medium and the project's device in python
# take seconds where real hardware takes milliseconds: generous bounds, no retries.
STEP_S = 240
# hwsim-mediumd loses a frame for a real radio that changed channel without a word
# (its channels_lost counter; the kernel refuses the delivery): most pings, not all
PINGS, PINGS_MIN = 5, 3


def _job() -> str:
    py, world, mdd = (shlex.quote(str(p)) for p in (wifi.VENV_PYTHON, WORLD, mediumd.MEDIUMD))
    cli = "wpa_cli -p /run/wpa_supplicant"
    p2p = f"{cli} -i p2p-dev-wlan0"
    return f"""
R={RESULTS_DIR}
finish() {{
  [ -n "${{world_pid:-}}" ] && kill -TERM $world_pid 2>/dev/null && wait $world_pid || true
  cp /run/world/world.json /run/world/p2p_events /run/wpa.log $R/ 2>/dev/null || true
}}
trap finish EXIT
cat > /run/medium.cfg <<'CONF'
{CONFIG}CONF
mkdir -p /run/world
{py} {world} /run/world.sock /run/world > $R/world.log 2>&1 &
world_pid=$!
wait_for {mediumd.REGISTER_TIMEOUT_S} test -e /run/world/addrs
{mdd} --kernel -s /run/world.sock -c /run/medium.cfg > $R/mediumd.log 2>&1 &
echo $! > /run/mediumd.pid
both_registered() {{ [ "$(grep -c "registered with" $R/mediumd.log)" -ge 2 ]; }}
wait_for {mediumd.REGISTER_TIMEOUT_S} both_registered
cat > /run/p2p.conf <<'CONF'
ctrl_interface=/run/wpa_supplicant
device_name=real-p2p
p2p_listen_reg_class=81
p2p_listen_channel=1
p2p_oper_reg_class=81
p2p_oper_channel=1
CONF
wpa_supplicant -B -t -dd -i wlan0 -c /run/p2p.conf -P /run/wpa0.pid -f /run/wpa.log
wait_for 60 {p2p} ping
ours="$(sed -n 's/^p2p=//p' /run/world/addrs)"
our_intf="$(sed -n 's/^intf=//p' /run/world/addrs)"
real="$({p2p} status | sed -n 's/^p2p_device_address=//p')"
echo "$real" > $R/real_addr.txt
{p2p} p2p_listen
# the project device's P2P_FIND finds the listening real one
wait_for {STEP_S} grep -q "P2P-DEVICE-FOUND $real" /run/world/p2p_events

# world_cmd LINE: the world runs the command, its answer goes to stdout
world_cmd() {{
  local n=$(( $(find /run/world -name 'cmd.*' | wc -l) + 1 ))
  echo "$1" > /run/world/.cmd && mv /run/world/.cmd /run/world/cmd.$n
  wait_for 60 test -s /run/world/done.$n
  cat /run/world/done.$n
}}
# the real device's newest group interface (wpa_supplicant names them p2p-wlan0-N)
real_group() {{ sed -n 's/.*P2P-GROUP-STARTED \\(p2p-wlan0-[0-9]*\\) .*/\\1/p' /run/wpa.log | tail -1; }}
ping_over() {{  # ping_over IFACE PEER_MAC OUT: our side has no ARP: a static neighbour entry
  ip addr add {REAL_IP}/24 dev $1
  ip neigh replace {OUR_IP} lladdr $2 dev $1 nud permanent
  ping -c {PINGS} -i 0.5 -W 10 {OUR_IP} > $R/$3 2>&1 || true
}}
end_groups() {{  # end_groups N: both sides remove their groups; ours reports group N removed
  g="$(real_group)"; [ -n "$g" ] && {p2p} p2p_group_remove $g > /dev/null || true
  world_cmd group_remove > /dev/null || true
  wait_for 60 grep -q "P2P-GROUP-REMOVED p2p-p2p100-$1 " /run/world/p2p_events || true
}}

phase1() {{
  set -e
  {p2p} p2p_connect $ours pbc auth go_intent=15 > $R/p1_real_connect.txt
  {p2p} p2p_listen
  world_cmd "connect $real pbc go_intent=0" > $R/p1_world_connect.txt
  wait_for {STEP_S} grep -q "P2P-GROUP-STARTED p2p-p2p100-0 " /run/world/p2p_events
  g="$(real_group)"
  wait_for {STEP_S} sh -c "{cli} -i $g all_sta | grep -q AUTHORIZED"
  {cli} -i $g status > $R/p1_real_status.txt
  {cli} -i $g all_sta > $R/p1_real_sta.txt || true  # all_sta ends in a FAIL: exit status 255
  {cli} -i $g p2p_get_passphrase > $R/p1_real_passphrase.txt
  ping_over $g $our_intf p1_ping.txt
}}

phase2() {{
  set -e
  {p2p} p2p_listen
  # not authorized here: the real device answers "information unavailable" and tells its user
  world_cmd "connect $real pbc go_intent=15" > $R/p2_world_connect.txt
  wait_for {STEP_S} grep -q "P2P-GO-NEG-REQUEST $ours" /run/wpa.log
  {p2p} p2p_connect $ours pbc go_intent=0 > $R/p2_real_connect.txt
  wait_for {STEP_S} grep -q "P2P-GROUP-STARTED p2p-p2p100-1 GO" /run/world/p2p_events
  wait_for {STEP_S} sh -c 'grep -q "P2P-GROUP-STARTED p2p-wlan0-[0-9]* client" /run/wpa.log'
  g="$(real_group)"
  # the status as it completed (under load a starved GO's late beacons can end the link after)
  st=$R/p2_real_status.txt
  wait_for {STEP_S} sh -c "{cli} -i $g status > $st && grep -q wpa_state=COMPLETED $st"
  ping_over $g $our_intf p2_ping.txt
}}

phase3() {{
  set -e
  world_cmd group_add > $R/p3_world_group_add.txt
  wait_for {STEP_S} grep -q "P2P-GROUP-STARTED p2p-p2p100-2 GO" /run/world/p2p_events
  ssid="$(sed -n 's/^P2P-GROUP-STARTED p2p-p2p100-2 GO ssid="\\([^"]*\\)".*/\\1/p' /run/world/p2p_events)"
  # the user's find shows the group (our GO's beacons or probe responses): the peer entry
  # names its SSID (the entry of the group before, same interface address, is 30 s in the
  # kernel's BSS table: a join right away could pick that one)
  {p2p} p2p_find
  wait_for {STEP_S} sh -c "{p2p} p2p_peer $ours | grep -qx oper_ssid=$ssid"
  {p2p} p2p_stop_find
  {p2p} p2p_peer $ours > $R/p3_real_peer.txt
  world_cmd wps_pbc > $R/p3_world_wps_pbc.txt
  n=$(grep -c "P2P-GROUP-STARTED p2p-wlan0-[0-9]* client" /run/wpa.log || true)
  {p2p} p2p_connect $ours pbc join > $R/p3_real_connect.txt
  joined() {{ [ "$(grep -c "P2P-GROUP-STARTED p2p-wlan0-[0-9]* client" /run/wpa.log)" -gt $n ]; }}
  wait_for {STEP_S} joined
  g="$(real_group)"
  # the status as it completed (under load a starved GO's late beacons can end the link after)
  st=$R/p3_real_status.txt
  wait_for {STEP_S} sh -c "{cli} -i $g status > $st && grep -q wpa_state=COMPLETED $st"
  ping_over $g $our_intf p3_ping.txt
}}

# each phase in its own shell (set -e holds there), its exit status recorded; groups end between
for p in 1 2 3; do
  rc=0; ( phase$p ) & wait $! || rc=$?
  echo $rc > $R/p${{p}}_rc.txt
  end_groups $(( p - 1 ))
done
finish
trap - EXIT
{mediumd.stop()}
"""


@pytest.fixture(scope="module")
def run(vm: Vm) -> VmResult:
    return vm.run(_job(), radios=1, timeout_s=1500)


def _world(r: VmResult) -> dict[str, Any]:
    if "world.json" not in r.files:
        raise AssertionError(f"the world wrote no world.json\n{r.report()}")
    data: dict[str, Any] = json.loads(r.text("world.json"))
    return data


def _phase(r: VmResult, n: int) -> tuple[dict[str, Any], str]:
    """The world's record, and a diagnosis to show when phase n's checks fail."""
    world = _world(r)
    log = r.files.get("wpa.log", b"").decode(errors="replace")
    real_events = [ln for ln in log.splitlines() if " P2P-" in ln or " WPS-" in ln or "CTRL-EVENT-" in ln]
    diag = (f"phase {n} rc={r.files.get(f'p{n}_rc.txt', b'?').decode().strip()}\n--- world.log\n"
            f"{r.text('world.log')[-3000:]}\n--- our events\n" + "\n".join(world["events"][-30:])
            + "\n--- real events\n" + "\n".join(real_events[-30:]) + f"\n--- trace\n{r.trace[-4000:]}")
    return world, diag


def _pinged(run: VmResult, world: dict[str, Any], name: str, group: str) -> None:
    """The real device pinged our end of the group: most echo requests answered, each
    answer our host's (data both ways under the group's CCMP keys)."""
    sent, received = ping_received(run.text(name))
    assert sent == PINGS and received >= PINGS_MIN, (run.text(name), run.text("mediumd.log")[-600:])
    assert world["hosts"][group]["echo_replies_sent"] >= received, world["hosts"]


def test_the_project_device_initiates_and_joins_the_real_go(run: VmResult) -> None:
    world, diag = _phase(run, 1)
    assert run.text("p1_rc.txt").strip() == "0", diag
    events = world["events"]
    assert any(e.startswith("P2P-GO-NEG-SUCCESS role=client") for e in events), diag
    assert "WPS-SUCCESS" in events, diag  # the real GO's registrar gave our enrollee its credential
    g = world["groups"]["p2p-p2p100-0"]
    assert g["role"] == "client" and g["up"], g
    assert g["rsn"]["state"] == "completed" and g["rsn"]["pairwise_cipher"] == "CCMP_128", g["rsn"]
    status = keyvals(run.text("p1_real_status.txt"))
    assert status.get("ssid") == g["ssid"] and status.get("mode") == "P2P GO", status
    assert world["addrs"]["intf"] in run.text("p1_real_sta.txt")
    # WPS handed us the PSK of the real GO's passphrase (wpa_supplicant: "Use PSK format")
    go_passphrase = run.text("p1_real_passphrase.txt").split()[-1]
    assert pmk_from_passphrase(go_passphrase.encode(), g["ssid"].encode()).hex() == g["passphrase"]
    _pinged(run, world, "p1_ping.txt", "p2p-p2p100-0")


def test_the_real_device_initiates_and_joins_our_go(run: VmResult) -> None:
    world, diag = _phase(run, 2)
    assert run.text("p2_rc.txt").strip() == "0", diag
    events = world["events"]
    assert any(e.startswith("P2P-GO-NEG-SUCCESS role=GO") for e in events), diag
    g = world["groups"]["p2p-p2p100-1"]
    assert g["role"] == "GO" and g["up"] and g["wps"]["successes"] == 1, g
    status = keyvals(run.text("p2_real_status.txt"))
    assert status.get("ssid") == g["ssid"] and status.get("mode") == "station", status
    assert status.get("key_mgmt") == "WPA2-PSK" and status.get("pairwise_cipher") == "CCMP", status
    assert status.get("bssid") == world["addrs"]["intf"], status
    _pinged(run, world, "p2_ping.txt", "p2p-p2p100-1")


def test_the_real_device_joins_our_autonomous_go(run: VmResult) -> None:
    world, diag = _phase(run, 3)
    assert run.text("p3_rc.txt").strip() == "0", diag
    g = world["groups"]["p2p-p2p100-2"]
    assert g["role"] == "GO" and g["up"] and g["wps"]["successes"] == 1, g
    # what the real device read from our GO's P2P IE (a Beacon's Device ID or a Probe
    # Response's Device Info): a group owner, its interface address and SSID
    peer = keyvals(run.text("p3_real_peer.txt"))
    assert int(peer["group_capab"], 16) & 0x01 and peer["oper_ssid"] == g["ssid"], peer
    assert peer["interface_addr"] == world["addrs"]["intf"], peer
    status = keyvals(run.text("p3_real_status.txt"))
    assert status.get("ssid") == g["ssid"] and status.get("key_mgmt") == "WPA2-PSK", status
    assert status.get("bssid") == world["addrs"]["intf"], status
    # our GO names the joined client by its P2P device address (its association's P2P IE)
    assert f"AP-STA-CONNECTED {status['address']} p2p_dev_addr={run.text('real_addr.txt').strip()}" \
        in world["events"], world["events"][-10:]
    _pinged(run, world, "p3_ping.txt", "p2p-p2p100-2")
