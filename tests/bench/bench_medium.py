"""Medium benchmark: kernel link evaluations per second on a 1,000-radio
broadcast storm, frames per second on the perfect medium (kernel alone and
through HwsimMedium), the kernel/reference speed ratio on one world, and
frames per second through an external medium (hwsim-mediumd in a child
process, MAC80211_HWSIM genl over a UNIX socket) with the genl codec's cost.

Prints figures (`--json` for JSON).  Never a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core: no BLAS threads spinning beside us

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from drivers.hwsim.external import genl  # noqa: E402
from drivers.hwsim.kernel import (
    CKernel,  # noqa: E402
    model,  # noqa: E402
)
from drivers.hwsim.kernel.medtypes import (  # noqa: E402
    ADDR_OWN,
    BROADCAST,
    FIF_ALLMULTI,
    MODELED,
    PERFECT,
    RADIO_STARTED,
    TxReq,
)
from drivers.hwsim.kernel.reference import RefKernel  # noqa: E402
from drivers.hwsim.medium import HwsimMedium  # noqa: E402
from ic.sched import Scheduler  # noqa: E402


def storm_world(kernel_cls, n: int, seed: int):
    """n radios scattered over 150 m x 150 m, all hearing each other's broadcasts."""
    k = kernel_cls(MODELED, seed)
    rs = np.random.default_rng(seed)
    pos = rs.uniform(0, 150, (n, 2))
    snr = model.snr_matrix(pos, np.full(n, 20.0), "log_distance", exponent=3.0)
    for i in range(n):
        k.add_radio()
        k.set_radio(i, RADIO_STARTED, 2412, 0, 1, FIF_ALLMULTI, 20)
        k.addr_add(i, 0x020000000000 | (i << 8), ADDR_OWN)
    k.set_links(snr)
    return k


def storm(kernel_cls, n: int, rounds: int, seed: int = 1) -> tuple[float, dict[str, int]]:
    """Every radio broadcasts `rounds` frames at once; wall seconds of the medium work."""
    k = storm_world(kernel_cls, n, seed)
    t0 = time.perf_counter()
    for i in range(n):
        for _ in range(rounds):
            k.tx(TxReq(i, 200, BROADCAST, 0x020000000000 | (i << 8), BROADCAST, BROADCAST,
                       rates=((4, 1),)), 0)
    k.run(10**13)
    k.drain_count()
    return time.perf_counter() - t0, k.counters()


def perfect_kernel(frames: int, n: int = 10) -> float:
    k = CKernel(PERFECT, 0)
    for i in range(n):
        k.add_radio()
        k.set_radio(i, RADIO_STARTED, 2412, 0, 1, 0, 20)
        k.addr_add(i, 0x020000000000 | (i << 8), ADDR_OWN)
    req = TxReq(0, 1500, 0x020000000100, 0x020000000000, 0x020000000100, 0x020000000100,
                flags=1, rates=((0, 1),))
    t0 = time.perf_counter()
    for _ in range(frames):
        k.tx(req, 0)
        k.drain_count()
    return frames / (time.perf_counter() - t0)


