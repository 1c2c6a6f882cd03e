"""Off-channel time of one device: remain-on-channel and mgmt-tx waits
(mac80211's `offchannel.c` roc list).

Requests queue per device and run one at a time.  A running one tunes the
radio away through the driver's `ic_remain_on_channel` (the operating
channel is not heard meanwhile) unless it is for the channel the device
already operates on; `ic_cancel_remain_on_channel` brings it back.  While a
scan runs, requests wait for it to end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from ic import MS, Channel, ComFlags, IEEE80211Com
from net80211.modes.sta import reset_beacon_monitor

log = logging.getLogger("net80211")

SCAN_RETRY_NS = 10 * MS


@dataclass
class OffChanItem:
    """One stretch of time on a channel: a remain-on-channel or a mgmt-tx wait."""

    wdev: Any
    chan: Channel
    duration_ns: int
    cookie: int
    kind: str  # "roc", "tx" or "scan"
    on_start: Callable[[OffChanItem], Any] | None = None
    on_end: Callable[[OffChanItem, bool], Any] | None = None  # (item, cancelled)
    started_ns: int | None = None
    tuned: bool = False
    ready: bool = False  # on the channel and reported so
    timer: list[Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class OffChannel:
    """The device's queue of off-channel requests."""

    def __init__(self, ic: IEEE80211Com) -> None:
        self.ic = ic
        self.queue: list[OffChanItem] = []
        self.active: OffChanItem | None = None
        self._retry: list[Any] | None = None
        self.started = 0
        self.completed = 0

    @classmethod
    def of(cls, ic: IEEE80211Com) -> OffChannel:
        if ic.offchan is None:
            ic.offchan = cls(ic)
        return cast(OffChannel, ic.offchan)  # only this class sets ic.offchan

    @property
    def busy(self) -> bool:
        return self.active is not None or bool(self.queue)

    def add(self, item: OffChanItem) -> None:
        self.queue.append(item)
        self._kick()

    def find(self, cookie: int) -> OffChanItem | None:
        if self.active is not None and self.active.cookie == cookie:
            return self.active
        return next((i for i in self.queue if i.cookie == cookie), None)

    def _operating(self, chan: Channel) -> bool:
        """Is the device already listening on `chan` for a running vap?"""
        ic = self.ic
        return chan == ic.curchan and any(v.running and v.has_netdev for v in ic.vaps)

    def _kick(self) -> None:
        if self.active is not None or not self.queue:
            return
        ic = self.ic
        if ic.flags & ComFlags.SCAN:
            if self._retry is None:
                self._retry = ic.sched.call_later(SCAN_RETRY_NS, self._retry_kick)
            return
        item = self.queue.pop(0)
        self.active = item
        self.started += 1
        item.started_ns = ic.sched.now_ns
        if not self._operating(item.chan):
            item.tuned = True
            ic.ic_remain_on_channel(item.chan, item.duration_ns)
        item.timer = ic.sched.call_later(item.duration_ns, self._expire, item)
        log.debug("%s: on %d MHz for %d ms (%s %d)", ic.name, item.chan.freq,
                  item.duration_ns // MS, item.kind, item.cookie)
        if item.on_start is not None:
            # Reported once the radio is there, never from inside the request.
            ic.sched.call_later(0, self._started, item)
        else:
            item.ready = True

    def _started(self, item: OffChanItem) -> None:
        if self.active is item:
            item.ready = True
            if item.on_start is not None:
                item.on_start(item)

    def _retry_kick(self) -> None:
        self._retry = None
        self._kick()

    def _finish(self, item: OffChanItem, cancelled: bool) -> None:
        if item.timer is not None:
            self.ic.sched.cancel(item.timer)
            item.timer = None
        self.active = None
        self.completed += 1
        if item.tuned:
            item.tuned = False
            self.ic.ic_cancel_remain_on_channel()
            self._reset_beacon_monitors()
        if item.on_end is not None:
            item.on_end(item, cancelled)
        self._kick()

    def _reset_beacon_monitors(self) -> None:
        """Back on channel: time away is not beacon loss (mac80211's
        offchannel_return resets the stations' beacon monitors too)."""
        for v in self.ic.vaps:
            reset_beacon_monitor(v)

    def _expire(self, item: OffChanItem) -> None:
        item.timer = None
        if self.active is item:
            self._finish(item, False)

    def cancel(self, item: OffChanItem) -> None:
        """End a running item now, or drop a queued one (its on_end runs either way)."""
        if self.active is item:
            self._finish(item, True)
        elif item in self.queue:
            self.queue.remove(item)
            if item.on_end is not None:
                item.on_end(item, True)

    def extend(self, item: OffChanItem, until_ns: int) -> None:
        """Keep a running item on its channel at least until `until_ns`."""
        if self.active is not item or item.timer is None or item.timer[0] >= until_ns:
            return
        self.ic.sched.cancel(item.timer)
        item.timer = self.ic.sched.call_at(until_ns, self._expire, item)

    def cancel_wdev(self, wdev: Any) -> None:
        for item in [i for i in self.queue if i.wdev is wdev]:
            self.cancel(item)
        if self.active is not None and self.active.wdev is wdev:
            self.cancel(self.active)
