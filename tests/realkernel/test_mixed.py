"""Real and simulated radios in one medium: hwsim-mediumd serving the VM's kernel and a project world.

Inside the VM: mac80211_hwsim radio 0 runs the real hostapd, radio 1 the
real wpa_supplicant (netns sta1), radio 2 a real wpa_supplicant P2P device;
a project world (mixed_world.py) has a STA vap, a HOSTAP vap, a monitor
vap and a P2P device on hwsim radios 100-103, served on a UNIX socket;
`hwsim-mediumd --kernel -s SOCKET` is the medium of all seven.
"""

from __future__ import annotations

import json
import pathlib
import shlex

import pytest
from support.realkernel import Vm, mediumd, wifi
from support.realkernel.initramfs import RESULTS_DIR

from net80211.wire.mgmt import Beacon

from .helpers import AP_ADDR, air_frames, ap_station_flags, keyvals, mgmt, ping_received, sta_addr

pytestmark = pytest.mark.realkernel

WORLD = pathlib.Path(__file__).with_name("mixed_world.py")
SNR_DB = 40
# kernel radios 0 and 1, the project's 100-102 (interface addresses), one modeled medium
CONFIG = ('ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:64:00", '
          '"02:00:00:00:65:00", "02:00:00:00:66:00" ]; };\n'
          f'model : {{ type = "snr"; default_snr = {SNR_DB}; }};\n')
PROJECT_STA_IP, PROJECT_AP_IP, REAL_STA_IP = "10.80.0.50", "10.80.1.1", "10.80.1.2"


def _job() -> str:
    py, world, mdd = (shlex.quote(str(p)) for p in (wifi.VENV_PYTHON, WORLD, mediumd.MEDIUMD))
    wpa = "ip netns exec sta1 wpa_cli -p /run/wpa_supplicant -i wlan1"
    p2p = "wpa_cli -p /run/wpa_supplicant -i p2p-dev-wlan2"
    return f"""
cat > /run/medium.cfg <<'CONF'
{CONFIG}CONF
mkdir -p /run/world
# The project world serves its socket first; the daemon connects to the kernel and to it.
{py} {world} /run/world.sock /run/world /run/world > {RESULTS_DIR}/world.log 2>&1 &
world_pid=$!
wait_for {mediumd.REGISTER_TIMEOUT_S} grep -q serving {RESULTS_DIR}/world.log
{mdd} --kernel -s /run/world.sock -c /run/medium.cfg > {RESULTS_DIR}/mediumd.log 2>&1 &
echo $! > /run/mediumd.pid
both_registered() {{ [ "$(grep -c "registered with" {RESULTS_DIR}/mediumd.log)" -ge 2 ]; }}
wait_for {mediumd.REGISTER_TIMEOUT_S} both_registered
{wifi.start_ap()}
# 3 (in parallel with the rest). the real P2P device on radio 2 listens on channel 1
cat > /run/p2p.conf <<'CONF'
ctrl_interface=/run/wpa_supplicant
device_name=real-p2p
p2p_listen_reg_class=81
p2p_listen_channel=1
CONF
wpa_supplicant -B -t -i wlan2 -c /run/p2p.conf -P /run/wpa2.pid -f {RESULTS_DIR}/wpa_supplicant_p2p.log
wait_for 60 {p2p} ping
{p2p} p2p_listen  # discoverable: it answers the project device's search on channel 1
# 1. the project's STA vap associates with the real hostapd; the AP's side pings it
wait_for 120 test -e /run/world/sta_run || true
{wifi.ap_stations()}
ip neigh replace {PROJECT_STA_IP} lladdr "$(sed -n 's/^sta=//p' /run/world/addrs)" dev wlan0 nud permanent
ping -c 5 -i 0.2 -W 2 {PROJECT_STA_IP} > {RESULTS_DIR}/ping_project_sta.txt 2>&1 || true
# 2. the real wpa_supplicant associates with the project's HOSTAP vap and pings it
cat > /run/sta1.conf <<'CONF'
ctrl_interface=/run/wpa_supplicant
network={{
    ssid="net80211-proj"
    scan_ssid=1
    scan_freq=2412
    key_mgmt=NONE
}}
CONF
ip netns add sta1
iw phy "$(cat /sys/class/net/wlan1/phy80211/name)" set netns name sta1
ip -n sta1 link set lo up
ip -n sta1 addr add {REAL_STA_IP}/24 dev wlan1
ip netns exec sta1 wpa_supplicant -B -t -i wlan1 -c /run/sta1.conf -P /run/wpa1.pid \\
  -f {RESULTS_DIR}/wpa_supplicant1.log
wait_for 120 sh -c '{wpa} status | grep -q wpa_state=COMPLETED' || true
{wpa} status > {RESULTS_DIR}/status_1.txt
ip -n sta1 neigh replace {PROJECT_AP_IP} lladdr "$(sed -n 's/^ap=//p' /run/world/addrs)" dev wlan1 \
  nud permanent
ip netns exec sta1 ping -c 5 -i 0.2 -W 2 {PROJECT_AP_IP} > {RESULTS_DIR}/ping_project_ap.txt 2>&1 || true
# 3. the P2P devices found each other: the project's device the listening real one, then the
# real one, searching in turn, the project's (listening between its searches)
wait_for 60 grep -q P2P-DEVICE-FOUND /run/world/p2p_events || true
{p2p} p2p_find
project_p2p="$(sed -n 's/^p2p=//p' /run/world/addrs)"
wait_for 60 sh -c "{p2p} p2p_peers | grep -q $project_p2p" || true
{p2p} p2p_peers > {RESULTS_DIR}/p2p_peers.txt || true  # wpa_cli fails when it has no peer
{p2p} status > {RESULTS_DIR}/p2p_status.txt || true
# the world writes what it saw on SIGTERM
kill -TERM $world_pid
wait $world_pid || true
cp /run/world/world.json /run/world/project_mon.pcap {RESULTS_DIR}/ || true
{mediumd.stop()}
"""


