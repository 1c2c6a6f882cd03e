"""The policy's counting (create, up, channel change, P2P start), check_mix
and the ready-made profiles, on duck-typed devices."""

import errno

import pytest
from support.policy_fakes import FakeDevice

from drivers.hwsim.profiles import ath, hwsim_default, p2p, run, single
from ic import (
    CHANNELS_2GHZ,
    CHANNELS_5GHZ,
    Caps,
    CloneFlags,
    ConcurrencyError,
    MixVerdict,
    NotSupported,
    OpMode,
    Policy,
)
from ic.combinations import ChanWidth, DfsRegion, IfaceCombination, IfaceLimit

STA, AP, WDS, IBSS = OpMode.STA, OpMode.HOSTAP, OpMode.WDS, OpMode.IBSS
MON, MBSS = OpMode.MONITOR, OpMode.MBSS
GO, CLI, DEV = OpMode.P2P_GO, OpMode.P2P_CLIENT, OpMode.P2P_DEVICE
CH1, CH6, CH11 = CHANNELS_2GHZ[0], CHANNELS_2GHZ[5], CHANNELS_2GHZ[10]
CH36 = CHANNELS_5GHZ[0]
CH52 = next(c for c in CHANNELS_5GHZ if c.ieee == 52)  # DFS
S, A = OpMode.STA.iftype, OpMode.HOSTAP.iftype


def busy(fn, *args, **kw) -> ConcurrencyError:
    with pytest.raises(ConcurrencyError) as ei:
        fn(*args, **kw)
    assert ei.value.errno == errno.EBUSY
    return ei.value


def one_of_each(channels=1):
    return Policy([IfaceCombination([IfaceLimit(1, [S]), IfaceLimit(1, [A])], 2,
                                    num_different_channels=channels)])


def test_default_policy_allows_everything():
    d = FakeDevice(Policy())
    vaps = [d.create(f"wlan{i}", m) for i, m in enumerate([STA, STA, IBSS, IBSS, WDS, DEV, MON] * 3)]
    for i, v in enumerate(vaps):
        d.up(v, CHANNELS_2GHZ[i % 13])
    assert "allowed" in str(Policy().check_mix(d, [STA] * 10))


def test_create_counts_every_existing_vap_running_or_not():
    d = FakeDevice(one_of_each())
    d.create("wlan0", STA)  # down, still counted
    e = busy(d.create, "wlan1", STA)
    assert str(e).startswith("wlan1 (sta): no interface combination allows 2 × STATION: "
                             "combination 1: 2 × STATION exceeds limit #1 {STATION} ≤ 1")
    d.create("wlan1", AP)
    assert not any(v.name == "wlan2" for v in d.vaps)


def test_single_interface_needs_no_combination():
    # mac80211: one interface without radar is allowed even if no limit names it
    d = FakeDevice(one_of_each())
    v = d.create("wlan0", MBSS)
    assert "single interface" in v.admission.explanation
    assert "MESH_POINT is in no limit" in str(busy(d.create, "wlan1", STA))


def test_monitor_is_never_limited_nor_counted():
    d = FakeDevice(one_of_each())
    d.create("wlan0", STA)
    d.create("wlan1", AP)
    mons = [d.create(f"mon{i}", MON) for i in range(3)]  # total would exceed 2 if counted
    for m in mons:
        assert "software interface type" in d.up(m, CH11)


def test_up_checks_channels_of_running_vaps_only():
    d = FakeDevice(one_of_each(channels=1))
    sta, ap = d.create("wlan0", STA), d.create("wlan1", AP)
    d.up(sta, CH1)
    e = busy(d.up, ap, CH6)
    assert str(e).startswith("wlan1 (hostap) up on channel 6 (2437 MHz): no interface combination")
    assert e.reasons == ("combination 1: 2 different channels exceed #channels ≤ 1",)
    assert not ap.running
    d.up(ap, CH1)
    # channel change of a running vap: itself is not counted twice
    d.policy.check_running(d, ap, CH1)
    busy(d.policy.check_running, d, ap, CH11)
    sta.running = False
    d.policy.check_running(d, ap, CH11)  # alone now


