"""wmediumd's run-time control API: a client written from the protocol (as
Mininet-WiFi's wmediumdConnector is: struct packing, big-endian, one send
per request) drives a daemon's control socket; replies are checked byte for
byte and every change is checked on the medium itself."""

from __future__ import annotations

import ctypes
import math
import os
import socket
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.hwsim.external import wcontrol, wserver
from drivers.hwsim.external.mediumd import MediumDaemon
from drivers.hwsim.external.wserver import (
    MAX_REQUEST,
    OUT_HIGH,
    ControlServer,
    Parser,
    fixed_to_prob,
    prob_to_fixed,
)
from drivers.hwsim.kernel import model
from ic.sched import MS, SEC, Scheduler

from .helpers import data, mac

# -- the client, from the spec -------------------------------------------------------------------
SNR_REQ = struct.Struct("!B6s6si")
ERRPROB_REQ = struct.Struct("!B6s6sI")
SPECPROB_REQ = struct.Struct("!B6s6s144I")
POS_REQ = struct.Struct("!B6sfff")
I32_REQ = struct.Struct("!B6si")  # TXPOWER, GAIN, HEIGHT, MEDIUM
F32_REQ = struct.Struct("!B6sf")  # GAUSSIAN_RANDOM
MAC_REQ = struct.Struct("!B6s")  # ADD, DEL_BY_MAC
ID_REQ = struct.Struct("!Bi")  # DEL_BY_ID
RESPONSE_SIZE = {1: 19, 3: 9, 5: 7, 7: 13, 9: 19, 11: 14, 13: 21, 15: 13, 17: 13, 19: 13, 21: 13, 23: 13}


def connector_fixed_point(d: float) -> int:
    """mn_wifi/wmediumdConnector.py's __conv_float_to_fixed_point, as an unsigned u32."""
    one_shifted = ctypes.c_int32(1 << 31).value
    before = int(d)
    after = int((d - before) * one_shifted)
    return (ctypes.c_int32(before << 31).value + after) & 0xFFFF_FFFF


class Client:
    """A control connection; the daemon runs in this thread, so `request` pumps its scheduler."""

    def __init__(self, sched: Scheduler, path: str) -> None:
        self.sched = sched
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.sched.poll_io(0.0)  # accepted

    def request(self, msg: bytes, size: int | None = None) -> bytes:
        self.sock.send(msg)
        size = size or RESPONSE_SIZE[msg[0]]
        got = b""
        for _ in range(500):
            self.sched.poll_io(0.002)
            try:
                got += self.sock.recv(size - len(got))
            except BlockingIOError:
                pass
            if len(got) == size:
                return got
        raise AssertionError(f"no answer to {msg[:13].hex()} (got {got.hex()})")

    def close(self) -> None:
        self.sock.close()
        self.sched.poll_io(0.0)


def answer(msg: bytes, result: int) -> bytes:
    return bytes((msg[0] + 1,)) + msg + bytes((result,))


A, B, C = mac(0), mac(1), mac(2)
NEW = bytes.fromhex("02000000aa00")
UNKNOWN = bytes.fromhex("020000009900")

SNR_CFG = """
ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00" ]; };
model : { type = "snr"; default_snr = 40; links = ( (0, 1, 35), (0, 2, 25), (1, 2, 30) ); };
"""
PROB_CFG = """
ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00" ]; };
model : { type = "prob"; default_prob = 0.0; links = ( (0, 2, 1.0) ); };
"""
PATH_LOSS_CFG = """
ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00" ]; };
model : { type = "path_loss"; model_name = "log_distance"; path_loss_exp = 3.0; xg = 0.0;
          positions = ( (0.0, 0.0, 0.0), (10.0, 0.0, 0.0), (0.0, 20.0, 0.0) );
          tx_powers = ( 20.0, 20.0, 20.0 ); };
"""


