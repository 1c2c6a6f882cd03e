"""The plots of the reports, drawn with matplotlib (an optional dependency,
imported when a plot is drawn): each function returns a `Plot`, a PNG
ready to embed in a self-contained HTML page or to write to a file.

Figures are made with `matplotlib.figure.Figure` and the Agg canvas, not
pyplot: no global state, no display, safe in any process.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from net80211.wire.outfile import open_output

DPI = 100
MAX_GANTT_ROWS = 48  # a timeline with more vaps shows how many are in each state instead
STATE_COLOURS = {"INIT": "#d9d9d9", "SCAN": "#fdd49e", "AUTH": "#fc8d59", "ASSOC": "#9ecae1",
                 "RUN": "#41ab5d", "CAC": "#bcbddc", "CSA": "#807dba", "SLEEP": "#969696"}
VERDICT_COLOURS = {"pass": "#41ab5d", "fail": "#d7301f", "not covered": "#fec44f", "none": "#f0f0f0"}


@dataclass(frozen=True)
class Plot:
    """A drawn plot: its title, a short caption and the image."""

    title: str
    png: bytes
    caption: str = ""

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()

    def html(self) -> str:
        e = html.escape
        cap = f"<figcaption>{e(self.caption)}</figcaption>" if self.caption else ""
        return (f'<figure class="plot"><h3>{e(self.title)}</h3>'
                f'<img alt="{e(self.title)}" src="{self.data_uri()}">{cap}</figure>')


def _figure(width: float = 7.0, height: float = 4.2) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def save(plot: Plot, path: str | Path) -> None:
    """Write a plot as PNG, or as a one-plot HTML page for a .html name."""
    data = page(plot.title, "", [plot]).encode() if str(path).endswith((".html", ".htm")) else plot.png
    with open_output(path) as f:
        f.write(data)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


# -- the plots ----------------------------------------------------------------------
def assoc_cdf(series: Mapping[str, tuple[Sequence[float], int]], title: str = "Association time") -> Plot:
    """CDF of the times stations associated, one curve per label: (times,
    stations in all), so stations that never associated keep a curve below 1."""
    fig = _figure()
    ax = fig.add_subplot()
    drawn = 0
    for label, (times, total) in series.items():
        if total <= 0:
            continue
        xs = sorted(times)
        ys = [(k + 1) / total for k in range(len(xs))]
        ax.step([0.0, *xs], [0.0, *ys], where="post", label=f"{label} ({len(xs)}/{total})")
        drawn += 1
    if not drawn:
        _empty(ax, "no stations")
    else:
        ax.set_xlabel("virtual time of association (s)")
        ax.set_ylabel("fraction of stations associated")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        if drawn <= 12:
            ax.legend(fontsize="small", loc="lower right")
    return Plot(title, _png(fig), "Each curve: the stations of one cell (all replicates); a curve that stays "
                "below 1 has stations that never associated.")


def xy_lines(series: Mapping[str, Sequence[tuple[float, float, float, float]]], xlabel: str, ylabel: str,
             title: str, caption: str = "") -> Plot:
    """One line per label through (x, mean, low, high) points, the range as error bars."""
    fig = _figure()
    ax = fig.add_subplot()
    drawn = 0
    for label, pts in series.items():
        pts = sorted(p for p in pts if not math.isnan(p[1]))
        if not pts:
            continue
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=label)
        drawn += 1
    if not drawn:
        _empty(ax, "no data")
    else:
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if 1 < drawn <= 12:
            ax.legend(fontsize="small")
    return Plot(title, _png(fig), caption)


def scatter(points: Sequence[tuple[float, float]], xlabel: str, ylabel: str, title: str,
            caption: str = "") -> Plot:
    fig = _figure()
    ax = fig.add_subplot()
    if not points:
        _empty(ax, "no data")
    else:
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=14, alpha=0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    return Plot(title, _png(fig), caption)


def heatmap(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float | None]], title: str,
            label: str, caption: str = "", vmin: float | None = None, vmax: float | None = None) -> Plot:
    """A numeric heat map (a cell's figure over two axes); None is blank."""
    fig = _figure(max(4.5, 1.2 + 0.9 * len(cols)), max(2.5, 1.2 + 0.4 * len(rows)))
    ax = fig.add_subplot()
    data = np.array([[np.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    im = ax.imshow(data, aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(cols)), labels=list(cols), rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), labels=list(rows))
    if len(rows) * len(cols) <= 120:
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                if v is not None:
                    light = im.norm(float(v)) > 0.6  # viridis is light at its top: dark text there
                    ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize="small",
                            color="black" if light else "white")
    fig.colorbar(im, ax=ax, label=label)
    return Plot(title, _png(fig), caption)


def verdict_map(rows: Sequence[str], cols: Sequence[str], status: Sequence[Sequence[str]], title: str,
                caption: str = "") -> Plot:
    """A categorical heat map of cell verdicts: pass, fail, not covered, none (no such cell)."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    order = list(VERDICT_COLOURS)
    fig = _figure(max(4.5, 2.5 + 1.1 * len(cols)), min(60.0, max(2.5, 1.0 + 0.22 * len(rows))))
    ax = fig.add_subplot()
    data = [[order.index(s if s in VERDICT_COLOURS else "none") for s in row] for row in status]
    if not rows:
        _empty(ax, "no cells")
    else:
        ax.imshow(data, aspect="auto", cmap=ListedColormap([VERDICT_COLOURS[k] for k in order]),
                  vmin=-0.5, vmax=len(order) - 0.5, interpolation="nearest")
        ax.set_xticks(range(len(cols)), labels=list(cols))
        ax.set_yticks(range(len(rows)), labels=list(rows), fontsize="x-small" if len(rows) > 40 else "small")
        ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
    names = {"pass": "pass", "fail": "fail", "not covered": "not covered", "none": "no cell"}
    fig.legend(handles=[Patch(color=VERDICT_COLOURS[k], label=names[k]) for k in order],
               loc="outside right upper", fontsize="small")
    return Plot(title, _png(fig), caption)


def _where(radio: dict[str, Any]) -> list[float]:
    """Where a radio was at the end of the run (it may have moved), in the plane."""
    return list(radio.get("position_end") or radio["position"])[:2]


def radio_map(result: dict[str, Any], title: str = "Radios and links") -> Plot:
    """Radio positions (access points as triangles, stations as dots, others
    as squares) and each associated station's link to its access point,
    coloured by its SNR (last received signal minus the noise floor)."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    radios = {r["name"]: r for r in result.get("radios", ())}
    vaps = result.get("vaps", ())
    ap_addr = {v["macaddr"]: v["radio"] for v in vaps if v["mode"] in ("hostap", "p2p-go")}
    kinds: dict[str, str] = {}
    for v in vaps:
        kind = "ap" if v["mode"] in ("hostap", "p2p-go") else "sta" if v["mode"] in ("sta", "p2p-client") \
            else "other"
        if kinds.get(v["radio"]) != "ap":
            kinds[v["radio"]] = kind
    noise = result.get("noise_dbm")
    segs, snrs = [], []
    for v in vaps:
        b = v.get("bss")
        if v["state"] != "RUN" or not b or b.get("bssid") not in ap_addr or b.get("rssi") is None:
            continue
        a, c = radios.get(v["radio"]), radios.get(ap_addr[b["bssid"]])
        if a is None or c is None:
            continue
        segs.append([_where(a), _where(c)])
        snrs.append(b["rssi"] - noise if noise is not None else b["rssi"])
    fig = _figure(7.0, 6.0)
    ax = fig.add_subplot()
    if segs:
        norm = Normalize(min(snrs), max(max(snrs), min(snrs) + 1))
        cmap = colormaps["plasma"]
        ax.add_collection(LineCollection(segs, colors=[cmap(norm(s)) for s in snrs], linewidths=1.2,
                                         alpha=0.85, zorder=1))
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                     label="link SNR (dB)" if noise is not None else "received signal (dBm)")
    n = len(radios)
    size = 40 if n <= 100 else 12 if n <= 1000 else 3
    for kind, marker, colour, label in (("ap", "^", "#08519c", "access point"),
                                        ("sta", "o", "#555", "station"), ("other", "s", "#a50f15", "other")):
        pts = [_where(r) for name, r in radios.items() if kinds.get(name, "other") == kind]
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=size * (2 if kind == "ap" else 1),
                       marker=marker, c=colour, label=f"{label} ({len(pts)})", zorder=2)
    if n <= 30:
        for name, r in radios.items():
            ax.annotate(name, _where(r), fontsize="x-small", xytext=(3, 3),
                        textcoords="offset points")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.autoscale_view()
    if radios:
        ax.legend(fontsize="small", loc="upper right")
    ax.grid(alpha=0.3)
    assoc = len(segs)
    return Plot(title, _png(fig), f"{n} radios; {assoc} stations associated, each line to its access point, "
                "coloured by " + ("SNR" if noise is not None else "received signal") + ".")


