"""Radio propagation and error models of the modeled medium (numpy).

Path loss (free space, log distance, ITU-R P.1238), the SNR matrix of a world
of radios, per-frame fading, and wmediumd's packet-error-rate formula
(per.c: AWGN bit error rates with a hard-decision Viterbi union bound).
`per()` is the exact formula; `per_table()` is the table the medium kernel
interpolates, built from the same code so both agree.
"""

from __future__ import annotations

import functools
import itertools
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
# Pairs (sources x candidate receivers) compared at once while building links
# (or one source's candidates, if more): bounds the numpy temporaries (about
# 20 bytes a pair, 60 a link) whatever the world's size, and keeps them in the
# processor's cache.  On 11,000 radios with ~1,100 links each
# (tests/bench/bench_links.py) 2^14 was the fastest of 2^13 to 2^17, by 5-15%.
_PAIRS_PER_CHUNK = 1 << 14
# Cells as wide as a quarter of the hearing range: the cells within reach of
# a cell then cover ~1.7 times the hearing disc (nine cells of the whole
# range: 2.9 times).  Thirds and sixths cost about the same; halves more.
_CELLS_PER_REACH = 4
# Unless a typical radio's cell then holds fewer radios than this: in a sparse
# world wider cells, so that a block of sources is not one radio, and its
# candidates not a long strip of a column.
_RADIOS_PER_CELL = 8.0


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


def _cell_keys(cells: NDArray[np.int64]) -> NDArray[np.int64]:
    """One integer per cell of an (n, 2) array of cells."""
    c = cells - cells.min(axis=0)
    return c[:, 0] * (int(c[:, 1].max()) + 1) + c[:, 1]


def cells_of(positions: ArrayLike, size_m: float) -> NDArray[np.int64]:
    """(n, 2) integer grid cells of side `size_m` of the x, y positions."""
    p = np.asarray(positions, dtype=np.float64)
    return np.floor(p[:, :2] / size_m).astype(np.int64)


