"""model.link_rows against the implementation it replaced (nine cells as
wide as the hearing range, kept here as the reference) and against the
dense O(n²) computation through snr_matrix: the same receivers in the same
order and the same doubles, whatever the world, the model, the cells'
edges and the chunking; and links_of agrees with it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray

from drivers.hwsim.kernel import model

Rows = dict[int, tuple[list[int], bytes]]


def nine_cell_rows(positions: ArrayLike, tx_power_dbm: ArrayLike, name: str, *, floor_db: float,
                   rx_gain: ArrayLike | None = None, freq_mhz: float = model.DEFAULT_FREQ_MHZ,
                   noise_dbm: float = model.NOISE_DBM, **params: float
                   ) -> Iterator[tuple[int, NDArray[np.uint32], NDArray[np.float64]]]:
    """The former link_rows: cells as wide as the hearing range, every
    source against the nine cells around its own, pairs put in (i, j)
    order by a sort."""
    p = np.asarray(positions, dtype=np.float64)
    n = len(p)
    if not n:
        return
    tx = np.broadcast_to(np.asarray(tx_power_dbm, dtype=np.float64), (n,))
    gain = None if rx_gain is None else np.broadcast_to(np.asarray(rx_gain, dtype=np.float64), (n,))
    best = float(tx.max()) + (float(gain.max()) if gain is not None else 0.0)
    reach = model.hearing_range(name, best, floor_db, freq_mhz=freq_mhz, noise_dbm=noise_dbm, **params)
    size = reach if math.isfinite(reach) else float(np.ptp(p[:, :2], axis=0).max()) + model.MIN_DISTANCE_M
    c = model.cells_of(p, max(size, model.MIN_DISTANCE_M))
    c -= c.min(axis=0)
    ny = int(c[:, 1].max()) + 3
    key = (c[:, 0] + 1) * ny + (c[:, 1] + 1)
    order = np.argsort(key, kind="stable")
    xs, ys, zs = (np.ascontiguousarray(p[:, k]) for k in range(3))
    ukey, start, count = np.unique(key[order], return_index=True, return_counts=True)
    chunk = max(1, min(n, (1 << 17) // (9 * int(count.max()))))
    for a in range(0, n, chunk):
        src = order[a:a + chunk]
        ii, jj = [], []
        for ox in (-1, 0, 1):
            for oy in (-1, 0, 1):
                nk = key[src] + ox * ny + oy
                at = np.searchsorted(ukey, nk)
                ok = at < len(ukey)
                ok[ok] = ukey[at[ok]] == nk[ok]
                st_, ct = start[at[ok]], count[at[ok]]
                tot = int(ct.sum())
                if not tot:
                    continue
                first = np.cumsum(ct) - ct
                ii.append(np.repeat(src[ok], ct))
                jj.append(order[np.repeat(st_, ct) + np.arange(tot) - np.repeat(first, ct)])
        i = np.concatenate(ii) if ii else np.zeros(0, np.int64)
        j = np.concatenate(jj) if jj else np.zeros(0, np.int64)
        dx, dy, dz = xs[i] - xs[j], ys[i] - ys[j], zs[i] - zs[j]
        d2 = dx * dx + dy * dy + dz * dz
        near = (d2 <= reach * reach) & (i != j)
        i, j = i[near], j[near]
        snr = tx[i] - model.path_loss(name, np.sqrt(d2[near]), freq_mhz, **params) - noise_dbm
        if gain is not None:
            snr += gain[j]
        keep = snr >= floor_db
        i, j, snr = i[keep], j[keep], snr[keep]
        o = np.argsort(i * n + j)
        i, j, snr = i[o], j[o], snr[o]
        srt = np.sort(src)
        for r, lo, hi in zip(srt.tolist(), np.searchsorted(i, srt).tolist(),
                             np.searchsorted(i, srt, side="right").tolist(), strict=True):
            yield r, j[lo:hi].astype(np.uint32), snr[lo:hi]


def as_dict(rows: Iterator[tuple[int, NDArray[np.uint32], NDArray[np.float64]]], n: int) -> Rows:
    out: Rows = {}
    for i, to, snr in rows:
        assert i not in out  # every radio once
        assert to.dtype == np.uint32 and snr.dtype == np.float64 and len(to) == len(snr)
        out[i] = (to.tolist(), snr.tobytes())
    assert sorted(out) == list(range(n))
    return out


def dense_rows(pos: NDArray[np.float64], tx: NDArray[np.float64], name: str, floor: float,
               gain: NDArray[np.float64] | None, reach: float, **params: float) -> Rows:
    """Every pair through snr_matrix: within the hearing range (d² summed as
    distance_matrix sums it) and at or above the floor."""
    n = len(pos)
    snr = model.snr_matrix(pos, tx, name, **params)
    if gain is not None:
        snr += gain[None, :]
    d2 = np.zeros((n, n))
    for k in range(pos.shape[1]):
        dk = pos[:, None, k] - pos[None, :, k]
        d2 += dk * dk
    ok = (d2 <= reach * reach) & (snr >= floor)
    np.fill_diagonal(ok, False)
    return {i: (np.flatnonzero(ok[i]).tolist(), snr[i, ok[i]].tobytes()) for i in range(n)}


MODELS = st.one_of(
    st.tuples(st.just("log_distance"),
              st.fixed_dictionaries({"exponent": st.sampled_from([2.0, 3.5, 4.2]),
                                     "xg": st.sampled_from([0.0, 3.0])})),
    st.tuples(st.just("free_space"), st.just({})),
    st.tuples(st.just("itu"), st.fixed_dictionaries({"n_floors": st.integers(0, 3),
                                                     "floor_loss": st.sampled_from([1.0, 15.0])})),
)


@st.composite
def worlds(draw: st.DrawFn) -> dict:
    name, params = draw(MODELS)
    n = draw(st.integers(0, 70))
    dims = draw(st.sampled_from([2, 3]))
    # -1e9: no finite hearing range; 200: not even at 1 m (no links)
    floor = draw(st.sampled_from([-10.0, 0.0, 12.0, 30.0, -1e9, 200.0]))
    tx = (np.full(n, 20.0) if draw(st.booleans())
          else np.array(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), dtype=np.float64))
    gain = None
    if draw(st.booleans()):
        gain = np.array(draw(st.lists(st.floats(-3.0, 9.0), min_size=n, max_size=n)), dtype=np.float64)
    best = (float(tx.max()) if n else 0.0) + (float(gain.max()) if gain is not None and n else 0.0)
    reach = model.hearing_range(name, best, floor, **params)
    span = reach if math.isfinite(reach) and reach > 0 else 50.0
    if draw(st.booleans()):  # on the cells' edges: multiples of the range, of its fractions, a hair off
        unit = span / draw(st.sampled_from([1, 2, 3, 4, 6]))
        eps = draw(st.sampled_from([0.0, 1e-9, -1e-9, 0.5]))
        coords = st.builds(lambda k, e: k * unit + e * unit, st.integers(-8, 8), st.sampled_from([0.0, eps]))
    else:
        side = span * draw(st.sampled_from([0.05, 1.0, 3.0, 12.0]))
        coords = st.floats(-side, side, allow_nan=False)
    # a few distinct points, drawn again and again: coincident radios
    distinct = draw(st.integers(1, max(1, n)))
    pts = [[draw(coords) for _ in range(dims)] for _ in range(distinct)]
    pos = np.array([pts[draw(st.integers(0, distinct - 1))] for _ in range(n)], dtype=np.float64)
    pos = pos.reshape(n, dims)
    return {"pos": pos, "tx": tx, "name": name, "params": params, "floor": floor, "gain": gain,
            "reach": reach}


@settings(max_examples=300, deadline=None)
@given(worlds(), st.sampled_from([1, 7, 300, 1 << 14]), st.sampled_from([1, 2, 4, 6]),
       st.sampled_from([1.0, 8.0, 50.0]))
def test_link_rows_are_the_nine_cell_rows_and_the_dense_rows(w, pairs, per_reach, per_cell):
    pos, tx, name, params, floor, gain = w["pos"], w["tx"], w["name"], w["params"], w["floor"], w["gain"]
    n = len(pos)
    # chunks and blocks down to one pair, cells from the whole range to a
    # sixth, widened for sparse worlds or not
    with (mock.patch.object(model, "_PAIRS_PER_CHUNK", pairs),
          mock.patch.object(model, "_CELLS_PER_REACH", per_reach),
          mock.patch.object(model, "_RADIOS_PER_CELL", per_cell)):
        got = as_dict(model.link_rows(pos, tx, name, floor_db=floor, rx_gain=gain, **params), n)
    pos3 = np.column_stack([pos, np.zeros(n)]) if pos.shape[1] == 2 else pos  # + 0.0: the same doubles
    assert got == as_dict(nine_cell_rows(pos3, tx, name, floor_db=floor, rx_gain=gain, **params), n)
    assert got == dense_rows(pos, tx, name, floor, gain, w["reach"], **params)
    # links_of (a moved radio's links) gives what the whole computation gives
    for i in range(min(n, 4)):
        others = np.array([j for j in range(n) if j != i], dtype=np.int64)
        out, into = model.links_of(pos3, tx, i, others, name, floor_db=floor, reach=w["reach"], rx_gain=gain,
                                   **params)
        to, snr = got[i]
        linked = out > model.SNR_NONE
        assert others[linked].tolist() == to and out[linked].tobytes() == snr
        for j, s in zip(others.tolist(), into.tolist(), strict=True):
            row_to, row_snr = got[j]
            want = np.frombuffer(row_snr)[row_to.index(i)] if i in row_to else model.SNR_NONE
            assert s == want


@pytest.mark.parametrize(("aps", "m2_per_radio"), [(20, 100.0), (120, 100.0), (100, 20_000.0)])
def test_a_density_world_gives_the_nine_cell_rows(aps, m2_per_radio):
    # bench_scenario's density worlds (~100 m² a radio, ~205 m of range): many
    # blocks, columns and chunks, positions rounded to the centimetre; and a
    # sparse one (wider cells)
    rng = np.random.default_rng(aps)
    n = 11 * aps
    side = math.sqrt(m2_per_radio * n)
    pos = np.column_stack([np.round(rng.uniform(0, side, (n, 2)), 2), np.zeros(n)])
    tx = np.where(np.arange(n) < aps, 20.0, 15.0)
    for gain in (None, rng.uniform(-2, 4, n)):
        got = as_dict(model.link_rows(pos, tx, floor_db=-10.0, rx_gain=gain, exponent=3.5), n)
        assert got == as_dict(nine_cell_rows(pos, tx, "log_distance", floor_db=-10.0, rx_gain=gain,
                                             exponent=3.5), n)
        assert sum(len(to) for to, _ in got.values()) > 10_000 / m2_per_radio * n  # not an empty world


def test_tiny_and_empty_worlds():
    assert list(model.link_rows(np.zeros((0, 3)), 20.0, floor_db=-10.0)) == []
    [(i, to, snr)] = model.link_rows([[5.0, 5.0, 0.0]], 20.0, floor_db=-10.0)
    assert i == 0 and to.tolist() == [] and snr.tolist() == []
    rows = as_dict(model.link_rows([[0.0, 0.0], [0.0, 0.0]], 20.0, floor_db=-10.0), 2)
    assert rows[0][0] == [1] and rows[1][0] == [0]  # coincident radios hear each other (at 1 m)


@pytest.mark.parametrize("positions", [np.zeros((3, 4)), np.zeros(3), [[0.0, np.nan, 0.0]], [[np.inf, 0.0]]])
def test_bad_positions_are_refused(positions):
    with pytest.raises(ValueError, match="positions"):
        list(model.link_rows(positions, 20.0, floor_db=-10.0))
