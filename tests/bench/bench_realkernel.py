"""The real kernel's mac80211_hwsim radios: throughput and pings, perfect medium vs hwsim-mediumd.

Each figure comes from one boot of Debian's kernel under qemu (TCG, so
absolute numbers say more about the emulator than about mac80211; the ratio
between the media is the point):

- iperf3 UDP (unlimited rate, 1400 B) and TCP for a few seconds from a
  station to the AP on an open network, Mbit/s as the receiver counts them;
- N radios (2, 10): an AP and N-1 stations, every station pinging the AP at
  once: replies lost and RTT;
- a ring of N radios (2, 10, 50, 100; `--ring`): an AP (hostapd) and N-1
  stations joined with `iw connect` (no supplicant: 99 of them would not fit
  the VM), each in a namespace of its own; every radio pings the next one
  round the ring at once, so every radio sends and answers (station to
  station through the AP): replies lost and RTT.

The same runs go through hwsim-mediumd (its kernel mode, when `--help`
shows one) with every link at 40 dB SNR.  hwsim-mediumd delivers each frame
at the end of its modeled airtime, so its UDP figure is also given against
what the modeled 54 Mb/s channel itself carries (`modeled_ceiling_mbit`,
the medium kernel alone); the perfect medium has no airtime.  Prints
figures (`--json` for JSON); no thresholds.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
import tempfile
from typing import Any

_here = pathlib.Path(__file__).resolve()
sys.path[:0] = [str(_here.parents[2]), str(_here.parents[1])]  # the repo and tests/
from support.realkernel import KernelUnavailable, Vm, mediumd, wifi  # noqa: E402
from support.realkernel.initramfs import RESULTS_DIR  # noqa: E402

SNR_DB = 40


def _cpu_snapshot(name: str) -> str:
    """Shell: the VM's CPU counters (/proc/stat) and the medium daemon's, when it runs, into $RESULTS."""
    md = "/proc/$(cat /run/mediumd.pid)/stat"
    return (f"cat /proc/stat > {RESULTS_DIR}/{name}_stat.txt; "
            f"[ -f /run/mediumd.pid ] && cat {md} > {RESULTS_DIR}/{name}_md.txt; true")


def iperf_job(seconds: int) -> str:
    """Shell: iperf3 server at the AP, UDP then TCP from station 1, JSON into $RESULTS, with
    the CPU counters before and after each run (where the time goes: `_cpu_split`)."""
    client = f"ip netns exec sta1 iperf3 -c {wifi.AP_IP} -t {seconds} -J"
    return f"""
iperf3 -s -D -B {wifi.AP_IP} -p 5201
wait_for 20 sh -c 'ss -ltn | grep -q :5201'
{_cpu_snapshot("udp0")}
{client} -u -b 0 -l 1400 > {RESULTS_DIR}/udp.json || true
{_cpu_snapshot("udp1")}
{_cpu_snapshot("tcp0")}
{client} > {RESULTS_DIR}/tcp.json || true
{_cpu_snapshot("tcp1")}
"""


def _cpu_split(files: dict[str, bytes], name: str) -> dict[str, Any] | None:
    """Where the VM's CPU time went during one iperf3 run, in % of all its vCPUs' time:
    user, system and softirq (the guest kernel: mac80211, netlink, the network stack), idle;
    and the medium daemon's own share (user + system), which the first three include."""
    try:
        before, after = (files[f"{name}{k}_stat.txt"].decode().split("\n", 1)[0].split()[1:] for k in "01")
    except KeyError:
        return None
    d = [int(b) - int(a) for a, b in zip(before, after, strict=False)]
    total = sum(d[:8]) or 1  # user nice system idle iowait irq softirq steal
    out: dict[str, Any] = {"user_pct": round(100 * (d[0] + d[1]) / total, 1),
                           "system_pct": round(100 * (d[2] + d[5]) / total, 1),
                           "softirq_pct": round(100 * d[6] / total, 1),
                           "idle_pct": round(100 * (d[3] + d[4]) / total, 1)}
    md0, md1 = files.get(f"{name}0_md.txt"), files.get(f"{name}1_md.txt")
    if md0 and md1:
        def ticks(raw: bytes) -> int:
            f = raw.decode().rsplit(")", 1)[1].split()
            return int(f[11]) + int(f[12])  # utime + stime

        out["mediumd_pct"] = round(100 * (ticks(md1) - ticks(md0)) / total, 1)
    return out


