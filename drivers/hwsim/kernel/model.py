"""Radio propagation and error models of the modeled medium (numpy).

Path loss (free space, log distance, ITU-R P.1238), the SNR matrix of a world
of radios, per-frame fading, and wmediumd's packet-error-rate formula
(per.c: AWGN bit error rates with a hard-decision Viterbi union bound).
`per()` is the exact formula; `per_table()` is the table the medium kernel
interpolates, built from the same code so both agree.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import rates

NOISE_DBM = -91.0
SPEED_OF_LIGHT = 299_792_458.0
DEFAULT_FREQ_MHZ = 2412
# Distances below this are clamped: log-distance models are calibrated at
# 1 m, and co-located radios (d = 0) would otherwise get an infinite SNR.
MIN_DISTANCE_M = 1.0
# An SNR at or below this means "no link": no reception, no carrier sense,
# no interference.  Explicit SNR/probability matrices use it for absent links.
SNR_NONE = -1000.0

# Rate table in 100 kbps (mac80211_hwsim's hwsim_rates); 5 GHz uses 4..11.
RATES_100KBPS = rates.RATES_100KBPS
# (M of the QAM/PSK constellation, code rate) per table index (REFERENCE §4).
_MODULATION = ((2, "1/2"), (2, "1/2"), (2, "1/2"), (4, "1/2"),
               (2, "1/2"), (2, "3/4"), (4, "1/2"), (4, "3/4"),
               (16, "1/2"), (16, "3/4"), (64, "2/3"), (64, "3/4"))
# HT/VHT MCS 0..9 (the PER table's rows after the legacy ones, rates.per_row)
_MODULATION_MCS = ((2, "1/2"), (4, "1/2"), (4, "3/4"), (16, "1/2"), (16, "3/4"),
                   (64, "2/3"), (64, "3/4"), (64, "5/6"), (256, "3/4"), (256, "5/6"))
_D_FREE = {"1/2": 10, "2/3": 6, "3/4": 5, "5/6": 4}
_A_D = {
    "1/2": (11, 0, 38, 0, 193, 0, 1331, 0, 7275, 0),
    "2/3": (1, 16, 48, 158, 642, 2435, 9174, 34701, 131533, 499312),
    "3/4": (8, 31, 160, 892, 4512, 23297, 120976, 624304, 3229885, 16721329),
    # the rate-5/6 code punctured from the same K = 7 mother code (Haccoun and
    # Begin, "High-rate punctured convolutional codes for Viterbi and sequential
    # decoding", IEEE Trans. Commun. 37(11), 1989)
    "5/6": (14, 69, 654, 4996, 39677, 314973, 2503576, 19875546, 157824160, 1253169928),
}


def table_index(rate_idx: int, freq_mhz: int) -> int:
    """Index into RATES_100KBPS of a hwsim rate index on a given band."""
    return rate_idx + 4 if freq_mhz > 5000 else rate_idx


# -- path loss -----------------------------------------------------------------
def path_loss_free_space(d_m: ArrayLike, freq_mhz: float = DEFAULT_FREQ_MHZ) -> NDArray[np.float64]:
    """Friis free-space loss in dB: 20 log10(4 pi d f / c)."""
    d = np.maximum(np.asarray(d_m, dtype=np.float64), MIN_DISTANCE_M)
    return 20.0 * np.log10(4.0 * math.pi * d * (freq_mhz * 1e6) / SPEED_OF_LIGHT)


def path_loss_log_distance(d_m: ArrayLike, freq_mhz: float = DEFAULT_FREQ_MHZ, *,
                           exponent: float = 3.5, xg: float = 0.0) -> NDArray[np.float64]:
    """PL(1 m) (free space) + 10 n log10(d) + Xg."""
    d = np.maximum(np.asarray(d_m, dtype=np.float64), MIN_DISTANCE_M)
    pl0 = 20.0 * math.log10(4.0 * math.pi * 1.0 * (freq_mhz * 1e6) / SPEED_OF_LIGHT)
    return pl0 + 10.0 * exponent * np.log10(d) + xg


def path_loss_itu(d_m: ArrayLike, freq_mhz: float = DEFAULT_FREQ_MHZ, *,
                  n_floors: int = 1, floor_loss: float = 1.0) -> NDArray[np.float64]:
    """ITU-R P.1238 indoor loss with f in MHz (wmediumd passes Hz; we do not)."""
    d = np.maximum(np.asarray(d_m, dtype=np.float64), MIN_DISTANCE_M)
    n = np.where(d > 16.0, 38.0, 28.0)
    return 20.0 * math.log10(freq_mhz) + n * np.log10(d) + floor_loss * n_floors - 28.0


PATH_LOSS_MODELS = {
    "free_space": path_loss_free_space,
    "log_distance": path_loss_log_distance,
    "itu": path_loss_itu,
}


def path_loss(model: str, d_m: ArrayLike, freq_mhz: float = DEFAULT_FREQ_MHZ,
              **params: float) -> NDArray[np.float64]:
    """Path loss in dB by model name (free_space, log_distance, itu)."""
    try:
        fn = PATH_LOSS_MODELS[model]
    except KeyError:
        raise ValueError(f"unknown path-loss model {model!r}; "
                         f"known: {', '.join(PATH_LOSS_MODELS)}") from None
    return fn(d_m, freq_mhz, **params)


def distance_matrix(positions: ArrayLike) -> NDArray[np.float64]:
    """Pairwise Euclidean distances of an (n, 2) or (n, 3) position array."""
    p = np.asarray(positions, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError("positions must be an (n, 2) or (n, 3) array")
    d2 = np.zeros((len(p), len(p)))
    for k in range(p.shape[1]):  # coordinate by coordinate, in order: link_rows sums the same way
        dk = p[:, None, k] - p[None, :, k]
        d2 += dk * dk
    return np.sqrt(d2)


def snr_matrix(positions: ArrayLike, tx_power_dbm: ArrayLike, model: str = "log_distance", *,
               freq_mhz: float = DEFAULT_FREQ_MHZ, noise_dbm: float = NOISE_DBM,
               **params: float) -> NDArray[np.float64]:
    """snr[i, j] in dB of what radio j receives from radio i; diagonal SNR_NONE."""
    d = distance_matrix(positions)
    n = d.shape[0]
    tx = np.broadcast_to(np.asarray(tx_power_dbm, dtype=np.float64), (n,))
    snr = tx[:, None] - path_loss(model, d, freq_mhz, **params) - noise_dbm
    np.fill_diagonal(snr, SNR_NONE)
    return snr


def fading(coefficient: float, uniforms: ArrayLike) -> NDArray[np.float64]:
    """wmediumd's pseudo-normal fading from 12 uniforms per draw (last axis)."""
    u = np.asarray(uniforms, dtype=np.float64)
    return coefficient * (u.sum(axis=-1) - 6.0)


