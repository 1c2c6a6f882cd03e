"""The wlanctl daemon under many clients: requests per second and latency.

Starts `wlanctl serve` in a child process (queue netdevs, 32 hwsim radios
with an access point each) and measures, on its control socket:

- concurrent: N clients, each on its own connection, sending `show`
  requests one after the other; requests/s over all of them and the p50/p99
  latency of one request;
- idle: M connections that send nothing, then a fresh client's `list`
  (answered, or refused with which errno);
- backlog: one client sends R requests without reading a single answer
  while another client sends requests one by one; that client's p50/p99/max
  latency (a client's backlog must not delay another's answers).

Prints figures (`--json` for one JSON object).  Never a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from net80211.ctl import protocol  # noqa: E402

RADIOS = 32  # one access point each: `list` describes them all, `show` one


def _config() -> str:
    vaps = "".join(f"""
[[vaps]]
name = "wlan{i}"
wlandev = "hwsim{i}"
wlanmode = "hostap"
ssid = "bench{i}"
channel = {1 + 5 * (i % 3)}
up = true
""" for i in range(RADIOS))
    return f"""
[defaults]
netdev = "queue"
p2p_ctrl_dir = ""

[[devices]]
driver = "hwsim"
radios = {RADIOS}
{vaps}"""


def _start(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    cfg = os.path.join(directory, "wlanctl.toml")
    with open(cfg, "w") as f:
        f.write(_config())
    sock = os.path.join(directory, "ctl.sock")
    proc = subprocess.Popen([sys.executable, "-m", "net80211.ctl.cli", "serve", "--config", cfg,
                             "--socket", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"daemon exited {proc.returncode}")
        try:
            s = _connect(sock)
            s.close()
            return proc, sock
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("daemon did not come up")


def _connect(path: str, timeout: float = 30.0) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # blocking: waits while the daemon's listen queue is full
    s.settimeout(timeout)
    return s


class _Conn:
    def __init__(self, path: str) -> None:
        self.sock = _connect(path)
        self.rfile = self.sock.makefile("rb")
        self.n = 0

    def call(self, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        self.sock.sendall(protocol.request(cmd, args, self.n))
        line = self.rfile.readline()
        if not line:
            raise ConnectionResetError("the daemon closed the connection")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def concurrent(path: str, clients: int, requests: int) -> dict[str, Any]:
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def worker() -> None:
        mine: list[float] = []
        try:
            c = _Conn(path)
        except OSError as e:
            with lock:
                errors.append(f"connect: {e}")
            barrier.wait()
            return
        barrier.wait()
        try:
            for _ in range(requests):
                t = time.perf_counter()
                a = c.call("show", {"name": "wlan0"})
                mine.append(time.perf_counter() - t)
                if not a.get("ok"):
                    with lock:
                        errors.append(str(a.get("error")))
        except OSError as e:
            with lock:
                errors.append(f"{type(e).__name__}: {e}")
        finally:
            c.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(lat), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5], "requests_per_s": round(len(lat) / wall, 1),
            "p50_ms": round(_pct(lat, 50) * 1e3, 3), "p99_ms": round(_pct(lat, 99) * 1e3, 3)}


def idle(path: str, count: int) -> dict[str, Any]:
    socks = []
    for _ in range(count):
        try:
            socks.append(_connect(path))
        except OSError:
            break
    time.sleep(0.2)  # let the daemon accept them all
    t = time.perf_counter()
    try:
        c = _Conn(path)
        a = c.call("list", {})
        c.close()
        outcome = "answered" if a.get("ok") else f"refused {a.get('error')}"
    except OSError as e:
        outcome = f"failed {type(e).__name__}"
    ms = (time.perf_counter() - t) * 1e3
    for s in socks:
        s.close()
    return {"idle_connections": len(socks), "list": outcome, "latency_ms": round(ms, 3)}


def backlog(path: str, hog_requests: int, probes: int) -> dict[str, Any]:
    hog = _connect(path)
    payload = b"".join(protocol.request("list", {}, i) for i in range(hog_requests))
    sender = threading.Thread(target=lambda: _send_quietly(hog, payload))
    sender.start()
    time.sleep(0.05)  # the backlog is in the daemon's queue before the probe starts
    lat: list[float] = []
    errors = 0
    c = _Conn(path)
    try:
        for _ in range(probes):
            t = time.perf_counter()
            a = c.call("show", {"name": "wlan0"})
            lat.append(time.perf_counter() - t)
            errors += not a.get("ok")
    finally:
        c.close()
        hog.close()
        sender.join()
    return {"hog_requests": hog_requests, "probes": len(lat), "errors": errors,
            "p50_ms": round(_pct(lat, 50) * 1e3, 3), "p99_ms": round(_pct(lat, 99) * 1e3, 3),
            "max_ms": round(max(lat) * 1e3, 3) if lat else None}


def _send_quietly(s: socket.socket, data: bytes) -> None:
    try:
        s.sendall(data)
    except OSError:
        pass  # the daemon hung up on a client that does not read: expected


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=40, help="requests per concurrent client")
    ap.add_argument("--idle", type=int, default=70, help="idle connections")
    ap.add_argument("--hog", type=int, default=2000, help="requests the non-reading client sends")
    ap.add_argument("--probes", type=int, default=100)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="wlb", dir="/tmp")
    proc, path = _start(d)
    try:
        out = {"concurrent": concurrent(path, args.clients, args.requests),
               "idle": idle(path, args.idle),
               "backlog": backlog(path, args.hog, args.probes)}
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(d, ignore_errors=True)
    if args.json:
        print(json.dumps(out, sort_keys=True))
        return 0
    c, i, b = out["concurrent"], out["idle"], out["backlog"]
    print(f"concurrent: {c['clients']} clients, {c['requests']} requests, {c['requests_per_s']} req/s, "
          f"p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms, errors {c['errors']} {c['error_kinds']}")
    print(f"idle: {i['idle_connections']} idle connections, then list: {i['list']} "
          f"in {i['latency_ms']} ms")
    print(f"backlog: a client with {b['hog_requests']} unread requests; another's {b['probes']} "
          f"requests: p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms, max {b['max_ms']} ms, "
          f"errors {b['errors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
