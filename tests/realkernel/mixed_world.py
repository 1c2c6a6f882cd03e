"""A project world for the mixed-medium VM test: run inside the VM with the venv's python.

    mixed_world.py SOCKET OUTDIR CAPDIR

Four hwsim radios numbered from 100 (so their addresses are not the
kernel's), served to hwsim-mediumd on SOCKET: a STA vap for the real
hostapd's network, a HOSTAP vap for the real wpa_supplicant, a monitor vap
capturing the channel, and a P2P device finding (P2P_FIND) from the
start.  Each network vap has a tiny IPv4 host that answers pings (the VM
adds static neighbour entries: the host does no ARP).  It
prints `serving` once the socket listens, writes OUTDIR/sta_run when the
STA reaches RUN, and on SIGTERM writes OUTDIR/world.json and the
monitor's capture CAPDIR/project_mon.pcap (a directory of ours: capture
files are created only there).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from typing import Any

from ic import MS, OpMode, Scheduler, State, mac_str
from net80211.driver import open_driver
from net80211.p2p.device import P2PDevice
from net80211.scenario.traffic import Host

REAL_SSID = "net80211-vm"  # the real hostapd's network (tests/support/realkernel/wifi.py)
OUR_SSID = "net80211-proj"
STA_IP = bytes((10, 80, 0, 50))
AP_IP = bytes((10, 80, 1, 1))


def main(sock: str, out: str, capdir: str) -> int:
    s = Scheduler(realtime=True)
    drv = open_driver("hwsim", s, radios=4, first_radio=100, medium_socket=sock)
    r_sta, r_ap, r_mon, r_p2p = drv.devices
    sta = r_sta.create_vap("wlan100", "sta", ssid=REAL_SSID)
    ap = r_ap.create_vap("wlan101", "hostap", ssid=OUR_SSID, channel=1)
    mon = r_mon.create_vap("mon102", "monitor", channel=1)
    # a long search dwell: the VM's emulated CPU takes tens of milliseconds to answer a probe
    def p2p_event(text: str) -> None:
        with open(f"{out}/p2p_events", "a") as f:  # the job waits on it
            f.write(text + "\n")

    p2p = P2PDevice(r_p2p.create_vap("p2p103", OpMode.P2P_DEVICE), device_name="net80211-p2p",
                    listen_channel=1, search_dwell_ms=200, on_event=p2p_event)
    hosts = {"sta": Host(s, sta, STA_IP), "ap": Host(s, ap, AP_IP)}
    # what the P2P device's radio heard, by sender, kind and channel: why discovery failed, if it did
    heard: dict[str, int] = {}
    rx = r_p2p.port.rx

    def p2p_rx(frame: bytes, info: Any) -> None:
        if len(frame) >= 16:
            key = f"{mac_str(frame[10:16])} {frame[0]:#04x} {info.freq}"
            heard[key] = heard.get(key, 0) + 1
        rx(frame, info)

    r_p2p.port.rx = p2p_rx
    with open(f"{out}/addrs", "w") as f:
        f.write(f"sta={mac_str(sta.macaddr)}\nap={mac_str(ap.macaddr)}\np2p={mac_str(p2p.address)}\n")
    print("serving", sock, flush=True)
    ext = drv.medium.external
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda *a: (stop.append(1), s.stop()))
    # set-up: the vaps start once the daemon is the medium, not on the built-in one
    while not ext.registered and not stop:
        s.poll_io(0.2)
    registered = ext.registered
    print("registered" if registered else "no medium registered", flush=True)
    mon.capture(f"{capdir}/project_mon.pcap")
    sta.up()
    ap.up()
    mon.up()
    p2p.start()
    p2p.find()  # searches the social channels, listens on channel 1 between
    t_run = None
    t0 = time.monotonic()
    while not stop:
        s.run_for(100 * MS)
        if t_run is None and sta.state == State.RUN:
            t_run = time.monotonic() - t0
            print(f"sta RUN with {mac_str(sta.bssid)} after {t_run:.1f} s", flush=True)
            open(f"{out}/sta_run", "w").close()
    frames = mon.stop_capture()
    result: dict[str, Any] = {
        "registered": registered, "sta_state": sta.state.name, "sta_bssid": mac_str(sta.bssid),
        "ap_stations": [mac_str(st["macaddr"]) if isinstance(st.get("macaddr"), bytes) else st.get("macaddr")
                        for st in ap.stations()],
        "hosts": {k: h.stats for k, h in hosts.items()}, "monitor_frames": frames,
        "counters": drv.counters(), "external": ext.registered,
        "p2p_found": [e for e in p2p.events if e.startswith("P2P-DEVICE-FOUND")],
        "p2p_heard": heard,
        "addrs": {"sta": mac_str(sta.macaddr), "ap": mac_str(ap.macaddr), "p2p": mac_str(p2p.address)},
    }
    with open(f"{out}/world.json", "w") as f:
        json.dump(result, f, indent=1, default=str)
    drv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
