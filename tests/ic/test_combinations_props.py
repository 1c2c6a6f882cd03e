"""Properties of the combination check over generated valid tables."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ic import IfType
from ic.combinations import (
    ChanWidth,
    IfaceCombination,
    IfaceLimit,
    evaluate_combinations,
    validate_combinations,
)

LIMITABLE = [IfType.ADHOC, IfType.STATION, IfType.AP, IfType.MESH_POINT, IfType.P2P_CLIENT,
             IfType.P2P_GO, IfType.P2P_DEVICE, IfType.OCB, IfType.NAN]
ANY_TYPE = [t for t in IfType if t is not IfType.UNSPECIFIED]


@st.composite
def combinations(draw):
    pool = draw(st.permutations(LIMITABLE))
    n_types = draw(st.integers(1, len(pool)))
    chosen = pool[:n_types]
    cuts = sorted(draw(st.sets(st.integers(1, n_types - 1), max_size=n_types - 1))) if n_types > 1 else []
    groups = [chosen[a:b] for a, b in zip([0, *cuts], [*cuts, n_types], strict=True)]
    limits = []
    for g in groups:
        single = IfType.P2P_DEVICE in g or IfType.NAN in g
        limits.append(IfaceLimit(1 if single else draw(st.integers(1, 4)), g))
    total = sum(lim.max for lim in limits)
    radar = draw(st.booleans())
    lo = 1 if radar else 2
    assume(lo <= total)
    has_adhoc = any(IfType.ADHOC in g for g in groups)
    return IfaceCombination(
        limits,
        max_interfaces=draw(st.integers(lo, total)),
        num_different_channels=1 if radar else draw(st.integers(1, 3)),
        beacon_int_infra_match=draw(st.booleans()),
        radar_detect_widths=draw(st.integers(1, 255)) if radar else 0,
        radar_detect_regions=draw(st.integers(0, 15)) if radar else 0,
        beacon_int_min_gcd=0 if has_adhoc else draw(st.sampled_from([0, 50, 100])),
    )


tables = st.lists(combinations(), min_size=1, max_size=4)
# Small counts and mostly permissive parameters, so that mixes near the
# edge of a table (where a wrong branch would show) come up often.
counts_st = st.dictionaries(st.sampled_from(ANY_TYPE), st.integers(0, 3), max_size=4)
params_st = st.fixed_dictionaries({
    "num_different_channels": st.integers(0, 3),
    "radar_detect": st.sampled_from([0, 0, 1 << ChanWidth.W20, (1 << ChanWidth.W20) | (1 << ChanWidth.W80)]),
    "radar_region": st.integers(0, 3),
    "beacon_intervals": st.lists(st.sampled_from([0, 100, 100, 150, 200]), max_size=3),
})


def matched(table, counts, params):
    return [r.index for r in evaluate_combinations(table, counts, **params) if r.matches]


@settings(max_examples=300)
@given(tables)
def test_validate_accepts_every_generated_table(table):
    validate_combinations(table)


@settings(max_examples=1000)
@given(tables, counts_st, params_st, st.sampled_from(ANY_TYPE))
def test_adding_an_interface_never_allows_more(table, counts, params, extra):
    before = set(matched(table, counts, params))
    more = dict(counts)
    more[extra] = more.get(extra, 0) + 1
    after = set(matched(table, more, params))
    assert after <= before
    if not before:
        assert not after


@settings(max_examples=200)
@given(tables, counts_st, params_st, st.randoms(use_true_random=False))
def test_order_of_counts_is_irrelevant(table, counts, params, rnd):
    items = list(counts.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    a = evaluate_combinations(table, counts, **params)
    b = evaluate_combinations(table, shuffled, **params)
    assert [(r.index, r.reason) for r in a] == [(r.index, r.reason) for r in b]
