"""Protected networks between real and project radios in one medium: WPA2-PSK and WPA3-SAE.

One VM boot serves every case (a module-scoped job; each test reads its
part of the results).  Inside the VM, one hwsim-mediumd carries:

- kernel radio 0: real hostapd, WPA2-PSK/CCMP (`net80211-vm-psk`, 10.80.0.1);
- kernel radio 2: real hostapd, WPA3-SAE with PMF required (`net80211-vm-sae`,
  10.80.2.1), hostapd's defaults otherwise (sae_pwe=0: hunting and pecking);
- kernel radio 1 (netns sta1): real wpa_supplicant joining the project's
  WPA2-PSK AP (10.80.1.2);
- kernel radio 3 (netns sta3): real wpa_supplicant joining the project's
  SAE AP (10.80.3.2);
- project radios 100-104 (rsn_world.py): a wpa2-psk STA and a wpa3-sae STA
  joining the real hostapd, a wpa2-psk and a wpa3-sae HOSTAP vap, and a
  wpa2-psk STA with a wrong passphrase.

Data goes both ways on each link: the real side pings the project's side,
whose hosts answer, every frame under the CCMP keys the handshakes set.
"""

from __future__ import annotations

import json
import pathlib
import shlex
from typing import Any

import pytest
from support.realkernel import Vm, VmResult, mediumd, wifi
from support.realkernel.initramfs import RESULTS_DIR

from .helpers import ap_station_flags, keyvals, ping_received, sta_addr

pytestmark = pytest.mark.realkernel

WORLD = pathlib.Path(__file__).with_name("rsn_world.py")
PASSPHRASE = "correct horse battery"
KERNEL_RADIOS = 4
PROJECT_RADIOS = range(100, 105)
CONFIG = ("ifaces : { ids = [ "
          + ", ".join(f'"02:00:00:00:{n:02x}:00"' for n in [*range(KERNEL_RADIOS), *PROJECT_RADIOS])
          + ' ]; };\nmodel : { type = "snr"; default_snr = 40; };\n')
# the real side's addresses; the project's are rsn_world.IPS
REAL_AP_IP = {"psk": "10.80.0.1", "sae": "10.80.2.1"}
REAL_STA_IP = {1: "10.80.1.2", 3: "10.80.3.2"}
PROJECT_IP = {"sta_psk": "10.80.0.50", "ap_psk": "10.80.1.1", "sta_sae": "10.80.2.50", "ap_sae": "10.80.3.1"}
PROJECT_ADDR = {"sta_psk": "02:00:00:00:64:00", "ap_psk": "02:00:00:00:65:00",
                "sta_sae": "02:00:00:00:66:00", "ap_sae": "02:00:00:00:67:00",
                "sta_wrong": "02:00:00:00:68:00"}
REASON_4WAY_TIMEOUT = 15
FIRST_BACKOFF_S = 10  # wpa_supplicant's first hold after an authentication failure


def _hostapd_conf(iface: str, ssid: str, sae: bool) -> str:
    conf = [f"interface={iface}", "driver=nl80211", f"ssid={ssid}", "hw_mode=g", "channel=1",
            "ctrl_interface=/run/hostapd", "ap_max_inactivity=3600", "wpa=2", "rsn_pairwise=CCMP",
            f"wpa_passphrase={PASSPHRASE}"]
    # SAE: hostapd's defaults (sae_pwe=0, groups 19 20 21) with PMF required, as WPA3-Personal has it
    conf += ["wpa_key_mgmt=SAE", "ieee80211w=2"] if sae else ["wpa_key_mgmt=WPA-PSK"]
    return "\n".join(conf) + "\n"


def _wpa_conf(ssid: str, sae: bool) -> str:
    net = [f'ssid="{ssid}"', "scan_ssid=1", "scan_freq=2412", f'psk="{PASSPHRASE}"', "proto=RSN",
           "pairwise=CCMP"]
    net += ["key_mgmt=SAE", "ieee80211w=2"] if sae else ["key_mgmt=WPA-PSK"]
    body = "\n".join(f"    {line}" for line in net)
    return f"ctrl_interface=/run/wpa_supplicant\nnetwork={{\n{body}\n}}\n"


