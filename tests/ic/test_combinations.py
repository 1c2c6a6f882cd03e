"""cfg80211's interface-combination check, registration rules and rendering."""

import errno

import pytest

from drivers.hwsim.profiles import hwsim_combinations
from ic import Busy, ConcurrencyError, IfType
from ic.combinations import (
    ChanWidth,
    DfsRegion,
    IfaceCombination,
    IfaceLimit,
    check_combinations,
    evaluate_combinations,
    format_combinations,
    regions_mask,
    validate_combinations,
    widths_mask,
)

S, A, ADHOC, MON = IfType.STATION, IfType.AP, IfType.ADHOC, IfType.MONITOR
CLI, GO, DEV, MESH = IfType.P2P_CLIENT, IfType.P2P_GO, IfType.P2P_DEVICE, IfType.MESH_POINT


def refused(combos, counts, **kw) -> ConcurrencyError:
    with pytest.raises(ConcurrencyError) as ei:
        check_combinations(combos, counts, **kw)
    return ei.value


# -- mac80211_hwsim's table ---------------------------------------------------

def test_hwsim_table_shape_and_validity():
    (c,) = hwsim_combinations(adhoc=True, p2p_device=True)
    assert [(lim.max, lim.types) for lim in c.limits] == [
        (1, {ADHOC}), (2048, {S, CLI, A, GO, MESH}), (1, {DEV})]
    assert c.max_interfaces == 2050 and c.num_different_channels == 1
    assert c.radar_detect_widths == widths_mask(*(set(ChanWidth) - {ChanWidth.W80P80}))
    validate_combinations(hwsim_combinations(adhoc=True, p2p_device=True))
    (c2,) = hwsim_combinations(adhoc=False, p2p_device=False, channels=3)
    assert [lim.types for lim in c2.limits] == [{S, CLI, A, GO, MESH}]
    assert c2.num_different_channels == 3 and c2.radar_detect_widths == 0 and c2.max_interfaces == 2048
    validate_combinations([c2])
    with pytest.raises(ValueError):
        hwsim_combinations(channels=0)


def test_hwsim_allows_many_infra_but_one_ibss_and_one_p2p_device():
    t = hwsim_combinations(p2p_device=True)
    assert check_combinations(t, {S: 3, A: 5, GO: 2, MESH: 1, ADHOC: 1, DEV: 1}) == list(t)
    e = refused(t, {ADHOC: 2})
    assert e.reasons == ("combination 1: 2 × ADHOC exceeds limit #1 {ADHOC} ≤ 1",)
    e = refused(t, {S: 1, DEV: 2})
    assert "2 × P2P_DEVICE exceeds limit #3 {P2P_DEVICE} ≤ 1" in str(e)


def test_hwsim_without_p2p_device_or_adhoc_refuses_those_types():
    t = hwsim_combinations(adhoc=False, p2p_device=False)
    assert refused(t, {S: 1, DEV: 1}).reasons == ("combination 1: P2P_DEVICE is in no limit",)
    assert refused(t, {ADHOC: 1, A: 1}).reasons == ("combination 1: ADHOC is in no limit",)


def test_hwsim_channels_and_radar():
    one = hwsim_combinations()
    assert check_combinations(one, {S: 1, A: 1}, num_different_channels=1)
    assert "2 different channels exceed #channels ≤ 1" in str(refused(one, {S: 1, A: 1},
                                                                        num_different_channels=2))
    assert check_combinations(one, {A: 1}, radar_detect=widths_mask(ChanWidth.W20))
    e = refused(one, {A: 1}, radar_detect=widths_mask(ChanWidth.W80P80))
    assert "radar detection at 80+80 MHz is not supported" in e.reasons[0]
    ctx = hwsim_combinations(channels=3)
    assert check_combinations(ctx, {S: 2, A: 1}, num_different_channels=3)
    refused(ctx, {S: 2, A: 2}, num_different_channels=4)
    e = refused(ctx, {A: 1}, radar_detect=widths_mask(ChanWidth.W20))
    assert "(radar widths: none)" in e.reasons[0]


