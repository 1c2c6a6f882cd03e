"""EAPOL (IEEE 802.1X-2020 11.3) and EAPOL-Key frames (IEEE 802.11-2020
12.7.2) with their key data: elements and KDEs (GTK, IGTK, PMKID, MAC).

Frames here are the EAPOL PDU only (what follows the 0x888E LLC/SNAP
header).  Parsing raises only `FrameError`.  The MIC field length depends on
the AKM (16 for AKMs 2, 6 and 8; 24 for the SHA-384 ones), so parsing takes
it as an argument.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, replace

from .frame import FrameError

__all__ = [
    "ETHERTYPE_EAPOL", "EapolType", "KeyInfo", "KeyDescriptor", "KeyDescriptorVersion", "KdeType", "EapolKey",
    "parse_eapol", "KeyData", "GtkKde", "IgtkKde", "parse_key_data", "gtk_kde", "igtk_kde", "pmkid_kde",
    "kde", "pad_key_data",
]

ETHERTYPE_EAPOL = 0x888E
OUI_IEEE = b"\x00\x0f\xac"


class EapolType(enum.IntEnum):
    EAP_PACKET = 0
    START = 1
    LOGOFF = 2
    KEY = 3


class KeyDescriptor(enum.IntEnum):
    """Descriptor Type octet of an EAPOL-Key frame."""

    RC4 = 1
    RSN = 2
    WPA = 254


class KeyInfo(enum.IntFlag):
    """Key Information field (12.7.2, figure 12-33), big-endian on the wire."""

    VERSION_MASK = 0x0007
    PAIRWISE = 0x0008
    INDEX_MASK = 0x0030
    INSTALL = 0x0040
    ACK = 0x0080
    MIC = 0x0100
    SECURE = 0x0200
    ERROR = 0x0400
    REQUEST = 0x0800
    ENCRYPTED_KEY_DATA = 0x1000
    SMK = 0x2000


class KeyDescriptorVersion(enum.IntEnum):
    """Key Descriptor Version subfield: which MIC and key wrap apply."""

    AKM_DEFINED = 0
    HMAC_MD5_RC4 = 1
    HMAC_SHA1_AES = 2
    AES_CMAC_AES = 3


class KdeType(enum.IntEnum):
    """KDE data types under OUI 00-0F-AC (12.7.2, table 12-10)."""

    GTK = 1
    MAC = 3
    PMKID = 4
    NONCE = 6
    LIFETIME = 7
    ERROR = 8
    IGTK = 9
    KEY_ID = 10


_HDR = struct.Struct(">BBH")
_U16 = struct.Struct(">H")
MIC_OFFSET = 4 + 77  # of the MIC in a whole EAPOL-Key frame: header, then the fixed fields
# descriptor type, key info, key length, replay counter, nonce, IV, RSC, reserved
_KEY_FIXED = struct.Struct(">BHHQ32s16s8s8s")


@dataclass(frozen=True, slots=True)
class EapolKey:
    """An EAPOL-Key frame (descriptor type 2).  `rsc` is the 8-byte Key RSC
    field as sent (little-endian PN of the group key)."""

    key_info: int
    key_length: int = 0
    replay_counter: int = 0
    nonce: bytes = bytes(32)
    iv: bytes = bytes(16)
    rsc: bytes = bytes(8)
    mic: bytes = bytes(16)
    key_data: bytes = b""
    descriptor: int = KeyDescriptor.RSN
    reserved: bytes = bytes(8)
    version: int = 2  # the EAPOL protocol version of the enclosing header

    def __post_init__(self) -> None:
        if not 0 <= self.key_info <= 0xFFFF or not 0 <= self.key_length <= 0xFFFF:
            raise FrameError("key info and key length are 16 bits")
        if not 0 <= self.replay_counter < 1 << 64:
            raise FrameError("the replay counter is 64 bits")
        for name, value, size in (("nonce", self.nonce, 32), ("iv", self.iv, 16), ("rsc", self.rsc, 8),
                                  ("reserved", self.reserved, 8)):
            if len(value) != size:
                raise FrameError(f"EAPOL-Key {name} is {size} bytes")
        if len(self.mic) not in (0, 16, 24, 32):
            raise FrameError("the EAPOL-Key MIC is 16, 24 or 32 bytes")
        if len(self.key_data) > 0xFFFF:
            raise FrameError("EAPOL-Key key data too long")

    @property
    def info(self) -> KeyInfo:
        return KeyInfo(self.key_info)

    @property
    def descriptor_version(self) -> int:
        return self.key_info & 7  # KeyInfo.VERSION_MASK

    def has(self, flags: KeyInfo | int) -> bool:
        # int arithmetic: an IntFlag's own & builds a new flag each time,
        # and every EAPOL-Key frame asks a handful of these
        f = int(flags)
        return self.key_info & f == f

    def _body(self, mic: bytes) -> bytes:
        return (_KEY_FIXED.pack(self.descriptor, self.key_info, self.key_length, self.replay_counter,
                                self.nonce, self.iv, self.rsc, self.reserved)
                + mic + _U16.pack(len(self.key_data)) + self.key_data)

    def body(self) -> bytes:
        return self._body(self.mic)

    def _frame(self, mic: bytes) -> bytes:
        body = self._body(mic)
        return _HDR.pack(self.version, EapolType.KEY, len(body)) + body

    def to_bytes(self) -> bytes:
        return self._frame(self.mic)

    def with_mic(self, mic: bytes) -> EapolKey:
        return replace(self, mic=mic)

    def mic_input(self) -> bytes:
        """The bytes a MIC is computed over: the whole frame, MIC zeroed."""
        return self._frame(bytes(len(self.mic)))


def parse_eapol(buf: bytes, mic_len: int = 16) -> tuple[int, int, bytes | EapolKey]:
    """(protocol version, packet type, body): an EAPOL-Key body of
    descriptor type 2 comes back parsed, any other body as bytes.  Octets
    past the header's body length (Ethernet padding) are ignored."""
    b = bytes(buf)
    if len(b) < 4:
        raise FrameError("EAPOL frame shorter than its 4-byte header")
    version, ptype, length = _HDR.unpack_from(b)
    if version == 0:
        raise FrameError("EAPOL protocol version 0")
    if 4 + length > len(b):
        raise FrameError(f"EAPOL body length {length} exceeds the frame")
    body = b[4:4 + length]
    if ptype != EapolType.KEY:
        return version, ptype, body
    if not body or body[0] != KeyDescriptor.RSN:
        return version, ptype, body
    fixed = _KEY_FIXED.size
    if len(body) < fixed + mic_len + 2:
        raise FrameError("EAPOL-Key frame shorter than its fixed fields")
    desc, info, key_len, replay, nonce, iv, rsc, reserved = _KEY_FIXED.unpack_from(body)
    mic = body[fixed:fixed + mic_len]
    (data_len,) = struct.unpack_from(">H", body, fixed + mic_len)
    data = body[fixed + mic_len + 2:]
    if data_len != len(data):
        raise FrameError(f"EAPOL-Key data length {data_len} but {len(data)} bytes follow")
    return version, ptype, EapolKey(info, key_len, replay, nonce, iv, rsc, mic, data, desc, reserved, version)


