"""BIP (IEEE 802.11-2020 12.5.4): integrity for group-addressed robust
management frames with a Management MIC element (MME) at the end of the
body.  BIP-CMAC-128 (MIC 8 bytes), BIP-CMAC-256, BIP-GMAC-128/256 (16).

Pure functions: `protect(suite, igtk, frame, ipn, keyid)` appends the MME;
`verify(suite, igtk, frame)` checks it and returns the frame without the
MME, the key id and the IPN, or raises `CryptoError`.  The IPN replay check
is per key and lives in `keys.Key`.
"""

from __future__ import annotations

import hmac
import struct
from functools import lru_cache

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..wire.rsn import Cipher
from .cipher import PROTECTED, CryptoError

__all__ = ["protect", "verify", "mme_len", "igtk_len", "MME_ID", "bip_aad"]

MME_ID = 76
_BIP = {
    # suite: (key length, MIC length)
    Cipher.BIP_CMAC_128: (16, 8),
    Cipher.BIP_CMAC_256: (32, 16),
    Cipher.BIP_GMAC_128: (16, 16),
    Cipher.BIP_GMAC_256: (32, 16),
}


def _params(suite: int) -> tuple[int, int]:
    try:
        return _BIP[Cipher(suite)]
    except (ValueError, KeyError):
        raise CryptoError("cipher", f"not a BIP cipher: {suite:#010x}") from None


def igtk_len(suite: int) -> int:
    return _params(suite)[0]


def mme_len(suite: int) -> int:
    """The whole MME: ID, length, key id (2), IPN (6), MIC."""
    return 2 + 8 + _params(suite)[1]


def bip_aad(frame: bytes) -> bytes:
    """FC with Retry, Power Management and More Data masked, then A1 A2 A3."""
    fc = (frame[0] | frame[1] << 8) & ~0x3800
    return struct.pack("<H", fc) + frame[4:22]


@lru_cache(maxsize=64)
def _gmac(key: bytes) -> AESGCM:
    return AESGCM(key)


def _mic(suite: int, key: bytes, frame: bytes, body_zero_mic: bytes, ipn: int) -> bytes:
    data = bip_aad(frame) + body_zero_mic
    if suite in (Cipher.BIP_GMAC_128, Cipher.BIP_GMAC_256):
        # GMAC: GCM with everything as AAD and an empty plaintext; nonce A2 || IPN
        nonce = frame[10:16] + ipn.to_bytes(6, "big")
        return _gmac(key).encrypt(nonce, b"", data)
    c = cmac.CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()[:_params(suite)[1]]


def _check_mgmt(frame: bytes) -> None:
    if len(frame) < 24:
        raise CryptoError("malformed", "frame shorter than a management header")
    if (frame[0] >> 2) & 3 != 0:
        raise CryptoError("malformed", "BIP protects management frames only")
    if (frame[1] << 8) & PROTECTED:
        raise CryptoError("malformed", "a BIP frame has the Protected bit clear")


def protect(suite: int, igtk: bytes, frame: bytes, ipn: int, keyid: int) -> bytes:
    """The frame with an MME appended (24-byte header assumed: group
    addressed management frames carry no HT Control in BIP's AAD)."""
    klen, mlen = _params(suite)
    if len(igtk) != klen:
        raise CryptoError("cipher", f"{Cipher(suite).name} takes a {klen}-byte key")
    if not 4 <= keyid <= 5 or not 0 <= ipn < 1 << 48:
        raise CryptoError("cipher", "BIP key id is 4 or 5 and the IPN 48 bits")
    frame = bytes(frame)
    _check_mgmt(frame)
    head = bytes([MME_ID, 8 + mlen]) + struct.pack("<H", keyid) + ipn.to_bytes(6, "little")
    mic = _mic(suite, igtk, frame, frame[24:] + head + bytes(mlen), ipn)
    return frame + head + mic


def parse_mme(suite: int, frame: bytes) -> tuple[int, int, bytes]:
    """(key id, IPN, MIC) of the MME at the end of the frame."""
    n = mme_len(suite)
    if len(frame) < 24 + n:
        raise CryptoError("unprotected", "no room for a Management MIC element")
    mme = frame[-n:]
    if mme[0] != MME_ID or mme[1] != n - 2:
        raise CryptoError("unprotected", "the frame does not end with a Management MIC element")
    keyid = mme[2] | mme[3] << 8
    return keyid, int.from_bytes(mme[4:10], "little"), mme[10:]


def verify(suite: int, igtk: bytes, frame: bytes) -> tuple[bytes, int, int]:
    """(frame without the MME, key id, IPN); CryptoError on a bad MIC."""
    frame = bytes(frame)
    _check_mgmt(frame)
    klen, mlen = _params(suite)
    if len(igtk) != klen:
        raise CryptoError("cipher", "key length does not match the cipher")
    keyid, ipn, mic = parse_mme(suite, frame)
    want = _mic(suite, igtk, frame, frame[24:-mlen] + bytes(mlen), ipn)
    if not hmac.compare_digest(want, mic):
        raise CryptoError("mic", "BIP MIC verification failed")
    return frame[:-mme_len(suite)], keyid, ipn
