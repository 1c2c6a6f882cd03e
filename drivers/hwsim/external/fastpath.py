"""hwsim-mediumd's per-frame input in C (`_fastpath.c`), Python deciding when it may be used.

A peer's datagrams are read in batches (recvmmsg).  A FRAME from a
transmitter the daemon has marked steady goes straight to the medium kernel
in C, and Python keeps only what the medium and the daemon must remember of
it (the frame's bytes for its deliveries, its cookie for its status).
Everything else is handed, in order, to the daemon's Python path, which is
the reference: it decides which transmitters are steady (`MediumDaemon._tx`,
`_mark_steady`).  A frame it takes forgets its transmitter, and all of them
when it makes or confirms a radio or learns an address; every other
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
from .connection import RECV_BATCH, RECV_SIZE, Connection, hung_up

if TYPE_CHECKING:
    from .mediumd import MediumDaemon
    from .peer import Peer

FP_SLOW = lib.FP_SLOW


class FastInput:
    """The steady transmitters of one peer, as the C path sees them."""

    def __init__(self, kernel_handles: tuple[int, int]) -> None:
        t = lib.fp_new()
        if t == ffi.NULL:
            raise MemoryError("fast path table")
        self._t = ffi.gc(t, lib.fp_free)
        medium, tx = kernel_handles
        # The kernel's cdata lives in the medium's own module: only its address crosses over.
        lib.fp_set_medium(self._t, ffi.cast("void *", medium), ffi.cast("void *", tx))
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

    def frame_in(self, data: bytes, family: int, now_ns: int) -> int:
        """fp_frame_in on one datagram (tests; the connection calls C on its buffer)."""
        return int(lib.fp_frame_in(self._t, data, len(data), family, now_ns, self.frame))


def parse_frame(data: bytes, family: int) -> tuple[bytes, bytes, int, int, bytes, int] | None:
    """`genl.kernel_frame_fields` in C: the same answer for every input."""
    f = ffi.new("struct fp_frame *")
    if not lib.fp_parse_frame(data, len(data), family, f):
        return None
    return (data[f.hw_off:f.hw_off + 6], data[f.frame_off:f.frame_off + f.frame_len], f.flags, f.freq,
            bytes(f.tx_info), f.cookie)


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
        d, peer, fast = self.daemon, self.peer, self.fast
        medium = d.medium
        stats, frames, mports = d.stats, d.frames, medium.ports
        buf, view, lens, out = self._buf, self._view, self._lens, fast.frame
        t, family, sched = fast._t, peer.family, self.sched
        budget = RECV_BATCH
        fd = self.sock.fileno()
        while budget > 0:
            asked = budget
            n = lib.fp_recv(fd, buf, RECV_SIZE, asked, lens)
            if n == 0:
                return
            if n < 0:
                budget -= 1
                if -n == errno.ENOBUFS:  # netlink: the kernel dropped messages we were too slow for
                    self.overruns += 1
                    continue
                n = 1
                lens[0] = 0  # any other error: read as nothing, like Connection
            for i in range(n):
                if self.closed:
                    return
                budget -= 1
                ln = lens[i]
                base = i * RECV_SIZE
                if ln and fast.__len__() and not d.unheard and medium._capture is None \
                        and len(frames) < d.max_inflight:
                    medium._sync_links()
                    fid = lib.fp_frame_in(t, buf + base, ln, family, sched.now_ns, out)
                    if fid != FP_SLOW:
                        self.fast_frames += 1
                        stats["frames"] += 1
                        hw = bytes(view[base + 24:base + 30])
                        frame = bytes(view[base + 36:base + 36 + out.frame_len])
                        if fid > 0:
                            medium._frames[fid] = (mports[out.radio], frame)
                            frames[fid] = (peer, hw, out.cookie, out.flags)
                            medium._after_kernel()
                        else:  # the kernel refused it (its radio stopped): answered unsent
                            medium.stats["tx_refused"] += 1
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
                self.on_datagram(self, data)
            if n < asked:
                return  # the socket had no more: no read just to hear EAGAIN


__all__ = ["FP_SLOW", "FastConnection", "FastInput", "parse_frame"]
