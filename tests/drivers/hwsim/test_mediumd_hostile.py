"""Issue #19: hwsim-mediumd against a peer that sends anything.

Arbitrary bytes and mutated FRAME, ADD_MAC_ADDR, NEW_RADIO, TX_INFO_FRAME,
ack and dump messages reach the daemon from the kernel's generic-netlink
socket and from a driver's external-medium socket (`-s`), several to a
datagram and several datagrams at a time.  After each batch the daemon is
still running, every bad message is counted (malformed, or ignored when it
is well formed but for nothing here), a good FRAME is delivered and its
radio gets its TX_INFO_FRAME, and every table stays within its bound.
"""

from __future__ import annotations

import errno

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drivers.hwsim.external import genl
from drivers.hwsim.external.genl import Ack, Attr, Cmd, Done, GenlError, Message
from drivers.hwsim.external.mediumd import MAX_INFLIGHT, SENT_MEMORY, MediumDaemon
from drivers.hwsim.external.peer import Peer
from drivers.hwsim.external.stations import Stations
from ic.sched import Scheduler

from .fakekernel import FakeKernel
from .helpers import beacon, data, mac

FAMILY = 0x33
MAX_RADIOS = 12
MAX_ADDRS = 6
CFG = """
ifaces : { ids = [ "42:00:00:00:00:00", "02:00:00:00:01:00" ]; };
model : { type = "snr"; default_snr = 20; links = ( (0, 1, 35) ); };
"""


def hw(i: int) -> bytes:
    return bytes((0x42, 0, 0, 0, i, 0))


VAP = bytes.fromhex("060000aa0001")
RATES = ((3, 2), (0, 4))
SEEDS = [
    # FRAME exactly as mac80211_hwsim lays it out (the codec's fast path) and in another order
    genl.encode_frame(FAMILY, hw(0), data(mac(1), mac(0), mac(1)), genl.TX_CTL_REQ_TX_STATUS, 2412,
                      genl.pack_tx_info(RATES), genl.pack_tx_info_flags([(i, 0) for i, _ in RATES]), 77),
    genl.encode(Message(Cmd.FRAME, {Attr.COOKIE: 9, Attr.FRAME: beacon(mac(2)), Attr.ADDR_TRANSMITTER: hw(2),
                                    Attr.FREQ: 2437, Attr.TX_INFO: [(11, 1)]}, type=FAMILY)),
    genl.encode(Message(Cmd.ADD_MAC_ADDR, {Attr.ADDR_RECEIVER: hw(2), Attr.ADDR_TRANSMITTER: VAP},
                        type=FAMILY)),
    genl.encode(Message(Cmd.DEL_MAC_ADDR, {Attr.ADDR_TRANSMITTER: hw(1), Attr.ADDR_RECEIVER: VAP},
                        type=FAMILY)),
    genl.encode(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: 9, Attr.CHANNELS: 1, Attr.RADIO_NAME: "phy9",
                                        Attr.PERM_ADDR: hw(9)}, type=FAMILY)),
    # a status goes from the medium to the radios, never the other way
    genl.encode_tx_info(FAMILY, hw(0), genl.TX_STAT_ACK, 5, -30, genl.pack_tx_info(RATES)),
    genl.encode_ack(-errno.EINVAL, genl.encode(Message(Cmd.FRAME, type=FAMILY, seq=3))),
    genl.encode_done(4, 0),
]
HANDLED = (Cmd.FRAME, Cmd.ADD_MAC_ADDR, Cmd.DEL_MAC_ADDR, Cmd.NEW_RADIO, Cmd.DEL_RADIO, Cmd.TX_INFO_FRAME)


def _mutate(raw: bytes, flips: list[tuple[int, int]], cut: int | None) -> bytes:
    b = bytearray(raw)
    for pos, val in flips:
        if pos < len(b):
            b[pos] = val
    return bytes(b[:cut] if cut is not None else b)


mutated = st.builds(_mutate, st.sampled_from(SEEDS),
                    st.lists(st.tuples(st.integers(0, 140), st.integers(0, 255)), max_size=4),
                    st.none() | st.integers(0, 140))
# one message, several in one datagram, or noise
datagram = st.one_of(mutated, st.lists(mutated, min_size=2, max_size=4).map(b"".join),
                     st.binary(min_size=1, max_size=160))


def expected(data_: bytes, p: Peer) -> tuple[int, int]:
    """(malformed, ignored) for one datagram, read as the kernel's policy reads it."""
    if not data_:
        return 1, 0  # a zero-length datagram: not the end of the connection
    bad = ignored = 0
    for item in genl.decode(data_, FAMILY):
        if isinstance(item, GenlError):
            bad += 1
        elif isinstance(item, Done) or (isinstance(item, Ack) and item.error >= 0):
            ignored += 1  # answers nothing we asked
        elif isinstance(item, Ack) and not p.issued(item.req_seq):
            ignored += 1  # an error for a request never made
        elif isinstance(item, Message):
            a = item.attrs
            if item.type != FAMILY or item.cmd == Cmd.TX_INFO_FRAME:
                ignored += 1  # another family's, or a status: those go from the medium, never to it
            elif item.cmd not in HANDLED:
                bad += 1
            elif item.cmd == Cmd.FRAME and not all(k in a for k in (Attr.ADDR_TRANSMITTER, Attr.FRAME,
                                                                      Attr.COOKIE)):
                bad += 1
            elif item.cmd in (Cmd.ADD_MAC_ADDR, Cmd.DEL_MAC_ADDR) and not (Attr.ADDR_RECEIVER in a
                                                                            and Attr.ADDR_TRANSMITTER in a):
                bad += 1
    return bad, ignored


