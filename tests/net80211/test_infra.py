"""Node table, netdevs, data framing and the device input path's robustness."""

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.testdriver import TestCom

from ic import SEC
from net80211 import Scheduler, State
from net80211.input import input_all
from net80211.netdev import QueueNetdev, make_netdev, netdev_kinds, register_netdev_kind
from net80211.node import NodeTable
from net80211.output import data_frame, deliver, snap_body
from net80211.wire.data import DataFrame, build_ether, llc_snap_decap


class Rx:
    def __init__(self, signal=-40, freq=2437, time_ns=0):
        self.signal, self.freq, self.time_ns, self.rate_idx, self.retry = signal, freq, time_ns, 0, False


@pytest.fixture
def ic():
    return TestCom(Scheduler())


def test_node_table_per_vap(ic):
    a = ic.create_vap("wlan0", "hostap", ssid="x", channel=6)
    b = ic.create_vap("wlan1", "hostap", ssid="y", channel=6)
    tbl = NodeTable.of(ic)
    assert NodeTable.of(ic) is tbl and ic.nodes is tbl
    mac = bytes.fromhex("020000aa0001")
    n1 = tbl.add(a, mac, aid=1)
    n2 = tbl.add(b, mac)
    assert n1 is not n2 and tbl.find(a, mac) is n1 and tbl.find(b, mac) is n2 and n1.aid == 1
    assert tbl.add(a, mac) is n1 and len(tbl) == 2
    assert tbl.remove(n1) and not tbl.remove(n1) and tbl.find(a, mac) is None
    ic.destroy_vap(b)
    assert tbl.find(b, mac) is None and len(tbl) == 0


def test_node_duplicate_detection(ic):
    vap = ic.create_vap("wlan0", "sta")
    node = NodeTable.of(ic).add(vap, b"\x02" * 6)
    assert not node.is_dup(5, False)
    assert node.is_dup(5, True)  # retransmission of the last frame
    assert not node.is_dup(5, False)  # no Retry bit: a new frame with a wrapped number
    assert not node.is_dup(6, True)  # Retry, but a new number (the first copy was lost)
    assert not node.is_dup(6, True, tid=3)  # other TIDs have their own state


def test_every_vap_with_a_network_side_gets_a_queue_netdev(ic):
    sta = ic.create_vap("wlan0", "sta")
    assert isinstance(sta.netdev, QueueNetdev) and sta.netdev.macaddr == sta.macaddr
    p2p = ic.create_vap("wlan1", "p2p-device")
    assert p2p.netdev is None
    with pytest.raises(OSError) as ei:
        ic.create_vap("wlan2", "p2p-device", netdev="queue")
    assert ei.value.errno == errno.EINVAL and "wlan2" not in ic.names
    nd = sta.netdev
    ic.destroy_vap(sta)
    assert nd.closed


def test_unknown_netdev_kind_leaves_nothing(ic):
    with pytest.raises(OSError) as ei:
        ic.create_vap("wlan0", "sta", netdev="nosuch")
    assert ei.value.errno == errno.EINVAL and "nosuch" in str(ei.value)
    assert ic.vaps == [] and "wlan0" not in ic.names
    with pytest.raises(OSError):
        ic.create_vap("wlan0", "sta", netdev=5)


def test_registered_netdev_kind_gets_options_and_is_closed_on_failure(ic):
    made = []

    class Fake(QueueNetdev):
        kind = "fake"

        def __init__(self, vap, netns=None, **kw):
            super().__init__(vap, **kw)
            self.netns = netns
            made.append(self)

    register_netdev_kind("fake", Fake)
    assert "fake" in netdev_kinds()
    vap = ic.create_vap("wlan0", "hostap", netdev="fake", netns="ns1")
    assert vap.netdev.netns == "ns1" and type(vap.netdev) is Fake
    # a create refused after the netdev exists (a bad parameter) closes it
    with pytest.raises(OSError):
        ic.create_vap("wlan1", "hostap", netdev="fake", bintval=3)
    assert all(not m.closed for m in made[:1])
    with pytest.raises(OSError):
        make_netdev("fake", vap, bogus=1)