def _real_sta(n: int, ssid: str, sae: bool) -> str:
    return f"""
cat > /run/sta{n}.conf <<'CONF'
{_wpa_conf(ssid, sae)}CONF
ip netns add sta{n}
iw phy "$(cat /sys/class/net/wlan{n}/phy80211/name)" set netns name sta{n}
ip -n sta{n} link set lo up
ip -n sta{n} addr add {REAL_STA_IP[n]}/24 dev wlan{n}
ip netns exec sta{n} wpa_supplicant -B -t -i wlan{n} -c /run/sta{n}.conf -P /run/wpa{n}.pid \\
  -f {RESULTS_DIR}/wpa_supplicant{n}.log
"""


def _wpa_cli(n: int | str) -> str:
    return f"ip netns exec sta{n} wpa_cli -p /run/wpa_supplicant -i wlan{n}"


def _job() -> str:
    py, world, mdd = (shlex.quote(str(p)) for p in (wifi.VENV_PYTHON, WORLD, mediumd.MEDIUMD))
    completed = "wpa_state=COMPLETED"
    return f"""
cat > /run/medium.cfg <<'CONF'
{CONFIG}CONF
mkdir -p /run/world
# The project world serves its socket first; the daemon connects to the kernel and to it.
{py} {world} /run/world.sock /run/world {shlex.quote(PASSPHRASE)} > {RESULTS_DIR}/world.log 2>&1 &
world_pid=$!
# the real APs: one hostapd, a WPA2-PSK BSS on wlan0 and a WPA3-SAE BSS on wlan2; started while
# the world and the daemon load (the kernel's own medium carries their beacons until it registers)
cat > /run/ap_psk.conf <<'CONF'
{_hostapd_conf("wlan0", "net80211-vm-psk", False)}CONF
cat > /run/ap_sae.conf <<'CONF'
{_hostapd_conf("wlan2", "net80211-vm-sae", True)}CONF
ip link set lo up
hostapd -B -t -P /run/hostapd.pid -f {RESULTS_DIR}/hostapd.log /run/ap_psk.conf /run/ap_sae.conf
enabled() {{ hostapd_cli -p /run/hostapd -i "$1" status | grep -q state=ENABLED; }}
wait_for {mediumd.REGISTER_TIMEOUT_S} grep -q serving {RESULTS_DIR}/world.log
{mdd} --kernel -s /run/world.sock -c /run/medium.cfg > {RESULTS_DIR}/mediumd.log 2>&1 &
echo $! > /run/mediumd.pid
wait_for 60 enabled wlan0
wait_for 60 enabled wlan2
both_registered() {{ [ "$(grep -c "registered with" {RESULTS_DIR}/mediumd.log)" -ge 2 ]; }}
wait_for {mediumd.REGISTER_TIMEOUT_S} both_registered
ip addr add {REAL_AP_IP["psk"]}/24 dev wlan0
ip addr add {REAL_AP_IP["sae"]}/24 dev wlan2
# 1. the project's stations join the real APs (in parallel); the real APs ping them
touch /run/world/go_sta
project_joined() {{ test -e /run/world/sta_psk_completed && test -e /run/world/sta_sae_completed; }}
wait_for 180 project_joined || true
hostapd_cli -p /run/hostapd -i wlan0 all_sta > {RESULTS_DIR}/stations_psk.txt
hostapd_cli -p /run/hostapd -i wlan2 all_sta > {RESULTS_DIR}/stations_sae.txt
addr() {{ sed -n "s/^$1=//p" /run/world/addrs; }}
ip neigh replace {PROJECT_IP["sta_psk"]} lladdr "$(addr sta_psk)" dev wlan0 nud permanent
ip neigh replace {PROJECT_IP["sta_sae"]} lladdr "$(addr sta_sae)" dev wlan2 nud permanent
ping -c 5 -i 0.2 -W 5 {PROJECT_IP["sta_psk"]} > {RESULTS_DIR}/ping_sta_psk.txt 2>&1 &
p1=$!
ping -c 5 -i 0.2 -W 5 {PROJECT_IP["sta_sae"]} > {RESULTS_DIR}/ping_sta_sae.txt 2>&1 &
p2=$!
wait $p1 $p2 || true  # only the pings: the world and the daemon run on
# 2. the real stations join the project's APs (in parallel) and ping them as each completes
{_real_sta(1, "net80211-proj-psk", False)}
{_real_sta(3, "net80211-proj-sae", True)}
ip -n sta1 neigh replace {PROJECT_IP["ap_psk"]} lladdr "$(addr ap_psk)" dev wlan1 nud permanent
ip -n sta3 neigh replace {PROJECT_IP["ap_sae"]} lladdr "$(addr ap_sae)" dev wlan3 nud permanent
real_sta() {{  # n ip: wait for the connection, record it, ping
  wait_for 240 sh -c "{_wpa_cli("$1")} status | grep -q {completed}" || true
  {_wpa_cli("$1")} status > {RESULTS_DIR}/status_$1.txt
  ip netns exec sta$1 ping -c 5 -i 0.2 -W 5 $2 > {RESULTS_DIR}/ping_$3.txt 2>&1 || true
}}
real_sta 1 {PROJECT_IP["ap_psk"]} ap_psk &
p3=$!
real_sta 3 {PROJECT_IP["ap_sae"]} ap_sae &
p4=$!
wait $p3 $p4 || true
# 3. the wrong passphrase: hostapd gives up on the handshake, the project station reports it
touch /run/world/go_wrong
wait_for 120 test -e /run/world/wrong_failed || true
hostapd_cli -p /run/hostapd -i wlan0 all_sta > {RESULTS_DIR}/stations_psk_end.txt
# the world writes what it saw on SIGTERM
kill -TERM $world_pid
wait $world_pid || true
cp /run/world/world.json {RESULTS_DIR}/ || true
{mediumd.stop()}
"""