# -- every branch of the algorithm ---------------------------------------------

def test_max_interfaces_counts_software_types_too():
    t = [IfaceCombination([IfaceLimit(4, [S, A])], max_interfaces=2)]
    assert check_combinations(t, {S: 1, A: 1})
    assert refused(t, {S: 1, A: 1, MON: 1}).reasons == ("combination 1: 3 interfaces exceed total ≤ 2",)


def test_software_types_are_never_limited_and_need_no_limit():
    t = [IfaceCombination([IfaceLimit(1, [S])], max_interfaces=10)]
    assert check_combinations(t, {S: 1, MON: 9})
    # AP_VLAN is software by default as well
    assert check_combinations(t, {S: 1, IfType.AP_VLAN: 3})
    # with no software types, MONITOR is a used type in no limit
    e = refused(t, {S: 1, MON: 1}, software_iftypes=frozenset())
    assert e.reasons == ("combination 1: MONITOR is in no limit",)


def test_used_type_absent_from_every_limit():
    t = [IfaceCombination([IfaceLimit(2, [S])], max_interfaces=2)]
    assert refused(t, {S: 1, A: 1}).reasons == ("combination 1: AP is in no limit",)
    e = refused(t, {A: 1, GO: 1})
    assert e.reasons == ("combination 1: AP, P2P_GO are in no limit",)


def test_zero_counts_are_not_used_types():
    t = [IfaceCombination([IfaceLimit(2, [S])], max_interfaces=2)]
    assert check_combinations(t, {S: 2, A: 0})


def test_limit_max_is_shared_by_the_types_of_one_limit():
    t = [IfaceCombination([IfaceLimit(3, [S, A])], max_interfaces=8)]
    assert check_combinations(t, {S: 2, A: 1})
    e = refused(t, {S: 2, A: 2})
    # STATION takes 2 of 3, leaving 1 for AP
    assert e.reasons == ("combination 1: 2 × AP exceeds limit #1 {STATION, AP} ≤ 3 (2 already taken)",)


def test_radar_regions():
    etsi = [IfaceCombination([IfaceLimit(1, [A])], max_interfaces=1,
                             radar_detect_widths=[ChanWidth.W20], radar_detect_regions=[DfsRegion.ETSI])]
    w20 = widths_mask(ChanWidth.W20)
    assert check_combinations(etsi, {A: 1}, radar_detect=w20, radar_region=DfsRegion.ETSI)
    e = refused(etsi, {A: 1}, radar_detect=w20, radar_region=DfsRegion.FCC)
    assert e.reasons == ("combination 1: radar detection in DFS region FCC is not supported "
                         "(regions: ETSI)",)
    # the region only matters when radar detection is requested
    assert check_combinations(etsi, {A: 1}, radar_region=DfsRegion.FCC)
    anyregion = [IfaceCombination([IfaceLimit(1, [A])], max_interfaces=1, radar_detect_widths=w20)]
    assert check_combinations(anyregion, {A: 1}, radar_detect=w20, radar_region=DfsRegion.JP)


def test_radar_widths_must_all_be_supported():
    t = [IfaceCombination([IfaceLimit(2, [A])], max_interfaces=2,
                          radar_detect_widths=widths_mask(ChanWidth.W20, ChanWidth.W40))]
    assert check_combinations(t, {A: 2}, radar_detect=widths_mask(ChanWidth.W20, ChanWidth.W40))
    e = refused(t, {A: 2}, radar_detect=widths_mask(ChanWidth.W20, ChanWidth.W80))
    assert "at 80 MHz is not supported (radar widths: 20 MHz, 40 MHz)" in e.reasons[0]
    no_radar = [IfaceCombination([IfaceLimit(2, [A])], max_interfaces=2)]
    refused(no_radar, {A: 1}, radar_detect=widths_mask(ChanWidth.W20_NOHT))


