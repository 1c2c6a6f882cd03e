"""Scenario traffic packets: real Ethernet/IPv4/ICMP/UDP with correct checksums."""

from __future__ import annotations

import struct
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net80211.scenario import packets
from net80211.scenario.packets import BadPacket
from net80211.scenario.traffic import _FILLER, _MAGIC, _PROBE
from tests.conftest import require_tool

A, B = bytes.fromhex("020000000100"), bytes.fromhex("020000000200")
IP_A, IP_B = packets.ip_bytes("10.0.0.1"), packets.ip_bytes("10.0.0.2")


def test_checksum_rfc1071_example() -> None:
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2; checksum ~ddf2
    assert packets.inet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xFFFF - 0xDDF2
    assert packets.inet_checksum(b"\x01") == 0xFEFF  # odd length: padded with a zero byte


def test_known_icmp_echo_bytes() -> None:
    # ping -c1 -p 00 -s 4 10.0.0.2 from 10.0.0.1, id 0x1234 seq 1, IP id 7: checksums by hand
    f = packets.echo_frame(B, A, IP_A, IP_B, packets.ICMP_ECHO_REQUEST, 0x1234, 1, b"\0\0\0\0", ip_id=7)
    ip = f[14:34]
    assert ip[:2] == b"\x45\x00" and struct.unpack(">H", ip[2:4])[0] == 20 + 8 + 4
    assert ip[8] == 64 and ip[9] == 1 and ip[6:8] == b"\x40\x00"  # TTL 64, ICMP, DF
    words = sum(struct.unpack(">10H", ip[:10] + b"\0\0" + ip[12:]))
    while words >> 16:
        words = (words & 0xFFFF) + (words >> 16)
    assert struct.unpack(">H", ip[10:12])[0] == ~words & 0xFFFF
    # ICMP: 0800 0000 1234 0001 0000 0000 -> sum 0x1a35 -> checksum 0xe5ca
    assert f[34:] == bytes.fromhex("0800e5ca1234000100000000")


def test_parse_round_trip_icmp_and_udp() -> None:
    f = packets.echo_frame(B, A, IP_A, IP_B, packets.ICMP_ECHO_REPLY, 9, 77, b"hello")
    p = packets.parse(f)
    assert p is not None
    assert (p.dst_mac, p.src_mac, p.src_ip, p.dst_ip) == (B, A, IP_A, IP_B)
    assert (p.proto, p.a, p.b, p.c, p.data) == (packets.IPPROTO_ICMP, 0, 9, 77, b"hello")
    u = packets.parse(packets.udp_frame(B, A, IP_A, IP_B, 4000, 5001, b"x" * 100))
    assert u is not None and (u.proto, u.a, u.b, u.data) == (packets.IPPROTO_UDP, 4000, 5001, b"x" * 100)


def test_non_ip_is_none_and_damage_is_bad() -> None:
    assert packets.parse(B + A + b"\x08\x06" + bytes(28)) is None  # ARP
    good = packets.udp_frame(B, A, IP_A, IP_B, 1, 2, b"payload")
    for pos in (14 + 12, 14 + 20 + 6, len(good) - 1):  # IP source, UDP checksum, payload
        bad = bytearray(good)
        bad[pos] ^= 0x40
        with pytest.raises(BadPacket):
            packets.parse(bytes(bad))
    with pytest.raises(BadPacket):
        packets.parse(good[:30])
    # Ethernet padding after the IP datagram is ignored
    assert packets.parse(good + bytes(20)) is not None


@given(st.binary(max_size=120))
def test_parse_random_bytes_only_bad_packet(data: bytes) -> None:
    for frame in (data, B + A + b"\x08\x00" + data):
        try:
            packets.parse(frame)
        except BadPacket:
            pass


@given(st.binary(max_size=1472), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_udp_checksum_verifies(data: bytes, sport: int, dport: int) -> None:
    p = packets.parse(packets.udp_frame(B, A, IP_A, IP_B, sport, dport, data))
    assert p is not None and p.data == data and (p.a, p.b) == (sport, dport)


def test_tshark_accepts_the_frames(tmp_path) -> None:
    """Wireshark checks every checksum and finds nothing malformed."""
    tshark = require_tool("tshark")
    path = tmp_path / "eth.pcap"
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # LINKTYPE_ETHERNET
        frames = [packets.echo_frame(B, A, IP_A, IP_B, 8, 1, s, bytes(range(56))) for s in range(3)]
        frames += [packets.echo_frame(A, B, IP_B, IP_A, 0, 1, 0, bytes(range(56)))]
        probe = _PROBE.pack(_MAGIC, 1, 0, 123_000_000)  # what a scenario's UDP flow sends
        frames += [packets.udp_frame(B, A, IP_A, IP_B, 5001, 5001, probe + _FILLER[:500]),
                   packets.udp_frame(B, A, IP_A, IP_B, 5001, 5002, probe + b"odd")]
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)
    out = subprocess.run(
        [tshark, "-r", str(path), "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
         "-T", "fields", "-e", "_ws.col.Protocol", "-e", "ip.checksum.status", "-e", "icmp.checksum.status",
         "-e", "udp.checksum.status", "-e", "_ws.malformed", "-e", "_ws.expert.severity"],
        capture_output=True, text=True, check=True, timeout=60).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == ["ICMP"] * 4 + ["UDP"] * 2
    for r in rows:
        assert r[1] == "1"  # PROTO_CHECKSUM_E_GOOD (BAD is 0)
        assert r[2] in ("", "1") and r[3] in ("", "1")
        assert r[4] == ""  # not malformed
    assert all(r[2] == "1" for r in rows[:4]) and all(r[3] == "1" for r in rows[4:])

