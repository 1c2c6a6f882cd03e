"""Issue 7 acceptance: an AP vap and a STA vap with TAP netdevs in their own
namespaces, run by the daemon's real-time scheduler; Ethernet frames and a
real `ping` cross the simulated medium."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess

import pytest
from conftest import require, require_root, require_tool
from pyroute2 import IPRoute, netns
from support.wlanctl import thread_daemon, wlanctl

from net80211.mode import Mode
from net80211.modes.adhoc import IbssMode
from net80211.modes.hostap import HostapMode
from net80211.modes.sta import StaMode

ETH_TEST = 0x88B5
CONFIG = """
[defaults]
netdev = "tap"

[[devices]]
driver = "hwsim"
radios = 2
"""


def uniq(tag: str) -> str:
    return f"{tag}{os.getpid() % 100000}"


@pytest.fixture(autouse=True)
def _needs():
    require_root()
    require(os.path.exists("/dev/net/tun"), "/dev/net/tun is missing")


# (first vap's mode, second vap's mode, the mode classes whose data path they need)
PAIRS = {"hostap-sta": ("hostap", "sta", (HostapMode, StaMode)),
         "ibss": ("adhoc", "adhoc", (IbssMode,))}


@pytest.fixture(params=sorted(PAIRS))
def bss(request, capsys):
    """First vap in netns `ap…`, second in netns `sta…`, both TAP, joined (an
    AP and its station, or two IBSS members)."""
    m1, m2, classes = PAIRS[request.param]
    if any(c.encap is Mode.encap for c in classes):
        pytest.xfail(f"the {request.param} data path (mode.encap/recv_data) is not implemented yet")
    ap_ns, sta_ns, ap, sta = uniq("ap"), uniq("sta"), uniq("wa"), uniq("ws")
    with thread_daemon(CONFIG) as d:
        def w(*words):
            return wlanctl(capsys, d.sock, *words)

        assert w(ap, "create", "wlandev", "hwsim0", "wlanmode", m1, "ssid", "e2e", "channel", "6",
                 "netdev", "tap", "netns", ap_ns, "up").rc == 0
        assert w(sta, "create", "wlandev", "hwsim1", "wlanmode", m2, "ssid", "e2e", "netns", sta_ns,
                 "up").rc == 0
        for _ in range(5000):  # the daemon runs in real time: ask until joined (bounded)
            v = json.loads(w(sta, "--json").out)["vap"]
            first = json.loads(w(ap, "--json").out)["vap"]
            if v["state"] == "RUN" and first["state"] == "RUN" and v["bssid"] == first["bssid"]:
                break
        assert v["state"] == "RUN" and v["netdev"]["carrier"] and v["bssid"] == first["bssid"]
        yield d, w, (ap, ap_ns), (sta, sta_ns)


def _packet_socket(ns: str, ifname: str) -> socket.socket:
    s = netns.create_socket(ns, family=socket.AF_PACKET, socket_type=socket.SOCK_RAW,
                            proto=socket.htons(0x0003))
    s.bind((ifname, 0))
    s.settimeout(10.0)  # upper bound against a hang
    return s


def test_frame_written_to_one_tap_is_read_from_the_other(bss):
    _d, w, (ap, ap_ns), (sta, sta_ns) = bss
    sta_mac = bytes.fromhex(json.loads(w(sta, "--json").out)["vap"]["macaddr"].replace(":", ""))
    ap_mac = bytes.fromhex(json.loads(w(ap, "--json").out)["vap"]["macaddr"].replace(":", ""))
    tx, rx = _packet_socket(ap_ns, ap), _packet_socket(sta_ns, sta)
    try:
        frame = sta_mac + ap_mac + struct.pack("!H", ETH_TEST) + b"through the medium".ljust(46, b"!")
        tx.send(frame)
        for _ in range(100):
            got = rx.recv(2048)
            if got[12:14] == struct.pack("!H", ETH_TEST):
                break
        assert got == frame
    finally:
        tx.close()
        rx.close()


def test_ping_between_namespaces(bss):
    ping = require_tool("ping")
    _d, w, (ap, ap_ns), (sta, sta_ns) = bss
    for ns, ifname, addr in ((ap_ns, ap, "10.0.0.1"), (sta_ns, sta, "10.0.0.2")):
        with IPRoute(netns=ns) as ipr:
            ipr.addr("add", index=ipr.link_lookup(ifname=ifname)[0], address=addr, prefixlen=24)
    shown = subprocess.run(["ip", "-n", ap_ns, "link", "show", ap], capture_output=True, text=True)
    assert shown.returncode == 0 and ap in shown.stdout
    r = subprocess.run(["ip", "netns", "exec", ap_ns, ping, "-c", "3", "-W", "5", "10.0.0.2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 received" in r.stdout
    assert w(ap, "destroy").rc == 0
    shown = subprocess.run(["ip", "-n", ap_ns, "link", "show", ap], capture_output=True, text=True)
    assert shown.returncode != 0  # gone after destroy
