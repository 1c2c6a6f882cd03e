"""Scenario benchmark: N HOSTAP radios (SSIDs net0..net{N-1}) and 10 N
station radios (station j joins net(j mod N)), one channel, all placed at
random in a 50 m x 50 m square, log-distance medium, 10 s of virtual time,
run through the scenario runner.

Reports wall time (build and run), associations completed, frames on the
medium, Python-level receptions and scheduler events per second, for
10/100, 20/200 and 50/500 radios.  Prints figures (`--json` for JSON,
`--profile` for the cProfile top functions of the largest size).  Never a
pass/fail threshold.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from net80211.scenario import ScenarioRun, scenario_from_dict  # noqa: E402

SIZES = ((10, 100), (20, 200), (50, 500))


def scenario(aps: int, stas: int, seconds: float, seed: int, jitter: float = 0.0) -> dict[str, Any]:
    return {
        "scenario": {"name": f"bench-{aps}-{stas}", "seconds": seconds, "seed": seed},
        "medium": {"model": "log_distance", "params": {"exponent": 3.0}},
        "radios": [
            {"count": aps, "name": "ap{i}", "placement": "random", "area": [50, 50]},
            {"count": stas, "name": "sta{i}", "placement": "random", "area": [50, 50]},
        ],
        "vaps": [
            {"repeat": aps, "name": "wap{i}", "radio": "ap{i}", "mode": "hostap", "ssid": "net{i}",
             "channel": 1},
            {"repeat": stas, "name": "wsta{i}", "radio": "sta{i}", "mode": "sta", "ssid": f"net{{i%{aps}}}",
             "channel": 1, **({"start_jitter": jitter} if jitter else {})},
        ],
    }


def measure(aps: int, stas: int, seconds: float, seed: int, jitter: float = 0.0,
            profile: bool = False) -> dict[str, Any]:
    sc = scenario_from_dict(scenario(aps, stas, seconds, seed, jitter))
    prof = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    run = ScenarioRun(sc)
    if prof:
        prof.enable()
    run.build()
    t1 = time.perf_counter()
    result = run.run()
    t2 = time.perf_counter()
    if prof:
        prof.disable()
    stas_run = [v for v in result["vaps"] if v["mode"] == "sta"]
    assoc = sum(1 for v in stas_run if v["state"] == "RUN")
    right = sum(1 for v in stas_run if v["state"] == "RUN" and v["bss"] and v["bss"]["ssid"] ==
                f"net{int(v['name'][4:]) % aps}")
    m = result["medium"]
    wall = t2 - t0
    out = {
        "aps": aps, "stas": stas, "start_jitter_s": jitter, "virtual_s": result["virtual_s"],
        "wall_s": round(wall, 3),
        "build_s": round(t1 - t0, 3), "run_s": round(t2 - t1, 3),
        "associated": assoc, "associated_to_own_ssid": right,
        "ap_stations": sum(len(v.get("stations", [])) for v in result["vaps"] if v["mode"] == "hostap"),
        "medium_frames": m.get("frames", 0), "medium_deliveries": m.get("deliveries", 0),
        "python_receptions": m.get("rx", 0), "collisions": m.get("collisions", 0),
        "events": result["events_run"], "events_per_s": round(result["events_run"] / (t2 - t1)),
    }
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(25)
        out["profile"] = s.getvalue()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sizes", default=",".join(f"{a}/{s}" for a, s in SIZES),
                    help="comma-separated APS/STAS pairs (default 10/100,20/200,50/500)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each size N times; wall figures are the best, with the median beside "
                    "(the machine may be shared)")
    ap.add_argument("--profile", action="store_true", help="cProfile the largest size")
    ap.add_argument("--start-jitter", type=float, default=0.0, metavar="S",
                    help="stations come up at random times within the first S seconds "
                    "(default 0: all at once)")
    args = ap.parse_args()
    sizes = [tuple(int(x) for x in p.split("/")) for p in args.sizes.split(",")]
    results = []
    for a, s in sizes:
        runs = [measure(a, s, args.seconds, args.seed, args.start_jitter,
                        profile=args.profile and (a, s) == sizes[-1] and k == 0)
                for k in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["wall_s"])
        best["wall_median_s"] = round(statistics.median(r["wall_s"] for r in runs), 3)
        best["runs"] = len(runs)
        if "profile" in runs[0]:
            best["profile"] = runs[0]["profile"]
        results.append(best)
    base = results[0]["wall_s"]
    for r in results:
        r["wall_vs_smallest"] = round(r["wall_s"] / base, 2) if base else None
    if args.json:
        print(json.dumps({"bench": "scenario", "results": [{k: v for k, v in r.items() if k != "profile"}
                                                           for r in results]}, indent=2))
    else:
        for r in results:
            med = f", median of {r['runs']} {r['wall_median_s']:.2f} s" if r["runs"] > 1 else ""
            print(f"{r['aps']:3d} APs / {r['stas']:4d} STAs, {r['virtual_s']:.0f} s virtual: "
                  f"wall {r['wall_s']:.2f} s (build {r['build_s']:.2f}, run {r['run_s']:.2f}; "
                  f"x{r['wall_vs_smallest']} of the smallest{med})")
            print(f"    associated {r['associated']}/{r['stas']} ({r['associated_to_own_ssid']} to their own "
                  f"SSID), medium frames {r['medium_frames']}, Python receptions {r['python_receptions']}, "
                  f"collisions {r['collisions']}, {r['events_per_s']:,} events/s")
    for r in results:
        if "profile" in r:
            print(r["profile"], file=sys.stderr if args.json else sys.stdout)


if __name__ == "__main__":
    main()
