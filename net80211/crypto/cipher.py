"""CCMP-128/256 (IEEE 802.11-2020 12.5.3) and GCMP-128/256 (12.5.5) as pure
functions over whole MPDUs (802.11 header + body, no FCS).

`encap(suite, tk, frame, pn, keyid)` returns the protected MPDU: Protected
Frame bit set, the 8-byte CCMP/GCMP header (PN and key id) after the MAC
header, the encrypted body, the MIC.  `decap(suite, tk, frame)` returns the
plaintext MPDU with its PN and key id, or raises `CryptoError` with a reason.
No replay check here: that needs per-TID state, see `keys.RxReplay`.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

from ..wire.rsn import Cipher

__all__ = ["CryptoError", "Header", "parse_header", "aad", "ccm_nonce", "gcm_nonce", "encap", "decap",
           "cipher_header", "parse_cipher_header", "key_len", "mic_len", "PROTECTED", "HDR_LEN"]

PROTECTED = 0x4000  # Protected Frame bit of the frame-control field (LE16)
HDR_LEN = 8  # CCMP and GCMP header
_RETRY, _PWRMGT, _MOREDATA, _ORDER = 0x0800, 0x1000, 0x2000, 0x8000
_TODS_FROMDS = 0x0300
_EXT_IV = 0x20
PN_MAX = (1 << 48) - 1
_AAD_HEAD = struct.Struct("<H18sH")  # masked FC, A1 A2 A3, masked sequence control


class CryptoError(ValueError):
    """A frame that cannot be decrypted; `reason` is the counter it lands in:
    'malformed', 'mic', 'no_key', 'replay', 'unprotected', 'cipher'."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


_KEY_LEN: dict[int, int] = {Cipher.CCMP_128: 16, Cipher.CCMP_256: 32,
                            Cipher.GCMP_128: 16, Cipher.GCMP_256: 32}
_MIC_LEN: dict[int, int] = {Cipher.CCMP_128: 8, Cipher.CCMP_256: 16,
                            Cipher.GCMP_128: 16, Cipher.GCMP_256: 16}


def key_len(suite: int) -> int:
    # IntEnum keys hash as their int: plain lookups, no enum call per frame
    n = _KEY_LEN.get(suite)
    if n is None:
        raise CryptoError("cipher", f"not a data cipher: {suite:#010x}")
    return n


def mic_len(suite: int) -> int:
    key_len(suite)
    return _MIC_LEN[suite]


class Header(NamedTuple):
    """What the ciphers need from a MAC header (a tuple: one is made for
    every frame protected or checked, and a frozen dataclass costs several
    times as much to build)."""

    fc: int  # frame control, host order
    length: int  # the MAC header's length, HT Control included
    is_data: bool
    is_mgmt: bool
    qos: bool
    tid: int
    a4: bool
    htc: bool


def parse_header(frame: bytes) -> Header:
    """Read the MAC header of a data or management frame; CryptoError
    ('malformed') for anything else or for too short a frame."""
    if len(frame) < 24:
        raise CryptoError("malformed", "frame shorter than a 24-byte header")
    fc = frame[0] | frame[1] << 8
    if fc & 3:
        raise CryptoError("malformed", "protocol version is not 0")
    ftype = (fc >> 2) & 3
    if ftype not in (0, 2):
        raise CryptoError("malformed", "only data and management frames are protected")
    is_data = ftype == 2
    a4 = is_data and fc & _TODS_FROMDS == _TODS_FROMDS
    qos = is_data and bool(fc & 0x0080)
    length = 24 + (6 if a4 else 0)
    tid = 0
    if qos:
        if len(frame) < length + 2:
            raise CryptoError("malformed", "QoS frame shorter than its QoS Control")
        tid = frame[length] & 0x0F
        length += 2
    htc = bool(fc & _ORDER) and (qos or not is_data)
    if htc:
        length += 4
    if len(frame) < length:
        raise CryptoError("malformed", "frame shorter than its MAC header")
    return Header(fc, length, is_data, not is_data, qos, tid, a4, htc)


def aad(frame: bytes, hdr: Header) -> bytes:
    """Additional authentication data (12.5.3.3.3): masked FC, A1-A3, masked
    sequence control (fragment number only), A4, masked QoS Control (TID)."""
    fc = hdr.fc & ~(_RETRY | _PWRMGT | _MOREDATA) | PROTECTED
    if hdr.is_data:
        fc &= ~0x0070  # subtype bits 4-6; the QoS bit stays
        if hdr.qos:
            fc &= ~_ORDER
    head = _AAD_HEAD.pack(fc, frame[4:22], frame[22] & 0x0F)
    if hdr.a4:
        head += frame[24:30]
    if hdr.qos:
        head += bytes((hdr.tid, 0))
    return head


