"""Sweep benchmark: one small sweep (an 8-AP / 80-station modeled scenario,
3 x 2 cells, 2 replicates: 12 runs of 10 virtual seconds) run serially,
in 2 worker processes and as Ray tasks on a local Ray of 2 CPUs.  Reports
each wall time (Ray's with and without starting Ray) and whether the
three wrote the same results.jsonl (they must: only wall_s may differ).
Prints figures (`--json` for JSON).  Never a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from net80211.sweep import Backend, load_sweep, run_sweep  # noqa: E402
from net80211.sweep.engine import ray_init  # noqa: E402

BASE = """\
[scenario]
name = "bench-sweep"
seconds = 10
seed = 1

[medium]
model = "log_distance"
params = { exponent = 3.0 }

[[radios]]
count = 8
name = "ap{i}"
placement = "grid"
area = [80, 80]

[[radios]]
count = 80
name = "sta{i}"
placement = "random"
area = [80, 80]

[[vaps]]
repeat = 8
name = "wap{i}"
radio = "ap{i}"
mode = "hostap"
ssid = "net{i}"
channel = 1

[[vaps]]
repeat = 80
name = "wsta{i}"
radio = "sta{i}"
mode = "sta"
ssid = "net{i%8}"
start_jitter = 0.5

[[traffic]]
repeat = 8
type = "udp"
from = "wsta{i}"
to = "wap{i}"
rate = 100
size = 500
duration = 2.0
start = 2.0
"""

SWEEP = """\
[sweep]
scenario = "base.toml"
seed = 3
replicates = 2

[[axes]]
key = "medium.params.exponent"
values = [2.8, 3.2, 3.6]

[[axes]]
key = "medium.fading"
values = [0, 4]
"""

WALL = re.compile(rb'"wall_s":[-0-9.eE+]+')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        d = Path(tmp)
        (d / "base.toml").write_text(BASE)
        (d / "sweep.toml").write_text(SWEEP)
        sweep = load_sweep(d / "sweep.toml")
        res: dict[str, object] = {"runs": sweep.cell_count * sweep.replicates, "virtual_s_per_run": 10.0}
        files = {}
        for name, backend in (("serial", Backend(1)), ("workers_2", Backend(2))):
            out = run_sweep(sweep, d / name, backend, progress=False, report=False)
            res[f"{name}_wall_s"] = round(out.wall_s, 3)
            files[name] = (d / name / "results.jsonl").read_bytes()
        import ray

        t0 = time.perf_counter()
        ray_init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
        res["ray_start_s"] = round(time.perf_counter() - t0, 3)
        try:
            out = run_sweep(sweep, d / "ray", Backend(2, ray=""), progress=False, report=False)
        finally:
            ray.shutdown()
        res["ray_wall_s"] = round(out.wall_s, 3)
        res["ray_wall_with_start_s"] = round(out.wall_s + float(res["ray_start_s"]), 3)  # type: ignore[arg-type]
        files["ray"] = (d / "ray" / "results.jsonl").read_bytes()
        t0 = time.perf_counter()
        run_sweep(sweep, d / "serial", Backend(1), progress=False)  # nothing to run: the report alone
        res["report_s"] = round(time.perf_counter() - t0, 3)
        stripped = {k: WALL.sub(b'"wall_s":0', v) for k, v in files.items()}
        res["identical_results"] = len(set(stripped.values())) == 1
        # On a shared machine the others' load moves every figure: say how much there was.
        res["loadavg_1m"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(res))
    else:
        print(f"sweep of {res['runs']} runs x 10 virtual s (8 AP / 80 STA each):")
        print(f"  serial            {res['serial_wall_s']:8.2f} s")
        print(f"  --workers 2       {res['workers_2_wall_s']:8.2f} s")
        print(f"  Ray (2 CPUs)      {res['ray_wall_s']:8.2f} s  (+ {res['ray_start_s']:.2f} s to start Ray)")
        print(f"  report.html       {res['report_s']:8.2f} s")
        print(f"  results identical: {res['identical_results']}   (load average {res['loadavg_1m']} "
              f"on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
