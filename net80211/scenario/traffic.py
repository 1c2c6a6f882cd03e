"""Scenario traffic: a tiny IPv4 host on each vap's netdev, ping-like echo
flows and constant-rate UDP flows between hosts, all in virtual time.

Each `Host` answers ICMP echo requests to its address (the receiving side's
responder, as a kernel would) and hands replies and UDP datagrams to the
flow they belong to.  Neighbours are static (like `arp -s`): a flow knows
its peer's link address from the scenario, so no ARP is exchanged.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from ic import MS, InvalidArgument, Scheduler, mac_str
from net80211.netdev import QueueNetdev
from net80211.scenario import packets
from net80211.scenario.packets import ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, IPPROTO_ICMP, IPPROTO_UDP, BadPacket

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

# Payload prefix of our probes: magic, flow number, sequence, send time (ns).
_PROBE = struct.Struct(">4sIIq")
_MAGIC = b"n8sc"
_FILLER = bytes(range(256)) * 6  # ping's incrementing pattern, longer than any payload


class Host:
    """The IPv4 side of one vap's netdev, or of another link (a bridge's own
    port): `link` then has `send(eth) -> bool` and an `on_receive` callback."""

    def __init__(self, sched: Scheduler, vap: IEEE80211Vap | None, ip: bytes, *, name: str = "",
                 mac: bytes | None = None, link: Any = None) -> None:
        self.sched = sched
        self.vap = vap
        if vap is not None:
            nd, mac = vap.netdev, vap.macaddr
            if not isinstance(nd, QueueNetdev) or mac is None:
                raise InvalidArgument(f"{vap.name}: traffic needs an attached vap with an in-process netdev")
            link, name = nd, vap.name
        elif link is None or mac is None:
            raise InvalidArgument(f"{name}: a host needs a vap or a link and an address")
        self.name = name
        self.netdev = link
        self.mac: bytes = mac
        self.ip = ip
        self.ip_id = 0
        self.pings: dict[int, PingFlow] = {}  # ICMP ident -> flow
        self.sinks: dict[int, UdpFlow] = {}  # UDP port -> flow
        self.stats = {"rx": 0, "tx": 0, "tx_failed": 0, "rx_bad": 0, "rx_other": 0,
                      "echo_replies_sent": 0}
        self.netdev.on_receive = self.receive

    def send(self, frame: bytes) -> bool:
        """Hand a frame to the vap; False when it refused it (not running, no BSS, ...)."""
        ok = bool(self.netdev.send(frame))
        self.stats["tx" if ok else "tx_failed"] += 1
        return ok

    def next_ip_id(self) -> int:
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        return self.ip_id

    def receive(self, frame: bytes) -> None:
        self.stats["rx"] += 1
        try:
            pkt = packets.parse(frame)
        except BadPacket:
            self.stats["rx_bad"] += 1
            return
        if pkt is None or pkt.dst_ip != self.ip:
            self.stats["rx_other"] += 1
            return
        if pkt.proto == IPPROTO_ICMP and pkt.a == ICMP_ECHO_REQUEST:
            # Answer to the sender's link address, as the kernel's ICMP does.
            reply = packets.echo_frame(pkt.src_mac, self.mac, self.ip, pkt.src_ip, ICMP_ECHO_REPLY, pkt.b,
                                       pkt.c, pkt.data, self.next_ip_id())
            if self.send(reply):
                self.stats["echo_replies_sent"] += 1
        elif pkt.proto == IPPROTO_ICMP and pkt.a == ICMP_ECHO_REPLY and pkt.b in self.pings:
            self.pings[pkt.b].reply(pkt)
        elif pkt.proto == IPPROTO_UDP and pkt.b in self.sinks:
            self.sinks[pkt.b].arrive(pkt)
        else:
            self.stats["rx_other"] += 1


def _ms(ns: float) -> float:
    return round(ns / MS, 3)


class _Flow:
    kind = ""

    def __init__(self, number: int, src: Host, dst: Host, size: int, start_ns: int) -> None:
        self.number = number
        self.src = src
        self.dst = dst
        self.size = max(size, _PROBE.size)
        self.start_ns = start_ns
        self.sent = 0
        self.send_failed = 0
        self.received = 0
        self.duplicates = 0
        self.corrupt = 0
        self.seen: set[int] = set()
        self.delays: list[int] = []
        self.last_rx_ns: int | None = None
        self.max_gap_ns = 0  # the longest time between two arrivals: does the data keep flowing?

    def payload(self, seq: int) -> bytes:
        head = _PROBE.pack(_MAGIC, self.number, seq, self.src.sched.now_ns)
        return head + _FILLER[:self.size - len(head)]

    def _probe(self, data: bytes) -> tuple[int, int] | None:
        """(seq, send time) if `data` is one of this flow's intact probes."""
        if len(data) != self.size or len(data) < _PROBE.size:
            return None
        magic, number, seq, t = _PROBE.unpack_from(data)
        if magic != _MAGIC or number != self.number:
            return None
        return seq, t

    def _count(self, data: bytes) -> None:
        probe = self._probe(data)
        if probe is None:
            self.corrupt += 1
            return
        seq, t = probe
        if seq in self.seen:
            self.duplicates += 1
            return
        self.seen.add(seq)
        self.received += 1
        now = self.src.sched.now_ns
        self.delays.append(now - t)
        if self.last_rx_ns is not None:
            self.max_gap_ns = max(self.max_gap_ns, now - self.last_rx_ns)
        self.last_rx_ns = now

    def result(self) -> dict[str, Any]:
        attempted = self.sent + self.send_failed
        lost = attempted - self.received
        d = self.delays
        return {
            "type": self.kind, "from": self.src.name, "to": self.dst.name,
            "src_ip": _ip(self.src.ip), "dst_ip": _ip(self.dst.ip), "size": self.size,
            "sent": attempted, "send_failed": self.send_failed, "received": self.received,
            "lost": lost, "loss_pct": round(100.0 * lost / attempted, 2) if attempted else None,
            "duplicates": self.duplicates, "corrupt": self.corrupt,
            "min_ms": _ms(min(d)) if d else None, "avg_ms": _ms(sum(d) / len(d)) if d else None,
            "max_ms": _ms(max(d)) if d else None,
            "max_gap_ms": _ms(self.max_gap_ns) if self.received > 1 else None,
        }


