"""The C kernel's on-air index by spatial cell: which transmissions a new
one is compared with.  Cells spare work and change no decision: the kernel
with cells, the kernel without and the Python reference agree while
transmissions come and go, radios move between cells and change channels,
and the reach changes under transmissions on the air."""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.hwsim.kernel import CKernel, model
from drivers.hwsim.kernel.medtypes import (
    ADDR_OWN,
    BROADCAST,
    FIF_ALLMULTI,
    FIF_BEACONS,
    FT_BEACON,
    FT_OTHER,
    MODELED,
    RADIO_STARTED,
    TXF_NEEDS_ACK,
    TxReq,
)
from drivers.hwsim.kernel.reference import RefKernel
from drivers.hwsim.world import ModelSpec


def addr(i: int) -> int:
    return 0x02_00_00_00_00_00 | (i << 8)


def decode_db(spec: ModelSpec) -> float:
    """The kernel's decoding threshold (set_params: -6 |fading|)."""
    return -6.0 * abs(spec.fading)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 1.5, 4.0]),
       st.sampled_from([-10.0, -3.0, 5.0]), st.sampled_from([50.0, 300.0, 2000.0]),
       st.sampled_from([2.5, 3.5]), st.booleans())
def test_cells_keep_every_pair_of_senders_that_share_a_receiver(n, seed, fading, floor, side, exponent,
                                                                gains):
    """Two senders whose cells are further apart than the reach have no
    receiver decoding one and linked to the other, and do not decode each
    other: what the kernel's promise (med_set_cell) asks of the cells."""
    rng = np.random.default_rng(seed)
    pos = np.column_stack([rng.uniform(0, side, n), rng.uniform(0, side, n), rng.uniform(0, 3, n)])
    tx = rng.uniform(0, 30, n)
    gain = rng.uniform(-5, 5, n) if gains else None
    spec = ModelSpec(kind="path_loss", params={"exponent": exponent}, fading=fading, link_floor_db=floor)
    snr = np.full((n, n), model.SNR_NONE)
    for i, to, row, _ in spec.rows(pos, tx, rx_gain=gain):
        snr[i, to] = row
    cells = spec.cells(pos, tx, rx_gain=gain)
    assert cells is not None
    grid, reach, size = cells
    assert np.array_equal(grid, model.cells_of(pos, size))
    linked = snr > model.SNR_NONE
    decodes = snr > decode_db(spec)
    # meet[a, b]: some receiver decodes a and is linked to b, or one decodes the other
    meet = (decodes.astype(int) @ linked.T.astype(int) > 0) | decodes | decodes.T
    gap = np.maximum(np.abs(grid[:, None, :] - grid[None, :, :]) - 1, 0)
    near = (gap ** 2).sum(axis=2) <= reach * reach
    np.fill_diagonal(meet, False)
    assert not (meet & ~near).any()


def test_the_cells_are_a_fraction_of_the_meeting_range():
    """Cells a quarter of the distance at which senders may still share a
    receiver, reach 4: far tighter than cells as wide as the hearing range."""
    spec = ModelSpec(kind="path_loss", params={"exponent": 3.5})
    pos = np.array([[0.0, 0.0, 0.0], [500.0, 500.0, 0.0]])
    tx = np.array([20.0, 20.0])
    grid, reach, size = spec.cells(pos, tx)
    hearing = model.hearing_range("log_distance", 20.0, -10.0, exponent=3.5)
    decoding = model.hearing_range("log_distance", 20.0, 0.0, exponent=3.5)
    assert reach == 4
    assert math.isclose(size * 4, hearing + decoding, rel_tol=1e-6)
    assert ModelSpec(kind="snr").cells(pos, tx) is None  # links do not follow positions


# -- a world that moves while it transmits ---------------------------------------------------
CHANNELS = (2412, 2412, 2437, 2462, 2417)
# most radios take group frames and beacons (a scanning station's filter), one in three only its own
FILTERS = (FIF_ALLMULTI | FIF_BEACONS, 0, FIF_ALLMULTI | FIF_BEACONS)


