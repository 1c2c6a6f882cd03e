"""Wi-Fi Direct against the real wpa_supplicant: a project P2P device and a
real wpa_supplicant P2P device (mac80211_hwsim radio 0 in the VM) in one
medium through hwsim-mediumd form a group by push button.  The real device
is GO (go_intent=15) and starts the GO negotiation, then the project's WPS enrollee gets
the real GO's passphrase from its registrar (M1-M8), reconnects with WPA2-PSK
(the 4-way handshake with the real authenticator), and the GO pings the
project client over the encrypted group."""

from __future__ import annotations

import json
import pathlib
import shlex

import pytest
from support.realkernel import Vm, mediumd, wifi
from support.realkernel.initramfs import RESULTS_DIR

from net80211.rsn.kdf import pmk_from_passphrase

from .helpers import keyvals, ping_received

pytestmark = pytest.mark.realkernel

WORLD = pathlib.Path(__file__).with_name("mixed_p2p_world.py")
CONFIG = ('ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:64:00" ]; };\n'
          'model : { type = "snr"; default_snr = 40; };\n')
GO_IP, CLIENT_IP = "10.80.2.1", "10.80.2.2"


def _job() -> str:
    py, world, mdd = (shlex.quote(str(p)) for p in (wifi.VENV_PYTHON, WORLD, mediumd.MEDIUMD))
    p2p = "wpa_cli -p /run/wpa_supplicant -i p2p-dev-wlan0"
    grp = "wpa_cli -p /run/wpa_supplicant -i p2p-wlan0-0"
    return f"""
cat > /run/medium.cfg <<'CONF'
{CONFIG}CONF
mkdir -p /run/world
{py} {world} /run/world.sock /run/world > {RESULTS_DIR}/world.log 2>&1 &
world_pid=$!
wait_for {mediumd.REGISTER_TIMEOUT_S} grep -q serving {RESULTS_DIR}/world.log
{mdd} --kernel -s /run/world.sock -c /run/medium.cfg > {RESULTS_DIR}/mediumd.log 2>&1 &
echo $! > /run/mediumd.pid
both_registered() {{ [ "$(grep -c "registered with" {RESULTS_DIR}/mediumd.log)" -ge 2 ]; }}
wait_for {mediumd.REGISTER_TIMEOUT_S} both_registered
cat > /run/p2p.conf <<'CONF'
ctrl_interface=/run/wpa_supplicant
device_name=real-p2p
p2p_listen_reg_class=81
p2p_listen_channel=1
p2p_oper_reg_class=81
p2p_oper_channel=1
CONF
wpa_supplicant -B -t -dd -i wlan0 -c /run/p2p.conf -P /run/wpa0.pid -f {RESULTS_DIR}/wpa_supplicant_p2p.log
wait_for 60 {p2p} ping
{p2p} p2p_find
project_p2p="$(sed -n 's/^p2p=//p' /run/world/addrs)"
wait_for 90 sh -c "{p2p} p2p_peers | grep -q $project_p2p" || true
wait_for 90 grep -q P2P-DEVICE-FOUND /run/world/p2p_events || true
{p2p} p2p_stop_find || true
# the project device authorizes the real one (and listens); the real one connects as GO
{p2p} status | sed -n 's/^p2p_device_address=//p' > /run/world/connect.tmp
mv /run/world/connect.tmp /run/world/connect  # whole, for the world that polls for it
wait_for 30 test -e /run/world/authorized || true
# the peer entry is fresh (wpa_supplicant expires peers unseen for 60 s)
{p2p} p2p_find
wait_for 60 sh -c "{p2p} p2p_peer $project_p2p | grep -q listen_freq" || true
{p2p} p2p_connect $project_p2p pbc go_intent=15 > {RESULTS_DIR}/p2p_connect.txt
wait_for 120 grep -q P2P-GROUP-STARTED /run/world/p2p_events || true
wait_for 30 sh -c '{grp} all_sta | grep -q AUTHORIZED' || true
{grp} status > {RESULTS_DIR}/group_status.txt 2>&1 || true
{grp} all_sta > {RESULTS_DIR}/group_sta.txt 2>&1 || true
{grp} p2p_get_passphrase > {RESULTS_DIR}/go_passphrase.txt 2>&1 || true
ip addr add {GO_IP}/24 dev p2p-wlan0-0 || true
client="$(sed -n 's/^intf=//p' /run/world/addrs)"
ip neigh replace {CLIENT_IP} lladdr "$client" dev p2p-wlan0-0 nud permanent || true
ping -c 5 -i 0.2 -W 2 {CLIENT_IP} > {RESULTS_DIR}/ping_client.txt 2>&1 || true
kill -TERM $world_pid
wait $world_pid || true
cp /run/world/world.json /run/world/p2p_events {RESULTS_DIR}/ || true
{mediumd.stop()}
"""


def test_a_project_p2p_device_forms_a_group_with_real_wpa_supplicant_by_pbc(vm: Vm) -> None:
    r = vm.run(_job(), radios=1, timeout_s=900).check()
    world = json.loads(r.text("world.json"))
    events = world["events"]
    diag = (r.text("world.log"), events[-12:])
    assert any(e.startswith("P2P-GO-NEG-SUCCESS role=client") for e in events), diag
    assert "WPS-SUCCESS" in events, diag  # the real GO's registrar gave our enrollee its credential
    g = world["group"]
    assert g is not None and g["role"] == "client" and g["up"], diag
    started = [e for e in events if e.startswith("P2P-GROUP-STARTED")]
    assert started and " client " in started[0] and " psk=" in started[0]
    assert g["rsn"]["state"] == "completed" and g["rsn"]["pairwise_cipher"] == "CCMP-128", g["rsn"]
    # the real GO's side: our client AUTHORIZED
    status = keyvals(r.text("group_status.txt"))
    assert status.get("ssid") == g["ssid"] and status.get("mode") == "P2P GO", r.text("group_status.txt")
    assert "AUTHORIZED" in r.text("group_sta.txt")
    # WPS handed us the PSK of the real GO's passphrase (wpa_supplicant: "Use PSK format")
    go_passphrase = r.text("go_passphrase.txt").split()[-1]
    assert pmk_from_passphrase(go_passphrase.encode(), g["ssid"].encode()).hex() == g["passphrase"]
    # data over the encrypted group: the GO pings our client, which answers
    assert ping_received(r.text("ping_client.txt")) == (5, 5), r.text("ping_client.txt")
    assert world["host"]["echo_replies_sent"] >= 5
