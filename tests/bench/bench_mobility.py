"""Mobility benchmark: what moving one radio costs against computing every
link of the world again, in a dense and a sparse world of 10,000 radios
(log-distance path loss, exponent 3.5, 20 dBm: a hearing range of ~200 m).

Prints figures (`--json` for JSON).  Never a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from drivers.hwsim.medium import HwsimMedium  # noqa: E402
from drivers.hwsim.world import ModelSpec  # noqa: E402
from ic import Scheduler  # noqa: E402


def world(n: int, side_m: float, moves: int) -> dict[str, float]:
    rng = np.random.default_rng(1)
    med = HwsimMedium(Scheduler(), model=ModelSpec(kind="path_loss", path_loss="log_distance",
                                                   params={"exponent": 3.5}))
    for k, p in enumerate(rng.uniform(0, side_m, size=(n, 2))):
        med.add_port(f"r{k}", position=p)
    t = time.perf_counter()
    med._sync_links()
    full = time.perf_counter() - t
    t = time.perf_counter()
    for k in range(moves):
        med.ports[k].move_to(rng.uniform(0, side_m, size=2))
        med._sync_links()
    one = (time.perf_counter() - t) / moves
    assert med.links_rebuilt == 1
    return {"radios": n, "side_m": side_m, "links": med.num_links, "links_per_radio": med.num_links / n,
            "full_s": full, "move_ms": one * 1000, "ratio": full / one}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--radios", type=int, default=10_000)
    ap.add_argument("--moves", type=int, default=100)
    args = ap.parse_args()
    out = [world(args.radios, side, args.moves) for side in (1000.0, 5000.0)]
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for r in out:
            print(f"{r['radios']} radios in a {r['side_m']:.0f} m square, {r['links_per_radio']:.0f} links "
                  f"each: all links {r['full_s']:.3f} s, one radio moved {r['move_ms']:.3f} ms "
                  f"({r['ratio']:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
