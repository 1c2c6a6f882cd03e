"""Dynamic WDS with a real association (FreeBSD's DWDS): a station with
`dwds` associates to an AP with `dwds`; the AP's device carries a dynamic
WDS vap bound to that station; bridged traffic flows as 4-address frames
both ways between the netdevs."""

from __future__ import annotations

import errno

import pytest

from ic import MS, SEC, Scheduler, State
from net80211.driver import open_driver
from net80211.modes.wds import WdsDaemon
from net80211.node import NodeTable
from net80211.wire.data import DataFrame

H1 = bytes.fromhex("0a0000000001")  # a host bridged behind the AP's WDS vap
H2 = bytes.fromhex("0a0000000002")  # a host bridged behind the station
BCAST = b"\xff" * 6


def eth(dst: bytes, src: bytes, payload: bytes = b"x" * 50) -> bytes:
    return dst + src + b"\x08\x00" + payload


def tap(radio):
    """Record the data frames `radio` hands to the medium."""
    sent: list[bytes] = []
    orig = radio.ic_transmit
    radio.ic_transmit = lambda vap, f: (sent.append(f), orig(vap, f))[1]
    return sent


def dwds_world(profile: str = "default"):
    s = Scheduler()
    d = open_driver(f"hwsim:{profile}", s, radios=2)
    ra, rb = d.devices
    # The policy's word on the mixes: the AP's radio carries hostap + wds;
    # the station's radio a station (a dynamic WDS vap there would have no
    # hostap to bind through; ath: no WDS while the device is in STA mode).
    assert str(ra.check_mix(["hostap", "wds"], [6, 6])).startswith("hostap + wds: allowed")
    assert str(rb.check_mix(["sta"])).startswith("sta: allowed")
    with pytest.raises(OSError) as e:
        rb.check_mix(["sta", "wds"])
    assert e.value.errno == errno.EBUSY and "(wds) refused by rule" in str(e.value)
    ap = ra.create_vap("ap0", "hostap", ssid="core", channel=6, dwds=True)
    sta = rb.create_vap("sta0", "sta", ssid="core", dwds=True)
    assert ap.dwds and sta.dwds
    ap.up()
    sta.up()
    assert s.run_until(lambda: sta.state == State.RUN, 3 * SEC)
    return s, d, ap, sta


@pytest.mark.parametrize("profile", ["default", "ath"])
def test_station_associates_and_bridged_traffic_flows_over_the_dynamic_wds_vap_both_ways(profile):
    s, d, ap, sta = dwds_world(profile=profile)
    ra, rb = d.devices
    node = NodeTable.of(ra).find(ap, sta.macaddr)
    assert node is not None and node.associated and node.aid == 1
    wds = ra.create_vap("wds0", "wds", bssid=sta.macaddr)  # dynamic: bound to the station
    wds.up()
    s.run_for(10 * MS)
    assert wds.state == State.RUN and wds.wds_node is node and wds.wds_ap is ap
    assert node.extra["wdsvap"] is wds
    up, down = tap(rb), tap(ra)
    # Up: from a host behind the station, 4-address (RA AP, TA station, DA, SA).
    assert sta.netdev.send(eth(H1, H2, b"up"))
    s.run_for(10 * MS)
    f = DataFrame.parse(up[-1])
    assert (f.to_ds, f.from_ds) == (True, True)
    assert (f.addr1, f.addr2, f.addr3, f.addr4) == (ap.macaddr, sta.macaddr, H1, H2)
    assert wds.netdev.recv() == eth(H1, H2, b"up")
    assert ap.netdev.recv() is None  # the AP's own interface does not see the link's traffic
    # Down: to the host behind the station, through the WDS vap.
    assert wds.netdev.send(eth(H2, H1, b"down"))
    s.run_for(10 * MS)
    f = DataFrame.parse(down[-1])
    assert (f.addr1, f.addr2, f.addr3, f.addr4) == (sta.macaddr, ap.macaddr, H2, H1)
    assert sta.netdev.recv() == eth(H2, H1, b"down")
    # The station's own traffic stays 3-address and reaches the AP's interface.
    assert sta.netdev.send(eth(ap.macaddr, sta.macaddr, b"own"))
    s.run_for(10 * MS)
    assert DataFrame.parse(up[-1]).addr4 is None
    assert ap.netdev.recv() == eth(ap.macaddr, sta.macaddr, b"own")
    assert wds.netdev.recv() is None
    # Group frames of the AP reach the DWDS station once: the 4-address copy
    # on its link (the 3-address broadcast is not for it); the WDS vap itself
    # sends none.
    assert ap.netdev.send(eth(BCAST, H1, b"all"))
    s.run_for(10 * MS)
    assert sta.netdev.recv() == eth(BCAST, H1, b"all")
    assert sta.netdev.recv() is None
    assert not wds.netdev.send(eth(BCAST, H1, b"no"))
    assert wds.wds_stats["dwds_mcast"] == 1
    assert wds.stats.rx_packets == 1 and wds.stats.tx_packets == 2  # one unicast, one group copy
    # The station leaves: its node goes, so does the binding.
    sta.down()
    s.run_for(50 * MS)
    assert NodeTable.of(ra).find(ap, sta.macaddr) is None
    assert not wds.netdev.send(eth(H2, H1))
    assert wds.wds_node is None


