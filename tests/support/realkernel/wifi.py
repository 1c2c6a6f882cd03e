"""Job scripts for the VM: hostapd on one radio, wpa_supplicant on another in its own netns.

The AP keeps radio 0 (`wlan0`, 10.80.0.1) in the initial namespace; each
station's radio moves into namespace `staN` (`wlanN`, 10.80.0.N+1).  Every
daemon logs into $RESULTS; the facts a test asserts on (wpa_cli status,
hostapd's station list, ping output) are written there too.
"""

from __future__ import annotations

import pathlib
import shlex

from .initramfs import RESULTS_DIR

REPO = pathlib.Path(__file__).resolve().parents[3]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
HWSIMCTL = pathlib.Path(__file__).with_name("hwsimctl.py")
SSID = "net80211-vm"
PSK = "correct horse battery"
AP_IP = "10.80.0.1"


def sta_ip(n: int) -> str:
    return f"10.80.0.{n + 1}"


# hostapd's PHY settings per mode: 802.11g on channel 1; 802.11n HT40 on channel 1;
# 802.11ac VHT80 on channel 36 (5180 MHz), which the US rules open to an AP
# (the VM's cfg80211 has Debian's regulatory database, initramfs.py).
PHY_MODES = {
    "g": ["hw_mode=g", "channel=1"],
    "n": ["hw_mode=g", "channel=1", "ieee80211n=1", "wmm_enabled=1",
          "ht_capab=[HT40+][SHORT-GI-20][SHORT-GI-40]"],
    "ac": ["hw_mode=a", "channel=36", "country_code=US", "ieee80211d=1", "ieee80211n=1", "ieee80211ac=1",
           "wmm_enabled=1", "ht_capab=[HT40+][SHORT-GI-20][SHORT-GI-40]", "vht_oper_chwidth=1",
           "vht_oper_centr_freq_seg0_idx=42", "vht_capab=[SHORT-GI-80]"],
}
MODE_FREQ = {"g": 2412, "n": 2412, "ac": 5180}


def hostapd_conf(*, iface: str = "wlan0", ssid: str = SSID, psk: str | None = None, channel: int = 1,
                 mode: str = "g") -> str:
    phy = PHY_MODES[mode] if mode != "g" else ["hw_mode=g", f"channel={channel}"]
    conf = [f"interface={iface}", "driver=nl80211", f"ssid={ssid}", *phy,
            "ctrl_interface=/run/hostapd", "ap_max_inactivity=3600"]
    if psk is not None:
        conf += ["wpa=2", "wpa_key_mgmt=WPA-PSK", "rsn_pairwise=CCMP", f"wpa_passphrase={psk}"]
    return "\n".join(conf) + "\n"


def wpa_conf(*, ssid: str = SSID, psk: str | None = None, freq: int = 2412) -> str:
    # Scanning only the AP's channel: a full 2.4+5 GHz scan costs seconds under TCG.
    net = [f'ssid="{ssid}"', "scan_ssid=1", f"scan_freq={freq}"]
    net += [f'psk="{psk}"', "key_mgmt=WPA-PSK", "proto=RSN", "pairwise=CCMP"] if psk else ["key_mgmt=NONE"]
    body = "\n".join(f"    {line}" for line in net)
    return f"ctrl_interface=/run/wpa_supplicant\nnetwork={{\n{body}\n}}\n"


def start_ap(psk: str | None = None, *, mode: str = "g") -> str:
    """Shell: hostapd on wlan0 (PHY_MODES[mode]) with the AP address, waited for until ENABLED."""
    return f"""
cat > /run/ap.conf <<'CONF'
{hostapd_conf(psk=psk, mode=mode)}CONF
ip link set lo up
hostapd -B -t -P /run/hostapd.pid -f {RESULTS_DIR}/hostapd.log /run/ap.conf
wait_for 30 sh -c 'hostapd_cli -p /run/hostapd -i wlan0 status | grep -q state=ENABLED'
ip addr add {AP_IP}/24 dev wlan0
"""


