"""wmediumd configuration files (libconfig syntax, read with `libconf`) as a
modeled HwsimMedium: one port per `ifaces.ids` entry, in order, so link
indices in the file are port indices."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import libconf

from ..kernel import model
from ..world import ModelSpec

DEFAULT_SNR = 30.0
DEFAULT_TX_POWER = 30.0


class ConfigError(ValueError):
    """A wmediumd config file that cannot be used, with the reason."""


def _get(section: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    """A setting by any of its spellings (wmediumd versions differ in case)."""
    lower = {k.lower(): v for k, v in section.items()}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return default


def _links(raw: Any, n: int, what: str) -> dict[tuple[int, int], float]:
    out: dict[tuple[int, int], float] = {}
    for item in raw or ():
        try:
            i, j, v = int(item[0]), int(item[1]), float(item[2])
        except (TypeError, ValueError, IndexError):
            raise ConfigError(f"{what}: each link is (i, j, value), not {item!r}") from None
        if not (0 <= i < n and 0 <= j < n) or i == j:
            raise ConfigError(f"{what}: link ({i}, {j}) names no pair of the {n} interfaces")
        out[(i, j)] = v
    return out


def parse_config(text: str) -> tuple[list[str], ModelSpec, list[tuple[float, ...]], list[tuple[float, ...]],
                                     list[float]]:
    """(ids, spec, positions, directions, tx_powers) of a wmediumd config."""
    try:
        cfg = libconf.load(io.StringIO(text))
    except Exception as e:  # libconf raises several types for bad syntax
        raise ConfigError(f"not a libconfig file: {e}") from None
    ifaces = cfg.get("ifaces")
    if not isinstance(ifaces, Mapping) or "ids" not in ifaces:
        raise ConfigError("no ifaces.ids: the config must list the radios' addresses")
    ids = [str(x) for x in ifaces["ids"]]
    n = len(ids)
    # wmediumd models interference only when the config asks for it
    interference = bool(_get(ifaces, "enable_interference", default=False))
    mdl = cfg.get("model")
    positions: list[tuple[float, ...]] = [(0.0, 0.0)] * n
    directions: list[tuple[float, ...]] = [(0.0, 0.0)] * n
    powers = [DEFAULT_TX_POWER] * n
    if not isinstance(mdl, Mapping):
        # old format: ifaces.links are SNRs
        spec = ModelSpec(kind="snr", default_snr=DEFAULT_SNR, interference=interference,
                         links=_links(ifaces.get("links"), n, "ifaces.links"))
        return ids, spec, positions, directions, powers
    kind = str(_get(mdl, "type", default=""))
    fading = float(_get(mdl, "fading_coefficient", default=0.0))
    noise = model.NOISE_DBM
    raw_noise = _get(mdl, "noise_threshold")
    if raw_noise is not None:
        try:
            noise_threshold = float(raw_noise)
        except (TypeError, ValueError):
            raise ConfigError(f"model.noise_threshold must be a number, not {raw_noise!r}") from None
        if noise_threshold < 0:  # wmediumd keeps its -91 dBm otherwise
            noise = noise_threshold
    if kind == "snr":
        spec = ModelSpec(kind="snr", default_snr=float(_get(mdl, "default_snr", default=DEFAULT_SNR)),
                         links=_links(_get(mdl, "links"), n, "model.links"),
                         interference=interference, fading=fading, noise_dbm=noise)
    elif kind == "prob":
        links = _links(_get(mdl, "links"), n, "model.links")
        default = float(_get(mdl, "default_prob", "default_probability", default=0.0))
        if any(not 0.0 <= v <= 1.0 for v in [*links.values(), default]):
            raise ConfigError("model.links: probabilities must be within [0, 1]")
        spec = ModelSpec(kind="prob", default_prob=default, links=links,
                         interference=interference, fading=fading, noise_dbm=noise)
    elif kind == "path_loss":
        name = str(_get(mdl, "model_name", default="log_distance"))
        if name == "log_normal_shadowing":
            # log distance without xg; the per-station shadowing samples come
            # at run time (wmediumd's "gaussian random" updates)
            name = "log_distance"
            mdl = {**mdl, "xg": 0.0}
        if name not in model.PATH_LOSS_MODELS:
            raise ConfigError(f"model.model_name {name!r} is not one of {', '.join(model.PATH_LOSS_MODELS)}")
        params: dict[str, float] = {}
        if name == "log_distance":
            params = {"exponent": float(_get(mdl, "path_loss_exp", default=3.5)),
                      "xg": float(_get(mdl, "xg", default=0.0))}
        elif name == "itu":
            params = {"n_floors": int(_get(mdl, "nFLOORS", "n_floors", default=1)),
                      "floor_loss": float(_get(mdl, "LF", "lF", default=1.0))}
        positions = [tuple(float(c) for c in p) for p in _get(mdl, "positions", default=())]
        if len(positions) != n:
            raise ConfigError(f"model.positions has {len(positions)} entries for {n} interfaces")
        raw_dirs = _get(mdl, "directions")
        if raw_dirs is not None:
            directions = [tuple(float(c) for c in d) for d in raw_dirs]
            if len(directions) != n:
                raise ConfigError(f"model.directions has {len(directions)} entries for {n} interfaces")
        raw_pow = _get(mdl, "tx_powers")
        if raw_pow is not None:
            powers = [float(p) for p in raw_pow]
            if len(powers) != n:
                raise ConfigError(f"model.tx_powers has {len(powers)} entries for {n} interfaces")
        spec = ModelSpec(kind="path_loss", path_loss=name, params=params,
                         interference=interference, fading=fading, noise_dbm=noise)
    else:
        raise ConfigError(f"model.type must be snr, prob or path_loss, not {kind!r}")
    return ids, spec, positions, directions, powers