@dataclass(frozen=True, slots=True)
class GtkKde:
    keyid: int
    tx: bool
    key: bytes


@dataclass(frozen=True, slots=True)
class IgtkKde:
    keyid: int
    ipn: int
    key: bytes


@dataclass(frozen=True, slots=True)
class KeyData:
    """What a key data field carried.  `rsne` is the whole first RSN element
    (ID and length included), `rsne2` a second one if any."""

    rsne: bytes | None = None
    rsne2: bytes | None = None
    gtk: GtkKde | None = None
    igtk: IgtkKde | None = None
    pmkid: bytes | None = None
    mac: bytes | None = None
    other: tuple[tuple[int, bytes], ...] = ()

    @property
    def rsnxe(self) -> bytes:
        """The RSN Extension element (244), whole; b"" without one."""
        return next((bytes((eid, len(body))) + body for eid, body in self.other if eid == 244), b"")


def kde(kde_type: int, data: bytes) -> bytes:
    if len(data) + 4 > 255:
        raise FrameError("KDE too long")
    return bytes([0xDD, len(data) + 4]) + OUI_IEEE + bytes([kde_type]) + data


def gtk_kde(keyid: int, key: bytes, tx: bool = False) -> bytes:
    if not 0 <= keyid <= 3:
        raise FrameError("GTK key id is 0..3")
    return kde(KdeType.GTK, bytes([keyid | (0x04 if tx else 0), 0]) + key)


