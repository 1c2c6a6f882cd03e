"""Radios that move while a scenario runs, in virtual time.

A `Mover` walks one radio along legs (straight lines at a constant speed,
with pauses between them) and puts it at its place every `step` of virtual
time through the device's `ic_set_position`; the medium's links follow.
Two models:

- waypoints: from where the radio is, through the given points in order
  (again from the first with `loop`), at `speed` m/s, pausing `pause` s at
  each;
- random waypoint: a point drawn uniformly in `area`, a speed uniformly in
  [min, max], walk there, pause, draw again (the draws come from the
  scenario's seed and the radio's name: same seed, same walk).
"""

from __future__ import annotations

import math
import random
from typing import Any

from ic import MS, SEC, Scheduler
from net80211.scenario.spec import MobilitySpec, Point

MIN_LEG_NS = 1 * MS  # a leg takes at least this long: a walk never spins in place


class Mover:
    """Moves one device along its legs."""

    def __init__(self, sched: Scheduler, dev: Any, spec: MobilitySpec) -> None:
        self.sched, self.dev, self.spec = sched, dev, spec
        self.rng = random.Random(spec.seed)
        self.distance_m = 0.0
        self.legs = 0
        self._next_wp = 0
        x, y, z = dev.ic_get_position() or (0.0, 0.0, 0.0)
        self._here: Point = (float(x), float(y), float(z))
        self._from: Point = self._here
        self._to: Point = self._here
        self._t0 = self._t1 = 0
        self.done = False
        sched.call_at(spec.start_ns, self._leg)

    def _target(self) -> tuple[Point, float] | None:
        """The next point and the speed to walk there at; None when the walk is over."""
        s = self.spec
        lo, hi = s.speed
        speed = lo if lo == hi else self.rng.uniform(lo, hi)
        if s.model == "random_waypoint":
            x = s.origin[0] + self.rng.uniform(0.0, s.area[0])
            y = s.origin[1] + self.rng.uniform(0.0, s.area[1])
            return (x, y, self._here[2]), speed
        if self._next_wp >= len(s.waypoints):
            if not s.loop:
                return None
            self._next_wp = 0
        p = s.waypoints[self._next_wp]
        self._next_wp += 1
        return p, speed

    def _leg(self) -> None:
        nxt = self._target()
        if nxt is None:
            self.done = True
            return
        to, speed = nxt
        d = math.dist(self._here, to)
        self._from, self._to = self._here, to
        self._t0 = self.sched.now_ns
        self._t1 = self._t0 + max(MIN_LEG_NS, round(d / speed * SEC))
        self.legs += 1
        self._step()

    def _step(self) -> None:
        now = self.sched.now_ns
        if now >= self._t1:
            self._place(self._to)
            self.sched.call_later(self.spec.pause_ns, self._leg)
            return
        f = (now - self._t0) / (self._t1 - self._t0)
        (x0, y0, z0), (x1, y1, z1) = self._from, self._to
        self._place((x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, z0 + (z1 - z0) * f))
        self.sched.call_at(min(self._t1, now + self.spec.step_ns), self._step)

    def _place(self, p: Point) -> None:
        self.distance_m += math.dist(self._here, p)
        self._here = p
        self.dev.ic_set_position(*p)

    def summary(self) -> dict[str, Any]:
        return {"radio": self.dev.name, "model": self.spec.model, "legs": self.legs,
                "distance_m": round(self.distance_m, 3), "position": [round(v, 3) for v in self._here],
                "done": self.done}
