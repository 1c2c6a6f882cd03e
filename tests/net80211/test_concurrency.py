"""The concurrency policy wired into IEEE80211Com: create, destroy, up,
channel change and check_mix on a real device with net80211 vaps."""

import errno

import pytest
from support.testdriver import ALL_MODES, TestCom

from drivers.hwsim.profiles import ath, hwsim_default, p2p
from ic import Caps, ConcurrencyError, Policy
from ic.rules import BeaconSlots
from net80211 import CloneFlags, OpMode, Scheduler


def busy(fn, *args, **kw) -> ConcurrencyError:
    with pytest.raises(ConcurrencyError) as ei:
        fn(*args, **kw)
    assert ei.value.errno == errno.EBUSY
    return ei.value


def created(ic):
    return [c[1] for c in ic.calls if c[0] == "vap_create"]


def test_adjustments_reach_the_driver_and_the_vap():
    ic = TestCom(Scheduler(), policy=ath())
    ap = ic.create_vap("wlan0", "hostap")
    sta = ic.create_vap("wlan1", "sta")
    clone = ic.create_vap("wlan2", "hostap", flags=CloneFlags.BSSID)
    assert ic.calls[1] == ("vap_create", "wlan1", 1, OpMode.STA, CloneFlags.NOBEACONS)
    assert sta.flags & CloneFlags.NOBEACONS
    assert ap.macaddr == sta.macaddr == ic.macaddr
    assert clone.macaddr == bytes([ic.macaddr[0] | (1 << 2) | 0x2]) + ic.macaddr[1:]
    adm = ic.policy.admission_of(ic, sta)
    assert adm.adjustments == ["rule sta-nobeacons: NOBEACONS set (beside wlan0)"]


def test_refused_create_leaves_nothing_and_never_reaches_the_driver():
    ic = TestCom(Scheduler(), policy=ath())
    ic.create_vap("wlan0", "sta")
    e = busy(ic.create_vap, "wlan1", "sta")
    assert "rule max-of-mode" in str(e)
    e = busy(ic.create_vap, "wds0", "wds", bssid="02:00:00:00:09:00")
    assert "rule no-wds-in-sta-mode" in str(e)
    assert created(ic) == ["wlan0"]
    assert "wlan1" not in ic.names and "wds0" not in ic.names
    assert [v.name for v in ic.vaps] == ["wlan0"]


def test_driver_failure_gives_the_reservation_back():
    ic = TestCom(Scheduler(), policy=Policy((), [BeaconSlots(1)]), refuse=True)
    with pytest.raises(OSError) as ei:
        ic.create_vap("wlan0", "hostap")
    assert ei.value.errno == errno.EIO
    ic.refuse = False
    ap = ic.create_vap("wlan0", "hostap")  # the only slot came back
    assert ic.policy.resources(ic, ap) == {"beacon_slot": 0}


def test_destroy_releases_slots_and_addresses():
    ic = TestCom(Scheduler(), policy=ath())
    aps = [ic.create_vap(f"wlan{i}", "hostap", flags=CloneFlags.BSSID) for i in range(4)]
    assert [ic.policy.resources(ic, v)["beacon_slot"] for v in aps] == [0, 1, 2, 3]
    assert "beacon-slots" in str(busy(ic.create_vap, "wlan4", "mesh", flags=CloneFlags.BSSID))
    old = aps[2].macaddr
    ic.destroy_vap(aps[2])
    again = ic.create_vap("wlan4", "mesh", flags=CloneFlags.BSSID)
    assert again.macaddr == old and ic.policy.resources(ic, again) == {"beacon_slot": 2, "bssid_index": 2}
    ic.detach()
    assert ic.policy.resources(ic, again) == {}


def test_up_on_a_second_channel_is_refused_and_the_vap_stays_down():
    ic = TestCom(Scheduler(), policy=hwsim_default())
    sta = ic.create_vap("wlan0", "sta", channel=1)
    ap = ic.create_vap("wlan1", "hostap", channel=6)  # not running yet: assumed to share
    sta.up()
    ic.sched.run_for(10_000_000)
    e = busy(ap.up)
    assert str(e).startswith("wlan1 (hostap) up on channel 6 (2437 MHz): no interface combination")
    assert not ap.running and ic.nrunning == 1
    ap.set_channel(1)
    ap.up()
    assert ap.running and ic.nrunning == 2


def test_channel_change_of_a_running_vap_is_checked():
    ic = TestCom(Scheduler(), policy=hwsim_default())
    ap = ic.create_vap("wlan0", "hostap", channel=1)
    ap2 = ic.create_vap("wlan1", "hostap", channel=1)
    ap.up()
    ap2.up()
    ic.sched.run_for(10_000_000)
    busy(ap2.set_channel, 11)
    assert ap2.des_chan.ieee == 1
    ap.down()
    ap2.set_channel(11)
    assert ap2.des_chan.ieee == 11


