"""One scan per device (`ieee80211_scan`): walk a channel list with a dwell
time per channel, collect what the input path reports, then hand the results
to the vap that asked.  The scan cache is shared by the device's vaps.

Active scans call the owner mode's `scan_probe(vap, chan)` on each channel
that allows it (not on DFS channels, which are passive until a beacon is
heard).  While a scan runs, the input path hands every beacon and probe
response to `input_beacon`; otherwise it only refreshes known entries.
Entries older than SCAN_VALID_NS are dropped when a scan finishes (FreeBSD
ages its cache the same way rather than trusting it forever)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ic import MS, SEC, Callout, Channel, ComFlags, RxInfo
from net80211.wire.frame import FrameError
from net80211.wire.ie import IEList

if TYPE_CHECKING:
    from ic import IEEE80211Com
    from net80211.vap import IEEE80211Vap

log = logging.getLogger("net80211")

ACTIVE_DWELL_NS = 30 * MS
PASSIVE_DWELL_NS = 110 * MS
LEAVE_WAIT_NS = 20 * MS  # a background scan waits at most this for the owner's "going away" frame
PROBE_JITTER_NS = 5 * MS  # random deferral of a probe request after the channel change
SCAN_VALID_NS = 60 * SEC  # FreeBSD's IEEE80211_SCAN_VALID_DEFAULT
_MEMO_MAX = 4096

# Parsed beacon/probe-response bodies by their bytes after the timestamp
# (interval, capability, elements).  Parsing is a pure function of those
# bytes and every radio in a world hears the same few beacons, so one parse
# serves them all.  Value: (ssid, ds channel, capinfo, bintval, ies) or None
# when the body is malformed.
_memo: dict[bytes, tuple[bytes, int | None, int, int, Any] | None] = {}


def parse_beacon_body(tail: bytes) -> tuple[bytes, int | None, int, int, Any] | None:
    """(ssid, DS channel, capability, interval, IEList) of a beacon or probe
    response body without its 8-byte timestamp; None if malformed."""
    hit = _memo.get(tail, _memo)
    if hit is not _memo:
        return hit  # type: ignore[return-value]  # the memo holds only results; the sentinel is the memo
    try:
        if len(tail) < 4:
            raise FrameError("beacon body too short")
        ies = IEList.parse(tail[4:])
        ssid = ies.ssid
        out: tuple[bytes, int | None, int, int, Any] | None = (
            ssid if ssid is not None else b"", ies.channel, tail[2] | tail[3] << 8,
            tail[0] | tail[1] << 8, ies)
    except FrameError:
        out = None
    if len(_memo) >= _MEMO_MAX:
        _memo.clear()
    _memo[bytes(tail)] = out
    return out


@dataclass(slots=True)
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

    @property
    def hidden(self) -> bool:
        return not self.ssid

    def age_ns(self, now_ns: int) -> int:
        return now_ns - self.last_seen_ns

    def summary(self, now_ns: int) -> dict[str, Any]:
        """A plain description (SSID, BSSID, channel, RSSI, capabilities, age)."""
        return {"ssid": self.ssid.decode(errors="replace"), "bssid": self.bssid.hex(":"),
                "channel": self.channel.ieee, "freq": self.channel.freq, "rssi": self.rssi,
                "capinfo": self.capinfo, "bintval": self.bintval, "ibss": self.ibss,
                "age_s": round(self.age_ns(now_ns) / 1e9, 3)}


class Scanner:
    """The device's scan engine and scan cache."""

    __slots__ = ("owner", "cache", "ic", "scans_started", "scans_done", "_callout", "_probe_co", "_heard",
                 "_finishing", "probes_suppressed", "_channels", "_index", "_dwell_ns", "_active",
                 "_on_done", "_started_ns", "_home_ns", "_at_home", "_away", "_leaving")

    def __init__(self, ic: IEEE80211Com) -> None:
        self.ic = ic
        self.owner: Any = None
        self.cache: dict[bytes, ScanResult] = {}
        self.scans_started = 0
        self.scans_done = 0
        self._callout = Callout(ic.sched)
        self._probe_co = Callout(ic.sched)
        self._heard: set[bytes] = set()  # SSIDs heard on the current channel
        self._finishing = False
        self.probes_suppressed = 0
        self._channels: list[Channel] = []
        self._index = 0
        self._dwell_ns = ACTIVE_DWELL_NS
        self._active = True
        self._on_done: Callable[[list[ScanResult]], None] | None = None
        self._started_ns = 0
        self._home_ns = 0  # a background scan: time back on the BSS channel between channels
        self._at_home = False
        self._away = False  # a background scan told the owner's peer it is off the BSS channel
        self._leaving = False  # waiting for that news to go out before the radio leaves

    @classmethod
    def of(cls, ic: IEEE80211Com) -> Scanner:
        """The scanner of device `ic`, made on first use."""
        if ic.scan is None:
            ic.scan = cls(ic)
        return cast(Scanner, ic.scan)  # only this class sets ic.scan

    @staticmethod
    def peek(ic: IEEE80211Com) -> Scanner | None:
        """The scanner of device `ic` if it has one yet."""
        return cast("Scanner | None", ic.scan)

    @property
    def active(self) -> bool:
        return self.owner is not None

    def start(self, vap: IEEE80211Vap, channels: list[Channel], on_done: Callable[[list[ScanResult]], None],
              *, active: bool = True, dwell_ns: int | None = None, home_ns: int = 0) -> bool:
        """Start a scan for `vap`; False if another vap owns the device's scan.

        `home_ns` > 0 makes it a background scan (FreeBSD's bgscan): after
        each channel the radio goes back to the BSS channel for that long, so
        that a running vap hears its beacons and its queued frames go out."""
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
        chans = list(channels) or list(ic.channels)
        if len(chans) > 1:
            # Start the sweep at a random channel: radios switched on together
            # would otherwise sweep in lockstep and all probe one channel at once.
            k = ic.rng.randrange(len(chans))
            chans = chans[k:] + chans[:k]
        self._channels = chans
        self._index = 0
        self._finishing = False
        self._active = active
        # One channel to watch (a station with a fixed channel): listen for a
        # whole beacon interval rather than probing it every 30 ms.
        self._dwell_ns = dwell_ns if dwell_ns is not None else (
            ACTIVE_DWELL_NS if active and len(chans) > 1 else PASSIVE_DWELL_NS)
        self._on_done = on_done
        self._started_ns = ic.sched.now_ns
        self._home_ns = max(0, int(home_ns))
        self._at_home = False
        self._away = self._leaving = False
        self._step()
        return True

    def _step(self) -> None:
        if self._index >= len(self._channels):
            self._finish()
            return
        home = self.ic.bsschan
        if self._home_ns and self._index and not self._at_home and home is not None:
            self._at_home = True
            self.ic.set_curchan(home)
            self._back_home()
            self._callout.reset(self._home_ns, self._step)
            return
        if self._home_ns and home is not None and not self._away and self._leave_home():
            return  # _step again once the owner's peer knows we are going
        self._at_home = False
        chan = self._channels[self._index]
        self._index += 1
        self._heard.clear()
        self.ic.set_curchan(chan)
        probe = getattr(self.owner.mode, "scan_probe", None)
        if self._active and probe is not None and not chan.is_dfs:
            # Radios powered up together would probe at the same nanosecond
            # and collide every time; real ones are a few hundred µs apart.
            if len(self._channels) == 1:
                # Watching one channel: probe late in the dwell, so that the
                # beacon usually answers first and suppresses the probe.
                lo = self._dwell_ns // 2
                delay = lo + self.ic.rng.randrange(self._dwell_ns - lo)
            else:
                delay = self.ic.rng.randrange(PROBE_JITTER_NS)
            self._probe_co.reset(delay, self._probe, probe, chan)
        self._callout.reset(self._dwell_ns, self._step)

    def _leave_home(self) -> bool:
        """A background scan is about to take the radio off the BSS channel:
        the owner's mode may tell its peer (a station: null data with the
        Power Management bit, so that its AP holds its frames).  True if the
        scan waits for that frame's TX status (mac80211 flushes its queues
        before a software scan changes channel), at most LEAVE_WAIT_NS."""
        self._away = True
        leave = getattr(self.owner.mode, "scan_leave_home", None)
        if leave is None:
            return False

        def gone(*_: Any) -> None:
            if self._leaving:
                self._leaving = False
                self._step()

        if not leave(self.owner, gone):
            return False
        self._leaving = True
        self._callout.reset(LEAVE_WAIT_NS, gone)
        return True

    def _back_home(self) -> None:
        """Back on the BSS channel: the owner's mode may tell its peer."""
        if not self._away:
            return
        self._away = self._leaving = False
        back = getattr(self.owner.mode, "scan_back_home", None)
        if back is not None:
            back(self.owner)

    def _probe(self, probe: Callable[[Any, Channel], Any], chan: Channel) -> None:
        # Probe request deferral and suppression (Wi-Fi OCE, nl80211's
        # SCAN_FLAG_OCE_PROBE_REQ_DEFERRAL_SUPPRESSION): a directed probe is
        # not sent if its SSID was heard on this channel while it waited.
        ssid = getattr(self.owner, "ssid", b"")
        if ssid and ssid in self._heard:
            self.probes_suppressed += 1
            return
        probe(self.owner, chan)

    def _finish(self) -> None:
        vap, on_done = self.owner, self._on_done
        self._stop_scan()
        self.scans_done += 1
        self.expire()
        results = [r for r in self.cache.values() if r.last_seen_ns >= self._started_ns]
        log.debug("%s: scan by %s done, %d results", self.ic.name, vap.name, len(results))
        if on_done is not None:
            on_done(results)

    def _stop_scan(self) -> None:
        self._callout.stop()
        self._probe_co.stop()
        owner = self.owner
        self._on_done = None
        self.ic.flags &= ~ComFlags.SCAN
        if self.ic.bsschan is not None:
            self.ic.set_curchan(self.ic.bsschan)  # back to the running BSS's channel
        self.ic.ic_scan_end()
        if owner is not None and self.ic.bsschan is not None:
            self._back_home()
        self._away = self._leaving = False
        self.owner = None

    def cancel(self, vap: IEEE80211Vap) -> bool:
        """Stop the scan if `vap` owns it (`ieee80211_cancel_scan`)."""
        if self.owner is not vap:
            return False
        self._stop_scan()
        return True

    def input_beacon(self, frame: bytes, rx: RxInfo, bssid: bytes) -> bool:
        """Record a beacon or probe response heard while scanning
        (`ieee80211_add_scan`); False if its body is malformed."""
        if len(frame) < 36 or frame[1] & 0xC0:
            return len(frame) >= 36  # protected/HT-control bodies: not ours to parse
        parsed = parse_beacon_body(frame[32:])
        if parsed is None:
            return False
        ssid, dsch, capinfo, bintval, ies = parsed
        ic = self.ic
        chan = ic.curchan
        if dsch is not None and dsch != chan.ieee:
            for c in ic.channels:
                if c.ieee == dsch:
                    chan = c
                    break
        old = self.cache.get(bssid)
        if old is not None and old.ies is ies and old.channel is chan:
            # The same body again (the parse memo hands out one object per
            # distinct body): refresh the entry instead of building another.
            old.rssi = rx.signal
            old.last_seen_ns = ic.sched.now_ns
            r, ssid = old, old.ssid
        else:
            if not ssid and old is not None and old.ssid:
                ssid = old.ssid  # a hidden SSID learnt from a probe response stays known
            r = ScanResult(bssid, ssid, chan, rx.signal, capinfo, bintval, bool(capinfo & 2),
                           ic.sched.now_ns, ies)
        self._heard.add(ssid)
        if (len(self._channels) == 1 and ssid and ssid == getattr(self.owner, "ssid", None)
                and not self._finishing):
            # Watching one channel for one SSID and it answered: done.
            self._finishing = True
            self._callout.reset(0, self._finish)
        self.cache[bssid] = r
        return True

    def expire(self, max_age_ns: int = SCAN_VALID_NS) -> int:
        """Drop entries not heard for `max_age_ns`; how many."""
        limit = self.ic.sched.now_ns - max_age_ns
        old = [b for b, r in self.cache.items() if r.last_seen_ns < limit]
        for b in old:
            del self.cache[b]
        return len(old)

    def add_result(self, result: ScanResult) -> None:
        """Record a BSS heard by the input path (beacon or probe response)."""
        result.last_seen_ns = self.ic.sched.now_ns
        self.cache[result.bssid] = result

    def flush(self) -> None:
        self.cache.clear()