def test_beacon_interval_gcd():
    t = [IfaceCombination([IfaceLimit(4, [A])], max_interfaces=4, beacon_int_min_gcd=100)]
    assert check_combinations(t, {A: 2}, beacon_intervals=[100, 200])
    assert check_combinations(t, {A: 2}, beacon_intervals=[300, 300])
    e = refused(t, {A: 2}, beacon_intervals=[100, 150])
    assert e.reasons == ("combination 1: beacon interval gcd 50 is below the minimum gcd 100",)


def test_beacon_intervals_must_be_equal_without_min_gcd():
    t = [IfaceCombination([IfaceLimit(4, [A])], max_interfaces=4)]
    assert check_combinations(t, {A: 2}, beacon_intervals=[100, 100])
    assert check_combinations(t, {A: 2}, beacon_intervals=[100, 0])  # 0: not beaconing
    assert check_combinations(t, {A: 2}, beacon_intervals=[])
    e = refused(t, {A: 2}, beacon_intervals=[200, 100, 100])
    assert e.reasons == ("combination 1: beacon intervals differ (100, 200) and the combination "
                         "requires them equal",)


def test_failures_are_reported_in_kernel_order_per_combination():
    # more interfaces than allowed AND a type in no limit: the total is checked first
    t = [IfaceCombination([IfaceLimit(1, [S])], max_interfaces=2),
         IfaceCombination([IfaceLimit(2, [S]), IfaceLimit(1, [A])], max_interfaces=3,
                          num_different_channels=2)]
    e = refused(t, {S: 2, GO: 1}, num_different_channels=3)
    assert e.reasons == ("combination 1: 3 interfaces exceed total ≤ 2",
                         "combination 2: 3 different channels exceed #channels ≤ 2")
    assert e.errno == errno.EBUSY and isinstance(e, Busy) and isinstance(e, OSError)
    assert str(e).startswith("no interface combination allows 2 × STATION, 1 × P2P_GO: combination 1:")
    assert str(e).endswith("(EBUSY)")


def test_returns_every_matching_combination_in_order():
    c1 = IfaceCombination([IfaceLimit(1, [S]), IfaceLimit(1, [A])], max_interfaces=2)
    c2 = IfaceCombination([IfaceLimit(2, [A])], max_interfaces=2)
    c3 = IfaceCombination([IfaceLimit(8, [S, A])], max_interfaces=8)
    assert check_combinations([c1, c2, c3], {A: 1}) == [c1, c2, c3]
    assert check_combinations([c1, c2, c3], {A: 2}) == [c2, c3]
    res = evaluate_combinations([c1, c2, c3], {S: 1, A: 1})
    assert [r.matches for r in res] == [True, False, True]
    assert res[1].reason == "STATION is in no limit" and res[1].index == 2


def test_empty_table_matches_nothing():
    e = refused([], {S: 1})
    assert e.reasons == ("the device declares no interface combinations",)


def test_negative_count_is_a_caller_error():
    with pytest.raises(ValueError, match="negative interface count -1 for AP"):
        check_combinations(hwsim_combinations(), {A: -1})


# -- registration rules ----------------------------------------------------------

def combo(limits, max_interfaces=2, **kw):
    return IfaceCombination(limits, max_interfaces, **kw)


@pytest.mark.parametrize("table,message", [
    ([combo([IfaceLimit(1, [S])], 1)], "max_interfaces must be >= 2 unless radar"),
    ([combo([IfaceLimit(2, [S])], num_different_channels=0)], "num_different_channels must be >= 1"),
    ([combo([IfaceLimit(2, [A])], num_different_channels=2, radar_detect_widths=widths_mask(ChanWidth.W20))],
     "radar detection only works on a single channel"),
    ([combo([])], "limits must not be empty"),
    ([combo([IfaceLimit(2, [S, A]), IfaceLimit(1, [A, GO])], 3)], "limits overlap on {AP}"),
    ([combo([IfaceLimit(0, [S]), IfaceLimit(2, [A])])], "max must be positive"),
    ([combo([IfaceLimit(2, [S, MON])])], "software interface types {MONITOR} may not be limited"),
    ([combo([IfaceLimit(2, [DEV]), IfaceLimit(2, [S])])], "at most one P2P_DEVICE"),
    ([combo([IfaceLimit(2, [IfType.NAN]), IfaceLimit(2, [S])])], "at most one NAN"),
    ([combo([IfaceLimit(2, [ADHOC, A])], beacon_int_min_gcd=100)],
     "ADHOC is not allowed with beacon_int_min_gcd"),
    ([combo([IfaceLimit(2, [IfType.WDS])])], "WDS is not allowed in interface combinations"),
    ([combo([IfaceLimit(1, [S]), IfaceLimit(1, [A])], 3)],
     "allow only 2 interfaces, fewer than max_interfaces 3"),
])
def test_validation_rejects_and_names_the_rule(table, message):
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        validate_combinations(table)