def link_rows(positions: ArrayLike, tx_power_dbm: ArrayLike, model: str = "log_distance", *,
              floor_db: float, rx_gain: ArrayLike | None = None, freq_mhz: float = DEFAULT_FREQ_MHZ,
              noise_dbm: float = NOISE_DBM, **params: float
              ) -> Iterator[tuple[int, NDArray[np.uint32], NDArray[np.float64]]]:
    """(i, receivers, snr) for every radio i (each once, the i in no
    particular order): the radios within the hearing range that hear i with
    an SNR of at least `floor_db`, in index order, and their SNRs (as
    `snr_matrix` computes them, plus the receiver's `rx_gain` in dB).

    Radios are binned into square cells a fraction of the hearing range
    wide (wider in a sparse world); a block of sources is compared with the
    radios of only the cells whose nearest point is within range, so work
    and memory grow with the links, not with the square of the radios.
    """
    p = np.asarray(positions, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] not in (2, 3):
        raise ValueError("positions must be an (n, 2) or (n, 3) array")
    n = len(p)
    if not n:
        return
    if not np.isfinite(p).all():
        raise ValueError("positions must be finite")
    tx = np.broadcast_to(np.asarray(tx_power_dbm, dtype=np.float64), (n,))
    gain = None if rx_gain is None else np.broadcast_to(np.asarray(rx_gain, dtype=np.float64), (n,))
    best = float(tx.max()) + (float(gain.max()) if gain is not None else 0.0)
    reach = hearing_range(model, best, floor_db, freq_mhz=freq_mhz, noise_dbm=noise_dbm, **params)
    xy = p[:, :2]
    extent = float(np.ptp(xy, axis=0).max())
    if math.isfinite(reach):
        # far above the rounding of positions into cells and of d2: no pair
        # within reach is missed, and d2 <= reach^2 decides as it always did
        slack = reach * (1.0 + 1e-9) + float(np.abs(xy).max()) * 1e-12
        # (cells no smaller than a 2^24th of the world: keys stay far inside int64)
        size = max(reach, MIN_DISTANCE_M, extent / (1 << 24) * _CELLS_PER_REACH) / _CELLS_PER_REACH
        # A sparse world gets wider cells: a few radios a cell, not one comparison a radio.
        _, count = np.unique(_cell_keys(np.floor(xy / size).astype(np.int64)), return_counts=True)
        # the other radios in the cell of a typical radio (at least as if spread evenly)
        others = max(float((count * count).sum()) / n - 1.0, n * (size / (extent + size)) ** 2)
        if others < _RADIOS_PER_CELL - 1:
            size = min(size * math.sqrt((_RADIOS_PER_CELL - 1) / others), extent + MIN_DISTANCE_M)
    else:  # no finite range: every radio is a candidate of every other
        slack, size = math.inf, extent + MIN_DISTANCE_M
    cell = np.floor(xy / size).astype(np.int64)
    cell -= cell.min(axis=0)
    nx, ny = int(cell[:, 0].max()) + 1, int(cell[:, 1].max()) + 1
    # The cells within reach: column offsets dx, and in column dx the rows
    # up to ay[dx] away, those whose nearest point is within `slack`.
    if math.isfinite(slack):
        ax = min(nx - 1, int(slack / size) + 1)
        dxs = np.arange(-ax, ax + 1)
        gx = np.maximum(np.abs(dxs) - 1, 0) * size
        ry = np.sqrt(np.maximum(slack * slack - gx * gx, 0.0))
        ay = np.minimum(np.floor(ry / size).astype(np.int64) + 1, ny - 1)
    else:
        dxs = np.arange(-(nx - 1), nx)
        ay = np.full(len(dxs), ny - 1)
    # Column-major keys with margin rows, so the cells of a column within
    # reach of a run of cells of a column are one run of the sorted radios.
    stride = ny + 2 * int(ay.max()) + 1
    key = cell[:, 0] * stride + cell[:, 1] + int(ay.max())
    order = np.argsort(key, kind="stable")
    skey = key[order]
    cstart = np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]])  # where each occupied cell starts
    ckey = skey[cstart]
    below, above = dxs * stride - ay, dxs * stride + ay

    def within(first: NDArray[np.int64], last: NDArray[np.int64]
               ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Per run of cells of a column (its first and last cell's key) and
        column offset: the slice of `order` of the cells within reach."""
        return (np.searchsorted(skey, first[:, None] + below, side="left"),
                np.searchsorted(skey, last[:, None] + above, side="right"))

    # Blocks: runs of cells of one column whose sources times candidates stay
    # within _PAIRS_PER_CHUNK (or one fuller cell).  The candidates of a run
    # from cell a to cell b are hi(b) - lo(a), summed over the column offsets.
    cend = np.r_[cstart[1:], n]
    blocks: list[int] = []
    column = first_radio = first_lo = -1
    for a in range(0, len(cstart), _PAIRS_PER_CHUNK):  # (Python ints for a chunk of cells at a time)
        part = slice(a, a + _PAIRS_PER_CHUNK)
        left, right = within(ckey[part], ckey[part])
        for c, (cx, start, end, lo_c, hi_c) in enumerate(zip(
                (ckey[part] // stride).tolist(), cstart[part].tolist(), cend[part].tolist(),
                left.sum(axis=1).tolist(), right.sum(axis=1).tolist(), strict=True), start=a):
            if cx != column or (end - first_radio) * (hi_c - first_lo) > _PAIRS_PER_CHUNK:
                blocks.append(c)
                column, first_radio, first_lo = cx, start, lo_c
    blocks.append(len(cstart))
    coords = [np.ascontiguousarray(p[:, k]) for k in range(p.shape[1])]
    r2 = reach * reach
    empty_to, empty_snr = np.zeros(0, np.uint32), np.zeros(0, np.float64)
    for c0, c1 in itertools.pairwise(blocks):
        first, past = (x[0] for x in within(ckey[c0:c0 + 1], ckey[c1 - 1:c1]))
        lens = past - first
        at = np.repeat(first - (np.cumsum(lens) - lens), lens) + np.arange(int(lens.sum()))
        # candidates in index order: a row's links come out in index order
        cand = np.sort(order[at])
        srcs = np.sort(order[cstart[c0]:cend[c1 - 1]])
        m = len(cand)
        cand_coords = [x[cand] for x in coords]
        cg = None if gain is None else gain[cand]
        to_all = cand.astype(np.uint32)
        step = max(1, _PAIRS_PER_CHUNK // m)
        for a in range(0, len(srcs), step):
            src = srcs[a:a + step]
            ns = len(src)
            # d2 as distance_matrix sums it, coordinate by coordinate: the same doubles
            d = coords[0][src, None] - cand_coords[0]
            d2 = d * d
            for x, cand_x in zip(coords[1:], cand_coords[1:], strict=True):
                np.subtract(x[src, None], cand_x, out=d)
                d *= d
                d2 += d
            near = d2 <= r2
            near[np.arange(ns), np.searchsorted(cand, src)] = False  # not itself
            cnt = np.count_nonzero(near, axis=1)
            flat = np.flatnonzero(near)  # row by row: source, then receiver in index order
            col = flat - np.repeat(np.arange(0, ns * m, m), cnt)
            snr = np.repeat(tx[src], cnt) - path_loss(model, np.sqrt(d2.ravel().take(flat)), freq_mhz,
                                                      **params) - noise_dbm
            if cg is not None:
                snr += cg.take(col)  # after, as ModelSpec.matrices adds it: the same doubles
            to = to_all.take(col)
            ends = np.cumsum(cnt)
            keep = snr >= floor_db
            if not keep.all():  # often nothing: with like powers the range is where the floor is
                drop = np.flatnonzero(~keep)
                ends -= np.cumsum(np.bincount(np.searchsorted(ends, drop, side="right"), minlength=ns))
                to, snr = to[keep], snr[keep]
            lo = 0
            for i, hi in zip(src.tolist(), ends.tolist(), strict=True):
                yield (i, to[lo:hi], snr[lo:hi]) if hi > lo else (i, empty_to, empty_snr)
                lo = hi


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
