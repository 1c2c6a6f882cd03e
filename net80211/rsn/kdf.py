"""Key derivation and EAPOL-Key protection (IEEE 802.11-2020 12.7.1):
passphrase to PMK (PBKDF2-SHA1, J.4), the PRF (HMAC-SHA1, 12.7.1.2) and
KDF-SHA256 (12.7.1.7.2), the PTK split into KCK/KEK/TK, the EAPOL-Key MIC
per AKM and the key data wrap (AES key wrap, RFC 3394).  Pure functions."""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import cmac, hashes
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from ..crypto.cipher import key_len
from ..wire.eapol import KeyDescriptorVersion
from ..wire.rsn import AKM

__all__ = ["pmk_from_passphrase", "prf_sha1", "kdf_sha256", "Ptk", "derive_ptk", "descriptor_version",
           "eapol_mic", "wrap_key_data", "unwrap_key_data", "KeyWrapError", "SUPPORTED_AKMS"]

SUPPORTED_AKMS = (AKM.PSK, AKM.PSK_SHA256, AKM.SAE)
_SHA256_AKMS = (AKM.PSK_SHA256, AKM.SAE, AKM.IEEE8021X_SHA256)


class KeyWrapError(ValueError):
    """Key data that does not unwrap under the KEK."""


def pmk_from_passphrase(passphrase: str | bytes, ssid: bytes) -> bytes:
    """PSK = PBKDF2(HMAC-SHA1, passphrase, SSID, 4096, 256) (J.4.1).  The
    passphrase is 8-63 printable ASCII characters."""
    p = passphrase.encode("ascii") if isinstance(passphrase, str) else bytes(passphrase)
    if not 8 <= len(p) <= 63 or any(not 32 <= c <= 126 for c in p):
        raise ValueError("a passphrase is 8 to 63 printable ASCII characters")
    if not 0 < len(ssid) <= 32:
        raise ValueError("an SSID is 1 to 32 bytes")
    # cryptography's PBKDF2 (its own OpenSSL build) runs these 8192 HMACs
    # in about half the time of hashlib's: the biggest single cost of
    # bringing up a protected network
    return PBKDF2HMAC(hashes.SHA1(), 32, bytes(ssid), 4096).derive(p)


def prf_sha1(key: bytes, label: bytes, data: bytes, bits: int) -> bytes:
    """PRF-n (12.7.1.2): HMAC-SHA1(K, A || 0 || B || i) for i = 0, 1, ..."""
    out = b""
    i = 0
    while len(out) * 8 < bits:
        out += hmac.digest(key, label + b"\x00" + data + bytes([i]), "sha1")
        i += 1
    return out[:(bits + 7) // 8]


def kdf_sha256(key: bytes, label: bytes, context: bytes, bits: int) -> bytes:
    """KDF-Hash-Length (12.7.1.7.2) with SHA-256: HMAC(K, i || Label ||
    Context || Length), i and Length 16-bit little-endian, i from 1."""
    out = b""
    i = 1
    while len(out) * 8 < bits:
        out += hmac.digest(key, struct.pack("<H", i) + label + context + struct.pack("<H", bits), "sha256")
        i += 1
    return out[:(bits + 7) // 8]


@dataclass(frozen=True, slots=True)
class Ptk:
    kck: bytes
    kek: bytes
    tk: bytes

    def __repr__(self) -> str:  # keys stay out of logs
        return f"Ptk(kck={len(self.kck)}B, kek={len(self.kek)}B, tk={len(self.tk)}B)"


def derive_ptk(pmk: bytes, aa: bytes, spa: bytes, anonce: bytes, snonce: bytes, akm: int,
               pairwise: int) -> Ptk:
    """PTK = PRF(PMK, "Pairwise key expansion", Min(AA,SPA) || Max(AA,SPA) ||
    Min(ANonce,SNonce) || Max(ANonce,SNonce)) (12.7.1.3), PRF-SHA1 for AKM 2,
    KDF-SHA256 for AKMs 6 and 8; KCK 128, KEK 128, then the TK."""
    if akm not in SUPPORTED_AKMS:
        raise ValueError(f"AKM {akm:#x} is not supported")
    tk_len = key_len(pairwise)
    data = min(aa, spa) + max(aa, spa) + min(anonce, snonce) + max(anonce, snonce)
    bits = (32 + tk_len) * 8
    label = b"Pairwise key expansion"
    raw = kdf_sha256(pmk, label, data, bits) if akm in _SHA256_AKMS else prf_sha1(pmk, label, data, bits)
    return Ptk(raw[:16], raw[16:32], raw[32:])


def descriptor_version(akm: int) -> int:
    """Key Descriptor Version for an AKM (12.7.2): 2 (HMAC-SHA1-128, AES key
    wrap) for PSK, 3 (AES-128-CMAC) for PSK-SHA256, 0 (AKM-defined) for SAE."""
    if akm == AKM.PSK:
        return KeyDescriptorVersion.HMAC_SHA1_AES
    if akm in (AKM.PSK_SHA256, AKM.IEEE8021X_SHA256):
        return KeyDescriptorVersion.AES_CMAC_AES
    if akm == AKM.SAE:
        return KeyDescriptorVersion.AKM_DEFINED
    raise ValueError(f"AKM {akm:#x} is not supported")


def eapol_mic(akm: int, kck: bytes, data: bytes) -> bytes:
    """The 16-byte EAPOL-Key MIC over `data` (the frame with its MIC zeroed):
    HMAC-SHA1-128 for AKM 2, AES-128-CMAC for AKMs 6 and 8 (12.7.3)."""
    if descriptor_version(akm) == KeyDescriptorVersion.HMAC_SHA1_AES:
        return hmac.digest(kck, data, "sha1")[:16]
    c = cmac.CMAC(algorithms.AES(kck))
    c.update(data)
    return c.finalize()


def wrap_key_data(kek: bytes, data: bytes) -> bytes:
    """AES key wrap of already padded key data (a multiple of 8, >= 16)."""
    return aes_key_wrap(kek, data)


def unwrap_key_data(kek: bytes, data: bytes) -> bytes:
    if len(data) < 24 or len(data) % 8:
        raise KeyWrapError("wrapped key data is a multiple of 8 bytes, at least 24")
    try:
        return aes_key_unwrap(kek, data)
    except InvalidUnwrap:
        raise KeyWrapError("key data integrity check failed") from None
