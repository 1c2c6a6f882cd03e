"""hwsim-mediumd's C input path (fastpath.py, _fastpath.c) against the Python path it repeats.

The Python path is the reference: the same datagrams, in the same batches,
with the same seed must give the same messages back, byte for byte, the
same counters and the same medium, whichever path took each frame.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.hwsim.external import genl
from drivers.hwsim.external.fastpath import FastConnection, FastInput, parse_frame, put_mark
from drivers.hwsim.external.genl import Attr, Cmd, Message
from drivers.hwsim.external.mediumd import MediumDaemon
from drivers.hwsim.kernel import CKernel
from drivers.hwsim.kernel.medtypes import RADIO_STARTED
from drivers.hwsim.kernel.rates import RC_40_MHZ, RC_80_MHZ, RC_MCS, RC_SHORT_GI, RC_VHT_MCS
from ic.sched import MS, Scheduler

from .fakekernel import FakeKernel

FAMILY = 0x33
_HT40_SGI = RC_MCS | RC_40_MHZ | RC_SHORT_GI


def _iface(i: int) -> bytes:
    return bytes((0x02, 0, 0, 0, i, 0))


def _cfg(tmp_path, n: int) -> str:
    ids = ", ".join(f'"{_iface(i).hex(":")}"' for i in range(n))
    p = tmp_path / "wmediumd.cfg"
    p.write_text(f'ifaces : {{ ids = [ {ids} ]; }};\nmodel : {{ type = "snr"; default_snr = 25; }};\n')
    return str(p)


def _traffic(seed: int, nradios: int) -> list[list[tuple]]:
    """Bursts of steps: frames of every kind a radio sends, new addresses, channel moves."""
    rng = random.Random(seed)
    bursts = []
    for _ in range(60):
        burst = []
        # Half the bursts come from one radio (a stream: the C path takes them); in the others
        # radios meet at one instant, and all but the first get Python's backoff.
        one = rng.randrange(nradios) if rng.random() < 0.5 else None
        for _ in range(rng.randint(1, 12)):
            src = one if one is not None else rng.randrange(nradios)
            dst = rng.choice([d for d in range(nradios) if d != src])
            roll = rng.random()
            a2 = _iface(src) if rng.random() < 0.9 else bytes((0x06, 0, 0, 0, src, rng.randrange(3)))
            if roll < 0.55:  # data to another radio
                a1 = _iface(dst)
                frame = bytes((0x08, rng.choice((0, 1, 2))), ) + b"\0\0" + a1 + a2 + a1 + b"\0\0" \
                    + bytes(rng.randrange(0, 300))
            elif roll < 0.7:  # broadcast data
                a1 = b"\xff" * 6
                frame = bytes((0x08, 2, 0, 0)) + a1 + a2 + a2 + b"\0\0" + bytes(rng.randrange(0, 100))
            elif roll < 0.78:  # a beacon
                frame = bytes((0x80, 0, 0, 0)) + b"\xff" * 6 + a2 + a2 + b"\0\0" + bytes(40)
            elif roll < 0.83:  # a probe request: the radio scans
                frame = bytes((0x40, 0, 0, 0)) + b"\xff" * 6 + a2 + b"\xff" * 6 + b"\0\0" + bytes(20)
            elif roll < 0.88:  # a control frame (an ACK, too short for the C path)
                frame = bytes((0xD4, 0, 0, 0)) + _iface(dst)
            elif roll < 0.91:  # a block-ack request: control, long enough
                frame = bytes((0x84, 0, 0, 0)) + _iface(dst) + a2 + bytes(8)
            elif roll < 0.94:
                burst.append(("move", src, rng.choice((2412, 2437, 5180))))
                continue
            elif roll < 0.97:
                burst.append(("addr", src, bytes((0x06, 0, 0, 0, src, rng.randrange(3)))))
                continue
            else:
                burst.append(("snr", src, dst, rng.choice((5, 15, 30))))
                continue
            rates, rflags = rng.choice(((((0, 1),), ()), (((7, 2), (4, 2), (0, 3)), ()), (((11, 1),), ()),
                                        (((3, 0), (-1, 0)), ()),
                                        # HT: MCS 15 at 40 MHz with the short GI, then MCS 7, then 1 Mb/s
                                        (((15, 2), (7, 2), (0, 2)), (_HT40_SGI, RC_MCS, 0)),
                                        # VHT: 2 streams MCS 9 at 80 MHz
                                        (((0x19, 3),), (RC_VHT_MCS | RC_80_MHZ,))))
            flags = genl.TX_CTL_REQ_TX_STATUS | (genl.TX_CTL_NO_ACK if rng.random() < 0.1 else 0)
            burst.append(("tx", src, frame, rates, flags, rflags))
        bursts.append(burst)
    return bursts


def _run(tmp_path, *, fast: bool, seed: int, nradios: int = 5) -> dict:
    d = MediumDaemon(_cfg(tmp_path, nradios - 1), sched=Scheduler(), seed=seed, fast=fast)
    fk = FakeKernel(nradios, family=FAMILY)  # the last radio is not in the config: a default station
    sent: list[bytes] = []
    handle = fk.handle

    def record(data: bytes) -> None:
        sent.append(data)
        handle(data)

    fk.handle = record
    fk.handshake(d)
    for burst in _traffic(seed, nradios):
        for step in burst:
            if step[0] == "tx":
                _, src, frame, rates, flags, rflags = step
                fk.tx(src, frame, rates=rates, flags=flags, rate_flags=rflags)
            elif step[0] == "move":
                fk.radios[step[1]].freq = step[2]
            elif step[0] == "addr":
                fk.notify(Message(Cmd.ADD_MAC_ADDR, {Attr.ADDR_RECEIVER: fk.radios[step[1]].hw,
                                                     Attr.ADDR_TRANSMITTER: step[2]}))
            else:  # the control API's SNR change: the kernel's link, at once
                _, a, b, snr = step
                ports = d.ports
                if a < len(ports) and b < len(ports):
                    d.medium.set_link(ports[a], ports[b], snr_db=snr)
        fk.pump(d, 3 * MS)
    fk.pump(d, 50 * MS)
    out = {"sent": sent, "stats": dict(d.stats), "counters": d.medium.counters,
           "rx": {i: [m.raw for m in r.rx] for i, r in fk.radios.items()},
           "status": {i: [m.raw for m in r.status] for i, r in fk.radios.items()},
           "fast_frames": sum(getattr(p.conn, "fast_frames", 0) for p in d.peers),
           "c_out": (d._out.deliveries, d._out.statuses) if d._out is not None else (0, 0)}
    d.close()
    fk.close()
    return out


def test_the_c_path_answers_byte_for_byte_as_the_python_path(tmp_path):
    for seed in (1, 2, 3):
        ref = _run(tmp_path, fast=False, seed=seed)
        got = _run(tmp_path, fast=True, seed=seed)
        assert ref["fast_frames"] == 0
        assert got["fast_frames"] >= 50, "the C path took too few frames to compare"
        assert min(got["c_out"]) >= 30, "the C output path made too few messages to compare"
        assert ref["c_out"] == (0, 0)
        assert got["stats"]["frames"] == ref["stats"]["frames"] > 200
        assert got["sent"] == ref["sent"]
        assert got["rx"] == ref["rx"] and got["status"] == ref["status"]
        assert got["stats"] == ref["stats"]
        assert got["counters"] == ref["counters"]


def test_steady_radios_take_the_c_path_and_others_do_not(tmp_path):
    d = MediumDaemon(_cfg(tmp_path, 3), sched=Scheduler(), fast=True)
    fk = FakeKernel(3, family=FAMILY)
    fk.handshake(d)
    conn = d.peers[0].conn
    assert isinstance(conn, FastConnection)
    data = bytes((0x08, 1, 0, 0)) + _iface(1) + _iface(0) + _iface(1) + b"\0\0" + bytes(64)
    fk.tx(0, data)
    fk.pump(d)
    fk.tx(0, data)
    fk.pump(d)
    assert conn.fast_frames == 0  # radios 1 and 2 not heard yet: Python seeks their channels
    for i in (1, 2):
        fk.tx(i, bytes((0x08, 1, 0, 0)) + _iface(0) + _iface(i) + _iface(0) + b"\0\0")
    fk.pump(d)
    assert not d.unheard and conn.fast_frames == 0
    fk.tx(0, data)  # the first frame with every radio heard: Python marks radio 0 steady
    fk.pump(d)
    assert conn.fast_frames == 0
    fk.tx(0, data)
    fk.pump(d)
    assert conn.fast_frames == 1
    # A frame from an address the radio is not known by yet: Python learns it ...
    vap = bytes((0x06, 0, 0, 0, 0, 1))
    fk.tx(0, data[:10] + vap + data[16:])
    fk.pump(d)
    assert conn.fast_frames == 1 and vap in d.stations.radios[(0, fk.radios[0].hw)].addrs
    # ... and then the C path takes both.
    fk.tx(0, data[:10] + vap + data[16:])
    fk.tx(0, data)
    fk.pump(d)
    assert conn.fast_frames == 3
    # A probe request never: the radio leaves its channel.
    probe = bytes((0x40, 0, 0, 0)) + b"\xff" * 6 + _iface(0) + b"\xff" * 6 + b"\0\0"
    fk.tx(0, probe)
    fk.pump(d)
    assert conn.fast_frames == 3
    assert d.stats["refused"] == 0
    assert len(fk.radios[1].rx) == 8 and len(fk.radios[0].status) == 8  # the probe request too
    d.close()
    fk.close()


def test_a_capture_keeps_every_frame_on_the_python_path(tmp_path):
    d = MediumDaemon(_cfg(tmp_path, 2), sched=Scheduler(), fast=True)
    d.medium.capture(str(tmp_path / "air.pcap"))
    fk = FakeKernel(2, family=FAMILY)
    fk.handshake(d)
    data = bytes((0x08, 1, 0, 0)) + _iface(1) + _iface(0) + _iface(1) + b"\0\0" + bytes(64)
    for _ in range(5):
        fk.tx(0, data)
        fk.pump(d)
    assert d.peers[0].conn.fast_frames == 0
    assert d.medium.stop_capture() >= 5
    d.close()
    fk.close()


def test_the_table_forgets_one_radio_or_all():
    k = CKernel(1, 0)
    k.add_radio()
    t = FastInput(k.raw_handles(), put_mark())
    hws = [bytes((0x42, 0, 0, i >> 8, i & 0xFF, 0)) for i in range(600)]
    for hw in hws:
        assert t.add(hw, 0, 2412, 2412, [hw])
    assert len(t) == 600
    assert not t.add(hws[0], 0, 2412, 2412, [hws[0]] * 9)  # more addresses than an entry keeps
    assert not t.add(hws[0], 0, 2412, 2412, [])
    frame = bytes((0x08, 0, 0, 0)) + b"\xff" * 6 + hws[5] + b"\xff" * 6 + b"\0\0"
    msg = genl.encode_frame(FAMILY, hws[5], frame, 1, 2412, genl.pack_tx_info(((0, 1),)),
                            genl.pack_tx_info_flags(((0, 0),)), 1)
    assert t.frame_in(msg, FAMILY, 0) < 0  # taken to the kernel, which refuses: its radio is not started
    assert t.frame_in(msg, FAMILY + 1, 0) == 0  # another family: not a frame of ours
    t.forget(hws[5])
    assert t.frame_in(msg, FAMILY, 0) == 0
    assert t.add(hws[5], 0, 2412, 2412, [hws[5]])
    assert t.frame_in(msg, FAMILY, 0) < 0
    t.forget()
    assert len(t) == 0 and t.frame_in(msg, FAMILY, 0) == 0
    assert t.add(hws[5], 0, 2412, 2412, [hws[5]]) and len(t) == 1


def test_the_c_path_leaves_beacons_and_meetings_to_python():
    """A beacon (Python draws its delay) and a frame of another radio at the instant one went
    on the medium (Python draws its backoff) are Python's; a radio's own frames at one instant,
    or another's a moment later, are the C path's, which marks what it put."""
    k = CKernel(1, 0)
    hws = [bytes((0x42, 0, 0, 0, i, 0)) for i in range(2)]
    for i in range(2):
        k.add_radio()
        k.set_radio(i, RADIO_STARTED, 2412)
    put = put_mark()
    t = FastInput(k.raw_handles(), put)
    for i, hw in enumerate(hws):
        assert t.add(hw, i, 2412, 2412, [hw])

    def msg(i: int, fc: int = 0x08) -> bytes:
        frame = bytes((fc, 0, 0, 0)) + b"\xff" * 6 + hws[i] + b"\xff" * 6 + b"\0\0"
        return genl.encode_frame(FAMILY, hws[i], frame, 0, 2412, genl.pack_tx_info(((0, 1),)),
                                 genl.pack_tx_info_flags(((0, 0),)), 1)

    assert put.any == 0
    assert t.frame_in(msg(0), FAMILY, 1000) > 0
    assert (put.any, put.ns, put.station) == (1, 1000, 0)
    assert t.frame_in(msg(0), FAMILY, 1000) > 0  # its own: queued behind the first
    assert t.frame_in(msg(1), FAMILY, 1000) == 0  # another radio's, the same instant: Python's
    assert (put.ns, put.station) == (1000, 0)
    assert t.frame_in(msg(1), FAMILY, 1001) > 0
    assert (put.ns, put.station) == (1001, 1)
    assert t.frame_in(msg(1, fc=0x80), FAMILY, 5000) == 0  # a beacon: Python's
    assert (put.ns, put.station) == (1001, 1)


def test_while_a_radio_is_sought_only_frames_to_steady_radios_take_the_c_path():
    """A frame for a radio not steady (or for every radio) may tell where a sought radio
    listens: Python's, as long as any radio is being sought."""
    k = CKernel(1, 0)
    hws = [bytes((0x42, 0, 0, 0, i, 0)) for i in range(3)]
    vap = bytes((0x02, 0, 0, 0, 1, 7))
    for i in range(3):
        k.add_radio()
        k.set_radio(i, RADIO_STARTED, 2412)
    t = FastInput(k.raw_handles(), put_mark())
    assert t.add(hws[0], 0, 2412, 2412, [hws[0]]) and t.add(hws[1], 1, 2412, 2412, [hws[1], vap])

    def msg(a1: bytes) -> bytes:
        frame = bytes((0x08, 0, 0, 0)) + a1 + hws[0] + a1 + b"\0\0"
        return genl.encode_frame(FAMILY, hws[0], frame, 0, 2412, genl.pack_tx_info(((0, 1),)),
                                 genl.pack_tx_info_flags(((0, 0),)), 1)

    now = 0
    for a1, taken in ((hws[1], True), (vap, True), (hws[2], False), (b"\xff" * 6, False)):
        now += 1000
        assert (t.frame_in(msg(a1), FAMILY, now, unheard=True) > 0) is taken, a1.hex(":")
        now += 1000
        assert t.frame_in(msg(a1), FAMILY, now) > 0  # nobody sought: any frame of a steady radio
    t.forget(hws[1])  # its addresses go with it
    assert t.frame_in(msg(vap), FAMILY, now + 1000, unheard=True) == 0


