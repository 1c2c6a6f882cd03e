"""hwsim-mediumd host-side benchmark: frames per second through the daemon.

A synthetic peer replays kernel traffic on a socketpair speaking the
kernel's side of MAC80211_HWSIM (nlctrl, GET_RADIO dump, REGISTER, then
FRAME messages with cookies from several radios); the daemon decodes them,
runs them through the modeled medium in virtual time (so the figure is the
daemon's CPU cost, not the air's capacity), and answers deliveries and
TX_INFO_FRAME statuses, which the peer counts.  Also the cost per message
of the genl codec's hot path beside pyroute2's.

`process`: the daemon as it is run, `hwsim-mediumd -s` in a process of its
own in real time, the medium of a replayed driver socket: pairs of radios on
channels of their own (the air of one channel carries ~5,000 small frames a
second), a window of frames each; frames/s served and the daemon's CPU time
per frame (its capacity: frames per CPU-second).

Prints figures (`--json` for JSON).  Never a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from drivers.hwsim.external import genl  # noqa: E402
from drivers.hwsim.external.genl import Cmd, Message  # noqa: E402
from drivers.hwsim.external.mediumd import MediumDaemon  # noqa: E402
from drivers.hwsim.external.transport import KernelTransport  # noqa: E402
from ic.sched import SEC, Scheduler  # noqa: E402

FAMILY = 0x1E


def hw(i: int) -> bytes:
    return bytes((0x42, 0, 0, 0, i, 0))


def iface(i: int) -> bytes:
    return bytes((0x02, 0, 0, 0, i, 0))


class _Pair(KernelTransport):
    def join(self, group: int) -> None:
        self.groups.append(group)


def _kernel_handshake(sock: socket.socket, nradios: int) -> None:
    """The kernel's answers to GETFAMILY, the GET_RADIO dump and REGISTER."""
    while True:
        for m in genl.decode(sock.recv(65536), FAMILY):
            if m.type == genl.GENL_ID_CTRL:
                sock.send(genl.encode(genl.newfamily_msg(family=FAMILY, groups={"config": 9}, seq=m.seq)))
                sock.send(genl.encode_ack(0, m.raw))
            elif m.cmd == Cmd.GET_RADIO:
                for i in range(nradios):
                    sock.send(genl.encode(Message(Cmd.GET_RADIO, {genl.Attr.RADIO_ID: i}, type=FAMILY,
                                                  seq=m.seq, flags=genl.NLM_F_MULTI)))
                sock.send(genl.encode_done(m.seq, 0))
            elif m.cmd == Cmd.REGISTER:
                sock.send(genl.encode_ack(0, m.raw))
                return


