"""hwsim-mediumd shares itself fairly among its peers: a driver that floods it
with valid frames, announces radios without end or stops reading costs the
other peers nothing but the airtime its radios take.

Two fake drivers (socketpairs speaking mac80211_hwsim) share one daemon in
virtual time: the good one's radios 0 and 1, the hostile one's radios from
id 100 (mac80211_hwsim's addresses 42:00:00:00:64:00 and up).
"""

from __future__ import annotations

import socket

import pytest

from drivers.hwsim.external import genl
from drivers.hwsim.external.connection import READ_BUDGET, RECV_BATCH
from drivers.hwsim.external.genl import Attr, Cmd, Message
from drivers.hwsim.external.mediumd import MAX_INFLIGHT, SLOW_COST, MediumDaemon
from drivers.hwsim.external.stations import MAX_UNANSWERED, default_hwaddr
from ic.sched import MS, Scheduler

from .fakekernel import FakeKernel, FakeRadio
from .helpers import BCAST, beacon, data, mac

CFG = """
ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00" ]; };
model : { type = "snr"; default_snr = 30; };
"""
HOSTILE = 100  # the hostile driver's first radio id


@pytest.fixture
def cfg(tmp_path):
    p = tmp_path / "wmediumd.cfg"
    p.write_text(CFG)
    return str(p)


def world(cfg: str, nhostile: int = 1, **kw) -> tuple[MediumDaemon, FakeKernel, FakeKernel]:
    d = MediumDaemon(cfg, sched=Scheduler(), **kw)
    good = FakeKernel(2, kind="unix")
    bad = FakeKernel(0, kind="unix")
    bad.radios = {HOSTILE + i: FakeRadio(HOSTILE + i, default_hwaddr(HOSTILE + i)) for i in range(nhostile)}
    good.handshake(d)
    bad.handshake(d)
    for i in (0, 1):  # the good radios are heard: their channel is known
        good.tx(i, beacon(mac(i)), freq=2412)
        good.pump(d, 5 * MS)
    for r in good.radios.values():
        r.rx.clear()
    return d, good, bad


def raw_frame(fk: FakeKernel, radio_id: int, frame: bytes, freq: int, *, rate: int = 0,
              cookie: int = 1) -> bytes:
    """A FRAME of the radio as mac80211_hwsim lays it out, not kept pending (the hostile driver
    never waits for its statuses)."""
    return genl.encode_frame(fk.family, fk.radios[radio_id].hw, frame, genl.TX_CTL_REQ_TX_STATUS, freq,
                             genl.pack_tx_info(((rate, 1),)), genl.pack_tx_info_flags(((rate, 0),)), cookie)


def stuff(sock: socket.socket, datagrams: list[bytes]) -> int:
    """Write datagrams until the socket is full; how many went."""
    n = 0
    for dgram in datagrams:
        try:
            sock.send(dgram, socket.MSG_DONTWAIT)
        except BlockingIOError:
            break
        n += 1
    return n


def good_exchange(d: MediumDaemon, good: FakeKernel, n: int, every_ns: int = 20 * MS) -> list[Message]:
    """Radio 0 sends radio 1 `n` unicast frames, one every `every_ns`; the statuses it got."""
    cookies = []
    for _ in range(n):
        cookies.append(good.tx(0, data(mac(1), mac(0), mac(1)), freq=2412, rates=((4, 4),)))
        d.sched.run_for(every_ns)
        good._drain()  # its deliveries and statuses, answered as the kernel does
    for _ in range(40):
        if not any(c in good.radios[0].pending for c in cookies):
            break
        d.sched.run_for(every_ns)
        good._drain()
    return [m for m in good.radios[0].status if m.attrs[Attr.COOKIE] in cookies]