@pytest.fixture(scope="module")
def run(vm: Vm) -> VmResult:
    """The one boot every test of this module reads."""
    return vm.run(_job(), radios=KERNEL_RADIOS, timeout_s=900).check()


@pytest.fixture(scope="module")
def world(run: VmResult) -> dict[str, Any]:
    assert run.text("mediumd.log").count("registered with") == 2, run.text("mediumd.log")
    w: dict[str, Any] = json.loads(run.text("world.json"))
    assert w["registered"], run.text("world.log")
    return w


def _project_sta_joined(run: VmResult, world: dict[str, Any], name: str, ap_iface: str,
                        akm: str, mfp: bool) -> None:
    vap = world["joined"].get(name) or world["vaps"][name]  # as it was when its handshake completed
    sec = vap["security"]
    why = f"{run.text('world.log')}\n{run.text('hostapd.log')}"
    assert vap["state"] == "RUN" and vap["bssid"] == sta_addr(0 if ap_iface == "wlan0" else 2), why
    assert sec["state"] == "completed" and sec["ptk"], (sec, why)
    assert sec["akm"] == akm and sec["pairwise_cipher"] == "CCMP_128" and sec["group_cipher"] == "CCMP_128"
    assert sec["gtk_keyid"] in (1, 2)
    assert sec["mfp"] is mfp
    if mfp:
        assert sec["group_mgmt_cipher"] == "BIP_CMAC_128" and sec["igtk_keyid"] in (4, 5)
    # the real AP: the 4-way handshake completed, the station authorized
    addr = PROJECT_ADDR[name]
    assert f"EAPOL-4WAY-HS-COMPLETED {addr}" in run.text("hostapd.log")
    flags = ap_station_flags(run.text("stations_psk.txt" if ap_iface == "wlan0" else "stations_sae.txt"))
    assert "[AUTHORIZED]" in flags[addr] and (not mfp or "[MFP]" in flags[addr]), flags


