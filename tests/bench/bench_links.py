"""Link-building benchmark: `model.link_rows` (the links a modeled medium
computes at its first step) on the density worlds of bench_scenario
(`--deployment density`: ~100 m² per radio, log-distance exponent 3.5,
20 dBm, the link floor of world.LINK_FLOOR_DB) from 50 APs + 500 stations up.

Prints, per world, the best of `--repeat` runs: seconds, µs per radio, links
and ns per link, and the growth exponent of the time per radio with the
world's size (`--json` for JSON).  Never a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core: no BLAS threads spinning beside us

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scenario import DENSITY_EXPONENT, TX_POWER_DBM, _density_positions  # noqa: E402

from drivers.hwsim.kernel import model  # noqa: E402
from drivers.hwsim.world import LINK_FLOOR_DB  # noqa: E402


def density_world(aps: int, stas: int, seed: int = 1) -> np.ndarray:
    """(n, 3) positions of bench_scenario's density world (z = 0, as the medium has them)."""
    ap_pos, sta_pos = _density_positions(aps, stas, seed)
    pos = np.zeros((aps + stas, 3))
    pos[:, :2] = np.array(ap_pos + sta_pos)
    return pos


def time_links(pos: np.ndarray, repeat: int) -> tuple[float, int]:
    """(best seconds of `repeat` runs, links) of link_rows over the whole world."""
    best, links = math.inf, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        links = 0
        for _, to, _ in model.link_rows(pos, TX_POWER_DBM, "log_distance", floor_db=LINK_FLOOR_DB,
                                        exponent=DENSITY_EXPONENT):
            links += len(to)
        best = min(best, time.perf_counter() - t0)
    return best, links


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--aps", type=int, nargs="+", default=[50, 200, 500, 1000],
                    help="world sizes in APs (ten stations each)")
    ap.add_argument("--repeat", type=int, default=3, help="report the best of this many runs")
    args = ap.parse_args()

    worlds = []
    for aps in args.aps:
        pos = density_world(aps, 10 * aps)
        dt, links = time_links(pos, args.repeat)
        n = len(pos)
        worlds.append({"aps": aps, "stations": 10 * aps, "links": links, "seconds": round(dt, 4),
                       "us_per_radio": round(dt / n * 1e6, 1),
                       "ns_per_link": round(dt / max(links, 1) * 1e9, 1)})
    out: dict[str, object] = {"worlds": worlds}
    if len(worlds) > 1:
        first, last = worlds[0], worlds[-1]
        # time per radio ~ radios^k: k = 0 is linear work in the world's size
        out["us_per_radio_growth_exponent"] = round(
            math.log(last["us_per_radio"] / first["us_per_radio"]) / math.log(last["aps"] / first["aps"]), 3)
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{'APs':>6} {'stations':>9} {'links':>11} {'seconds':>8} {'us/radio':>9} {'ns/link':>8}")
    for w in worlds:
        print(f"{w['aps']:>6} {w['stations']:>9} {w['links']:>11,} {w['seconds']:>8.3f} "
              f"{w['us_per_radio']:>9.1f} {w['ns_per_link']:>8.1f}")
    if "us_per_radio_growth_exponent" in out:
        print(f"growth exponent of the time per radio: {out['us_per_radio_growth_exponent']}")


if __name__ == "__main__":
    main()
