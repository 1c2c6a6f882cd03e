"""Soak: a hostile driver socket against the hwsim-mediumd process.

`hwsim-mediumd -s` runs as its own process, the medium of fake drivers'
external-medium sockets that this bench serves (nlctrl, the GET_RADIO dump,
REGISTER, as the driver does).  The good radios are one driver (a peer of
the daemon); each hostile client is a driver of its own with radios of its
own on the good radios' channels (`--shared`: every hostile client writes
on the good radios' socket instead, in their name).  For `--seconds`
(default 60):

- good traffic: radios in pairs, one pair per channel, each with a window
  of frames awaiting their TX_INFO_FRAME; the statuses that come back for
  them are the frames/s served;
- fuzzers (each in a process of its own): random bytes, empty datagrams,
  FRAME / ADD_MAC_ADDR / NEW_RADIO / TX_INFO_FRAME messages with bytes
  flipped or cut, several to a datagram (copies of its own radios' frames,
  so many are valid frames);
- a flood of valid frames (`--hostile flood`, not in the default mix):
  its radios' data frames, unicast to the good radios and broadcast, as fast
  as the socket takes them, eight to a datagram;
- an ADD_MAC_ADDR flood: new addresses for its radios and, a share
  `--new-radios` of it, for radios nobody created;
- junk transmitters (`--hostile junk_tx`, not in the default mix): FRAMEs,
  well formed, from transmitter addresses no radio has (broadcast data, so
  a station made for one would cost a delivery to every other);
- unknown cookies: statuses sent to the medium (which never gets any) and
  errors and acks answering requests never made (the daemon ignores and
  counts them, answering nothing); and on the good socket, the kernel's
  EINVAL for every status the daemon returns for a cookie the reader does
  not know (`--shared`: frames the fuzzers made up; the daemon counts them
  as stale_cookies);
- a peer that stops reading: every `--pause-every` seconds the bench reads
  nothing for `--pause` seconds while the others go on sending.

Prints frames/s served (and alone, before the hostile clients start),
the daemon's counters by kind (from its exit log), its CPU and RSS at the
start and end (growth); `--json` prints the same as JSON.  No thresholds.
"""

from __future__ import annotations

import argparse
import errno
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from drivers.hwsim.external import genl  # noqa: E402
from drivers.hwsim.external.genl import Attr, Cmd, Message  # noqa: E402

FAMILY = 0x2A  # not the id the daemon would guess: it resolves the family by name
PAIRS = ((2412, 4), (2437, 4), (2462, 4), (5180, 2))  # (channel, rate index) of each pair of good radios
WINDOW = 16  # frames a good radio has awaiting their status
LOST_S = 5.0  # a status not back after this long is counted lost (the radio gives the frame up)
HOSTILE = ("fuzz", "fuzz", "addr_flood", "unknown_cookies")
KINDS = ("fuzz", "flood", "addr_flood", "unknown_cookies", "junk_tx")
HOSTILE_BASE = 0x40  # the hostile drivers' radios: hw(0x40 + 2 * client), hw(0x41 + 2 * client)


def hw(i: int) -> bytes:
    return bytes((0x42, 0, 0, 0, i, 0))


def iface(i: int) -> bytes:
    return bytes((0x02, 0, 0, 0, i, 0))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def data_frame(dst: bytes, src: bytes, body: bytes = b"s" * 64) -> bytes:
    return bytes((0x08, 0, 0, 0)) + dst + src + dst + b"\0\0" + body