def test_create_counts_running_vaps_channels_and_beacon_intervals():
    ic = TestCom(Scheduler(), policy=hwsim_default())
    ap = ic.create_vap("wlan0", "hostap", channel=1, bintval=200)
    ap.up()
    assert "2 different channels" in str(busy(ic.create_vap, "wlan1", "hostap", channel=6, bintval=200))
    assert "beacon intervals differ (100, 200)" in str(
        busy(ic.create_vap, "wlan1", "hostap", channel=1, bintval=100))
    ic.create_vap("wlan1", "hostap", channel=1, bintval=200)


def test_monitor_is_a_software_type():
    # Never counted as an interface, but it listens on the radio's channel:
    # one configured for another channel of a one-channel device is refused.
    ic = TestCom(Scheduler(), policy=hwsim_default())
    ic.create_vap("wlan0", "sta", channel=1).up()
    e = busy(ic.create_vap, "mon0", "monitor", channel=11)
    assert "2 different channels exceed the 1 the device can use at once (wlan0 on 1)" in str(e)
    mons = [ic.create_vap("mon0", "monitor", channel=1), ic.create_vap("mon1", "monitor")]
    for mon in mons:
        mon.up()
        assert mon.running


def test_check_mix_through_the_device():
    ic = TestCom(Scheduler(), policy=p2p())
    v = ic.check_mix(["sta", "p2p-go", "p2p-device"], [1, 36, None])
    assert v.allowed and str(v).startswith("sta + p2p-go + p2p-device: allowed")
    e = busy(ic.check_mix, ["sta", "sta"])
    assert "2 × STATION exceeds limit #1 {STATION} ≤ 1" in str(e)
    assert ic.vaps == [] and ic.calls == []
    small = TestCom(Scheduler(), "small0", caps=Caps.STA, policy=ath())
    with pytest.raises(OSError) as ei:
        small.check_mix(["sta", "hostap"])
    assert ei.value.errno == errno.EOPNOTSUPP


def test_check_mix_keeps_the_flags_a_mode_word_implies():
    ic = TestCom(Scheduler(), caps=ALL_MODES | Caps.TDMA, policy=ath())
    e = busy(ic.check_mix, ["tdma", "monitor"])
    assert "rule first-only [ahdemo+tdma only as the only vap]" in str(e)
    assert ic.check_mix(["ahdemo", "monitor"]).allowed
    with pytest.raises(OSError) as ei:
        TestCom(Scheduler(), "notdma0", policy=ath()).check_mix(["tdma"])
    assert ei.value.errno == errno.EOPNOTSUPP


def test_default_device_policy_allows_any_mix():
    ic = TestCom(Scheduler())
    for i, m in enumerate(["sta", "sta", "ibss", "hostap", "monitor", "p2p-device"]):
        ic.create_vap(f"wlan{i}", m, channel=1 + 5 * (i % 3)).up()
    assert "allowed" in str(ic.check_mix(["sta"] * 4, [1, 6, 11, 36]))


def test_channel_chosen_by_scanning_is_checked_and_refusal_leaves_vap_down():
    from support.testdriver import TestCom

    from drivers.hwsim.profiles import hwsim_default
    from ic import SEC, State
    from net80211 import Scanner, ScanResult, Scheduler

    ic = TestCom(Scheduler(), policy=hwsim_default())  # one channel at a time
    ap = ic.create_vap("wlan0", "hostap", channel=1)
    ap.up()
    ic.sched.run_for(SEC // 10)
    sta = ic.create_vap("wlan1", "sta", ssid="far")
    sta.up()
    ic.sched.run_for(SEC // 100)
    Scanner.of(ic).add_result(ScanResult(b"\x02\x00\x00\x00\x09\x00", b"far", ic.find_channel(11), -40))
    ic.sched.run_for(5 * SEC)
    assert not sta.running and sta.state == State.INIT and sta.stats.policy_refusals == 1
    assert sta.last_error.errno == 16 and "channel" in sta.last_error.strerror
    assert ap.state == State.RUN and ic.nrunning == 1
    # on the AP's channel the same station is allowed
    sta.up()
    ic.sched.run_for(SEC // 100)
    Scanner.of(ic).add_result(ScanResult(b"\x02\x00\x00\x00\x09\x01", b"far", ic.find_channel(1), -40))
    assert ic.sched.run_until(lambda: sta.state == State.AUTH, 5 * SEC)
