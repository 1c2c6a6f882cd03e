"""802.11 frames: the MAC header, control and data frames, and frame dispatch.

A strict sans-IO codec.  Every frame is a frozen slots dataclass with
`to_bytes()` and a `parse(bytes)` classmethod; `parse_frame()` picks the class
from the frame-control field.  Parsing untrusted bytes raises only
`FrameError`.  Frames never carry an FCS here: radiotap adds and strips it.

`peek()` is the receive hot path: type, subtype, addresses and sequence
number straight from the bytes, no objects built.

Management frames and their bodies live in `mgmt.py`, elements in `ie.py`.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "BROADCAST", "CtrlSubtype", "DataSubtype", "FCFlags", "FrameError", "FrameType", "MgmtSubtype",
    "Ack", "Cts", "DataFrame", "PsPoll", "RawFrame", "Rts",
    "build_ether", "fc_pack", "fc_unpack", "is_multicast", "llc_snap_decap", "llc_snap_encap",
    "mac_str", "parse_ether", "parse_frame", "parse_mac", "peek",
]


class FrameError(ValueError):
    """Malformed or unsupported frame bytes (or invalid values to build one)."""


class FrameType(enum.IntEnum):
    MGMT = 0
    CTRL = 1
    DATA = 2
    EXT = 3


class MgmtSubtype(enum.IntEnum):
    ASSOC_REQ = 0
    ASSOC_RESP = 1
    REASSOC_REQ = 2
    REASSOC_RESP = 3
    PROBE_REQ = 4
    PROBE_RESP = 5
    TIMING_ADV = 6
    BEACON = 8
    ATIM = 9
    DISASSOC = 10
    AUTH = 11
    DEAUTH = 12
    ACTION = 13
    ACTION_NOACK = 14


class CtrlSubtype(enum.IntEnum):
    CTRL_WRAPPER = 7
    BAR = 8
    BA = 9
    PS_POLL = 10
    RTS = 11
    CTS = 12
    ACK = 13
    CF_END = 14
    CF_END_ACK = 15


class DataSubtype(enum.IntEnum):
    DATA = 0
    DATA_CF_ACK = 1
    DATA_CF_POLL = 2
    DATA_CF_ACK_POLL = 3
    NULL = 4
    CF_ACK = 5
    CF_POLL = 6
    CF_ACK_POLL = 7
    QOS_DATA = 8
    QOS_DATA_CF_ACK = 9
    QOS_DATA_CF_POLL = 10
    QOS_DATA_CF_ACK_POLL = 11
    QOS_NULL = 12
    QOS_CF_POLL = 14
    QOS_CF_ACK_POLL = 15


# Data subtype bits: 0x8 means a QoS Control field follows the addresses,
# 0x4 means the frame carries no frame body.
DATA_QOS = 0x8
DATA_NODATA = 0x4


class FCFlags(enum.IntFlag):
    """Second byte of the frame-control field."""

    TO_DS = 0x01
    FROM_DS = 0x02
    MORE_FRAG = 0x04
    RETRY = 0x08
    PWR_MGT = 0x10
    MORE_DATA = 0x20
    PROTECTED = 0x40
    ORDER = 0x80


DS_MASK = 0x03
BROADCAST = b"\xff" * 6

_H = struct.Struct("<H")
_FC_DUR = struct.Struct("<BBH")


# --- addresses -------------------------------------------------------------

def mac_str(addr: bytes) -> str:
    """`aa:bb:cc:dd:ee:ff` for a 6-byte address."""
    if len(addr) != 6:
        raise FrameError(f"an address is 6 bytes, not {len(addr)}")
    return addr.hex(":")


def parse_mac(text: str) -> bytes:
    """The 6 bytes of `aa:bb:cc:dd:ee:ff` (also `-` separated)."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
        raise FrameError(f"not a MAC address: {text!r}")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise FrameError(f"not a MAC address: {text!r}") from None


def is_multicast(addr: bytes) -> bool:
    """Group address (the I/G bit), which includes broadcast."""
    return bool(addr[0] & 1)


# --- frame control -----------------------------------------------------------

def fc_pack(ftype: int, subtype: int, flags: int = 0, version: int = 0) -> int:
    """The 16-bit frame-control value (as read little-endian from the wire)."""
    if not (0 <= version <= 3 and 0 <= ftype <= 3 and 0 <= subtype <= 15 and 0 <= flags <= 0xFF):
        raise FrameError("frame-control field out of range")
    return version | ftype << 2 | subtype << 4 | flags << 8