def seeds(a: int, b: int) -> list[bytes]:
    """Valid messages of radios `a` and `b` (a unicast to the good radio 1 on 2412, b broadcasts on
    2437) that the fuzzer mutates."""
    txi = genl.pack_tx_info(((4, 2), (0, 3)))
    txf = genl.pack_tx_info_flags(((4, 0), (0, 0)))
    return [
        genl.encode_frame(FAMILY, hw(a), data_frame(iface(1), iface(a)), genl.TX_CTL_REQ_TX_STATUS, 2412,
                          txi, txf, 1 << 40),
        genl.encode_frame(FAMILY, hw(b), data_frame(b"\xff" * 6, iface(b), b"b" * 1400),
                          genl.TX_CTL_NO_ACK, 2437, txi, txf, 1 << 41),
        genl.encode(Message(Cmd.ADD_MAC_ADDR, {Attr.ADDR_TRANSMITTER: hw(a), Attr.ADDR_RECEIVER: iface(77)},
                            type=FAMILY)),
        genl.encode(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: 40, Attr.CHANNELS: 1, Attr.RADIO_NAME: "phy40",
                                            Attr.PERM_ADDR: hw(40)}, type=FAMILY)),
        genl.encode_tx_info(FAMILY, hw(a), genl.TX_STAT_ACK, 7, -40, txi),
    ]