def perfect_medium(frames: int) -> float:
    """Unicast frames between two ports through HwsimMedium, callbacks included."""
    sched = Scheduler()
    med = HwsimMedium(sched)
    a = med.add_port("a", addrs=["02:00:00:00:00:00"])
    b = med.add_port("b", addrs=["02:00:00:00:01:00"])
    got = [0]
    b.rx = lambda f, info: got.__setitem__(0, got[0] + 1)
    hdr = bytes.fromhex("0800 0000 020000000100 020000000000 020000000100 0000")
    frame = hdr + b"x" * 1476
    t0 = time.perf_counter()
    batch = 100
    for _ in range(frames // batch):
        for _ in range(batch):
            a.transmit(frame)
        sched.run_for(0)
    dt = time.perf_counter() - t0
    assert got[0] == frames // batch * batch
    return got[0] / dt


WMCFG = """ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00" ]; };
model : { type = "snr"; default_snr = 40; };
"""


def external_medium(frames: int, batch: int) -> float:
    """Unicast frames through hwsim-mediumd: `batch` frames per event, each held
    until its status; delivered frames per second of wall time."""
    sched = Scheduler()
    med = HwsimMedium(sched)
    a = med.add_port("a", hwaddr="42:00:00:00:00:00", addrs=["02:00:00:00:00:00"])
    b = med.add_port("b", hwaddr="42:00:00:00:01:00", addrs=["02:00:00:00:01:00"])
    got = [0]
    b.rx = lambda f, info: got.__setitem__(0, got[0] + 1)
    frame = bytes.fromhex("0800 0000 020000000100 020000000000 020000000100 0000") + b"x" * 1476
    with tempfile.TemporaryDirectory() as d:
        cfg, path = os.path.join(d, "wm.cfg"), os.path.join(d, "medium.sock")
        with open(cfg, "w") as f:
            f.write(WMCFG)
        ext = med.serve(path, hold_timeout_ns=10**10)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        cmd = [sys.executable, "-m", "drivers.hwsim.external.mediumd", "-c", cfg, "-s", path]
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
        try:
            if not ext.wait_for_client(30):
                raise RuntimeError("hwsim-mediumd did not register")
            t0 = time.perf_counter()
            for _ in range(frames // batch):
                for _ in range(batch):
                    a.transmit(frame, ((11, 1),))  # 54 Mbit/s: ~250 µs on the air, paced in real time
                sched.run_for(0)
            dt = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait()
    return got[0] / dt


def genl_codec_us(n: int) -> tuple[float, float]:
    """µs to encode one FRAME (1500 B) and to decode one."""
    m = genl.frame_msg(bytes(6), b"x" * 1500, 1, 2412, ((0, 4),), 1)
    t0 = time.perf_counter()
    for _ in range(n):
        raw = genl.encode(m)
    t1 = time.perf_counter()
    for _ in range(n):
        genl.decode(raw)
    t2 = time.perf_counter()
    return (t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--radios", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5, help="report the best of this many kernel runs")
    ap.add_argument("--ref-radios", type=int, default=1000,
                    help="world size of the kernel/reference comparison (the reference takes seconds)")
    ap.add_argument("--external-frames", type=int, default=2_000,
                    help="frames sent through hwsim-mediumd per external figure")
    args = ap.parse_args()

    runs = [storm(CKernel, args.radios, args.rounds) for _ in range(args.repeat)]
    dt, c = min(runs, key=lambda r: r[0])  # best of n: the machine may be shared
    out = {
        "storm_radios": args.radios,
        "storm_frames": c["frames"],
        "storm_link_evals": c["link_evals"],
        "storm_collisions": c["collisions"],
        "storm_seconds": round(dt, 4),
        "kernel_link_evals_per_s": round(c["link_evals"] / dt),
    }
    kdt, kc = min((storm(CKernel, args.ref_radios, 1, seed=2) for _ in range(args.repeat)),
                  key=lambda r: r[0])
    rdt, rc = storm(RefKernel, args.ref_radios, 1, seed=2)
    assert kc == rc, "kernel and reference disagree"
    out.update({
        "ratio_world_radios": args.ref_radios,
        "reference_link_evals_per_s": round(rc["link_evals"] / rdt),
        "kernel_over_reference": round(rdt / kdt, 1),
        "perfect_kernel_frames_per_s": round(perfect_kernel(200_000)),
        "perfect_medium_frames_per_s": round(perfect_medium(50_000)),
    })
    enc_us, dec_us = genl_codec_us(5_000)
    out.update({
        "genl_encode_frame_us": round(enc_us, 1),
        "genl_decode_frame_us": round(dec_us, 1),
        "external_frames_per_s": round(external_medium(args.external_frames, 1)),
        "external_batched_frames_per_s": round(external_medium(args.external_frames, 50)),
    })
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        width = max(map(len, out))
        for k, v in out.items():
            print(f"{k:<{width}}  {v:,}" if isinstance(v, int) else f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