def test_a_driver_flooding_many_radios_takes_only_its_share_of_the_frames_in_the_medium(cfg):
    """Sixteen hostile radios fill their queues on another channel, more frames than the
    daemon holds at once: they get their share (answered unsent beyond it, counted as
    queue_full), and every frame of the good driver is modeled and acknowledged."""
    d, good, bad = world(cfg, nhostile=16)
    good_peer, bad_peer = d.peers
    assert good_peer.quota == bad_peer.quota == MAX_INFLIGHT // 2
    slow = data(BCAST, mac(HOSTILE), BCAST, b"b" * 1400)  # 11 ms at 1 Mb/s each: they stay queued
    frames = [raw_frame(bad, HOSTILE + i % 16, slow, 2462, cookie=i) for i in range(2 * MAX_INFLIGHT)]
    sent = 0
    while sent < len(frames):  # no time passes: everything is still in the medium
        sent += stuff(bad.sock, frames[sent:sent + 1000])
        d.sched.poll_io(0)
    while d.sched.poll_io(0):
        pass
    assert bad_peer.stats["frames"] == 2 * MAX_INFLIGHT
    assert bad_peer.inflight == bad_peer.quota  # frames held back by a same-instant backoff count too
    d.sched.run_for(MS)  # past the backoffs (30 slots at most), long before the first 11 ms frame ends
    assert bad_peer.inflight == bad_peer.quota == d.frames_in_medium
    assert bad_peer.stats["queue_full"] == d.stats["overload_drops"] == 2 * MAX_INFLIGHT - bad_peer.quota

    statuses = good_exchange(d, good, 10)
    assert len(statuses) == 10 and all(m.attrs[Attr.FLAGS] & genl.TX_STAT_ACK for m in statuses)
    assert len(good.radios[1].rx) == 10
    assert good_peer.stats["queue_full"] == 0
    assert good_peer.stats["frames"] == 2 + 10  # the beacons, then these


def test_a_well_behaved_driver_keeps_its_rate_beside_a_flood_of_valid_frames_on_its_channel(cfg):
    """The hostile radio floods the good radios' channel with valid broadcast frames, far more
    than the air carries: it saturates its own airtime and its own queue (the excess answered
    unsent, counted), while the good radio's frames, paced below its share, are all delivered
    and acknowledged, as many as alone."""

    def run(flood: bool) -> tuple[MediumDaemon, list[Message], int, int]:
        d, good, bad = world(cfg)
        bad.tx(HOSTILE, beacon(mac(HOSTILE)), freq=2412)  # heard: its channel is known
        bad.pump(d)
        frames = [raw_frame(bad, HOSTILE, data(BCAST, mac(HOSTILE), BCAST, b"f" * 1400), 2412,
                            cookie=i) for i in range(4000 if flood else 0)]
        sent = 0
        statuses: list[Message] = []
        for _ in range(25):  # 25 rounds of 20 frames: the flood refilled every round
            sent += stuff(bad.sock, frames[sent:sent + 400])
            statuses += good_exchange(d, good, 20, every_ns=20 * MS)
        return d, statuses, sum(m.attrs[Attr.FRAME][10:16] == mac(0) for m in good.radios[1].rx), sent

    alone, st_alone, rx_alone, _ = run(False)
    d, st, rx, flooded = run(True)
    good_peer, bad_peer = d.peers
    assert len(st_alone) == rx_alone == 500 and all(m.attrs[Attr.FLAGS] & genl.TX_STAT_ACK for m in st_alone)
    assert len(st) == rx == 500 and all(m.attrs[Attr.FLAGS] & genl.TX_STAT_ACK for m in st)
    # the flood took the air: the good radio's frames contended with it for every one
    # 1400-byte frames at 1 Mb/s (11 ms each): the 10 s of the run carry a few hundred of them
    assert flooded >= 2000 and bad_peer.stats["frames"] == 1 + flooded
    assert d.medium.counters["queue_drops"] > 0
    assert bad_peer.stats["queue_full"] == d.stats["queue_full"] == d.medium.counters["queue_drops"]
    assert good_peer.stats["queue_full"] == 0 and good_peer.stats["rx_dropped"] == 0
    assert good_peer.stats["deliveries"] > alone.peers[0].stats["deliveries"]  # the flood heard, too