def fc_unpack(fc: int) -> tuple[int, int, int, int]:
    """(protocol version, type, subtype, flags) of a frame-control value."""
    return fc & 3, (fc >> 2) & 3, (fc >> 4) & 0xF, fc >> 8


_PEEK = struct.Struct("<BB2x6s6s6sH")


def peek(buf: bytes) -> tuple[int, int, bytes, bytes | None, bytes | None, int | None, int]:
    """(type, subtype, addr1, addr2, addr3, seq, flags) without building a frame.

    addr2 is None for ACK/CTS, addr3 and seq are None for control frames;
    seq is the 12-bit sequence number.  Raises FrameError only on frames too
    short for their header or a protocol version other than 0.
    """
    n = len(buf)
    if n < 10:
        raise FrameError("frame shorter than the minimal header")
    b0 = buf[0]
    if b0 & 3:
        raise FrameError(f"protocol version {b0 & 3} is not supported")
    if b0 & 0x0C != 0x04:
        if n < 24:
            raise FrameError("frame shorter than its 24-byte header")
        # One C call for the whole fixed header beats slicing it field by field.
        b0, flags, a1, a2, a3, seqctl = _PEEK.unpack_from(buf)
        return (b0 >> 2) & 3, b0 >> 4, a1, a2, a3, seqctl >> 4, flags
    # Control frames: only ACK and CTS lack the transmitter address.
    subtype = b0 >> 4
    if subtype in (12, 13) or n < 16:
        return 1, subtype, buf[4:10], None, None, None, buf[1]
    return 1, subtype, buf[4:10], buf[10:16], None, None, buf[1]


# --- shared validation ---------------------------------------------------------

T = TypeVar("T")


def trusted_ctor(cls: type[T]) -> type[T]:
    """Class decorator: add `cls._new(*fields)`, a constructor for the parse
    path that skips `__post_init__`.  The parsers check what the wire can get
    wrong themselves; re-validating every parsed integer would double the cost
    of a receive.  Public construction always validates."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    sets = "".join(f"    _set(o, {n!r}, {n})\n" for n in names)
    src = f"def _new({', '.join(names)}):\n    o = _alloc(_cls)\n{sets}    return o\n"
    ns: dict[str, Any] = {"_alloc": object.__new__, "_set": object.__setattr__, "_cls": cls}
    exec(src, ns)  # the same technique dataclasses uses for __init__
    cls._new = staticmethod(ns["_new"])  # type: ignore[attr-defined]
    return cls


def _check_addr(name: str, value: Any) -> None:
    if not isinstance(value, bytes) or len(value) != 6:
        raise FrameError(f"{name} must be 6 bytes")


def _check_uint(name: str, value: Any, bits: int) -> None:
    if not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise FrameError(f"{name} must be an integer in [0, {(1 << bits) - 1}]")


class _FlagProps:
    """Readable views of the frame-control flags of any frame with `flags`."""

    __slots__ = ()
    flags: int

    @property
    def to_ds(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def from_ds(self) -> bool:
        return bool(self.flags & 0x02)

    @property
    def more_frag(self) -> bool:
        return bool(self.flags & 0x04)

    @property
    def retry(self) -> bool:
        return bool(self.flags & 0x08)

    @property
    def pwr_mgt(self) -> bool:
        return bool(self.flags & 0x10)

    @property
    def more_data(self) -> bool:
        return bool(self.flags & 0x20)

    @property
    def protected(self) -> bool:
        return bool(self.flags & 0x40)

    @property
    def order(self) -> bool:
        return bool(self.flags & 0x80)


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
            return self.addr4  # type: ignore[return-value]
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


# --- control frames -------------------------------------------------------------

def _ctrl_header(buf: bytes, subtype: int, length: int, name: str) -> tuple[int, int]:
    """Check a control frame's exact length and FC; return (flags, duration)."""
    if len(buf) != length:
        raise FrameError(f"{name} is {length} bytes, not {len(buf)}")
    b0, flags, duration = _FC_DUR.unpack_from(buf)
    if b0 != (0x04 | subtype << 4):
        raise FrameError(f"not a version-0 {name} frame")
    return flags, duration


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Ack(_FlagProps):
    """ACK: receiver address only (10 bytes)."""

    ra: bytes
    duration: int = 0
    flags: int = 0
    subtype = CtrlSubtype.ACK

    def __post_init__(self) -> None:
        _check_addr("ra", self.ra)
        _check_uint("duration", self.duration, 16)
        _check_uint("flags", self.flags, 8)

    def to_bytes(self) -> bytes:
        return _FC_DUR.pack(0x04 | self.subtype << 4, self.flags, self.duration) + self.ra

    @classmethod
    def parse(cls, buf: bytes) -> Ack:
        buf = bytes(buf)
        flags, duration = _ctrl_header(buf, cls.subtype, 10, cls.__name__)
        return cls._new(buf[4:10], duration, flags)


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Cts(Ack):
    """CTS: receiver address only (10 bytes)."""

    subtype = CtrlSubtype.CTS


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Rts(_FlagProps):
    """RTS: receiver and transmitter addresses (16 bytes)."""

    ra: bytes
    ta: bytes
    duration: int = 0
    flags: int = 0
    subtype = CtrlSubtype.RTS

    def __post_init__(self) -> None:
        _check_addr("ra", self.ra)
        _check_addr("ta", self.ta)
        _check_uint("duration", self.duration, 16)
        _check_uint("flags", self.flags, 8)

    def to_bytes(self) -> bytes:
        return _FC_DUR.pack(0x04 | self.subtype << 4, self.flags, self.duration) + self.ra + self.ta

    @classmethod
    def parse(cls, buf: bytes) -> Rts:
        buf = bytes(buf)
        flags, duration = _ctrl_header(buf, cls.subtype, 16, "RTS")
        return cls._new(buf[4:10], buf[10:16], duration, flags)