def igtk_kde(keyid: int, ipn: int, key: bytes) -> bytes:
    if not 4 <= keyid <= 5:
        raise FrameError("IGTK key id is 4 or 5")
    return kde(KdeType.IGTK, struct.pack("<H", keyid) + ipn.to_bytes(6, "little") + key)


def pmkid_kde(pmkid: bytes) -> bytes:
    return kde(KdeType.PMKID, pmkid)


def pad_key_data(data: bytes) -> bytes:
    """Pad to a multiple of 8 octets, at least 16, for AES key wrap: 0xDD
    then zeros (12.7.2)."""
    if len(data) >= 16 and len(data) % 8 == 0:
        return data
    pad = max(16 - len(data), (-len(data)) % 8)
    return data + b"\xdd" + bytes(pad - 1)


def parse_key_data(data: bytes) -> KeyData:
    """Walk the elements and KDEs of a (decrypted) key data field."""
    b = bytes(data)
    pos = 0
    kw: dict = {}
    other: list[tuple[int, bytes]] = []
    while pos < len(b):
        eid = b[pos]
        if eid == 0xDD and (pos + 1 == len(b) or not any(b[pos + 1:])):
            break  # the padding: 0xDD then zeros up to the end
        if pos + 2 > len(b):
            raise FrameError("key data element header truncated")
        length = b[pos + 1]
        if pos + 2 + length > len(b):
            raise FrameError("key data element overruns the key data")
        body = b[pos + 2:pos + 2 + length]
        whole = b[pos:pos + 2 + length]
        pos += 2 + length
        if eid == 48:
            if length < 2:
                raise FrameError("RSN element in key data too short")
            if "rsne" not in kw:
                kw["rsne"] = whole
            elif "rsne2" not in kw:
                kw["rsne2"] = whole
            continue
        if eid != 0xDD or length < 4 or body[:3] != OUI_IEEE:
            other.append((eid, body))
            continue
        ktype, payload = body[3], body[4:]
        if ktype == KdeType.GTK:
            if len(payload) < 2 + 5 or "gtk" in kw:
                raise FrameError("bad or repeated GTK KDE")
            kw["gtk"] = GtkKde(payload[0] & 3, bool(payload[0] & 4), payload[2:])
        elif ktype == KdeType.IGTK:
            if len(payload) < 8 + 16 or "igtk" in kw:
                raise FrameError("bad or repeated IGTK KDE")
            keyid = struct.unpack_from("<H", payload)[0]
            kw["igtk"] = IgtkKde(keyid, int.from_bytes(payload[2:8], "little"), payload[8:])
        elif ktype == KdeType.PMKID:
            if len(payload) != 16:
                raise FrameError("a PMKID KDE carries 16 bytes")
            kw["pmkid"] = payload
        elif ktype == KdeType.MAC:
            if len(payload) != 6:
                raise FrameError("a MAC address KDE carries 6 bytes")
            kw["mac"] = payload
        else:
            other.append((0xDD, body))
    return KeyData(other=tuple(other), **kw)