def _ip(b: bytes) -> str:
    return ".".join(str(x) for x in b)


class PingFlow(_Flow):
    """`ping -c count -i interval -s size`: echo requests, round-trip times."""

    kind = "ping"

    def __init__(self, number: int, src: Host, dst: Host, *, count: int, interval_ns: int, size: int,
                 start_ns: int) -> None:
        super().__init__(number, src, dst, size, start_ns)
        self.count = count
        self.interval_ns = interval_ns
        self.ident = number & 0xFFFF
        src.pings[self.ident] = self
        src.sched.call_at(start_ns, self._tick)

    def _tick(self) -> None:
        seq = self.sent + self.send_failed
        if seq >= self.count:
            return
        frame = packets.echo_frame(self.dst.mac, self.src.mac, self.src.ip, self.dst.ip, ICMP_ECHO_REQUEST,
                                   self.ident, seq, self.payload(seq), self.src.next_ip_id())
        if self.src.send(frame):
            self.sent += 1
        else:
            self.send_failed += 1
        if seq + 1 < self.count:
            self.src.sched.call_later(self.interval_ns, self._tick)

    def reply(self, pkt: packets.Packet) -> None:
        if pkt.src_ip != self.dst.ip:
            self.corrupt += 1
            return
        self._count(pkt.data)

    def result(self) -> dict[str, Any]:
        r = super().result()
        r["count"] = self.count
        r["interval_ms"] = _ms(self.interval_ns)
        r["rtt_min_ms"], r["rtt_avg_ms"], r["rtt_max_ms"] = r.pop("min_ms"), r.pop("avg_ms"), r.pop("max_ms")
        return r


class UdpFlow(_Flow):
    """A constant-rate UDP stream: `rate` datagrams per second of `size` bytes
    for `duration`; the receiver measures loss and one-way delay."""

    kind = "udp"

    def __init__(self, number: int, src: Host, dst: Host, *, rate: float, size: int, duration_ns: int,
                 start_ns: int, port: int) -> None:
        super().__init__(number, src, dst, size, start_ns)
        self.rate = rate
        self.duration_ns = duration_ns
        self.port = port
        self.bytes_received = 0
        self.total = max(1, int(rate * duration_ns / 1e9)) if duration_ns > 0 else 0
        if port in dst.sinks:
            raise ValueError(f"{dst.name} already receives a flow on UDP port {port}")
        dst.sinks[port] = self
        if self.total:
            src.sched.call_at(start_ns, self._tick)

    def _tick(self) -> None:
        seq = self.sent + self.send_failed
        frame = packets.udp_frame(self.dst.mac, self.src.mac, self.src.ip, self.dst.ip, self.port, self.port,
                                  self.payload(seq), self.src.next_ip_id())
        if self.src.send(frame):
            self.sent += 1
        else:
            self.send_failed += 1
        if seq + 1 < self.total:
            # Integer schedule from the start time: no drift from summing floats.
            due = self.start_ns + (seq + 1) * self.duration_ns // self.total
            self.src.sched.call_at(due, self._tick)

    def arrive(self, pkt: packets.Packet) -> None:
        before = self.received
        self._count(pkt.data)
        if self.received > before:
            self.bytes_received += len(pkt.data)

    def result(self) -> dict[str, Any]:
        r = super().result()
        r.update(rate_pps=self.rate, duration_ms=_ms(self.duration_ns), port=self.port,
                 goodput_kbps=round(self.bytes_received * 8 / (self.duration_ns / 1e9) / 1000, 3)
                 if self.duration_ns else None)
        r["latency_min_ms"], r["latency_avg_ms"], r["latency_max_ms"] = (
            r.pop("min_ms"), r.pop("avg_ms"), r.pop("max_ms"))
        return r


def host_summary(host: Host) -> dict[str, Any]:
    return {"ip": _ip(host.ip), "mac": mac_str(host.mac), **host.stats}