def test_wlanwds_daemon_creates_the_wds_vap_on_discovery_and_replays_held_frames():
    s, d, ap, sta = dwds_world()
    ra = d.devices[0]
    made = []
    daemon = WdsDaemon(ap, on_create=made.append)
    # A 4-address frame before any WDS vap exists: held, and discovered.
    assert sta.netdev.send(eth(H1, H2, b"first"))
    assert sta.netdev.send(eth(H1, H2, b"second"))
    s.run_for(20 * MS)
    assert ra.stats["dwds_discover"] == 2 and daemon.created == 1
    (wds,) = made
    assert wds.opmode.word == "wds" and wds.des_bssid == sta.macaddr and wds.state == State.RUN
    assert wds.wds_node is NodeTable.of(ra).find(ap, sta.macaddr)
    # The held frames came up the new vap, in order.
    assert wds.netdev.recv() == eth(H1, H2, b"first")
    assert wds.netdev.recv() == eth(H1, H2, b"second")
    assert wds.wds_stats["held_delivered"] == 2
    assert ap.netdev.recv() is None
    assert wds.netdev.send(eth(H2, H1, b"reply"))
    s.run_for(10 * MS)
    assert sta.netdev.recv() == eth(H2, H1, b"reply")
    # Later frames go straight to the bound vap; no more discoveries.
    assert sta.netdev.send(eth(H1, H2, b"third"))
    s.run_for(10 * MS)
    assert wds.netdev.recv() == eth(H1, H2, b"third") and ra.stats["dwds_discover"] == 2
    # The station leaves: the daemon reaps the vap.
    sta.down()
    assert s.run_until(lambda: daemon.destroyed == 1, 2 * SEC)
    assert wds not in ra.vaps and "wds0" not in ra.names
    daemon.close()


def test_held_frames_age_out_and_without_dwds_4address_data_is_dropped():
    s, d, ap, sta = dwds_world()
    ra = d.devices[0]
    assert sta.netdev.send(eth(H1, H2, b"old"))
    s.run_for(5 * SEC)  # longer than four listen intervals
    wds = ra.create_vap("wds0", "wds", bssid=sta.macaddr)
    wds.up()
    s.run_for(10 * MS)
    assert wds.wds_stats["held_expired"] == 1 and wds.netdev.recv() is None
    # dwds off on both ends: the station sends 3-address frames (its own
    # address as source), the AP drops 4-address ones.
    sta.set_dwds(False)
    ap.set_dwds(False)
    assert sta.netdev.send(eth(H1, H2, b"plain"))
    s.run_for(10 * MS)
    assert wds.netdev.recv() is None
    got = ap.netdev.recv()
    assert got is not None and got[:12] == H1 + sta.macaddr  # rewritten: no 4th address without dwds
    dropped = sta.stats.rx_dropped
    assert wds.netdev.send(eth(H2, H1, b"x"))  # the link still sends 4-address frames...
    s.run_for(10 * MS)
    assert sta.netdev.recv() is None and sta.stats.rx_dropped == dropped + 1  # ...a plain STA drops them


def test_dwds_only_for_ap_and_station_vaps_on_wds_capable_devices():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=1)
    r = d.devices[0]
    with pytest.raises(OSError) as e:
        r.create_vap("ibss0", "ibss", ssid="x", dwds=True)
    assert e.value.errno == errno.EINVAL and "ibss0" not in r.names and not r.vaps
    single = d.add_device(profile="single")
    with pytest.raises(OSError) as e:
        single.create_vap("sta9", "sta", dwds=True)
    assert e.value.errno == errno.EOPNOTSUPP and not single.vaps
    sta = single.create_vap("sta9", "sta")
    with pytest.raises(OSError) as e:
        sta.set_dwds(True)
    assert e.value.errno == errno.EOPNOTSUPP and not sta.dwds
