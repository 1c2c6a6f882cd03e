"""One run of a sweep, as a worker does it (in this process, a worker
process or a Ray task), and the figures a results table keeps of it."""

from __future__ import annotations

import errno
import statistics
import time
import tomllib
import traceback
from pathlib import Path
from typing import Any

from ic import OpMode, parse_wlanmode
from net80211.scenario.loader import scenario_from_dict
from net80211.scenario.runner import ScenarioRun
from net80211.scenario.source import SourceIndex
from net80211.sweep.spec import RunSpec, apply_override


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Run one cell's replicate; its record for results.jsonl.  A run that
    fails is a record too, with its error (the sweep goes on)."""
    t0 = time.perf_counter()
    head: dict[str, Any] = {"cell": spec.cell, "replicate": spec.replicate, "seed": spec.seed}
    try:
        data = tomllib.loads(spec.scenario_text)
        for path, value in spec.overrides:
            problem = apply_override(data, path, value)
            if problem is not None:
                raise ValueError(problem)
        sc = scenario_from_dict(data, file=spec.scenario_file, source=SourceIndex(spec.scenario_text),
                                seed=spec.seed)
        result = ScenarioRun(sc, outdir=Path(spec.outdir)).run()
    except Exception as e:  # recorded, not raised: one bad run does not end the sweep
        return {**head, "error": error_record(e, traceback.format_exc()),
                "wall_s": round(time.perf_counter() - t0, 6)}
    return {**head, "result": result}


def error_record(e: BaseException, tb: str = "") -> dict[str, Any]:
    code = getattr(e, "errno", None)
    msg = getattr(e, "strerror", None) or str(e) or type(e).__name__
    out: dict[str, Any] = {"type": type(e).__name__, "message": msg,
                           "errno": code if isinstance(code, int) else None}
    if not isinstance(e, OSError) and tb:
        out["traceback"] = tb.rstrip().splitlines()[-12:]
    return out


def lost_record(spec: RunSpec, e: BaseException) -> dict[str, Any]:
    """The record of a run whose worker died before answering."""
    return {"cell": spec.cell, "replicate": spec.replicate, "seed": spec.seed,
            "error": {"type": type(e).__name__, "message": str(e), "errno": errno.EIO}, "wall_s": None}


# -- figures ----------------------------------------------------------------------
STA_MODES = (OpMode.STA, OpMode.P2P_CLIENT)


def is_station(mode_word: str) -> bool:
    try:
        return parse_wlanmode(mode_word)[0] in STA_MODES
    except ValueError:
        return False


def assoc_times(result: dict[str, Any]) -> list[float]:
    """When each station first associated (virtual seconds), those that did."""
    return sorted(v["run_at_s"] for v in result.get("vaps", ())
                  if is_station(v["mode"]) and v.get("run_at_s") is not None)


def figures(rec: dict[str, Any]) -> dict[str, Any]:
    """The main figures of a run: a row of the results table."""
    out: dict[str, Any] = {"status": "error" if "error" in rec else "ok"}
    if "error" in rec:
        out["error"] = rec["error"].get("message", "")
        out["wall_s"] = rec.get("wall_s")
        return out
    r = rec["result"]
    stations = [v for v in r["vaps"] if is_station(v["mode"])]
    times = assoc_times(r)
    flows = r.get("traffic", [])
    sent = sum(t["sent"] for t in flows)
    received = sum(t["received"] for t in flows)
    rtts = [t["rtt_avg_ms"] for t in flows if t["type"] == "ping" and t.get("rtt_avg_ms") is not None]
    out.update({
        "error": "", "virtual_s": r["virtual_s"], "wall_s": r.get("wall_s"), "radios": len(r["radios"]),
        "stations": len(stations), "associated": sum(v["state"] == "RUN" for v in stations),
        "assoc_median_s": round(statistics.median(times), 6) if times else None,
        "assoc_max_s": round(max(times), 6) if times else None,
        "flows": len(flows), "sent": sent, "received": received,
        "loss_pct": round(100.0 * (sent - received) / sent, 3) if sent else None,
        "goodput_kbps": round(sum(t.get("goodput_kbps") or 0.0 for t in flows if t["type"] == "udp"), 3),
        "rtt_avg_ms": round(statistics.fmean(rtts), 3) if rtts else None,
    })
    for k, v in r.get("medium", {}).items():
        out[f"medium_{k}"] = v
    return out
