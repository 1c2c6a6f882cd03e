"""The station's public beacon-monitor reset (used by off-channel work)."""

from ic import MS, SEC, TU, Scheduler, State
from net80211.driver import open_driver
from net80211.modes.sta import reset_beacon_monitor


def test_reset_beacon_monitor_postpones_the_miss_and_only_applies_to_running_stations():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=2)
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid="n", channel=6)
    sta = d.devices[1].create_vap("wlan1", "sta", ssid="n")
    assert not reset_beacon_monitor(sta)  # not associated yet
    ap.up()
    sta.up()
    assert s.run_until(lambda: sta.state == State.RUN, 3 * SEC)
    assert not reset_beacon_monitor(ap)  # not a station
    d.devices[0].port.stop()  # beacons stop, as if we were away from the channel
    for _ in range(6):  # 3 s of silence, reset every 500 ms: never a miss
        s.run_for(500 * MS)
        assert reset_beacon_monitor(sta)
    assert sta.state == State.RUN and sta.stats.beacon_misses == 0
    t0 = s.now_ns
    assert s.run_until(lambda: sta.state == State.SCAN, 2 * SEC)  # left alone: the miss comes
    assert sta.stats.beacon_misses == 1
    assert s.now_ns - t0 == 7 * 100 * TU  # 7 beacon intervals after the last reset