def _real_sta_joined(run: VmResult, world: dict[str, Any], n: int, name: str, key_mgmt: str) -> None:
    status = keyvals(run.text(f"status_{n}.txt"))
    why = f"{run.text(f'wpa_supplicant{n}.log')}\n{run.text('world.log')}"
    assert status["wpa_state"] == "COMPLETED", why
    assert status["bssid"] == PROJECT_ADDR[name] and status["key_mgmt"] == key_mgmt
    assert status["pairwise_cipher"] == "CCMP" and status["group_cipher"] == "CCMP"
    # the project AP's view when it completed the handshake with that station
    ours = world["joined"].get(f"{name} {sta_addr(n)}")
    assert ours is not None and ours["rsn"]["ptk"] and ours["rsn"]["port_open"], world["joined"]
    assert ours["rsn"]["akm"] == ("SAE" if key_mgmt == "SAE" else "PSK")
    assert ours["rsn"]["mfp"] is (key_mgmt == "SAE")


def _pinged(run: VmResult, world: dict[str, Any], name: str) -> None:
    """The real side's five pings answered: requests decrypted by the project, replies by the kernel."""
    assert ping_received(run.text(f"ping_{name}.txt")) == (5, 5), run.text(f"ping_{name}.txt")
    assert world["hosts"][name]["echo_replies_sent"] >= 5


def test_project_sta_joins_real_hostapd_wpa2_psk(run: VmResult, world: dict[str, Any]) -> None:
    _project_sta_joined(run, world, "sta_psk", "wlan0", "PSK", mfp=False)
    _pinged(run, world, "sta_psk")


def test_real_wpa_supplicant_joins_project_ap_wpa2_psk(run: VmResult, world: dict[str, Any]) -> None:
    _real_sta_joined(run, world, 1, "ap_psk", "WPA2-PSK")
    _pinged(run, world, "ap_psk")


def test_project_sta_joins_real_hostapd_sae(run: VmResult, world: dict[str, Any]) -> None:
    _project_sta_joined(run, world, "sta_sae", "wlan2", "SAE", mfp=True)
    _pinged(run, world, "sta_sae")


def test_real_wpa_supplicant_joins_project_ap_sae(run: VmResult, world: dict[str, Any]) -> None:
    _real_sta_joined(run, world, 3, "ap_sae", "SAE")
    status = keyvals(run.text("status_3.txt"))
    # PMF in use (BIP), SAE over P-256 by hunting and pecking (wpa_supplicant's default sae_pwe=0)
    assert status["pmf"] == "2" and status["mgmt_group_cipher"] == "BIP"
    assert status["sae_group"] == "19" and status["sae_h2e"] == "0"
    _pinged(run, world, "ap_sae")


def test_wrong_passphrase_against_real_hostapd(run: VmResult, world: dict[str, Any]) -> None:
    """hostapd drops msg 2/4 (its MIC does not verify), retries msg 1/4, gives up with reason 15;
    the project station reports the failure with that reason and keeps the network aside."""
    sec = world["vaps"]["sta_wrong"]["security"]
    why = f"{run.text('world.log')}\n{run.text('hostapd.log')}"
    addr = PROJECT_ADDR["sta_wrong"]
    # hostapd saw msg 2/4 fail its MIC check with the passphrase it has
    assert f"AP-STA-POSSIBLE-PSK-MISMATCH {addr}" in run.text("hostapd.log"), why
    assert sec["auth_failures"] >= 1 and sec["last_failure"]["reason"] == REASON_4WAY_TIMEOUT, (sec, why)
    assert "passphrase may be wrong" in sec["last_failure"]["why"]
    assert not sec.get("ptk")
    assert "[AUTHORIZED]" not in ap_station_flags(run.text("stations_psk_end.txt")).get(addr, "")
    # backs off: the network held aside from the first failure for wpa_supplicant's 10 s, and no
    # new attempt inside it
    wrong = world["wrong"]
    failed = wrong["failures_ns"][0]
    held = wrong["held_until_ns"][sta_addr(0)]
    assert held >= failed + FIRST_BACKOFF_S * 10**9 - 200_000_000, wrong  # the world polls every 100 ms
    assert all(t < failed or t >= held for t in wrong["attempts_ns"]), wrong
