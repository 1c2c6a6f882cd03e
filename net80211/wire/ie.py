"""Information elements: typed classes for the ones net80211 uses, raw
passthrough for the rest, and `IEList`, which keeps order and unknown ones.

Every element is a frozen slots dataclass with `to_bytes()` (id, length,
body) and `from_body(body)`.  Lengths are checked both ways; parsing raises
only `FrameError`.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from net80211.wire.frame import FrameError, Trusted, trusted_ctor

__all__ = [
    "ElementID", "HTCap", "IEList", "Element",
    "SSID", "SupportedRates", "ExtendedRates", "DSParams", "TIM", "Country", "ERP",
    "HTCapabilities", "HTOperation", "RSN", "Vendor", "Unknown",
    "OUI_WFA", "OUI_MICROSOFT", "rates_ies", "p2p_ies", "p2p_attributes", "wps_ies", "wps_payload",
    "timeout_interval", "timeout_interval_of", "TIMEOUT_REASSOC_DEADLINE", "TIMEOUT_KEY_LIFETIME",
    "TIMEOUT_ASSOC_COMEBACK",
]


class ElementID(enum.IntEnum):
    SSID = 0
    RATES = 1
    DS_PARAMS = 3
    CF_PARAMS = 4
    TIM = 5
    IBSS_PARAMS = 6
    COUNTRY = 7
    CHALLENGE = 16
    POWER_CONSTRAINT = 32
    POWER_CAPABILITY = 33
    SUPPORTED_CHANNELS = 36
    CSA = 37
    ERP = 42
    HT_CAPABILITIES = 45
    RSN = 48
    EXT_RATES = 50
    MOBILITY_DOMAIN = 54
    TIMEOUT_INTERVAL = 56
    HT_OPERATION = 61
    RM_ENABLED_CAPS = 70
    EXT_CAPABILITIES = 127
    MESH_ID = 114
    VHT_CAPABILITIES = 191
    VHT_OPERATION = 192
    VENDOR = 221
    RSNXE = 244  # RSN Extension
    EXTENSION = 255


class HTCap(enum.IntFlag):
    """HT Capability Information bits (802.11-2020 9.4.2.55.2)."""

    LDPC = 0x0001
    CHWIDTH40 = 0x0002
    SMPS_DISABLED = 0x000C
    GREENFIELD = 0x0010
    SHORTGI20 = 0x0020
    SHORTGI40 = 0x0040
    TXSTBC = 0x0080
    RXSTBC_1 = 0x0100
    DELBA = 0x0400
    MAXAMSDU_7935 = 0x0800
    DSSSCCK40 = 0x1000
    INTOLERANT40 = 0x4000
    LSIG_TXOP_PROT = 0x8000


OUI_WFA = b"\x50\x6f\x9a"        # Wi-Fi Alliance: P2P is type 9
OUI_MICROSOFT = b"\x00\x50\xf2"  # WPA is type 1, WMM type 2, WPS type 4
P2P_TYPE = 9
WPS_TYPE = 4


def _uint(name: str, value: Any, bits: int) -> None:
    if not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise FrameError(f"{name} must be an integer in [0, {(1 << bits) - 1}]")


def _bytes(name: str, value: Any, lo: int, hi: int) -> None:
    if not isinstance(value, bytes) or not lo <= len(value) <= hi:
        raise FrameError(f"{name} must be {lo}..{hi} bytes")


class Element(Trusted):
    """Base of every element: subclasses give `eid` (or a field) and `body()`."""

    __slots__ = ()
    eid: int
    # Every subclass defines `body() -> bytes`.  Not an ABC: IEList checks
    # isinstance(e, Element) per element, and ABCMeta's check is slower.
    body: Callable[[], bytes]

    def to_bytes(self) -> bytes:
        body = self.body()
        if len(body) > 255:
            raise FrameError(f"element {self.eid} body is {len(body)} bytes, more than 255")
        return bytes((self.eid, len(body))) + body


@trusted_ctor
@dataclass(frozen=True, slots=True)
class SSID(Element):
    """SSID: 0..32 arbitrary bytes (not necessarily UTF-8); empty = wildcard/hidden."""

    ssid: bytes
    eid = ElementID.SSID

    def __post_init__(self) -> None:
        _bytes("ssid", self.ssid, 0, 32)

    def body(self) -> bytes:
        return self.ssid

    @classmethod
    def from_body(cls, body: bytes) -> SSID:
        if len(body) > 32:
            raise FrameError("SSID longer than 32 bytes")
        return cls._new(body)


@trusted_ctor
@dataclass(frozen=True, slots=True)
class SupportedRates(Element):
    """Rates in 500 kb/s units, 0x80 marks a basic rate; 1..8 of them."""

    rates: tuple[int, ...]
    eid = ElementID.RATES
    max_rates: ClassVar[int] = 8

    def __post_init__(self) -> None:
        if not isinstance(self.rates, tuple) or not 1 <= len(self.rates) <= self.max_rates:
            raise FrameError(f"{type(self).__name__} holds 1..{self.max_rates} rates")
        for r in self.rates:
            _uint("rate", r, 8)

    def body(self) -> bytes:
        return bytes(self.rates)

    @classmethod
    def from_body(cls, body: bytes) -> Any:
        if not 1 <= len(body) <= cls.max_rates:
            raise FrameError(f"{cls.__name__} holds 1..{cls.max_rates} rates")
        return cls._new(tuple(body))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class ExtendedRates(SupportedRates):
    """Rates beyond the first eight (same encoding)."""

    eid = ElementID.EXT_RATES
    max_rates: ClassVar[int] = 255


def rates_ies(rates: Iterable[int]) -> list[Element]:
    """Split a rate set into Supported Rates and, past 8, Extended Rates."""
    rates = tuple(rates)
    out: list[Element] = [SupportedRates(rates[:8])]
    if len(rates) > 8:
        out.append(ExtendedRates(rates[8:]))
    return out


@trusted_ctor
@dataclass(frozen=True, slots=True)
class DSParams(Element):
    """DS Parameter Set: the current channel."""

    channel: int
    eid = ElementID.DS_PARAMS

    def __post_init__(self) -> None:
        _uint("channel", self.channel, 8)

    def body(self) -> bytes:
        return bytes((self.channel,))

    @classmethod
    def from_body(cls, body: bytes) -> DSParams:
        if len(body) != 1:
            raise FrameError("DS Parameter Set is 1 byte")
        return cls._new(body[0])


@trusted_ctor
@dataclass(frozen=True, slots=True)
class IBSSParams(Element):
    """IBSS Parameter Set: the ATIM window in TU (0 = no power save in the IBSS)."""

    atim_window: int
    eid = ElementID.IBSS_PARAMS

    def __post_init__(self) -> None:
        _uint("atim_window", self.atim_window, 16)

    def body(self) -> bytes:
        return self.atim_window.to_bytes(2, "little")

    @classmethod
    def from_body(cls, body: bytes) -> IBSSParams:
        if len(body) != 2:
            raise FrameError("IBSS Parameter Set is 2 bytes")
        return cls._new(int.from_bytes(body, "little"))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class TIM(Element):
    """Traffic Indication Map; `bitmap` is the partial virtual bitmap starting
    at octet `bitmap_control & 0xFE` (bit 0 of bitmap_control: group traffic)."""

    dtim_count: int
    dtim_period: int
    bitmap_control: int = 0
    bitmap: bytes = b"\x00"
    eid = ElementID.TIM

    def __post_init__(self) -> None:
        _uint("dtim_count", self.dtim_count, 8)
        _uint("dtim_period", self.dtim_period, 8)
        _uint("bitmap_control", self.bitmap_control, 8)
        _bytes("bitmap", self.bitmap, 1, 251)

    @classmethod
    def from_aids(cls, dtim_count: int, dtim_period: int, aids: Iterable[int],
                  multicast: bool = False) -> TIM:
        """The TIM announcing buffered traffic for `aids` (1..2007)."""
        vbm = bytearray(251)
        for aid in aids:
            if not 1 <= aid <= 2007:
                raise FrameError(f"AID {aid} is outside 1..2007")
            vbm[aid >> 3] |= 1 << (aid & 7)
        used = [i for i, b in enumerate(vbm) if b]
        if not used:
            return cls(dtim_count, dtim_period, int(multicast), b"\x00")
        first = used[0] & ~1  # the offset is counted in pairs of octets
        return cls(dtim_count, dtim_period, first | int(multicast), bytes(vbm[first:used[-1] + 1]))

    @property
    def multicast(self) -> bool:
        return bool(self.bitmap_control & 1)

    def has_aid(self, aid: int) -> bool:
        """True if traffic is buffered for `aid`."""
        idx = (aid >> 3) - (self.bitmap_control & 0xFE)
        return 0 <= idx < len(self.bitmap) and bool(self.bitmap[idx] >> (aid & 7) & 1)

    def body(self) -> bytes:
        return bytes((self.dtim_count, self.dtim_period, self.bitmap_control)) + self.bitmap

    @classmethod
    def from_body(cls, body: bytes) -> TIM:
        if not 4 <= len(body) <= 254:
            raise FrameError("TIM is 4..254 bytes")
        return cls._new(body[0], body[1], body[2], body[3:])


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Country(Element):
    """Country: 3-byte string (e.g. b"US " or b"DE\\x04") and
    (first channel, number of channels, max dBm) triplets; a pad byte keeps
    the length even."""

    country: bytes
    triplets: tuple[tuple[int, int, int], ...]
    eid = ElementID.COUNTRY

    def __post_init__(self) -> None:
        _bytes("country", self.country, 3, 3)
        if not isinstance(self.triplets, tuple) or not 1 <= len(self.triplets) <= 84:
            raise FrameError("Country holds 1..84 triplets")
        for t in self.triplets:
            if not isinstance(t, tuple) or len(t) != 3:
                raise FrameError("a Country triplet is 3 integers")
            for v in t:
                _uint("country triplet value", v, 8)

    def body(self) -> bytes:
        out = self.country + b"".join(bytes(t) for t in self.triplets)
        return out + b"\x00" if len(out) & 1 else out

    @classmethod
    def from_body(cls, body: bytes) -> Country:
        n = len(body)
        rem = (n - 3) % 3
        if n < 6 or rem == 2 or (rem == 1 and body[-1] != 0):
            raise FrameError("Country is a 3-byte string, triplets and an optional zero pad")
        k = (n - 3) // 3
        return cls._new(body[:3], tuple(tuple(body[3 + 3 * i:6 + 3 * i]) for i in range(k)))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class ERP(Element):
    """ERP Information: NON_ERP_PRESENT 0x01, USE_PROTECTION 0x02, BARKER_PREAMBLE 0x04."""

    flags: int
    eid = ElementID.ERP
    NON_ERP_PRESENT: ClassVar[int] = 0x01
    USE_PROTECTION: ClassVar[int] = 0x02
    BARKER_PREAMBLE: ClassVar[int] = 0x04

    def __post_init__(self) -> None:
        _uint("flags", self.flags, 8)

    def body(self) -> bytes:
        return bytes((self.flags,))

    @classmethod
    def from_body(cls, body: bytes) -> ERP:
        if len(body) != 1:
            raise FrameError("ERP Information is 1 byte")
        return cls._new(body[0])


_HTCAP = struct.Struct("<HB16sHIB")


@trusted_ctor
@dataclass(frozen=True, slots=True)
class HTCapabilities(Element):
    """HT Capabilities (26 bytes): capability info, A-MPDU parameters, the
    16-byte supported MCS set, extended capabilities, TxBF and ASEL."""

    cap_info: int
    ampdu_params: int = 0
    mcs_set: bytes = b"\x00" * 16
    ext_cap: int = 0
    txbf: int = 0
    asel: int = 0
    eid = ElementID.HT_CAPABILITIES

    def __post_init__(self) -> None:
        _uint("cap_info", self.cap_info, 16)
        _uint("ampdu_params", self.ampdu_params, 8)
        _bytes("mcs_set", self.mcs_set, 16, 16)
        _uint("ext_cap", self.ext_cap, 16)
        _uint("txbf", self.txbf, 32)
        _uint("asel", self.asel, 8)

    @classmethod
    def for_streams(cls, streams: int = 1, ht40: bool = False, sgi: bool = True) -> HTCapabilities:
        """What a simple 11n radio advertises: MCS 0..8*streams-1, SM power save
        disabled, 64 KiB A-MPDU with 8 us spacing."""
        if not 1 <= streams <= 4:
            raise FrameError("1..4 spatial streams")
        cap = HTCap.SMPS_DISABLED | (HTCap.SHORTGI20 if sgi else 0)
        if ht40:
            cap |= HTCap.CHWIDTH40 | (HTCap.SHORTGI40 if sgi else 0)
        mcs = bytes([0xFF] * streams + [0] * (16 - streams))
        return cls(int(cap), ampdu_params=0x03 | 6 << 2, mcs_set=mcs)

    @property
    def rx_mcs(self) -> frozenset[int]:
        """Supported receive MCS indices (bits 0..76 of the MCS set)."""
        bits = int.from_bytes(self.mcs_set[:10], "little")
        return frozenset(i for i in range(77) if bits >> i & 1)

    def body(self) -> bytes:
        return _HTCAP.pack(self.cap_info, self.ampdu_params, self.mcs_set, self.ext_cap,
                           self.txbf, self.asel)

    @classmethod
    def from_body(cls, body: bytes) -> HTCapabilities:
        if len(body) != 26:
            raise FrameError("HT Capabilities is 26 bytes")
        return cls._new(*_HTCAP.unpack(body))


_HTOP = struct.Struct("<BBHH16s")


@trusted_ctor
@dataclass(frozen=True, slots=True)
class HTOperation(Element):
    """HT Operation (22 bytes): primary channel, the three information
    fields (info1: secondary offset 0/1=above/3=below, bit 2 STA width) and
    the basic MCS set."""

    primary_channel: int
    info1: int = 0
    info2: int = 0
    info3: int = 0
    basic_mcs: bytes = b"\x00" * 16
    eid = ElementID.HT_OPERATION

    def __post_init__(self) -> None:
        _uint("primary_channel", self.primary_channel, 8)
        _uint("info1", self.info1, 8)
        _uint("info2", self.info2, 16)
        _uint("info3", self.info3, 16)
        _bytes("basic_mcs", self.basic_mcs, 16, 16)

    @property
    def secondary_offset(self) -> int:
        return self.info1 & 3

    def body(self) -> bytes:
        return _HTOP.pack(self.primary_channel, self.info1, self.info2, self.info3, self.basic_mcs)

    @classmethod
    def from_body(cls, body: bytes) -> HTOperation:
        if len(body) != 22:
            raise FrameError("HT Operation is 22 bytes")
        return cls._new(*_HTOP.unpack(body))


@trusted_ctor
@dataclass(frozen=True, slots=True)
class RSN(Element):
    """RSN element, passed through: at least the 2-byte version."""

    data: bytes
    eid = ElementID.RSN

    def __post_init__(self) -> None:
        _bytes("RSN data", self.data, 2, 255)

    @property
    def version(self) -> int:
        return self.data[0] | self.data[1] << 8

    def body(self) -> bytes:
        return self.data

    @classmethod
    def from_body(cls, body: bytes) -> RSN:
        if len(body) < 2:
            raise FrameError("RSN is at least its 2-byte version")
        return cls._new(body)


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Vendor(Element):
    """Vendor Specific: a 3-byte OUI then vendor data (P2P, WPS, WMM... pass
    through here; see `p2p_attributes` and `wps_payload`)."""

    oui: bytes
    data: bytes = b""
    eid = ElementID.VENDOR

    def __post_init__(self) -> None:
        _bytes("oui", self.oui, 3, 3)
        _bytes("vendor data", self.data, 0, 252)

    @property
    def oui_type(self) -> int | None:
        return self.data[0] if self.data else None

    @property
    def is_p2p(self) -> bool:
        return self.oui == OUI_WFA and self.oui_type == P2P_TYPE

    @property
    def is_wps(self) -> bool:
        return self.oui == OUI_MICROSOFT and self.oui_type == WPS_TYPE

    def body(self) -> bytes:
        return self.oui + self.data

    @classmethod
    def from_body(cls, body: bytes) -> Vendor:
        if len(body) < 3:
            raise FrameError("Vendor Specific needs a 3-byte OUI")
        return cls._new(body[:3], body[3:])


@trusted_ctor
@dataclass(frozen=True, slots=True)
class Unknown(Element):
    """Any element this codec does not decode, kept byte for byte."""

    eid: int  # a field here: the element ID it was read with
    data: bytes

    def __post_init__(self) -> None:
        _uint("element id", self.eid, 8)
        if self.eid in _DECODERS:
            # It would come back decoded: build the typed element instead.
            raise FrameError(f"element {self.eid} has its own class; Unknown is for the rest")
        _bytes("element body", self.data, 0, 255)

    def body(self) -> bytes:
        return self.data


_DECODERS: dict[int, Any] = {
    c.eid: c.from_body
    for c in (SSID, SupportedRates, ExtendedRates, DSParams, IBSSParams, TIM, Country, ERP,
              HTCapabilities, HTOperation, RSN, Vendor)
}

_unknown = Unknown._new
E = TypeVar("E", bound=Element)


class IEList(tuple):
    """An ordered, immutable sequence of elements (duplicates and unknown
    elements kept), with lookup helpers."""

    __slots__ = ()

    def __new__(cls, elements: Iterable[Element] = ()) -> IEList:
        items = tuple(elements)
        for e in items:
            if not isinstance(e, Element):
                raise FrameError(f"not an information element: {e!r}")
        return super().__new__(cls, items)

    def __repr__(self) -> str:
        return f"IEList({list(self)!r})"

    def get(self, kind: type[E]) -> E | None:
        """The first element of that class, or None."""
        for e in self:
            if type(e) is kind:
                return e
        return None

    def all(self, kind: type[E]) -> list[E]:
        return [e for e in self if type(e) is kind]

    @property
    def ssid(self) -> bytes | None:
        e = self.get(SSID)
        return None if e is None else e.ssid

    @property
    def rates(self) -> tuple[int, ...]:
        """Supported plus extended rates, in order."""
        return tuple(r for e in self if type(e) in (SupportedRates, ExtendedRates) for r in e.rates)

    @property
    def channel(self) -> int | None:
        e = self.get(DSParams)
        return None if e is None else e.channel

    @property
    def atim_window(self) -> int | None:
        """The IBSS Parameter Set's ATIM window (TU), None without one."""
        e = self.get(IBSSParams)
        return None if e is None else e.atim_window

    def to_bytes(self) -> bytes:
        return b"".join(e.to_bytes() for e in self)

    @classmethod
    def parse(cls, buf: bytes) -> IEList:
        """Decode a run of elements; an element overrunning `buf` is an error."""
        buf = bytes(buf)
        n = len(buf)
        out: list[Element] = []
        append = out.append
        decoders = _DECODERS
        i = 0
        try:
            while i < n:
                eid = buf[i]
                start = i + 2
                i = start + buf[i + 1]  # IndexError: a lone id byte at the end
                if i > n:
                    raise FrameError(f"element {eid} at offset {start - 2} overruns the frame")
                dec = decoders.get(eid, None)
                append(dec(buf[start:i]) if dec is not None else _unknown(eid, buf[start:i]))
        except IndexError:
            raise FrameError("truncated element header at the end of the frame") from None
        return tuple.__new__(cls, out)


