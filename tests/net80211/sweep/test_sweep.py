"""wlanctl sweep: plans, seeds, backends that agree byte for byte, failing
runs recorded, the table and the CLI."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest
from support.sweepfiles import BASE, SWEEP, without_wall, write

from net80211.sweep import Backend, choose_backend, load_sweep, run_sweep
from net80211.sweep.spec import parse_key, run_seed

WLANCTL = [sys.executable, "-m", "net80211.ctl.cli"]


def test_keys_parse_with_list_items():
    assert parse_key("medium.params.exponent") == ("medium", "params", "exponent")
    assert parse_key("vaps[2].channel") == ("vaps", 2, "channel")
    assert parse_key("radios[0].positions[1]") == ("radios", 0, "positions", 1)
    for bad in ("", "a..b", "vaps[x].channel", "vaps[2]channel", "a b"):
        assert parse_key(bad) is None, bad


def test_seeds_derive_from_sweep_seed_cell_and_replicate():
    cell = {"medium.fading": 0}
    seeds = {run_seed(11, cell, k) for k in range(50)}
    assert len(seeds) == 50  # replicates differ
    assert run_seed(11, cell, 3) == run_seed(11, dict(cell), 3)  # a function of its inputs
    assert run_seed(12, cell, 3) != run_seed(11, cell, 3)
    assert run_seed(11, {"medium.fading": 4}, 3) != run_seed(11, cell, 3)
    assert all(0 <= s < 2**31 for s in seeds)


def test_plan_applies_each_cell(tmp_path):
    sw = load_sweep(write(tmp_path))
    runs = sw.runs(tmp_path / "out")
    assert len(runs) == 8 and sw.cell_count == 4
    assert [r.cell for r in runs[::2]] == [{"medium.params.exponent": e, "vaps[0].channel": c}
                                          for e in (2.5, 3.5) for c in (1, 6)]
    assert [r.replicate for r in runs] == [0, 1] * 4
    out = run_sweep(sw, tmp_path / "out", Backend(1), report=False)
    assert (out.runs, out.ran, out.skipped, out.failed) == (8, 8, 0, 0)
    recs = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [(r["cell"], r["replicate"]) for r in recs] == [(r.cell, r.replicate) for r in runs]
    for rec in recs:
        res = rec["result"]
        assert res["seed"] == rec["seed"] == run_seed(11, rec["cell"], rec["replicate"])
        ap = next(v for v in res["vaps"] if v["name"] == "ap0")
        assert ap["channel"] == rec["cell"]["vaps[0].channel"]  # the list item's key took effect
    # Placement follows the seed: replicates of a cell put the stations elsewhere.
    assert recs[0]["result"]["radios"][1]["position"] != recs[1]["result"]["radios"][1]["position"]
    # The table: one row per run, the axes first.
    rows = list(csv.DictReader((tmp_path / "out" / "results.csv").open()))
    assert len(rows) == 8
    assert list(rows[0])[:4] == ["medium.params.exponent", "vaps[0].channel", "replicate", "seed"]
    assert {r["status"] for r in rows} == {"ok"}
    assert all(r["stations"] == "3" for r in rows)
    assert sum(int(r["associated"]) for r in rows) > 0


def test_serial_processes_and_ray_write_the_same_results(tmp_path, ray_local):
    sw = load_sweep(write(tmp_path))
    outs = {}
    for name, backend in (("serial", Backend(1)), ("workers", Backend(2)), ("ray", Backend(2, ray=""))):
        outcome = run_sweep(sw, tmp_path / name, backend, report=False)
        assert outcome.failed == 0 and outcome.ran == 8, name
        outs[name] = (tmp_path / name / "results.jsonl").read_bytes()
    assert without_wall(outs["serial"]) == without_wall(outs["workers"]) == without_wall(outs["ray"])
    assert outs["serial"].count(b"\n") == 8
    assert ray_local.is_initialized()  # the engine left the Ray it found running


def test_a_failing_run_is_recorded_and_the_rest_complete(tmp_path):
    # Channel 200 passes the file's checks (an integer) but no device has it:
    # its runs fail when the vap is created.
    sweep = SWEEP.replace("values = [1, 6]", "values = [1, 200]").replace("replicates = 2", "replicates = 1")
    p = subprocess.run([*WLANCTL, "sweep", str(write(tmp_path, sweep)), "--out", str(tmp_path / "o"),
                        "--workers", "1"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stderr
    assert "4 runs (4 run now, 0 already done), 2 failed" in p.stdout
    recs = [json.loads(line) for line in (tmp_path / "o" / "results.jsonl").read_text().splitlines()]
    assert len(recs) == 4
    for rec in recs:
        if rec["cell"]["vaps[0].channel"] == 200:
            assert "result" not in rec and "200" in rec["error"]["message"], rec["error"]
            assert rec["error"]["errno"] is not None
        else:
            assert "error" not in rec and rec["result"]["vaps"][0]["channel"] == 1
    rows = list(csv.DictReader((tmp_path / "o" / "results.csv").open()))
    assert [r["status"] for r in rows] == ["ok", "error", "ok", "error"]
    page = (tmp_path / "o" / "report.html").read_text()
    assert 'id="failed"' in page and "2 failed" in page
    # A rerun runs nothing: the failed runs are recorded results too.
    p = subprocess.run([*WLANCTL, "sweep", str(tmp_path / "sweep.toml"), "--out", str(tmp_path / "o"),
                        "--workers", "1", "--no-report"], capture_output=True, text=True, timeout=300)
    assert "(0 run now, 4 already done), 2 failed" in p.stdout


def test_a_directory_of_another_sweep_is_refused(tmp_path):
    write(tmp_path)
    assert run_sweep(load_sweep(tmp_path / "sweep.toml"), tmp_path / "o", Backend(1), report=False).ran == 8
    (tmp_path / "base.toml").write_text(BASE.replace("seconds = 2", "seconds = 3"))
    with pytest.raises(OSError, match="different base scenario"):
        run_sweep(load_sweep(tmp_path / "sweep.toml"), tmp_path / "o", Backend(1), report=False)
    write(tmp_path, SWEEP.replace("seed = 11", "seed = 12"))
    with pytest.raises(OSError, match="different sweep seed"):
        run_sweep(load_sweep(tmp_path / "sweep.toml"), tmp_path / "o", Backend(1), report=False)


def test_backend_choice(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert choose_backend(None, None).ray is None
    assert choose_backend(None, None).workers == len(os.sched_getaffinity(0))
    assert choose_backend(3, None) == Backend(3)
    assert choose_backend(None, "") == Backend(len(os.sched_getaffinity(0)), "")
    assert choose_backend(2, "10.1.2.3:6379").ray == "10.1.2.3:6379"
    monkeypatch.setenv("RAY_ADDRESS", "auto")
    assert choose_backend(None, None).ray == ""  # RAY_ADDRESS alone selects Ray
    assert choose_backend(2, None).ray is None  # unless --workers says otherwise
    with pytest.raises(ValueError, match="at least 1"):
        choose_backend(0, None)


def test_progress_bar_on_a_terminal_quiet_when_piped(tmp_path):
    sweep = SWEEP.replace("replicates = 2", "replicates = 1")
    path = write(tmp_path, sweep)
    args = [*WLANCTL, "sweep", str(path), "--workers", "1", "--no-report"]
    piped = subprocess.run([*args, "--out", str(tmp_path / "a")], capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 wide
    try:
        p = subprocess.Popen([*args, "--out", str(tmp_path / "b")], stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        p.wait(timeout=300)
    finally:
        os.close(master)
    text = seen.decode(errors="replace")
    assert p.returncode == 0
    assert "sweep:" in text and "4/4" in text  # tqdm's bar: label, count
    assert "<" in text and "run/s" in text  # elapsed<remaining (the ETA) and the rate


def test_ray_leaves_the_signal_handlers_alone(ray_local):
    # Ray's driver would install a SIGTERM handler raising SystemExit; a child
    # forked later (pyroute2's netns helper) would run on through pytest.
    import signal

    for sig in (signal.SIGTERM, signal.SIGINT):
        handler = signal.getsignal(sig)
        assert not getattr(handler, "__module__", "").startswith("ray"), (sig, handler)
