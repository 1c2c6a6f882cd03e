"""WDS links over the hwsim medium: legacy and dynamic, 4-address data."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ic import MS, CloneFlags, RxInfo, Scheduler, State
from net80211.driver import open_driver
from net80211.node import NodeTable
from net80211.wire.data import DataFrame

H1 = bytes.fromhex("0a0000000001")  # hosts bridged behind each end
H2 = bytes.fromhex("0a0000000002")


def eth(dst: bytes, src: bytes, payload: bytes = b"x" * 50) -> bytes:
    return dst + src + b"\x08\x00" + payload


def two_aps():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=2)
    r0, r1 = d.devices
    ap0 = r0.create_vap("ap0", "hostap", ssid="a", channel=6)
    ap1 = r1.create_vap("ap1", "hostap", ssid="b", channel=6)
    ap0.up()
    ap1.up()
    s.run_for(100 * MS)
    return s, d, ap0, ap1


def test_legacy_wds_link_between_two_aps_carries_data_both_ways():
    s, d, ap0, ap1 = two_aps()
    r0, r1 = d.devices
    w0 = r0.create_vap("wds0", "wds", bssid=ap1.macaddr, flags=CloneFlags.WDSLEGACY)
    w1 = r1.create_vap("wds1", "wds", bssid=ap0.macaddr, flags=CloneFlags.WDSLEGACY)
    # HOSTAP + WDS on one radio: the WDS vap shares the AP's address.
    assert w0.macaddr == ap0.macaddr and w1.macaddr == ap1.macaddr
    w0.up()
    w1.up()
    s.run_for(10 * MS)
    assert w0.state == State.RUN and w1.state == State.RUN and ap0.state == State.RUN
    assert w0.channel == ap0.channel
    sent = []
    orig = r0.ic_transmit
    r0.ic_transmit = lambda vap, f: (sent.append(f), orig(vap, f))[1]
    assert w0.netdev.send(eth(H2, H1))
    s.run_for(10 * MS)
    df = DataFrame.parse(sent[-1])
    assert (df.to_ds, df.from_ds) == (True, True)
    assert (df.addr1, df.addr2, df.addr3, df.addr4) == (ap1.macaddr, ap0.macaddr, H2, H1)
    assert w1.netdev.recv() == eth(H2, H1)
    assert w1.netdev.send(eth(H1, H2, b"back"))
    assert w1.netdev.send(eth(b"\xff" * 6, H2, b"bcast"))
    s.run_for(10 * MS)
    assert w0.netdev.recv() == eth(H1, H2, b"back")
    assert w0.netdev.recv() == eth(b"\xff" * 6, H2, b"bcast")
    # The APs' own interfaces saw none of it.
    assert ap0.netdev.recv() is None and ap1.netdev.recv() is None
    assert w0.stats.rx_packets == 2 and w0.stats.tx_packets == 1
    assert d.medium.counters["acked"] >= 2
    # Down: the peer node goes, traffic is dropped.
    w0.down()
    s.run_for(10 * MS)
    assert NodeTable.of(r0).find(w0, ap1.macaddr) is None
    assert not w0.netdev.send(eth(H2, H1))


def test_dynamic_wds_binds_to_a_station_of_the_ap_on_the_same_device():
    s, d, ap0, _ap1 = two_aps()
    r0, r1 = d.devices
    sta_addr = bytes.fromhex("020000000105")
    wds = r0.create_vap("wds0", "wds", bssid=sta_addr)  # dynamic: no WDSLEGACY
    wds.up()
    s.run_for(10 * MS)
    assert wds.state == State.RUN
    assert not wds.netdev.send(eth(H2, H1))  # the station is not associated: no link
    assert wds.wds_stats["tx_no_peer"] == 1
    # The far end: a station that speaks 4-address to its AP (a legacy WDS vap
    # with the station's address and the AP as peer, as a DWDS station does).
    far = r1.create_vap("far", "wds", bssid=ap0.macaddr, macaddr=sta_addr, flags=CloneFlags.WDSLEGACY)
    far.up()
    # What HOSTAP does when the station associates (staged here: the node).
    node = NodeTable.of(r0).add(ap0, sta_addr, associated=True, authed=True, aid=1)
    assert wds.netdev.send(eth(H2, H1))
    s.run_for(10 * MS)
    assert node.extra["wdsvap"] is wds and wds.wds_ap is ap0
    assert far.netdev.recv() == eth(H2, H1)
    assert far.netdev.send(eth(H1, H2, b"up"))
    s.run_for(10 * MS)
    assert wds.netdev.recv() == eth(H1, H2, b"up")
    assert ap0.netdev.recv() is None
    # A second dynamic WDS vap for the same station is refused the binding.
    wds2 = r0.create_vap("wds2", "wds", bssid=sta_addr)
    wds2.up()
    s.run_for(10 * MS)
    assert not wds2.netdev.send(eth(H2, H1))
    assert wds2.wds_stats["peer_in_use"] >= 1
    # The station leaves: the link unbinds.
    NodeTable.of(r0).remove(node)
    assert not wds.netdev.send(eth(H2, H1))
    assert "wdsvap" not in node.extra


def test_wds_ignores_frames_from_others_and_non_4addr():
    s, d, ap0, ap1 = two_aps()
    r0 = d.devices[0]
    w0 = r0.create_vap("wds0", "wds", bssid=ap1.macaddr, flags=CloneFlags.WDSLEGACY)
    w0.up()
    s.run_for(10 * MS)
    stranger = bytes.fromhex("020000000909")
    f = DataFrame(ap0.macaddr, stranger, H1, b"\xaa\xaa\x03\x00\x00\x00\x08\x00zz", flags=3,
                  addr4=H2).to_bytes()
    r0._rx(f, RxInfo(s.now_ns, 2437, -40, 0, False))
    assert w0.stats.rx_frames == 0 and w0.netdev.recv() is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([0x08, 0x88, 0x48, 0xC8, 0x80, 0x28]), st.integers(0, 0xFF),
                          st.binary(max_size=60)), max_size=10))
def test_fuzzed_frames_never_crash_a_wds_vap(frames):
    s, d, ap0, ap1 = two_aps()
    r0 = d.devices[0]
    w0 = r0.create_vap("wds0", "wds", bssid=ap1.macaddr, flags=CloneFlags.WDSLEGACY)
    w0.up()
    s.run_for(10 * MS)
    for fc0, fc1, body in frames:
        hdr = bytes([fc0, fc1 | 3, 0, 0]) + ap0.macaddr + ap1.macaddr + H1 + b"\x20\x00"
        r0._rx(hdr + body, RxInfo(s.now_ns, 2437, -40, 0, False))
    s.run_for(10 * MS)
    assert w0.state == State.RUN
