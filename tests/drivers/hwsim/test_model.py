"""Path loss, SNR matrix, fading and wmediumd's PER formula against values
computed by hand and against an independent scalar transcription."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.hwsim.kernel import model


def test_free_space_at_hand_computed_points():
    # 20 log10(4 pi * 1 m * 2.412 GHz / c) = 40.0953 dB; +20 dB per decade
    assert model.path_loss_free_space(1.0) == pytest.approx(40.0953, abs=1e-3)
    assert model.path_loss_free_space(10.0) == pytest.approx(60.0953, abs=1e-3)
    assert model.path_loss_free_space(1.0, 5180) == pytest.approx(46.7346, abs=1e-3)


def test_log_distance_and_itu_at_hand_computed_points():
    assert model.path_loss_log_distance(10.0, exponent=3.5) == pytest.approx(75.0953, abs=1e-3)
    assert model.path_loss_log_distance(10.0, exponent=2.0, xg=3.0) == pytest.approx(63.0953, abs=1e-3)
    # ITU-R P.1238 with f in MHz: 20 log10(2412) = 67.6479; N = 28 up to 16 m, 38 beyond
    assert model.path_loss_itu(10.0) == pytest.approx(67.6479 + 28 + 1 - 28, abs=1e-3)
    assert model.path_loss_itu(20.0) == pytest.approx(67.6479 + 38 * math.log10(20) + 1 - 28, abs=1e-3)
    assert model.path_loss_itu(20.0, n_floors=2, floor_loss=15) == pytest.approx(
        67.6479 + 38 * math.log10(20) + 30 - 28, abs=1e-3)


def test_unknown_path_loss_model_is_refused():
    with pytest.raises(ValueError, match="unknown path-loss model"):
        model.path_loss("two_ray", 10.0)


def test_snr_matrix_is_vectorised_over_positions_and_powers():
    pos = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 100.0]])
    snr = model.snr_matrix(pos, [20.0, 10.0, 15.0], "free_space")
    assert snr[0, 1] == pytest.approx(20 - 60.0953 + 91, abs=1e-3)
    assert snr[1, 0] == pytest.approx(10 - 60.0953 + 91, abs=1e-3)
    assert snr[2, 0] == pytest.approx(15 - 80.0953 + 91, abs=1e-3)
    assert np.all(np.diag(snr) == model.SNR_NONE)


def test_fading_is_the_centred_sum_of_twelve_uniforms():
    u = np.full((3, 12), 0.5)
    u[1] = 1.0
    u[2] = 0.0
    assert list(model.fading(2.0, u)) == [0.0, 12.0, -12.0]


# -- PER: an independent, literal transcription of per.c ---------------------------
_MOD = [(2, 0), (2, 0), (2, 0), (4, 0), (2, 0), (2, 2), (4, 0), (4, 2), (16, 0), (16, 2), (64, 1), (64, 2)]
_DFREE = [10, 6, 5]
_AD = [[11, 0, 38, 0, 193, 0, 1331, 0, 7275, 0],
       [1, 16, 48, 158, 642, 2435, 9174, 34701, 131533, 499312],
       [8, 31, 160, 892, 4512, 23297, 120976, 624304, 3229885, 16721329]]


def _per_by_hand(snr_db, rate_idx, length, freq=2412):
    idx = rate_idx + (4 if freq > 5000 else 0)
    if snr_db <= 0 or idx >= 12:
        return 1.0
    m, fec = _MOD[idx]
    s = 10 ** (snr_db / 10)
    if m == 2:
        ber = 0.5 * math.erfc(math.sqrt(s))
    else:
        e = math.erfc(math.sqrt(s / ((2 / 3) * (m - 1))))
        ber = (2 * (1 - 1 / math.sqrt(m)) * e - (1 - 2 / math.sqrt(m) + 1 / m) * e * e) / math.log2(m)
    pu = 0.0
    for i in range(10):
        d = _DFREE[fec] + i
        if d % 2:
            p = sum(math.comb(d, k) * ber**k * (1 - ber) ** (d - k) for k in range((d + 1) // 2, d + 1))
        else:
            p = sum(math.comb(d, k) * ber**k * (1 - ber) ** (d - k) for k in range(d // 2 + 1, d + 1))
            p += 0.5 * math.comb(d, d // 2) * ber ** (d // 2) * (1 - ber) ** (d // 2)
        pu += _AD[fec][i] * p
    return 1 - (1 - min(pu, 1.0)) ** (8 * length)


def test_per_edges():
    assert model.per(0.0, 0, 100) == 1.0
    assert model.per(-3.0, 4, 100) == 1.0
    assert model.per(30.0, 12, 100) == 1.0
    assert model.per(30.0, 8, 100, freq_mhz=5180) == 1.0  # 5 GHz has 8 rates
    assert model.per(40.0, 11, 1500) < 1e-12
    assert isinstance(model.per(10.0, 4, 100), float)


@settings(max_examples=300, deadline=None)
@given(st.floats(0.01, 45), st.integers(0, 11), st.integers(10, 2304), st.sampled_from([2412, 5180]))
def test_per_matches_the_formula(snr, rate, length, freq):
    assert model.per(snr, rate, length, freq) == pytest.approx(_per_by_hand(snr, rate, length, freq),
                                                              rel=1e-9, abs=1e-12)


def test_per_broadcasts_over_arrays():
    snr = np.linspace(-2, 30, 40)
    got = model.per(snr, 6, 500)
    assert got.shape == (40,)
    assert np.allclose(got, [_per_by_hand(x, 6, 500) for x in snr], rtol=1e-9, atol=1e-12)
    assert np.all(np.diff(got) <= 1e-15)  # more SNR never hurts


_TABLE = model.per_table()


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 59.0), st.integers(0, 11), st.integers(10, 2304))
def test_kernel_table_agrees_with_per(snr, tidx, length):
    table = _TABLE
    exact = model.per(snr, tidx, length)
    approx = model.per_from_table(table, snr, tidx, length)
    assert abs(exact - approx) < 0.02
    if snr == round(snr / model.PER_TABLE_STEP_DB) * model.PER_TABLE_STEP_DB:
        assert approx == pytest.approx(exact, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(0, 2**32 - 1), st.sampled_from(sorted(model.PATH_LOSS_MODELS)),
       st.sampled_from([-10.0, 0.0, 12.0]), st.sampled_from([20.0, 300.0, 3000.0]), st.booleans())
def test_sparse_link_rows_are_the_dense_matrix_above_the_floor(n, seed, name, floor, side, with_gain):
    rng = np.random.default_rng(seed)
    pos = np.column_stack([rng.uniform(0, side, n), rng.uniform(0, side, n), rng.uniform(0, 3, n)])
    tx = rng.integers(0, 30, n).astype(np.float64)
    gain = rng.uniform(-3, 9, n) if with_gain else None
    dense = model.snr_matrix(pos, tx, name)
    if gain is not None:
        dense += gain[None, :]  # as ModelSpec.matrices adds the receive gain
    rows = list(model.link_rows(pos, tx, name, floor_db=floor, rx_gain=gain))
    assert sorted(i for i, _, _ in rows) == list(range(n))  # every radio once, even without links
    for i, to, snr in rows:
        want = np.nonzero(dense[i] >= floor)[0]
        want = want[want != i]
        assert to.tolist() == want.tolist()
        assert snr.tolist() == dense[i, want].tolist()  # the same doubles


def test_hearing_range_is_where_the_snr_meets_the_floor():
    for name in model.PATH_LOSS_MODELS:
        d = model.hearing_range(name, 20.0, -10.0)
        snr = 20.0 - float(model.path_loss(name, d)) - model.NOISE_DBM
        assert snr == pytest.approx(-10.0, abs=1e-6)
    assert model.hearing_range("free_space", -100.0, 0.0) == 0.0  # not even at 1 m


def test_without_a_finite_hearing_range_every_pair_is_a_link():
    # A floor nothing stays under: one cell holds the world, no pair is
    # dropped, not even across the diagonal of the area (3D distances too).
    rng = np.random.default_rng(7)
    pos = np.column_stack([rng.uniform(0, 50, 40), rng.uniform(0, 50, 40), rng.uniform(0, 30, 40)])
    assert model.hearing_range("log_distance", 20.0, -1e9) == math.inf
    rows = list(model.link_rows(pos, 20.0, "log_distance", floor_db=-1e9))
    assert sum(len(to) for _, to, _ in rows) == 40 * 39