@trusted_ctor
@dataclass(frozen=True, slots=True)
class PsPoll(_FlagProps):
    """PS-Poll: the duration field carries the AID with its two top bits set."""

    aid: int
    bssid: bytes
    ta: bytes
    flags: int = 0
    subtype = CtrlSubtype.PS_POLL

    def __post_init__(self) -> None:
        _check_uint("aid", self.aid, 14)
        _check_addr("bssid", self.bssid)
        _check_addr("ta", self.ta)
        _check_uint("flags", self.flags, 8)

    def to_bytes(self) -> bytes:
        return _FC_DUR.pack(0xA4, self.flags, self.aid | 0xC000) + self.bssid + self.ta

    @classmethod
    def parse(cls, buf: bytes) -> PsPoll:
        buf = bytes(buf)
        flags, aid = _ctrl_header(buf, cls.subtype, 16, "PS-Poll")
        return cls._new(aid & 0x3FFF, buf[4:10], buf[10:16], flags)


@trusted_ctor
@dataclass(frozen=True, slots=True)
class RawFrame(_FlagProps):
    """A frame this codec does not decode (block ack, CF-End, control wrapper,
    extension type, reserved subtypes): FC fields plus the bytes after FC."""

    ftype: int
    subtype: int
    flags: int
    data: bytes

    def __post_init__(self) -> None:
        _check_uint("ftype", self.ftype, 2)
        _check_uint("subtype", self.subtype, 4)
        _check_uint("flags", self.flags, 8)
        # Every 802.11 frame has at least duration and addr1 after FC.
        if not isinstance(self.data, bytes) or len(self.data) < 8:
            raise FrameError("a frame has at least duration and addr1 after frame control")

    @property
    def addr1(self) -> bytes:
        return self.data[2:8]

    def to_bytes(self) -> bytes:
        return bytes((self.ftype << 2 | self.subtype << 4, self.flags)) + self.data

    @classmethod
    def parse(cls, buf: bytes) -> RawFrame:
        buf = bytes(buf)
        if len(buf) < 10:
            raise FrameError("frame shorter than the minimal header")
        if buf[0] & 3:
            raise FrameError(f"protocol version {buf[0] & 3} is not supported")
        return cls((buf[0] >> 2) & 3, buf[0] >> 4, buf[1], buf[2:])


_CTRL = {12: Cts, 13: Ack, 11: Rts, 10: PsPoll}


def parse_frame(buf: bytes) -> Any:
    """Decode any frame (no FCS) into its class; raises only FrameError.

    Returns a `mgmt.MgmtFrame`, `DataFrame`, `Ack`, `Cts`, `Rts`, `PsPoll`
    or, for what is not decoded, a `RawFrame`.
    """
    buf = bytes(buf)
    if len(buf) < 10:
        raise FrameError("frame shorter than the minimal header")
    b0 = buf[0]
    if b0 & 3:
        raise FrameError(f"protocol version {b0 & 3} is not supported")
    ftype = (b0 >> 2) & 3
    if ftype == 0:
        return _mgmt.MgmtFrame.parse(buf)
    if ftype == 2:
        if b0 >> 4 == 13:
            return RawFrame.parse(buf)
        return DataFrame.parse(buf)
    if ftype == 1:
        cls = _CTRL.get(b0 >> 4)
        if cls is not None:
            return cls.parse(buf)
    return RawFrame.parse(buf)


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


from . import mgmt as _mgmt  # noqa: E402  (mgmt builds on this module)
