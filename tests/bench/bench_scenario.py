"""Scenario benchmark: N HOSTAP radios (SSIDs net0..net{N-1}) and 10 N
station radios (station j joins net(j mod N)), 10 s of virtual time, run
through the scenario runner, in two deployments:

- `one-channel` (default): channel 1, everyone placed at random in one
  50 m x 50 m square, log-distance exponent 3.0 (all within earshot);
  10/100, 20/200, 50/500 and 100/1000 radios; ns-3 3.37's association
  count on the same workload is printed beside ours (489/500, 970/1000).
- `density` (--deployment density): channels 1/6/11 (AP i on the i-th of
  them, its stations with it), ~100 m² per radio (a square of side
  sqrt(100 (N + 10 N)) m), log-distance exponent 3.5; 50/500 up to
  1000/10000 radios.  Its cost should grow about linearly with N.
- `density-tiles` (--deployment density-tiles): the same sizes made of
  copies of the 50/500 `density` world (a tile: its positions, channels
  and SSIDs' pattern) side by side, further apart than the medium kernel
  compares two transmissions (its spatial cells), so no link crosses from
  one tile to another and no transmission is ever looked at as an
  interferer in another tile.  A bigger `density` world has
  fewer of its radios near an edge, so each frame reaches more of them and
  costs more; in tiles every frame reaches what it does at 50/500 whatever
  the size, so what the cost still grows by is the code's, not the
  geometry's.

Every size runs in a subprocess of its own so that its peak RSS
(getrusage ru_maxrss) is its own.  Reports wall time (build and run), peak
RSS, associations completed, frames on the medium, Python-level receptions (and the beacons the
stations' radios kept back instead, hwsim(4)),
collisions and scheduler events per second, per frame the on-channel
receivers the kernel looked at and the deliveries, CPU per delivery, and the
growth exponent of wall time, CPU time and RSS between consecutive sizes,
from the smallest to the largest, and fitted over all sizes.  Prints figures (`--json` for
JSON, `--profile` for the cProfile top functions of the largest size).
Never a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from drivers.hwsim.world import ModelSpec  # noqa: E402
from net80211.scenario import ScenarioRun, scenario_from_dict  # noqa: E402

SIZES = {
    "one-channel": ((10, 100), (20, 200), (50, 500), (100, 1000)),
    "density": ((50, 500), (100, 1000), (200, 2000), (500, 5000), (1000, 10000)),
    "density-tiles": ((50, 500), (100, 1000), (200, 2000), (500, 5000), (1000, 10000)),
}
TILE = (50, 500)  # a density-tiles tile: the smallest density world
M2_PER_RADIO = 100.0
DENSITY_EXPONENT = 3.5
TX_POWER_DBM = 20.0  # hwsim's default
# Stations ns-3 3.37 (Debian) associated on the one-channel workload, same
# placement rules and 10 s (issue 17): printed beside ours.
NS3_ASSOCIATED = {(50, 500): 489, (100, 1000): 970}
DENSITY_CHANNELS = (1, 6, 11)


def scenario(aps: int, stas: int, seconds: float, seed: int, jitter: float = 0.0,
             deployment: str = "one-channel") -> dict[str, Any]:
    if deployment == "density":
        ap_pos, sta_pos = _density_positions(aps, stas, seed)
        placed: list[dict[str, Any]] = [{"positions": ap_pos}, {"positions": sta_pos}]
        exponent = DENSITY_EXPONENT
        ap_chan: Any = [DENSITY_CHANNELS[i % 3] for i in range(aps)]
    elif deployment == "density-tiles":
        ap_pos, sta_pos = _tiled_positions(aps, stas, seed)
        placed = [{"positions": ap_pos}, {"positions": sta_pos}]
        exponent = DENSITY_EXPONENT
        ap_chan = [DENSITY_CHANNELS[i % TILE[0] % 3] for i in range(aps)]
    else:
        placed = [{"placement": "random", "area": [50, 50]}] * 2
        exponent, ap_chan = 3.0, [1] * aps
    jit = {"start_jitter": jitter} if jitter else {}
    return {
        "scenario": {"name": f"bench-{deployment}-{aps}-{stas}", "seconds": seconds, "seed": seed},
        "medium": {"model": "log_distance", "params": {"exponent": exponent}},
        "radios": [
            {"count": aps, "name": "ap{i}", **placed[0]},
            {"count": stas, "name": "sta{i}", **placed[1]},
        ],
        "vaps": [
            *({"name": f"wap{i}", "radio": f"ap{i}", "mode": "hostap", "ssid": f"net{i}",
               "channel": ap_chan[i]} for i in range(aps)),
            *({"name": f"wsta{j}", "radio": f"sta{j}", "mode": "sta", "ssid": f"net{j % aps}",
               "channel": ap_chan[j % aps], **jit} for j in range(stas)),
        ],
    }


def _density_positions(aps: int, stas: int, seed: int) -> tuple[list[list[float]], list[list[float]]]:
    """APs at random; each station within its AP's share of the area (a
    square of side sqrt(100 m² x 11) around it), so every BSS is reachable
    and the whole stays at ~100 m² per radio."""
    side = math.sqrt(M2_PER_RADIO * (aps + stas))
    half = math.sqrt(M2_PER_RADIO * (aps + stas) / aps) / 2
    rng = random.Random(f"bench-density/{seed}")
    ap_pos = [[round(rng.uniform(0, side), 2), round(rng.uniform(0, side), 2)] for _ in range(aps)]
    sta_pos = [[round(min(side, max(0.0, ap_pos[j % aps][k] + rng.uniform(-half, half))), 2)
                for k in (0, 1)] for j in range(stas)]
    return ap_pos, sta_pos


def tile_gap_m() -> float:
    """Between tiles: more than the farthest two senders the medium kernel
    still compares (its cells, world.ModelSpec.cells: two cells are looked
    at together while at most `reach` cells lie between them, so senders
    (reach + 2) cells apart never are).  That is well beyond the farthest
    link (the hearing range, 205 m here), so the tiles do not hear each
    other either, and no tile's frame costs another tile anything."""
    spec = ModelSpec(params={"exponent": DENSITY_EXPONENT})
    cells = spec.cells(np.zeros((1, 2)), np.array([TX_POWER_DBM]))
    assert cells is not None  # a path-loss model has cells
    _, reach, size = cells
    return (reach + 2) * size + 1.0


