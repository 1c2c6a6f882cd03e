"""hwsim-mediumd's per-frame input in C (`_fastpath.c`), Python deciding when it may be used.

A peer's datagrams are read in batches (recvmmsg).  A FRAME from a
transmitter the daemon has marked steady goes straight to the medium kernel
in C, and the frame stays in C for its deliveries and status (fastout.py).
Everything else is handed, in order, to the daemon's Python path, which is
the reference: it decides which transmitters are steady (`MediumDaemon._tx`,
`_mark_steady`).  A frame it takes forgets its transmitter, and all of them
when it makes or confirms a radio or learns an address; an answer to our
requests forgets the radio it changes (`MediumDaemon._touch`); every other
message, every station added or removed and every peer that comes or goes
forgets them all (`FastInput.forget`).  So the C path only ever repeats a
decision Python has made for the same radio since.  The control API's link
changes need nothing: they are the kernel's, which both paths read.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ic.sched import Scheduler

from ._fastpath_cffi import ffi, lib
from .connection import RECV_BATCH, RECV_SIZE, SLOW_COST, Connection, hung_up

if TYPE_CHECKING:
    from .mediumd import MediumDaemon
    from .peer import Peer

FP_SLOW = lib.FP_SLOW


class FastInput:
    """The steady transmitters of one peer, as the C path sees them."""

    def __init__(self, kernel_handles: tuple[int, int], put: Any) -> None:
        t = lib.fp_new()
        if t == ffi.NULL:
            raise MemoryError("fast path table")
        self._t = ffi.gc(t, lib.fp_free)
        medium, tx = kernel_handles
        # The kernel's cdata lives in the medium's own module: only its address crosses over.
        lib.fp_set_medium(self._t, ffi.cast("void *", medium), ffi.cast("void *", tx))
        self._put = put  # the daemon's (put_mark()): kept alive as long as the table points at it
        lib.fp_set_put(self._t, put)
        self.frame = ffi.new("struct fp_frame *")

    def add(self, hw: bytes, station: int, freq: int, rx_freq: int, addr2s: list[bytes]) -> bool:
        """Mark `hw` steady; False when the table or its address list is full."""
        return lib.fp_add(self._t, hw, station, freq, rx_freq, b"".join(addr2s), len(addr2s)) == 0

    def forget(self, hw: bytes | None = None) -> None:
        """Forget every steady transmitter, or only `hw`."""
        if hw is None:
            lib.fp_clear(self._t)
        else:
            lib.fp_forget(self._t, hw)

    def __len__(self) -> int:
        return int(lib.fp_count(self._t))

    def frame_in(self, data: bytes, family: int, now_ns: int, unheard: bool = False) -> int:
        """fp_frame_in on one datagram (tests; the connection calls C on its buffer)."""
        return int(lib.fp_frame_in(self._t, data, len(data), family, now_ns, unheard, self.frame))


def put_mark() -> Any:
    """The daemon's mark of the last frame put on the medium (`struct fp_put`: ns, station,
    any), which the C path and the Python path both read and write."""
    return ffi.new("struct fp_put *")


def parse_frame(data: bytes, family: int) -> tuple[bytes, bytes, int, int, bytes, int] | None:
    """`genl.kernel_frame_fields` in C: the same answer for every input."""
    f = ffi.new("struct fp_frame *")
    if not lib.fp_parse_frame(data, len(data), family, f):
        return None
    return (data[f.hw_off:f.hw_off + 6], data[f.frame_off:f.frame_off + f.frame_len], f.flags, f.freq,
            bytes(f.tx_info) + bytes(f.tx_flags), f.cookie)


class FastConnection(Connection):
    """A peer's connection whose reads are batched and whose steady frames take the C path."""

    def __init__(self, sched: Scheduler, sock: socket.socket, portid: int,
                 on_datagram: Callable[[Connection, bytes], Any], on_close: Callable[[Connection], Any], *,
                 daemon: MediumDaemon, peer: Peer, fast: FastInput) -> None:
        self._buf = ffi.new("uint8_t[]", RECV_SIZE * RECV_BATCH)
        self._view = memoryview(ffi.buffer(self._buf))
        self._lens = ffi.new("uint32_t[]", RECV_BATCH)
        self.daemon = daemon
        self.peer = peer
        self.fast = fast
        self.fast_frames = 0  # frames that took the C path
        super().__init__(sched, sock, portid, on_datagram, on_close)

    def _readable(self) -> None:
        # Connection._readable's turns and budget, with datagrams read in batches: a FRAME
        # costs 1, whatever the daemon's Python handles what it says it cost.  A datagram
        # read is handled (a socket takes nothing back), so a peer that shares the daemon
        # reads one at a time and stops when its turn is spent, as Connection does; alone,
        # its turn is RECV_BATCH datagrams of any cost and it reads them in batches.
        batch = RECV_BATCH if self.read_budget >= SLOW_COST * RECV_BATCH else 1
        self.turns += 1
        d, peer, fast = self.daemon, self.peer, self.fast
        dout = d._out
        medium = d.medium
        stats, pstats, frames, mports = d.stats, peer.stats, d.frames, medium.ports
        buf, view, lens, out = self._buf, self._view, self._lens, fast.frame
        t, family, sched = fast._t, peer.family, self.sched
        budget = self.read_budget
        reads = RECV_BATCH
        fd = self.sock.fileno()
        while reads > 0:
            if budget <= 0:
                self.turns_cut += 1  # whatever more there is waits for the next turn, after the others
                return
            asked = min(reads, batch)
            n = lib.fp_recv(fd, buf, RECV_SIZE, asked, lens)
            if n == 0:
                return
            if n < 0:
                reads -= 1
                if -n == errno.ENOBUFS:  # netlink: the kernel dropped messages we were too slow for
                    self.overruns += 1
                    continue
                n = 1
                lens[0] = 0  # any other error: read as nothing, like Connection
            reads -= n
            for i in range(n):
                if self.closed:
                    return
                ln = lens[i]
                base = i * RECV_SIZE
                if ln and fast.__len__() and medium._capture is None and peer.inflight < peer.quota:
                    medium._sync_links()
                    fid = lib.fp_frame_in(t, buf + base, ln, family, sched.now_ns, bool(d.unheard), out)
                    if fid != FP_SLOW:
                        budget -= 1
                        self.fast_frames += 1
                        stats["frames"] += 1
                        pstats["frames"] += 1
                        hw = bytes(view[base + 24:base + 30])
                        if fid > 0:
                            peer.inflight += 1
                            # kept in C for the C output path, else in the Python tables
                            if dout is None or not dout.store(fid, buf + base + 36, out.frame_len, out.radio,
                                                              peer.index, buf + base + 24, out.cookie,
                                                              out.flags):
                                medium._frames[fid] = (mports[out.radio],
                                                       bytes(view[base + 36:base + 36 + out.frame_len]))
                                frames[fid] = (peer, hw, out.cookie, out.flags)
                            medium._after_kernel()
                        else:  # the kernel refused it (its radio stopped, its queue full): answered unsent
                            medium.stats["tx_refused"] += 1
                            if fid == -errno.ENOBUFS:
                                stats["queue_full"] += 1
                                pstats["queue_full"] += 1
                            d._answer_unsent(peer, hw, out.flags, out.cookie, bytes(out.tx_info))
                        if self.out_dropped:
                            d._count_out_dropped()
                        continue
                data = bytes(view[base:base + ln])
                if not data:
                    if hung_up(self.sock):
                        self.close()
                        return
                    self.empty += 1
                cost = self.on_datagram(self, data)
                budget -= 1 if cost is None else max(int(cost), 1)
            if n < asked:
                return  # the socket had no more: no read just to hear EAGAIN


__all__ = ["FP_SLOW", "FastConnection", "FastInput", "parse_frame", "put_mark"]
