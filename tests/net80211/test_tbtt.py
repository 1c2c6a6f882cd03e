"""The beacon timer drivers share, and the device's TSF hooks it runs on."""

from __future__ import annotations

from support.testdriver import TestCom

from ic import MS, TU, Scheduler, State
from net80211.driver import BeaconTimer, next_tbtt_ns


def test_next_tbtt_is_the_next_multiple_of_the_interval_on_the_tsf():
    period_us = 100 * TU // 1000
    assert next_tbtt_ns(0, 100) == period_us * 1000  # a TBTT now: the next one
    assert next_tbtt_ns(1000, 100) == (period_us - 1000) * 1000
    assert next_tbtt_ns(5 * period_us + 7, 100) == (period_us - 7) * 1000


def test_the_default_tsf_is_virtual_time_plus_the_offset_and_cannot_be_loaded():
    s = Scheduler()
    ic = TestCom(s)
    s.run_for(3 * MS)
    assert ic.ic_get_tsf() == 3000 and ic.ic_tsf_offset_us == 0
    assert ic.ic_set_tsf(10**9) is False and ic.ic_get_tsf() == 3000
    assert ic.ic_max_remain_on_channel_ms == 5000 and ic.ic_index is None
    assert ic.describe() == {"name": "test0"}


def _running_ap():
    s = Scheduler()
    ic = TestCom(s)
    ap = ic.create_vap("wlan0", "hostap", ssid="t", channel=1)
    ap.up()
    s.run_for(10 * MS)
    return s, ic, ap


def test_the_timer_fires_at_each_tbtt_while_running_and_stops():
    s, ic, ap = _running_ap()
    assert ap.state == State.RUN
    fired: list[int] = []
    timer = BeaconTimer(ic, lambda vap: fired.append(ic.ic_get_tsf()))
    timer.start(ap)
    co = timer.callout(ap)
    s.run_for(1000 * MS)
    period_us = ap.bintval * TU // 1000
    assert len(fired) == 9 and all(t % period_us == 0 for t in fired)
    assert timer.callout(ap) is co
    timer.stop(ap)
    assert timer.callout(ap) is None
    s.run_for(500 * MS)
    assert len(fired) == 9


def test_realign_follows_a_loaded_tsf():
    s, ic, ap = _running_ap()
    fired: list[int] = []
    timer = BeaconTimer(ic, lambda vap: fired.append(ic.ic_get_tsf()))
    timer.start(ap)
    ic.ic_tsf_offset_us = 12_345  # what a driver's ic_set_tsf does, then realign
    timer.realign()
    s.run_for(500 * MS)
    period_us = ap.bintval * TU // 1000
    assert fired and all(t % period_us == 0 for t in fired)
