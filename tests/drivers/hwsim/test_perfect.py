"""The perfect medium: mac80211_hwsim semantics without a daemon."""

import errno

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.hwsim.kernel.medtypes import FIF_ALLMULTI, FIF_BEACONS, FIF_PROBE_REQ, FIF_PROMISC

from .helpers import BCAST, World, beacon, data, mac, probe_req


def test_broadcast_reaches_every_other_started_radio_at_minus_50_plus_txpower():
    w = World(4)
    w.ports[0].tx_power_dbm = 15
    w.ports[3].stop()
    f = data(BCAST, mac(0), BCAST)
    assert w.ports[0].transmit(f) > 0
    w.run(1000)
    assert [len(w.rx[i]) for i in range(4)] == [0, 1, 1, 0]
    frame, info = w.rx[1][0]
    assert frame == f and info.signal == -35 and info.freq == 2412 and not info.retry
    (_, st), = w.status[0]
    assert not st.acked and st.rates == ((0, 1),) and not st.dropped


def test_unicast_is_acked_when_a_receiver_owns_addr1_and_delivered_only_there():
    w = World(3)
    w.ports[0].transmit(data(mac(2), mac(0), mac(2)), rates=((7, 3), (4, 2)))
    w.ports[0].transmit(data(mac(9), mac(0), mac(9)))
    w.run(1000)
    assert len(w.rx[1]) == 0 and len(w.rx[2]) == 1
    assert w.rx[2][0][1].rate_idx == 7
    s1, s2 = (st for _, st in w.status[0])
    assert s1.acked and s1.rates == ((7, 1),)  # one try at the first rate
    assert not s2.acked
    assert w.medium.counters["acked"] == 1 and w.medium.counters["not_acked"] == 1


def test_no_ack_flag_suppresses_the_ack():
    w = World(2)
    w.ports[0].transmit(data(mac(1), mac(0), mac(1)), no_ack=True)
    w.run(1000)
    assert len(w.rx[1]) == 1 and not w.status[0][0][1].acked


def test_delivery_is_in_virtual_time_not_inline():
    w = World(2)
    w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    assert w.rx[1] == []  # nothing re-enters the caller
    w.sched.run_for(0)
    assert len(w.rx[1]) == 1 and w.rx[1][0][1].time_ns == 0


def test_channel_and_group_isolation():
    w = World(5)
    w.ports[1].freq = 2437
    w.ports[2].group = 2
    w.ports[3].group = 3  # shares bit 1 with the sender's group 1
    w.ports[4].set_offchannel(2437)
    w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.ports[1].transmit(data(BCAST, mac(1), BCAST))
    w.run(1000)
    assert [len(w.rx[i]) for i in range(5)] == [0, 0, 0, 1, 1]
    assert w.rx[4][0][0][10:16] == mac(1)  # off-channel listener hears 2437 only
    w.ports[4].set_offchannel(None)
    w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.run(1000)
    assert len(w.rx[4]) == 2 and w.rx[4][1][1].freq == 2412


def test_receive_filters():
    w = World(6)
    bss = mac(0)
    w.ports[1].add_bssid(bss)
    w.ports[2].filter = FIF_BEACONS
    w.ports[3].filter = FIF_PROBE_REQ
    w.ports[4].filter = FIF_PROMISC
    w.ports[5].filter = FIF_ALLMULTI
    p0 = w.ports[0]
    p0.transmit(beacon(bss))                                  # own BSS (1), scanning (2), promisc
    p0.transmit(probe_req(mac(0)))                            # AP (3), promisc
    p0.transmit(data(BCAST, mac(0), bss))                     # BSS data: 1, promisc, allmulti
    p0.transmit(data(BCAST, mac(0), mac(7)))                  # other BSS data: promisc, allmulti
    p0.transmit(data(mac(3), mac(0), mac(3)))                 # unicast to 3: 3, promisc
    p0.transmit(data(BCAST, bss, mac(0), fromds=True))        # FromDS: BSSID is addr2 -> 1, promisc, allmulti
    w.run(1000)
    kinds = {i: [f[0] for f, _ in w.rx[i]] for i in range(1, 6)}
    assert kinds[1] == [0x80, 0x08, 0x08]
    assert kinds[2] == [0x80]
    assert kinds[3] == [0x40, 0x08]
    assert len(kinds[4]) == 6
    assert kinds[5] == [0x08, 0x08, 0x08]  # group-addressed data of any BSS, not beacons/probes
    assert w.medium.counters["filtered"] > 0


def test_address_changes_reach_the_kernel_refcounted():
    w = World(2)
    extra = b"\x02\xaa\xbb\xcc\xdd\xee"
    w.ports[1].add_addr(extra)
    w.ports[1].add_addr(extra)
    w.ports[1].del_addr(extra)
    w.ports[0].transmit(data(extra, mac(0), extra))
    w.ports[1].del_addr(extra)
    w.ports[0].transmit(data(extra, mac(0), extra))
    w.run(1000)
    assert len(w.rx[1]) == 1
    assert [st.acked for _, st in w.status[0]] == [True, False]


def test_stopped_and_removed_ports():
    w = World(3)
    w.ports[1].stop()
    assert w.ports[1].transmit(data(BCAST, mac(1), BCAST)) == -errno.ENETDOWN
    w.medium.remove_port(w.ports[2])
    assert w.ports[2].transmit(data(BCAST, mac(2), BCAST)) == -errno.ENODEV
    w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.run(1000)
    assert w.rx[1] == [] and w.rx[2] == []
    w.ports[1].start()
    w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.run(1000)
    assert len(w.rx[1]) == 1
    assert w.medium.counters["tx_refused"] == 2


def test_malformed_frames_and_rates_are_counted_and_refused():
    w = World(2)
    p = w.ports[0]
    assert p.transmit(b"\x08\x00") == -errno.EINVAL
    assert p.transmit(b"\x08\x00" + b"\0" * 20) == -errno.EINVAL  # data header needs 24 bytes
    assert p.transmit(data(BCAST, mac(0), BCAST), rates=((12, 1),)) == -errno.EINVAL
    assert p.transmit(data(BCAST, mac(0), BCAST), rates=((0, 0),)) == -errno.EINVAL
    assert p.transmit(data(BCAST, mac(0), BCAST), rates=(("x", 1),)) == -errno.EINVAL
    assert p.transmit(b"\x08\x00" + b"\0" * 2400) == -errno.EINVAL
    w.run(1000)
    assert w.rx[1] == [] and w.medium.pending_frames == 0
    assert w.medium.counters["malformed"] == 3 and w.medium.counters["tx_refused"] == 3


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.lists(st.tuples(st.integers(-200, 200), st.integers(-5, 300)), max_size=5))
def test_arbitrary_bytes_and_rates_never_crash(frame, rates):
    w = World(2)
    w.ports[1].filter = FIF_PROMISC
    rc = w.ports[0].transmit(frame, rates=rates)
    w.run(1000)
    if rc > 0:
        assert len(w.status[0]) == 1 and w.rx[1][0][0] == frame
    else:
        assert w.status[0] == [] and w.rx[1] == []
