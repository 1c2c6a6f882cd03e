import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ic import MS, SEC, Callout, Scheduler, TaskQueue
from ic.sched import NEAR_NS


def test_events_run_in_time_then_insertion_order():
    s = Scheduler()
    out = []
    s.call_later(2 * MS, out.append, "b")
    s.call_later(1 * MS, out.append, "a")
    s.call_later(2 * MS, out.append, "c")
    s.run_for(5 * MS)
    assert out == ["a", "b", "c"]
    assert s.now_ns == 5 * MS and s.events_run == 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from([0, 1, 3, 9, 11, 30, 200]), st.booleans()),
                min_size=1, max_size=60))
def test_near_and_far_events_keep_one_order(plan):
    """Events queued from inside events, some due within NEAR_NS (the near
    heap), some beyond (the far one), some cancelled: they run in (time,
    insertion) order, as from one heap."""
    s = Scheduler()
    ran: list[int] = []
    queued: list[tuple[int, int, int]] = []  # (time, insertion, id) of those not cancelled
    entries: list[list] = []
    count = [0]

    def event(me: int) -> None:
        ran.append(me)
        for parent, delay_ms, cancel in plan:
            if parent != me or count[0] >= len(plan):
                continue
            count[0] += 1
            child = count[0]
            when = s.now_ns + delay_ms * MS
            entries.append(s.call_at(when, event, child))
            seq = s._seq
            if cancel and len(entries) > 1:
                victim = entries[-2]
                if Scheduler.cancel(victim):
                    queued[:] = [q for q in queued if q[1] != victim[1]]
            queued.append((when, seq, child))

    queued.append((0, 1, 0))
    entries.append(s.call_at(0, event, 0))
    s.run_for(10 * SEC)
    assert ran == [i for _, _, i in sorted(queued)]


def test_an_event_queued_far_runs_before_a_later_one_queued_near_at_its_time():
    s = Scheduler()
    ran: list[str] = []
    s.call_at(20 * MS, ran.append, "far")
    assert 20 * MS >= NEAR_NS  # queued at 0, it is a far event
    s.call_at(15 * MS, lambda: s.call_at(20 * MS, ran.append, "near"))  # 5 ms ahead: near
    s.call_at(20 * MS, ran.append, "far2")
    s.run_for(SEC)
    assert ran == ["far", "far2", "near"]
    assert s.next_event_ns() is None


def test_tasks_run_before_time_advances():
    s = Scheduler()
    tq = TaskQueue(s, "dev")
    out = []

    def event():
        tq.enqueue(lambda: out.append(("task", s.now_ns)))
        s.call_later(0, out.append, ("later", s.now_ns))

    s.call_later(1 * MS, event)
    s.call_later(1 * MS, out.append, ("same-time", 1 * MS))
    s.run_for(2 * MS)
    assert out == [("task", MS), ("same-time", MS), ("later", MS)]


def test_callout_reset_and_stop():
    s = Scheduler()
    out = []
    c = Callout(s)
    c.reset(10 * MS, out.append, 1)
    s.run_for(5 * MS)
    c.reset(10 * MS, out.append, 2)  # re-arming replaces the first
    assert c.pending and c.expires_ns == 15 * MS
    s.run_for(20 * MS)
    assert out == [2] and not c.pending
    c.reset(MS, out.append, 3)
    assert c.stop() and not c.stop()
    s.run_for(SEC)
    assert out == [2]


def test_run_until_predicate_and_timeout():
    s = Scheduler()
    hits = []
    for i in range(10):
        s.call_at(i * MS, hits.append, i)
    assert s.run_until(lambda: len(hits) >= 4, SEC)
    assert s.now_ns == 3 * MS
    assert not s.run_until(lambda: False, 100 * MS)
    assert s.now_ns == 103 * MS


def test_nested_run_is_refused():
    s = Scheduler()
    s.call_later(0, lambda: s.run_for(1))
    with pytest.raises(RuntimeError, match="inside a running event"):
        s.run_for(1)


def test_realtime_mode_paces_and_reads_fds():
    import os
    import time

    s = Scheduler(realtime=True)
    r, w = os.pipe()
    got = []
    s.add_reader(r, lambda: got.append(os.read(r, 10)))
    s.call_later(20 * MS, os.write, w, b"x")
    t0 = time.monotonic()
    s.run_for(50 * MS)
    elapsed = time.monotonic() - t0
    assert got == [b"x"]
    assert elapsed >= 0.045  # real time passed: paced against the clock
    s.remove_reader(r)
    os.close(r)
    os.close(w)


def test_hold_stops_virtual_time_until_released_by_an_fd():
    import os

    s = Scheduler()
    r, w = os.pipe()
    ran = []
    s.call_later(5 * MS, ran.append, "later")
    h = s.hold(60 * SEC, lambda: ran.append("expired"))
    assert h.active and s.held

    def readable():
        os.read(r, 10)
        h.release()
        ran.append(("released at", s.now_ns))

    s.add_reader(r, readable)
    os.write(w, b"x")  # the answer is already waiting: no real time needs to pass
    s.run_for(10 * MS)
    assert ran == [("released at", 0), "later"]
    assert not h.active and not h.release() and s.holds_expired == 0
    s.remove_reader(r)
    os.close(r)
    os.close(w)