def test_reading_takes_turns_so_a_flooding_driver_cannot_starve_the_others(cfg):
    """Datagrams of eight frames each wait on the hostile socket; one round of reading takes
    one budget of its messages (eight read through the general decoder: the whole budget)
    and the good driver's frame too."""
    d, good, bad = world(cfg)
    good_peer, bad_peer = d.peers
    frame = data(BCAST, mac(HOSTILE), BCAST)
    n = stuff(bad.sock, [b"".join(raw_frame(bad, HOSTILE, frame, 2462, cookie=8 * i + k) for k in range(8))
                         for i in range(200)])
    assert n >= 40  # more than several turns' worth
    before = good_peer.stats["frames"]
    good.tx(0, data(mac(1), mac(0), mac(1)), freq=2412)
    d.sched.poll_io(0)
    assert good_peer.stats["frames"] == before + 1
    assert bad_peer.stats["frames"] == 8 == READ_BUDGET // SLOW_COST
    assert bad_peer.counters()["turns_cut"] == 1
    d.sched.poll_io(0)
    assert bad_peer.stats["frames"] == 16 and bad_peer.counters()["read_turns"] == 2
    # one FRAME to a datagram, as the kernel sends them, costs one message of the budget
    d2, _, bad2 = world(cfg)
    assert d2.peers[1].conn.read_budget == READ_BUDGET
    stuff(bad2.sock, [raw_frame(bad2, HOSTILE, frame, 2462, cookie=i) for i in range(200)])
    d2.sched.poll_io(0)
    assert d2.peers[1].stats["frames"] == READ_BUDGET
    # a peer served alone reads as much in a turn as ever: nobody waits for its turn
    d2.peers[0].conn.close()
    assert d2.peers[1].conn.read_budget == SLOW_COST * RECV_BATCH


def test_a_driver_announcing_radios_without_end_holds_only_its_share_of_the_table(cfg):
    d, good, bad = world(cfg, max_radios=16)
    for i in range(100):
        bad.notify(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: 200 + i, Attr.CHANNELS: 1}))
    bad.pump(d, 0)
    assert d.stations.per_peer[1] == 8 and d.stations.over_quota[1] == 100 - 7
    good.notify(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: 7, Attr.CHANNELS: 1}))
    good.pump(d, 0)
    assert (0, default_hwaddr(7)) in d.stations.radios and d.stations.radios[(0, default_hwaddr(7))].station
    assert d.stations.over_quota.get(0, 0) == 0


def test_a_driver_that_stops_reading_gets_nothing_built_for_it_and_the_others_are_served(cfg):
    """The hostile driver's radio hears the good radios' group frames but never reads: once what
    waits for it nears its bound, its deliveries are dropped before they are built (counted);
    the good radios still get theirs."""
    d, good, bad = world(cfg)
    good_peer, bad_peer = d.peers
    bad.tx(HOSTILE, beacon(mac(HOSTILE)), freq=2412)
    bad.pump(d)
    bad.daemon = None  # from here on it reads nothing
    bad_peer.conn.max_out = 8192
    bad.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    for i in range(300):
        good.tx(i % 2, beacon(mac(i % 2), b"b" * 400), freq=2412)
        good.pump(d, 5 * MS)
    # deliveries stopped at three quarters of its bound: the rest is kept for its statuses
    assert bad_peer.behind and not bad_peer.congested and bad_peer.stats["rx_dropped"] > 0
    assert 4 * bad_peer.conn.out_bytes >= 3 * bad_peer.conn.max_out
    assert d.stats["rx_dropped"] == bad_peer.stats["rx_dropped"]
    assert bad_peer.conn.out_bytes <= bad_peer.conn.max_out
    # each heard the other's every beacon (and the hostile radio's one)
    assert len(good.radios[0].rx) == len(good.radios[1].rx) == 1 + 150
    assert good_peer.stats["rx_dropped"] == 0 and not good.radios[0].pending and not good.radios[1].pending


def test_an_announced_radio_whose_driver_never_answers_goes_to_sleep(cfg):
    """A hostile driver announces a radio and never answers the deliveries asking whether it is
    on a channel: after MAX_UNANSWERED it sleeps (no station, no deliveries) until heard."""
    d, good, bad = world(cfg)
    bad.daemon = None  # never answers
    r = d.stations.radios[(1, default_hwaddr(HOSTILE))]
    assert r.station is not None and r.freq is None
    for _ in range(MAX_UNANSWERED + 20):
        good.tx(0, beacon(mac(0)), freq=2412)
        good.pump(d, 2 * MS)
    assert r.asleep and r.station is None and d.stats["radios_asleep"] == 1
    assert d.peers[1].stats["deliveries"] == MAX_UNANSWERED
