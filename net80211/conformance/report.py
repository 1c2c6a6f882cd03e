"""The matrix's results as a terminal table, JSON, Markdown and a
self-contained HTML page (one table, filterable by mode, failures expandable
with their reason and log).

Every format shows the three statuses apart, with the reason of each cell
that did not pass: a cell not covered (a check could not run) is never
shown or counted as a pass."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from net80211.conformance.cells import DEFAULT_KINDS, FAIL, KINDS, NOT_COVERED, PASS, CellResult
from net80211.conformance.pictures import plots_html

_MARK = {PASS: "pass", FAIL: "FAIL", NOT_COVERED: "not covered"}
_CSS = {PASS: "pass", FAIL: "fail", NOT_COVERED: "not-covered"}
_ANSI = {PASS: "\x1b[32m", FAIL: "\x1b[1;31m", NOT_COVERED: "\x1b[33m"}
_RESET = "\x1b[0m"
_COL = max(len(m) for m in _MARK.values())


@dataclass
class Report:
    driver: str
    profile: str
    cells: list[CellResult]
    max_vaps: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # -- shape -----------------------------------------------------------------
    def rows(self) -> list[tuple[str, list[str], dict[str, CellResult]]]:
        """(mix label, modes, kind -> cell) in the order mixes first appear."""
        out: dict[str, tuple[str, list[str], dict[str, CellResult]]] = {}
        for c in self.cells:
            row = out.setdefault(c.mix, (c.mix, c.modes, {}))
            row[2][c.kind] = c
        return list(out.values())

    @property
    def kinds(self) -> tuple[str, ...]:
        """The columns: the default kinds, and the others the cells have."""
        have = {c.kind for c in self.cells}
        return tuple(k for k in KINDS if k in DEFAULT_KINDS or k in have)

    def modes(self) -> list[str]:
        seen: dict[str, None] = {}
        for c in self.cells:
            for m in c.modes:
                seen.setdefault(m, None)
        return list(seen)

    def totals(self) -> dict[str, Any]:
        def count(cells: Iterable[CellResult]) -> dict[str, int]:
            cells = list(cells)
            return {"cells": len(cells), "passed": sum(c.passed is True for c in cells),
                    "failed": sum(c.passed is False for c in cells),
                    "not_covered": sum(c.passed is None for c in cells)}
        t: dict[str, Any] = dict(count(self.cells))
        t["mixes"] = len(self.rows())
        t["by_kind"] = {k: count(c for c in self.cells if c.kind == k) for k in self.kinds}
        return t

    @property
    def ok(self) -> bool:
        return all(c.passed is not False for c in self.cells)

    # -- JSON --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        cells = []
        for c in self.cells:
            d = {"mix": c.mix, "kind": c.kind, "expected": c.expected, "outcome": c.outcome,
                 "passed": c.passed, "status": c.status, "reason": c.reason, "modes": c.modes}
            if c.passed is False:
                d["log"] = c.log
            cells.append(d)
        out = {"driver": self.driver, "profile": self.profile, "max_vaps": self.max_vaps,
               "cells": cells, "totals": self.totals()}
        out.update(self.extra)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    # -- terminal ----------------------------------------------------------------
    def table(self, colour: bool = False) -> str:
        rows = self.rows()
        width = max([len("mix")] + [len(r[0]) for r in rows])
        head = (f"{'mix':<{width}}  " + "  ".join(f"{k:<{_COL}}" for k in self.kinds)).rstrip()
        lines = [head, "-" * len(head)]
        for label, _modes, by_kind in rows:
            parts = []
            for k in self.kinds:
                c = by_kind.get(k)
                text = "-" if c is None else _MARK[c.status]
                cell = f"{text:<{_COL}}"
                if colour and c is not None:
                    cell = f"{_ANSI[c.status]}{cell}{_RESET}"
                parts.append(cell)
            lines.append(f"{label:<{width}}  " + "  ".join(parts).rstrip())
        t = self.totals()
        lines.append(f"{self.driver}:{self.profile}: {t['mixes']} mixes, {t['cells']} cells: "
                     f"{t['passed']} passed, {t['failed']} failed, {t['not_covered']} not covered")
        for c in self.cells:
            if c.passed is False:
                lines.append(f"FAIL {c.mix} {c.kind}: {c.reason}")
        for c in self.cells:
            if c.passed is None:
                lines.append(f"NOT COVERED {c.mix} {c.kind}: {c.reason}")
        return "\n".join(lines)

    # -- Markdown ------------------------------------------------------------------
    def markdown(self) -> str:
        t = self.totals()
        out = [f"# Conformance: {self.driver}:{self.profile}", "",
               f"{t['mixes']} mixes (up to {self.max_vaps} vaps), {t['cells']} cells: {t['passed']} passed, "
               f"{t['failed']} failed, {t['not_covered']} not covered.", "",
               "| mix | " + " | ".join(self.kinds) + " |", "|---|" + "---|" * len(self.kinds)]
        for label, _modes, by_kind in self.rows():
            marks = []
            for k in self.kinds:
                c = by_kind.get(k)
                marks.append("-" if c is None else f"**{_MARK[c.status]}**" if c.status == FAIL
                             else _MARK[c.status])
            out.append(f"| `{label}` | " + " | ".join(marks) + " |")
        notes = [c for c in self.cells if c.passed is not True]
        if notes:
            out += ["", "## Failures and cells not covered", ""]
            for c in notes:
                out.append(f"- `{c.mix}` {c.kind}: {_MARK[c.status]}: {_md(c.reason)}")
        return "\n".join(out) + "\n"

    # -- HTML --------------------------------------------------------------------
    def html(self) -> str:
        t = self.totals()
        e = html.escape
        title = f"Conformance: {self.driver}:{self.profile}"
        opts = "".join(f'<option value="{e(m)}">{e(m)}</option>' for m in self.modes())
        body = []
        for label, modes, by_kind in self.rows():
            status = " ".join(sorted({_CSS[c.status] for c in by_kind.values()}))
            tds = [f"<td><code>{e(label)}</code></td>"]
            for k in self.kinds:
                c = by_kind.get(k)
                if c is None:
                    tds.append('<td class="none">-</td>')
                elif c.status == PASS:
                    tds.append(f'<td class="pass" title="{e(c.outcome)}">pass</td>')
                else:
                    log = e("\n".join(c.log))
                    tds.append(
                        f'<td class="{_CSS[c.status]}"><details><summary>{_MARK[c.status]}</summary>'
                        f"<p><b>expected:</b> {e(c.expected)}<br><b>outcome:</b> {e(c.outcome)}<br>"
                        f"<b>reason:</b> {e(c.reason)}</p><pre>{log}</pre></details></td>")
            body.append(f'<tr data-modes="{e(" ".join(modes))}" data-status="{status}">{"".join(tds)}</tr>')
        summary = (f"{t['mixes']} mixes (up to {self.max_vaps} vaps), {t['cells']} cells: "
                   f"{t['passed']} passed, {t['failed']} failed, {t['not_covered']} not covered")
        head = "".join(f"<th>{k}</th>" for k in self.kinds)
        return _HTML.format(title=e(title), summary=e(summary), options=opts, head=head,
                            rows="\n".join(body), plots=plots_html(self))


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #bbb; padding: 0.2em 0.6em; vertical-align: top; }}
td.pass {{ background: #dfd; }} td.fail {{ background: #fcc; }} td.not-covered {{ background: #ffd; }}
td.none {{ color: #999; }} pre {{ font-size: 0.8em; max-width: 70em; overflow: auto; }}
</style></head>
<body>
<h1>{title}</h1>
<p id="summary">{summary}</p>
{plots}
<p><label>Mode: <select id="mode-filter"><option value="">all</option>{options}</select></label>
<label><input type="checkbox" id="failures-only"> failures only</label></p>
<table id="matrix">
<thead><tr><th>mix</th>{head}</tr></thead>
<tbody>
{rows}
</tbody></table>
<script>
function applyFilter() {{
  var mode = document.getElementById("mode-filter").value;
  var failures = document.getElementById("failures-only").checked;
  document.querySelectorAll("#matrix tbody tr").forEach(function (tr) {{
    var modes = tr.dataset.modes.split(" ");
    var show = (!mode || modes.indexOf(mode) >= 0) && (!failures || tr.dataset.status.indexOf("fail") >= 0);
    tr.style.display = show ? "" : "none";
  }});
}}
document.getElementById("mode-filter").addEventListener("change", applyFilter);
document.getElementById("failures-only").addEventListener("change", applyFilter);
</script>
</body></html>
"""
