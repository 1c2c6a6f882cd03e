"""Load and check a sweep file (TOML, docs/scenarios.md "Sweeps").

    [sweep]
    scenario = "base.toml"      # relative to the sweep file
    seed = 11                   # the sweep seed
    replicates = 2              # runs per cell
    [[axes]]
    key = "medium.params.exponent"   # any scenario key, dotted; list items as vaps[2].channel
    values = [2.5, 3.0, 3.5]

Every problem is a `ScenarioError` naming the sweep file, the line and the
key, raised before any run starts: an unknown key, an empty axis, a value
the scenario refuses (each value is applied to the base scenario and
checked as `wlanctl run` would check it).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from net80211.scenario.loader import loads_scenario, scenario_from_dict
from net80211.scenario.source import SourceIndex, key_name
from net80211.scenario.spec import MAX_FILE_BYTES, ScenarioError, read_file

MAX_REPLICATES = 10_000
MAX_RUNS = 1_000_000  # cells x replicates
SEED_BITS = 31  # a run's seed: 0 .. 2**31 - 1

_PART = re.compile(r"([A-Za-z0-9_\-]+)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


def parse_key(text: str) -> tuple[str | int, ...] | None:
    """"vaps[2].channel" -> ("vaps", 2, "channel"); None if malformed."""
    if not text:
        return None
    out: list[str | int] = []
    for part in text.split("."):
        m = _PART.fullmatch(part)
        if m is None:
            return None
        out.append(m.group(1))
        out.extend(int(i) for i in _INDEX.findall(m.group(2)))
    return tuple(out)


def apply_override(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> str | None:
    """Set `path` in a parsed scenario to `value`, making missing tables on
    the way (a key the scenario does not know is refused by its loader).
    None when done, else why the path leads nowhere."""
    node: Any = data
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        where = key_name(path[:depth]) or "the scenario"
        if isinstance(part, int):
            if not isinstance(node, list):
                return f"{where} is not an array"
            if part >= len(node):
                return f"{where} has {len(node)} entries, no [{part}]"
            if last:
                node[part] = value
            else:
                node = node[part]
            continue
        if not isinstance(node, dict):
            return f"{where} is not a table"
        if last:
            node[part] = value
        else:
            if part not in node:
                node[part] = {}
            node = node[part]
    return None


def cell_key(cell: dict[str, Any]) -> str:
    """A cell's identity: its axis keys and values, as canonical JSON."""
    return json.dumps(list(cell.items()), separators=(",", ":"))


def run_seed(sweep_seed: int, cell: dict[str, Any], replicate: int) -> int:
    """A run's seed: from the sweep seed, the cell's key and the replicate
    (not from its place in the plan: adding an axis value keeps the others')."""
    h = hashlib.sha256(f"{sweep_seed}\0{cell_key(cell)}\0{replicate}".encode()).digest()
    return int.from_bytes(h[:8], "big") >> (64 - SEED_BITS)


@dataclass(frozen=True)
class Axis:
    key: str
    path: tuple[str | int, ...]
    values: tuple[Any, ...]


@dataclass(frozen=True)
class RunSpec:
    """One run of the sweep, self-contained (it travels to a worker process
    or a Ray task): the base scenario's text, the overrides, the seed and
    the directory its capture files go to."""

    index: int
    cell: dict[str, Any]
    replicate: int
    seed: int
    scenario_text: str
    scenario_file: str
    overrides: tuple[tuple[tuple[str | int, ...], Any], ...]
    outdir: str

    @property
    def key(self) -> tuple[str, int]:
        return cell_key(self.cell), self.replicate


@dataclass
class Sweep:
    file: str
    scenario_file: str  # the base scenario's path (absolute)
    scenario_text: str
    seed: int
    replicates: int
    axes: list[Axis] = field(default_factory=list)

    @property
    def scenario_sha256(self) -> str:
        return hashlib.sha256(self.scenario_text.encode()).hexdigest()

    def cells(self) -> Iterator[dict[str, Any]]:
        for values in itertools.product(*(a.values for a in self.axes)):
            yield {a.key: v for a, v in zip(self.axes, values, strict=True)}

    @property
    def cell_count(self) -> int:
        n = 1
        for a in self.axes:
            n *= len(a.values)
        return n

    def runs(self, outdir: Path) -> list[RunSpec]:
        """Every run, in plan order (cells in axis order, replicates within)."""
        out: list[RunSpec] = []
        for cell in self.cells():
            digest = hashlib.sha256(cell_key(cell).encode()).hexdigest()[:12]
            overrides = tuple((a.path, cell[a.key]) for a in self.axes)
            for k in range(self.replicates):
                out.append(RunSpec(len(out), cell, k, run_seed(self.seed, cell, k), self.scenario_text,
                                   self.scenario_file, overrides, str(outdir / "runs" / f"{digest}-{k}")))
        return out


