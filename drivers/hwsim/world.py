"""What the modeled medium knows about the world: how links are obtained
(path loss from positions, an explicit SNR matrix, or wmediumd's loss
probabilities) and the physical parameters, turned into the (snr, loss)
matrices the kernel reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .kernel import model

KINDS = ("path_loss", "snr", "prob")
MOVE_INTERVAL_S = 3  # wmediumd moves stations by their direction every 3 s


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
