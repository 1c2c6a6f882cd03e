"""Lifecycle cells: create/up/down/destroy of an allowed mix in every order,
and detaching the device with every vap present.

Each scenario ends with the device empty (no vaps, names free, hardware
state as when it was new) and no illegal or failed transition counted; after
each one the same mix is created again, which catches policy reservations
(beacon slots, BSSID indexes) that a destroy failed to give back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ic import MS, SEC, State
from net80211.conformance.cells import CellFailure, CellResult, CellSpec, conclude
from net80211.conformance.mixes import clone_flags
from net80211.conformance.verdict import up_order, vap_kwargs
from net80211.conformance.world import DriverRef, World, hw_unchecked, leftovers, snapshot
from net80211.proto import swallowed_text

RUN_NS = 1 * SEC
STEP_NS = 50 * MS
DRAIN_NS = 200 * MS


class _Run:
    """The vaps of one scenario on the device under test."""

    def __init__(self, w: World, words: list[str], chans: list[int] | None) -> None:
        self.w, self.words, self.chans = w, words, chans
        self.names = [f"wlan{i}" for i in range(len(words))]
        self.vaps: list[Any] = []
        self.seen: list[Any] = []

    def create(self) -> None:
        ic = self.w.dut
        flags = clone_flags(self.words)
        for i, word in enumerate(self.words):
            chan = self.chans[i] if self.chans is not None else None
            vap = ic.create_vap(self.names[i], word, **vap_kwargs(word, i, chan, flags=flags[i]))
            self.vaps.append(vap)
            self.seen.append(vap)
        self.w.log(f"created {', '.join(self.names)}")

    def up(self, order: list[int]) -> None:
        for i in order:
            self.vaps[i].up()
        self.w.log(f"up {', '.join(self.names[i] for i in order)}")

    def down(self, order: list[int]) -> None:
        for i in order:
            self.vaps[i].down()
        self.w.log(f"down {', '.join(self.names[i] for i in order)}")

    def destroy(self, order: list[int]) -> None:
        for i in order:
            self.w.dut.destroy_vap(self.vaps[i])
        self.w.log(f"destroyed {', '.join(self.names[i] for i in order)}")

    def expect_running(self, order: list[int], running: bool) -> None:
        for i in order:
            v = self.vaps[i]
            if v.running != running:
                raise CellFailure(f"{v.name} running={v.running}, expected {running}")
            if not running and v.state != State.INIT:
                raise CellFailure(f"{v.name} is down but in {v.state.name}, not INIT")

    def check_counters(self) -> None:
        for v in self.seen:
            st = v.stats
            if st.swallowed_transitions:
                raise CellFailure(f"{v.name}: {swallowed_text(v)}")
            if st.illegal_transitions or st.failed_transitions or st.state_queue_overflows:
                raise CellFailure(f"{v.name}: {st.illegal_transitions} illegal, {st.failed_transitions} "
                                  f"failed transitions, {st.state_queue_overflows} queue overflows")


def _perms(n: int) -> list[list[int]]:
    return [list(p) for p in itertools.permutations(range(n))]


def scenarios(words: list[str]) -> list[tuple[str, Callable[[_Run], None]]]:
    """(name, body) of every scenario for a mix in creation order `words`."""
    n = len(words)
    ups = up_order(words)
    out: list[tuple[str, Callable[[_Run], None]]] = []

    def never_up(order: list[int]) -> Callable[[_Run], None]:
        def body(r: _Run) -> None:
            r.create()
            r.w.run_for(STEP_NS)
            r.destroy(order)
        return body

    def up_down_destroy(order: list[int]) -> Callable[[_Run], None]:
        def body(r: _Run) -> None:
            r.create()
            r.up(ups)
            r.w.run_for(RUN_NS)
            r.expect_running(ups, True)
            r.down(order)
            r.w.run_for(STEP_NS)
            r.expect_running(order, False)
            r.up(ups)
            r.w.run_for(RUN_NS)
            r.destroy(order)  # destroyed while running
        return body

    def redundant() -> Callable[[_Run], None]:
        def body(r: _Run) -> None:
            r.create()
            r.down(list(range(n)))  # down before up: nothing to do
            r.expect_running(list(range(n)), False)
            r.up(ups)
            r.up(ups)  # up twice: still one running count each
            if r.w.dut.nrunning != n:
                raise CellFailure(f"nrunning is {r.w.dut.nrunning} after bringing {n} vaps up twice")
            r.w.run_for(RUN_NS)
            r.down(ups)
            r.down(ups)
            r.w.run_for(STEP_NS)
            r.expect_running(ups, False)
            r.destroy(list(reversed(range(n))))
        return body

    for order in _perms(n):
        label = ",".join(f"wlan{i}" for i in order)
        out.append((f"create, destroy {label}", never_up(order)))
        out.append((f"create, up, down {label}, up, destroy {label} running", up_down_destroy(order)))
    out.append(("down before up, up twice, down twice, destroy", redundant()))
    return out


def lifecycle_cell(ref: DriverRef, spec: CellSpec) -> CellResult:
    mix = spec.mix
    words, chans = mix.ordered(spec.order)
    w = World(ref, 1)
    log = w.lines
    expected = "every order ends with an empty device; detach destroys every vap"
    try:
        ic = w.dut
        empty = snapshot(ic)
        unchecked = [u for u in (hw_unchecked(ic),) if u is not None]
        names = [f"wlan{i}" for i in range(len(words))]
        for name, body in scenarios(words):
            w.log(f"scenario: {name}")
            r = _Run(w, words, chans)
            try:
                body(r)
                r.check_counters()
            except (CellFailure, OSError) as e:
                return conclude(mix, "lifecycle", expected, [f"{name}: {e}"], [], log,
                                failed_outcome=f"failed: {name}")
            w.run_for(DRAIN_NS)  # a stopping radio may drain its queue first
            left = leftovers(ic, names, empty, r.seen)
            if left:
                return conclude(mix, "lifecycle", expected, [f"{name}: " + "; ".join(left)], [], log,
                                failed_outcome=f"failed: {name}")
        problem = _detach(ref, words, chans, log)
        if problem:
            return conclude(mix, "lifecycle", expected, [problem], [], log, failed_outcome="failed: detach")
    finally:
        w.close()
    return conclude(mix, "lifecycle", expected, [], unchecked, log,
                    note="names, vaps, running count and transitions were checked")


def _detach(ref: DriverRef, words: list[str], chans: list[int] | None, log: list[str]) -> str | None:
    """Remove the device while every vap is up; everything of it must go."""
    w = World(ref, 1)
    w.lines = log
    try:
        w.log("scenario: detach the device with every vap up")
        r = _Run(w, words, chans)
        r.create()
        r.up(up_order(words))
        w.run_for(RUN_NS)
        ic = w.dut
        w.driver.remove_device(ic)
        w.log(f"removed {ic.name}")
        problems = []
        if ic in w.driver.devices:
            problems.append(f"{ic.name} still listed by the driver")
        if ic.vaps:
            problems.append(f"vaps left: {', '.join(v.name for v in ic.vaps)}")
        for v in r.vaps:
            if getattr(v, "attached", False) or v.running or v.state != State.INIT:
                problems.append(f"{v.name} still attached/running ({v.state.name})")
        held = [n for n in [*r.names, ic.name] if n in ic.names]
        if held:
            problems.append(f"names still claimed: {', '.join(held)}")
        w.run_for(RUN_NS)  # nothing of the device may still act
        try:
            r.check_counters()
        except CellFailure as e:
            problems.append(str(e))
        return "detach: " + "; ".join(problems) if problems else None
    except OSError as e:
        return f"detach: {e}"
    finally:
        w.close()