class Soak:
    def __init__(self, seconds: float, seed: int, pause_every: float, pause: float,
                 new_radios: float = 0.3, hostile: tuple[str, ...] = HOSTILE, shared: bool = False) -> None:
        self.seconds, self.seed, self.new_radios = seconds, seed, new_radios
        self.hostile, self.shared = hostile, shared
        self.pause_every, self.pause = pause_every, pause
        self.dir = tempfile.mkdtemp(prefix="msk", dir="/tmp")
        self.path = os.path.join(self.dir, "drv.sock")
        self.nradios = 2 * len(PAIRS)
        cfg = os.path.join(self.dir, "wmediumd.cfg")
        ids = ", ".join(f'"{iface(i).hex(":")}"' for i in range(self.nradios))
        with open(cfg, "w") as f:
            f.write(f'ifaces : {{ ids = [ {ids} ]; }};\nmodel : {{ type = "snr"; default_snr = 30; }};\n')
        # the good driver, then one driver per hostile client (unless they share the good one's)
        npeers = 1 if shared else 1 + len(hostile)
        paths = [self.path] + [os.path.join(self.dir, f"hostile{j}.sock") for j in range(npeers - 1)]
        servers = []
        for path in paths:
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            srv.bind(path)
            srv.listen(1)
            srv.settimeout(30)
            servers.append(srv)
        self.log_path = os.path.join(self.dir, "mediumd.log")
        self.log = open(self.log_path, "w")
        cmd = [sys.executable, "-m", "drivers.hwsim.external.mediumd", "-c", cfg]
        for path in paths:
            cmd += ["-s", path]
        self.proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        socks = []
        for j, srv in enumerate(servers):  # the daemon connects to them in order
            sock, _ = srv.accept()
            srv.close()
            for s in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                sock.setsockopt(socket.SOL_SOCKET, s, 1 << 20)
            sock.settimeout(30)
            radios = range(self.nradios) if j == 0 else self.hostile_radios(j - 1)
            self._handshake(sock, radios)
            socks.append(sock)
        self.sock, self.hsocks = socks[0], socks[1:]
        self.radios: tuple[int, int] = (0, 2)  # whose frames a hostile client sends: --shared, the good ones'
        self.sock.settimeout(1.0)
        self.stop = threading.Event()
        self.reading = threading.Event()
        self.reading.set()
        self.lock = threading.Condition()
        self.out: dict[int, tuple[float, int]] = {}  # good cookie -> (when sent, which radio)
        self.window = [0] * self.nradios  # frames each good radio has awaiting their status
        self.served_on: Counter[int] = Counter()  # statuses back by channel
        self.counts: dict[str, Counter[str]] = {}
        self.served = 0
        self.latency_sum = 0.0
        self.stalled_s = 0.0

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += n

    @staticmethod
    def hostile_radios(client: int) -> tuple[int, int]:
        return HOSTILE_BASE + 2 * client, HOSTILE_BASE + 2 * client + 1

    def _handshake(self, sock: socket.socket, radios: Any) -> None:
        """What the driver's server answers: the family by name, the dump, REGISTER."""
        while True:
            for m in genl.decode(sock.recv(65536), FAMILY):
                if not isinstance(m, Message):
                    continue
                if m.type == genl.GENL_ID_CTRL:
                    sock.send(genl.encode(genl.newfamily_msg(family=FAMILY, seq=m.seq)))
                    sock.send(genl.encode_ack(0, m.raw))
                elif m.cmd == Cmd.GET_RADIO:
                    for i in radios:
                        attrs: dict[int, Any] = {Attr.RADIO_ID: i, Attr.PERM_ADDR: hw(i)}
                        sock.send(genl.encode(Message(Cmd.GET_RADIO, attrs, type=FAMILY, seq=m.seq,
                                                      flags=genl.NLM_F_MULTI)))
                    sock.send(genl.encode_done(m.seq, 0))
                elif m.cmd == Cmd.REGISTER:
                    sock.send(genl.encode_ack(0, m.raw))
                    return

    # -- the good radios and the reader ---------------------------------------------------------
    def good(self) -> None:
        """Every radio sends to its partner on the pair's channel, WINDOW frames of its own in
        flight (a radio slowed by a flood on its channel holds only its own window)."""
        cookie = 0
        rr = 0
        msgs = []
        for p, (freq, rate) in enumerate(PAIRS):
            for a, b in ((2 * p, 2 * p + 1), (2 * p + 1, 2 * p)):
                txi = genl.pack_tx_info(((rate, 2), (0, 2)))
                txf = genl.pack_tx_info_flags(((rate, 0), (0, 0)))
                msgs.append((hw(a), data_frame(iface(b), iface(a)), freq, txi, txf))
        while not self.stop.is_set():
            with self.lock:
                now = time.monotonic()
                for c in [c for c, (t, _) in self.out.items() if now - t > LOST_S]:
                    self.window[self.out.pop(c)[1]] -= 1
                    self.count("good", "status_lost")
                ready = [i for i in range(len(msgs)) if self.window[(rr + i) % len(msgs)] < WINDOW]
                if not ready:
                    self.lock.wait(0.5)
                    continue
                radio = (rr + ready[0]) % len(msgs)
                rr = radio + 1
                cookie += 1
                self.out[cookie] = (time.monotonic(), radio)
                self.window[radio] += 1
            src, frame, freq, txi, txf = msgs[radio]
            try:
                self.sock.send(genl.encode_frame(FAMILY, src, frame, genl.TX_CTL_REQ_TX_STATUS, freq, txi,
                                                 txf, cookie))
                self.count("good", "sent")
            except TimeoutError:
                self.count("good", "send_timeout")
            except OSError as e:
                self.count("good", f"os:{e.errno}")
                return

    def reader(self) -> None:
        while not self.stop.is_set():
            if not self.reading.is_set():
                t0 = time.monotonic()
                self.reading.wait()
                self.stalled_s += time.monotonic() - t0
                continue
            try:
                data = self.sock.recv(1 << 17)
            except TimeoutError:
                continue
            except OSError as e:
                self.count("reader", f"os:{e.errno}")
                return
            if not data:
                self.count("reader", "daemon_closed")
                return
            self._answer(data)

    def _answer(self, data: bytes) -> None:
        """Count what the daemon sent, reading headers only (the reader must keep up
        with it); decode the statuses, and answer deliveries that ask for an ack."""
        now = time.monotonic()
        off, total = 0, len(data)
        while total - off >= genl.NLMSG_HDRLEN + genl.GENL_HDRLEN:
            n = int.from_bytes(data[off:off + 4], "little")
            if n < genl.NLMSG_HDRLEN or n > total - off:
                self.count("daemon_sent", "undecodable")
                return
            mtype, flags = int.from_bytes(data[off + 4:off + 6], "little"), data[off + 6]
            cmd = data[off + 16]
            msg = data[off:off + n]
            off += (n + 3) & ~3
            if mtype != FAMILY:
                self.count("daemon_sent", f"type {mtype}")
            elif cmd == Cmd.FRAME:
                self.count("daemon_sent", "delivery")
                if flags & genl.NLM_F_ACK:  # asking whether the radio is on that channel
                    (m,) = genl.decode(msg, FAMILY)
                    rcv = m.attrs.get(Attr.ADDR_RECEIVER, b"") if isinstance(m, Message) else b""
                    self._send(genl.encode_ack(0 if self._mine(rcv) else -errno.EINVAL, msg))
            elif cmd == Cmd.TX_INFO_FRAME:
                (m,) = genl.decode(msg, FAMILY)
                if not isinstance(m, Message):
                    self.count("daemon_sent", "undecodable")
                    continue
                c = m.attrs.get(Attr.COOKIE)
                t = None
                if c is not None and self._mine(m.attrs.get(Attr.ADDR_TRANSMITTER, b"")):
                    with self.lock:
                        sent = self.out.pop(c, None)
                        t = None
                        if sent is not None:
                            t, radio = sent
                            self.window[radio] -= 1
                            self.served += 1
                            self.served_on[PAIRS[radio // 2][0]] += 1
                            self.latency_sum += now - t
                            self.lock.notify()
                if t is None:
                    # a status for a frame no radio of ours sent: the kernel's answer is EINVAL
                    self.count("daemon_sent", "status_unknown_cookie")
                    self._send(genl.encode_ack(-errno.EINVAL, msg))
                else:
                    acked = m.attrs.get(Attr.FLAGS, 0) & genl.TX_STAT_ACK
                    self.count("daemon_sent", "status_acked" if acked else "status_not_acked")
            else:
                self.count("daemon_sent", f"cmd {cmd}")

    def _mine(self, addr: bytes) -> bool:
        return len(addr) == 6 and addr[:4] == hw(0)[:4] and addr[4] < self.nradios and addr[5] == 0

    def _send(self, data: bytes) -> None:
        try:
            self.sock.send(data, socket.MSG_DONTWAIT)
        except BlockingIOError:
            self.count("reader", "answer_dropped")
        except OSError:
            pass

    # -- hostile senders, each in a process of its own -----------------------------------------
    def _blast(self, kind: str, make) -> None:
        rng = random.Random(f"{self.seed}/{kind}/{os.getpid()}")
        while not self.stop.is_set():
            for _ in range(50):
                try:
                    self.sock.send(make(rng), socket.MSG_DONTWAIT)
                    self.count(kind, "sent")
                except BlockingIOError:
                    self.count(kind, "socket_full")
                    self.stop.wait(0.002)
                except OSError as e:
                    self.count(kind, f"os:{e.errno}")
                    return
            self.stop.wait(0.001)  # a hostile client, not a busy loop of this machine's CPU

    def fuzz(self) -> None:
        base = seeds(*self.radios)

        def one(r: random.Random) -> bytes:
            b = bytearray(r.choice(base))
            for _ in range(r.randrange(1, 5)):
                b[r.randrange(len(b))] = r.randrange(256)
            return bytes(b[:r.randrange(len(b) + 1)] if r.random() < 0.3 else b)

        def make(r: random.Random) -> bytes:
            pick = r.randrange(10)
            if pick == 0:
                return bytes(r.randrange(256) for _ in range(r.randrange(200)))  # may be empty
            if pick == 1:
                return b"".join(one(r) for _ in range(r.randrange(2, 5)))
            return one(r)
        self._blast("fuzz", make)

    def flood(self) -> None:
        a, b = self.radios
        txi = genl.pack_tx_info(((4, 2), (0, 3)))
        txf = genl.pack_tx_info_flags(((4, 0), (0, 0)))
        uni, bcast = data_frame(iface(1), iface(a)), data_frame(b"\xff" * 6, iface(b), b"b" * 1400)
        cookie = [0]

        def one(r: random.Random) -> bytes:
            cookie[0] += 1
            if r.random() < 0.5:
                return genl.encode_frame(FAMILY, hw(a), uni, genl.TX_CTL_REQ_TX_STATUS, 2412, txi, txf,
                                         cookie[0])
            return genl.encode_frame(FAMILY, hw(b), bcast, genl.TX_CTL_NO_ACK, 2437, txi, txf, cookie[0])
        self._blast("flood", lambda r: b"".join(one(r) for _ in range(8)))

    def addr_flood(self) -> None:
        mine = range(self.nradios) if self.shared else self.radios

        def make(r: random.Random) -> bytes:
            addr = bytes((0x06, r.randrange(256), r.randrange(256), r.randrange(256), r.randrange(256), 0))
            radio = hw(r.choice(mine)) if r.random() >= self.new_radios \
                else bytes((0x42, 9, *addr[1:5]))
            cmd = Cmd.ADD_MAC_ADDR if r.random() < 0.9 else Cmd.DEL_MAC_ADDR
            return genl.encode(Message(cmd, {Attr.ADDR_TRANSMITTER: radio, Attr.ADDR_RECEIVER: addr},
                                       type=FAMILY))
        self._blast("addr_flood", make)

    def junk_tx(self) -> None:
        txi, txf = genl.pack_tx_info(((0, 1),)), genl.pack_tx_info_flags(((0, 0),))

        def make(r: random.Random) -> bytes:
            tail = bytes(r.randrange(256) for _ in range(4))
            junk, addr = bytes((0x42, 0x66, *tail)), bytes((0x02, 0x66, *tail))
            freq = PAIRS[r.randrange(len(PAIRS))][0]
            return b"".join(genl.encode_frame(FAMILY, junk, data_frame(b"\xff" * 6, addr), genl.TX_CTL_NO_ACK,
                                              freq, txi, txf, r.getrandbits(40)) for _ in range(8))
        self._blast("junk_tx", make)

    def unknown_cookies(self) -> None:
        txi = genl.pack_tx_info(((0, 1),))

        def make(r: random.Random) -> bytes:
            pick = r.randrange(3)
            if pick == 0:
                return genl.encode_tx_info(FAMILY, hw(r.choice(self.radios)), genl.TX_STAT_ACK,
                                           r.getrandbits(64), -30, txi)
            req = genl.encode(Message(Cmd.FRAME, type=FAMILY, seq=r.getrandbits(32)))
            if pick == 1:
                return genl.encode_ack(-r.choice((errno.EINVAL, errno.ENOENT, errno.EBUSY)), req)
            return genl.encode_ack(0, req)
        self._blast("unknown_cookies", make)

    def _hostile(self, name: str, client: int, go: Any, q: Any) -> None:
        """A hostile client in a process of its own (forked), so that it competes
        with the good radios for the daemon, not for this interpreter's lock: a
        driver of its own that never reads, or (`--shared`) on the good one's socket."""
        if not self.shared:
            self.sock, self.radios = self.hsocks[client], self.hostile_radios(client)
        self.stop = threading.Event()
        self.counts = {}
        go.wait()
        threading.Timer(self.seconds, self.stop.set).start()
        try:
            getattr(self, name)()
        finally:
            q.put(self.counts)

    # -- the run -----------------------------------------------------------------------------------
    def run(self, baseline_s: float) -> dict[str, Any]:
        ctx = multiprocessing.get_context("fork")
        q, go = ctx.Queue(), ctx.Event()
        hostile = [ctx.Process(target=self._hostile, args=(n, j, go, q), daemon=True)
                   for j, n in enumerate(self.hostile)]
        for p in hostile:  # forked before this process has threads of its own
            p.start()
        threads = [threading.Thread(target=self.good, daemon=True),
                   threading.Thread(target=self.reader, daemon=True)]
        for t in threads:
            t.start()
        base = 0.0
        self.base_on: dict[int, float] = {}
        if baseline_s > 0:  # the good radios alone: what the hostile clients cost
            s0, on0, t0 = self.served, Counter(self.served_on), time.monotonic()
            time.sleep(baseline_s)
            dt = time.monotonic() - t0
            base = (self.served - s0) / dt
            self.base_on = {f: round((self.served_on[f] - on0[f]) / dt, 1) for f, _ in PAIRS}
        self.counts = {}  # from here on, the soak's (the threads count into the new one)
        served0, self.on0 = self.served, Counter(self.served_on)
        rss0, cpu0 = rss_kib(self.proc.pid), cpu_s(self.proc.pid)
        go.set()
        t0 = time.monotonic()
        samples, next_pause = [], t0 + self.pause_every
        while time.monotonic() - t0 < self.seconds:
            time.sleep(min(1.0, self.seconds))  # the bench's own pacing, not protocol timing
            samples.append(rss_kib(self.proc.pid))
            if self.pause > 0 and time.monotonic() >= next_pause and time.monotonic() - t0 < self.seconds:
                self.reading.clear()  # the peer stops reading
                time.sleep(self.pause)
                samples.append(rss_kib(self.proc.pid))
                self.reading.set()
                next_pause = time.monotonic() + self.pause_every
        elapsed = time.monotonic() - t0
        return self._finish(threads, hostile, q, elapsed, base, self.served - served0, rss0, cpu0, samples)

    def _finish(self, threads: list[threading.Thread], hostile: list[Any], q: Any, elapsed: float,
                base: float, served: int, rss0: int, cpu0: float, samples: list[int]) -> dict[str, Any]:
        daemon_cpu = (cpu_s(self.proc.pid) - cpu0) / elapsed
        self.stop.set()
        for t in threads:
            t.join(5)
        for _ in hostile:
            for kind, counts in q.get(timeout=20).items():
                self.counts.setdefault(kind, Counter()).update(counts)
        for p in hostile:
            p.join(5)
        alive = self._still_serves()
        rss1 = rss_kib(self.proc.pid)
        t1 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        stop_s = time.monotonic() - t1
        self.sock.close()
        for s in self.hsocks:
            s.close()
        self.log.close()
        stats, peers, warnings = self._daemon_log()
        shutil.rmtree(self.dir, ignore_errors=True)
        return {
            "seconds": round(elapsed, 2), "frames_served_per_s": round(served / elapsed, 1),
            "baseline_frames_served_per_s": round(base, 1),
            "served_per_s_by_channel": {f: round((self.served_on[f] - self.on0[f]) / elapsed, 1)
                                        for f, _ in PAIRS},
            "baseline_per_s_by_channel": self.base_on,
            "mean_status_latency_ms": round(1000 * self.latency_sum / max(served, 1), 2),
            "reader_paused_s": round(self.stalled_s, 1), "daemon_cpu": round(daemon_cpu, 2),
            "peer_sent": {k: dict(sorted(v.items())) for k, v in sorted(self.counts.items())},
            "daemon_counters": stats, "daemon_peer_counters": peers, "daemon_warnings": warnings,
            "loadavg_1min": round(os.getloadavg()[0], 2),
            "alive_after": alive, "exit_code": code, "sigterm_to_exit_s": round(stop_s, 3),
            "rss_kib_start": rss0, "rss_kib_end": rss1, "rss_kib_max": max(samples or [rss1]),
            "rss_growth_kib": rss1 - rss0,
        }

    def _still_serves(self) -> bool:
        """After the soak, one good frame gets its status back."""
        self.sock.settimeout(5)
        while True:  # what is left of the soak's answers
            try:
                self.sock.recv(1 << 17, socket.MSG_DONTWAIT)
            except OSError:
                break
        frame = data_frame(iface(1), iface(0))
        self.sock.send(genl.encode_frame(FAMILY, hw(0), frame, genl.TX_CTL_REQ_TX_STATUS, 2412,
                                         genl.pack_tx_info(((0, 1),)), genl.pack_tx_info_flags(((0, 0),)),
                                         0xC0FFEE))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(1 << 17)
            except TimeoutError:
                return False
            for m in genl.decode(data, FAMILY):
                if isinstance(m, Message) and m.cmd == Cmd.TX_INFO_FRAME \
                        and m.attrs.get(Attr.COOKIE) == 0xC0FFEE:
                    return True
        return False

    def _daemon_log(self) -> tuple[dict[str, int], dict[str, dict[str, int]], dict[str, int]]:
        """The daemon's counters from its exit line, each peer's (the good driver is peer 0, the
        hostile clients 1, 2, ...), and its warnings by kind."""
        stats: dict[str, int] = {}
        peers: dict[str, dict[str, int]] = {}
        warnings: Counter[str] = Counter()
        with open(self.log_path) as f:
            for line in f:
                m = re.match(r"hwsim-mediumd: done \([^)]*\): (.*)", line)
                p = re.match(r"hwsim-mediumd: peer (\d+) \([^)]*\): (.*)", line)
                into, text = None, ""
                if m is not None:
                    into, text = stats, m.group(1)
                elif p is not None:
                    i = int(p.group(1))
                    into = peers.setdefault("good" if i == 0 else f"{i}:{self.hostile[i - 1]}", {})
                    text = p.group(2)
                if into is not None:
                    for part in text.split(", "):
                        k, _, v = part.rpartition(" ")
                        into[k] = int(v)
                elif "more like:" in line:
                    key = line.split("more like: ", 1)[1].strip()
                    warnings[key] += int(line.split()[1])
                elif line.startswith("hwsim-mediumd: ") and not re.search("registered|released", line):
                    warnings[re.sub(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}|\d+", "N", line[15:].strip())[:60]] += 1
        return stats, peers, dict(warnings.most_common(12))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="how long to soak (default 60)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pause-every", type=float, default=15.0, metavar="S",
                    help="the peer stops reading every S seconds (default 15)")
    ap.add_argument("--pause", type=float, default=3.0, metavar="S",
                    help="... for S seconds (default 3; 0: never)")
    ap.add_argument("--new-radios", type=float, default=0.3, metavar="F",
                    help="share of the ADD_MAC_ADDR flood naming radios nobody created (default 0.3)")
    ap.add_argument("--baseline", type=float, default=5.0, metavar="S",
                    help="seconds of good traffic alone first, for comparison (default 5; 0: none)")
    ap.add_argument("--hostile", default=",".join(HOSTILE), metavar="KINDS",
                    help=f"hostile clients, comma-separated, one process each (of {', '.join(KINDS)}; "
                         f"default {','.join(HOSTILE)})")
    ap.add_argument("--shared", action="store_true",
                    help="the hostile clients write on the good radios' socket, in their names, instead "
                         "of each being a driver of its own")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    hostile = tuple(k for k in args.hostile.split(",") if k)
    if not set(hostile) <= set(KINDS):
        ap.error(f"--hostile: kinds are {', '.join(KINDS)}")
    soak = Soak(args.seconds, args.seed, args.pause_every, args.pause, args.new_radios, hostile, args.shared)
    try:
        r = soak.run(args.baseline)
    finally:
        if soak.proc.poll() is None:
            soak.proc.kill()
            soak.proc.wait()
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"soak {r['seconds']} s: {r['frames_served_per_s']} good frames/s served (status back, mean "
          f"{r['mean_status_latency_ms']} ms; alone: {r['baseline_frames_served_per_s']}), "
          f"reader paused {r['reader_paused_s']} s; daemon CPU {r['daemon_cpu']:.0%}")
    alone = r["baseline_per_s_by_channel"]
    print("  by channel (MHz: soak/alone): " + ", ".join(
        f"{f}: {v}/{alone.get(f, '-')}" for f, v in r["served_per_s_by_channel"].items()))
    for kind, outcomes in r["peer_sent"].items():
        print(f"  {kind:16} " + ", ".join(f"{k} {v}" for k, v in outcomes.items()))
    print("daemon counters: " + ", ".join(f"{k} {v}" for k, v in r["daemon_counters"].items() if v))
    for who, counters in r["daemon_peer_counters"].items():
        print(f"  peer {who:14} " + ", ".join(f"{k} {v}" for k, v in counters.items() if v))
    print("daemon warnings: " + "; ".join(f"{k} x{v}" for k, v in r["daemon_warnings"].items()))
    print(f"daemon RSS {r['rss_kib_start']} -> {r['rss_kib_end']} KiB (growth {r['rss_growth_kib']} KiB, "
          f"max {r['rss_kib_max']}); serves a good frame after: {r['alive_after']}; SIGTERM -> exit "
          f"{r['exit_code']} in {r['sigterm_to_exit_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
