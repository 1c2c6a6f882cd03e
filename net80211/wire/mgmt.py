"""Management frames: the header (`MgmtFrame`) and one class per body, plus
reason codes, status codes, capability bits and action categories (802.11
values, FreeBSD `ieee80211.h` names where it has them)."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Any, ClassVar

from net80211.wire.frame import (
    FrameError,
    MgmtSubtype,
    Trusted,
    _check_addr,
    _check_uint,
    _FlagProps,
    trusted_ctor,
)
from net80211.wire.ie import IEList

__all__ = [
    "ActionCategory", "AuthAlgorithm", "Capability", "PublicAction", "ReasonCode", "StatusCode",
    "MgmtFrame", "Beacon", "ProbeReq", "ProbeResp", "Auth", "AssocReq", "AssocResp",
    "ReassocReq", "ReassocResp", "Disassoc", "Deauth", "Action", "RawMgmtBody",
]


class ReasonCode(enum.IntEnum):
    UNSPECIFIED = 1
    AUTH_EXPIRE = 2
    AUTH_LEAVE = 3
    ASSOC_EXPIRE = 4
    ASSOC_TOOMANY = 5
    NOT_AUTHED = 6
    NOT_ASSOCED = 7
    ASSOC_LEAVE = 8
    ASSOC_NOT_AUTHED = 9
    DISASSOC_PWRCAP_BAD = 10
    DISASSOC_SUPCHAN_BAD = 11
    IE_INVALID = 13
    MIC_FAILURE = 14
    FOURWAY_HANDSHAKE_TIMEOUT = 15
    GROUP_KEY_UPDATE_TIMEOUT = 16
    IE_IN_4WAY_DIFFERS = 17
    GROUP_CIPHER_INVALID = 18
    PAIRWISE_CIPHER_INVALID = 19
    AKMP_INVALID = 20
    UNSUPP_RSN_IE_VERSION = 21
    INVALID_RSN_IE_CAP = 22
    IEEE8021X_AUTH_FAILED = 23
    CIPHER_SUITE_REJECTED = 24
    UNSPECIFIED_QOS = 32
    INSUFFICIENT_BW = 33
    TOOMANY_FRAMES = 34
    OUTSIDE_TXOP = 35
    LEAVING_QBSS = 36
    BAD_MECHANISM = 37
    SETUP_NEEDED = 38
    TIMEOUT = 39


class StatusCode(enum.IntEnum):
    SUCCESS = 0
    UNSPECIFIED = 1
    CAPINFO = 10
    NOT_ASSOCED = 11
    OTHER = 12
    ALG = 13
    SEQUENCE = 14
    CHALLENGE = 15
    TIMEOUT = 16
    TOOMANY = 17
    BASIC_RATE = 18
    SP_REQUIRED = 19
    PBCC_REQUIRED = 20
    CA_REQUIRED = 21
    SPECMGMT_REQUIRED = 22
    PWRCAP_REQUIRED = 23
    SUPCHAN_REQUIRED = 24
    SHORTSLOT_REQUIRED = 25
    DSSSOFDM_REQUIRED = 26
    MISSING_HT_CAPS = 27
    REFUSED_TEMPORARILY = 30
    ROBUST_MGMT_POLICY = 31
    UNSPECIFIED_QOS = 32
    REFUSED = 37
    INVALID_PARAM = 38
    INVALID_ELEMENT = 40
    INVALID_GROUP_CIPHER = 41
    INVALID_PAIRWISE_CIPHER = 42
    INVALID_AKMP = 43
    UNSUPP_RSN_IE_VERSION = 44
    INVALID_RSN_IE_CAP = 45
    CIPHER_SUITE_REJECTED = 46
    INVALID_PMKID = 53


class Capability(enum.IntFlag):
    """Capability Information field."""

    ESS = 0x0001
    IBSS = 0x0002
    CF_POLLABLE = 0x0004
    CF_POLLREQ = 0x0008
    PRIVACY = 0x0010
    SHORT_PREAMBLE = 0x0020
    PBCC = 0x0040
    CHNL_AGILITY = 0x0080
    SPECTRUM_MGMT = 0x0100
    QOS = 0x0200
    SHORT_SLOTTIME = 0x0400
    APSD = 0x0800
    RADIO_MEASUREMENT = 0x1000
    DSSSOFDM = 0x2000
    DELAYED_BA = 0x4000
    IMMEDIATE_BA = 0x8000


class AuthAlgorithm(enum.IntEnum):
    OPEN = 0
    SHARED = 1
    FT = 2
    SAE = 3


class ActionCategory(enum.IntEnum):
    SPECTRUM_MGMT = 0
    QOS = 1
    DLS = 2
    BLOCK_ACK = 3
    PUBLIC = 4
    RADIO_MEASUREMENT = 5
    FAST_BSS_TRANSITION = 6
    HT = 7
    SA_QUERY = 8
    PROTECTED_DUAL_PUBLIC = 9
    WNM = 10
    UNPROTECTED_WNM = 11
    TDLS = 12
    MESH = 13
    MULTIHOP = 14
    SELF_PROTECTED = 15
    WMM = 17
    VHT = 21
    VENDOR_PROTECTED = 126
    VENDOR = 127


class PublicAction(enum.IntEnum):
    """Public action field values; P2P public action frames use VENDOR_SPECIFIC
    with the WFA OUI and type 9."""

    BSS_COEX = 0
    DSE_ENABLEMENT = 1
    VENDOR_SPECIFIC = 9
    GAS_INITIAL_REQ = 10
    GAS_INITIAL_RESP = 11
    GAS_COMEBACK_REQ = 12
    GAS_COMEBACK_RESP = 13
    TDLS_DISCOVERY_RESP = 14


# Categories whose body continues with an OUI instead of an action field.
_VENDOR_CATEGORIES = (ActionCategory.VENDOR, ActionCategory.VENDOR_PROTECTED)
_IE_AUTH_ALGS = (AuthAlgorithm.OPEN, AuthAlgorithm.SHARED, AuthAlgorithm.FT)


def _ies(value: Any) -> None:
    if not isinstance(value, IEList):
        raise FrameError("ies must be an IEList")


def _need(body: bytes, n: int, what: str) -> None:
    if len(body) < n:
        raise FrameError(f"{what} body is {len(body)} bytes, needs at least {n}")


_BCN = struct.Struct("<QHH")
_HH = struct.Struct("<HH")
_HHH = struct.Struct("<HHH")
_H = struct.Struct("<H")


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Beacon(Trusted):
    """Beacon: TSF timestamp (µs), beacon interval (TU), capability, elements."""

    timestamp: int
    interval: int
    capability: int
    ies: IEList = field(default_factory=IEList)
    subtype: ClassVar[int] = MgmtSubtype.BEACON

    def __post_init__(self) -> None:
        _check_uint("timestamp", self.timestamp, 64)
        _check_uint("interval", self.interval, 16)
        _check_uint("capability", self.capability, 16)
        _ies(self.ies)

    def to_bytes(self) -> bytes:
        return _BCN.pack(self.timestamp, self.interval, self.capability) + self.ies.to_bytes()

    @classmethod
    def parse(cls, body: bytes) -> Any:
        _need(body, 12, cls.__name__)
        return cls._new(*_BCN.unpack_from(body), IEList.parse(body[12:]))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class ProbeResp(Beacon):
    """Probe Response: the same layout as a beacon."""

    subtype: ClassVar[int] = MgmtSubtype.PROBE_RESP


@trusted_ctor
@dataclass(frozen=True, slots=True)
class ProbeReq(Trusted):
    """Probe Request: elements only (SSID first; empty SSID = wildcard)."""

    ies: IEList = field(default_factory=IEList)
    subtype: ClassVar[int] = MgmtSubtype.PROBE_REQ

    def __post_init__(self) -> None:
        _ies(self.ies)

    def to_bytes(self) -> bytes:
        return self.ies.to_bytes()

    @classmethod
    def parse(cls, body: bytes) -> ProbeReq:
        return cls._new(IEList.parse(body))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Auth(Trusted):
    """Authentication: algorithm, transaction sequence, status, then elements
    for open/shared/FT, or `payload` bytes for algorithms (SAE...) whose body
    is not elements."""

    algorithm: int = AuthAlgorithm.OPEN
    seq: int = 1
    status: int = StatusCode.SUCCESS
    ies: IEList = field(default_factory=IEList)
    payload: bytes = b""
    subtype: ClassVar[int] = MgmtSubtype.AUTH

    def __post_init__(self) -> None:
        _check_uint("algorithm", self.algorithm, 16)
        _check_uint("seq", self.seq, 16)
        _check_uint("status", self.status, 16)
        _ies(self.ies)
        if not isinstance(self.payload, bytes):
            raise FrameError("payload must be bytes")
        if self.algorithm in _IE_AUTH_ALGS and self.payload:
            raise FrameError("open/shared/FT authentication carries elements, not a payload")
        if self.algorithm not in _IE_AUTH_ALGS and self.ies:
            raise FrameError(f"authentication algorithm {self.algorithm} carries a payload, not elements")

    def to_bytes(self) -> bytes:
        return _HHH.pack(self.algorithm, self.seq, self.status) + self.ies.to_bytes() + self.payload

    @classmethod
    def parse(cls, body: bytes) -> Auth:
        _need(body, 6, "Authentication")
        alg, seq, status = _HHH.unpack_from(body)
        if alg in _IE_AUTH_ALGS:
            return cls._new(alg, seq, _status(status), IEList.parse(body[6:]), b"")
        return cls._new(alg, seq, _status(status), IEList(), body[6:])


def _status(v: int) -> int:
    return StatusCode._value2member_map_.get(v, v)  # type: ignore[return-value]  # an IntEnum member is an int


def _reason(v: int) -> int:
    return ReasonCode._value2member_map_.get(v, v)  # type: ignore[return-value]  # an IntEnum member is an int


@trusted_ctor
@dataclass(frozen=True, slots=True)
class AssocReq(Trusted):
    """Association Request: capability, listen interval (beacon intervals), elements."""

    capability: int
    listen_interval: int
    ies: IEList = field(default_factory=IEList)
    subtype: ClassVar[int] = MgmtSubtype.ASSOC_REQ

    def __post_init__(self) -> None:
        _check_uint("capability", self.capability, 16)
        _check_uint("listen_interval", self.listen_interval, 16)
        _ies(self.ies)

    def to_bytes(self) -> bytes:
        return _HH.pack(self.capability, self.listen_interval) + self.ies.to_bytes()

    @classmethod
    def parse(cls, body: bytes) -> AssocReq:
        _need(body, 4, "Association Request")
        return cls._new(*_HH.unpack_from(body), IEList.parse(body[4:]))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class ReassocReq(Trusted):
    """Reassociation Request: as association plus the current AP's address."""

    capability: int
    listen_interval: int
    current_ap: bytes
    ies: IEList = field(default_factory=IEList)
    subtype: ClassVar[int] = MgmtSubtype.REASSOC_REQ

    def __post_init__(self) -> None:
        _check_uint("capability", self.capability, 16)
        _check_uint("listen_interval", self.listen_interval, 16)
        _check_addr("current_ap", self.current_ap)
        _ies(self.ies)

    def to_bytes(self) -> bytes:
        return _HH.pack(self.capability, self.listen_interval) + self.current_ap + self.ies.to_bytes()

    @classmethod
    def parse(cls, body: bytes) -> ReassocReq:
        _need(body, 10, "Reassociation Request")
        cap, li = _HH.unpack_from(body)
        return cls._new(cap, li, body[4:10], IEList.parse(body[10:]))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class AssocResp(Trusted):
    """(Re)association Response: capability, status, AID (0..2007; the two
    top bits set on the wire are not part of it), elements."""

    capability: int
    status: int
    aid: int
    ies: IEList = field(default_factory=IEList)
    subtype: ClassVar[int] = MgmtSubtype.ASSOC_RESP

    def __post_init__(self) -> None:
        _check_uint("capability", self.capability, 16)
        _check_uint("status", self.status, 16)
        _check_uint("aid", self.aid, 14)
        _ies(self.ies)

    def to_bytes(self) -> bytes:
        return _HHH.pack(self.capability, self.status, self.aid | 0xC000) + self.ies.to_bytes()

    @classmethod
    def parse(cls, body: bytes) -> Any:
        _need(body, 6, "Association Response")
        cap, status, aid = _HHH.unpack_from(body)
        return cls._new(cap, _status(status), aid & 0x3FFF, IEList.parse(body[6:]))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class ReassocResp(AssocResp):
    subtype: ClassVar[int] = MgmtSubtype.REASSOC_RESP


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Disassoc(Trusted):
    """Disassociation: reason code, then optional elements (e.g. vendor)."""

    reason: int = ReasonCode.UNSPECIFIED
    ies: IEList = field(default_factory=IEList)
    subtype: ClassVar[int] = MgmtSubtype.DISASSOC

    def __post_init__(self) -> None:
        _check_uint("reason", self.reason, 16)
        _ies(self.ies)

    def to_bytes(self) -> bytes:
        return _H.pack(self.reason) + self.ies.to_bytes()

    @classmethod
    def parse(cls, body: bytes) -> Any:
        _need(body, 2, cls.__name__)
        return cls._new(_reason(_H.unpack_from(body)[0]), IEList.parse(body[2:]))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Deauth(Disassoc):
    """Deauthentication: reason code, then optional elements."""

    subtype: ClassVar[int] = MgmtSubtype.DEAUTH


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Action(Trusted):
    """Action (or Action No Ack): category, action field, the rest as bytes.
    Vendor categories (126, 127) have no action field: `action` is None and
    the payload starts with the OUI."""

    category: int
    action: int | None
    payload: bytes = b""
    no_ack: bool = False

    def __post_init__(self) -> None:
        _check_uint("category", self.category, 8)
        if not isinstance(self.payload, bytes):
            raise FrameError("payload must be bytes")
        if self.category & 0x7F in _VENDOR_CATEGORIES:
            if self.action is not None:
                raise FrameError("vendor-specific action frames have no action field")
            if len(self.payload) < 3:
                raise FrameError("vendor-specific action frames start with a 3-byte OUI")
        else:
            _check_uint("action", self.action, 8)
        if not isinstance(self.no_ack, bool):
            raise FrameError("no_ack must be a bool")

    @property
    def subtype(self) -> int:
        return MgmtSubtype.ACTION_NOACK if self.no_ack else MgmtSubtype.ACTION

    def to_bytes(self) -> bytes:
        if self.action is None:
            return bytes((self.category,)) + self.payload
        return bytes((self.category, self.action)) + self.payload

    @classmethod
    def parse(cls, body: bytes, no_ack: bool = False) -> Action:
        _need(body, 1, "Action")
        cat = body[0]
        if cat & 0x7F in _VENDOR_CATEGORIES:
            _need(body, 4, "Vendor-specific Action")
            return cls._new(cat, None, body[1:], no_ack)
        _need(body, 2, "Action")
        return cls._new(ActionCategory._value2member_map_.get(cat, cat), body[1], body[2:], no_ack)


