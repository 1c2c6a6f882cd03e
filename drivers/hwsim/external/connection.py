"""One datagram peer of the MAC80211_HWSIM protocol, on a scheduler.

A SEQPACKET or netlink socket read when it is readable and written without
ever blocking.  Reading takes turns: each readiness callback reads until
the peer has spent its budget of messages (`read_budget`: the receiver says
what a datagram cost; a datagram is never split) or `RECV_BATCH`
datagrams, then the other sockets get theirs, so a peer that floods gets
its share of the reading and no more.  What the socket cannot take yet is
queued, up to a bound, and beyond it dropped and counted, so a peer that
stops reading cannot grow our memory (`full` says when the bound is
reached: a sender can drop before it builds a message).  Both the driver's
server and hwsim-mediumd use it, and `WarnLimiter` for what a misbehaving
peer makes them say.
"""

from __future__ import annotations

import errno
import logging
import select
import socket
from collections import deque
from collections.abc import Callable
from typing import Any

from ic.sched import SEC, Scheduler, TaskQueue

RECV_SIZE = 65536
RECV_BATCH = 64  # datagrams read per readiness callback before others get a turn ...
READ_BUDGET = 64  # ... or messages, as the receiver weighs them (its datagrams are never split)
# What a message read through hwsim-mediumd's general decoder costs of its peer's turn at reading,
# in kernel-layout FRAMEs (its fast path): about 8 to 20 times as long (8 us against 50-170 us).
SLOW_COST = 8
MAX_OUT_BYTES = 4 << 20  # queued for a peer that does not read; beyond, messages are dropped and counted
WARN_BURST = 5  # identical warnings logged before they are only counted ...
WARN_INTERVAL_NS = 10 * SEC  # ... until a summary line this often


def hung_up(sock: socket.socket) -> bool:
    """Whether the peer is gone.  recv() returns b"" both at the end and for a
    zero-length datagram, which any peer of a SEQPACKET socket can send: only
    the end is a hang-up (a netlink socket never has one)."""
    p = select.poll()
    p.register(sock, select.POLLRDHUP | select.POLLHUP)
    return any(ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR) for _, ev in p.poll(0))


class WarnLimiter:
    """Log the first few of each kind of warning, then one summary per interval."""

    def __init__(self, sched: Scheduler, logger: logging.Logger) -> None:
        self.sched = sched
        self.log = logger
        self._seen: dict[str, list[int]] = {}  # key -> [count in window, window start, suppressed]

    def warn(self, key: str, fmt: str, *args: Any) -> None:
        now = self.sched.now_ns
        st = self._seen.get(key)
        if st is None or now - st[1] >= WARN_INTERVAL_NS:
            if st is not None and st[2]:
                self.log.warning("%d more like: %s", st[2], key)
            st = self._seen[key] = [0, now, 0]
        st[0] += 1
        if st[0] <= WARN_BURST:
            self.log.warning(fmt, *args)
        else:
            st[2] += 1


class Connection:
    """One datagram peer: never blocks, queues what the socket cannot take yet,
    up to `max_out` bytes (then drops and counts: a peer that stops reading
    must not grow our memory), reads in turns of `read_budget` messages.

    `on_datagram` may return how many messages the datagram held (None: one)."""

    def __init__(self, sched: Scheduler, sock: socket.socket, portid: int,
                 on_datagram: Callable[[Connection, bytes], Any],
                 on_close: Callable[[Connection], Any], *, max_out: int = MAX_OUT_BYTES,
                 read_budget: int = READ_BUDGET) -> None:
        self.sched = sched
        self.sock = sock
        self.portid = portid
        self.on_datagram = on_datagram
        self.on_close = on_close
        self.closed = False
        self.max_out = max_out
        self.read_budget = read_budget
        self.turns = 0  # readiness callbacks served
        self.turns_cut = 0  # ... ended by the budget with more to read: the others went first
        self.out_bytes = 0
        self.out_dropped = 0  # messages dropped because the peer did not read
        self._full = False  # the last message was dropped and the peer has read nothing since
        self.overruns = 0  # netlink receive overruns (ENOBUFS)
        self.empty = 0  # zero-length datagrams (passed on as b"": the receiver counts them as malformed)
        self._out: deque[bytes] = deque()
        self._closing = TaskQueue(sched, f"genl-{portid}")
        sock.setblocking(False)
        sched.add_reader(sock, self._readable)

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        if self._out:
            self._queue(data)
            return
        try:
            self.sock.send(data)
        except BlockingIOError:
            self._queue(data)
            self.sched.add_writer(self.sock, self._writable)
        except OSError:
            # Not from inside a caller's transmit: the fallback runs as a task.
            self._closing.enqueue(self.close)

    def _queue(self, data: bytes) -> None:
        if self.out_bytes + len(data) > self.max_out:
            self.out_dropped += 1
            self._full = True
            return
        self._out.append(data)
        self.out_bytes += len(data)

    @property
    def backlog(self) -> int:
        """Messages waiting for the peer to read."""
        return len(self._out)

    @property
    def full(self) -> bool:
        """Whether what waits for the peer reached its bound (a message was dropped) and the
        peer has read nothing since: the next message would be dropped too."""
        return self._full

    def _writable(self) -> None:
        while self._out:
            try:
                self.sock.send(self._out[0])
            except BlockingIOError:
                return
            except OSError:
                self.close()
                return
            self.out_bytes -= len(self._out.popleft())
            self._full = False
        self.sched.remove_writer(self.sock)

    def _readable(self) -> None:
        self.turns += 1
        budget = self.read_budget
        for _ in range(RECV_BATCH):
            if budget <= 0:
                self.turns_cut += 1  # whatever more there is waits for the next turn, after the others
                return
            if self.closed:
                return
            try:
                data = self.sock.recv(RECV_SIZE)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.ENOBUFS:  # netlink: the kernel dropped messages we were too slow for
                    self.overruns += 1
                    continue
                data = b""
            if not data:
                if hung_up(self.sock):
                    self.close()
                    return
                self.empty += 1
            n = self.on_datagram(self, data)
            budget -= 1 if n is None else max(int(n), 1)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.sched.remove_reader(self.sock)
        self.sched.remove_writer(self.sock)
        self.sock.close()
        self._out.clear()
        self.out_bytes = 0
        self._full = False
        self.on_close(self)


__all__ = ["Connection", "MAX_OUT_BYTES", "READ_BUDGET", "RECV_BATCH", "RECV_SIZE", "SLOW_COST", "WARN_BURST",
           "WarnLimiter", "hung_up"]
