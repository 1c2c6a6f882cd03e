"""`wlanctl conformance` (cli_main) and the pytest plugin, end to end."""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from net80211.conformance import cli_main

SPEC = ["--driver", "hwsim:single", "--max-vaps", "1"]


def _run(tmp: Path, *extra: str) -> tuple[int, dict]:
    out = tmp / "out.json"
    rc = cli_main([*SPEC, "--json", str(out), "--markdown", str(tmp / "out.md"),
                   "--html", str(tmp / "out.html"), *extra])
    return rc, json.loads(out.read_text())


def test_cli_writes_every_report_and_jobs_do_not_change_results(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    one.mkdir()
    two.mkdir()
    rc1, r1 = _run(one, "--progress")
    out = capsys.readouterr().out
    rc2, r2 = _run(two, "--jobs", "2")
    out2 = capsys.readouterr().out
    assert rc1 == rc2 == 0, out
    assert r1["driver"] == "hwsim" and r1["profile"] == "single"
    assert r1["totals"]["cells"] == 9 and r1["totals"]["failed"] == 0
    assert r1 == r2  # same cells, same outcomes, same logs: virtual time is deterministic
    assert "<table" in (one / "out.html").read_text()
    assert "| mix | verdict | behaviour | lifecycle |" in (one / "out.md").read_text()
    assert "9/9" in out and "[####" in out  # the progress bar
    assert "conformance matrix" in out and "hwsim:single: 3 mixes, 9 cells" in out
    # Not a terminal and not asked for: no bar, no carriage returns, no xdist chatter.
    assert "\r" not in out2 and "[####" not in out2 and "bringing up nodes" not in out2
    assert "hwsim:single: 3 mixes, 9 cells" in out2


def test_cli_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    # The errno rule of every wlanctl command: the exit status is the errno.
    assert cli_main(["--driver", "nosuch"]) == errno.ENXIO
    assert "no driver named 'nosuch'" in capsys.readouterr().err
    assert cli_main(["--driver", "hwsim:nosuch"]) == errno.EINVAL
    assert "no profile 'nosuch'" in capsys.readouterr().err
    assert cli_main(["--driver", "hwsim", "--jobs", "0"]) == errno.EINVAL
    err = capsys.readouterr().err
    assert "--jobs must be at least 1" in err and "(EINVAL)" in err
    assert cli_main([]) == errno.EINVAL  # --driver is required


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def test_pytest_plugin_by_name_and_inert_without_driver(tmp_path: Path) -> None:
    (tmp_path / "test_other.py").write_text("def test_one():\n    pass\n")
    # Auto-loaded through pytest11 but inert: only the project's own test runs.
    p = _pytest(tmp_path, "-q")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 passed" in p.stdout and "conformance" not in p.stdout
    # -p net80211.conformance beside the auto-loaded entry point: loaded once, and
    # the directory's test files are not collected unless named.
    p = _pytest(tmp_path, "-p", "net80211.conformance", *SPEC, "-q")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "9 passed" in p.stdout and "test_one" not in p.stdout
    assert "hwsim:single: 3 mixes, 9 cells: 9 passed, 0 failed" in p.stdout
    p = _pytest(tmp_path, *SPEC, "-q", "--co")
    assert "conformance[hwsim:single:single]" not in p.stdout
    assert "conformance[hwsim:single]::sta::behaviour" in p.stdout


@pytest.mark.parametrize("blocked, jobs, dist", [("pytest", "1", "pytest"), ("xdist", "2", "pytest-xdist")])
def test_cli_names_the_conformance_extra_when_pytest_is_missing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], blocked: str, jobs: str,
        dist: str) -> None:
    # A plain `pip install net80211` has no pytest: the runner says what to install.
    real = importlib.util.find_spec

    def find_spec(name: str, *a: object, **kw: object) -> object:
        return None if name == blocked else real(name, *a, **kw)
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert cli_main([*SPEC, "--jobs", jobs]) == errno.EOPNOTSUPP
    err = capsys.readouterr().err
    assert f"wlanctl conformance: {dist} is not installed" in err
    assert "pip install 'net80211[conformance]'" in err and "Traceback" not in err