def test_running_vap_without_a_channel_is_assumed_to_share():
    d = FakeDevice(one_of_each(channels=1))
    sta, ap = d.create("wlan0", STA), d.create("wlan1", AP)
    d.up(sta, None)  # still scanning
    d.up(ap, CH6)


def test_two_channels_with_channel_contexts():
    d = FakeDevice(one_of_each(channels=2))
    sta, ap = d.create("wlan0", STA, channel=CH1), d.create("wlan1", AP, channel=CH36)
    d.up(sta, CH1)
    assert "allowed by combination 1" in d.up(ap, CH36)


def test_create_with_channels_counts_running_vaps_and_the_new_one():
    d = FakeDevice(one_of_each(channels=1))
    sta = d.create("wlan0", STA)
    d.up(sta, CH1)
    e = busy(d.create, "wlan1", AP, channel=CH6)
    assert "2 different channels" in str(e)
    d.create("wlan1", AP, channel=CH1)


def test_radar_on_dfs_channels_for_beaconing_types():
    pol = Policy([IfaceCombination([IfaceLimit(2, [S, A])], 2,
                                   radar_detect_widths=[ChanWidth.W20_NOHT])])
    d = FakeDevice(pol)
    ap = d.create("wlan0", AP)
    # the policy asks for radar at its configured width (20 MHz): not in the table
    e = busy(d.up, ap, CH52)
    assert "radar detection at 20 MHz is not supported" in str(e)
    d.up(ap, CH36)
    sta = d.create("wlan1", STA)
    d.destroy(ap)
    d.up(sta, CH52)  # a STA does not detect radar
    pol2 = Policy(pol.combinations, radar_width=ChanWidth.W20_NOHT)
    d2 = FakeDevice(pol2)
    d2.up(d2.create("wlan0", AP), CH52)


def test_radar_region():
    pol = Policy([IfaceCombination([IfaceLimit(2, [A])], 2, radar_detect_widths=[ChanWidth.W20],
                                   radar_detect_regions=[DfsRegion.ETSI])], dfs_region=DfsRegion.FCC)
    d = FakeDevice(pol)
    assert "DFS region FCC" in str(busy(d.up, d.create("wlan0", AP), CH52))


def test_beacon_intervals_of_running_beaconing_vaps():
    d = FakeDevice(hwsim_default())  # min gcd 0: intervals must be equal
    a1 = d.create("wlan0", AP, bintval=100)
    a2 = d.create("wlan1", AP, bintval=200)  # wlan0 is down: its interval is not in force yet
    d.up(a1, CH1)
    e = busy(d.up, a2, CH1)
    assert "beacon intervals differ (100, 200)" in str(e)
    assert "beacon intervals differ (100, 300)" in str(busy(d.create, "wlan2", AP, bintval=300))
    d.create("wlan2", STA)  # a STA has no beacon interval of its own
    a2.bintval = 100
    d.up(a2, CH1)


def test_p2p_device_counts_once_started():
    d = FakeDevice(p2p(channels=2))
    sta, go = d.create("wlan0", STA), d.create("wlan1", GO)
    d.up(sta, CH1)
    d.up(go, CH36)
    dev0 = d.create("p2p0", DEV)
    # with STA + GO + the device the total of 3 is reached
    assert "allowed by combination 1" in d.policy.check_start_p2p(d, dev0)
    go.running = False
    dev1 = d.create("p2p1", DEV)  # not counted while not started
    assert "counts only once started" in dev1.admission.explanation
    dev0.p2p_started = True
    e = busy(d.policy.check_start_p2p, d, dev1)
    assert str(e).startswith("p2p1 (p2p-device) start: no interface combination allows")
    assert e.reasons == ("combination 1: 2 × P2P_DEVICE exceeds limit #3 {P2P_DEVICE} ≤ 1",)
    dev0.p2p_started = False
    d.policy.check_start_p2p(d, dev1)


def test_p2p_device_running_counts_like_started():
    d = FakeDevice(p2p())
    dev0 = d.create("p2p0", DEV)
    dev0.running = True
    busy(d.policy.check_start_p2p, d, d.create("p2p1", DEV))