def test_hold_expires_and_then_time_moves_on():
    s = Scheduler()
    ran = []
    s.call_later(1 * MS, ran.append, "event")
    s.hold(0, lambda: ran.append("expired"))
    s.run_for(2 * MS)
    assert ran == ["expired", "event"] and s.holds_expired == 1 and not s.held


def test_realtime_hold_is_only_a_timeout():
    s = Scheduler(realtime=True)
    ran = []
    h = s.hold(1 * MS, lambda: ran.append("expired"))
    assert h.active and not s.held  # the clock cannot be stopped
    s.run_for(5 * MS)
    assert ran == ["expired"] and not h.active
    h2 = s.hold(1 * MS, lambda: ran.append("again"))
    assert h2.release()
    s.run_for(3 * MS)
    assert ran == ["expired"]


def test_reader_and_writer_on_one_fd():
    s = Scheduler()
    a, b = socket.socketpair()
    got = []
    s.add_reader(a, lambda: got.append(a.recv(10)))
    s.add_writer(a, lambda: (got.append("writable"), s.remove_writer(a)))
    b.send(b"hi")
    s.poll_io(0.0)
    assert got == [b"hi", "writable"]
    s.poll_io(0.0)
    assert got == [b"hi", "writable"]  # writer gone, reader kept, nothing new to read
    b.send(b"yo")
    s.poll_io(0.0)
    assert got[-1] == b"yo"
    s.remove_reader(a)
    s.remove_reader(a)  # idempotent
    a.close()
    b.close()


def test_realtime_fd_callbacks_see_the_arrival_time():
    import os
    import threading

    s = Scheduler(realtime=True)
    r, w = os.pipe()
    seen = []
    s.add_reader(r, lambda: (os.read(r, 10), seen.append(s.now_ns)))
    s.call_later(40 * MS, lambda: None)
    threading.Timer(0.01, os.write, (w, b"x")).start()
    s.run_for(50 * MS)
    # not the time of the last event run (0) but when the data came
    assert len(seen) == 1 and 0 < seen[0] <= 50 * MS
    s.remove_reader(r)
    os.close(r)
    os.close(w)


def test_horizon_is_just_before_the_next_event_within_the_run():
    s = Scheduler()
    seen = []
    s.call_later(1 * MS, lambda: seen.append(("a", s.horizon_ns())))
    s.call_later(3 * MS, lambda: seen.append(("b", s.horizon_ns())))
    s.call_later(9 * MS, lambda: None)
    assert s.horizon_ns() == 0  # outside a run: nothing may be assumed
    s.run_for(5 * MS)
    # before the 3 ms event; after it, the run's limit (the 9 ms event is beyond it)
    assert seen == [("a", 3 * MS - 1), ("b", 5 * MS)]
    seen.clear()
    s.call_later(1 * MS, lambda: seen.append(s.horizon_ns()))
    s.run_until(lambda: False, 2 * MS)  # a predicate may end the run after any event
    assert seen == [6 * MS]


def test_io_callback_errors_raise_unless_contained():
    """Without io_error a descriptor callback's exception propagates (tests
    see bugs); with it, it is handed over, counted, and the other ready
    descriptors are still served."""
    s = Scheduler()
    a, b = socket.socketpair()
    c, d = socket.socketpair()
    served = []

    def bad():
        a.recv(10)
        raise RuntimeError("bug")

    def good():
        served.append(c.recv(10))

    s.add_reader(a, bad)
    s.add_reader(c, good)
    try:
        b.send(b"x")
        with pytest.raises(RuntimeError):
            s.poll_io(0.0)
        seen = []
        s.io_error = lambda cb, e: seen.append((cb, type(e)))
        b.send(b"x")
        d.send(b"y")
        assert s.poll_io(1.0) == 2
        assert seen == [(bad, RuntimeError)] and s.io_errors == 1 and served[-1] == b"y"
    finally:
        for x in (a, b, c, d):
            s.remove_reader(x)
            x.close()


def test_a_late_realtime_event_may_catch_up_to_the_wall_clock_but_not_past_the_next_event():
    import time

    s = Scheduler(realtime=True)
    seen = []

    def busy():
        time.sleep(0.02)  # the event takes 20 ms of wall clock: the loop is late
        seen.append(s.late_horizon_ns())
        s.catch_up(seen[-1])
        seen.append(s.now_ns)

    s.call_at(0, busy)
    s.call_at(10 * MS, seen.append, "next")
    s.run_for(15 * MS)
    assert seen == [10 * MS - 1, 10 * MS - 1, "next"]  # up to just before the next event
    s.call_later(0, busy)
    s.run_for(3 * MS)  # nothing else due: the run's limit bounds it
    assert seen[-2:] == [18 * MS, 18 * MS]  # the first run ended at 15 ms


def test_no_catching_up_in_virtual_time():
    s = Scheduler()
    seen = []
    s.call_at(MS, lambda: seen.append(s.late_horizon_ns()))
    s.run_for(SEC)
    assert seen == [MS]


def test_realtime_events_due_within_early_ns_run_without_sleeping():
    s = Scheduler(realtime=True, early_ns=10 * SEC)
    seen = []
    s.call_at(5 * SEC, lambda: seen.append((s.now_ns, s._wall_to_virtual())))
    s.run_for(6 * SEC)
    ((now, wall),) = seen
    assert now == 5 * SEC and wall < now  # ran at its time, ahead of the wall clock
