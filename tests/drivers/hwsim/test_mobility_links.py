"""Moving a radio updates its links, and only its links: after any sequence
of moves the kernel holds exactly the links a computation of the whole world
from scratch gives, while no whole-world computation ran."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.hwsim.medium import HwsimMedium
from drivers.hwsim.world import ModelSpec
from ic import InvalidArgument, Scheduler

SPEC = dict(kind="path_loss", path_loss="log_distance", params={"exponent": 3.5})


def _links(med: HwsimMedium) -> dict[tuple[int, int], float]:
    med._sync_links()
    n = len(med.ports)
    out = {}
    for i in range(n):
        for j in range(n):
            if i != j:
                link = med._k.link(i, j)
                if link is not None:
                    out[(i, j)] = link[0]
    return out


def _world(positions, powers, backend="c") -> HwsimMedium:
    med = HwsimMedium(Scheduler(), model=ModelSpec(**SPEC), backend=backend)
    for k, (p, w) in enumerate(zip(positions, powers, strict=True)):
        med.add_port(f"r{k}", position=p, tx_power_dbm=w)
    return med


def _same(a: dict[tuple[int, int], float], b: dict[tuple[int, int], float]) -> None:
    assert a.keys() == b.keys(), (sorted(a.keys() - b.keys()), sorted(b.keys() - a.keys()))
    for key, v in a.items():
        assert math.isclose(v, b[key], rel_tol=0, abs_tol=1e-9), (key, v, b[key])


coord = st.floats(-400, 400, allow_nan=False)
point = st.tuples(coord, coord, st.floats(0, 10, allow_nan=False))


@given(start=st.lists(point, min_size=2, max_size=24),
       powers=st.lists(st.integers(0, 20), min_size=24, max_size=24),
       moves=st.lists(st.tuples(st.integers(0, 23), point), max_size=12),
       sync_every=st.integers(1, 4), backend=st.sampled_from(["c", "python"]))
def test_links_after_moves_equal_a_computation_from_scratch(start, powers, moves, sync_every, backend):
    n = len(start)
    med = _world(start, powers[:n], backend)
    med._sync_links()
    rebuilt = med.links_rebuilt
    pos = [list(p) for p in start]
    for k, (i, p) in enumerate(moves):
        i %= n
        med.ports[i].move_to(p)
        pos[i] = list(p)
        if k % sync_every == 0:  # links brought up to date now and then, as frames need them
            med._sync_links()
    got = _links(med)
    assert med.links_rebuilt == rebuilt  # a few moves at a time: no whole-world computation
    _same(got, _links(_world(pos, powers[:n], backend)))


def test_a_move_redoes_one_radio_not_the_world():
    rng = np.random.default_rng(5)
    pos = rng.uniform(0, 3000, size=(400, 2))
    med = _world(pos.tolist(), [20] * 400)
    before = _links(med)
    assert med.links_rebuilt == 1 and len(before) > 400
    med.ports[7].move_to((1500.0, 1500.0))
    med.ports[7].move_to((10.0, 2990.0))
    med._sync_links()
    # Two moves before the kernel needed the links: one update.
    assert med.links_rebuilt == 1 and med.links_moved == 1
    pos[7] = (10.0, 2990.0)
    _same(_links(med), _links(_world(pos.tolist(), [20] * 400)))
    # Most of the world moving at once: one computation of everything is cheaper.
    for p in med.ports[:200]:
        p.move_to(p.position + 1.0)
    med._sync_links()
    assert med.links_rebuilt == 2


def test_moving_in_the_snr_model_changes_nothing():
    med = HwsimMedium(Scheduler(), model=ModelSpec(kind="snr", default_snr=25.0))
    for k in range(3):
        med.add_port(f"r{k}", position=(k * 1000.0, 0))
    before = _links(med)
    med.ports[0].move_to((5e5, 5e5))
    assert _links(med) == before and med.links_rebuilt == 1


@pytest.mark.parametrize("bad", [(math.nan, 0.0), (0.0, math.inf)])
def test_a_position_must_be_finite(bad):
    med = _world([(0, 0)], [20])
    with pytest.raises(InvalidArgument, match="finite"):
        med.ports[0].move_to(bad)