def ping_all_job(stations: int, count: int, interval: float) -> str:
    """Shell: every station pings the AP at the same time."""
    lines = [f"ip netns exec sta{n} ping -q -c {count} -i {interval} -W 2 {wifi.AP_IP} "
             f"> {RESULTS_DIR}/ping_{n}.txt 2>&1 & pings+=($!)" for n in range(1, stations + 1)]
    # Wait for the pings only: a bare `wait` would also wait for a medium daemon started in the background.
    return "pings=()\n" + "\n".join(lines) + '\nwait "${pings[@]}" || true\n'


def ring_job(radios: int, count: int, interval: float) -> str:
    """Shell: AP on radio 0, stations 1..N-1 joined with `iw connect`, then every radio pings the next."""
    n = radios
    return f"""
{wifi.start_ap()}
for n in $(seq 1 {n - 1}); do
  ip netns add s$n
  iw phy "$(cat /sys/class/net/wlan$n/phy80211/name)" set netns name s$n
  ip -n s$n link set lo up
  ip -n s$n addr add 10.80.0.$((n + 1))/24 dev wlan$n
  ip -n s$n link set wlan$n up
  ip netns exec s$n iw dev wlan$n connect {wifi.SSID} 2412
done
# cfg80211's own connect (no supplicant) does not try again when an attempt fails (a scan
# that missed the AP under load): ask again every 5 s, for at most 2 minutes in all.
connected() {{ ip netns exec s$1 iw dev wlan$1 link | grep -q Connected; }}
joined=0
deadline=$(( $(date +%s) + 120 ))
for n in $(seq 1 {n - 1}); do
  until connected $n || [ "$(date +%s)" -ge $deadline ]; do
    wait_for 5 connected $n || ip netns exec s$n iw dev wlan$n connect {wifi.SSID} 2412 || true
  done
  if connected $n; then joined=$((joined + 1)); fi
done
echo $joined > {RESULTS_DIR}/joined.txt
pings=()
for n in $(seq 0 {n - 1}); do
  dst=10.80.0.$(( (n + 1) % {n} + 1 ))
  if [ $n = 0 ]; then ns=""; else ns="ip netns exec s$n"; fi
  $ns ping -q -c {count} -i {interval} -W 2 $dst > {RESULTS_DIR}/ring_$n.txt 2>&1 & pings+=($!)
done
wait "${{pings[@]}}" || true
"""


def _mbit(report: dict[str, Any]) -> float | None:
    end = report.get("end", {})
    received = end.get("sum_received") or {}
    if "bits_per_second" in received:
        return round(received["bits_per_second"] / 1e6, 2)
    total = end.get("sum")
    if total and "bits_per_second" in total:  # UDP: the sender's rate less what the server lost
        return round(total["bits_per_second"] * (1 - total.get("lost_percent", 0) / 100) / 1e6, 2)
    return None


def _iperf(files: dict[str, bytes], name: str) -> dict[str, Any]:
    try:
        report = json.loads(files[name])
    except (KeyError, ValueError):
        return {"mbit_s": None, "error": "no report"}
    out: dict[str, Any] = {"mbit_s": _mbit(report)}
    cpu = _cpu_split(files, name.split(".")[0])
    if cpu is not None:
        out["cpu"] = cpu
    if "error" in report:
        out["error"] = report["error"]
    total = report.get("end", {}).get("sum", {})
    if "lost_percent" in total:
        out["lost_pct"] = round(total["lost_percent"], 2)
    return out


def _pings(files: dict[str, bytes], stations: int, *, prefix: str = "ping", first: int = 1) -> dict[str, Any]:
    sent = received = 0
    rtts: list[float] = []
    for n in range(first, stations + 1):
        text = files.get(f"{prefix}_{n}.txt", b"").decode()
        m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
        if m:
            sent += int(m.group(1))
            received += int(m.group(2))
        r = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/", text)
        if r:
            rtts.append(float(r.group(2)))
    return {"sent": sent, "received": received,
            "loss_pct": round(100 * (sent - received) / sent, 2) if sent else None,
            "rtt_avg_ms": round(sum(rtts) / len(rtts), 3) if rtts else None,
            "rtt_worst_station_avg_ms": max(rtts) if rtts else None}


