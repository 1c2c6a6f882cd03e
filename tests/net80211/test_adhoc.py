"""IBSS and AHDEMO over the hwsim medium: convergence, merge, TSF, data."""

from __future__ import annotations

import errno

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ic import MS, SEC, RxInfo, Scheduler, State
from net80211.driver import open_driver

H = b"\x08\x00"


def ibss(n: int, *, mode: str = "ibss", ssid: str = "adhoc", channel: int = 6, seed: int = 0, **kw):
    s = Scheduler()
    d = open_driver("hwsim", s, radios=n, seed=seed)
    vaps = []
    for i, r in enumerate(d.devices):
        v = r.create_vap(f"wlan{i}", mode, ssid=ssid, channel=channel, **kw)
        vaps.append(v)
    return s, d, vaps


def eth(dst: bytes, src: bytes, payload: bytes = b"ping" * 10) -> bytes:
    return dst + src + H + payload


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_five_node_ibss_converges_on_one_bssid_and_carries_data(seed):
    s, d, vaps = ibss(5, seed=seed)
    for v in vaps:
        v.up()
    s.run_for(2 * SEC)
    assert all(v.state == State.RUN for v in vaps)
    bssids = {v.bssid for v in vaps}
    assert len(bssids) == 1
    (bssid,) = bssids
    assert bssid[0] & 0x02 and not bssid[0] & 0x01  # locally administered, unicast
    # The TSFs agree to within a beacon's airtime.
    tsfs = [v.ic.tsf_us for v in vaps]
    assert max(tsfs) - min(tsfs) < 2000
    # One beacon per interval in the whole IBSS once settled: the others defer.
    before = d.medium.counters["frames"]
    s.run_for(1024 * MS)
    assert d.medium.counters["frames"] - before <= 10 + 2  # 10 TBTTs, rare backoff ties
    assert sum(r.stats["beacons_deferred"] for r in d.devices) > 0
    # Unicast between any two peers, both ways, and a broadcast reaching all.
    a, b = vaps[0], vaps[4]
    assert a.netdev.send(eth(b.macaddr, a.macaddr))
    assert b.netdev.send(eth(a.macaddr, b.macaddr, b"pong"))
    s.run_for(10 * MS)
    assert b.netdev.recv() == eth(b.macaddr, a.macaddr)
    assert a.netdev.recv() == eth(a.macaddr, b.macaddr, b"pong")
    assert vaps[2].netdev.send(eth(b"\xff" * 6, vaps[2].macaddr, b"bcast"))
    s.run_for(10 * MS)
    for v in vaps:
        if v is not vaps[2]:
            assert v.netdev.recv() == eth(b"\xff" * 6, vaps[2].macaddr, b"bcast")
    # Peers are nodes of each vap.
    from net80211.node import NodeTable

    assert {n.macaddr for n in NodeTable.of(a.ic).nodes(a)} == {v.macaddr for v in vaps[1:]}


def test_later_node_joins_existing_ibss_adopting_bssid_and_tsf():
    s, d, vaps = ibss(3)
    vaps[0].up()
    vaps[1].up()
    s.run_for(1 * SEC)
    bssid = vaps[0].bssid
    assert vaps[1].bssid == bssid
    vaps[2].up()
    s.run_for(200 * MS)
    assert vaps[2].state == State.RUN and vaps[2].bssid == bssid
    assert vaps[2].adhoc_stats["joined"] == 1 and vaps[2].adhoc_stats["created"] == 0
    assert abs(vaps[2].ic.tsf_us - vaps[0].ic.tsf_us) < 2000


def test_two_ibsses_with_same_ssid_merge_into_the_older():
    s, d, vaps = ibss(4)
    a = vaps[:2]
    b = vaps[2:]
    # Two islands that cannot hear each other (medium groups), B started later.
    for v in a:
        v.ic.port.group = 0x1
    for v in b:
        v.ic.port.group = 0x2
    for v in a:
        v.up()
    s.run_for(1 * SEC)
    for v in b:
        v.up()
    s.run_for(1 * SEC)
    ba, bb = a[0].bssid, b[0].bssid
    assert {v.bssid for v in a} == {ba} and {v.bssid for v in b} == {bb} and ba != bb
    assert a[0].ic.tsf_us > b[0].ic.tsf_us  # A is older
    merges = [v.adhoc_stats["merges"] for v in vaps]
    for v in vaps:
        v.ic.port.group = 0x3  # they meet
    s.run_for(1 * SEC)
    assert {v.bssid for v in vaps} == {ba}
    after = [v.adhoc_stats["merges"] - m for v, m in zip(vaps, merges, strict=True)]
    assert after[:2] == [0, 0] and all(n >= 1 for n in after[2:])
    assert all(v.state == State.RUN for v in vaps)
    # Data flows across the former islands.
    assert a[0].netdev.send(eth(b[1].macaddr, a[0].macaddr))
    s.run_for(10 * MS)
    assert b[1].netdev.recv() == eth(b[1].macaddr, a[0].macaddr)


