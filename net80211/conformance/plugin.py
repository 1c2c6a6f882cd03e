"""The pytest plugin: `pytest -p net80211.conformance --driver NAME[:PROFILE]`.

Registered as a `pytest11` entry point, so pytest loads it in every run; it
does nothing unless `--driver` is given.  Then each cell of the matrix is a
test item (`conformance[hwsim:ath]::hostap+sta::verdict`), files are not
collected unless named on the command line, and at the end the terminal
shows the matrix table and the reports asked for are written.  Works under
pytest-xdist: cell results travel to the controller in the reports'
user_properties.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from net80211.conformance.cells import DEFAULT_KINDS, CellResult, CellSpec
from net80211.conformance.matrix import DEFAULT_MAX_VAPS, Matrix, lost_cell, run_cell_job
from net80211.conformance.report import Report
from net80211.sweep.engine import Progress, choose_backend, imap

_PROP = "net80211_conformance_cell"


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("net80211-conformance", "net80211 conformance matrix")
    g.addoption("--driver", default=None, metavar="NAME[:PROFILE]",
                help="run the conformance matrix against this driver (net80211.drivers entry point)")
    g.addoption("--max-vaps", type=int, default=DEFAULT_MAX_VAPS, metavar="K",
                help=f"largest mix of vaps on one device (default {DEFAULT_MAX_VAPS})")
    g.addoption("--conformance-channels", default=None, metavar="C1,C2",
                help="also try every assignment of these channels to a mix's vaps")
    g.addoption("--conformance-json", default=None, metavar="FILE", help="write the results as JSON")
    g.addoption("--conformance-markdown", default=None, metavar="FILE", help="write a Markdown report")
    g.addoption("--conformance-html", default=None, metavar="FILE", help="write a self-contained HTML report")
    g.addoption("--conformance-progress", action="store_true",
                help="a progress bar instead of one character per cell")
    g.addoption("--conformance-protected", action="store_true",
                help="also run the protected cells (the behaviour cells with WPA2-PSK)")
    g.addoption("--conformance-workers", type=int, default=None, metavar="N",
                help="run the cells first in N worker processes (the sweep engine), then report them")
    g.addoption("--conformance-ray", nargs="?", const="", default=None, metavar="ADDRESS",
                help="run the cells first as Ray tasks (a local Ray without ADDRESS), then report them")


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("driver", None)
    if not spec:
        return
    max_vaps = config.getoption("max_vaps")
    if max_vaps < 1:
        raise pytest.UsageError(f"--max-vaps must be at least 1, not {max_vaps}")
    chans = config.getoption("conformance_channels")
    try:
        channels = [int(c) for c in chans.split(",")] if chans else None
        kinds = DEFAULT_KINDS + (("protected",) if config.getoption("conformance_protected") else ())
        matrix = Matrix(spec, max_vaps=max_vaps, channels=channels, kinds=kinds)
    except (OSError, ValueError) as e:
        raise pytest.UsageError(f"conformance: {e}") from None
    config.pluginmanager.register(ConformanceSession(config, matrix), "net80211-conformance-session")


class CellItem(pytest.Item):
    """One cell of the matrix."""

    def __init__(self, *, spec: CellSpec, matrix: Matrix, index: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.spec = spec
        self.matrix = matrix
        self.index = index
        self.result: CellResult | None = None

    def runtest(self) -> None:
        # Run here, unless the cells were dispatched through the engine first.
        res = self.result if self.result is not None else self.matrix.run_cell(self.spec)
        self.result = res
        d = res.as_dict()
        d["index"] = self.index
        self.user_properties.append((_PROP, d))
        if res.passed is None:
            pytest.skip(f"not covered: {res.reason}")
        if res.passed is False:
            raise CellFailed(res)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CellFailed):
            r = excinfo.value.result
            return "\n".join([f"{r.mix} {r.kind}: expected {r.expected}", f"outcome: {r.outcome}",
                              f"reason: {r.reason}", "log:", *r.log])
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return Path(__file__), None, self.nodeid


class CellFailed(Exception):
    def __init__(self, result: CellResult) -> None:
        super().__init__(result.reason)
        self.result = result


class MatrixCollector(pytest.Collector):
    """The parent of a driver's cells (no file behind it)."""

    def __init__(self, *, matrix: Matrix, **kw: Any) -> None:
        super().__init__(**kw)
        self.matrix = matrix

    def collect(self) -> list[pytest.Item]:
        return [CellItem.from_parent(self, name=spec.id, spec=spec, matrix=self.matrix, index=i)
                for i, spec in enumerate(self.matrix.cells())]


