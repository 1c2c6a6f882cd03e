"""report.html of a sweep: what it ran, and plots of its figures per cell
(association time CDF, figures against the first numeric axis, a heat map
of the cells, throughput and loss against distance, the radio map of a
run), one self-contained page."""

from __future__ import annotations

import html
import itertools
import json
import math
import statistics
from collections.abc import Sequence
from typing import Any

from net80211.figures import Plot, assoc_cdf, heatmap, page, radio_map, scatter, xy_lines
from net80211.sweep.job import assoc_times, figures, is_station
from net80211.sweep.spec import Sweep, cell_key

MAX_LINES = 8  # lines of one plot against an axis; further combinations are left out (said so)


def _label(cell: dict[str, Any], keys: Sequence[str]) -> str:
    return ", ".join(f"{k}={json.dumps(cell[k])}" for k in keys) or "all"


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def flow_points(result: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
    """(distance in m between the flow's two radios, the flow) per flow."""
    pos = {r["name"]: r["position"] for r in result.get("radios", ())}
    radio_of = {v["name"]: v["radio"] for v in result.get("vaps", ())}
    out = []
    for t in result.get("traffic", ()):
        a, b = pos.get(radio_of.get(t["from"], "")), pos.get(radio_of.get(t["to"], ""))
        if a is not None and b is not None:
            out.append((math.dist(a, b), t))
    return out


def _by_cell(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    cells: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        cells.setdefault(cell_key(rec["cell"]), []).append(rec)
    return cells


def _stat(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return math.nan, math.nan, math.nan
    return statistics.fmean(values), min(values), max(values)


def _associated_fraction(rec: dict[str, Any]) -> float | None:
    f = figures(rec)
    if f["status"] != "ok" or not f["stations"]:
        return None
    return f["associated"] / f["stations"]


FIGURES = (  # (figure of a run, axis label, plot title)
    (_associated_fraction, "stations associated (fraction)", "Stations associated"),
    (lambda r: figures(r).get("assoc_median_s"), "median association time (s)", "Association time"),
    (lambda r: figures(r).get("loss_pct"), "loss (%)", "Loss"),
    (lambda r: figures(r).get("goodput_kbps") if figures(r).get("flows") else None, "UDP goodput (kbit/s)",
     "Throughput"),
)


def plots(sweep: Sweep, records: list[dict[str, Any]]) -> list[Plot]:
    out: list[Plot] = []
    ok = [r for r in records if "result" in r]
    cells = _by_cell(records)
    keys = [a.key for a in sweep.axes]
    # Association time CDF, one curve per cell (its replicates pooled).
    series: dict[str, tuple[list[float], int]] = {}
    for recs in cells.values():
        times: list[float] = []
        total = 0
        for r in recs:
            if "result" in r:
                times += assoc_times(r["result"])
                total += sum(is_station(v["mode"]) for v in r["result"]["vaps"])
        series[_label(recs[0]["cell"], keys)] = (times, total)
    out.append(assoc_cdf(series))
    # Figures against the first numeric axis (the load, the distance, ...),
    # one line per combination of the other axes.
    axis = next((a for a in sweep.axes if _numeric(a.values) and len(a.values) > 1), None)
    if axis is not None:
        others = [k for k in keys if k != axis.key]
        for fn, ylabel, title in FIGURES:
            lines: dict[str, list[tuple[float, float, float, float]]] = {}
            for recs in cells.values():
                vals = [v for v in (fn(r) for r in recs) if v is not None]
                if not vals:
                    continue
                mean, lo, hi = _stat([float(v) for v in vals])
                lines.setdefault(_label(recs[0]["cell"], others), []).append(
                    (float(recs[0]["cell"][axis.key]), mean, lo, hi))
            if not lines:
                continue
            shown = dict(itertools.islice(lines.items(), MAX_LINES))
            cap = "Mean over the replicates; bars: their range."
            if len(lines) > MAX_LINES:
                cap += f" {len(lines) - MAX_LINES} more combinations of the other axes are not drawn."
            out.append(xy_lines(shown, axis.key, ylabel, f"{title} against {axis.key}", cap))
    # Heat map of the cells: the last axis across, the others down.
    if sweep.axes:
        last = sweep.axes[-1]
        rest = sweep.axes[:-1]
        rows = [dict(zip([a.key for a in rest], combo, strict=True))
                for combo in itertools.product(*(a.values for a in rest))]
        grid: list[list[float | None]] = []
        for row in rows:
            line: list[float | None] = []
            for v in last.values:
                cell = {a.key: (row[a.key] if a.key in row else v) for a in sweep.axes}
                fracs = (_associated_fraction(r) for r in cells.get(cell_key(cell), ()))
                vals = [x for x in fracs if x is not None]
                line.append(statistics.fmean(vals) if vals else None)
            grid.append(line)
        failed = sum("error" in r for r in records)
        caption = f"Across: {last.key}." + (f" Down: {', '.join(a.key for a in rest)}." if rest else "")
        if failed:
            caption += f" Blank: no successful run ({failed} runs failed)."
        out.append(heatmap([_label(r, [a.key for a in rest]) for r in rows],
                           [json.dumps(v) for v in last.values], grid, "Cells: stations associated",
                           "fraction associated (mean)", caption, vmin=0.0, vmax=1.0))
    # Throughput and loss against distance, every flow of every run.
    goodput, loss = [], []
    for r in ok:
        for d, t in flow_points(r["result"]):
            if t["type"] == "udp" and t.get("goodput_kbps") is not None:
                goodput.append((d, float(t["goodput_kbps"])))
            if t.get("loss_pct") is not None:
                loss.append((d, float(t["loss_pct"])))
    if goodput:
        out.append(scatter(goodput, "distance between the flow's radios (m)", "UDP goodput (kbit/s)",
                           "Throughput against distance", "Each point: one UDP flow of one run."))
    if loss:
        out.append(scatter(loss, "distance between the flow's radios (m)", "loss (%)",
                           "Loss against distance", "Each point: one flow (ping or UDP) of one run."))
    if ok:
        first = ok[0]
        out.append(radio_map(first["result"], f"Radios and links: {_label(first['cell'], keys)}, "
                             f"replicate {first['replicate']}"))
    return out


def sweep_html(sweep: Sweep, records: list[dict[str, Any]]) -> str:
    e = html.escape
    failed = [r for r in records if "error" in r]
    axes = "".join(f"<li><code>{e(a.key)}</code>: {e(', '.join(json.dumps(v) for v in a.values))}</li>"
                   for a in sweep.axes)
    intro = (f'<p id="summary">{len(records)} runs ({sweep.cell_count} cells &times; {sweep.replicates} '
             f"replicates) of <code>{e(sweep.scenario_file)}</code>, sweep seed {sweep.seed}: "
             f"{len(records) - len(failed)} ran, {len(failed)} failed.</p><ul>{axes}</ul>")
    extra = ""
    if failed:
        rows = "".join(f"<tr><td><code>{e(json.dumps(r['cell']))}</code></td><td>{r['replicate']}</td>"
                       f"<td>{r['seed']}</td><td>{e(r['error'].get('message', ''))}</td></tr>"
                       for r in failed)
        extra = ('<h2>Failed runs</h2><table id="failed"><tr><th>cell</th><th>replicate</th><th>seed</th>'
                 f"<th>error</th></tr>{rows}</table>")
    return page(f"Sweep: {sweep.file}", intro, plots(sweep, records), extra)
