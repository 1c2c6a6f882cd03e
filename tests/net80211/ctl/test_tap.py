"""TAP netdevs: real Linux interfaces made with pyroute2 (root only; CI runs them)."""

from __future__ import annotations

import errno
import os
import socket
import struct

import pytest
from conftest import require, require_root
from pyroute2 import IPRoute, netns

from ic import Scheduler, State
from net80211.host.tap import ALIAS_PREFIX, TapNetdev, remove_netns, remove_stale_tap

ETH_P_ALL = 0x0003
ETH_TEST = 0x88B5  # IEEE local experimental ethertype: nothing else sends it


@pytest.fixture(autouse=True)
def _root():
    require_root()
    require(os.path.exists("/dev/net/tun"), "/dev/net/tun is missing")


def uniq(tag: str) -> str:
    return f"{tag}{os.getpid() % 100000}"


class _Ic:
    def __init__(self, sched):
        self.sched = sched


class StubVap:
    """Just what a netdev uses of a vap: name, address, scheduler, state, transmit."""

    def __init__(self, name: str, mac: bytes, sched: Scheduler) -> None:
        self.name, self.macaddr, self.ic = name, mac, _Ic(sched)
        self.running, self.state = False, State.INIT
        self.sent: list[bytes] = []

    def transmit(self, eth: bytes) -> bool:
        self.sent.append(eth)
        return True


def link(ns: str | None, ifname: str):
    with (IPRoute(netns=ns) if ns else IPRoute()) as ipr:
        idx = ipr.link_lookup(ifname=ifname)
        return ipr.link("get", index=idx[0])[0] if idx else None


def packet_socket(ns: str, ifname: str) -> socket.socket:
    s = netns.create_socket(ns, family=socket.AF_PACKET, socket_type=socket.SOCK_RAW,
                            proto=socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.settimeout(10.0)  # upper bound against a hang
    return s


def test_tap_in_a_namespace_carries_frames_both_ways():
    ns, name = uniq("nst"), uniq("tp")
    mac = bytes.fromhex("020000aa0001")
    sched = Scheduler(realtime=True)
    vap = StubVap(name, mac, sched)
    assert ns not in netns.listnetns()
    nd = TapNetdev(vap, netns=ns)
    try:
        assert nd.created_netns and ns in netns.listnetns()
        ln = link(ns, name)
        assert ln is not None and ln.get("address") == "02:00:00:aa:00:01"
        assert ln.get("ifalias") == f"{ALIAS_PREFIX}{name}"
        assert ln.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_KIND") == "tun"
        assert link(None, name) is None  # not in our namespace
        assert ln.get("state") == "down" and not nd.admin_up
        # Admin state follows up/down, carrier follows RUN.
        vap.running = True
        nd.link_changed()
        assert nd.admin_up and not nd.carrier
        assert link(ns, name).get_attr("IFLA_CARRIER") == 0
        vap.state = State.RUN
        nd.link_changed()
        assert nd.carrier and link(ns, name).get_attr("IFLA_CARRIER") == 1
        ps = packet_socket(ns, name)
        try:
            # host -> vap: a frame the namespace sends comes out of the TAP into vap.transmit.
            out = b"\xff" * 6 + mac + struct.pack("!H", ETH_TEST) + b"host to vap".ljust(46, b".")
            ps.send(out)
            for _ in range(50):
                sched.poll_io(2.0)
                if any(f[12:14] == struct.pack("!H", ETH_TEST) for f in vap.sent):
                    break
            assert out in vap.sent and nd.host_frames >= 1
            # vap -> host: a delivered frame arrives in the namespace.
            back = b"\xff" * 6 + bytes.fromhex("020000bb0002") + struct.pack("!H", ETH_TEST) + b"x" * 46
            nd.deliver(back)
            for _ in range(50):
                got = ps.recv(2048)
                if got[12:14] == struct.pack("!H", ETH_TEST):
                    break
            assert got == back and nd.rx_delivered == 1
        finally:
            ps.close()
        vap.state, vap.running = State.INIT, False
        nd.link_changed()
        assert not nd.carrier and not nd.admin_up
    finally:
        nd.close()
        assert link(ns, name) is None  # removed on close
        remove_netns(ns)
    assert nd.describe()["kind"] == "tap"


def test_name_clash_is_eexist_and_leaves_nothing():
    ns, name = uniq("nsc"), uniq("tc")
    sched = Scheduler(realtime=True)
    a = TapNetdev(StubVap(name, bytes.fromhex("020000aa0002"), sched), netns=ns)
    try:
        with pytest.raises(OSError) as ei:
            TapNetdev(StubVap(name, bytes.fromhex("020000aa0003"), sched), netns=ns)
        assert ei.value.errno == errno.EEXIST
        # A clash in a namespace the netdev would have created removes that namespace again.
        ns2 = uniq("nsd")
        with pytest.raises(OSError) as ei:
            TapNetdev(StubVap("bad/name", bytes.fromhex("020000aa0004"), sched), netns=ns2)
        assert ei.value.errno == errno.EINVAL and ns2 not in netns.listnetns()
    finally:
        a.close()
        remove_netns(ns)
    with IPRoute() as ipr:
        assert not [x for x in ipr.get_links() if (x.get("ifalias") or "").startswith(ALIAS_PREFIX)
                    and x.get("ifname", "").startswith("n80211t")]


def test_remove_stale_tap_only_touches_ours():
    name = uniq("st")
    with IPRoute() as ipr:
        ipr.link("add", ifname=name, kind="tuntap", mode="tap")
        try:
            assert not remove_stale_tap(name)  # a TAP without our alias is someone else's
            idx = ipr.link_lookup(ifname=name)[0]
            ipr.link("set", index=idx, ifalias=f"{ALIAS_PREFIX}x")
            assert remove_stale_tap(name)
            assert not ipr.link_lookup(ifname=name)
        finally:
            if ipr.link_lookup(ifname=name):
                ipr.link("del", ifname=name)
    assert not remove_stale_tap(name, "no-such-ns-here")