class Daemon:
    """A MediumDaemon in virtual time (no driver) serving its control socket;
    its stations record what they receive."""

    def __init__(self, tmp_path, cfg: str) -> None:
        conf = tmp_path / "wmediumd.cfg"
        conf.write_text(cfg)
        self.sched = Scheduler()
        self.d = MediumDaemon(str(conf), sched=self.sched)
        self.path = str(tmp_path / "wmediumd.sock")
        self.server = self.d.serve_control(self.path)
        self.ctl = self.server.handler.__self__
        self.rx: dict[bytes, list] = {}
        for p in self.d.ports:
            self.record(p)

    def record(self, port) -> None:
        key = port.hwaddr.to_bytes(6, "big")
        self.rx[key] = []
        port.rx = lambda frame, info, k=key: self.rx[k].append(info)

    @property
    def medium(self):
        return self.d.medium

    def port(self, addr: bytes):
        return self.medium.port_by_hwaddr(addr)

    def snr(self, a: bytes, b: bytes) -> float:
        return self.medium.link_snr(self.port(a), self.port(b))

    def send(self, src: bytes, dst: bytes, n: int = 1) -> list:
        """Unicast n frames src -> dst, one per ms; what dst received."""
        for k in range(n):
            self.sched.call_later(k * MS, lambda: self.port(src).transmit(data(dst, src, dst)))
        before = len(self.rx[dst])
        self.sched.run_for((n + 5) * MS)
        return self.rx[dst][before:]

    def client(self) -> Client:
        return Client(self.sched, self.path)


@pytest.fixture
def snr_d(tmp_path):
    return Daemon(tmp_path, SNR_CFG)


@pytest.fixture
def prob_d(tmp_path):
    return Daemon(tmp_path, PROB_CFG)


@pytest.fixture
def pl_d(tmp_path):
    return Daemon(tmp_path, PATH_LOSS_CFG)


# -- codec -------------------------------------------------------------------------------------------
def test_request_and_response_sizes_are_wmediumds():
    assert wserver.SIZE == {0: 1, 1: 17, 3: 7, 5: 5, 7: 7, 9: 17, 11: 589, 13: 19, 15: 11, 17: 11, 19: 11,
                            21: 11, 23: 11}
    assert MAX_REQUEST == 589


@pytest.mark.parametrize("p, fixed", [(0.0, 0), (0.5, 0xC000_0000), (1.0, 0x8000_0000), (0.25, 0xE000_0000)])
def test_error_probability_fixed_point(p, fixed):
    assert connector_fixed_point(p) == fixed == prob_to_fixed(p)
    assert fixed_to_prob(fixed) == p


@given(st.floats(0.0, 1.0))
def test_fixed_point_round_trip_of_the_connector(p):
    assert abs(fixed_to_prob(connector_fixed_point(p)) - p) < 1e-9


REQS = [SNR_REQ.pack(1, A, B, -7), MAC_REQ.pack(3, A), ID_REQ.pack(5, 2), MAC_REQ.pack(7, NEW),
        ERRPROB_REQ.pack(9, A, B, 0xC000_0000), SPECPROB_REQ.pack(11, A, B, *range(144)),
        POS_REQ.pack(13, A, 1.5, -2.0, 3.0), I32_REQ.pack(15, A, 14), I32_REQ.pack(17, A, 5),
        I32_REQ.pack(19, A, 2), F32_REQ.pack(21, A, 0.5), I32_REQ.pack(23, A, 3), b"\x00"]


def test_parser_decodes_every_request_type():
    reqs = Parser().feed(b"".join(REQS))
    assert [r.raw for r in reqs] == REQS
    assert reqs[0].fields == (A, B, -7) and reqs[6].fields == (A, 1.5, -2.0, 3.0)
    assert reqs[5].fields[2:] == tuple(range(144)) and reqs[10].fields == (A, 0.5)