def timeline(transitions: Sequence[tuple[int, str, str, str]], vaps: Sequence[str], seconds: float,
             title: str = "Timeline") -> Plot:
    """State of each vap over virtual time (a bar per vap), or, with more
    than MAX_GANTT_ROWS vaps, how many vaps are in each state over time."""
    from matplotlib.patches import Patch

    end_ns = round(seconds * 1e9)
    by_vap: dict[str, list[tuple[int, str]]] = {v: [(0, "INIT")] for v in vaps}
    for t, name, _old, new in transitions:
        by_vap.setdefault(name, [(0, "INIT")]).append((t, new))
    names = list(by_vap)
    if len(names) <= MAX_GANTT_ROWS:
        fig = _figure(8.0, max(2.5, 1.2 + 0.28 * len(names)))
        ax = fig.add_subplot()
        for row, name in enumerate(names):
            steps = by_vap[name] + [(end_ns, "")]
            for (t0, st), (t1, _) in zip(steps, steps[1:], strict=False):
                if t1 > t0:
                    ax.barh(row, (t1 - t0) / 1e9, left=t0 / 1e9, height=0.8,
                            color=STATE_COLOURS.get(st, "#000"), linewidth=0)
        ax.set_yticks(range(len(names)), labels=names, fontsize="small")
        ax.invert_yaxis()
        caption = "Each bar: one vap's state over virtual time."
    else:
        fig = _figure(8.0, 4.2)
        ax = fig.add_subplot()
        grid = np.linspace(0, end_ns, 400)
        states = [s for s in STATE_COLOURS if any(st == s for v in by_vap.values() for _, st in v)]
        counts = {s: np.zeros(len(grid)) for s in states}
        for steps in by_vap.values():
            times = np.array([t for t, _ in steps])
            idx = np.searchsorted(times, grid, side="right") - 1
            labels = np.array([st for _, st in steps])[idx]
            for s in states:
                counts[s] += labels == s
        ax.stackplot(grid / 1e9, *[counts[s] for s in states], colors=[STATE_COLOURS[s] for s in states])
        ax.set_ylabel("vaps")
        caption = f"How many of the {len(names)} vaps are in each state over virtual time."
    ax.set_xlim(0, seconds)
    ax.set_xlabel("virtual time (s)")
    used = [s for s in STATE_COLOURS if any(st == s for v in by_vap.values() for _, st in v)]
    fig.legend(handles=[Patch(color=STATE_COLOURS[s], label=s) for s in used], loc="outside right upper",
               fontsize="small")
    return Plot(title, _png(fig), caption)


# -- pages --------------------------------------------------------------------------
def page(title: str, intro_html: str, plots: Sequence[Plot], extra_html: str = "") -> str:
    """A self-contained HTML page: the plots as embedded PNG images."""
    e = html.escape
    figs = "\n".join(p.html() for p in plots)
    return _PAGE.format(title=e(title), intro=intro_html, plots=figs, extra=extra_html)


PAGE_STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
figure.plot { display: inline-block; margin: 0 1.5em 1.5em 0; vertical-align: top; }
figure.plot h3 { margin: 0 0 0.3em 0; font-size: 1em; }
figure.plot img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #555; max-width: 44em; }
table { border-collapse: collapse; }
td, th { border: 1px solid #bbb; padding: 0.2em 0.6em; vertical-align: top; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>""" + PAGE_STYLE.replace("{", "{{").replace("}", "}}") + """</style></head>
<body>
<h1>{title}</h1>
{intro}
<section id="plots">
{plots}
</section>
{extra}
</body></html>
"""
