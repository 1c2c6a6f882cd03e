"""The beacon timer a driver runs for its beaconing vaps (the hardware's
TBTT timer, FreeBSD's `ath_beacon_config`): one callout per vap, firing at
every target beacon transmission time (TBTT), a multiple of the vap's beacon
interval on the device's TSF (`ic.ic_get_tsf()`).  What is sent at a TBTT
stays the driver's: the timer calls it back, and it usually answers with
`net80211.beacon.beacon_frame(vap, ic.ic_get_tsf())`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ic import TU, Callout, IEEE80211Com, State

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

_RUN = State.RUN


def next_tbtt_ns(tsf_us: int, bintval: int) -> int:
    """Nanoseconds from TSF `tsf_us` to the next TBTT of a `bintval`-TU
    interval (a whole interval when `tsf_us` is itself a TBTT)."""
    period_us = bintval * TU // 1000
    return (period_us - tsf_us % period_us) * 1000


class BeaconTimer:
    """The TBTT callouts of one device's beaconing vaps.

    `on_tbtt(vap)` runs at each TBTT of a started vap while it is in RUN or
    later; the timer is re-armed for the next TBTT before it runs.  Start a
    vap's timer when it reaches RUN, stop it before it leaves, and call
    `realign` after loading the TSF (`ic_set_tsf`)."""

    __slots__ = ("ic", "on_tbtt", "_callouts")

    def __init__(self, ic: IEEE80211Com, on_tbtt: Callable[[IEEE80211Vap], object]) -> None:
        self.ic = ic
        self.on_tbtt = on_tbtt
        self._callouts: dict[int, Callout] = {}  # id(vap) -> its TBTT callout

    def start(self, vap: IEEE80211Vap) -> None:
        """Arm `vap`'s timer for its next TBTT (restart it if armed)."""
        co = self._callouts.get(id(vap))
        if co is None:
            co = self._callouts[id(vap)] = Callout(self.ic.sched)
        co.reset(next_tbtt_ns(self.ic.ic_get_tsf(), vap.bintval), self._fire, vap)

    def stop(self, vap: IEEE80211Vap) -> None:
        """Disarm `vap`'s timer; harmless if it has none."""
        co = self._callouts.pop(id(vap), None)
        if co is not None:
            co.stop()

    def realign(self) -> None:
        """Restart every started timer on the current TSF (it was just loaded)."""
        for vap in self.ic.vaps:
            if id(vap) in self._callouts:
                self.start(vap)

    @property
    def armed(self) -> int:
        """How many vaps' timers are started (hardware state a destroyed vap
        must not leave behind: drivers show it in `describe()`)."""
        return len(self._callouts)

    def callout(self, vap: IEEE80211Vap) -> Callout | None:
        """`vap`'s callout while started: a driver that sends late (an IBSS
        backoff) checks it is still the same before sending."""
        return self._callouts.get(id(vap))

    def _fire(self, vap: IEEE80211Vap) -> None:
        co = self._callouts.get(id(vap))
        if co is None or vap.state < _RUN:
            return
        co.reset(vap.bintval * TU, self._fire, vap)
        self.on_tbtt(vap)
