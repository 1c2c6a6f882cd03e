"""One family hwsim-mediumd serves: a transport, its connection and what the
daemon sent it.

The daemon may serve several at once (the kernel's radios and drivers'
sockets in one medium).  Each has its own family id, its own sequence
numbers and memory of requests (an error names what it answers), its own
outgoing batch, and its own channel probes: everything about a message
depends on the transport that carries it.

Each also has its share of the daemon, so that a peer that floods it
(or stops reading) costs the others nothing but the airtime its radios
take: its turn at reading (connection.py), `quota` frames in the medium
at once (beyond, answered unsent, as a full TX queue drops), no delivery
built while RX_BACKLOG or more waits for it (`behind`: a frame delivered
that late is stale, as from an overflowing receive ring, and the rest of
the bound is kept for statuses, whose loss would leave its radios waiting),
no status once the bound dropped one (`congested`), and its share of the
radio table (stations.py).
`stats` counts what it cost and what was dropped, per peer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from ic.sched import Scheduler, TaskQueue

from . import genl
from .connection import Connection
from .genl import Message
from .transport import Transport

if TYPE_CHECKING:
    from .stations import Radio

FLUSH_BYTES = 32 << 10  # messages to the peer go out together, in one datagram, up to this size
PEER_STATS = ("frames", "deliveries", "statuses", "queue_full", "rx_dropped", "status_dropped", "read_turns",
              "turns_cut", "out_dropped")
MAX_EARLY = 4096  # messages of the family kept while the handshake is still under way
SENT_MEMORY = 4096  # requests remembered by sequence number, to say what an error answers
RX_BACKLOG = 256 << 10  # bytes waiting for the peer beyond which no delivery is built for it


class Peer:
    """A kernel or driver the daemon is the medium of."""

    def __init__(self, index: int, transport: Transport, sched: Scheduler) -> None:
        self.index = index  # radios are keyed by (peer index, hardware address)
        self.transport = transport
        self.name = transport.name
        self.kind = transport.kind
        self.family = 0
        self.conn: Connection | None = None
        self.closed = False
        self.seq = 0
        self.wrapped = False  # the sequence numbers went round: any number may be one of ours
        self.inflight = 0  # frames of its radios in the medium, awaiting their status
        self.quota = 0  # ... at most (its share of the daemon's bound, set as peers come and go)
        self.stats: dict[str, int] = dict.fromkeys(PEER_STATS, 0)
        self.sent: OrderedDict[int, str | tuple[str, bytes, int]] = OrderedDict()
        self.probes: OrderedDict[int, tuple[Radio, int]] = OrderedDict()  # seq -> (radio, freq) asked to ack
        # what a request another path sent was (hwsim-mediumd's C output path: fastout.py)
        self.recall: Callable[[int], tuple[str, bytes, int] | None] | None = None
        self.early: list[Message] = []
        self._obuf: list[bytes] = []
        self._olen = 0
        self._flush_pending = False
        # a task, not a timed event: the messages of one event leave together right after it
        self._outq = TaskQueue(sched, f"mediumd-out-{index}")

    @property
    def is_kernel(self) -> bool:
        return self.kind == "kernel"

    def next_seq(self) -> int:
        if self.seq < 0xFFFF_FFFF:
            self.seq += 1
        else:
            self.seq, self.wrapped = 1, True
        return self.seq

    def issued(self, seq: int) -> bool:
        """Whether `seq` numbers a request we sent (remembered or not): an answer to
        any other was made up."""
        return self.wrapped or 0 < seq <= self.seq

    @property
    def congested(self) -> bool:
        """What waits for the peer to read has reached its bound: more would be dropped."""
        conn = self.conn
        return conn is not None and conn.full

    @property
    def behind(self) -> bool:
        """The peer does not keep up: RX_BACKLOG (or three quarters of the bound) waits for
        it; deliveries yield to statuses."""
        conn = self.conn
        return conn is not None and (conn.full or conn.out_bytes >= min(RX_BACKLOG, 3 * conn.max_out // 4))

    def counters(self) -> dict[str, int]:
        """Its counters, the connection's included."""
        conn = self.conn
        if conn is not None:
            self.stats["read_turns"], self.stats["turns_cut"] = conn.turns, conn.turns_cut
            self.stats["out_dropped"] = conn.out_dropped
        return self.stats

    def remember(self, seq: int, what: str | tuple[str, bytes, int]) -> None:
        # what a later error names: for frames the text is made only if one comes
        sent = self.sent
        sent[seq] = what
        if len(sent) > SENT_MEMORY:
            sent.popitem(last=False)

    def what(self, seq: int) -> str | tuple[str, bytes, int] | None:
        """What request `seq` was, while it is remembered."""
        what = self.sent.get(seq)
        if what is None and self.recall is not None:
            what = self.recall(seq)
        return what

    def describe(self, seq: int) -> str:
        what = self.what(seq)
        if what is None:
            return f"request seq {seq}"
        if isinstance(what, tuple):
            cmd, hw, n = what
            return f"{cmd} {hw.hex(':')} #{n} (seq {seq})"
        return f"{what} (seq {seq})"

    def request(self, msg: Message, what: str, *, direct: bool = False) -> int:
        """Send a request of ours, numbered; `direct` during the blocking handshake."""
        msg.seq = self.next_seq()
        self.remember(msg.seq, what)
        data = genl.encode(msg)
        if direct:
            self.transport.sock.send(data)
        else:
            self.emit(data)
        return msg.seq

    def probe(self, seq: int, radio: Radio, freq: int) -> None:
        self.probes[seq] = (radio, freq)
        if len(self.probes) > SENT_MEMORY:
            self.probes.popitem(last=False)

    def stash(self, msg: Message) -> bool:
        """Keep a message that came during the handshake; False when full."""
        if len(self.early) >= MAX_EARLY:
            return False
        self.early.append(msg)
        return True

    def emit(self, data: bytes) -> None:
        """Queue one message; they leave together at the end of this instant
        (or when the datagram is full)."""
        if self._olen + len(data) > FLUSH_BYTES:
            self.flush()
        self._obuf.append(data)
        self._olen += len(data)
        if not self._flush_pending:
            self._flush_pending = True
            self._outq.enqueue(self.flush)

    def flush(self) -> None:
        self._flush_pending = False
        if not self._obuf:
            return
        data = b"".join(self._obuf)
        self._obuf.clear()
        self._olen = 0
        if self.conn is not None and not self.conn.closed:
            self.conn.send(data)

    def close(self) -> None:
        """Flush and close without calling back (we leave; the peer did not)."""
        self.flush()
        if self.conn is not None:
            self.conn.on_close = lambda c: None
            self.conn.close()
        else:
            self.transport.close()
        self.closed = True


__all__ = ["FLUSH_BYTES", "MAX_EARLY", "PEER_STATS", "Peer", "RX_BACKLOG", "SENT_MEMORY"]