@st.composite
def moving_worlds(draw):
    """Radios over a few hundred metres, long frames close together (so
    that many are on the air at once), and now and then a radio that moves
    (often to another cell), changes channel, or the reach changes, at
    instants when others are transmitting."""
    n = draw(st.integers(3, 14))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    side = draw(st.sampled_from([150.0, 600.0, 1500.0]))
    pos = np.column_stack([rng.uniform(0, side, n), rng.uniform(0, side, n), np.zeros(n)])
    freqs = [int(rng.choice(CHANNELS)) for _ in range(n)]
    fading = draw(st.sampled_from([0.0, 2.0]))
    steps = []
    for _ in range(draw(st.integers(5, 50))):
        t = draw(st.integers(0, 40_000_000))
        kind = draw(st.sampled_from(["tx"] * 6 + ["move", "move", "chan", "reach"]))
        src = draw(st.integers(0, n - 1))
        if kind == "tx":
            steps.append((t, "tx", src, draw(st.integers(-1, n - 1)), draw(st.integers(200, 1500)),
                          draw(st.booleans())))
        elif kind == "move":
            steps.append((t, "move", src, float(rng.uniform(-side / 3, side * 4 / 3)),
                          float(rng.uniform(-side / 3, side * 4 / 3))))
        elif kind == "chan":
            steps.append((t, "chan", src, int(rng.choice(CHANNELS))))
        else:
            steps.append((t, "reach", draw(st.sampled_from([0, 1, 4]))))
    return n, pos, freqs, fading, sorted(steps, key=lambda s: s[0])


def play(k, world, cells: bool):
    """Replay a moving world on kernel k; with `cells`, keep the radios'
    cells and the reach as the medium does (ModelSpec.cells)."""
    n, pos, freqs, fading, steps = world
    pos = pos.copy()
    spec = ModelSpec(kind="path_loss", params={"exponent": 3.5}, fading=fading)
    tx = np.full(n, 20.0)
    k.set_params(model.NOISE_DBM, -82.0, fading, True)
    for i in range(n):
        k.add_radio()
        k.set_radio(i, RADIO_STARTED, freqs[i], 0, 1, FILTERS[i % 3], 20)
        k.addr_add(i, addr(i), ADDR_OWN)

    def links() -> None:
        for i, to, row, loss in spec.rows(pos, tx):
            k.set_row(i, to, row, loss)
        if cells:
            grid, reach, _ = spec.cells(pos, tx)
            for i, (cx, cy) in enumerate(grid.tolist()):
                k.set_cell(i, cx, cy)
            return reach
        return 0

    reach = links()
    k.set_cell_reach(reach)
    ids = []
    for step in steps:
        t, kind = step[0], step[1]
        k.run(t)
        if kind == "tx":
            _, _, src, dst, length, beacon = step
            req = TxReq(src, length, BROADCAST if dst < 0 else addr(dst), addr(src), addr(src), addr(src), 0,
                        FT_BEACON if beacon else FT_OTHER, TXF_NEEDS_ACK, 2, ((0, 2), (1, 1)))
            ids.append(k.tx(req, t))
        elif kind == "move":
            pos[step[2], :2] = step[3:]
            reach = links()
            if cells:
                k.set_cell_reach(reach)
        elif kind == "chan":
            k.set_radio(step[2], RADIO_STARTED, step[3], 0, 1, FILTERS[step[2] % 3], 20)
        elif cells:
            # another reach under transmissions on the air (0: no cells), back to the right one after
            k.set_cell_reach(0 if step[2] == 0 else max(step[2], reach))
    k.run(10**12)
    return ids, k.pop_events(), k.counters()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moving_worlds(), st.integers(0, 2**64 - 1))
def test_cells_change_no_decision_while_radios_move_and_retune(world, seed):
    with_cells = CKernel(MODELED, seed)
    without = CKernel(MODELED, seed)
    ref = RefKernel(MODELED, seed)
    got = play(with_cells, world, cells=True)
    assert play(without, world, cells=False) == got
    assert play(ref, world, cells=True) == got
    # the reference meets every transmission on the air, as the kernel without cells
    assert without.num_overlaps == ref.num_overlaps >= with_cells.num_overlaps


def test_far_apart_transmissions_are_not_compared():
    """Two groups 3 km apart, each busy on the same channel: with cells a
    transmission is compared only with those of its own group, and the
    events are those of the kernel without cells."""
    n = 8
    pos = np.array([[float(i % 4) * 5.0 + (3000.0 if i >= 4 else 0.0), 0.0, 0.0] for i in range(n)])
    steps = sorted(((t, "tx", src, -1, 1500, False) for t in range(0, 30_000_000, 1_000_000)
                    for src in (t // 1_000_000 % 4, 4 + t // 1_000_000 % 4)), key=lambda s: s[0])
    world = (n, pos, [2412] * n, 0.0, steps)
    with_cells, without = CKernel(MODELED, 7), CKernel(MODELED, 7)
    got = play(with_cells, world, cells=True)
    assert play(without, world, cells=False) == got
    assert got[2]["deliveries"] > 0
    assert 0 < with_cells.num_overlaps < without.num_overlaps


def test_a_reach_beyond_the_bound_is_refused():
    k = CKernel(MODELED, 1)
    for bad in (65, 1 << 20):
        try:
            k.set_cell_reach(bad)
        except OSError:
            continue
        raise AssertionError(f"reach {bad} accepted")
    k.set_cell_reach(64)