def test_ibss_answers_probe_requests_for_its_ssid():
    s, d, vaps = ibss(2)
    vaps[0].up()
    s.run_for(500 * MS)
    sta = d.devices[1].create_vap("mon1", "monitor", channel=6)
    sta.up()
    s.run_for(10 * MS)
    from net80211.beacon import DEFAULT_RATES
    from net80211.wire.ie import SSID, IEList, rates_ies
    from net80211.wire.mgmt import MgmtFrame, ProbeReq

    for ssid, answered in ((b"adhoc", 1), (b"", 1), (b"other", 0)):
        before = vaps[0].adhoc_stats["tx_probe_resp"]
        req = MgmtFrame(ProbeReq(IEList([SSID(ssid), *rates_ies(DEFAULT_RATES)])), b"\xff" * 6,
                        sta.macaddr, b"\xff" * 6)
        sta.inject(req.to_bytes())
        s.run_for(5 * MS)
        assert vaps[0].adhoc_stats["tx_probe_resp"] - before == answered


def test_ahdemo_sends_data_without_beacons_or_probes():
    s, d, vaps = ibss(3, mode="ahdemo")
    for v in vaps:
        v.up()
    s.run_for(1 * SEC)
    assert all(v.state == State.RUN and v.bssid == bytes(6) for v in vaps)
    assert d.medium.counters["frames"] == 0  # no beacons, no probe requests
    a, b, c = vaps
    assert a.netdev.send(eth(b.macaddr, a.macaddr))
    assert c.netdev.send(eth(b"\xff" * 6, c.macaddr, b"all"))
    s.run_for(10 * MS)
    assert b.netdev.recv() == eth(b.macaddr, a.macaddr)
    assert a.netdev.recv() == eth(b"\xff" * 6, c.macaddr, b"all")
    assert b.netdev.recv() == eth(b"\xff" * 6, c.macaddr, b"all")
    assert d.medium.counters["frames"] == 2


def test_ahdemo_with_configured_bssid_ignores_other_bssids():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=3)
    bss = bytes.fromhex("02aabbccddee")
    a = d.devices[0].create_vap("a", "ahdemo", channel=1, bssid=bss)
    b = d.devices[1].create_vap("b", "ahdemo", channel=1, bssid=bss)
    c = d.devices[2].create_vap("c", "ahdemo", channel=1)
    for v in (a, b, c):
        v.up()
    s.run_for(100 * MS)
    assert a.bssid == bss and c.bssid == bytes(6)
    a.netdev.send(eth(b"\xff" * 6, a.macaddr))
    a.netdev.send(eth(c.macaddr, a.macaddr))
    s.run_for(10 * MS)
    assert b.netdev.recv() == eth(b"\xff" * 6, a.macaddr)
    assert c.netdev.recv() is None  # wrong BSS, even unicast to it
    assert c.adhoc_stats["rx_wrong_bss"] == 1


def test_ibss_data_before_run_and_non_ethernet_are_dropped():
    s, d, vaps = ibss(2)
    a, b = vaps
    assert not a.netdev.send(eth(b.macaddr, a.macaddr))
    a.up()
    b.up()
    s.run_for(1 * SEC)
    before = a.stats.tx_dropped
    assert not a.netdev.send(b.macaddr + a.macaddr + b"\x00\x10" + b"802.3 length")
    assert not a.netdev.send(b"short")
    assert a.stats.tx_dropped == before + 2


def test_ibss_down_and_up_again_rejoins():
    s, d, vaps = ibss(3)
    for v in vaps:
        v.up()
    s.run_for(1 * SEC)
    bssid = vaps[0].bssid
    vaps[1].down()
    s.run_for(100 * MS)
    assert vaps[1].state == State.INIT and vaps[1].bssid is None
    vaps[1].up()
    s.run_for(500 * MS)
    assert vaps[1].state == State.RUN and vaps[1].bssid == bssid


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([0x80, 0x50, 0x40, 0x08, 0x88, 0x48, 0xB0, 0xD4]),
                          st.integers(0, 3), st.binary(max_size=80)), max_size=10))
def test_fuzzed_frames_never_crash_ibss_or_ahdemo(frames):
    s, d, vaps = ibss(2)
    ah = d.add_device().create_vap("ah", "ahdemo", channel=6)
    for v in (*vaps, ah):
        v.up()
    s.run_for(300 * MS)
    for me in (vaps[1], ah):
        for fc0, ds, body in frames:
            # Frames shaped like ours (our addresses and BSSID) with random bodies.
            for a1 in (me.macaddr, b"\xff" * 6):
                hdr = bytes([fc0, ds, 0, 0]) + a1 + vaps[0].macaddr + me.bssid + b"\x10\x00"
                me.ic._rx(hdr + body, RxInfo(s.now_ns, 2437, -40, 0, False))
    s.run_for(300 * MS)
    assert vaps[1].state == State.RUN and ah.state == State.RUN


def test_ibss_errors():
    s, d, vaps = ibss(1)
    with pytest.raises(OSError) as e:
        d.devices[0].create_vap("x", "ibss", ssid="y" * 40)
    assert e.value.errno == errno.EINVAL