class _Reader:
    """Typed access to one table of the sweep file, errors with the line."""

    def __init__(self, file: str, index: SourceIndex, path: tuple[Any, ...], data: Any) -> None:
        self.file, self.index, self.path = file, index, path
        if not isinstance(data, dict):
            raise self.error((), "must be a table")
        self.data = data

    def error(self, sub: tuple[Any, ...], message: str) -> ScenarioError:
        p = self.path + sub
        return ScenarioError(message, file=self.file, line=self.index.line(p), key=key_name(p) or None)

    def get(self, key: str, kind: type, default: Any = ..., what: str = "") -> Any:
        if key not in self.data:
            if default is ...:
                raise self.error((), f"missing key {key!r}")
            return default
        v = self.data[key]
        if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
            raise self.error((key,), f"must be {what or kind.__name__}, not {v!r}")
        return v

    def only(self, known: tuple[str, ...]) -> None:
        for k in self.data:
            if k not in known:
                raise self.error((k,), f"unknown key {k!r} (known here: {', '.join(known)})")


def loads_sweep(text: str, file: str) -> Sweep:
    """Parse and check a sweep file's text; `file` locates the base scenario."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"at line (\d+)", str(e))
        raise ScenarioError(f"not valid TOML: {e}", file=file, line=int(m.group(1)) if m else None) from None
    index = SourceIndex(text)
    top = _Reader(file, index, (), data)
    top.only(("sweep", "axes"))
    head = _Reader(file, index, ("sweep",), top.get("sweep", dict, what="a table ([sweep])"))
    head.only(("scenario", "seed", "replicates"))
    rel = head.get("scenario", str, what="a path (the base scenario)")
    seed = head.get("seed", int, 0, "a whole number")
    if seed < 0:
        raise head.error(("seed",), f"must not be negative, not {seed}")
    reps = head.get("replicates", int, 1, "a whole number")
    if not 1 <= reps <= MAX_REPLICATES:
        raise head.error(("replicates",), f"must be within 1..{MAX_REPLICATES}, not {reps}")
    base_path = (Path(file).resolve().parent / rel).resolve()
    try:
        if base_path.stat().st_size > MAX_FILE_BYTES:
            raise head.error(("scenario",), f"{rel}: larger than the {MAX_FILE_BYTES}-byte limit")
        base_text = base_path.read_text(encoding="utf-8")
    except OSError as e:
        raise head.error(("scenario",), f"cannot read {rel}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise head.error(("scenario",), f"{rel}: not UTF-8 text: {e}") from None
    base = loads_scenario(base_text, file=str(base_path))  # its own errors name its own lines
    if base.external is not None:
        raise head.error(("scenario",), f"{rel} runs on an external medium (in real time); "
                         "a sweep runs scenarios in virtual time")
    base_data = tomllib.loads(base_text)
    raw_axes = data.get("axes", [])
    if not isinstance(raw_axes, list):
        raise top.error(("axes",), "must be an array of tables ([[axes]])")
    sweep = Sweep(file, str(base_path), base_text, seed, reps)
    base_index = SourceIndex(base_text)
    for i, raw in enumerate(raw_axes):
        t = _Reader(file, index, ("axes", i), raw)
        t.only(("key", "values"))
        key = t.get("key", str, what="a scenario key such as medium.params.exponent or vaps[2].channel")
        path = parse_key(key)
        if path is None:
            raise t.error(("key",), f"{key!r} is not a key (dotted names, list items as vaps[2].channel)")
        if path in (("scenario", "seed"),):
            raise t.error(("key",), "scenario.seed cannot be an axis: each run's seed derives from the "
                          "sweep seed (use replicates)")
        if any(a.key == key for a in sweep.axes):
            raise t.error(("key",), f"{key!r} is already an axis")
        values = t.get("values", list, what="an array of values")
        if not values:
            raise t.error(("values",), f"axis {key!r} has no values")
        if len(values) != len({json.dumps(v, sort_keys=True) for v in values}):
            raise t.error(("values",), f"axis {key!r} lists a value twice")
        for v in values:
            trial = copy.deepcopy(base_data)
            problem = apply_override(trial, path, v)
            if problem is not None:
                raise t.error(("key",), f"{key!r} names nothing in {rel}: {problem}")
            try:
                scenario_from_dict(trial, file=str(base_path), source=base_index)
            except ScenarioError as e:
                why = e.strerror or str(e)
                raise t.error(("values",), f"{key} = {json.dumps(v)}: {rel} refuses it: {why}") from None
        sweep.axes.append(Axis(key, path, tuple(values)))
    runs = sweep.cell_count * reps
    if runs > MAX_RUNS:
        raise top.error(("axes",), f"{runs} runs is over the limit of {MAX_RUNS}")
    return sweep


def load_sweep(path: str | Path) -> Sweep:
    return loads_sweep(read_file(path, "sweep file"), str(path))