def _tiled_positions(aps: int, stas: int, seed: int) -> tuple[list[list[float]], list[list[float]]]:
    """Copies of the TILE-sized density world in a square-ish grid: AP i is
    AP i mod 50 of tile i // 50; station j (which joins AP j mod aps) is the
    tile's station that joins the same AP there."""
    ta, ts = TILE
    if aps % ta or stas != aps * ts // ta:
        raise SystemExit(f"density-tiles sizes are multiples of {ta}/{ts}, not {aps}/{stas}")
    tile_ap, tile_sta = _density_positions(ta, ts, seed)
    pitch = math.sqrt(M2_PER_RADIO * (ta + ts)) + tile_gap_m()
    cols = math.ceil(math.sqrt(aps // ta))

    def at(p: list[float], tile: int) -> list[float]:
        return [round(p[0] + pitch * (tile % cols), 2), round(p[1] + pitch * (tile // cols), 2)]

    ap_pos = [at(tile_ap[i % ta], i // ta) for i in range(aps)]
    # station j's AP a = j mod aps; in the tile, station (j // aps) * ta + a mod ta joins a mod ta
    sta_pos = [at(tile_sta[(j // aps) * ta + j % aps % ta], j % aps // ta) for j in range(stas)]
    return ap_pos, sta_pos


def measure(aps: int, stas: int, seconds: float, seed: int, jitter: float = 0.0,
            profile: bool = False, deployment: str = "one-channel") -> dict[str, Any]:
    sc = scenario_from_dict(scenario(aps, stas, seconds, seed, jitter, deployment))
    prof = cProfile.Profile() if profile else None
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru.ru_utime + ru.ru_stime
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
    ru = resource.getrusage(resource.RUSAGE_SELF)
    stas_run = [v for v in result["vaps"] if v["mode"] == "sta"]
    assoc = sum(1 for v in stas_run if v["state"] == "RUN")
    right = sum(1 for v in stas_run if v["state"] == "RUN" and v["bss"] and v["bss"]["ssid"] ==
                f"net{int(v['name'][4:]) % aps}")
    m = result["medium"]
    wall = t2 - t0
    out = {
        "deployment": deployment, "aps": aps, "stas": stas, "start_jitter_s": jitter,
        "virtual_s": result["virtual_s"], "wall_s": round(wall, 3),
        # ru_maxrss is in KiB on Linux: the peak of this process (one size)
        "peak_rss_mib": round(ru.ru_maxrss / 1024, 1),
        # CPU time of build and run: less disturbed than wall time on a shared machine
        "cpu_s": round(ru.ru_utime + ru.ru_stime - cpu0, 3),
        "build_s": round(t1 - t0, 3), "run_s": round(t2 - t1, 3),
        "associated": assoc, "associated_to_own_ssid": right,
        "ap_stations": sum(len(v.get("stations", [])) for v in result["vaps"] if v["mode"] == "hostap"),
        "medium_frames": m.get("frames", 0), "medium_deliveries": m.get("deliveries", 0),
        "python_receptions": m.get("rx", 0), "collisions": m.get("collisions", 0),
        # beacons the stations' radios kept back (their beacon filter): no Python work
        "beacons_filtered": m.get("bcn_filtered", 0),
        "collided_transmissions": m.get("collided", 0), "attempts": m.get("attempts", 0),
        "events": result["events_run"], "events_per_s": round(result["events_run"] / (t2 - t1)),
        # Work per frame: on-channel receivers the kernel looked at (link_evals) and
        # deliveries per transmitted frame, CPU per delivery.  The counts grow
        # linearly with N; a per-frame figure that grows is the deployment (fewer
        # radios near the edge of a bigger square), a per-delivery CPU that grows
        # is the code.
        "link_evals": m.get("link_evals", 0),
        "receivers_per_frame": round(m.get("link_evals", 0) / max(1, m.get("frames", 0)), 2),
        "deliveries_per_frame": round(m.get("deliveries", 0) / max(1, m.get("frames", 0)), 2),
        # transmissions the kernel looked at as possible interferers, per frame
        # (spatial cells keep the far ones out)
        "overlaps": m.get("overlaps", 0),
        "overlaps_per_frame": round(m.get("overlaps", 0) / max(1, m.get("frames", 0)), 2),
    }
    _per_work(out)
    ns3 = NS3_ASSOCIATED.get((aps, stas)) if deployment == "one-channel" else None
    if ns3 is not None:
        out["ns3_associated"] = ns3
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(25)
        out["profile"] = s.getvalue()
    return out


def _per_work(r: dict[str, Any]) -> None:
    """CPU per delivery and per on-channel receiver the kernel looked at."""
    r["cpu_us_per_delivery"] = round(r["cpu_s"] * 1e6 / max(1, r["python_receptions"]), 2)
    r["cpu_ns_per_receiver"] = round(r["cpu_s"] * 1e9 / max(1, r["link_evals"]), 1)


def _in_subprocess(args: argparse.Namespace, aps: int, stas: int, profile: bool) -> dict[str, Any]:
    """measure() in a fresh interpreter, so that peak RSS is this size's."""
    cmd = [sys.executable, __file__, "--one", f"{aps}/{stas}", "--seconds", str(args.seconds),
           "--seed", str(args.seed), "--start-jitter", str(args.start_jitter),
           "--deployment", args.deployment] + (["--profile"] if profile else [])
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return dict(json.loads(out))


def _exponent(a: float, b: float, na: int, nb: int) -> float | None:
    return round(math.log(b / a) / math.log(nb / na), 2) if a > 0 and b > 0 and nb != na else None


def _fit(points: list[tuple[int, float]]) -> float | None:
    """k of cost ~ N^k, least squares on log-log over all sizes."""
    pts = [(math.log(n), math.log(c)) for n, c in points if n > 0 and c > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return round(sum((x - mx) * (y - my) for x, y in pts) / sxx, 2) if sxx else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--deployment", choices=sorted(SIZES), default="one-channel",
                    help="one-channel (everyone in 50 m x 50 m on channel 1), density (channels "
                    "1/6/11, 100 m² per radio) or density-tiles (copies of the 50/500 density world)")
    ap.add_argument("--sizes", default=None,
                    help="comma-separated APS/STAS pairs (default: the deployment's sizes)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each size N times; wall figures are the best, with the median beside "
                    "(the machine may be shared)")
    ap.add_argument("--profile", action="store_true", help="cProfile the largest size")
    ap.add_argument("--start-jitter", type=float, default=0.0, metavar="S",
                    help="stations come up at random times within the first S seconds "
                    "(default 0: all at once)")
    ap.add_argument("--one", metavar="APS/STAS", help=argparse.SUPPRESS)  # the per-size subprocess
    args = ap.parse_args()
    if args.one:
        a, s = (int(x) for x in args.one.split("/"))
        r = measure(a, s, args.seconds, args.seed, args.start_jitter, args.profile, args.deployment)
        print(json.dumps(r))
        return
    spec = args.sizes or ",".join(f"{a}/{s}" for a, s in SIZES[args.deployment])
    sizes = [tuple(int(x) for x in p.split("/")) for p in spec.split(",")]
    results: list[dict[str, Any]] = []
    for a, s in sizes:
        runs = [_in_subprocess(args, a, s, args.profile and (a, s) == sizes[-1] and k == 0)
                for k in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["wall_s"])
        best["wall_median_s"] = round(statistics.median(r["wall_s"] for r in runs), 3)
        best["peak_rss_mib"] = min(r["peak_rss_mib"] for r in runs)
        best["cpu_s"] = min(r["cpu_s"] for r in runs)
        _per_work(best)
        best["runs"] = len(runs)
        if "profile" in runs[0]:
            best["profile"] = runs[0]["profile"]
        if not args.json:
            _print(best)
        results.append(best)
    base = results[0]["wall_s"]
    for prev, r in zip([None, *results], results, strict=False):
        r["wall_vs_smallest"] = round(r["wall_s"] / base, 2) if base else None
        n = r["aps"] + r["stas"]
        if prev is not None:
            pn = prev["aps"] + prev["stas"]
            # cost ~ N^k between this size and the previous one
            r["wall_exponent"] = _exponent(prev["wall_s"], r["wall_s"], pn, n)
            r["cpu_exponent"] = _exponent(prev["cpu_s"], r["cpu_s"], pn, n)
            r["rss_exponent"] = _exponent(prev["peak_rss_mib"], r["peak_rss_mib"], pn, n)
    if len(results) > 1:
        first, last = results[0], results[-1]
        n0, n1 = first["aps"] + first["stas"], last["aps"] + last["stas"]
        overall = _exponent(first["wall_s"], last["wall_s"], n0, n1)
        overall_cpu = _exponent(first["cpu_s"], last["cpu_s"], n0, n1)
        fit_cpu = _fit([(r["aps"] + r["stas"], r["cpu_s"]) for r in results])
        # per unit of work: CPU over the receivers each frame reaches (the
        # geometry's share taken out)
        fit_work = _fit([(r["aps"] + r["stas"], r["cpu_s"] / max(r["receivers_per_frame"], 1e-9))
                         for r in results])
    else:
        overall = overall_cpu = fit_cpu = fit_work = None
    if args.json:
        print(json.dumps({"bench": "scenario", "deployment": args.deployment, "wall_exponent": overall,
                          "cpu_exponent": overall_cpu,
                          "cpu_exponent_fit": fit_cpu, "cpu_per_receiver_exponent_fit": fit_work,
                          "results": [{k: v for k, v in r.items() if k != "profile"} for r in results]},
                         indent=2))
    else:
        print("curve:")
        for r in results:
            print(f"  {r['aps'] + r['stas']:6d} radios: wall {r['wall_s']:7.2f} s, CPU {r['cpu_s']:7.2f} s, "
                  f"peak RSS {r['peak_rss_mib']:7.1f} MiB, associated {r['associated']}/{r['stas']}"
                  + (f" (ns-3: {r['ns3_associated']})" if "ns3_associated" in r else "")
                  + f", {r['receivers_per_frame']:.0f} receivers/frame, "
                    f"{r['overlaps_per_frame']:.1f} overlaps/frame, "
                    f"{r['cpu_us_per_delivery']:.1f} µs CPU/delivery"
                  + (f"; since the previous size wall ~N^{r['wall_exponent']}, CPU ~N^{r['cpu_exponent']}, "
                     f"RSS ~N^{r['rss_exponent']}" if "wall_exponent" in r else ""))
        if overall is not None:
            print(f"  from the smallest to the largest size: wall ~N^{overall}, CPU ~N^{overall_cpu} "
                  f"(least-squares fit over all sizes: CPU ~N^{fit_cpu}; CPU per receiver reached per "
                  f"frame ~N^{fit_work})")
    for r in results:
        if "profile" in r:
            print(r["profile"], file=sys.stderr if args.json else sys.stdout)


def _print(r: dict[str, Any]) -> None:
    med = f", median of {r['runs']} {r['wall_median_s']:.2f} s" if r["runs"] > 1 else ""
    print(f"{r['aps']:4d} APs / {r['stas']:5d} STAs ({r['deployment']}), {r['virtual_s']:.0f} s virtual: "
          f"wall {r['wall_s']:.2f} s (build {r['build_s']:.2f}, run {r['run_s']:.2f}{med}), "
          f"CPU {r['cpu_s']:.2f} s, peak RSS {r['peak_rss_mib']:.0f} MiB", flush=True)
    ns3 = f" (ns-3 3.37: {r['ns3_associated']})" if "ns3_associated" in r else ""
    print(f"    associated {r['associated']}/{r['stas']}{ns3} ({r['associated_to_own_ssid']} to their own "
          f"SSID), medium frames {r['medium_frames']}, Python receptions {r['python_receptions']} "
          f"(beacons kept back by the radios' filters {r.get('beacons_filtered', 0)}), "
          f"collisions {r['collisions']} at receivers ({r['collided_transmissions']} of {r['attempts']} "
          f"transmissions), {r['events_per_s']:,} events/s", flush=True)
    print(f"    per frame: {r['receivers_per_frame']} on-channel receivers looked at, "
          f"{r['deliveries_per_frame']} deliveries, {r['overlaps_per_frame']} transmissions compared as "
          f"interferers; {r['cpu_us_per_delivery']} µs CPU per delivery, {r['cpu_ns_per_receiver']} ns per "
          f"receiver", flush=True)


if __name__ == "__main__":
    main()
