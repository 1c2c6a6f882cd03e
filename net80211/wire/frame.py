"""The 802.11 MAC header: frame-control vocabulary, addresses, the codec's
error and validation helpers, and `peek()`.

A strict sans-IO codec.  Every frame is a frozen slots dataclass with
`to_bytes()` and a `parse(bytes)` classmethod; `decode.parse_frame()` picks
the class from the frame-control field.  Parsing untrusted bytes raises only
`FrameError`.  Frames never carry an FCS here: radiotap adds and strips it.

`peek()` is the receive hot path: type, subtype, addresses and sequence
number straight from the bytes, no objects built.

Data frames and LLC/SNAP live in `data.py`, control frames in `ctrl.py`,
management frames and their bodies in `mgmt.py`, elements in `ie.py`.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from ic import InvalidArgument
from ic import mac_str as _ic_mac_str
from ic import parse_mac as _ic_parse_mac

__all__ = [
    "BROADCAST", "CtrlSubtype", "DataSubtype", "FCFlags", "FrameError", "FrameType", "MgmtSubtype",
    "fc_pack", "fc_unpack", "is_multicast", "mac_str", "parse_mac", "peek",
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
    """`aa:bb:cc:dd:ee:ff` for a 6-byte address (`ic.mac_str`, with the codec's error)."""
    if len(addr) != 6:
        raise FrameError(f"an address is 6 bytes, not {len(addr)}")
    return _ic_mac_str(addr)


def parse_mac(text: str) -> bytes:
    """The 6 bytes of `aa:bb:cc:dd:ee:ff` (also `-` separated): `ic.parse_mac`
    for text, raising the codec's FrameError."""
    if not isinstance(text, str):
        raise FrameError(f"not a MAC address: {text!r}")
    try:
        return _ic_parse_mac(text)
    except InvalidArgument:
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
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]  # T is a dataclass type
    sets = "".join(f"    _set(o, {n!r}, {n})\n" for n in names)
    src = f"def _new({', '.join(names)}):\n    o = _alloc(_cls)\n{sets}    return o\n"
    ns: dict[str, Any] = {"_alloc": object.__new__, "_set": object.__setattr__, "_cls": cls}
    exec(src, ns)  # the same technique dataclasses uses for __init__
    setattr(cls, "_new", staticmethod(ns["_new"]))  # noqa: B010  (declared on Trusted, set per class)
    return cls


def _check_addr(name: str, value: Any) -> None:
    if not isinstance(value, bytes) or len(value) != 6:
        raise FrameError(f"{name} must be 6 bytes")


def _check_uint(name: str, value: Any, bits: int) -> None:
    if not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise FrameError(f"{name} must be an integer in [0, {(1 << bits) - 1}]")


class Trusted:
    """Base of the codec's frozen dataclasses: declares the `_new(*fields)`
    constructor `trusted_ctor` adds, so the parse paths type-check."""

    __slots__ = ()
    _new: ClassVar[Callable[..., Any]]


class _FlagProps(Trusted):
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
