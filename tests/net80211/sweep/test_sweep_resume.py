"""A sweep killed halfway (SIGKILL) and run again: every run of the plan
once, none lost, none twice, the same file as a sweep never interrupted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from support.sweepfiles import SWEEP, without_wall, write

from net80211.sweep import Backend, load_sweep, run_sweep
from net80211.sweep.store import ResultsFile, record_key

# 3 x 2 cells x 4 replicates: 24 runs, each long enough (5 virtual seconds)
# that the sweep is still going when the test kills it after a few lines.
KILL_SWEEP = (SWEEP.replace("replicates = 2", "replicates = 4")
              .replace("values = [2.5, 3.5]", "values = [2.5, 3.0, 3.5]")
              + '\n[[axes]]\nkey = "scenario.seconds"\nvalues = [5]\n')


def _lines(path):
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_sigkill_halfway_then_resume_loses_and_duplicates_nothing(tmp_path):
    path = write(tmp_path, KILL_SWEEP)
    out = tmp_path / "out"
    results = out / "results.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "net80211.ctl.cli", "sweep", str(path), "--out", str(out),
                             "--workers", "1", "--no-report"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Poll the file, not the clock: kill once three runs are on disk.
        deadline = time.monotonic() + 300  # a safety net against a hung sweep, not a measurement
        while _lines(results) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL  # killed, not finished
    done_before = _lines(results)
    assert 3 <= done_before < 24
    # What a kill in the middle of a write leaves: a torn last line.
    with results.open("ab") as f:
        f.write(b'{"cell":{"medium.params.exponent":3.5,"vaps[0].chan')
    kept = dict(ResultsFile(results).records)
    assert len(kept) == done_before and results.read_bytes().endswith(b"\n")  # torn line dropped
    with results.open("ab") as f:
        f.write(b'{"cell":{"medium.params.exponent":3.5,"vaps[0].chan')

    p = subprocess.run([sys.executable, "-m", "net80211.ctl.cli", "sweep", str(path), "--out", str(out),
                        "--workers", "2", "--no-report"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert f"24 runs ({24 - done_before} run now, {done_before} already done), 0 failed" in p.stdout
    recs = [json.loads(line) for line in results.read_text().splitlines()]
    keys = [record_key(r) for r in recs]
    assert len(keys) == len(set(keys)) == 24
    # The runs from before the kill kept their records, wall_s included: not run again.
    after = dict(zip(keys, recs, strict=True))
    assert all(after[k] == rec for k, rec in kept.items())
    # And the whole equals a sweep that was never interrupted.
    run_sweep(load_sweep(path), tmp_path / "fresh", Backend(1), report=False)
    fresh = (tmp_path / "fresh" / "results.jsonl").read_bytes()
    assert without_wall(results.read_bytes()) == without_wall(fresh)