def test_check_mix_explains_allowed_mixes():
    d = FakeDevice(hwsim_default(p2p_device=True))
    v = d.policy.check_mix(d, [STA, "hostap", DEV, MON], [CH1, CH1, None, CH1])
    assert isinstance(v, MixVerdict) and v.allowed
    text = str(v)
    assert text.splitlines()[0] == "sta + hostap + p2p-device + monitor: allowed"
    assert "  create wlan1 (hostap): combinations: allowed by combination 1" in text
    # P2P devices start after everything else is up, so their check sees all of it
    assert text.splitlines()[-1] == "  start wlan2: combinations: allowed by combination 1"
    assert d.vaps == []  # nothing was created on the real device


def test_a_monitor_or_wds_vap_cannot_hold_a_second_channel_of_a_one_channel_device():
    # Software interfaces are not counted, but the channel they listen on is
    # the hardware's: a monitor on 6 beside an AP on 1 would be a lie.
    d = FakeDevice(hwsim_default(wds=True), caps=None)
    e = busy(d.policy.check_mix, d, [AP, MON], [CH1, CH6])
    assert e.reasons == ("2 different channels exceed the 1 the device can use at once (wlan0 on 1)",)
    assert str(e).splitlines()[-1].startswith("  refused: wlan1 (monitor) up on channel 6 (2437 MHz): ")
    busy(d.policy.check_mix, d, [AP, WDS], [CH1, CH6])
    assert d.policy.check_mix(d, [AP, MON, WDS], [CH6, CH6, CH6]).allowed
    # The same the other way round: a monitor configured for 6 keeps an AP off 1.
    busy(d.policy.check_mix, d, [MON, AP], [CH6, CH1])
    # Monitors alone: one radio, one channel.
    busy(d.policy.check_mix, d, [MON, MON], [CH1, CH6])
    # A monitor or WDS vap without a channel of its own follows the device.
    ap, mon = d.create("wlan0", AP), d.create("mon0", MON)
    d.up(ap, CH1)
    d.up(mon, None)
    d.policy.check_running(d, ap, CH6)  # the AP may move; the monitor follows


def test_check_mix_refusal_carries_the_explanation():
    d = FakeDevice(hwsim_default())
    e = busy(d.policy.check_mix, d, [STA, AP], [CH1, CH6])
    lines = str(e).splitlines()
    assert lines[0] == "sta + hostap: refused"
    assert lines[-1].startswith("  refused: wlan1 (hostap) up on channel 6 (2437 MHz): no interface "
                                "combination allows 1 × STATION, 1 × AP")
    assert e.reasons == ("combination 1: 2 different channels exceed #channels ≤ 1",)


def test_check_mix_runs_rules_on_a_shadow_device_and_leaves_the_real_one_alone():
    pol = ath()
    d = FakeDevice(pol)
    ap = d.create("wlan0", AP)
    e = busy(pol.check_mix, d, ["sta", "wds"])
    assert "rule no-wds-in-sta-mode" in str(e)
    bss = (AP, CloneFlags.BSSID)
    v = pol.check_mix(d, [bss, bss, bss, bss, STA, "wds", MON])
    assert "rule sta-nobeacons: NOBEACONS set (beside wlan0, wlan1, wlan2, wlan3)" in str(v)
    assert "beacon-slots" in str(busy(pol.check_mix, d, [bss] * 5))
    assert d.vaps == [ap] and pol.resources(d, ap) == {"beacon_slot": 0, "bssid_index": 0}
    assert "first-only" in str(busy(pol.check_mix, d, ["hostap", "tdma"]))
    assert "first-only" in str(busy(pol.check_mix, d, ["tdma", "monitor"]))


def test_check_mix_capabilities_and_arguments():
    d = FakeDevice(Policy(), caps=Caps.STA | Caps.HOSTAP)
    with pytest.raises(NotSupported) as ei:
        d.policy.check_mix(d, [STA, WDS])
    assert ei.value.errno == errno.EOPNOTSUPP and "WDS capability" in str(ei.value)
    with pytest.raises(ValueError, match="2 channels given for 1 modes"):
        d.policy.check_mix(d, [STA], [CH1, CH6])
    assert d.policy.check_mix(d, [(STA, CloneFlags.NOBEACONS)]).allowed


