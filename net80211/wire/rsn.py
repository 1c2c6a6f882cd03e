"""RSN element body codec (IEEE 802.11-2020 9.4.2.24): version, group data
cipher, pairwise cipher list, AKM list, RSN capabilities, PMKID list and the
group management cipher.

`ie.RSN` carries the element's bytes through untouched; `RSNInfo.parse`
reads them and `RSNInfo.to_element` builds one.  Suite selectors are plain
integers `OUI << 8 | type` (0x000FAC04 is CCMP-128), so vendor suites pass
through as well.  Parsing raises only `FrameError`.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field

from .frame import FrameError
from .ie import RSN

__all__ = ["AKM", "Cipher", "RSNCap", "RSNInfo", "suite_bytes", "suite_name"]

OUI_IEEE = 0x000FAC


class Cipher(enum.IntEnum):
    """Cipher suite selectors (9.4.2.24.2, table 9-149)."""

    USE_GROUP = 0x000FAC00
    WEP40 = 0x000FAC01
    TKIP = 0x000FAC02
    CCMP_128 = 0x000FAC04
    WEP104 = 0x000FAC05
    BIP_CMAC_128 = 0x000FAC06
    GROUP_NOT_ALLOWED = 0x000FAC07
    GCMP_128 = 0x000FAC08
    GCMP_256 = 0x000FAC09
    CCMP_256 = 0x000FAC0A
    BIP_GMAC_128 = 0x000FAC0B
    BIP_GMAC_256 = 0x000FAC0C
    BIP_CMAC_256 = 0x000FAC0D


class AKM(enum.IntEnum):
    """AKM suite selectors (9.4.2.24.3, table 9-151)."""

    IEEE8021X = 0x000FAC01
    PSK = 0x000FAC02
    FT_8021X = 0x000FAC03
    FT_PSK = 0x000FAC04
    IEEE8021X_SHA256 = 0x000FAC05
    PSK_SHA256 = 0x000FAC06
    SAE = 0x000FAC08
    FT_SAE = 0x000FAC09


class RSNCap(enum.IntFlag):
    """RSN Capabilities field (9.4.2.24.4)."""

    PREAUTH = 0x0001
    NO_PAIRWISE = 0x0002
    PTKSA_REPLAY_COUNTER = 0x000C
    GTKSA_REPLAY_COUNTER = 0x0030
    MFPR = 0x0040
    MFPC = 0x0080
    JOINT_MULTIBAND = 0x0100
    PEERKEY = 0x0200
    SPP_AMSDU_CAPABLE = 0x0400
    SPP_AMSDU_REQUIRED = 0x0800
    PBAC = 0x1000
    EXT_KEY_ID = 0x2000
    OCVC = 0x4000


def suite_bytes(suite: int) -> bytes:
    """A suite selector on the wire: the OUI big-endian, then the type."""
    if not isinstance(suite, int) or not 0 <= suite <= 0xFFFFFFFF:
        raise FrameError("a suite selector is a 32-bit OUI and type")
    return suite.to_bytes(4, "big")


def suite_name(suite: int, *, akm: bool = False) -> str:
    """A cipher's (or with `akm`, an AKM's) name; OUI:type for others.
    The two lists share one number space, hence the flag."""
    enum_cls: type[enum.IntEnum] = AKM if akm else Cipher
    try:
        return enum_cls(suite).name
    except ValueError:
        return f"{suite >> 8:06x}:{suite & 0xFF}"


_U16 = struct.Struct("<H")


@dataclass(frozen=True, slots=True)
class RSNInfo:
    """The fields of an RSN element.  `pmkids` and `group_mgmt_cipher` are
    None when the element stops before them (they are optional trailing
    fields), which keeps parse and build byte-exact."""

    group_cipher: int = Cipher.CCMP_128
    pairwise: tuple[int, ...] = (Cipher.CCMP_128,)
    akms: tuple[int, ...] = (AKM.PSK,)
    capabilities: int = 0
    pmkids: tuple[bytes, ...] | None = None
    group_mgmt_cipher: int | None = None
    version: int = 1
    # Fields the sender left off: the element may end after any field
    # (the standard's defaults then apply); None = present.
    truncated_after: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.version <= 0xFFFF:
            raise FrameError("RSN version is 16 bits")
        if not 0 <= self.capabilities <= 0xFFFF:
            raise FrameError("RSN capabilities are 16 bits")
        if not self.pairwise or not self.akms:
            raise FrameError("an RSN element lists at least one pairwise cipher and one AKM")
        for pmkid in self.pmkids or ():
            if len(pmkid) != 16:
                raise FrameError("a PMKID is 16 bytes")

    @property
    def mfpc(self) -> bool:
        return bool(self.capabilities & RSNCap.MFPC)

    @property
    def mfpr(self) -> bool:
        return bool(self.capabilities & RSNCap.MFPR)

    @property
    def mgmt_cipher(self) -> int:
        """The group management cipher in force: BIP-CMAC-128 when absent."""
        return Cipher.BIP_CMAC_128 if self.group_mgmt_cipher is None else self.group_mgmt_cipher

    def body(self) -> bytes:
        parts = [("version", _U16.pack(self.version)),
                 ("group_cipher", suite_bytes(self.group_cipher)),
                 ("pairwise", _U16.pack(len(self.pairwise)) + b"".join(map(suite_bytes, self.pairwise))),
                 ("akms", _U16.pack(len(self.akms)) + b"".join(map(suite_bytes, self.akms))),
                 ("capabilities", _U16.pack(self.capabilities))]
        if self.pmkids is not None or self.group_mgmt_cipher is not None:
            pmkids = self.pmkids or ()
            parts.append(("pmkids", _U16.pack(len(pmkids)) + b"".join(pmkids)))
        if self.group_mgmt_cipher is not None:
            parts.append(("group_mgmt_cipher", suite_bytes(self.group_mgmt_cipher)))
        out = []
        for name, raw in parts:
            out.append(raw)
            if name == self.truncated_after:
                break
        return b"".join(out)

    def to_element(self) -> RSN:
        return RSN(self.body())

    def to_bytes(self) -> bytes:
        """The whole element: ID 48, length, body."""
        return self.to_element().to_bytes()

    @classmethod
    def from_element(cls, element: RSN) -> RSNInfo:
        return cls.parse(element.data)

    @classmethod
    def parse(cls, body: bytes) -> RSNInfo:
        """Parse an RSN element body (without ID and length).  Trailing
        octets after the last known field are ignored: the RSNE is an
        extensible element (10.28.8)."""
        b = bytes(body)
        if len(b) < 2:
            raise FrameError("RSN is at least its 2-byte version")
        version = _U16.unpack_from(b, 0)[0]
        pos = 2
        kw: dict = {"version": version}

        def rest() -> int:
            return len(b) - pos

        if rest() < 4:
            return cls(**kw, truncated_after="version")
        kw["group_cipher"] = int.from_bytes(b[pos:pos + 4], "big")
        pos += 4
        for name in ("pairwise", "akms"):
            if rest() < 2:
                return cls(**kw, truncated_after="group_cipher" if name == "pairwise" else "pairwise")
            count = _U16.unpack_from(b, pos)[0]
            pos += 2
            if count == 0 or count * 4 > rest():
                raise FrameError(f"RSN {name} count {count} does not fit the element")
            kw[name] = tuple(int.from_bytes(b[pos + 4 * i:pos + 4 * i + 4], "big") for i in range(count))
            pos += 4 * count
        if rest() < 2:
            return cls(**kw, truncated_after="akms")
        kw["capabilities"] = _U16.unpack_from(b, pos)[0]
        pos += 2
        if rest() < 2:
            return cls(**kw, truncated_after="capabilities")
        count = _U16.unpack_from(b, pos)[0]
        pos += 2
        if count * 16 > rest():
            raise FrameError(f"RSN PMKID count {count} does not fit the element")
        kw["pmkids"] = tuple(b[pos + 16 * i:pos + 16 * i + 16] for i in range(count))
        pos += 16 * count
        if rest() < 4:
            return cls(**kw, truncated_after="pmkids")
        kw["group_mgmt_cipher"] = int.from_bytes(b[pos:pos + 4], "big")
        return cls(**kw)
