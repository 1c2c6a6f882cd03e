"""What the modeled medium knows about the world: how links are obtained
(path loss from positions, an explicit SNR matrix, or wmediumd's loss
probabilities) and the physical parameters, turned into the links the
kernel reads: per transmitter, the receivers that hear it (sparse), or
dense (snr, loss) matrices for small worlds and tools."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .kernel import model

KINDS = ("path_loss", "snr", "prob")
MOVE_INTERVAL_S = 3  # wmediumd moves stations by their direction every 3 s
# Path-loss links weaker than this SNR are left out: 10 dB below the noise
# floor a signal cannot be decoded or sensed, and as interference it adds at
# most a tenth of the noise power (0.4 dB off the SINR).  Leaving them out
# makes a world's cost grow with its links rather than with N².
LINK_FLOOR_DB = -10.0
# The kernel's cells are this many to the distance at which two senders may
# still share a receiver (ModelSpec.cells): finer cells fit the circle of
# that radius better, but a new transmission looks up more of them.
CELLS_PER_MEETING_RANGE = 4

Row = tuple[int, NDArray[np.uint32], NDArray[np.float64], NDArray[np.float64] | None]


@dataclass
class ModelSpec:
    """How the modeled medium derives its links (wmediumd's model section).

    kind "path_loss": SNR from positions, tx powers and `path_loss` (a name
    in model.PATH_LOSS_MODELS with `params`); "snr": `links` {(i, j): dB},
    others `default_snr`; "prob": `links` {(i, j): loss probability}, others
    `default_prob`, SNR `default_snr` where the link exists (probability 1
    means no link at all).  `links` are symmetric and index ports in the
    order they were added.
    """

    kind: str = "path_loss"
    path_loss: str = "log_distance"
    params: dict[str, float] = field(default_factory=dict)
    freq_mhz: float = model.DEFAULT_FREQ_MHZ
    noise_dbm: float = model.NOISE_DBM
    cca_dbm: float = -82.0
    fading: float = 0.0
    interference: bool = True
    default_snr: float = 30.0
    default_prob: float = 0.0
    links: dict[tuple[int, int], float] = field(default_factory=dict)
    link_floor_db: float = LINK_FLOOR_DB

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"model kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.kind == "path_loss" and self.path_loss not in model.PATH_LOSS_MODELS:
            raise ValueError(f"unknown path-loss model {self.path_loss!r}")
        if self.kind == "prob":
            bad = [v for v in list(self.links.values()) + [self.default_prob] if not 0.0 <= v <= 1.0]
            if bad:
                raise ValueError(f"loss probabilities must be within [0, 1]: {bad[0]}")

    def matrices(self, positions: NDArray[np.float64], tx_power: NDArray[np.float64],
                 overrides: dict[tuple[int, int], tuple[float | None, float | None]] | None = None,
                 rx_gain: NDArray[np.float64] | None = None
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(snr, loss) n x n for n radios; row = transmitter; diagonal no link.

        `tx_power` is what each radio radiates (dBm, antenna gain included);
        `rx_gain` (dB) is added to what each one receives (path loss only).
        """
        n = len(positions)
        loss = np.zeros((n, n))
        if self.kind == "path_loss":
            if n:
                snr = model.snr_matrix(positions, tx_power, self.path_loss, freq_mhz=self.freq_mhz,
                                       noise_dbm=self.noise_dbm, **self.params)
                if rx_gain is not None:
                    snr += np.asarray(rx_gain, dtype=np.float64)[None, :]
            else:
                snr = np.zeros((0, 0))
        else:
            snr = np.full((n, n), self.default_snr)
            if self.kind == "prob":
                loss[:] = self.default_prob
            for (i, j), v in self.links.items():
                if i < n and j < n:
                    if self.kind == "snr":
                        snr[i, j] = snr[j, i] = v
                    else:
                        loss[i, j] = loss[j, i] = v
        for (i, j), (s, p) in (overrides or {}).items():
            if i < n and j < n:
                if s is not None:
                    snr[i, j] = s
                if p is not None:
                    loss[i, j] = p
        # a certain loss is no link: no carrier sense, no interference either
        snr[loss >= 1.0] = model.SNR_NONE
        np.fill_diagonal(snr, model.SNR_NONE)
        np.fill_diagonal(loss, 0.0)
        return snr, loss

    def pair(self, positions: NDArray[np.float64], tx_power: NDArray[np.float64], i: int, j: int,
             overrides: dict[tuple[int, int], tuple[float | None, float | None]] | None = None,
             rx_gain: NDArray[np.float64] | None = None) -> tuple[float, float]:
        """(snr, loss) of the link i -> j as `matrices` would give it (no floor)."""
        gain = None if rx_gain is None else np.asarray(rx_gain, dtype=np.float64)[[i, j]]
        snr, loss = self.matrices(positions[[i, j]], tx_power[[i, j]], rx_gain=gain)
        s, p = float(snr[0, 1]), float(loss[0, 1])
        if self.kind != "path_loss":
            s, p = (self.default_snr, self.default_prob if self.kind == "prob" else 0.0)
            v = self.links.get((i, j), self.links.get((j, i)))
            if v is not None:
                s, p = (v, p) if self.kind == "snr" else (s, v)
        o_s, o_p = (overrides or {}).get((i, j), (None, None))
        s, p = (s if o_s is None else o_s), (p if o_p is None else o_p)
        return (model.SNR_NONE if p >= 1.0 or i == j else s), (0.0 if i == j else p)

    def rows(self, positions: NDArray[np.float64], tx_power: NDArray[np.float64],
             overrides: dict[tuple[int, int], tuple[float | None, float | None]] | None = None,
             rx_gain: NDArray[np.float64] | None = None) -> Iterator[Row]:
        """(i, receivers, snr, loss or None) for every radio i, receivers in
        index order: the links the kernel keeps.  Path-loss links below
        `link_floor_db` are left out, found through spatial cells; the snr
        and prob models give every pair the model links."""
        n = len(positions)
        by_tx: dict[int, dict[int, tuple[float | None, float | None]]] = defaultdict(dict)
        for (i, j), v in (overrides or {}).items():
            if i < n and j < n and i != j:
                by_tx[i][j] = v
        if self.kind == "path_loss":
            base: Iterator[tuple[int, NDArray[np.uint32], NDArray[np.float64]]] = model.link_rows(
                positions, tx_power, self.path_loss, floor_db=self.link_floor_db, rx_gain=rx_gain,
                freq_mhz=self.freq_mhz, noise_dbm=self.noise_dbm, **self.params)
            for i, to, snr in base:
                if i not in by_tx:
                    yield i, to, snr, None
                    continue
                row = {int(j): (float(s), 0.0) for j, s in zip(to, snr, strict=True)}
                for j, (o_s, o_p) in by_tx[i].items():
                    s, p = row[j] if j in row else self.pair(positions, tx_power, i, j, rx_gain=rx_gain)
                    row[j] = (s if o_s is None else o_s, p if o_p is None else o_p)
                yield i, *_row_arrays(row)
            return
        snr_m, loss_m = self.matrices(positions, tx_power, overrides, rx_gain=rx_gain)
        for i in range(n):
            to = np.nonzero(snr_m[i] > model.SNR_NONE)[0].astype(np.uint32)
            yield i, to, snr_m[i, to], (loss_m[i, to] if loss_m[i, to].any() else None)

    def hearing_range(self, tx_power: NDArray[np.float64], rx_gain: NDArray[np.float64] | None = None
                      ) -> float | None:
        """The distance beyond which no radio hears another (what `rows`
        looks within), or None where links do not follow positions or the
        range is not finite."""
        if self.kind != "path_loss" or not len(tx_power):
            return None
        best = float(np.max(tx_power)) + (float(np.max(rx_gain)) if rx_gain is not None else 0.0)
        reach = model.hearing_range(self.path_loss, best, self.link_floor_db,
                                    freq_mhz=self.freq_mhz, noise_dbm=self.noise_dbm, **self.params)
        return reach if math.isfinite(reach) else None

    def cells(self, positions: NDArray[np.float64], tx_power: NDArray[np.float64],
              rx_gain: NDArray[np.float64] | None = None) -> tuple[NDArray[np.int64], int, float] | None:
        """The kernel's spatial cells: (each radio's cell, the reach in
        cells, the cells' side in metres), or None where links do not follow
        positions.

        Two transmissions can only matter to each other at a receiver that
        decodes one (within the decoding range of its sender: SNR above the
        fading's best case, and a link) and has a link to the other's sender
        (within the hearing range at `link_floor_db`), so senders further
        apart than the sum of the two never meet.  Cells of a quarter of that
        distance with a reach of 4 cells leave out what lies beyond it but
        for the cells' corners."""
        reach = self.hearing_range(tx_power, rx_gain) if len(positions) else None
        if reach is None:
            return None
        best = float(np.max(tx_power)) + (float(np.max(rx_gain)) if rx_gain is not None else 0.0)
        # the kernel's decoding threshold (kernel.c decode_db): at or below it nothing decodes
        decode_db = max(self.link_floor_db, -6.0 * abs(self.fading))
        decode = model.hearing_range(self.path_loss, best, decode_db, freq_mhz=self.freq_mhz,
                                     noise_dbm=self.noise_dbm, **self.params)
        # a margin far above the rounding of positions into cells
        meet = (reach + decode) * (1.0 + 1e-9)
        size = max(meet / CELLS_PER_MEETING_RANGE, model.MIN_DISTANCE_M)
        return model.cells_of(positions, size), max(1, math.ceil(meet / size)), size

    def links_of(self, positions: NDArray[np.float64], tx_power: NDArray[np.float64], i: int,
                 others: NDArray[np.int64], reach: float, rx_gain: NDArray[np.float64] | None = None
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(SNR i -> j, SNR j -> i) for each j of `others` as `rows` gives
        them (SNR_NONE: no link); path loss only."""
        return model.links_of(positions, tx_power, i, others, self.path_loss, floor_db=self.link_floor_db,
                              reach=reach, rx_gain=rx_gain, freq_mhz=self.freq_mhz, noise_dbm=self.noise_dbm,
                              **self.params)


def _row_arrays(row: dict[int, tuple[float, float]]
                ) -> tuple[NDArray[np.uint32], NDArray[np.float64], NDArray[np.float64] | None]:
    keys = sorted(j for j, (s, p) in row.items() if p < 1.0 and s > model.SNR_NONE)
    to = np.array(keys, dtype=np.uint32)
    snr = np.array([row[j][0] for j in keys], dtype=np.float64)
    loss = np.array([row[j][1] for j in keys], dtype=np.float64)
    return to, snr, (loss if loss.any() else None)