# --- Timeout Interval (9.4.2.48) ----------------------------------------------------
TIMEOUT_REASSOC_DEADLINE, TIMEOUT_KEY_LIFETIME, TIMEOUT_ASSOC_COMEBACK = 1, 2, 3


def timeout_interval(kind: int, value: int) -> Element:
    """A Timeout Interval element: its type and a 32-bit value (TUs for the
    association comeback time, seconds for a key lifetime)."""
    _uint("timeout interval type", kind, 8)
    _uint("timeout interval value", value, 32)
    return _unknown(ElementID.TIMEOUT_INTERVAL, bytes((kind,)) + value.to_bytes(4, "little"))


def timeout_interval_of(ies: Iterable[Element], kind: int) -> int | None:
    """The value of the Timeout Interval element of that type, if any
    (a malformed one counts as none)."""
    for e in ies:
        if e.eid == ElementID.TIMEOUT_INTERVAL:
            data = e.body()
            if len(data) == 5 and data[0] == kind:
                return int.from_bytes(data[1:], "little")
    return None


# --- P2P and WPS: payloads that may span several vendor elements ------------------

def _split_vendor(oui: bytes, oui_type: int, payload: bytes) -> list[Vendor]:
    chunk = 251  # 255 minus OUI and type
    pieces = [payload[i:i + chunk] for i in range(0, len(payload), chunk)] or [b""]
    return [Vendor(oui, bytes((oui_type,)) + p) for p in pieces]


