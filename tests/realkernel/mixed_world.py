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

import sys
import time
from typing import Any

from world_common import World, event_log

from ic import MS, OpMode, State, mac_str
from net80211.p2p.device import P2PDevice
from net80211.scenario.traffic import Host

REAL_SSID = "net80211-vm"  # the real hostapd's network (tests/support/realkernel/wifi.py)
OUR_SSID = "net80211-proj"
STA_IP = bytes((10, 80, 0, 50))
AP_IP = bytes((10, 80, 1, 1))


def main(sock: str, out: str, capdir: str) -> int:
    world = World(sock, radios=4)
    s, drv = world.sched, world.drv
    r_sta, r_ap, r_mon, r_p2p = drv.devices
    sta = r_sta.create_vap("wlan100", "sta", ssid=REAL_SSID)
    ap = r_ap.create_vap("wlan101", "hostap", ssid=OUR_SSID, channel=1)
    mon = r_mon.create_vap("mon102", "monitor", channel=1)
    # a long search dwell: the VM's emulated CPU takes tens of milliseconds to answer a probe
    p2p = P2PDevice(r_p2p.create_vap("p2p103", OpMode.P2P_DEVICE), device_name="net80211-p2p",
                    listen_channel=1, search_dwell_ms=200, on_event=event_log(f"{out}/p2p_events"))
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
    registered = world.serve()
    mon.capture(f"{capdir}/project_mon.pcap")
    sta.up()
    ap.up()
    mon.up()
    p2p.start()
    p2p.find()  # searches the social channels, listens on channel 1 between
    t_run = None
    t0 = time.monotonic()
    while not world.stop:
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
        "counters": drv.counters(), "external": drv.medium.external.registered,
        "p2p_found": [e for e in p2p.events if e.startswith("P2P-DEVICE-FOUND")],
        "p2p_heard": heard,
        "addrs": {"sta": mac_str(sta.macaddr), "ap": mac_str(ap.macaddr), "p2p": mac_str(p2p.address)},
    }
    return world.finish(out, result)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
