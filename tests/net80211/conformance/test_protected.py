"""The matrix's protected cells: the behaviour cells again with WPA2-PSK on
every AP, GO, station and client vap (under test and peers), so a cell
passes only when every 4-way handshake completes and data passes protected."""

from __future__ import annotations

import json

import pytest

from net80211.conformance import DEFAULT_KINDS, Matrix, cli_main
from net80211.conformance.report import Report


@pytest.mark.parametrize("profile", ["default", "ath"])
def test_protected_cells_pass(profile: str) -> None:
    m = Matrix(f"hwsim:{profile}", max_vaps=2, kinds=("protected",))
    results = m.run()
    assert results and {r.kind for r in results} == {"protected"}
    failed = [f"{r.mix}: {r.reason}" for r in results if r.passed is False]
    assert not failed, "\n".join(failed)
    # every cell holds a mode that runs RSN, and the handshakes were part of its log
    assert all(any(w in r.modes for w in ("sta", "hostap", "p2p-go", "p2p-client")) for r in results)
    assert sum(r.passed is True for r in results) > 0
    assert all("WPA2-PSK" in r.expected for r in results if r.passed)


def test_protected_is_not_a_default_kind_and_reports_show_it_when_run() -> None:
    assert "protected" not in DEFAULT_KINDS
    m = Matrix("hwsim:single", max_vaps=1, kinds=("verdict", "protected"))
    rep = Report(m.driver, m.profile, m.run())
    assert rep.kinds == ("verdict", "behaviour", "lifecycle", "protected")
    assert "| mix | verdict | behaviour | lifecycle | protected |" in rep.markdown()


def test_cli_runs_the_protected_cells_when_asked(tmp_path) -> None:
    out = tmp_path / "out.json"
    assert cli_main(["--driver", "hwsim:single", "--max-vaps", "1", "--json", str(out), "--protected",
                     "--no-progress"]) == 0
    r = json.loads(out.read_text())
    prot = r["totals"]["by_kind"]["protected"]
    assert prot["cells"] >= 1 and prot["passed"] == prot["cells"]