def _run(vm: Vm, medium: list[str] | None, radios: int, body: str) -> tuple[dict[str, bytes], dict[str, Any]]:
    pre = mediumd.start(mediumd.snr_config(radios, SNR_DB), medium) if medium is not None else ""
    post = mediumd.stop() if medium is not None else ""
    stations = radios - 1
    job = wifi.association(None, stations=stations, before_ap=pre) + body + post
    r = vm.run(job, radios=radios, timeout_s=900)
    joined = sum("wpa_state=COMPLETED" in r.files.get(f"status_{n}.txt", b"").decode()
                 for n in range(1, stations + 1))
    assoc = [int(r.files[f"assoc_{n}_ms"]) for n in range(1, stations + 1) if f"assoc_{n}_ms" in r.files]
    meta = {"rc": r.rc, "boot_s": r.boot_s, "job_s": r.job_s and round(r.job_s, 2),
            "wall_s": round(r.wall_s, 1), "stations_joined": f"{joined}/{stations}",
            "assoc_ms_max": max(assoc) if assoc else None}
    if r.rc != 0:
        meta["error"] = r.stderr.strip()[-500:]
    return r.files, meta


def ring(vm: Vm, medium: list[str] | None, radios: int, a: argparse.Namespace) -> dict[str, Any]:
    pre = mediumd.start(mediumd.snr_config(radios, SNR_DB), medium) if medium is not None else ""
    post = mediumd.stop() if medium is not None else ""
    r = vm.run(pre + ring_job(radios, a.pings, a.interval) + post, radios=radios, timeout_s=1800)
    out: dict[str, Any] = {"rc": r.rc, "boot_s": r.boot_s, "job_s": r.job_s and round(r.job_s, 2),
                           "wall_s": round(r.wall_s, 1),
                           "stations_joined": f"{r.files.get('joined.txt', b'?').decode().strip()}/"
                                              f"{radios - 1}",
                           **_pings(r.files, radios - 1, prefix="ring", first=0)}
    if r.rc != 0:
        out["error"] = r.stderr.strip()[-500:]
    return out