def launch_sta(n: int, psk: str | None = None, *, freq: int = 2412) -> str:
    """Shell: radio n into netns staN with its address, wpa_supplicant started on wlanN."""
    ns = f"sta{n}"
    return f"""
cat > /run/sta{n}.conf <<'CONF'
{wpa_conf(psk=psk, freq=freq)}CONF
ip netns add {ns}
iw phy "$(cat /sys/class/net/wlan{n}/phy80211/name)" set netns name {ns}
ip -n {ns} link set lo up
ip -n {ns} addr add {sta_ip(n)}/24 dev wlan{n}
t0_{n}=$(date +%s%N)
ip netns exec {ns} wpa_supplicant -B -t -i wlan{n} -c /run/sta{n}.conf -P /run/wpa{n}.pid \\
  -f {RESULTS_DIR}/wpa_supplicant{n}.log
"""


def await_sta(n: int, *, until: str | None = None) -> str:
    """Shell: wait (never failing the job) until station n is COMPLETED or the shell condition
    `until` holds; writes assoc_N_ms (milliseconds since its launch) and status_N.txt."""
    wpa = f"ip netns exec sta{n} wpa_cli -p /run/wpa_supplicant -i wlan{n}"
    until = until or f"{wpa} status | grep -q wpa_state=COMPLETED"
    return f"""
wait_for 90 sh -c {shlex.quote(until)} || true
echo $(( ($(date +%s%N) - t0_{n}) / 1000000 )) > {RESULTS_DIR}/assoc_{n}_ms
{wpa} status > {RESULTS_DIR}/status_{n}.txt
"""


def start_sta(n: int, psk: str | None = None, *, until: str | None = None, freq: int = 2412) -> str:
    """Shell: launch station n and wait for it (see launch_sta, await_sta)."""
    return launch_sta(n, psk, freq=freq) + await_sta(n, until=until)


def ping(n: int, *, count: int = 5, interval: float = 0.2, name: str | None = None) -> str:
    """Shell: station n pings the AP; output in ping_N.txt (never fails the job: the test reads it)."""
    out = f"{RESULTS_DIR}/{name or f'ping_{n}.txt'}"
    return (f"ip netns exec sta{n} ping -c {count} -i {interval} -W 2 {AP_IP} > {out} 2>&1 || true\n")


def capture_start(name: str = "air.pcap") -> str:
    """Shell: dumpcap on hwsim0, where mac80211_hwsim copies every frame any radio sends
    (radiotap, classic pcap into $RESULTS/name); waited for until it captures."""
    return f"""
ip link set hwsim0 up
dumpcap -i hwsim0 -P -q -w {RESULTS_DIR}/{name} 2> {RESULTS_DIR}/dumpcap.log &
dumpcap_pid=$!
wait_for 60 grep -q Capturing {RESULTS_DIR}/dumpcap.log
"""


def capture_stop() -> str:
    """Shell: stop dumpcap so it flushes the file."""
    return "kill -INT $dumpcap_pid\nwait $dumpcap_pid || true\n"


def ap_stations() -> str:
    """Shell: hostapd's view of its stations into ap_stations.txt."""
    return f"hostapd_cli -p /run/hostapd -i wlan0 all_sta > {RESULTS_DIR}/ap_stations.txt\n"


def hwsimctl(*args: str) -> str:
    """Shell: the genl radio tool, run with the venv's python (its path resolves inside the chroot;
    -S: the tool sets up its own imports, see hwsimctl._lean_imports)."""
    return " ".join(shlex.quote(str(a)) for a in (VENV_PYTHON, "-S", HWSIMCTL, *args))


def wrong_key_seen(n: int) -> str:
    """Shell condition: station n's supplicant gave up on the network for a wrong key."""
    return f"grep -q WRONG_KEY {RESULTS_DIR}/wpa_supplicant{n}.log"


def association(psk: str | None = None, *, stations: int = 1, before_ap: str = "", mode: str = "g") -> str:
    """A whole job: AP (PHY_MODES[mode]), `stations` stations associated, each pinging the AP."""
    parts = [before_ap, start_ap(psk, mode=mode)]
    # All supplicants start before any is waited for: they associate in parallel.
    parts += [launch_sta(n, psk, freq=MODE_FREQ[mode]) for n in range(1, stations + 1)]
    parts += [await_sta(n) for n in range(1, stations + 1)]
    parts += [ping(n) for n in range(1, stations + 1)]
    parts.append(ap_stations())
    return "".join(parts)