@trusted_ctor
@dataclass(frozen=True, slots=True)
class RawMgmtBody(Trusted):
    """A body kept as bytes: protected (encrypted) frames and the subtypes
    this codec does not decode (ATIM, timing advertisement, reserved)."""

    subtype: int
    data: bytes = b""

    def __post_init__(self) -> None:
        _check_uint("subtype", self.subtype, 4)
        if not isinstance(self.data, bytes):
            raise FrameError("data must be bytes")

    def to_bytes(self) -> bytes:
        return self.data


_BODIES: dict[int, Any] = {
    c.subtype: c.parse
    for c in (Beacon, ProbeResp, ProbeReq, Auth, AssocReq, AssocResp, ReassocReq,
              ReassocResp, Disassoc, Deauth)
}
_BODIES[MgmtSubtype.ACTION] = Action.parse
_BODIES[MgmtSubtype.ACTION_NOACK] = lambda b: Action.parse(b, no_ack=True)
_BODY_TYPES = tuple({Beacon, ProbeResp, ProbeReq, Auth, AssocReq, AssocResp, ReassocReq, ReassocResp,
                     Disassoc, Deauth, Action, RawMgmtBody})


@trusted_ctor
@dataclass(frozen=True, slots=True)
class MgmtFrame(_FlagProps):
    """A management frame: addr1 = DA, addr2 = SA, addr3 = BSSID; the subtype
    follows from the body's class.  HT Control is present iff the Order flag
    is set (802.11-2020 9.2.4.1.10)."""

    body: Any
    addr1: bytes
    addr2: bytes
    addr3: bytes
    flags: int = 0
    duration: int = 0
    seq: int = 0
    frag: int = 0
    htc: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.body, _BODY_TYPES):
            raise FrameError(f"not a management body: {self.body!r}")
        for name in ("addr1", "addr2", "addr3"):
            _check_addr(name, getattr(self, name))
        _check_uint("flags", self.flags, 8)
        _check_uint("duration", self.duration, 16)
        _check_uint("seq", self.seq, 12)
        _check_uint("frag", self.frag, 4)
        if bool(self.flags & 0x80) != (self.htc is not None):
            raise FrameError("HT Control is present if and only if the Order flag is set")
        if self.htc is not None:
            _check_uint("htc", self.htc, 32)
        if self.flags & 0x40 and not isinstance(self.body, RawMgmtBody):
            raise FrameError("a protected management frame's body is ciphertext: use RawMgmtBody")
        if isinstance(self.body, RawMgmtBody) and not self.flags & 0x40 and self.body.subtype in _BODIES:
            raise FrameError(f"subtype {self.body.subtype} has its own body class")

    @property
    def subtype(self) -> int:
        return self.body.subtype

    @property
    def da(self) -> bytes:
        return self.addr1

    @property
    def sa(self) -> bytes:
        return self.addr2

    @property
    def bssid(self) -> bytes:
        return self.addr3

    def to_bytes(self) -> bytes:
        head = struct.pack("<BBH", self.body.subtype << 4, self.flags, self.duration)
        tail = b"" if self.htc is None else struct.pack("<I", self.htc)
        return b"".join((head, self.addr1, self.addr2, self.addr3,
                         _H.pack(self.seq << 4 | self.frag), tail, self.body.to_bytes()))

    @classmethod
    def parse(cls, buf: bytes) -> MgmtFrame:
        buf = bytes(buf)
        n = len(buf)
        if n < 24:
            raise FrameError("management frame shorter than its 24-byte header")
        b0, flags, duration = struct.unpack_from("<BBH", buf)
        if b0 & 0x0F:
            raise FrameError("not a version-0 management frame")
        subtype = b0 >> 4
        seqctl = buf[22] | buf[23] << 8
        off = 24
        htc = None
        if flags & 0x80:
            if n < 28:
                raise FrameError("management frame with Order flag truncated before HT Control")
            htc = int.from_bytes(buf[24:28], "little")
            off = 28
        dec = _BODIES.get(subtype)
        if flags & 0x40 or dec is None:
            body = RawMgmtBody._new(subtype, buf[off:])
        else:
            body = dec(buf[off:])
        return cls._new(body, buf[4:10], buf[10:16], buf[16:22], flags, duration,
                   seqctl >> 4, seqctl & 0xF, htc)
