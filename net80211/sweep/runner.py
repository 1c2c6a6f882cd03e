"""Run a sweep into its output directory: the runs not yet there, through
the engine's backend, then the results in plan order, the table and the
report.

    DIR/sweep.json      what the directory holds (base scenario digest, sweep seed)
    DIR/results.jsonl   one line per run: {"cell", "replicate", "seed", "result"} or "error"
    DIR/results.csv     the main figures of each run
    DIR/report.html     plots of them (matplotlib, embedded)
    DIR/runs/...        capture files of runs whose scenario captures
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from net80211.scenario.spec import ScenarioError
from net80211.sweep.engine import Backend, Progress, imap
from net80211.sweep.job import figures, lost_record, run_one
from net80211.sweep.report import sweep_html
from net80211.sweep.spec import Sweep
from net80211.sweep.store import ResultsFile, record_key, write_atomic
from net80211.wire.outfile import ensure_dir

RESULTS, TABLE, REPORT, MANIFEST = "results.jsonl", "results.csv", "report.html", "sweep.json"


@dataclass
class SweepOutcome:
    runs: int  # in the plan
    ran: int  # this time
    skipped: int  # already in the directory
    failed: int  # in the plan, recorded with an error
    wall_s: float
    backend: str
    records: list[dict[str, Any]] = field(default_factory=list)
    torn: bool = False  # a torn last line (a killed sweep) was dropped


def _manifest(sweep: Sweep) -> dict[str, Any]:
    return {"scenario": sweep.scenario_file, "scenario_sha256": sweep.scenario_sha256, "seed": sweep.seed}


def _check_manifest(out: Path, sweep: Sweep) -> None:
    path = out / MANIFEST
    want = _manifest(sweep)
    try:
        have = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        write_atomic(path, (json.dumps(want, indent=1) + "\n").encode())
        return
    except (OSError, ValueError) as e:
        raise ScenarioError(f"cannot read {MANIFEST}: {e}", file=str(path)) from None
    for key, what in (("scenario_sha256", "a different base scenario"), ("seed", "a different sweep seed")):
        if not isinstance(have, dict) or have.get(key) != want[key]:
            raise ScenarioError(f"{out} holds the runs of {what} ({MANIFEST}); choose another --out",
                                file=sweep.file)


def run_sweep(sweep: Sweep, out: Path, backend: Backend, *, progress: bool | None = None,
              report: bool = True) -> SweepOutcome:
    """Run what is missing from `out`, then write the table and the report."""
    t0 = time.perf_counter()
    out = out.resolve()  # workers (Ray's) may not share this process's directory
    ensure_dir(out, 0o755)
    _check_manifest(out, sweep)
    store = ResultsFile(out / RESULTS)
    runs = sweep.runs(out)
    todo = [r for r in runs if r.key not in store]
    bar = Progress(len(todo), "sweep", enabled=progress)
    failed_now = 0
    try:
        for _i, rec in imap(run_one, todo, backend, lost_record):
            store.append(rec)
            failed_now += "error" in rec
            bar.update(1, f"{failed_now} failed" if failed_now else None)
    finally:
        bar.close()
        store.close()
    records = store.finish([r.key for r in runs])
    plan = {r.key for r in runs}
    mine = [rec for rec in records if record_key(rec) in plan]
    write_atomic(out / TABLE, table_csv(sweep, mine).encode())
    if report:
        write_atomic(out / REPORT, sweep_html(sweep, mine).encode())
    return SweepOutcome(len(runs), len(todo), len(runs) - len(todo), sum("error" in r for r in mine),
                        time.perf_counter() - t0, backend.name, mine, store.dropped_torn)


def table_csv(sweep: Sweep, records: list[dict[str, Any]]) -> str:
    """One row per run: the cell's axis values, replicate, seed, figures."""
    rows = []
    columns: dict[str, None] = dict.fromkeys([a.key for a in sweep.axes] + ["replicate", "seed"])
    for rec in records:
        row = {**{k: _cell(v) for k, v in rec["cell"].items()}, "replicate": rec["replicate"],
               "seed": rec["seed"], **figures(rec)}
        columns.update(dict.fromkeys(row))
        rows.append(row)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()


def _cell(v: Any) -> Any:
    return json.dumps(v) if isinstance(v, list | dict) else v
