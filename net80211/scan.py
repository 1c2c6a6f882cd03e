"""One scan per device (`ieee80211_scan`): walk a channel list with a dwell
time per channel, collect what the input path reports, then hand the results
to the vap that asked.  The scan cache is shared by the device's vaps."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ic import MS, Callout, Channel, ComFlags

log = logging.getLogger("net80211")

ACTIVE_DWELL_NS = 30 * MS
PASSIVE_DWELL_NS = 110 * MS


@dataclass
class ScanResult:
    """One BSS heard during scans (an entry of the scan cache)."""

    bssid: bytes
    ssid: bytes
    channel: Channel
    rssi: int
    capinfo: int = 0
    bintval: int = 100
    ibss: bool = False
    last_seen_ns: int = 0
    ies: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class Scanner:
    """The device's scan engine and scan cache."""

    def __init__(self, ic: Any) -> None:
        self.ic = ic
        self.owner: Any = None
        self.cache: dict[bytes, ScanResult] = {}
        self.scans_started = 0
        self.scans_done = 0
        self._callout = Callout(ic.sched)
        self._channels: list[Channel] = []
        self._index = 0
        self._dwell_ns = ACTIVE_DWELL_NS
        self._active = True
        self._on_done: Callable[[list[ScanResult]], None] | None = None
        self._started_ns = 0

    @classmethod
    def of(cls, ic: Any) -> Scanner:
        if ic.scan is None:
            ic.scan = cls(ic)
        return ic.scan

    @property
    def active(self) -> bool:
        return self.owner is not None

    def start(self, vap: Any, channels: list[Channel], on_done: Callable[[list[ScanResult]], None],
              *, active: bool = True, dwell_ns: int | None = None) -> bool:
        """Start a scan for `vap`; False if another vap owns the device's scan."""
        ic = self.ic
        if self.owner is not None and self.owner is not vap:
            return False
        if self.owner is vap:
            self._callout.stop()
        else:
            self.owner = vap
            ic.flags |= ComFlags.SCAN
            ic.ic_scan_start()
        self.scans_started += 1
        self._channels = list(channels) or list(ic.channels)
        self._index = 0
        self._active = active
        self._dwell_ns = dwell_ns if dwell_ns is not None else (
            ACTIVE_DWELL_NS if active else PASSIVE_DWELL_NS)
        self._on_done = on_done
        self._started_ns = ic.sched.now_ns
        self._step()
        return True

    def _step(self) -> None:
        if self._index >= len(self._channels):
            self._finish()
            return
        chan = self._channels[self._index]
        self._index += 1
        self.ic.set_curchan(chan)
        probe = getattr(self.owner.mode, "scan_probe", None)
        if self._active and probe is not None:
            probe(self.owner, chan)
        self._callout.reset(self._dwell_ns, self._step)

    def _finish(self) -> None:
        vap, on_done = self.owner, self._on_done
        self._stop_scan()
        self.scans_done += 1
        results = [r for r in self.cache.values() if r.last_seen_ns >= self._started_ns]
        log.debug("%s: scan by %s done, %d results", self.ic.name, vap.name, len(results))
        if on_done is not None:
            on_done(results)

    def _stop_scan(self) -> None:
        self._callout.stop()
        self.owner = None
        self._on_done = None
        self.ic.flags &= ~ComFlags.SCAN
        self.ic.ic_scan_end()

    def cancel(self, vap: Any) -> bool:
        """Stop the scan if `vap` owns it (`ieee80211_cancel_scan`)."""
        if self.owner is not vap:
            return False
        self._stop_scan()
        return True

    def add_result(self, result: ScanResult) -> None:
        """Record a BSS heard by the input path (beacon or probe response)."""
        result.last_seen_ns = self.ic.sched.now_ns
        self.cache[result.bssid] = result

    def flush(self) -> None:
        self.cache.clear()
