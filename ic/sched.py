"""Time for a simulation or a daemon: one single-threaded, deterministic
scheduler with integer-nanosecond time, callouts and per-device task queues.

Virtual mode runs events as fast as possible; real-time mode paces them
against the monotonic clock and waits on file descriptors in between.  The
same protocol code runs on both.
"""

from __future__ import annotations

import heapq
import selectors
import time
from collections import deque
from collections.abc import Callable
from typing import Any

NS = 1
US = 1_000
MS = 1_000_000
SEC = 1_000_000_000
TU = 1_024 * US  # 802.11 time unit

_CANCELLED = None
# Events due within this of the time they are queued at go to a heap of
# their own (see Scheduler.call_at).
NEAR_NS = 10_000_000


# The wall-clock time (UNIX nanoseconds) virtual time 0 stands for in a
# virtual-time run unless told otherwise: 2000-01-01T00:00:00Z.  A fixed date,
# so that a seeded run writes the same capture files every time.
VIRTUAL_EPOCH_NS = 946_684_800 * SEC


def seconds(s: float) -> int:
    """Convert seconds to the scheduler's integer nanoseconds."""
    return round(s * SEC)


class Scheduler:
    """An event loop over integer-nanosecond time.

    Timed events run in (time, insertion) order; before time moves on, every
    queued task of every `TaskQueue` runs, in the order it was queued.
    """

    def __init__(self, *, realtime: bool = False, start_ns: int = 0, epoch_ns: int | None = None,
                 early_ns: int = 0) -> None:
        self.now_ns = start_ns
        self.realtime = realtime
        # The wall-clock time (UNIX ns) of time 0: what a capture file's
        # timestamps count from.  Real time: the wall clock at start-up;
        # virtual time: VIRTUAL_EPOCH_NS unless the caller chose a date.
        if epoch_ns is None:
            epoch_ns = time.time_ns() - start_ns if realtime else VIRTUAL_EPOCH_NS
        self.epoch_ns = int(epoch_ns)
        # Real time: an event due within early_ns of the wall clock runs at once rather than
        # after a sleep (a sleep is at least a millisecond, and more under emulation): time
        # stays within early_ns of the wall clock, ahead of it at most.
        self.early_ns = early_ns
        self.events_run = 0
        # (time, insertion, handle): the heaps compare their tuples, whose
        # first two items sit inside them, without reaching the handle (a
        # list: one more object, and its items another, per comparison).
        # Two heaps: events due soon (a medium's wake-ups and dispatches,
        # most of the pushes, pops and cancellations) and the rest (beacon
        # timers, beacon-miss checks: a few per radio, thousands in a big
        # world), so that the frequent ones never sift through the many.
        # The next event is the smaller head: the order is one heap's.
        self._near: list[tuple[int, int, list[Any]]] = []
        self._far: list[tuple[int, int, list[Any]]] = []
        self._seq = 0
        self._ready: deque[TaskQueue] = deque()
        self._running = False
        self._limit: int | None = None  # the time limit of the run_* in progress
        self._stop = False
        self._selector: selectors.BaseSelector | None = None
        self._wall0 = 0
        self._virt0 = 0
        self._rt_target: int | None = None
        self._holds: dict[Hold, None] = {}
        self.holds_expired = 0
        # Called as io_error(callback, exc) when a descriptor's callback
        # raises; None re-raises (tests want to see the bug).  A daemon sets
        # it so that one bad input cannot end the loop serving every client.
        self.io_error: Callable[[Callable[[], Any], Exception], Any] | None = None
        self.io_errors = 0

    # -- timed events ------------------------------------------------------
    def call_at(self, when_ns: int, fn: Callable[..., Any], *args: Any) -> list[Any]:
        """Run fn(*args) at absolute time when_ns; returns a handle for `cancel`."""
        if when_ns < self.now_ns:
            when_ns = self.now_ns
        self._seq += 1
        seq = self._seq
        entry = [when_ns, seq, fn, args]
        heapq.heappush(self._near if when_ns - self.now_ns < NEAR_NS else self._far, (when_ns, seq, entry))
        return entry

    def call_later(self, delay_ns: int, fn: Callable[..., Any], *args: Any) -> list[Any]:
        return self.call_at(self.now_ns + int(delay_ns), fn, *args)

    @staticmethod
    def cancel(entry: list[Any]) -> bool:
        """Cancel a pending event; True if it had not run yet."""
        pending = entry[2] is not _CANCELLED
        entry[2] = _CANCELLED
        entry[3] = ()
        return pending

    def next_event_ns(self) -> int | None:
        """Time of the earliest live event, or None."""
        heap = self._next_heap()
        return heap[0][0] if heap else None

    def _next_heap(self) -> list[tuple[int, int, list[Any]]] | None:
        """The heap whose head is the earliest live event (cancelled heads
        dropped), or None when nothing is pending."""
        near, far = self._near, self._far
        while near and near[0][2][2] is _CANCELLED:
            heapq.heappop(near)
        while far and far[0][2][2] is _CANCELLED:
            heapq.heappop(far)
        if not far:
            return near or None
        return near if near and near[0] < far[0] else far

    def horizon_ns(self) -> int:
        """The latest time up to which nothing else can happen: just before
        the next timed event and at most the limit of the run in progress.
        A component whose internal events need nobody else (the medium
        kernel) may process them up to here in one go.  Just `now_ns`
        outside a run, in a run_until with a predicate (it may end the run
        after any event), in real time, with file descriptors watched or
        holds active: then input may come at any moment."""
        limit = self._limit
        if (limit is None or self.realtime or self._holds or self._ready
                or (self._selector is not None and self._selector.get_map())):
            return self.now_ns
        nxt = self.next_event_ns()
        if nxt is not None and nxt <= limit:
            return max(self.now_ns, nxt - 1)
        return limit

    def late_horizon_ns(self) -> int:
        """In real time, from inside an event running late: the latest time the
        wall clock has already passed (plus `early_ns`) before which nothing
        else is due (the next timed event, the run's limit).  A component whose internal events
        need nobody else may process them up to here in one go and `catch_up`:
        input read afterwards carries the wall clock's time anyway.  `now_ns`
        when not running late, outside a run, in virtual time or with holds
        active; `horizon_ns` is the virtual-time counterpart."""
        if not self.realtime or not self._running or self._holds or self._ready:
            return self.now_ns
        h = self._wall_to_virtual() + self.early_ns
        nxt = self.next_event_ns()
        if nxt is not None and nxt <= h:
            h = nxt - 1
        if self._limit is not None and h > self._limit:
            h = self._limit
        return max(h, self.now_ns)

    def catch_up(self, t_ns: int) -> None:
        """Move the clock to t_ns (at most `late_horizon_ns()`), inside an event."""
        if t_ns > self.now_ns:
            self.now_ns = t_ns

    # -- tasks -------------------------------------------------------------
    def _task_ready(self, tq: TaskQueue) -> None:
        self._ready.append(tq)

    def run_tasks(self) -> int:
        """Run every queued task (tasks may queue more); returns how many ran."""
        n = 0
        ready = self._ready
        while ready:
            if ready.popleft()._run_one():
                n += 1
        return n

    # -- file descriptors --------------------------------------------------
    def _watch(self, fd: Any, slot: int, callback: Callable[[], Any] | None) -> None:
        if self._selector is None:
            if callback is None:
                return
            self._selector = selectors.DefaultSelector()
        sel = self._selector
        try:
            key = sel.get_key(fd)
        except (KeyError, ValueError):
            key = None
        cbs = list(key.data) if key is not None else [None, None]
        cbs[slot] = callback
        mask = (selectors.EVENT_READ if cbs[0] else 0) | (selectors.EVENT_WRITE if cbs[1] else 0)
        if key is None:
            if mask:
                sel.register(fd, mask, cbs)
        elif mask:
            sel.modify(fd, mask, cbs)
        else:
            sel.unregister(fd)

    def add_reader(self, fd: Any, callback: Callable[[], Any]) -> None:
        """Call callback() when fd is readable (checked between events)."""
        self._watch(fd, 0, callback)

    def remove_reader(self, fd: Any) -> None:
        self._watch(fd, 0, None)

    def add_writer(self, fd: Any, callback: Callable[[], Any]) -> None:
        """Call callback() when fd is writable (checked between events)."""
        self._watch(fd, 1, callback)

    def remove_writer(self, fd: Any) -> None:
        self._watch(fd, 1, None)

    def poll_io(self, timeout_s: float | None = 0.0) -> int:
        """Dispatch ready file descriptors, waiting at most timeout_s (None: forever)."""
        sel = self._selector
        if sel is None:
            if not timeout_s:
                return 0
            # Real-time pacing with nothing to watch: an empty selector
            # still waits out the timeout.
            sel = self._selector = selectors.DefaultSelector()
        ready = sel.select(timeout_s)
        if ready and self.realtime and self._rt_target is not None:
            # Callbacks see the time the data arrived, not the last event's.
            self.now_ns = max(self.now_ns, min(self._wall_to_virtual(), self._rt_target))
        n = 0
        for key, mask in ready:
            reader, writer = key.data
            if mask & selectors.EVENT_READ and reader is not None:
                self._dispatch(reader)
            # the reader may have unregistered the fd (a closed connection)
            if mask & selectors.EVENT_WRITE and writer is not None and key.data[1] is writer:
                self._dispatch(writer)
            n += 1
        if n:
            self.run_tasks()
        return n

    def _dispatch(self, callback: Callable[[], Any]) -> None:
        try:
            callback()
        except Exception as e:
            if self.io_error is None:
                raise
            self.io_errors += 1
            self.io_error(callback, e)

    # -- holds: waiting on the outside world in virtual time ----------------
    def hold(self, timeout_ns: int, on_expire: Callable[[], Any]) -> Hold:
        """Keep virtual time where it is until the hold is released.

        While any hold is active a virtual-time run executes no event; it
        waits on file descriptors instead (an external party is computing
        what happens next).  After timeout_ns of real time the hold expires
        and on_expire() runs.  A real-time scheduler cannot stop the clock:
        there a hold only arms the timeout as an ordinary event.
        """
        h = Hold(self, on_expire)
        if self.realtime:
            h._entry = self.call_later(timeout_ns, h._expire)
        else:
            h.deadline_ns = time.monotonic_ns() + int(timeout_ns)
            self._holds[h] = None
        return h

    @property
    def held(self) -> bool:
        return bool(self._holds)

    def _wait_holds(self) -> bool:
        """Serve fds until every hold is released or expired; False if stopped."""
        holds = self._holds
        while holds:
            if self._stop:
                return False
            now = time.monotonic_ns()
            first = min(h.deadline_ns for h in holds)
            if first <= now:
                for h in [h for h in holds if h.deadline_ns <= now]:
                    h._expire()
                self.run_tasks()
            else:
                self.poll_io((first - now) / SEC)
        return not self._stop

    # -- running -----------------------------------------------------------
    def stop(self) -> None:
        """Make the current run_* call return after the event in progress."""
        self._stop = True

    def _wall_to_virtual(self) -> int:
        return self._virt0 + (time.monotonic_ns() - self._wall0)

    def _advance(self, limit_ns: int) -> bool:
        """Run the next event at or before limit_ns; False if there is none."""
        if self._ready:
            self.run_tasks()
        if self._selector is not None and not self.realtime:
            self.poll_io(0.0)
        if self._holds and not self._wait_holds():
            return False
        heap = self._next_heap()
        nxt = heap[0][0] if heap else None
        if self.realtime:
            target = limit_ns if nxt is None or nxt > limit_ns else nxt
            while True:
                wait_ns = target - self._wall_to_virtual() - self.early_ns
                if wait_ns <= 0:
                    break
                self._rt_target = target
                try:
                    n = self.poll_io(wait_ns / SEC)
                finally:
                    self._rt_target = None
                if n:
                    now = self._wall_to_virtual()
                    self.now_ns = max(self.now_ns, min(now, target))
                    if self._stop:
                        return False
                    heap = self._next_heap()
                    nxt = heap[0][0] if heap else None
                    target = limit_ns if nxt is None or nxt > limit_ns else nxt
        if heap is None or nxt is None or nxt > limit_ns:
            return False
        self.now_ns, _, entry = heapq.heappop(heap)
        fn = entry[2]
        entry[2] = _CANCELLED
        self.events_run += 1
        fn(*entry[3])
        if self._ready:
            self.run_tasks()
        return True

    def _begin(self) -> None:
        if self._running:
            raise RuntimeError("Scheduler.run_* called from inside a running event")
        self._running = True
        self._stop = False
        if self.realtime:
            self._wall0 = time.monotonic_ns()
            self._virt0 = self.now_ns

    def run_for(self, duration_ns: int) -> None:
        """Run every event up to now + duration_ns; time ends exactly there."""
        self.run_until(None, duration_ns)

    def run_until(self, predicate: Callable[[], bool] | None, timeout_ns: int) -> bool:
        """Run until predicate() is true (checked after every event) or
        timeout_ns has passed; returns the predicate's last value."""
        limit = self.now_ns + int(timeout_ns)
        self._begin()
        # Without a predicate the run can end only at the limit (or stop()),
        # so nothing can act between now and the next event: see horizon_ns.
        self._limit = limit if predicate is None else None
        try:
            self.run_tasks()
            if predicate is not None and predicate():
                return True
            while not self._stop and self._advance(limit):
                if predicate is not None and predicate():
                    return True
            if not self._stop:
                self.now_ns = max(self.now_ns, limit)
            return bool(predicate and predicate())
        finally:
            self._running = False
            self._limit = None


