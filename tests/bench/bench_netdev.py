"""Real network interfaces over the simulated medium, run by the wlanctl daemon.

The daemon (`wlanctl serve`, its own process, real-time scheduler) holds two
hwsim radios, once on the perfect medium (mac80211_hwsim without a daemon:
delivery takes no airtime, so UDP measures the daemon's speed) and once on
the modeled log-distance medium (airtime, CSMA/CA, ACKs: UDP measures the
simulated link): an AP vap and a STA vap, each with a TAP netdev in its own
network namespace.  Measured from the host:

- ping RTT between the namespaces (the system `ping`);
- UDP throughput across the link: a sender in one namespace blasts
  datagrams for a while, a receiver in the other counts what arrives;
- vap create+destroy rate through the control socket, with a queue netdev
  and with a TAP netdev (a real interface made and removed each time).

Needs root, /dev/net/tun, `ip` and `ping`.  Prints figures (`--json` for
JSON); no thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

_here = pathlib.Path(__file__).resolve()
sys.path[:0] = [str(_here.parents[2]), str(_here.parents[1])]  # the repo and tests/
from pyroute2 import IPRoute  # noqa: E402
from support.wlanctl import short_tmpdir  # noqa: E402

from net80211.ctl.client import Client, DaemonUnavailable  # noqa: E402

CONFIG = """
[defaults]
netdev = "queue"

[[devices]]
driver = "hwsim"
radios = 2
model = "{model}"
"""
MEDIA = ("perfect", "log_distance")
AP_IP, STA_IP = "10.99.0.1", "10.99.0.2"
UDP_PORT = 5099

# Run inside a namespace with `ip netns exec`: count datagrams until `secs` of silence.
RECEIVER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
s.settimeout(float(sys.argv[2]))
n = nbytes = 0
first = last = None
try:
    while True:
        b = s.recv(65536)
        last = time.monotonic()
        if first is None:
            first = last
        n += 1
        nbytes += len(b)
except TimeoutError:
    pass
print(n, nbytes, (last - first) if first is not None and last is not None else 0.0)
"""
SENDER = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst, size, secs = (sys.argv[1], int(sys.argv[2])), int(sys.argv[3]), float(sys.argv[4])
payload = b"u" * size
n = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    try:
        s.sendto(payload, dst)
        n += 1
    except OSError:  # ENOBUFS: the TAP's queue is full; keep offering
        time.sleep(0.0005)
print(n)
"""


def start_daemon(workdir: str, model: str) -> tuple[subprocess.Popen, str]:
    """`wlanctl serve` in a child process, its log in a file (a pipe nobody
    reads would fill up and stall it); returns it and its socket."""
    cfg, sock = os.path.join(workdir, "wlanctl.toml"), os.path.join(workdir, "ctl.sock")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(model=model))
    log = open(os.path.join(workdir, "daemon.log"), "wb")
    argv = [sys.executable, "-m", "net80211.ctl.cli", "serve", "--config", cfg, "--socket", sock]
    proc = subprocess.Popen(argv,
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            Client(sock, timeout=5).close()
            return proc, sock
        except DaemonUnavailable:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the wlanctl daemon did not come up")


def netns_exec(ns: str, *argv: str, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, **kw)


def set_addr(ns: str, ifname: str, addr: str) -> None:
    with IPRoute(netns=ns) as ipr:
        ipr.addr("add", index=ipr.link_lookup(ifname=ifname)[0], address=addr, prefixlen=24)


def wait_joined(c: Client, ap: str, sta: str, timeout_s: float = 30.0) -> float:
    """Wall seconds until the station runs in the AP's BSS."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        a, s = c.call("show", {"name": ap})["vap"], c.call("show", {"name": sta})["vap"]
        if a["state"] == "RUN" and s["state"] == "RUN" and s["bssid"] == a["bssid"]:
            return time.monotonic() - t0
        time.sleep(0.01)
    raise SystemExit(f"{sta} did not join {ap} within {timeout_s} s")


def ping_rtt(ns: str, dst: str, count: int) -> dict[str, float]:
    ping = shutil.which("ping") or "ping"
    r = netns_exec(ns, ping, "-c", str(count), "-i", "0.02", "-W", "2", "-q", dst, timeout=120)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", r.stdout)
    rtt = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", r.stdout)
    if m is None or rtt is None:
        raise SystemExit(f"ping failed: {r.stdout}{r.stderr}")
    return {"sent": int(m.group(1)), "received": int(m.group(2)), "rtt_min_ms": float(rtt.group(1)),
            "rtt_avg_ms": float(rtt.group(2)), "rtt_max_ms": float(rtt.group(3)),
            "rtt_mdev_ms": float(rtt.group(4))}


def udp_throughput(src_ns: str, dst_ns: str, dst: str, size: int, secs: float) -> dict[str, float]:
    rx = subprocess.Popen(["ip", "netns", "exec", dst_ns, sys.executable, "-c", RECEIVER, str(UDP_PORT),
                           "2.0"], stdout=subprocess.PIPE, text=True)
    assert rx.stdout is not None and rx.stdout.readline().strip() == "ready"
    tx = netns_exec(src_ns, sys.executable, "-c", SENDER, dst, str(UDP_PORT), str(size), str(secs),
                    timeout=secs + 60)
    out, _ = rx.communicate(timeout=secs + 60)
    sent = int(tx.stdout.split()[0])
    n, nbytes, span = out.split()
    n, nbytes, span_s = int(n), int(nbytes), float(span)
    return {"payload_bytes": size, "offered_s": secs, "sent": sent, "received": n,
            "loss_pct": round(100.0 * (sent - n) / sent, 2) if sent else 0.0,
            "mbit_s": round(nbytes * 8 / span_s / 1e6, 2) if span_s > 0 else 0.0,
            "pkt_s": round(n / span_s, 1) if span_s > 0 else 0.0}