def test_queue_netdev_is_bounded_and_counts_drops(ic):
    vap = ic.create_vap("wlan0", "sta")
    nd = QueueNetdev(vap, maxlen=2)
    for i in range(3):
        nd.deliver(bytes([i]) * 20)
    assert len(nd.rx) == 2 and nd.rx_dropped == 1 and nd.recv() == bytes([0]) * 20
    got = []
    nd2 = QueueNetdev(vap, on_receive=got.append)
    nd2.deliver(b"x" * 20)
    assert got == [b"x" * 20] and not nd2.rx
    nd.close()
    assert nd.send(b"y" * 20) is False


def test_transmit_drops_when_not_running(ic):
    vap = ic.create_vap("wlan0", "hostap")
    eth = build_ether(b"\x02" * 6, vap.macaddr, 0x0800, b"hi")
    assert vap.netdev.send(eth) is False and vap.stats.tx_dropped == 1


def test_snap_and_data_framing_round_trip():
    eth = build_ether(b"\x02\x00\x00\x00\x00\x02", b"\x02\x00\x00\x00\x00\x01", 0x0800, b"payload")
    body = snap_body(eth)
    assert llc_snap_decap(body) == (0x0800, b"payload")
    ipx = snap_body(build_ether(b"\x02" * 6, b"\x04" * 6, 0x8137, b""))
    assert ipx[:6] == b"\xaa\xaa\x03\x00\x00\xf8"
    assert snap_body(b"\x00" * 12 + b"\x00\x40" + b"x") is None  # 802.3 length field
    assert snap_body(b"short") is None
    raw = data_frame(0x01, b"\x0a" * 6, b"\x0b" * 6, b"\x0c" * 6, 4095, body)
    f = DataFrame.parse(raw)
    assert f.to_ds and f.addr1 == b"\x0a" * 6 and f.seq == 4095 and f.payload == body
    raw4 = data_frame(0x03, b"\x0a" * 6, b"\x0b" * 6, b"\x0c" * 6, 1, body, a4=b"\x0d" * 6)
    f4 = DataFrame.parse(raw4)
    assert f4.addr4 == b"\x0d" * 6 and f4.sa == b"\x0d" * 6 and f4.da == b"\x0c" * 6


def test_deliver_counts_and_rejects_non_snap(ic):
    vap = ic.create_vap("wlan0", "sta")
    eth = build_ether(b"\xff" * 6, b"\x02" * 6, 0x0806, b"arp")
    assert deliver(vap, b"\xff" * 6, b"\x02" * 6, snap_body(eth))
    assert vap.netdev.recv() == eth and vap.stats.rx_packets == 1 and vap.stats.rx_multicast == 1
    assert not deliver(vap, b"\xff" * 6, b"\x02" * 6, b"\x00" * 10)
    assert vap.stats.rx_dropped == 1


def _running(ic):
    ap = ic.create_vap("wlan0", "hostap", ssid="fuzz", channel=6)
    sta = ic.create_vap("wlan1", "sta", ssid="fuzz")
    ap.up()
    sta.up()
    ic.sched.run_for(SEC // 10)
    return ap, sta


_fixed = TestCom(Scheduler(), "fuzz0")
_ap, _sta = _running(_fixed)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=80), st.sampled_from([b"", b"\x80\x00", b"\x08\x02", b"\x08\x01", b"\xb0\x00",
                                                  b"\x00\x00", b"\x40\x00", b"\x50\x00", b"\xc0\x00",
                                                  b"\x88\x02", b"\x08\x03", b"\xa0\x00", b"\xd0\x00"]))
def test_fuzzed_frames_never_raise(tail, head):
    """Random bytes, and random bodies behind every frame type a vap handles,
    addressed to the vaps or broadcast: input_all never raises."""
    for a1 in (_ap.macaddr, _sta.macaddr, b"\xff" * 6):
        frame = head + b"\x00\x00" + a1 + (_sta.macaddr + _ap.macaddr + tail if head else tail)
        input_all(_fixed, frame, Rx())
    input_all(_fixed, tail, Rx())
def test_malformed_frames_are_counted(ic):
    ap, sta = _running(ic)
    before = ic.stats["rx_malformed"]
    assert input_all(ic, b"\x00" * 5, Rx()) == 0
    # an authentication frame to the AP whose body is cut short
    frame = b"\xb0\x00\x00\x00" + ap.macaddr + sta.macaddr + ap.macaddr + b"\x00\x00" + b"\x00"
    input_all(ic, frame, Rx())
    assert ic.stats["rx_malformed"] == before + 2 and ap.stats.rx_malformed == 1
    assert ap.state == State.RUN