class Hold:
    """See `Scheduler.hold`: virtual time waits until `release()` or expiry."""

    __slots__ = ("sched", "on_expire", "deadline_ns", "_entry")

    def __init__(self, sched: Scheduler, on_expire: Callable[[], Any]) -> None:
        self.sched = sched
        self.on_expire = on_expire
        self.deadline_ns = 0
        self._entry: list[Any] | None = None

    @property
    def active(self) -> bool:
        if self._entry is not None:
            return self._entry[2] is not _CANCELLED
        return self in self.sched._holds

    def release(self) -> bool:
        """The awaited answer came; True if the hold was still active."""
        if self._entry is not None:
            entry, self._entry = self._entry, None
            return Scheduler.cancel(entry)
        return self.sched._holds.pop(self, False) is None

    def _expire(self) -> None:
        self._entry = None
        self.sched._holds.pop(self, None)
        self.sched.holds_expired += 1
        self.on_expire()


class Callout:
    """A restartable one-shot timer, like callout(9)."""

    __slots__ = ("sched", "_entry")

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self._entry: list[Any] | None = None

    @property
    def pending(self) -> bool:
        return self._entry is not None and self._entry[2] is not _CANCELLED

    @property
    def expires_ns(self) -> int | None:
        entry = self._entry
        return entry[0] if entry is not None and entry[2] is not _CANCELLED else None

    def reset(self, delay_ns: int, fn: Callable[..., Any], *args: Any) -> None:
        """(Re)arm: fn(*args) runs delay_ns from now unless stopped first."""
        if self._entry is not None:
            Scheduler.cancel(self._entry)
        self._entry = self.sched.call_later(delay_ns, fn, *args)

    def stop(self) -> bool:
        """Disarm; True if it was pending."""
        if self._entry is None:
            return False
        entry, self._entry = self._entry, None
        return Scheduler.cancel(entry)


class TaskQueue:
    """Ordered deferred work of one device; runs before time advances."""

    __slots__ = ("sched", "name", "_items", "tasks_run")

    def __init__(self, sched: Scheduler, name: str = "") -> None:
        self.sched = sched
        self.name = name
        self._items: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self.tasks_run = 0

    def __len__(self) -> int:
        return len(self._items)

    def enqueue(self, fn: Callable[..., Any], *args: Any) -> None:
        self._items.append((fn, args))
        self.sched._task_ready(self)

    def _run_one(self) -> bool:
        if not self._items:
            return False  # already run by drain()
        fn, args = self._items.popleft()
        self.tasks_run += 1
        fn(*args)
        return True

    def drain(self) -> int:
        """Run this queue's tasks now, including tasks they queue here."""
        n = 0
        while self._run_one():
            n += 1
        return n