def test_profile_hwsim_default():
    pol = hwsim_default()
    d = FakeDevice(pol)
    d.create("wlan0", IBSS)
    assert "2 × ADHOC exceeds limit #1 {ADHOC} ≤ 1" in str(busy(d.create, "wlan1", IBSS))
    for i in range(5):
        d.create(f"ap{i}", AP)
    assert "P2P_DEVICE is in no limit" in str(busy(pol.check_mix, d, [STA, DEV]))
    assert "P2P-device" in hwsim_default(p2p_device=True).format()
    # Linux has no WDS type: refused beside anything, unless the profile treats it as AP_VLAN
    assert "WDS is in no limit" in str(busy(pol.check_mix, d, [AP, WDS]))
    wds = hwsim_default(wds=True)
    assert wds.check_mix(d, [AP, WDS]).allowed
    assert "wds-needs-hostap" in str(busy(wds.check_mix, d, [STA, WDS]))


def test_profile_ath_allows_the_repeater_and_limits_sta():
    pol = ath()
    d = FakeDevice(pol)
    ap = d.create("wlan0", AP)
    sta = d.create("wlan1", STA)
    assert sta.flags & CloneFlags.NOBEACONS and ap.macaddr == sta.macaddr
    assert "rule max-of-mode" in str(busy(d.create, "wlan2", STA))
    assert "rule first-only" in str(busy(d.create, "wlan2", IBSS))
    w = d.create("wds0", WDS, CloneFlags.BSSID)
    assert w.flags == CloneFlags(0) and w.macaddr == ap.macaddr
    assert "beacon_slot" not in pol.resources(d, w)
    assert "wds-no-bssid" in pol.format() and "interface combinations: none" in pol.format()


def test_profile_single():
    pol = single()
    d = FakeDevice(pol)
    d.create("wlan0", MON)
    assert "rule single-vap" in str(busy(d.create, "wlan1", STA))


def test_profile_run():
    pol = run()
    d = FakeDevice(pol)
    assert "wds-needs-hostap" in str(busy(pol.check_mix, d, [(WDS, CloneFlags.WDSLEGACY)]))
    sta = d.create("wlan0", STA)
    assert sta.flags & CloneFlags.NOBEACONS
    assert "rule first-only" in str(busy(d.create, "wlan1", MON))
    d.destroy(sta)
    d.create("wlan0", AP)
    d.create("wds0", WDS)
    d.create("wds1", WDS, CloneFlags.WDSLEGACY)
    assert "rule first-only" in str(busy(d.create, "wlan1", AP))


def test_profile_p2p_table():
    pol = p2p()
    assert pol.format().startswith(
        "valid interface combinations:\n"
        "\t * #{ managed } <= 1, #{ AP, P2P-client, P2P-GO } <= 1, #{ P2P-device } <= 1,\n"
        "\t   total <= 3, #channels <= 2")
    d = FakeDevice(pol)
    assert pol.check_mix(d, [STA, CLI, DEV], [CH1, CH6, None]).allowed
    assert pol.check_mix(d, [STA, GO], [CH1, CH36]).allowed
    one = p2p(channels=1)
    assert "2 different channels exceed #channels ≤ 1" in str(busy(one.check_mix, d, [STA, GO], [CH1, CH6]))
    # AP, GO and P2P client share one limit
    e = busy(pol.check_mix, d, [CLI, GO])
    assert e.reasons == ("combination 1: 1 × P2P_GO exceeds limit #2 {AP, P2P_CLIENT, P2P_GO} ≤ 1 "
                         "(1 already taken)",)


def test_invalid_table_refused_at_construction():
    with pytest.raises(ValueError, match="WDS is not allowed"):
        Policy([IfaceCombination([IfaceLimit(2, [OpMode.WDS.iftype])], 2)])