def create_destroy_rate(c: Client, netdev: str, n: int, netns: str | None = None) -> float:
    args: dict[str, object] = {"wlandev": "hwsim1", "wlanmode": "monitor", "netdev": netdev, "up": True}
    if netns is not None:
        args["netns"] = netns
    t0 = time.perf_counter()
    for i in range(n):
        name = f"bn{os.getpid() % 10000}x{i % 2}"
        c.call("create", {"name": name, **args})
        c.call("destroy", {"name": name})
    return n / (time.perf_counter() - t0)


def link_run(model: str, a: argparse.Namespace, tag: str, *, creates: bool,
             into: dict[str, object]) -> dict[str, object]:
    """AP and STA with TAPs in two namespaces on one medium: join, ping, UDP;
    with `creates`, also the create+destroy rates (into `into`)."""
    ap_ns, sta_ns, ap, sta = f"bnap{tag}", f"bnsta{tag}", f"bna{tag}", f"bns{tag}"
    workdir = short_tmpdir()
    proc, sock = start_daemon(workdir, model)
    res: dict[str, object] = {}
    try:
        with Client(sock, timeout=60) as c:
            t0 = time.monotonic()
            c.call("create", {"name": ap, "wlandev": "hwsim0", "wlanmode": "hostap", "ssid": "bench",
                              "channel": 6, "netdev": "tap", "netns": ap_ns, "up": True})
            c.call("create", {"name": sta, "wlandev": "hwsim1", "wlanmode": "sta", "ssid": "bench",
                              "netdev": "tap", "netns": sta_ns, "up": True})
            res["setup_s"] = round(time.monotonic() - t0, 3)
            res["join_wall_s"] = round(wait_joined(c, ap, sta), 3)
            set_addr(ap_ns, ap, AP_IP)
            set_addr(sta_ns, sta, STA_IP)
            ping_rtt(ap_ns, STA_IP, 3)  # ARP and warm-up
            res["ping_ap_to_sta"] = ping_rtt(ap_ns, STA_IP, a.pings)
            res["ping_sta_to_ap"] = ping_rtt(sta_ns, AP_IP, a.pings)
            res["udp_sta_to_ap"] = udp_throughput(sta_ns, ap_ns, AP_IP, a.udp_size, a.udp_seconds)
            res["udp_ap_to_sta"] = udp_throughput(ap_ns, sta_ns, STA_IP, a.udp_size, a.udp_seconds)
            if creates:
                into["create_destroy_per_s_queue"] = round(create_destroy_rate(c, "queue", a.creates), 1)
                into["create_destroy_per_s_tap"] = round(
                    create_destroy_rate(c, "tap", max(a.creates // 10, 5)), 1)
                into["create_destroy_per_s_tap_netns"] = round(
                    create_destroy_rate(c, "tap", max(a.creates // 10, 5), netns=f"bnx{tag}"), 1)
            for name in (sta, ap):
                c.call("destroy", {"name": name})
    finally:
        proc.send_signal(signal.SIGTERM)  # the daemon removes its TAPs and namespaces
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    return res


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true")
    p.add_argument("--pings", type=int, default=50)
    p.add_argument("--udp-seconds", type=float, default=3.0)
    p.add_argument("--udp-size", type=int, default=1400)
    p.add_argument("--creates", type=int, default=200)
    a = p.parse_args()
    missing = [w for w, ok in (("root", os.geteuid() == 0), ("/dev/net/tun", os.path.exists("/dev/net/tun")),
                               ("ip", shutil.which("ip")), ("ping", shutil.which("ping"))) if not ok]
    if missing:
        print(f"bench_netdev: skipped, needs {', '.join(missing)}")
        return 0
    tag = str(os.getpid() % 100000)
    res: dict[str, object] = {"rate": "hwsim data at 24 Mb/s", "media": {}}
    for model in MEDIA:
        res["media"][model] = link_run(model, a, tag, creates=(model == MEDIA[0]), into=res)  # type: ignore[index]
    if a.json:
        print(json.dumps(res, indent=2))
        return 0
    for model, m in res["media"].items():  # type: ignore[union-attr]
        print(f"AP + STA with TAPs in two namespaces, {model} medium ({res['rate']}); "
              f"set-up {m['setup_s']} s, joined after {m['join_wall_s']} s wall")
        for k in ("ping_ap_to_sta", "ping_sta_to_ap"):
            r = m[k]
            print(f"  {k}: {r['received']}/{r['sent']} replies, rtt min/avg/max/mdev "
                  f"{r['rtt_min_ms']}/{r['rtt_avg_ms']}/{r['rtt_max_ms']}/{r['rtt_mdev_ms']} ms")
        for k in ("udp_sta_to_ap", "udp_ap_to_sta"):
            r = m[k]
            print(f"  {k}: {r['payload_bytes']} B datagrams for {r['offered_s']} s: {r['sent']} sent, "
                  f"{r['received']} received ({r['loss_pct']}% lost), {r['mbit_s']} Mb/s, {r['pkt_s']} pkt/s")
    print(f"  vap create+destroy through the control socket: {res['create_destroy_per_s_queue']}/s (queue), "
          f"{res['create_destroy_per_s_tap']}/s (tap), "
          f"{res['create_destroy_per_s_tap_netns']}/s (tap in a netns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
