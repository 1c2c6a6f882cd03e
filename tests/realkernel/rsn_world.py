"""A protected project world for the real-kernel RSN test: run inside the VM with the venv's python.

    rsn_world.py SOCKET OUTDIR PASSPHRASE

Five hwsim radios numbered from 100, served to hwsim-mediumd on SOCKET:

    wlan100  STA     wpa2-psk  joins the real hostapd's WPA2-PSK network
    wlan101  HOSTAP  wpa2-psk  for a real wpa_supplicant
    wlan102  STA     wpa3-sae  joins the real hostapd's SAE network (PMF required)
    wlan103  HOSTAP  wpa3-sae  for a real wpa_supplicant (PMF required)
    wlan104  STA     wpa2-psk  the real WPA2-PSK network with a wrong passphrase

Each network vap but the last has a tiny IPv4 host that answers pings (the
VM adds static neighbour entries: the host does no ARP).  The APs start
once the medium is registered, the stations when the job creates
OUTDIR/go_sta (the two good ones) and OUTDIR/go_wrong.  The world prints
`serving` once the socket listens; it writes OUTDIR/NAME_completed when a
station's 4-way handshake completes and OUTDIR/wrong_failed when the wrong
passphrase's attempt has failed.  On SIGTERM it writes OUTDIR/world.json:
every vap's state and security description, the hosts' counters and the
wrong station's attempts and failure on the scheduler's clock.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from world_common import World

from ic import MS, State, mac_str
from net80211.modes.sta import FAIL_BACKOFF_NS
from net80211.scenario.traffic import Host

PSK_SSID, SAE_SSID = "net80211-vm-psk", "net80211-vm-sae"  # the real hostapd's networks
OUR_PSK_SSID, OUR_SAE_SSID = "net80211-proj-psk", "net80211-proj-sae"
WRONG = "not the passphrase"
# the project side's addresses (the job's ping targets)
BMISS_THRESHOLD = 50  # beacon intervals: 5 s
IPS = {"sta_psk": "10.80.0.50", "ap_psk": "10.80.1.1", "sta_sae": "10.80.2.50", "ap_sae": "10.80.3.1"}


def _ip(text: str) -> bytes:
    return bytes(int(x) for x in text.split("."))


def main(sock: str, out: str, passphrase: str) -> int:
    world = World(sock, radios=5)
    s, drv = world.sched, world.drv
    r = drv.devices
    # the stations scan channel 1 only, as the real ones do (scan_freq=2412): a scan of every
    # channel under the emulated CPU takes tens of seconds to catch the real AP's beacon
    vaps = {
        "sta_psk": r[0].create_vap("wlan100", "sta", ssid=PSK_SSID, channel=1, security="wpa2-psk",
                                   passphrase=passphrase),
        "ap_psk": r[1].create_vap("wlan101", "hostap", ssid=OUR_PSK_SSID, channel=1, security="wpa2-psk",
                                  passphrase=passphrase),
        "sta_sae": r[2].create_vap("wlan102", "sta", ssid=SAE_SSID, channel=1, security="wpa3-sae",
                                   passphrase=passphrase),
        "ap_sae": r[3].create_vap("wlan103", "hostap", ssid=OUR_SAE_SSID, channel=1, security="wpa3-sae",
                                  passphrase=passphrase),
        "sta_wrong": r[4].create_vap("wlan104", "sta", ssid=PSK_SSID, channel=1, security="wpa2-psk",
                                     passphrase=WRONG),
    }
    hosts = {name: Host(s, vaps[name], _ip(ip)) for name, ip in IPS.items()}
    with open(f"{out}/addrs", "w") as f:
        f.writelines(f"{name}={mac_str(v.macaddr)}\n" for name, v in vaps.items())
    registered = world.serve()
    # the APs first; the stations when the job says (OUTDIR/go_sta, OUTDIR/go_wrong): the real
    # stations' scans, a few tens of milliseconds a channel, then have the emulated CPU to themselves
    stas = {"go_sta": [vaps["sta_psk"], vaps["sta_sae"]], "go_wrong": [vaps["sta_wrong"]]}
    for name in ("ap_psk", "ap_sae"):
        vaps[name].up()
    for v in (vaps["sta_psk"], vaps["sta_sae"], vaps["sta_wrong"]):
        assert v.sta is not None
        # the emulated CPU under load stalls longer than 7 beacon intervals now and then
        v.sta.bmiss_threshold = BMISS_THRESHOLD
    done: set[str] = set()
    joined: dict[str, Any] = {}
    wrong = vaps["sta_wrong"]
    # the wrong station's attempts (leaving SCAN) and failures, on the scheduler's clock (ns)
    attempts: list[int] = []
    failures: list[int] = []
    last_state = wrong.state
    seen = {name: (v.state, v.rsn.state if v.rsn is not None else "") for name, v in vaps.items()}
    while not world.stop:
        s.run_for(100 * MS)
        for go, group in list(stas.items()):
            if os.path.exists(f"{out}/{go}"):
                del stas[go]
                for v in group:
                    v.up()
        for name, v in vaps.items():  # every change of state, for the report of a failed run
            now = (v.state, v.rsn.state if v.rsn is not None else "")
            if now != seen[name]:
                seen[name] = now
                print(f"{s.now_ns / 1e9:.1f} s {name}: {now[0].name} {now[1]}", flush=True)
        for name in ("sta_psk", "sta_sae"):
            rsn = vaps[name].rsn
            if name not in done and vaps[name].state == State.RUN and rsn is not None \
                    and rsn.state == "completed":
                done.add(name)
                # what the test checks, as it was then (later load may cost a beacon miss)
                joined[name] = {"state": vaps[name].state.name, "bssid": mac_str(vaps[name].bssid),
                                "security": vaps[name].describe().get("security")}
                print(f"{name} completed with {mac_str(vaps[name].bssid)} at {s.now_ns / 1e9:.1f} s",
                      flush=True)
                open(f"{out}/{name}_completed", "w").close()
        for name in ("ap_psk", "ap_sae"):  # each station's first completed handshake, as it was then
            for st_ in vaps[name].stations():
                key = f"{name} {st_['macaddr']}"
                if key not in joined and st_.get("rsn", {}).get("port_open"):
                    joined[key] = st_
        if wrong.state != last_state:
            if last_state < State.AUTH <= wrong.state:  # an attempt (AUTH may pass between two looks)
                attempts.append(s.now_ns)
            last_state = wrong.state
        rsn = wrong.rsn
        if rsn is not None and rsn.state == "failed" and len(failures) < rsn.auth_failures:
            failures.append(s.now_ns)
            print(f"sta_wrong failed at {s.now_ns / 1e9:.1f} s: {rsn.last_failure}", flush=True)
            open(f"{out}/wrong_failed", "w").close()
    st = wrong.sta
    held = {mac_str(b): t + FAIL_BACKOFF_NS for b, t in st.fails.items()} if st is not None else {}
    result: dict[str, Any] = {
        "registered": registered, "now_ns": s.now_ns,
        "vaps": {name: {"state": v.state.name, "bssid": mac_str(v.bssid) if v.bssid else None,
                        "security": v.describe().get("security"),
                        "stations": v.stations() if name.startswith("ap") else []}
                 for name, v in vaps.items()},
        "joined": joined, "hosts": {k: h.stats for k, h in hosts.items()},
        "wrong": {"attempts_ns": attempts, "failures_ns": failures, "held_until_ns": held},
        "counters": drv.counters(),
    }
    return world.finish(out, result)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