def measure(vm: Vm, medium: list[str] | None, a: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if a.seconds > 0:
        files, meta = _run(vm, medium, 2, iperf_job(a.seconds))
        out["iperf"] = {**meta, "udp": _iperf(files, "udp.json"), "tcp": _iperf(files, "tcp.json")}
    for n in a.radios:
        files, meta = _run(vm, medium, n, ping_all_job(n - 1, a.pings, a.interval))
        out[f"ping_{n}_radios"] = {**meta, **_pings(files, n - 1)}
    for n in a.ring:
        out[f"ring_{n}_radios"] = ring(vm, medium, n, a)
    return out


def modeled_ceiling_mbit(payload: int = 1400, rate_idx: int = 11, seconds: float = 1.0) -> float:
    """UDP goodput the modeled medium itself allows one saturated sender at 54 Mb/s
    (hwsim's legacy rate 11, the AP's `hw_mode=g`), its receiver ACKing every frame:
    the medium kernel alone, no daemon, no VM.  hwsim-mediumd delivers at the end of
    each frame's airtime, so this bounds what iperf3 can see through it; the perfect
    medium has no airtime and no such bound."""
    import numpy as np

    from drivers.hwsim.kernel import CKernel
    from drivers.hwsim.kernel.medtypes import ADDR_OWN, FT_OTHER, MODELED, RADIO_STARTED, TXF_NEEDS_ACK, TxReq

    k = CKernel(MODELED, 1)
    a = [0x02_00_00_00_00_00 | (i << 8) for i in range(2)]
    for i in range(2):
        k.add_radio()
        k.set_radio(i, RADIO_STARTED, 2412)
        k.addr_add(i, a[i], ADDR_OWN)
    k.set_links(np.array([[-1000.0, SNR_DB], [SNR_DB, -1000.0]]))
    length = 24 + 8 + 20 + 8 + payload  # 802.11 header, LLC/SNAP, IPv4, UDP, payload
    queued: set[int] = set()
    done, t, end = 0, 0, int(seconds * 1e9)
    while t < end:
        while len(queued) < 50:  # a full queue: the sender always has a frame ready
            queued.add(k.tx(TxReq(0, length, a[1], a[0], a[1], a[1], 0, FT_OTHER, TXF_NEEDS_ACK, 2,
                                  ((rate_idx, 1),)), t))
        t = k.next_time() or end
        k.run(t)
        for e in k.pop_events():
            if e.kind == 2 and e.frame_id in queued:
                queued.discard(e.frame_id)
                done += 1
    return round(done * payload * 8 / seconds / 1e6, 2)


def _ratio(x: float | None, y: float | None) -> float | None:
    return round(x / y, 4) if x is not None and y else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true")
    p.add_argument("--seconds", type=int, default=5, help="iperf3 duration (0: no iperf3)")
    p.add_argument("--radios", type=int, nargs="*", default=[2, 10], help="AP + stations pinging the AP")
    p.add_argument("--ring", type=int, nargs="*", default=[2, 10, 50, 100],
                   help="radios of the ring figures (every radio pings the next)")
    p.add_argument("--media", nargs="+", default=["perfect", "hwsim-mediumd"],
                   choices=["perfect", "hwsim-mediumd"])
    p.add_argument("--pings", type=int, default=20, help="pings per station")
    p.add_argument("--interval", type=float, default=0.2)
    p.add_argument("--cpus", type=int, default=2, help="vCPUs of the VM")
    a = p.parse_args()
    try:
        vm = Vm.build(pathlib.Path(tempfile.mkdtemp(prefix="bench-vm-")), cpus=a.cpus)
    except KernelUnavailable as e:
        print(f"bench_realkernel: skipped, {e}")
        return 0
    kernel_mode = mediumd.kernel_mode_args()
    res: dict[str, Any] = {"kernel": vm.kernel.release, "cpus": a.cpus, "media": {}}
    if "perfect" in a.media:
        res["media"]["perfect"] = measure(vm, None, a)
    if "hwsim-mediumd" not in a.media:
        pass
    elif kernel_mode is None:
        res["media"]["hwsim-mediumd"] = "skipped: hwsim-mediumd --help shows no kernel mode"
    else:
        res["media"]["hwsim-mediumd"] = m = measure(vm, kernel_mode, a)
        if "iperf" in m:
            ceiling = modeled_ceiling_mbit()
            res["modeled_udp_ceiling_mbit_s"] = ceiling
            res["mediumd_udp_over_ceiling"] = _ratio(m["iperf"]["udp"]["mbit_s"], ceiling)
        if "perfect" in res["media"] and "iperf" in m:
            perfect = res["media"]["perfect"]["iperf"]
            res["mediumd_over_perfect"] = {k: _ratio(m["iperf"][k]["mbit_s"], perfect[k]["mbit_s"])
                                           for k in ("udp", "tcp")}
    if a.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"real kernel {res['kernel']} under qemu TCG, {a.cpus} vCPU(s)")
    for name, m in res["media"].items():
        if isinstance(m, str):
            print(f"{name}: {m}")
            continue
        print(f"{name} medium:")
        if "iperf" in m:
            i = m["iperf"]
            print(f"  AP + 1 station, joined {i['stations_joined']} "
                  f"(boot {i['boot_s']} s, job {i['job_s']} s)")
            for k in ("udp", "tcp"):
                extra = f", {i[k]['lost_pct']}% lost" if "lost_pct" in i[k] else ""
                print(f"  iperf3 {k.upper()} station -> AP: {i[k]['mbit_s']} Mbit/s{extra}")
                if "cpu" in i[k]:
                    print("    CPU of the VM: " + ", ".join(f"{n[:-4]} {v}%" for n, v in i[k]["cpu"].items()))
        for n in a.radios:
            q = m[f"ping_{n}_radios"]
            print(f"  {n} radios, {n - 1} station(s) pinging at once (joined {q['stations_joined']}): "
                  f"{q['received']}/{q['sent']} replies ({q['loss_pct']}% lost), "
                  f"RTT avg {q['rtt_avg_ms']} ms, worst station avg {q['rtt_worst_station_avg_ms']} ms")
        for n in a.ring:
            q = m[f"ring_{n}_radios"]
            print(f"  ring of {n} radios (joined {q['stations_joined']}), each pinging the next: "
                  f"{q['received']}/{q['sent']} replies ({q['loss_pct']}% lost), "
                  f"RTT avg {q['rtt_avg_ms']} ms, "
                  f"worst radio avg {q['rtt_worst_station_avg_ms']} ms (job {q['job_s']} s)")
    if "mediumd_over_perfect" in res:
        r = res["mediumd_over_perfect"]
        print(f"hwsim-mediumd / perfect throughput: UDP {r['udp']}, TCP {r['tcp']}")
    if "modeled_udp_ceiling_mbit_s" in res:
        print(f"UDP the modeled 54 Mb/s channel itself allows: {res['modeled_udp_ceiling_mbit_s']} Mbit/s; "
              f"through hwsim-mediumd: {res['mediumd_udp_over_ceiling']} of it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