def test_real_and_project_radios_in_one_medium(vm: Vm) -> None:
    r = vm.run(_job(), radios=3, timeout_s=600).check()
    log = r.text("mediumd.log")
    assert log.count("registered with") == 2, log
    world = json.loads(r.text("world.json"))
    assert world["registered"], r.text("world.log")
    # the project STA joined the real hostapd and answered its pings
    assert world["sta_state"] == "RUN" and world["sta_bssid"] == AP_ADDR, r.text("world.log")
    assert "[AUTHORIZED]" in ap_station_flags(r.text("ap_stations.txt"))["02:00:00:00:64:00"]
    assert ping_received(r.text("ping_project_sta.txt")) == (5, 5)
    assert world["hosts"]["sta"]["echo_replies_sent"] >= 5
    # the real wpa_supplicant joined the project AP and got its pings answered
    status = keyvals(r.text("status_1.txt"))
    assert status["wpa_state"] == "COMPLETED", r.text("wpa_supplicant1.log")
    assert status["ssid"] == "net80211-proj" and status["bssid"] == "02:00:00:00:65:00"
    assert sta_addr(1) in world["ap_stations"]
    assert ping_received(r.text("ping_project_ap.txt")) == (5, 5)
    assert world["hosts"]["ap"]["echo_replies_sent"] >= 5
    # the project's monitor heard both sides' beacons on the channel
    frames = air_frames(r.files["project_mon.pcap"])
    assert mgmt(frames, Beacon, sa=AP_ADDR) and mgmt(frames, Beacon, sa="02:00:00:00:65:00")
    # a project P2P device and the real wpa_supplicant's found each other
    real_p2p = keyvals(r.text("p2p_status.txt"))["p2p_device_address"]
    assert any(real_p2p in e for e in world["p2p_found"]), (world["p2p_found"], log)
    assert world["addrs"]["p2p"] in r.text("p2p_peers.txt").split()
    # the world's frames got their statuses from the daemon, deliveries came the other way
    c = world["counters"]
    assert c["tx_status"] > 0 and c["ext_rx"] > 0
    assert r.text("mediumd_rc.txt").strip() == "0", log
