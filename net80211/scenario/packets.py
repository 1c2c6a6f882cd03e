"""Ethernet + IPv4 + ICMP/UDP packets for scenario traffic.

Real wire formats with correct checksums (RFC 791, 792, 768, 1071), so the
frames a scenario puts on a netdev are what a TAP device or Wireshark would
accept.  `parse` is strict: a frame with a wrong checksum or length is
reported as bad, never raised through.
"""

from __future__ import annotations

import ipaddress
import struct
from typing import NamedTuple

from net80211.wire.data import build_ether, parse_ether
from net80211.wire.frame import FrameError

ETH_P_IP = 0x0800
IPPROTO_ICMP = 1
IPPROTO_UDP = 17
ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8
IP_HDR_LEN = 20
UDP_HDR_LEN = 8
ICMP_HDR_LEN = 8
DEFAULT_TTL = 64

_IP = struct.Struct(">BBHHHBBH4s4s")
_ICMP = struct.Struct(">BBHHH")
_UDP = struct.Struct(">HHHH")


def inet_checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum."""
    if len(data) & 1:
        data += b"\0"
    total = sum(memoryview(data).cast("H"))  # native order; byte-swapped below if needed
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    if struct.pack("=H", 1) == b"\x01\x00":  # little-endian host: swap to network order
        total = ((total & 0xFF) << 8) | (total >> 8)
    return ~total & 0xFFFF


def ip_bytes(addr: str | bytes | ipaddress.IPv4Address) -> bytes:
    if isinstance(addr, bytes):
        return addr
    return ipaddress.IPv4Address(addr).packed


def ipv4(src: bytes, dst: bytes, proto: int, payload: bytes, ident: int = 0, ttl: int = DEFAULT_TTL) -> bytes:
    """An IPv4 datagram (no options, Don't Fragment set) around `payload`."""
    total = IP_HDR_LEN + len(payload)
    if total > 0xFFFF:
        raise ValueError(f"IPv4 datagram of {total} bytes is too long")
    hdr = _IP.pack(0x45, 0, total, ident & 0xFFFF, 0x4000, ttl, proto, 0, src, dst)
    csum = inet_checksum(hdr)
    return hdr[:10] + csum.to_bytes(2, "big") + hdr[12:] + payload


def icmp_echo(kind: int, ident: int, seq: int, data: bytes) -> bytes:
    """An ICMP echo request (8) or reply (0) message."""
    msg = _ICMP.pack(kind, 0, 0, ident & 0xFFFF, seq & 0xFFFF) + data
    csum = inet_checksum(msg)
    return msg[:2] + csum.to_bytes(2, "big") + msg[4:]


def udp(src: bytes, dst: bytes, sport: int, dport: int, data: bytes) -> bytes:
    """A UDP datagram with its checksum over the IPv4 pseudo-header."""
    length = UDP_HDR_LEN + len(data)
    msg = _UDP.pack(sport, dport, length, 0) + data
    pseudo = src + dst + struct.pack(">BBH", 0, IPPROTO_UDP, length)
    csum = inet_checksum(pseudo + msg) or 0xFFFF  # 0 means "no checksum" in UDP
    return msg[:6] + csum.to_bytes(2, "big") + msg[8:]


def echo_frame(dst_mac: bytes, src_mac: bytes, src_ip: bytes, dst_ip: bytes, kind: int, ident: int,
               seq: int, data: bytes, ip_id: int = 0) -> bytes:
    """An Ethernet frame carrying an ICMP echo request or reply."""
    return build_ether(dst_mac, src_mac, ETH_P_IP,
                       ipv4(src_ip, dst_ip, IPPROTO_ICMP, icmp_echo(kind, ident, seq, data), ip_id))


def udp_frame(dst_mac: bytes, src_mac: bytes, src_ip: bytes, dst_ip: bytes, sport: int, dport: int,
              data: bytes, ip_id: int = 0) -> bytes:
    """An Ethernet frame carrying a UDP datagram."""
    return build_ether(dst_mac, src_mac, ETH_P_IP,
                       ipv4(src_ip, dst_ip, IPPROTO_UDP, udp(src_ip, dst_ip, sport, dport, data), ip_id))


class Packet(NamedTuple):
    """What `parse` found in an Ethernet frame."""

    dst_mac: bytes
    src_mac: bytes
    src_ip: bytes
    dst_ip: bytes
    proto: int
    ttl: int
    # ICMP: (type, ident, seq); UDP: (sport, dport, 0)
    a: int
    b: int
    c: int
    data: bytes


class BadPacket(ValueError):
    """An IPv4 frame whose lengths or checksums are wrong."""


def parse(frame: bytes) -> Packet | None:
    """The IPv4 ICMP/UDP packet in an Ethernet frame; None if the frame is
    something else (ARP, IPv6, ...); BadPacket if it is IPv4 but broken."""
    try:
        dst, src, etype, payload = parse_ether(frame)
    except FrameError as e:
        raise BadPacket(str(e)) from None
    if etype != ETH_P_IP:
        return None
    if len(payload) < IP_HDR_LEN:
        raise BadPacket("IPv4 header truncated")
    vihl, _tos, total, _ident, _frag, ttl, proto, _csum, sip, dip = _IP.unpack_from(payload)
    ihl = (vihl & 0xF) * 4
    if vihl >> 4 != 4 or ihl < IP_HDR_LEN or total < ihl or total > len(payload):
        raise BadPacket("IPv4 version or lengths are wrong")
    if inet_checksum(payload[:ihl]) != 0:
        raise BadPacket("IPv4 header checksum is wrong")
    body = payload[ihl:total]  # Ethernet padding after `total` is not ours
    if proto == IPPROTO_ICMP:
        if len(body) < ICMP_HDR_LEN or inet_checksum(body) != 0:
            raise BadPacket("ICMP message truncated or checksum wrong")
        kind, _code, _c, ident, seq = _ICMP.unpack_from(body)
        return Packet(dst, src, sip, dip, proto, ttl, kind, ident, seq, body[ICMP_HDR_LEN:])
    if proto == IPPROTO_UDP:
        if len(body) < UDP_HDR_LEN:
            raise BadPacket("UDP header truncated")
        sport, dport, length, csum = _UDP.unpack_from(body)
        if length < UDP_HDR_LEN or length > len(body):
            raise BadPacket("UDP length is wrong")
        pseudo = sip + dip + struct.pack(">BBH", 0, IPPROTO_UDP, length)
        if csum and inet_checksum(pseudo + body[:length]) != 0:
            raise BadPacket("UDP checksum is wrong")
        return Packet(dst, src, sip, dip, proto, ttl, sport, dport, 0, body[UDP_HDR_LEN:length])
    return Packet(dst, src, sip, dip, proto, ttl, 0, 0, 0, body)