def p2p_ies(attributes: Iterable[tuple[int, bytes]]) -> list[Vendor]:
    """P2P IE(s) (OUI 50:6f:9a, type 9) carrying (attribute id, body) pairs,
    split over several elements when longer than one can hold."""
    payload = bytearray()
    for aid, body in attributes:
        _uint("P2P attribute id", aid, 8)
        if len(body) > 0xFFFF:
            raise FrameError("P2P attribute body longer than 65535 bytes")
        payload += struct.pack("<BH", aid, len(body)) + body
    return _split_vendor(OUI_WFA, P2P_TYPE, bytes(payload))


def p2p_attributes(ies: Iterable[Element]) -> tuple[tuple[int, bytes], ...] | None:
    """The P2P attributes of all P2P IEs in `ies` (concatenated, as the
    Wi-Fi P2P spec says), or None if there is no P2P IE."""
    parts = [e.data[1:] for e in ies if isinstance(e, Vendor) and e.is_p2p]
    if not parts:
        return None
    buf = b"".join(parts)
    out = []
    i = 0
    while i < len(buf):
        if i + 3 > len(buf):
            raise FrameError("truncated P2P attribute header")
        end = i + 3 + (buf[i + 1] | buf[i + 2] << 8)
        if end > len(buf):
            raise FrameError(f"P2P attribute {buf[i]} overruns the P2P IE")
        out.append((buf[i], buf[i + 3:end]))
        i = end
    return tuple(out)


def wps_ies(payload: bytes) -> list[Vendor]:
    """WPS IE(s) (OUI 00:50:f2, type 4) around an opaque WPS attribute blob."""
    return _split_vendor(OUI_MICROSOFT, WPS_TYPE, payload)


def wps_payload(ies: Iterable[Element]) -> bytes | None:
    """The concatenated WPS attribute blob, or None without a WPS IE."""
    parts = [e.data[1:] for e in ies if isinstance(e, Vendor) and e.is_wps]
    return b"".join(parts) if parts else None
