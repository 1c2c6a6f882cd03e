"""The conformance test matrix: driver x vap mix x scenario, for driver authors.

    pytest -p net80211.conformance --driver hwsim:ath [--max-vaps 2]
    wlanctl conformance --driver hwsim:ath --jobs 2 --json out.json --html out.html

`Matrix` is the API underneath (it also takes a Driver class directly);
`run_cell(ref, spec)` runs one cell, a function of its inputs alone;
`cli_main` is `wlanctl conformance` (it needs the `net80211[conformance]`
extra: pytest).  A cell passes, fails, or is not covered: a check it needs
could not run, and its reason says which.
"""

from __future__ import annotations

from typing import Any

from net80211.conformance.cells import FAIL, KINDS, NOT_COVERED, PASS, CellResult, CellSpec
from net80211.conformance.matrix import DEFAULT_MAX_VAPS, Matrix, run_cell
from net80211.conformance.mixes import Mix, enumerate_mixes, mode_words

__all__ = ["KINDS", "PASS", "FAIL", "NOT_COVERED", "CellResult", "CellSpec", "DEFAULT_MAX_VAPS", "Matrix",
           "Mix", "enumerate_mixes", "mode_words", "run_cell", "cli_main"]


def cli_main(argv: list[str]) -> int:
    """`wlanctl conformance ARGS`: run the matrix under pytest, write the reports."""
    from net80211.conformance.runner import main

    return main(argv)


def pytest_addhooks(pluginmanager: Any) -> None:
    """`-p net80211.conformance` loads this package: register the plugin module
    under its entry-point name, so that pytest's autoloading of the pytest11
    entry point finds it registered and does not add it twice."""
    from net80211.conformance import plugin

    if pluginmanager.get_plugin("net80211_conformance") is None and not pluginmanager.is_registered(plugin):
        pluginmanager.register(plugin, "net80211_conformance")