def test_c_keeps_no_frame_longer_than_the_kernel_allows(tmp_path):
    """The C output buffers hold one delivery of a 2304-byte frame past their bound: a longer
    frame (which the codec's policy already refuses) is left to Python's tables."""
    from drivers.hwsim.external.fastout import FastOutput

    d = MediumDaemon(_cfg(tmp_path, 2), sched=Scheduler(), fast=True)
    out = d._out
    assert isinstance(out, FastOutput)
    assert out.peer(0, FAMILY)
    hw = _iface(0)
    assert out.store(1, bytes(2304), 2304, 0, 0, hw, 7, 0) and len(out) == 1
    assert not out.store(2, bytes(2305), 2305, 0, 0, hw, 8, 0) and len(out) == 1
    assert not out.store(3, bytes(10), 20, 0, 0, hw, 9, 0)  # shorter than it says
    assert not out.store(4, bytes(30), 30, 0, 0, hw[:4], 9, 0)  # not an address
    taken = out.take(1)
    assert taken is not None and len(taken[1]) == 2304 and taken[4] == 7 and len(out) == 0
    d.close()


def _frame_msg(draw) -> bytes:
    n = draw(st.integers(0, 2400))
    u32 = st.integers(0, 0xFFFF_FFFF)
    return genl.encode_frame(draw(st.sampled_from((FAMILY, 0x20))), draw(st.binary(min_size=6, max_size=6)),
                             bytes(n), draw(u32), draw(u32), draw(st.binary(min_size=8, max_size=8)),
                             draw(st.binary(min_size=12, max_size=12)), draw(st.integers(0, 2**64 - 1)))


@st.composite
def _datagrams(draw) -> bytes:
    kind = draw(st.sampled_from(("valid", "mutated", "resized", "random")))
    if kind == "random":
        return draw(st.binary(max_size=300))
    data = bytearray(_frame_msg(draw))
    if kind == "mutated":
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
    elif kind == "resized":
        cut = draw(st.integers(-8, 8))
        data = data[:cut] if cut < 0 else data + bytes(cut)
        if draw(st.booleans()):
            data[:4] = len(data).to_bytes(4, "little")
    return bytes(data)


@settings(max_examples=1500, deadline=None)
@given(_datagrams())
def test_the_c_parser_reads_what_the_python_parser_reads(data):
    assert parse_frame(data, FAMILY) == genl.kernel_frame_fields(data, FAMILY)
