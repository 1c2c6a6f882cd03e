"""Soak: mixed hostile clients against the wlanctl daemon and its P2P socket.

`wlanctl serve` runs as its own process with one P2P device vap.  For
`--seconds` (default 60) clients hammer it at once (the hostile ones each in
a process of its own, the good ones in threads of the bench):

- good JSON clients (`status`, `list`) and good P2P clients (PING,
  P2P_PEERS, STATUS): their answers are the requests/s figure;
- fuzzers: random bytes and malformed JSON lines, requests with wrong
  arguments, lines over the 64 KiB limit;
- a client that pipelines requests and never reads (dropped, reconnects);
- connection churn (connect, close);
- P2P fuzzers: P2P_FIND inf and other bad numbers, datagrams over 4 KiB,
  reply-looking datagrams, random words;
- a symlink attacker: ATTACH, then swap its path for a symlink to the
  daemon's own P2P socket.

Prints requests/s, answers and errors by kind, the daemon's RSS at the
start and end (growth), how long SIGTERM took, and what was left on disk;
`--json` prints the same as JSON.  No thresholds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pathlib
import random
import shutil
import signal
import socket
import sys
import threading
import time
from collections import Counter
from typing import Any

_here = pathlib.Path(__file__).resolve()
sys.path[:0] = [str(_here.parents[2]), str(_here.parents[1])]  # the repo and tests/
from support.wlanctl import short_tmpdir, start_process_daemon  # noqa: E402

from net80211.ctl import protocol  # noqa: E402
from net80211.ctl.client import Client  # noqa: E402
from net80211.ctl.server import SEND_TIMEOUT_S  # noqa: E402

TIMEOUT_S = 5.0
# Each in a process of its own; fuzz_p2p twice.
HOSTILE = ("fuzz_json", "oversized_json", "never_reads", "churn", "fuzz_p2p", "fuzz_p2p", "symlink_attacker")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Soak:
    def __init__(self, seconds: float, seed: int) -> None:
        self.seconds = seconds
        self.dir = short_tmpdir()
        self.ctrl = os.path.join(self.dir, "p2p")
        self.proc, self.sock = start_process_daemon(
            self.dir, f'[defaults]\nnetdev = "queue"\np2p_ctrl_dir = "{self.ctrl}"\n')
        with Client(self.sock) as c:
            c.call("create", {"name": "p2p0", "wlandev": "hwsim0", "wlanmode": "p2p-device"})
        self.p2p = os.path.join(self.ctrl, "p2p-dev-p2p0")
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts: dict[str, Counter[str]] = {}
        self.seed = seed
        self._n = 0

    def count(self, kind: str, outcome: str) -> None:
        with self.lock:
            self.counts.setdefault(kind, Counter())[outcome] += 1

    def local(self) -> str:
        with self.lock:
            self._n += 1
            return os.path.join(self.dir, f"c{os.getpid()}-{self._n}")

    # -- JSON clients ---------------------------------------------------------------------------
    def _json_lines(self, kind: str, lines_fn) -> None:
        rng = random.Random(f"{self.seed}/{kind}")
        while not self.stop.is_set():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(TIMEOUT_S)
            try:
                s.connect(self.sock)
                f = s.makefile("rb")
                for _ in range(50):
                    if self.stop.is_set():
                        break
                    s.sendall(lines_fn(rng))
                    line = f.readline(1 << 22)
                    if not line:
                        self.count(kind, "closed")
                        break
                    msg = json.loads(line)
                    self.count(kind, "ok" if msg["ok"] else msg["error"])
                f.close()
            except TimeoutError:
                self.count(kind, "timeout")
            except BlockingIOError:
                self.count(kind, "connect_backlog_full")
                self.stop.wait(0.01)
            except OSError as e:
                self.count(kind, f"os:{e.errno}")
            finally:
                s.close()

    def good_json(self) -> None:
        self._json_lines("good_json", lambda r: protocol.request(r.choice(["status", "list"])))

    def fuzz_json(self) -> None:
        def line(r: random.Random) -> bytes:
            pick = r.randrange(4)
            if pick == 0:
                junk = bytes(r.randrange(256) for _ in range(r.randrange(1, 200)))
                return junk.replace(b"\n", b" ") + b"\n"
            if pick == 1:
                return b'{"v":1,"id":1,"cmd":"create","args":{"name":' + str(r.random()).encode() + b"}}\n"
            if pick == 2:
                return protocol.request(r.choice(["create", "set", "check", "radio_add", "capture"]),
                                        {"name": "x" * r.randrange(40), "channel": r.randrange(-9, 999),
                                         "channels": r.randrange(-2, 9), "modes": ["sta"] * r.randrange(5)})
            return b"[" * 100000 + b"\n"
        self._json_lines("fuzz_json", line)

    def oversized_json(self) -> None:
        self._json_lines("oversized_json", lambda r: b'{"v":1,"cmd":"' + b"x" * (70 << 10) + b'"}\n')

    def never_reads(self) -> None:
        req = protocol.request("list")
        while not self.stop.is_set():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.sock)
                s.setblocking(False)
                sent = 0
                try:
                    while not self.stop.is_set():
                        s.send(req)
                        sent += 1
                except BlockingIOError:
                    pass
                # Read nothing for longer than the daemon waits for a reader,
                # then see whether it hung up: EOF after the buffered answers.
                if self.stop.wait(2 * SEND_TIMEOUT_S + 1):
                    break  # the soak ended before the daemon's patience did: no verdict
                s.setblocking(True)
                s.settimeout(0.5)
                try:
                    while s.recv(1 << 20):
                        pass
                    self.count("never_reads", "dropped")
                except TimeoutError:
                    self.count("never_reads", "not_dropped")
            except OSError as e:
                self.count("never_reads", f"os:{e.errno}")
            finally:
                s.close()

    def churn(self) -> None:
        while not self.stop.is_set():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.sock)
                self.count("churn", "connected")
            except BlockingIOError:
                self.count("churn", "connect_backlog_full")
                self.stop.wait(0.01)
            except OSError as e:
                self.count("churn", f"os:{e.errno}")
            finally:
                s.close()

    # -- P2P clients ---------------------------------------------------------------------------
    def _p2p(self, kind: str, payload_fn) -> None:
        rng = random.Random(f"{self.seed}/{kind}")
        local = self.local()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(local)
        s.settimeout(TIMEOUT_S)
        try:
            while not self.stop.is_set():
                data, expect_reply = payload_fn(rng)
                try:
                    s.sendto(data, self.p2p)
                    if not expect_reply:
                        self.count(kind, "sent")
                        continue
                    while True:
                        m = s.recv(8192)
                        if not m.startswith(b"<"):
                            break
                    word = m.split(b"\n", 1)[0][:20].decode(errors="replace")
                    self.count(kind, word if word in ("OK", "FAIL", "PONG", "UNKNOWN COMMAND") else "answer")
                except TimeoutError:
                    self.count(kind, "timeout")
                except OSError as e:
                    self.count(kind, f"os:{e.errno}")
        finally:
            s.close()
            os.unlink(local)

    def good_p2p(self) -> None:
        self._p2p("good_p2p", lambda r: (r.choice([b"PING", b"P2P_PEERS", b"STATUS"]), True))

    def fuzz_p2p(self) -> None:
        bad = [b"P2P_FIND inf", b"P2P_FIND 1e300", b"P2P_FIND -5", b"P2P_LISTEN inf",
               b"P2P_SET go_intent 1e99", b"P2P_SERV_DISC_REQ 00:00:00:00:00:00 upnp 1ff x",
               b"P2P_CONNECT 02:00:00:00:00:01 pbc freq=-1", b"NOPE", b"P2P_PEER NEXT-zz"]

        def payload(r: random.Random) -> tuple[bytes, bool]:
            pick = r.randrange(4)
            if pick == 0:
                return r.choice(bad), True
            if pick == 1:
                return b"P2P_FIND" + b" " * 5000, True
            if pick == 2:
                return r.choice([b"OK", b"FAIL", b"UNKNOWN COMMAND", b"<3>P2P-X"]), False
            return bytes(r.randrange(32, 127) for _ in range(r.randrange(1, 60))), True
        self._p2p("fuzz_p2p", payload)

    def symlink_attacker(self) -> None:
        while not self.stop.is_set():
            local = self.local()
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(local)
            s.settimeout(TIMEOUT_S)
            try:
                s.sendto(b"ATTACH", self.p2p)
                s.recv(100)
                s.close()
                os.unlink(local)
                os.symlink(self.p2p, local)
                s2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s2.sendto(b"P2P_FIND 1", self.p2p)  # events follow: to the attached symlink
                s2.close()
                self.count("symlink_attacker", "planted")
                self.stop.wait(1.0)  # let the events go (and be refused)
            except OSError as e:
                self.count("symlink_attacker", f"os:{e.errno}")
            finally:
                s.close()
                if os.path.lexists(local):
                    os.unlink(local)

    # -- the run ---------------------------------------------------------------------------------
    def baseline(self, seconds: float) -> float:
        """Good requests/s with only the good clients: what the hostile ones cost."""
        if seconds <= 0:
            return 0.0
        threads = [threading.Thread(target=w, daemon=True)
                   for w in (self.good_json, self.good_json, self.good_p2p)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        self.stop.wait(seconds)
        self.stop.set()
        for t in threads:
            t.join(TIMEOUT_S * 3)
        elapsed = time.monotonic() - t0
        good = sum(sum(c.values()) for c in self.counts.values())
        self.counts.clear()
        self.stop.clear()
        return good / elapsed

    def _hostile(self, name: str, seconds: float, q: Any) -> None:
        """A hostile client in a process of its own (forked), so that it
        competes with the good ones for the daemon, not for this
        interpreter's lock; its counts go back through `q`."""
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {}
        threading.Timer(seconds, self.stop.set).start()
        try:
            getattr(self, name)()
        finally:
            q.put(self.counts)

    def run(self, baseline_s: float = 0.0) -> dict:
        base = self.baseline(baseline_s)
        ctx = multiprocessing.get_context("fork")
        q = ctx.Queue()
        hostile = [ctx.Process(target=self._hostile, args=(n, self.seconds, q), daemon=True)
                   for n in HOSTILE]
        threads = [threading.Thread(target=w, daemon=True)
                   for w in (self.good_json, self.good_json, self.good_p2p)]
        rss0 = rss_kib(self.proc.pid)
        cpu0, own0 = cpu_s(self.proc.pid), time.process_time()
        t0 = time.monotonic()
        for p in hostile:  # forked before this process has threads of its own
            p.start()
        for t in threads:
            t.start()
        samples = []
        while time.monotonic() - t0 < self.seconds:
            time.sleep(min(1.0, self.seconds))  # the bench's own pacing, not protocol timing
            samples.append(rss_kib(self.proc.pid))
        self.stop.set()
        for t in threads:
            t.join(TIMEOUT_S * 3)
        for _ in hostile:
            for kind, counts in q.get(timeout=TIMEOUT_S * 4).items():
                self.counts.setdefault(kind, Counter()).update(counts)
        for p in hostile:
            p.join(TIMEOUT_S)
        elapsed = time.monotonic() - t0
        daemon_cpu = (cpu_s(self.proc.pid) - cpu0) / elapsed
        clients_cpu = (time.process_time() - own0) / elapsed  # the good clients' process
        with Client(self.sock, timeout=TIMEOUT_S) as c:
            alive = bool(c.call("status")["pid"])
        rss1 = rss_kib(self.proc.pid)
        t1 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        stop_s = time.monotonic() - t1
        left = sorted(p for p in os.listdir(self.dir)
                      if not p.startswith("c") and p not in ("wlanctl.toml", "p2p"))
        left += sorted(os.listdir(self.ctrl)) if os.path.isdir(self.ctrl) else []
        good = sum(self.counts.get("good_json", {}).values()) + sum(self.counts.get("good_p2p", {}).values())
        total = sum(sum(c.values()) for c in self.counts.values())
        shutil.rmtree(self.dir, ignore_errors=True)
        return {
            "seconds": round(elapsed, 2), "good_requests_per_s": round(good / elapsed, 1),
            "baseline_good_requests_per_s": round(base, 1),
            "daemon_cpu": round(daemon_cpu, 2), "clients_cpu": round(clients_cpu, 2),
            "all_requests_per_s": round(total / elapsed, 1),
            "outcomes": {k: dict(sorted(v.items())) for k, v in sorted(self.counts.items())},
            "alive_after": alive, "exit_code": code, "sigterm_to_exit_s": round(stop_s, 3),
            "rss_kib_start": rss0, "rss_kib_end": rss1, "rss_kib_max": max(samples or [rss1]),
            "rss_growth_kib": rss1 - rss0, "left_on_disk": left,
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="how long to soak (default 60)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--baseline", type=float, default=5.0, metavar="S",
                    help="seconds of good clients alone first, for comparison (default 5; 0: none)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    soak = Soak(args.seconds, args.seed)
    try:
        r = soak.run(args.baseline)
    finally:
        if soak.proc.poll() is None:
            soak.proc.kill()
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"soak {r['seconds']} s: {r['good_requests_per_s']} good requests/s "
          f"(alone: {r['baseline_good_requests_per_s']}), {r['all_requests_per_s']} requests/s in all; "
          f"CPU: daemon {r['daemon_cpu']:.0%}, good clients {r['clients_cpu']:.0%}")
    for kind, outcomes in r["outcomes"].items():
        print(f"  {kind:17} " + ", ".join(f"{k} {v}" for k, v in outcomes.items()))
    print(f"daemon RSS {r['rss_kib_start']} -> {r['rss_kib_end']} KiB (growth {r['rss_growth_kib']} KiB, "
          f"max {r['rss_kib_max']}); alive after: {r['alive_after']}; SIGTERM -> exit "
          f"{r['exit_code']} in {r['sigterm_to_exit_s']} s; left on disk: {r['left_on_disk'] or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