def test_validation_locates_the_bad_combination_and_limit():
    good = combo([IfaceLimit(2, [S])])
    bad = combo([IfaceLimit(2, [A]), IfaceLimit(1, [A])], 3)
    with pytest.raises(ValueError, match=r"^combination 2, limit #2 \{AP\}: limits overlap"):
        validate_combinations([good, bad])


def test_validation_accepts_radar_single_interface_and_checks_supported_types():
    validate_combinations([combo([IfaceLimit(1, [A])], 1, radar_detect_widths=[ChanWidth.W20])])
    t = [combo([IfaceLimit(2, [S, A])])]
    validate_combinations(t, interface_types=[S, A, MON])
    with pytest.raises(ValueError, match=r"names unsupported interface types \{AP\}"):
        validate_combinations(t, interface_types=[S])
    # a custom software type set changes what may be limited
    validate_combinations([combo([IfaceLimit(2, [S, MON])])], software_iftypes=frozenset())


# -- rendering ---------------------------------------------------------------------

def test_iw_list_rendering():
    t = [IfaceCombination([IfaceLimit(1, [S]), IfaceLimit(1, [GO, A, CLI])], max_interfaces=3,
                          num_different_channels=2)]
    assert format_combinations(t) == (
        "valid interface combinations:\n"
        "\t * #{ managed } <= 1, #{ AP, P2P-client, P2P-GO } <= 1,\n"
        "\t   total <= 3, #channels <= 2")


def test_iw_list_rendering_of_optional_fields():
    c = IfaceCombination([IfaceLimit(2, [A, MESH])], max_interfaces=2, beacon_int_infra_match=True,
                         radar_detect_widths=widths_mask(ChanWidth.W20_NOHT, ChanWidth.W160),
                         radar_detect_regions=regions_mask(DfsRegion.FCC, DfsRegion.JP),
                         beacon_int_min_gcd=50)
    assert format_combinations([c]) == (
        "valid interface combinations:\n"
        "\t * #{ AP, mesh point } <= 2,\n"
        "\t   total <= 2, #channels <= 1, STA/AP BI must match, "
        "radar detect widths: { 20 MHz (no HT), 160 MHz }, radar detect regions: { FCC, JP }, "
        "beacon interval min gcd: 50")
    assert format_combinations([]) == "valid interface combinations: none declared"


def test_limits_accept_masks_of_enum_members_and_single_types():
    lim = IfaceLimit(2, S)
    assert lim.types == {S} and lim.mask == 1 << 2
    assert IfaceLimit(1, [A, GO]).mask == (1 << 3) | (1 << 9)
    c = IfaceCombination([lim], 2, radar_detect_widths=[ChanWidth.W40], radar_detect_regions=[DfsRegion.ETSI])
    assert c.radar_detect_widths == 4 and c.radar_detect_regions == 4 and isinstance(c.limits, tuple)


def test_a_misspelled_keyword_is_named_as_check_combinations_takes_it():
    with pytest.raises(TypeError, match=r"check_combinations\(\) got an unexpected keyword argument 'radar'"):
        check_combinations(hwsim_combinations(), {IfType.STATION: 1}, radar=1)  # type: ignore[call-arg]