class ConformanceSession:
    """Per-run state of the plugin once `--driver` is given."""

    def __init__(self, config: pytest.Config, matrix: Matrix) -> None:
        self.config = config
        self.matrix = matrix
        self.total = len(matrix.cells())
        self.results: dict[int, CellResult] = {}
        self.done = 0
        self.progress = bool(config.getoption("conformance_progress"))
        self.worker = hasattr(config, "workerinput")
        self.dispatched = False  # the cells ran through the engine before the test loop

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """With --conformance-workers or --conformance-ray: run the selected
        cells through the sweep engine (worker processes or Ray tasks, with
        its progress bar) before the loop, which then reports each."""
        workers = self.config.getoption("conformance_workers")
        ray = self.config.getoption("conformance_ray")
        if self.worker or (workers is None and ray is None) or session.config.option.collectonly:
            return
        try:
            backend = choose_backend(workers, ray)
        except ValueError as e:
            raise pytest.UsageError(f"conformance: {e}") from None
        items = [it for it in session.items if isinstance(it, CellItem)]
        jobs = [(self.matrix.ref, it.spec) for it in items]
        bar = Progress(len(jobs), "conformance")
        failed = 0
        try:
            for i, d in imap(run_cell_job, jobs, backend, lost_cell):
                items[i].result = CellResult.from_dict(d)
                failed += d["passed"] is False
                bar.update(1, f"{failed} failed" if failed else None)
        finally:
            bar.close()
        self.dispatched = True

    @pytest.hookimpl
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> bool | None:
        # Only the matrix runs, unless test files were named on the command line.
        if config.args_source != pytest.Config.ArgsSource.ARGS:
            return True
        return None

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        name = f"conformance[{self.matrix.ref.spec}]"
        collector = MatrixCollector.from_parent(session, name=name, nodeid=name, matrix=self.matrix)
        items.extend(collector.collect())

    @pytest.hookimpl
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        if self.progress and report.when == "call" and _cell_of(report) is not None:
            return report.outcome, "", ""
        return None

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        d = _cell_of(report)
        if d is None or report.when != "call":
            return
        self.results[d["index"]] = CellResult.from_dict(d)
        self.done += 1
        if self.progress and not self.worker and not self.dispatched:
            self._bar(d)

    def _bar(self, d: dict[str, Any]) -> None:
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is None:
            return
        width = 30
        filled = width * self.done // max(1, self.total)
        failed = sum(r.passed is False for r in self.results.values())
        line = (f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{failed} failed  {d['mix']} {d['kind']}")
        tr.write(f"{line[:110]:<110}")
        if self.done == self.total:
            tr.write("\n")

    def report(self) -> Report:
        cells = [self.results[i] for i in sorted(self.results)]
        return Report(self.matrix.driver, self.matrix.profile, cells, self.matrix.max_vaps)

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.worker or not self.results:
            return
        colour = bool(getattr(terminalreporter, "hasmarkup", False))
        terminalreporter.write_sep("=", "conformance matrix")
        terminalreporter.write_line(self.report().table(colour=colour))

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker:
            return
        rep = self.report()
        for opt, render in (("conformance_json", rep.to_json), ("conformance_markdown", rep.markdown),
                            ("conformance_html", rep.html)):
            path = self.config.getoption(opt)
            if path:
                Path(path).write_text(render(), encoding="utf-8")


def _cell_of(report: Any) -> dict[str, Any] | None:
    for key, value in getattr(report, "user_properties", ()):
        if key == _PROP:
            return value
    return None
