"""The project side of the Wi-Fi Direct interop VM test: run inside the VM
with the venv's python.

    mixed_p2p_world.py SOCKET OUTDIR

One hwsim radio (number 100) with a P2P device, served to hwsim-mediumd on
SOCKET.  It prints `serving`, starts searching once the daemon registered,
and when OUTDIR/connect appears (the real peer's P2P device address, written
by the job) authorizes it, `P2P_CONNECT <peer> pbc auth go_intent=0`, and
writes OUTDIR/authorized; the real device then connects: GO negotiation
(the real device initiates: a VM's emulated CPU answers too slowly to be
the responder reliably), WPS as the enrollee of the real GO's registrar,
the 4-way handshake.  Its events go to OUTDIR/p2p_events;
the client vap gets a tiny IPv4 host at 10.80.2.2 answering pings; on
SIGTERM it writes OUTDIR/world.json.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from ic import MS, OpMode, Scheduler, mac_str, parse_mac
from net80211.driver import open_driver
from net80211.p2p.device import P2PDevice
from net80211.scenario.traffic import Host

CLIENT_IP = bytes((10, 80, 2, 2))


def main(sock: str, out: str) -> int:
    s = Scheduler(realtime=True)
    drv = open_driver("hwsim", s, radios=1, first_radio=100, medium_socket=sock)
    (radio,) = drv.devices

    def on_event(text: str) -> None:
        with open(f"{out}/p2p_events", "a") as f:  # the job waits on it
            f.write(text + "\n")

    # a long search dwell: the VM's emulated CPU takes tens of milliseconds to answer a probe
    p2p = P2PDevice(radio.create_vap("p2p100", OpMode.P2P_DEVICE), device_name="net80211-p2p",
                    listen_channel=1, search_dwell_ms=200, on_event=on_event)
    with open(f"{out}/addrs", "w") as f:
        f.write(f"p2p={mac_str(p2p.address)}\nintf={mac_str(p2p.intf_addr)}\n")
    print("serving", sock, flush=True)
    ext = drv.medium.external
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda *a: (stop.append(1), s.stop()))
    while not ext.registered and not stop:
        s.poll_io(0.2)
    print("registered" if ext.registered else "no medium registered", flush=True)
    p2p.start()
    p2p.find()
    connected = False
    host: Host | None = None
    why = ""
    while not stop:
        s.run_for(100 * MS)
        if not connected and os.path.exists(f"{out}/connect"):
            with open(f"{out}/connect") as f:
                peer = parse_mac(f.read().strip())
            if peer in p2p.peers:
                connected = True
                try:
                    p2p.connect(peer, "pbc", go_intent=0, auth=True)
                    open(f"{out}/authorized", "w").close()
                    print("authorized", mac_str(peer), flush=True)
                except OSError as e:
                    why = str(e)
                    print("connect failed:", e, flush=True)
        if host is None:
            g = next((g for g in p2p.groups.values() if g.up and g.vap is not None), None)
            if g is not None and g.vap is not None:
                host = Host(s, g.vap, CLIENT_IP)
                print("group up:", g, flush=True)
    groups = list(p2p.groups.values())
    g = groups[0] if groups else None
    result: dict[str, Any] = {
        "events": p2p.events, "connect_error": why,
        "group": None if g is None else {
            "role": g.role, "ssid": g.ssid.decode(errors="replace"), "freq": g.chan.freq,
            "passphrase": g.passphrase, "up": g.up,
            "rsn": g.vap.describe()["security"] if g.vap is not None else None,
            "wps_drops": dict(g.wps.machine.drops) if getattr(g.wps, "machine", None) else {}},
        "host": host.stats if host is not None else None,
        "counters": drv.counters(),
    }
    with open(f"{out}/world.json", "w") as f:
        json.dump(result, f, indent=1, default=str)
    drv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
