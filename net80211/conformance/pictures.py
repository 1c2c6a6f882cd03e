"""The conformance report's pictures: the per-cell verdict heat map (mix x
kind, pass / fail / not covered), drawn with matplotlib when it is
installed (net80211[sweep]); without it the HTML report has its table only."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from net80211.conformance.cells import KINDS
from net80211.figures import verdict_map

if TYPE_CHECKING:
    from net80211.conformance.report import Report


def plots_html(report: Report) -> str:
    """The plots as HTML figures (embedded PNG), or "" without matplotlib."""
    if importlib.util.find_spec("matplotlib") is None:
        return ""
    rows = report.rows()
    status = [[by_kind[k].status if k in by_kind else "none" for k in KINDS]
              for _label, _modes, by_kind in rows]
    t = report.totals()
    plot = verdict_map([label for label, _modes, _ in rows], list(KINDS), status,
                       f"Verdicts: {report.driver}:{report.profile}",
                       f"{t['cells']} cells: {t['passed']} passed, {t['failed']} failed, "
                       f"{t['not_covered']} not covered; one row per mix of vaps.")
    return f'<section id="plots">{plot.html()}</section>'
