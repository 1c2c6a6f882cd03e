"""Vap create+destroy rate on one device and memory per idle vap.

Targets (issue 2): >= 5,000 create+destroy per second; <= 16 KiB per idle vap
with 10,000 vaps on one device.  Prints figures; `--json` prints JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import pathlib
import sys
import time
import tracemalloc

_here = pathlib.Path(__file__).resolve()
sys.path[:0] = [str(_here.parents[2]), str(_here.parents[1])]  # the repo and tests/
from support.testdriver import TestCom  # noqa: E402

from net80211 import OpMode, Scheduler  # noqa: E402


def create_destroy_rate(n: int) -> float:
    ic = TestCom(Scheduler())
    ic.create_vap("wlan0", OpMode.HOSTAP, channel=6).up()  # one busy neighbour
    modes = [OpMode.STA, OpMode.HOSTAP, OpMode.MONITOR]
    t0 = time.perf_counter()
    for i in range(n):
        vap = ic.create_vap("wlan1", modes[i % 3])
        ic.destroy_vap(vap)
    return n / (time.perf_counter() - t0)


def up_down_rate(n: int) -> float:
    ic = TestCom(Scheduler())
    vap = ic.create_vap("wlan0", OpMode.HOSTAP, channel=6)
    t0 = time.perf_counter()
    for _ in range(n):
        vap.up()
        ic.sched.run_tasks()
        vap.down()
        ic.sched.run_tasks()
    return n / (time.perf_counter() - t0)


def memory_per_vap(n: int) -> tuple[float, float]:
    ic = TestCom(Scheduler())
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    for i in range(n):
        ic.create_vap(f"w{i}", OpMode.STA if i % 2 else OpMode.HOSTAP)
    elapsed = time.perf_counter() - t0
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    ic.detach()
    return (after - before) / n, n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--vaps", type=int, default=10_000)
    args = ap.parse_args()
    rate = create_destroy_rate(args.n)
    updown = up_down_rate(args.n // 4)
    per_vap, create_rate_many = memory_per_vap(args.vaps)
    res = {
        "create_destroy_per_s": round(rate),
        "up_down_per_s": round(updown),
        "bytes_per_idle_vap": round(per_vap),
        "idle_vaps": args.vaps,
        "create_per_s_filling_10k": round(create_rate_many),
        "targets": {"create_destroy_per_s": 5000, "bytes_per_idle_vap": 16384},
    }
    if args.json:
        print(json.dumps(res))
    else:
        print(f"create+destroy on one device: {rate:,.0f}/s (target >= 5,000)")
        print(f"up+down (to RUN and back):   {updown:,.0f}/s")
        print(f"memory per idle vap:         {per_vap / 1024:.2f} KiB with {args.vaps:,} vaps "
              f"(target <= 16 KiB); creating them: {create_rate_many:,.0f}/s")


if __name__ == "__main__":
    main()