@pytest.fixture(scope="module", params=["kernel", "unix"])
def peer(request, tmp_path_factory):
    cfg = tmp_path_factory.mktemp("mediumd") / "wmediumd.cfg"
    cfg.write_text(CFG)
    fk = FakeKernel(3, family=FAMILY, kind=request.param)
    d = MediumDaemon(str(cfg), sched=Scheduler(), max_radios=MAX_RADIOS, max_addrs=MAX_ADDRS)
    fk.handshake(d)
    tally = {"examples": 0, "delivered": 0}
    yield fk, d, tally
    d.close()
    fk.close()
    # the good frame got through in nearly every example: the property above was not vacuous
    assert tally["delivered"] >= 0.8 * tally["examples"] > 0, tally


def serve_good(fk: FakeKernel, d: MediumDaemon) -> bool:
    """Radio 1 beacons, radio 0 sends it a unicast frame: radio 0 must get the
    frame's status (always: a radio keeps a frame pending until it has one);
    returns whether radio 1 received it."""
    for i in (0, 1):
        if hw(i) not in d.radios:  # removed by a DEL_RADIO among the noise: the kernel announces it anew
            fk.notify(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: i, Attr.CHANNELS: 1}))
    fk.radios[1].rx.clear()
    good = data(mac(1), mac(0), mac(1), b"good frame")
    fk.tx(1, beacon(mac(1)), freq=2412)
    fk.pump(d, 20_000_000)  # not at the same instant: the two would collide
    cookie = fk.tx(0, good, freq=2412)
    for _ in range(20):  # frames of the noise may hold the air a while (a 2304-byte one at 1 Mb/s: 18 ms)
        fk.pump(d, 20_000_000)
        if cookie not in fk.radios[0].pending:
            break
    assert cookie not in fk.radios[0].pending
    assert [m.attrs[Attr.COOKIE] for m in fk.radios[0].status].count(cookie) == 1
    return any(m.attrs[Attr.FRAME] == good for m in fk.radios[1].rx)


def assert_bounded(d: MediumDaemon) -> None:
    s: Stations = d.stations
    assert len(d.radios) <= MAX_RADIOS and all(len(r.addrs) <= MAX_ADDRS for r in d.radios.values())
    assert len(d.by_addr) <= MAX_RADIOS * MAX_ADDRS
    assert len([p for p in d.medium.ports if p.attached]) <= s.n_config + MAX_RADIOS
    assert len(d.ports) <= s.n_config + MAX_RADIOS  # station slots are reused, not appended forever
    assert len(d.bound) <= len(d.ports) and len(d.unheard) <= len(d.ports)
    (p,) = d.peers
    assert d.frames_in_medium <= MAX_INFLIGHT and len(p.sent) <= SENT_MEMORY + 1
    assert len(p.probes) <= SENT_MEMORY and len(d._refused_ch) <= SENT_MEMORY
    assert len(d.warn._seen) <= 300  # one entry per kind of warning, and the kinds are few
    assert d.conn is not None and d.conn.out_bytes <= d.conn.max_out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(datagram, min_size=1, max_size=3))
@example(batch=[b""])  # a zero-length datagram: recv() reads it as b"", as it reads a hang-up
def test_any_message_from_the_peer_is_counted_and_good_frames_are_still_served(peer, batch):
    fk, d, tally = peer
    want_bad = want_ignored = 0
    for dgram in batch:
        bad, ignored = expected(dgram, d.peers[0])
        want_bad += bad
        want_ignored += ignored
    before = dict(d.stats)
    for dgram in batch:
        fk.sock.send(dgram)
    d.sched.poll_io(0)  # the batch alone, before the kernel's answers to what it caused
    assert d.stats["malformed"] - before["malformed"] == want_bad
    assert d.stats["ignored"] - before["ignored"] == want_ignored
    fk.pump(d)
    assert not d.done and not d.conn.closed
    tally["examples"] += 1
    tally["delivered"] += serve_good(fk, d)
    assert_bounded(d)


def test_radios_that_come_and_go_reuse_their_stations(tmp_path):
    """A kernel that creates and removes radios forever (or a peer announcing
    and removing them) costs a bounded number of medium ports and stations."""
    cfg = tmp_path / "wmediumd.cfg"
    cfg.write_text(CFG)
    fk = FakeKernel(2, family=FAMILY)
    d = MediumDaemon(str(cfg), sched=Scheduler(), max_radios=MAX_RADIOS, max_addrs=MAX_ADDRS)
    fk.handshake(d)
    for i in range(500):
        rid = 100 + i % 40
        fk.notify(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: rid, Attr.PERM_ADDR: bytes((0x42, 1, 0, 0, i >> 8,
                                                                                     i & 0xFF))}))
        fk.notify(Message(Cmd.DEL_RADIO, {Attr.RADIO_ID: rid}))
        if i % 50 == 0:
            fk.pump(d, 0)
    fk.pump(d, 0)
    assert len(d.radios) == 2 and len(d.ports) <= 2 + 1 + MAX_RADIOS
    assert len(d.medium.ports) <= len(d.ports)
    assert serve_good(fk, d)
    d.close()
    fk.close()


def test_an_empty_datagram_during_the_handshake_is_not_the_end(tmp_path):
    """recv() gives b"" for a zero-length datagram as for a hang-up: only the
    hang-up ends the handshake."""
    cfg = tmp_path / "wmediumd.cfg"
    cfg.write_text(CFG)
    for kind in ("kernel", "unix"):
        fk = FakeKernel(2, family=FAMILY, kind=kind)
        d = MediumDaemon(str(cfg), sched=Scheduler())
        fk.sock.send(b"")
        fk.handshake(d)
        assert d.stats["malformed"] == 1 and fk.registered and len(d.radios) == 2
        assert serve_good(fk, d)
        d.close()
        fk.close()
