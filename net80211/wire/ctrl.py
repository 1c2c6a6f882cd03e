"""Control frames (ACK, CTS, RTS, PS-Poll) and the raw frame for what is not decoded."""

from __future__ import annotations

from dataclasses import dataclass

from net80211.wire.frame import (
    _FC_DUR,
    CtrlSubtype,
    FrameError,
    _check_addr,
    _check_uint,
    _FlagProps,
    trusted_ctor,
)

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


_CTRL: dict[int, type[Ack] | type[Rts] | type[PsPoll]] = {12: Cts, 13: Ack, 11: Rts, 10: PsPoll}