def ccm_nonce(frame: bytes, hdr: Header, pn: int) -> bytes:
    """CCM nonce (12.5.3.3.4): flags (priority, management), A2, PN big-endian."""
    flags = hdr.tid | (0x10 if hdr.is_mgmt else 0)
    return bytes([flags]) + frame[10:16] + pn.to_bytes(6, "big")


def gcm_nonce(frame: bytes, pn: int) -> bytes:
    """GCM nonce (12.5.5.3.4): A2 then PN big-endian."""
    return frame[10:16] + pn.to_bytes(6, "big")


def cipher_header(pn: int, keyid: int) -> bytes:
    """CCMP/GCMP header: PN0 PN1 rsvd (ExtIV|KeyID) PN2 PN3 PN4 PN5."""
    p = pn.to_bytes(6, "little")
    return bytes([p[0], p[1], 0, _EXT_IV | keyid << 6, p[2], p[3], p[4], p[5]])


def parse_cipher_header(raw: bytes) -> tuple[int, int]:
    """(PN, key id) of a CCMP/GCMP header."""
    if len(raw) < HDR_LEN:
        raise CryptoError("malformed", "frame shorter than its CCMP/GCMP header")
    if not raw[3] & _EXT_IV:
        raise CryptoError("malformed", "Ext IV bit clear in a CCMP/GCMP header")
    pn = raw[0] | raw[1] << 8 | raw[4] << 16 | raw[5] << 24 | raw[6] << 32 | raw[7] << 40
    return pn, raw[3] >> 6


@lru_cache(maxsize=256)
def _aead(suite: int, tk: bytes) -> AESCCM | AESGCM:
    # Key schedules are cached: a vap protects many frames under one key.
    if suite in (Cipher.CCMP_128, Cipher.CCMP_256):
        return AESCCM(tk, tag_length=mic_len(suite))
    return AESGCM(tk)


def _nonce(suite: int, frame: bytes, hdr: Header, pn: int) -> bytes:
    if suite in (Cipher.GCMP_128, Cipher.GCMP_256):
        return gcm_nonce(frame, pn)
    return ccm_nonce(frame, hdr, pn)


def encap(suite: int, tk: bytes, frame: bytes, pn: int, keyid: int = 0) -> bytes:
    """Protect a plaintext MPDU with packet number `pn` under key `keyid`."""
    if len(tk) != key_len(suite):
        raise CryptoError("cipher", f"{suite:#010x} takes a {key_len(suite)}-byte key")
    if not 0 <= pn <= PN_MAX or not 0 <= keyid <= 3:
        raise CryptoError("cipher", "PN is 48 bits and key id 0..3")
    frame = bytes(frame)
    hdr = parse_header(frame)
    head = bytearray(frame[:hdr.length])
    head[1] |= PROTECTED >> 8
    head_b = bytes(head)
    # the AAD sets the Protected bit itself: the plaintext header serves
    sealed = _aead(suite, tk).encrypt(_nonce(suite, frame, hdr, pn), frame[hdr.length:], aad(head_b, hdr))
    return head_b + cipher_header(pn, keyid) + sealed


def decap(suite: int, tk: bytes, frame: bytes, hdr: Header | None = None) -> tuple[bytes, int, int]:
    """(plaintext MPDU with the Protected bit cleared, PN, key id).  `hdr`:
    the frame's parsed header, when the caller has it already."""
    frame = bytes(frame)
    if hdr is None:
        hdr = parse_header(frame)
    if not hdr.fc & PROTECTED:
        raise CryptoError("unprotected", "Protected Frame bit clear")
    if len(tk) != key_len(suite):
        raise CryptoError("cipher", "key length does not match the cipher")
    pn, keyid = parse_cipher_header(frame[hdr.length:hdr.length + HDR_LEN])
    body = frame[hdr.length + HDR_LEN:]
    if len(body) < mic_len(suite):
        raise CryptoError("malformed", "frame shorter than its MIC")
    try:
        plain = _aead(suite, tk).decrypt(_nonce(suite, frame, hdr, pn), body, aad(frame, hdr))
    except InvalidTag:
        raise CryptoError("mic", "MIC verification failed") from None
    head = bytearray(frame[:hdr.length])
    head[1] &= ~(PROTECTED >> 8) & 0xFF
    return bytes(head) + plain, pn, keyid
