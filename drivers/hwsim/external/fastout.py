"""hwsim-mediumd's per-frame output in C (`_fastpath.c`, fo_*): deliveries and statuses.

The frames the C input path took (fastpath.py) are kept in C, not in the
medium's and the daemon's tables.  When the medium kernel has output, the
C run (`fo_dispatch`) takes its events in order: a delivery to a station
whose radio is bound and listening on a known channel, or the status of a
frame whose peer reads, is encoded into the peer's buffer with the peer's
next sequence number and remembered for an error that may answer it; a
delivery to a station without a radio is counted.  The first event that
needs Python stops the run: the buffers go to the peers first, the frame
(if C holds it) moves to the Python tables, and the medium's own dispatch
handles the event, so every peer receives the messages, numbers included,
the Python path would send.  Python says what each station is
(`touch`, refreshed before each run) and whether each peer reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kernel import CKernel
from ._fastpath_cffi import ffi, lib

if TYPE_CHECKING:
    from .mediumd import MediumDaemon

FO_DONE, FO_REST, FO_FULL = lib.FO_DONE, lib.FO_REST, lib.FO_FULL
FO_PYTHON, FO_UNBOUND, FO_DELIVER = lib.FO_PYTHON, lib.FO_UNBOUND, lib.FO_DELIVER
MAX_PEERS = lib.FO_MAX_PEERS


class FastOutput:
    """The C output path of one daemon (its medium must run on the C kernel)."""

    def __init__(self, daemon: MediumDaemon, kernel: CKernel) -> None:
        o = lib.fo_new()
        if o == ffi.NULL:
            raise MemoryError("fast output tables")
        self._o = ffi.gc(o, lib.fo_free)
        medium, pop = kernel.raw_pop_handles()
        lib.fo_set_medium(self._o, ffi.cast("void *", medium), ffi.cast("void *", pop))
        self._kernel = kernel  # the C tables point into it: kept alive with them
        self.daemon = daemon
        self.dirty: set[int] = set()  # stations whose entry is to be refreshed before the next run
        self._rest = ffi.new("struct med_event *")
        self._taken = ffi.new("struct fo_taken *")
        self._counts = lib.fo_counts(self._o)
        self._peers: list[Any] = []  # struct fo_peer * by peer index
        self.deliveries = self.statuses = 0  # made by the C run

    # -- what Python tells ---------------------------------------------------------------
    def peer(self, index: int, family: int) -> bool:
        """A new peer: False when the C tables have no room (the daemon then keeps to Python)."""
        if index >= MAX_PEERS:
            return False
        p = lib.fo_peer(self._o, index)
        if p == ffi.NULL:
            raise MemoryError("fast output buffer")
        p.family = family
        self._peers.append(p)
        return True

    def touch(self, station: int) -> None:
        """Station `station` changed (bound, unbound, its channel learned or lost)."""
        self.dirty.add(station)

    def touch_all(self) -> None:
        self.dirty.update(range(len(self.daemon.ports)))

    def _refresh(self) -> None:
        d = self.daemon
        ports, bound, peers = d.ports, d.bound, d.peers
        for st in self.dirty:
            port = ports[st]
            what, hw, pi = FO_PYTHON, ffi.NULL, 0
            if port.attached and port.rx is not None:
                r = bound.get(st)
                if r is None:
                    what = FO_UNBOUND
                elif r.freq is not None and r.peer < len(self._peers) and not peers[r.peer].closed:
                    what, hw, pi = FO_DELIVER, r.hw, r.peer
            if lib.fo_set_station(self._o, port.index, what, hw, pi) < 0:
                raise MemoryError("fast output station table")
        self.dirty.clear()

    def store(self, fid: int, data: Any, length: int, port: int, peer: int, hw: Any, cookie: int,
              flags: int) -> bool:
        """Keep a frame put on the medium (`data` and `hw` bytes, or pointers into the C input
        path's buffer); False: Python's tables keep it."""
        if isinstance(data, bytes) and len(data) != length or isinstance(hw, bytes) and len(hw) != 6:
            return False  # C reads `length` and 6 bytes from them
        return lib.fo_store(self._o, fid, data, length, port, peer, hw, cookie, flags) == 0

    def __len__(self) -> int:
        return int(lib.fo_count(self._o))

    def take(self, fid: int) -> tuple[int, bytes, int, bytes, int, int] | None:
        """A frame C holds, given back: (port index, frame, peer, hw, cookie, flags)."""
        t = self._taken
        if not lib.fo_take(self._o, fid, t):
            return None
        return (t.port, bytes(ffi.buffer(t.data, t.len)), t.peer, bytes(t.hw[0:6]), t.cookie, t.flags)

    def recall(self, peer: int, seq: int) -> tuple[str, bytes, int] | None:
        """What request `seq` the C run sent to `peer` was, while it remembers."""
        s = ffi.new("struct fo_sent *")
        if not lib.fo_recall(self._o, peer, seq, s):
            return None
        kind = "FRAME to" if s.kind == lib.FO_SENT_FRAME else "TX_INFO_FRAME"
        return (kind, bytes(s.hw[0:6]), s.n)

    # -- the run -------------------------------------------------------------------------
    def run(self) -> None:
        """The medium's dispatch: its events in order, C first, Python for the rest."""
        d = self.daemon
        medium = d.medium
        peers, cpeers = d.peers, self._peers
        capture = medium._capture is not None
        o, rest = self._o, self._rest
        while True:
            if self.dirty:
                self._refresh()
            for p, cp in zip(peers, cpeers, strict=False):
                cp.seq = p.seq
                cp.wrapped = p.wrapped
                cp.rx_ok = not (p.closed or p.behind)
                cp.status_ok = not (p.closed or p.congested or capture)
            rc = lib.fo_dispatch(o, rest)
            self._drain()
            if rc == FO_DONE:
                return
            if rc == FO_REST:
                self._python(rest)

    def _drain(self) -> None:
        """The C run's messages to the peers, numbers and counters back to Python."""
        d = self.daemon
        stats = d.stats
        for p, cp in zip(d.peers, self._peers, strict=False):
            p.seq = cp.seq
            p.wrapped = bool(cp.wrapped)
            if cp.out_len:
                p.emit(bytes(ffi.buffer(cp.out, cp.out_len)))
                cp.out_len = 0
            if cp.deliveries:
                n = cp.deliveries
                cp.deliveries = 0
                stats["deliveries"] += n
                self.deliveries += n
                p.stats["deliveries"] += n
            if cp.statuses:
                n = cp.statuses
                cp.statuses = 0
                stats["statuses"] += n
                self.statuses += n
                p.stats["statuses"] += n
                p.inflight -= n
        c = self._counts
        if c.rx or c.tx_status or c.rx_no_radio:
            mstats = d.medium.stats
            mstats["rx"] += c.rx
            mstats["tx_status"] += c.tx_status
            stats["rx_no_radio"] += c.rx_no_radio
            c.rx = c.tx_status = c.rx_no_radio = 0

    def _python(self, e: Any) -> None:
        """One event for the medium's own dispatch; its frame moved to Python's tables first."""
        d = self.daemon
        medium = d.medium
        fid = e.frame_id
        taken = self.take(fid)
        if taken is not None:
            port, frame, pi, hw, cookie, flags = taken
            medium._frames[fid] = (medium.ports[port], frame)
            peer = d.peers[pi]
            if not peer.closed:  # a closed peer's frames are answered to nobody
                d.frames[fid] = (peer, hw, cookie, flags)
        rates = int.from_bytes(bytes(ffi.buffer(e.rates, 4)), "little")
        tries = int.from_bytes(bytes(ffi.buffer(e.tries, 4)), "little")
        medium._dispatch_events(((e.time_ns, fid, e.kind, e.radio, e.signal, e.freq, e.rate_idx, e.flags,
                                  rates, tries),))


__all__ = ["FastOutput"]
