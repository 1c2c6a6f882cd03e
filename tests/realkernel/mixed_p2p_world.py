"""The project side of the Wi-Fi Direct interop VM test: run inside the VM
with the venv's python.

    mixed_p2p_world.py SOCKET OUTDIR

One hwsim radio (number 100) with a P2P device, served to hwsim-mediumd on
SOCKET.  It prints `serving`, writes OUTDIR/addrs, and once the daemon
registered starts a P2P_FIND.  The job drives it as wpa_cli drives
wpa_supplicant: it writes OUTDIR/cmd.N (N = 1, 2, ...; written whole, by a
rename), one command line each, which the world runs in order, answering
OUTDIR/done.N with `OK` or `FAIL <why>`:

    connect <addr> pbc [auth] [go_intent=N]    P2P_CONNECT
    listen | find | stop_find                  P2P_LISTEN / P2P_FIND / P2P_STOP_FIND
    group_add                                  P2P_GROUP_ADD (an autonomous GO)
    wps_pbc                                    WPS_PBC on the GO's group interface
    group_remove                               P2P_GROUP_REMOVE of every group

Its events go to OUTDIR/p2p_events, one line each.  Each group's vap gets a
tiny IPv4 host at 10.80.2.2 answering pings while the group is up; on
SIGTERM it writes OUTDIR/world.json (events, every group it had, the hosts'
counters, the driver's counters).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from world_common import World, event_log

from ic import MS, OpMode, mac_str
from net80211.p2p.device import P2PDevice
from net80211.p2p.group import P2PGroup
from net80211.p2p.provision import GoWps
from net80211.scenario.traffic import Host

OUR_IP = bytes((10, 80, 2, 2))


def run_command(p2p: P2PDevice, line: str) -> str:
    """One command line, as wpa_cli's answer: OK, or FAIL and why."""
    words = line.split()
    if not words:
        return "FAIL empty command"
    cmd, args = words[0], words[1:]
    try:
        if cmd == "connect":
            opts = dict(a.split("=", 1) for a in args[2:] if "=" in a)
            p2p.connect(args[0], args[1], auth="auth" in args[2:],
                        go_intent=int(opts["go_intent"]) if "go_intent" in opts else None)
        elif cmd == "listen":
            p2p.listen()
        elif cmd == "find":
            p2p.find()
        elif cmd == "stop_find":
            p2p.stop_find()
        elif cmd == "group_add":
            if p2p.group_add() is None:
                return "FAIL no group"
        elif cmd == "wps_pbc":
            wps = next((g.wps for g in p2p.go_groups() if isinstance(g.wps, GoWps)), None)
            if wps is None or not wps.push_button():
                return "FAIL no GO or overlap"
        elif cmd == "group_remove":
            for g in list(p2p.groups.values()):
                g.remove("REQUESTED")
        else:
            return f"FAIL unknown command {cmd}"
    except (OSError, IndexError, KeyError, ValueError) as e:
        return f"FAIL {e}"
    return "OK"


def describe(g: P2PGroup) -> dict[str, Any]:
    return {"name": g.name, "role": g.role, "ssid": g.ssid.decode(errors="replace"), "freq": g.chan.freq,
            "passphrase": g.passphrase, "up": g.up, "removed": g.removed,
            "intf": mac_str(g.vap.macaddr) if g.vap is not None and g.vap.macaddr else None,
            "rsn": g.vap.describe().get("security") if g.vap is not None else None,
            "wps": {"successes": g.wps.successes, "failures": g.wps.failures}
            if isinstance(g.wps, GoWps) else None}


def main(sock: str, out: str) -> int:
    world = World(sock, radios=1)
    s, drv = world.sched, world.drv
    (radio,) = drv.devices
    # a long search dwell: the VM's emulated CPU takes tens of milliseconds to answer a probe;
    # a long group formation: WPS and the 4-way handshake with a starved VM take tens of seconds
    p2p = P2PDevice(radio.create_vap("p2p100", OpMode.P2P_DEVICE), device_name="net80211-p2p",
                    listen_channel=1, search_dwell_ms=200, formation_timeout_s=90,
                    on_event=event_log(f"{out}/p2p_events"))
    with open(f"{out}/addrs.tmp", "w") as f:
        f.write(f"p2p={mac_str(p2p.address)}\nintf={mac_str(p2p.intf_addr)}\n")
    os.rename(f"{out}/addrs.tmp", f"{out}/addrs")
    world.serve()
    p2p.start()
    p2p.find()
    seen: dict[str, dict[str, Any]] = {}
    hosts: dict[str, Host] = {}
    n = 1
    while not world.stop:
        s.run_for(100 * MS)
        path = f"{out}/cmd.{n}"
        if os.path.exists(path):
            with open(path) as f:
                line = f.read().strip()
            answer = run_command(p2p, line)
            print(f"cmd.{n}: {line} -> {answer}", flush=True)
            with open(f"{out}/done.{n}", "w") as f:
                f.write(answer + "\n")
            n += 1
        for g in p2p.groups.values():
            if g.vap is not None:
                seen[g.name] = describe(g)  # as it was last seen: a removed group has no vap
            if g.up and g.vap is not None and g.name not in hosts:
                hosts[g.name] = Host(s, g.vap, OUR_IP)
                print("group up:", g, flush=True)
    result: dict[str, Any] = {
        "addrs": {"p2p": mac_str(p2p.address), "intf": mac_str(p2p.intf_addr)},
        "events": p2p.events,
        "groups": seen,
        "hosts": {name: h.stats for name, h in hosts.items()},
        "counters": drv.counters(),
    }
    return world.finish(out, result)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
