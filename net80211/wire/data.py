"""Data frames (3 or 4 addresses, QoS, HT Control), LLC/SNAP and Ethernet-II."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from net80211.wire.frame import (
    _FC_DUR,
    _H,
    DATA_NODATA,
    DATA_QOS,
    DS_MASK,
    DataSubtype,
    FCFlags,
    FrameError,
    _check_addr,
    _check_uint,
    _FlagProps,
    trusted_ctor,
)

# --- data frames ---------------------------------------------------------------

@trusted_ctor
@dataclass(frozen=True, slots=True)
class DataFrame(_FlagProps):
    """A data frame: 3 addresses, a 4th iff ToDS and FromDS, QoS Control iff a
    QoS subtype, HT Control iff QoS and the Order flag.  `payload` is the frame
    body (LLC/SNAP plus data, or ciphertext when protected)."""

    addr1: bytes
    addr2: bytes
    addr3: bytes
    payload: bytes = b""
    subtype: int = DataSubtype.DATA
    flags: int = 0
    duration: int = 0
    seq: int = 0
    frag: int = 0
    addr4: bytes | None = None
    qos: int | None = None
    htc: int | None = None

    def __post_init__(self) -> None:
        for name in ("addr1", "addr2", "addr3"):
            _check_addr(name, getattr(self, name))
        _check_uint("subtype", self.subtype, 4)
        if self.subtype == 13:
            raise FrameError("data subtype 13 is reserved")
        _check_uint("flags", self.flags, 8)
        _check_uint("duration", self.duration, 16)
        _check_uint("seq", self.seq, 12)
        _check_uint("frag", self.frag, 4)
        if (self.flags & DS_MASK == DS_MASK) != (self.addr4 is not None):
            raise FrameError("addr4 is present if and only if both ToDS and FromDS are set")
        if self.addr4 is not None:
            _check_addr("addr4", self.addr4)
        is_qos = bool(self.subtype & DATA_QOS)
        if is_qos != (self.qos is not None):
            raise FrameError("QoS Control is present if and only if the subtype is a QoS one")
        if self.qos is not None:
            _check_uint("qos", self.qos, 16)
        if (is_qos and bool(self.flags & FCFlags.ORDER)) != (self.htc is not None):
            raise FrameError("HT Control is present if and only if QoS data has the Order flag")
        if self.htc is not None:
            _check_uint("htc", self.htc, 32)
        if not isinstance(self.payload, bytes):
            raise FrameError("payload must be bytes")
        if self.subtype & DATA_NODATA and self.payload:
            raise FrameError(f"data subtype {self.subtype} carries no frame body")

    # Address roles by the DS bits (IEEE 802.11-2020 Table 9-30).
    @property
    def ra(self) -> bytes:
        return self.addr1

    @property
    def ta(self) -> bytes:
        return self.addr2

    @property
    def da(self) -> bytes:
        return self.addr3 if self.flags & 0x01 else self.addr1

    @property
    def sa(self) -> bytes:
        ds = self.flags & DS_MASK
        if ds == 3:
            return self.addr4  # type: ignore[return-value]  # ToDS+FromDS frames always carry addr4
        return self.addr3 if ds == 2 else self.addr2

    @property
    def bssid(self) -> bytes | None:
        """The BSSID, or None for a 4-address (WDS) frame, which has none."""
        ds = self.flags & DS_MASK
        return (self.addr3, self.addr1, self.addr2, None)[ds]

    @property
    def tid(self) -> int | None:
        return None if self.qos is None else self.qos & 0xF

    def to_bytes(self) -> bytes:
        fc = 0x08 | self.subtype << 4 | self.flags << 8
        parts = [struct.pack("<HH", fc, self.duration), self.addr1, self.addr2, self.addr3,
                 _H.pack(self.seq << 4 | self.frag)]
        if self.addr4 is not None:
            parts.append(self.addr4)
        if self.qos is not None:
            parts.append(_H.pack(self.qos))
        if self.htc is not None:
            parts.append(struct.pack("<I", self.htc))
        parts.append(self.payload)
        return b"".join(parts)

    @classmethod
    def parse(cls, buf: bytes) -> DataFrame:
        buf = bytes(buf)
        n = len(buf)
        if n < 24:
            raise FrameError("data frame shorter than its 24-byte header")
        b0, flags, duration = _FC_DUR.unpack_from(buf)
        if b0 & 0x0F != 0x08:
            raise FrameError("not a version-0 data frame")
        subtype = b0 >> 4
        if subtype == 13:
            raise FrameError("data subtype 13 is reserved")
        seqctl = buf[22] | buf[23] << 8
        off = 24
        addr4 = qos = htc = None
        if flags & DS_MASK == DS_MASK:
            if n < off + 6:
                raise FrameError("4-address data frame truncated before addr4")
            addr4 = buf[off:off + 6]
            off += 6
        if subtype & DATA_QOS:
            if n < off + 2:
                raise FrameError("QoS data frame truncated before QoS Control")
            qos = buf[off] | buf[off + 1] << 8
            off += 2
            if flags & 0x80:
                if n < off + 4:
                    raise FrameError("QoS data frame with Order flag truncated before HT Control")
                htc = int.from_bytes(buf[off:off + 4], "little")
                off += 4
        if subtype & DATA_NODATA and off != n:
            raise FrameError(f"data subtype {subtype} carries no frame body")
        return cls._new(buf[4:10], buf[10:16], buf[16:22], buf[off:], subtype, flags, duration,
                        seqctl >> 4, seqctl & 0xF, addr4, qos, htc)


# --- LLC/SNAP and Ethernet --------------------------------------------------------

# RFC 1042 SNAP; IPX and AppleTalk ARP use the 802.1H bridge-tunnel OUI so a
# bridge can tell them apart from 802.3-framed IPX/AppleTalk (802.1H, Annex M).
_SNAP_RFC1042 = b"\xaa\xaa\x03\x00\x00\x00"
_SNAP_BRIDGE_TUNNEL = b"\xaa\xaa\x03\x00\x00\xf8"
_TUNNEL_TYPES = (0x8137, 0x80F3)


def llc_snap_encap(ethertype: int, payload: bytes) -> bytes:
    """802.11 frame body for an Ethernet-II payload: LLC/SNAP header + payload."""
    _check_uint("ethertype", ethertype, 16)
    if ethertype < 0x0600:
        raise FrameError("ethertype below 0x0600 is an 802.3 length, not a type")
    snap = _SNAP_BRIDGE_TUNNEL if ethertype in _TUNNEL_TYPES else _SNAP_RFC1042
    return snap + _H_BE.pack(ethertype) + payload


def llc_snap_decap(body: bytes) -> tuple[int, bytes]:
    """(ethertype, payload) of an LLC/SNAP frame body."""
    if len(body) < 8:
        raise FrameError("frame body shorter than an LLC/SNAP header")
    head = body[:6]
    if head != _SNAP_RFC1042 and head != _SNAP_BRIDGE_TUNNEL:
        raise FrameError("frame body does not start with an RFC 1042 / 802.1H SNAP header")
    ethertype = body[6] << 8 | body[7]
    if ethertype < 0x0600:
        raise FrameError("SNAP header carries an 802.3 length, not an ethertype")
    return ethertype, bytes(body[8:])


_H_BE = struct.Struct(">H")


def build_ether(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    """An Ethernet-II frame (no FCS)."""
    _check_addr("dst", dst)
    _check_addr("src", src)
    _check_uint("ethertype", ethertype, 16)
    return dst + src + _H_BE.pack(ethertype) + payload


def parse_ether(frame: bytes) -> tuple[bytes, bytes, int, bytes]:
    """(dst, src, ethertype, payload) of an Ethernet-II frame."""
    if len(frame) < 14:
        raise FrameError("Ethernet frame shorter than its 14-byte header")
    frame = bytes(frame)
    return frame[0:6], frame[6:12], frame[12] << 8 | frame[13], frame[14:]