# -- packet error rate ----------------------------------------------------------
def _erfc(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.vectorize(math.erfc, otypes=[np.float64])(x)


def bit_error_rate(snr_db: ArrayLike, m: int) -> NDArray[np.float64]:
    """BER of BPSK (m=2) or square M-QAM (QPSK is m=4) in AWGN."""
    s = np.power(10.0, np.asarray(snr_db, dtype=np.float64) / 10.0)
    if m == 2:
        return 0.5 * _erfc(np.sqrt(s))
    e = _erfc(np.sqrt(s / ((2.0 / 3.0) * (m - 1))))
    sqrt_m = math.sqrt(m)
    ser = 2.0 * (1.0 - 1.0 / sqrt_m) * e - (1.0 - 2.0 / sqrt_m + 1.0 / m) * e * e
    return ser / math.log2(m)


def first_event_error(ber: ArrayLike, code_rate: str) -> NDArray[np.float64]:
    """Pu: union bound of the Viterbi first-event error probability, capped at 1."""
    rho = np.asarray(ber, dtype=np.float64)
    pu = np.zeros_like(rho)
    for i, a in enumerate(_A_D[code_rate]):
        if a == 0:
            continue  # no error event at this distance (a term of 0 adds nothing)
        d = _D_FREE[code_rate] + i
        pd = np.zeros_like(rho)
        for k in range(d // 2 + 1, d + 1):
            pd += math.comb(d, k) * rho**k * (1.0 - rho) ** (d - k)
        if d % 2 == 0:
            half = d // 2
            pd += 0.5 * math.comb(d, half) * rho**half * (1.0 - rho) ** half
        pu += a * pd
    return np.minimum(pu, 1.0)


def per(snr_db: ArrayLike, rate_idx: int | ArrayLike, length: int | ArrayLike,
        freq_mhz: int = DEFAULT_FREQ_MHZ) -> float | NDArray[np.float64]:
    """wmediumd's packet error rate of `length` bytes at a hwsim rate index.

    Scalar in, float out; arrays broadcast.  SNR <= 0 dB or a rate index past
    the table gives 1.
    """
    scalar = np.ndim(snr_db) == 0 and np.ndim(rate_idx) == 0 and np.ndim(length) == 0
    snr, ridx, ln = np.broadcast_arrays(np.asarray(snr_db, dtype=np.float64),
                                        np.asarray(rate_idx, dtype=np.int64),
                                        np.asarray(length, dtype=np.int64))
    tidx = ridx + (4 if freq_mhz > 5000 else 0)
    out = np.ones(snr.shape, dtype=np.float64)
    for t, (m, code) in enumerate(_MODULATION):
        sel = (tidx == t) & (snr > 0.0)
        if not np.any(sel):
            continue
        pu = first_event_error(bit_error_rate(snr[sel], m), code)
        out[sel] = 1.0 - np.power(1.0 - pu, 8.0 * ln[sel])
    return float(out) if scalar else out


# -- the kernel's table -----------------------------------------------------------
PER_TABLE_STEP_DB = 0.05
PER_TABLE_MAX_DB = 60.0
# log(1 - Pu) is floored so that interpolating next to Pu = 1 stays finite;
# exp(8 * 24 * -700) is 0 to double precision, so nothing is lost.
_LOG_FLOOR = -700.0


def per_table(step_db: float = PER_TABLE_STEP_DB, max_db: float = PER_TABLE_MAX_DB) -> NDArray[np.float64]:
    """(22, k) table of log(1 - Pu) at SNR = i * step_db: the 12 legacy table
    rates, then MCS 0..9 (`rates.per_row`).

    The kernel interpolates it linearly and takes PER = -expm1(8 len L), which
    equals `per()` at the grid points.
    """
    snr = np.arange(0, int(round(max_db / step_db)) + 1, dtype=np.float64) * step_db
    done: dict[tuple[int, str], NDArray[np.float64]] = {}  # rates of one modulation and code share a row
    for m, code in _MODULATION + _MODULATION_MCS:
        if (m, code) not in done:
            pu = first_event_error(bit_error_rate(snr, m), code)
            with np.errstate(divide="ignore"):
                done[(m, code)] = np.maximum(np.log1p(-pu), _LOG_FLOOR)
    table = np.vstack([done[mc] for mc in _MODULATION + _MODULATION_MCS])
    # SNR <= 0 dB (PER 1 in per.c) is decided before the lookup; column 0
    # holds the limit from above so interpolation just past 0 dB is right.
    return np.ascontiguousarray(table)


def with_mcs_rows(table: ArrayLike) -> NDArray[np.float64]:
    """A PER table as the kernel takes it: a (22, k) table as it is; a (12, k) one
    (legacy rates only, as wmediumd's PER files) gives each MCS the row of the legacy
    OFDM rate of its modulation and code (MCS 7 to 9, past 54 Mb/s: 54 Mb/s's)."""
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] not in (rates.NRATES, rates.PER_ROWS):
        raise ValueError(f"the PER table has {rates.NRATES} or {rates.PER_ROWS} rows")
    if t.shape[0] == rates.NRATES:
        t = np.vstack([t, t[list(rates.LEGACY_OF_MCS)]])
    return t


@functools.cache
def default_per_table() -> NDArray[np.float64]:
    """per_table() at the default grid, computed once (read-only)."""
    t = per_table()
    t.flags.writeable = False
    return t


def per_from_table(table: Sequence[Sequence[float]] | NDArray[np.float64], sinr_db: float, tidx: int,
                   length: int, step_db: float = PER_TABLE_STEP_DB) -> float:
    """The kernel's PER lookup, in Python (same operations, same doubles)."""
    if sinr_db <= 0.0 or tidx >= len(table):
        return 1.0
    row = table[tidx]
    x = sinr_db / step_db
    k = int(x)
    if k >= len(row) - 1:
        lg = float(row[-1])
    else:
        lo = float(row[k])
        lg = lo + (float(row[k + 1]) - lo) * (x - k)
    return -math.expm1(8.0 * length * lg)


# -- sparse links ------------------------------------------------------------------
# Candidate pairs examined at once while building links: bounds the numpy
# temporaries (about 40 bytes a pair) whatever the world's size or density,
# and keeps them (a few MB) in the processor's cache: with 2 M pairs a chunk
# the link computation of 11,000 radios took half as long again.
_PAIRS_PER_CHUNK = 1 << 17


def hearing_range(model: str, tx_power_dbm: float, floor_db: float, *,
                  freq_mhz: float = DEFAULT_FREQ_MHZ, noise_dbm: float = NOISE_DBM,
                  **params: float) -> float:
    """The largest distance in metres at which a transmitter of `tx_power_dbm`
    still gives an SNR of at least `floor_db` (path loss grows with distance
    in every model); 0 when not even at MIN_DISTANCE_M."""
    budget = tx_power_dbm - noise_dbm - floor_db

    def loss(d: float) -> float:
        return float(path_loss(model, d, freq_mhz, **params))

    if loss(MIN_DISTANCE_M) > budget:
        return 0.0
    lo, hi = MIN_DISTANCE_M, 2.0 * MIN_DISTANCE_M
    while loss(hi) <= budget:
        lo, hi = hi, hi * 2.0
        if hi > 1e12:
            return math.inf
    for _ in range(64):  # bisection to double precision
        mid = 0.5 * (lo + hi)
        if loss(mid) <= budget:
            lo = mid
        else:
            hi = mid
    return hi


def cells_of(positions: ArrayLike, size_m: float) -> NDArray[np.int64]:
    """(n, 2) integer grid cells of side `size_m` of the x, y positions."""
    p = np.asarray(positions, dtype=np.float64)
    return np.floor(p[:, :2] / size_m).astype(np.int64)


def link_rows(positions: ArrayLike, tx_power_dbm: ArrayLike, model: str = "log_distance", *,
              floor_db: float, rx_gain: ArrayLike | None = None, freq_mhz: float = DEFAULT_FREQ_MHZ,
              noise_dbm: float = NOISE_DBM, **params: float
              ) -> Iterator[tuple[int, NDArray[np.uint32], NDArray[np.float64]]]:
    """(i, receivers, snr) for every radio i: the radios that hear it with an
    SNR of at least `floor_db`, in index order, and their SNRs (as
    `snr_matrix` computes them, plus the receiver's `rx_gain` in dB).

    Radios are binned into square cells as wide as the hearing range, so
    only the pairs in neighbouring cells are looked at: work and memory grow
    with the links, not with the square of the radios.
    """
    p = np.asarray(positions, dtype=np.float64)
    n = len(p)
    if not n:
        return
    tx = np.broadcast_to(np.asarray(tx_power_dbm, dtype=np.float64), (n,))
    gain = None if rx_gain is None else np.broadcast_to(np.asarray(rx_gain, dtype=np.float64), (n,))
    best = float(tx.max()) + (float(gain.max()) if gain is not None else 0.0)
    reach = hearing_range(model, best, floor_db, freq_mhz=freq_mhz, noise_dbm=noise_dbm, **params)
    # no finite range: one cell holds everything
    size = reach if math.isfinite(reach) else float(np.ptp(p[:, :2], axis=0).max()) + MIN_DISTANCE_M
    c = cells_of(p, max(size, MIN_DISTANCE_M))
    c -= c.min(axis=0)
    ny = int(c[:, 1].max()) + 3  # a margin row, so that cell +-1 never wraps
    key = (c[:, 0] + 1) * ny + (c[:, 1] + 1)
    order = np.argsort(key, kind="stable")
    xs, ys, zs = (np.ascontiguousarray(p[:, k]) for k in range(3))
    ukey, start, count = np.unique(key[order], return_index=True, return_counts=True)
    chunk = max(1, min(n, _PAIRS_PER_CHUNK // (9 * int(count.max()))))
    empty_to, empty_snr = np.zeros(0, np.uint32), np.zeros(0, np.float64)
    for a in range(0, n, chunk):
        src = order[a:a + chunk]
        ii, jj = [], []
        for ox in (-1, 0, 1):
            for oy in (-1, 0, 1):
                nk = key[src] + ox * ny + oy
                at = np.searchsorted(ukey, nk)
                ok = at < len(ukey)
                ok[ok] = ukey[at[ok]] == nk[ok]
                st, ct = start[at[ok]], count[at[ok]]
                tot = int(ct.sum())
                if not tot:
                    continue
                first = np.cumsum(ct) - ct
                ii.append(np.repeat(src[ok], ct))
                jj.append(order[np.repeat(st, ct) + np.arange(tot) - np.repeat(first, ct)])
        i = np.concatenate(ii) if ii else np.zeros(0, np.int64)
        j = np.concatenate(jj) if jj else np.zeros(0, np.int64)
        dx, dy, dz = xs[i] - xs[j], ys[i] - ys[j], zs[i] - zs[j]
        d2 = dx * dx + dy * dy + dz * dz  # as distance_matrix sums: the same doubles
        near = (d2 <= reach * reach) & (i != j)  # cheap: most candidates in the corner cells fail
        i, j = i[near], j[near]
        snr = tx[i] - path_loss(model, np.sqrt(d2[near]), freq_mhz, **params) - noise_dbm
        if gain is not None:
            snr += gain[j]  # after, as ModelSpec.matrices adds it: the same doubles
        keep = snr >= floor_db
        i, j, snr = i[keep], j[keep], snr[keep]
        o = np.argsort(i * n + j)  # pairs are unique: any sort gives (i, j) order
        i, j, snr = i[o], j[o], snr[o]
        bounds = np.searchsorted(i, np.sort(src))
        ends = np.searchsorted(i, np.sort(src), side="right")
        for r, lo, hi in zip(np.sort(src).tolist(), bounds.tolist(), ends.tolist(), strict=True):
            if lo == hi:
                yield r, empty_to, empty_snr
            else:
                yield r, j[lo:hi].astype(np.uint32), snr[lo:hi]


def links_of(positions: ArrayLike, tx_power_dbm: ArrayLike, i: int, others: ArrayLike,
             model: str = "log_distance", *, floor_db: float, reach: float, rx_gain: ArrayLike | None = None,
             freq_mhz: float = DEFAULT_FREQ_MHZ, noise_dbm: float = NOISE_DBM, **params: float
             ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The links between radio i and each radio of `others` (not i), as
    `link_rows` finds them with hearing range `reach`: (SNR of i -> j, SNR of
    j -> i) per j, SNR_NONE where there is no link.  The same arithmetic as
    link_rows, so a radio's links after it moved are what a computation of
    the whole world from scratch gives."""
    p = np.asarray(positions, dtype=np.float64)
    js = np.asarray(others, dtype=np.int64)
    tx = np.asarray(tx_power_dbm, dtype=np.float64)
    dx, dy, dz = p[i, 0] - p[js, 0], p[i, 1] - p[js, 1], p[i, 2] - p[js, 2]
    d2 = dx * dx + dy * dy + dz * dz
    near = d2 <= reach * reach
    pl = path_loss(model, np.sqrt(d2), freq_mhz, **params)
    out = tx[i] - pl - noise_dbm
    into = tx[js] - pl - noise_dbm
    if rx_gain is not None:
        gain = np.asarray(rx_gain, dtype=np.float64)
        out += gain[js]
        into += gain[i]
    out[~(near & (out >= floor_db))] = SNR_NONE
    into[~(near & (into >= floor_db))] = SNR_NONE
    return out, into
