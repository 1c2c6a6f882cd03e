"""The conformance matrix dispatched through the sweep engine: worker
processes and Ray tasks give the results of a serial run."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from net80211.conformance import cli_main
from net80211.conformance.matrix import Matrix, run_cell_job

SPEC = ["--driver", "hwsim:ath", "--max-vaps", "1"]


def _run(tmp: Path, name: str, *extra: str) -> tuple[int, dict, str]:
    out = tmp / f"{name}.json"
    html = tmp / f"{name}.html"
    rc = cli_main([*SPEC, "--json", str(out), "--html", str(html), *extra])
    return rc, json.loads(out.read_text()), html.read_text()


def test_workers_and_ray_give_the_serial_results(tmp_path: Path, ray_local: object,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rc0, serial, page = _run(tmp_path, "serial")
    rc1, workers, _ = _run(tmp_path, "workers", "--workers", "2")
    rc2, on_ray, _ = _run(tmp_path, "ray", "--ray")
    out = capsys.readouterr().out
    assert rc0 == rc1 == rc2 == 0, out
    assert serial["totals"]["cells"] == 24 and serial["totals"]["passed"] > 0
    assert serial == workers == on_ray  # every cell's expectation, outcome, reason and log
    assert 'id="plots"' in page and "data:image/png;base64," in page  # the verdict heat map


def test_a_cell_job_is_the_cell_run_in_place() -> None:
    m = Matrix("hwsim:ath", max_vaps=1)
    spec = m.cells()[0]
    assert run_cell_job((m.ref, spec)) == m.run_cell(spec).as_dict()


def test_bad_dispatch_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main([*SPEC, "--workers", "0"]) == errno.EINVAL
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert cli_main([*SPEC, "--workers", "2", "--jobs", "2"]) == errno.EINVAL
    assert "exclude each other" in capsys.readouterr().err