@settings(max_examples=300)
@given(st.lists(st.one_of(st.sampled_from(REQS), st.binary(max_size=40)), max_size=12), st.data())
def test_parser_is_chunking_invariant_and_bounded(parts, draw):
    stream = b"".join(parts)
    whole = Parser()
    expected = whole.feed(stream)
    cuts = sorted(draw.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    p = Parser()
    got = []
    for lo, hi in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += p.feed(stream[lo:hi])
        assert p.pending < MAX_REQUEST
    # Compare the requests' bytes: a float field may be NaN, which equals nothing.
    assert [(r.type, r.raw) for r in got] == [(r.type, r.raw) for r in expected]
    assert p.skipped == whole.skipped and p.pending == whole.pending
    # every byte is a request's, skipped, or held back
    assert sum(len(r.raw) for r in got) + p.skipped + p.pending == len(stream)
    if p.pending == 0:
        assert [r.raw for r in p.feed(REQS[0])] == [REQS[0]]


def test_unknown_type_bytes_are_skipped_one_at_a_time():
    p = Parser()
    assert [r.raw for r in p.feed(b"\x02\xff\x18" + REQS[7])] == [REQS[7]] and p.skipped == 3


# -- updates observed on the medium ----------------------------------------------------------------------
def test_snr_update_changes_the_link_and_the_delivered_signal(snr_d):
    c = snr_d.client()
    assert [i.signal for i in snr_d.send(A, B)] == [35 - 91]
    msg = SNR_REQ.pack(1, A, B, 12)
    assert c.request(msg) == answer(msg, 0)
    assert snr_d.snr(A, B) == snr_d.snr(B, A) == 12.0  # both directions, as wmediumd
    assert [i.signal for i in snr_d.send(A, B)] == [12 - 91]
    assert snr_d.snr(A, C) == 25.0  # nothing else moved
    low = SNR_REQ.pack(1, B, A, -5)
    assert c.request(low) == answer(low, 0)
    assert snr_d.send(A, B, 5) == []  # below 0 dB nothing gets through
    unknown = SNR_REQ.pack(1, A, UNKNOWN, 20)
    assert c.request(unknown) == answer(unknown, 1)


def test_wrong_mode_answers_in_an_snr_medium(snr_d):
    c = snr_d.client()
    for msg in (ERRPROB_REQ.pack(9, A, B, 0x8000_0000), POS_REQ.pack(13, A, 1.0, 2.0, 3.0),
                I32_REQ.pack(15, A, 10), I32_REQ.pack(17, A, 3), F32_REQ.pack(21, A, 2.0),
                I32_REQ.pack(19, A, 2)):
        assert c.request(msg) == answer(msg, 3)
    spec = SPECPROB_REQ.pack(11, A, B, *[0x8000_0000] * 144)
    assert c.request(spec) == bytes((12,)) + A + B + b"\x03"  # not echoed
    assert snr_d.snr(A, B) == 35.0 and len(snr_d.send(A, B, 3)) == 3


def test_error_probability_in_a_probability_medium(prob_d):
    c = prob_d.client()
    assert len(prob_d.send(A, B, 5)) == 5
    assert prob_d.send(A, C, 3) == []  # the config's 1.0
    msg = ERRPROB_REQ.pack(9, A, B, connector_fixed_point(1.0))
    assert c.request(msg) == answer(msg, 0)
    assert prob_d.send(A, B, 5) == [] and prob_d.send(B, A, 5) == []
    back = ERRPROB_REQ.pack(9, A, C, connector_fixed_point(0.0))
    assert c.request(back) == answer(back, 0)
    assert len(prob_d.send(C, A, 5)) == 5
    half = ERRPROB_REQ.pack(9, B, C, connector_fixed_point(0.5))
    assert c.request(half) == answer(half, 0)
    got = len(prob_d.send(B, C, 200))  # no retries on a data frame's delivery count: ~ half lost
    assert 50 < got < 150
    unknown = ERRPROB_REQ.pack(9, UNKNOWN, B, 0)
    assert c.request(unknown) == answer(unknown, 1)
    for msg in (POS_REQ.pack(13, A, 1.0, 2.0, 3.0), I32_REQ.pack(15, A, 10), I32_REQ.pack(17, A, 3),
                F32_REQ.pack(21, A, 2.0)):
        assert c.request(msg) == answer(msg, 3)  # no positions in a probability matrix


def _expected_snr(pos, power, i, j, gain=(0,) * 4, shadow=(0,) * 4):
    d = max(math.dist(pos[i], pos[j]), model.MIN_DISTANCE_M)
    pl = float(model.path_loss("log_distance", np.array(d), exponent=3.0, xg=0.0))
    return power[i] + gain[i] + gain[j] + shadow[i] - pl - model.NOISE_DBM


def test_position_tx_power_gain_and_shadowing_recompute_path_loss(pl_d):
    c = pl_d.client()
    pos = [(0, 0, 0), (10, 0, 0), (0, 20, 0)]
    power, gain, shadow = [20, 20, 20], [0, 0, 0], [0, 0, 0]
    assert pl_d.snr(A, B) == pytest.approx(_expected_snr(pos, power, 0, 1))
    msg = POS_REQ.pack(13, B, 40.0, 0.0, 5.0)
    assert c.request(msg) == answer(msg, 0)
    pos[1] = (40, 0, 5)
    far = _expected_snr(pos, power, 0, 1)
    assert pl_d.snr(A, B) == pytest.approx(far) and pl_d.snr(B, A) == pytest.approx(far)
    assert [i.signal for i in pl_d.send(A, B)] == [round(far + model.NOISE_DBM)]
    msg = I32_REQ.pack(15, A, 26)
    assert c.request(msg) == answer(msg, 0)
    power[0] = 26
    assert pl_d.snr(A, B) == pytest.approx(_expected_snr(pos, power, 0, 1))
    assert pl_d.snr(B, A) == pytest.approx(far)  # B's power did not change
    msg = I32_REQ.pack(17, C, 4)
    assert c.request(msg) == answer(msg, 0)
    gain[2] = 4
    assert pl_d.snr(A, C) == pytest.approx(_expected_snr(pos, power, 0, 2, gain))
    assert pl_d.snr(C, B) == pytest.approx(_expected_snr(pos, power, 2, 1, gain))
    msg = F32_REQ.pack(21, B, 2.5)
    assert c.request(msg) == answer(msg, 0)
    shadow[1] = 2.5
    assert pl_d.snr(B, A) == pytest.approx(_expected_snr(pos, power, 1, 0, gain, shadow))
    assert pl_d.snr(A, B) == pytest.approx(_expected_snr(pos, power, 0, 1, gain, shadow))


def test_path_loss_answers_wmediumd_gives(pl_d):
    c = pl_d.client()
    # an address it does not know: wmediumd updates nothing and answers 0
    unknown = POS_REQ.pack(13, UNKNOWN, 5.0, 5.0, 0.0)
    before = pl_d.snr(A, B)
    assert c.request(unknown) == answer(unknown, 0) and pl_d.snr(A, B) == before
    assert pl_d.ctl.stats["unknown_station"] == 1
    nan = POS_REQ.pack(13, A, float("nan"), 0.0, 0.0)
    assert c.request(nan) == answer(nan, 3) and pl_d.snr(A, B) == before
    height = I32_REQ.pack(19, A, 3)
    assert c.request(height) == answer(height, 3)
    # a hand-set SNR holds until the next station update recomputes the links
    snr = SNR_REQ.pack(1, A, B, 3)
    assert c.request(snr) == answer(snr, 0) and pl_d.snr(A, B) == 3.0
    move = POS_REQ.pack(13, C, 1.0, 1.0, 0.0)
    assert c.request(move) == answer(move, 0) and pl_d.snr(A, B) == pytest.approx(before)


def test_medium_ids_separate_stations(snr_d):
    c = snr_d.client()
    msg = I32_REQ.pack(23, B, 7)
    assert c.request(msg) == answer(msg, 0)
    assert snr_d.send(A, B, 3) == [] and snr_d.send(B, A, 3) == []
    assert len(snr_d.send(A, C, 2)) == 2
    msg = I32_REQ.pack(23, A, 7)
    assert c.request(msg) == answer(msg, 0)
    assert len(snr_d.send(A, B, 2)) == 2 and snr_d.send(A, C, 2) == []
    for addr in (A, B):
        back = I32_REQ.pack(23, addr, 0)
        assert c.request(back) == answer(back, 0)
    assert len(snr_d.send(A, C, 2)) == 2 and len(snr_d.send(B, A, 2)) == 2
    unknown = I32_REQ.pack(23, UNKNOWN, 1)
    assert c.request(unknown) == answer(unknown, 1)


def test_add_and_delete_stations(snr_d):
    c = snr_d.client()
    add = MAC_REQ.pack(7, NEW)
    assert c.request(add) == bytes((8,)) + add + struct.pack("!i", 3) + b"\x00"
    assert c.request(add) == bytes((8,)) + add + struct.pack("!i", 0) + b"\x02"  # duplicate
    dup = MAC_REQ.pack(7, A)
    assert c.request(dup) == bytes((8,)) + dup + struct.pack("!i", 0) + b"\x02"
    new = snr_d.port(NEW)
    assert new is not None and snr_d.snr(NEW, A) == -10.0  # wmediumd's default for a new station
    snr_d.record(new)
    assert snr_d.send(A, NEW, 2) == []
    msg = SNR_REQ.pack(1, NEW, A, 28)
    assert c.request(msg) == answer(msg, 0)
    assert [i.signal for i in snr_d.send(A, NEW)] == [28 - 91]
    # DEL_BY_ID: ids are positions in wmediumd's station list, later ones move down
    d0 = ID_REQ.pack(5, 0)
    assert c.request(d0) == answer(d0, 0)
    assert snr_d.port(A) is None and snr_d.ctl.stations[0].hwaddr == int.from_bytes(B, "big")
    gone = SNR_REQ.pack(1, A, B, 20)
    assert c.request(gone) == answer(gone, 1)
    assert c.request(ID_REQ.pack(5, 3)) == answer(ID_REQ.pack(5, 3), 1)  # NEW is id 2 now
    assert c.request(ID_REQ.pack(5, -1)) == answer(ID_REQ.pack(5, -1), 1)
    dm = MAC_REQ.pack(3, NEW)
    assert c.request(dm) == answer(dm, 0) and snr_d.port(NEW) is None
    assert c.request(dm) == answer(dm, 1)
    assert [p.hwaddr.to_bytes(6, "big") for p in snr_d.ctl.stations] == [B, C]
    # a deleted address may come back, as a new station at the end
    again = MAC_REQ.pack(7, A)
    assert c.request(again) == bytes((8,)) + again + struct.pack("!i", 2) + b"\x00"
    assert snr_d.snr(A, B) == -10.0


def test_add_beyond_the_port_limit_drops_the_client_as_wmediumd(snr_d, monkeypatch):
    monkeypatch.setattr(wcontrol, "MAX_PORTS", 4)
    c, other = snr_d.client(), snr_d.client()
    add = MAC_REQ.pack(7, NEW)
    assert c.request(add)[-5:] == struct.pack("!i", 3) + b"\x00"
    c.sock.send(MAC_REQ.pack(7, UNKNOWN))
    snr_d.sched.poll_io(0.01)
    c.sock.setblocking(True)
    assert c.sock.recv(16) == b""  # no answer, the connection closed
    assert snr_d.port(UNKNOWN) is None and len(snr_d.medium.ports) == 4
    msg = SNR_REQ.pack(1, A, NEW, 20)
    assert other.request(msg) == answer(msg, 0)


def test_add_in_a_probability_medium_starts_with_lost_links(prob_d):
    c = prob_d.client()
    add = MAC_REQ.pack(7, NEW)
    assert c.request(add)[-5:] == struct.pack("!i", 3) + b"\x00"
    prob_d.record(prob_d.port(NEW))
    assert prob_d.send(A, NEW, 3) == []
    msg = ERRPROB_REQ.pack(9, NEW, A, 0)
    assert c.request(msg) == answer(msg, 0)
    assert len(prob_d.send(A, NEW, 3)) == 3


# -- the socket: many clients, slow clients, bad bytes -----------------------------------------------------
def test_a_half_sent_request_stalls_nobody(snr_d):
    slow, fast = snr_d.client(), snr_d.client()
    msg = SNR_REQ.pack(1, A, B, 20)
    slow.sock.send(msg[:9])
    snr_d.sched.poll_io(0.01)
    other = SNR_REQ.pack(1, A, C, 22)
    assert fast.request(other) == answer(other, 0)
    assert snr_d.snr(A, B) == 35.0  # not applied before it is whole
    slow.sock.send(msg[9:])
    got = b""
    for _ in range(100):
        snr_d.sched.poll_io(0.002)
        try:
            got += slow.sock.recv(64)
        except BlockingIOError:
            pass
        if len(got) == 19:
            break
    assert got == answer(msg, 0) and snr_d.snr(A, B) == 20.0


def test_a_client_that_never_reads_is_paused_not_buffered(snr_d):
    hog, other = snr_d.client(), snr_d.client()
    hog.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    msg = SNR_REQ.pack(1, A, B, 20)
    burst = msg * 200
    sent = 0
    for _ in range(400):  # write as much as the server takes, never read
        try:
            sent += hog.sock.send(burst)
        except BlockingIOError:
            pass
        snr_d.sched.poll_io(0.0)
        if snr_d.server.stats["paused"]:
            break
    assert snr_d.server.stats["paused"] >= 1
    (client,) = [c for c in snr_d.server.clients.values() if not c.reading]
    assert len(client.out) <= OUT_HIGH + wserver.READ_SIZE // 5 * 21
    req = SNR_REQ.pack(1, B, C, 17)
    assert other.request(req) == answer(req, 0)  # others are served meanwhile
    # once it reads, it is read again
    total = 0
    for _ in range(2000):
        snr_d.sched.poll_io(0.001)
        try:
            total += len(hog.sock.recv(65536))
        except BlockingIOError:
            pass
        if total and total % 19 == 0 and client.reading and not client.out:
            break
    assert client.reading and total % 19 == 0 and total > OUT_HIGH


def test_shutdown_stops_the_server_and_the_medium_runs_on(snr_d):
    keep, c = snr_d.client(), snr_d.client()
    c.sock.send(b"\x00")
    snr_d.sched.poll_io(0.01)
    snr_d.sched.poll_io(0.01)
    assert not snr_d.server.listening
    assert not os.path.exists(snr_d.path)
    with pytest.raises(OSError):
        Client(snr_d.sched, snr_d.path)
    assert c.sock.recv(10) == b""  # its connection closed
    msg = SNR_REQ.pack(1, A, B, 20)
    assert keep.request(msg) == answer(msg, 0)  # wmediumd's other client threads carry on
    assert len(snr_d.send(A, B, 2)) == 2


def test_connections_beyond_the_limit_are_closed_at_once(snr_d, tmp_path):
    path = str(tmp_path / "few.sock")
    srv = ControlServer(snr_d.sched, path, snr_d.ctl.handle, max_clients=2)
    first, second, third = (Client(snr_d.sched, path) for _ in range(3))
    snr_d.sched.poll_io(0.01)
    third.sock.setblocking(True)
    third.sock.settimeout(5)
    assert third.sock.recv(10) == b"" and srv.stats["refused"] == 1
    msg = SNR_REQ.pack(1, A, B, 20)
    assert first.request(msg) == second.request(msg) == answer(msg, 0)
    first.close()
    again = Client(snr_d.sched, path)  # a freed place is taken again
    assert again.request(msg) == answer(msg, 0)
    srv.close()


def test_replaces_a_stale_socket_but_not_a_file(tmp_path):
    sched = Scheduler()
    stale = tmp_path / "s.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()
    srv = ControlServer(sched, str(stale), lambda r: None)
    srv.close()
    assert not stale.exists()
    plain = tmp_path / "file"
    plain.write_text("x")
    with pytest.raises(OSError):
        ControlServer(sched, str(plain), lambda r: None)
    assert plain.read_text() == "x"


@pytest.fixture(scope="module")
def fuzz_daemon(tmp_path_factory):
    return Daemon(tmp_path_factory.mktemp("fuzz"), SNR_CFG)


def _mutate(raw: bytes, flips) -> bytes:
    b = bytearray(raw)
    for pos, val in flips:
        if pos < len(b):
            b[pos] = val
    return bytes(b)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.binary(max_size=64),
    st.tuples(st.sampled_from(REQS[:-1]), st.lists(st.tuples(st.integers(0, 20), st.integers(0, 255)),
                                                   max_size=3)).map(lambda t: _mutate(*t)),
    st.sampled_from(REQS[:-1]).map(lambda r: r[: len(r) // 2])), max_size=6))
def test_any_bytes_leave_the_server_serving(fuzz_daemon, tmp_path_factory, chunks):
    d = fuzz_daemon
    path = str(tmp_path_factory.mktemp("f") / "w.sock")
    server = ControlServer(d.sched, path, d.ctl.handle)
    try:
        good, bad = Client(d.sched, path), Client(d.sched, path)
        for chunk in chunks:
            try:
                bad.sock.send(chunk)
            except OSError:  # a SHUTDOWN among the bytes: wmediumd drops that client
                assert server.stats["shutdown"] and not server.listening
                break
            d.sched.poll_io(0.0)
        spec = SPECPROB_REQ.pack(11, A, C, *[0] * 144)  # its answer depends on nothing
        assert good.request(spec) == bytes((12,)) + A + C + b"\x03"
        bad.close()
        good.close()
        assert server.stats["errors"] == 0
    finally:
        server.close()
    # the medium still takes frames from whatever stations remain
    ports = [p for p in d.ctl.stations if p.attached]
    if len(ports) >= 2:
        frames = d.medium.counters["frames"]
        a, b = (p.hwaddr.to_bytes(6, "big") for p in ports[:2])
        assert ports[0].transmit(data(b, a, b)) > 0
        d.sched.run_for(5 * MS)
        assert d.medium.counters["frames"] == frames + 1


def test_an_added_station_gets_path_loss_links_once_it_has_a_position(pl_d):
    c = pl_d.client()
    add = MAC_REQ.pack(7, NEW)
    assert c.request(add)[-5:] == struct.pack("!i", 3) + b"\x00"
    assert pl_d.snr(NEW, A) == pl_d.snr(A, NEW) == -10.0
    pos = POS_REQ.pack(13, NEW, 0.0, 10.0, 0.0)
    assert c.request(pos) == answer(pos, 0)
    # wmediumd's defaults for a new station: 30 dBm; A sends with the config's 20
    here = [(0, 0, 0), (10, 0, 0), (0, 20, 0), (0, 10, 0)]
    assert pl_d.snr(NEW, A) == pytest.approx(_expected_snr(here, [20, 20, 20, 30], 3, 0))
    assert pl_d.snr(A, NEW) == pytest.approx(_expected_snr(here, [20, 20, 20, 30], 0, 3))
    pl_d.record(pl_d.port(NEW))
    assert [i.signal for i in pl_d.send(A, NEW)] == [round(_expected_snr(here, [20] * 4, 0, 3) - 91)]


def test_moving_stations_recompute_their_links_over_hand_set_snrs(tmp_path):
    cfg = PATH_LOSS_CFG.replace("tx_powers", "directions = ( (0.0, 0.0), (5.0, 0.0), (0.0, 0.0) ); tx_powers")
    d = Daemon(tmp_path, cfg)
    c = d.client()
    snr = SNR_REQ.pack(1, A, B, 3)
    assert c.request(snr) == answer(snr, 0) and d.snr(A, B) == 3.0
    d.sched.run_for(3 * SEC + MS)  # one step of wmediumd's 3-s mobility
    pos = [(0, 0, 0), (15, 0, 0), (0, 20, 0)]
    assert d.snr(A, B) == pytest.approx(_expected_snr(pos, [20] * 3, 0, 1))
