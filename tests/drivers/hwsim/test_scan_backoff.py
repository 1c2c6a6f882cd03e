"""A station that hears nothing to join backs off between scans (no probe
storm), doubling from 100 ms up to wpa_supplicant's 5 s, and joins at its
next scan once its network appears."""

import random

from ic import SEC, Scheduler
from net80211 import State
from net80211.driver import open_driver
from net80211.modes.sta import SCAN_BACKOFF_MAX_NS, SCAN_BACKOFF_MIN_NS, scan_backoff_ns
from net80211.scan import Scanner


def _world(n: int):
    s = Scheduler()
    d = open_driver("hwsim", s, radios=0)
    for i in range(n):
        d.add_device(position=(float(i), 0.0, 0.0))
    return s, d


def _scan_starts(s, vap, seconds: float, monkeypatch) -> list[int]:
    """Virtual times at which `vap` started a scan, over `seconds`."""
    times: list[int] = []
    start = Scanner.start

    def spy(self, v, *args, **kw):
        if v is vap:
            times.append(s.now_ns)
        return start(self, v, *args, **kw)

    monkeypatch.setattr(Scanner, "start", spy)
    s.run_for(int(seconds * SEC))
    return times


def test_backoff_doubles_to_five_seconds_and_is_seeded():
    for k in range(1, 12):
        top = min(SCAN_BACKOFF_MAX_NS, SCAN_BACKOFF_MIN_NS << (k - 1))
        for seed in range(20):
            assert top // 2 <= scan_backoff_ns(k, random.Random(seed)) < top
    assert scan_backoff_ns(3, random.Random(7)) == scan_backoff_ns(3, random.Random(7))


def test_station_with_nothing_to_join_backs_off(monkeypatch):
    s, d = _world(2)
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid="other", channel=6)
    ap.up()
    sta = d.devices[1].create_vap("wlan1", "sta", ssid="nobody")
    sta.up()
    starts = _scan_starts(s, sta, 30.0, monkeypatch)
    # every scan that ended was followed by a wait (the last may still run)
    assert sta.state == State.SCAN and sta.stats.scan_backoffs == sta.ic.scan.scans_done >= len(starts) - 1
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    # Without backoff it would have scanned back to back, a sweep every
    # fraction of a second: with it, 30 s hold about a dozen scans.
    assert 6 <= len(starts) <= 16
    sweep = gaps[0] - SCAN_BACKOFF_MIN_NS  # the first gap: one sweep and at most 100 ms
    assert sweep > 0
    for k, gap in enumerate(gaps, 1):  # each gap: one sweep plus the k-th wait
        top = min(SCAN_BACKOFF_MAX_NS, SCAN_BACKOFF_MIN_NS << (k - 1))
        assert top // 2 <= gap - sweep < top + SCAN_BACKOFF_MIN_NS
    assert gaps[-1] >= SCAN_BACKOFF_MAX_NS // 2  # it reached the long waits


def test_station_joins_at_its_next_scan_when_the_network_appears():
    s, d = _world(2)
    sta = d.devices[1].create_vap("wlan1", "sta", ssid="late")
    sta.up()
    s.run_for(20 * SEC)  # backed off to the longest wait
    assert sta.state == State.SCAN and sta.sta.empty_scans >= 5
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid="late", channel=1)
    ap.up()
    t0 = s.now_ns
    assert s.run_until(lambda: sta.state == State.RUN, 10 * SEC)
    assert s.now_ns - t0 <= SCAN_BACKOFF_MAX_NS + 2 * SEC
    assert sta.sta.empty_scans == 0  # found: the next empty scan starts from 100 ms again


def test_same_run_same_scans_and_stations_spread_out(monkeypatch):
    log: list[tuple[str, int]] = []
    start = Scanner.start

    def spy(self, v, *args, **kw):
        log.append((v.name, self.ic.sched.now_ns))
        return start(self, v, *args, **kw)

    monkeypatch.setattr(Scanner, "start", spy)

    def run() -> tuple[list[int], list[int]]:
        s, d = _world(2)
        for i in (0, 1):
            d.devices[i].create_vap(f"wlan{i}", "sta", ssid="nobody").up()
        log.clear()
        s.run_for(15 * SEC)
        return [t for n, t in log if n == "wlan0"], [t for n, t in log if n == "wlan1"]

    first = run()
    assert len(first[0]) >= 5 and first == run()  # the same run, scan for scan
    # two stations powered up together do not rescan in step
    assert first[0][1:] != first[1][1:]