def through_daemon(nframes: int, nradios: int, broadcast: bool, batch: int, *,
                   medium: bool = True) -> dict[str, float]:
    """Replay `nframes` FRAMEs from `nradios` radios; wall time until every status is back.

    medium=False: the daemon's radio table holds nothing, so every frame is
    answered at once with a status and no try: the protocol path alone
    (receive, decode, look up, encode, send), without the modeled medium."""
    ids = ", ".join(f'"{iface(i).hex(":")}"' for i in range(nradios))
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(f'ifaces : {{ ids = [ {ids} ]; }};\nmodel : {{ type = "snr"; default_snr = 40; }};\n')
        cfg = f.name
    try:
        d = MediumDaemon(cfg, sched=Scheduler(), max_radios=nradios if medium else 0)
    finally:
        os.unlink(cfg)
    # without a table the daemon warns of every radio it cannot keep, as it should; not here
    logging.getLogger("hwsim-mediumd").setLevel(logging.WARNING if medium else logging.ERROR)
    peer, mine = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for s in (peer, mine):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    t = threading.Thread(target=_kernel_handshake, args=(peer, nradios))
    t.start()
    d.connect(_Pair(mine, "the replayed kernel"))
    t.join()
    peer.setblocking(False)
    txi, txf = genl.pack_tx_info(((4, 1), (0, 3))), genl.pack_tx_info_flags(((4, 0), (0, 0)))
    msgs = []
    for k in range(nframes):
        src = k % nradios
        dst = (src + 1) % nradios
        a1 = b"\xff" * 6 if broadcast else iface(dst)
        frame = bytes((0x08, 0, 0, 0)) + a1 + iface(src) + a1 + b"\0\0" + bytes(1000)
        flags = genl.TX_CTL_REQ_TX_STATUS | (genl.TX_CTL_NO_ACK if broadcast else 0)
        msgs.append(genl.encode_frame(FAMILY, hw(src), frame, flags, 2412, txi, txf, k // nradios + 1))
    statuses = deliveries = 0
    sent = 0
    t0 = time.perf_counter()
    while statuses < nframes:
        for m in msgs[sent:sent + batch]:
            try:
                peer.send(m)
            except BlockingIOError:  # the daemon's socket is full: let it read first
                break
            sent += 1
        d.sched.poll_io(0)
        # virtual time, long enough for the batch's airtime: the air costs no wall time, and a
        # run with a known end lets the medium kernel run ahead, as under the real-time scheduler
        d.sched.run_for(5 * SEC)
        while True:
            try:
                data = peer.recv(1 << 20)
            except BlockingIOError:
                break
            off = 0
            while off < len(data):  # count without decoding: the peer is not what we measure
                n = int.from_bytes(data[off:off + 4], "little")
                cmd = data[off + 16]
                statuses += cmd == Cmd.TX_INFO_FRAME
                deliveries += cmd == Cmd.FRAME
                off += (n + 3) & ~3
    wall = time.perf_counter() - t0
    d.close()
    peer.close()
    return {"frames_per_s": nframes / wall, "messages_out_per_s": (statuses + deliveries) / wall,
            "deliveries_per_frame": deliveries / nframes, "refused": d.stats["refused"]}


CHANNELS = (2412, 2437, 2462, 5180, 5200, 5220, 5240, 5260, 5280, 5300, 5320, 5500)


def real_time(nframes: int, npairs: int, size: int) -> dict[str, float]:
    """The daemon as it runs: a real-time scheduler in its own thread.  Pairs of
    radios on channels of their own (the air of one channel carries a few
    thousand frames a second); the peer sends as fast as the daemon takes them."""
    n = 2 * npairs
    ids = ", ".join(f'"{iface(i).hex(":")}"' for i in range(n))
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(f'ifaces : {{ ids = [ {ids} ]; }};\nmodel : {{ type = "snr"; default_snr = 40; }};\n')
        cfg = f.name
    try:
        d = MediumDaemon(cfg, sched=Scheduler(realtime=True))
    finally:
        os.unlink(cfg)
    peer, mine = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for s in (peer, mine):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    t = threading.Thread(target=_kernel_handshake, args=(peer, n))
    t.start()
    d.connect(_Pair(mine, "the replayed kernel"))
    t.join()
    msgs = []
    for k in range(nframes):
        p = k % npairs
        freq = CHANNELS[p % len(CHANNELS)]
        txi = genl.pack_tx_info(((7 if freq > 5000 else 11, 1),))
        txf = genl.pack_tx_info_flags(((7 if freq > 5000 else 11, 0),))
        a1 = iface(2 * p + 1)
        frame = bytes((0x08, 0, 0, 0)) + a1 + iface(2 * p) + a1 + b"\0\0" + bytes(size)
        msgs.append(genl.encode_frame(FAMILY, hw(2 * p), frame, genl.TX_CTL_REQ_TX_STATUS, freq, txi, txf,
                                      k // npairs + 1))
    runner = threading.Thread(target=d.run)
    runner.start()
    peer.setblocking(False)
    statuses = acked = sent = 0
    t0 = time.perf_counter()
    deadline = t0 + 120
    while statuses < nframes and time.perf_counter() < deadline:
        while sent < nframes and sent - statuses < 64 * npairs:  # a radio keeps at most 200 pending
            try:
                peer.send(msgs[sent])
            except BlockingIOError:
                break
            sent += 1
        try:
            data = peer.recv(1 << 20)
        except BlockingIOError:
            time.sleep(0.0002)  # the benchmark's peer, not protocol timing
            continue
        off = 0
        while off < len(data):
            ln = int.from_bytes(data[off:off + 4], "little")
            if data[off + 6] & genl.NLM_F_ACK:  # the kernel acks a delivery that asks (a radio's channel)
                peer.send(genl.encode_ack(0, data[off:off + 16]))
            if data[off + 16] == Cmd.TX_INFO_FRAME:
                statuses += 1
                flags_at = data.find(b"\x08\x00\x04\x00", off + 20, off + ln)
                acked += bool(flags_at >= 0 and data[flags_at + 4] & genl.TX_STAT_ACK)
            off += (ln + 3) & ~3
    wall = time.perf_counter() - t0
    d.done = True
    d.sched.stop()
    runner.join()
    d.close()
    peer.close()
    return {"frames_per_s": statuses / wall, "acked_share": acked / max(statuses, 1), "channels": npairs,
            "frame_bytes": size}


# 2.4 GHz channels 1, 6, 11 and every 20 MHz 5 GHz channel the medium knows
PROCESS_CHANNELS = (2412, 2437, 2462, *range(5180, 5321, 20), *range(5500, 5701, 20), *range(5745, 5826, 20))


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process(seconds: float, npairs: int, size: int, window: int) -> dict[str, float]:
    """hwsim-mediumd in its own process, serving a replayed driver socket in real time."""
    root = Path(__file__).resolve().parents[2]
    n = 2 * npairs
    d = tempfile.mkdtemp(prefix="bmd")
    cfg, path = os.path.join(d, "wmediumd.cfg"), os.path.join(d, "drv.sock")
    ids = ", ".join(f'"{iface(i).hex(":")}"' for i in range(n))
    with open(cfg, "w") as f:
        f.write(f'ifaces : {{ ids = [ {ids} ]; }};\nmodel : {{ type = "snr"; default_snr = 40; }};\n')
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(60)
    proc = subprocess.Popen([sys.executable, "-m", "drivers.hwsim.external.mediumd", "-c", cfg, "-s", path],
                            env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        peer, _ = srv.accept()
        for o in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            peer.setsockopt(socket.SOL_SOCKET, o, 4 << 20)
        _kernel_handshake(peer, n)
        msgs = []
        for p in range(npairs):
            freq = PROCESS_CHANNELS[p % len(PROCESS_CHANNELS)]
            rate = 7 if freq > 5000 else 11
            txi, txf = genl.pack_tx_info(((rate, 1),)), genl.pack_tx_info_flags(((rate, 0),))
            for a, b in ((2 * p, 2 * p + 1), (2 * p + 1, 2 * p)):
                frame = bytes((0x08, 0, 0, 0)) + iface(b) + iface(a) + iface(b) + b"\0\0" + bytes(size)
                msgs.append([genl.encode_frame(FAMILY, hw(a), frame, genl.TX_CTL_REQ_TX_STATUS, freq, txi,
                                               txf, c + 1) for c in range(1024)])
        peer.setblocking(False)
        inflight = [0] * n
        sent = [0] * n
        statuses = 0
        t0 = time.perf_counter()
        cpu0 = _cpu_s(proc.pid)
        end = t0 + seconds
        while time.perf_counter() < end:
            for r in range(n):
                while inflight[r] < window:
                    try:
                        peer.send(msgs[r][sent[r] % 1024])
                    except BlockingIOError:
                        break
                    sent[r] += 1
                    inflight[r] += 1
            try:
                data = peer.recv(1 << 20)
            except BlockingIOError:
                time.sleep(0.0002)  # the benchmark's peer, not protocol timing
                continue
            off = 0
            while off < len(data):
                ln = int.from_bytes(data[off:off + 4], "little")
                if data[off + 6] & genl.NLM_F_ACK:  # a radio's channel asked: it is there
                    peer.send(genl.encode_ack(0, data[off:off + 16]))
                if data[off + 16] == Cmd.TX_INFO_FRAME:
                    statuses += 1
                    at = data.find(b"\x0a\x00\x02\x00", off + 20, off + ln)  # TRANSMITTER: whose
                    if at >= 0:
                        inflight[data[at + 8]] -= 1
                off += (ln + 3) & ~3
        wall = time.perf_counter() - t0
        cpu = _cpu_s(proc.pid) - cpu0
    finally:
        proc.terminate()
        proc.wait()
        srv.close()
        for f_ in (cfg, path):
            if os.path.exists(f_):
                os.unlink(f_)
        os.rmdir(d)
    return {"frames_per_s": statuses / wall, "daemon_cpu_us_per_frame": cpu / max(statuses, 1) * 1e6,
            "frames_per_cpu_s": statuses / cpu if cpu else 0.0, "daemon_cpu_share": cpu / wall,
            "channels": npairs, "frame_bytes": size}


def codec_us(n: int) -> dict[str, float]:
    frame = bytes(1000)
    txi, txf = genl.pack_tx_info(((4, 1),)), genl.pack_tx_info_flags(((4, 0),))
    raw = genl.encode_frame(FAMILY, hw(0), frame, 1, 2412, txi, txf, 7)
    out = {}
    t0 = time.perf_counter()
    for _ in range(n):
        genl.decode(raw, FAMILY)
    out["decode_frame_us"] = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for _ in range(n):
        genl.encode_delivery(FAMILY, hw(1), frame, 4, -50, 2412, seq=5)
    out["encode_delivery_us"] = (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for _ in range(n):
        genl.encode_tx_info(FAMILY, hw(0), 5, 7, -50, txi, seq=6)
    out["encode_status_us"] = (time.perf_counter() - t0) / n * 1e6
    from pyroute2.netlink import genlmsg

    class hwsim(genlmsg):
        nla_map = ((1, "A1", "cdata"), (3, "A3", "cdata"), (5, "A5", "uint32"), (6, "A6", "int32"),
                   (19, "A19", "uint32"))

    m = max(n // 10, 1)
    t0 = time.perf_counter()
    for _ in range(m):
        msg = hwsim()
        msg["cmd"], msg["version"] = Cmd.FRAME, 1
        msg["header"] = {"type": FAMILY, "flags": 1, "sequence_number": 5}
        msg["attrs"] = [("A1", hw(1)), ("A3", frame), ("A5", 4), ("A6", -50), ("A19", 2412)]
        msg.encode()
    out["pyroute2_encode_delivery_us"] = (time.perf_counter() - t0) / m * 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--frames", type=int, default=20_000, help="frames replayed per figure")
    ap.add_argument("--radios", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=5.0, help="how long the process figure runs")
    ap.add_argument("--pairs", type=int, default=len(PROCESS_CHANNELS),
                    help="pairs of radios (one channel each) of the process figure")
    args = ap.parse_args()
    out = {
        "unicast": through_daemon(args.frames, args.radios, False, 256),
        "broadcast": through_daemon(args.frames // 4, args.radios, True, 64),
        "protocol_only": through_daemon(args.frames * 5, args.radios, False, 256, medium=False),
        "real_time": real_time(args.frames, 8, 100),
        "process": process(args.seconds, args.pairs, 100, 32),
        "codec": codec_us(20_000),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for k in ("unicast", "broadcast", "protocol_only"):
        f = out[k]
        print(f"{k:13s}: {f['frames_per_s']:9,.0f} frames/s through hwsim-mediumd "
              f"({f['deliveries_per_frame']:.1f} deliveries + 1 status each, {f['messages_out_per_s']:,.0f} "
              f"messages/s out, {f['refused']} refused)")
    r = out["real_time"]
    print(f"real time    : {r['frames_per_s']:9,.0f} frames/s ({r['frame_bytes']}-byte frames, "
          f"{r['channels']} channels, {r['acked_share']:.0%} acked)")
    r = out["process"]
    print(f"process      : {r['frames_per_s']:9,.0f} frames/s ({r['channels']} channels), daemon CPU "
          f"{r['daemon_cpu_us_per_frame']:.1f} us/frame = {r['frames_per_cpu_s']:,.0f} frames per CPU-second "
          f"(busy {r['daemon_cpu_share']:.0%})")
    c = out["codec"]
    print(f"codec        : decode FRAME {c['decode_frame_us']:.2f} us, "
          f"encode delivery {c['encode_delivery_us']:.2f} us "
          f"(pyroute2 {c['pyroute2_encode_delivery_us']:.1f} us), "
          f"encode status {c['encode_status_us']:.2f} us")


if __name__ == "__main__":
    main()
