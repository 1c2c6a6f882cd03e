"""The WPS key hierarchy (WSC 2.0 section 7): Diffie-Hellman group 5,
DHKey, KDK, the key derivation function giving AuthKey, KeyWrapKey and
EMSK, the Authenticator, the PSK halves of the device password, E-Hash /
R-Hash, and the Encrypted Settings (AES-128-CBC with a Key Wrap
Authenticator).

DH, AES and HMAC come from `cryptography` and the standard library; a
private value is drawn from the caller's randomness, so a seeded run makes
the same keys."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import warnings
from collections.abc import Callable, Iterator

from cryptography.hazmat.primitives.asymmetric import dh
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7
from cryptography.utils import CryptographyDeprecationWarning

from net80211.wire.frame import FrameError
from net80211.wps.attrs import A, build, parse, tlv

# RFC 3526 group 5: the 1536-bit MODP group, generator 2.
P5 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF", 16)
G5 = 2
PK_LEN = 192
NONCE_LEN = 16
KDF_LABEL = b"Wi-Fi Easy and Secure Key Derivation"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """`cryptography` calls finite-field DH deprecated; WPS is defined on it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        yield


with _quiet():
    _PARAMS = dh.DHParameterNumbers(P5, G5)

Random = Callable[[int], bytes]


class WpsCryptoError(ValueError):
    """A check of the key hierarchy failed (a bad public key, an
    authenticator or hash that does not verify, encrypted settings that do
    not decrypt)."""


class DhKey:
    """One side's Diffie-Hellman key pair in group 5."""

    __slots__ = ("_priv", "public")

    def __init__(self, random: Random) -> None:
        x = int.from_bytes(random(PK_LEN), "big") % (P5 - 2) + 1
        y = pow(G5, x, P5)
        with _quiet():
            self._priv = dh.DHPrivateNumbers(x, dh.DHPublicNumbers(y, _PARAMS)).private_key()
        self.public = y.to_bytes(PK_LEN, "big")

    def shared(self, peer_public: bytes) -> bytes:
        """DHKey = SHA-256(g^AB mod p), the secret padded to 192 bytes."""
        y = int.from_bytes(peer_public, "big")
        if len(peer_public) != PK_LEN or not 1 < y < P5 - 1:
            raise WpsCryptoError("public key out of range")
        try:
            with _quiet():
                    secret = self._priv.exchange(dh.DHPublicNumbers(y, _PARAMS).public_key())
        except ValueError as e:
            raise WpsCryptoError(f"public key refused: {e}") from None
        return hashlib.sha256(secret.rjust(PK_LEN, b"\0")).digest()


def hmac256(key: bytes, *parts: bytes) -> bytes:
    return hmac.digest(key, b"".join(parts), "sha256")


def kdf(key: bytes, label: bytes, bits: int) -> bytes:
    """WSC's KDF: HMAC-SHA-256 in counter mode over (i || label || bits)."""
    out = b""
    i = 1
    while len(out) * 8 < bits:
        out += hmac256(key, i.to_bytes(4, "big"), label, bits.to_bytes(4, "big"))
        i += 1
    return out[:bits // 8]


class SessionKeys:
    """AuthKey, KeyWrapKey and EMSK of one exchange."""

    __slots__ = ("auth_key", "key_wrap_key", "emsk")

    def __init__(self, dhkey: bytes, n1: bytes, mac_e: bytes, n2: bytes) -> None:
        kdk = hmac256(dhkey, n1, mac_e, n2)
        keys = kdf(kdk, KDF_LABEL, 640)
        self.auth_key, self.key_wrap_key, self.emsk = keys[:32], keys[32:48], keys[48:80]

    def authenticator(self, prev: bytes, cur_without_auth: bytes) -> bytes:
        """The first 64 bits of HMAC-SHA-256(AuthKey, previous message || this
        message up to its Authenticator attribute)."""
        return hmac256(self.auth_key, prev, cur_without_auth)[:8]

    def check_authenticator(self, prev: bytes, msg: bytes) -> None:
        """`msg` must end in its Authenticator attribute, and that must verify."""
        if len(msg) < 12 or msg[-12:-8] != tlv(A.AUTHENTICATOR, b"")[:2] + b"\x00\x08":
            raise WpsCryptoError("the Authenticator is not the message's last attribute")
        if not hmac.compare_digest(self.authenticator(prev, msg[:-12]), msg[-8:]):
            raise WpsCryptoError("the Authenticator does not verify")

    def psk_halves(self, password: bytes) -> tuple[bytes, bytes]:
        """PSK1 and PSK2: HMAC of each half of the device password (the first
        half is the longer one for an odd length), first 128 bits."""
        half = (len(password) + 1) // 2
        return (hmac256(self.auth_key, password[:half])[:16], hmac256(self.auth_key, password[half:])[:16])

    def hash(self, secret: bytes, psk: bytes, pk_e: bytes, pk_r: bytes) -> bytes:
        """E-Hash / R-Hash: HMAC(AuthKey, S || PSK || PK_E || PK_R)."""
        return hmac256(self.auth_key, secret, psk, pk_e, pk_r)

    def encrypt(self, attrs: list[tuple[int, bytes]], iv: bytes) -> bytes:
        """Encrypted Settings: IV || AES-128-CBC(KeyWrapKey, attrs || Key Wrap Authenticator)."""
        data = build(attrs)
        data += tlv(A.KEY_WRAP_AUTH, hmac256(self.auth_key, data)[:8])
        pad = PKCS7(128).padder()
        plain = pad.update(data) + pad.finalize()
        enc = Cipher(algorithms.AES(self.key_wrap_key), modes.CBC(iv)).encryptor()
        return iv + enc.update(plain) + enc.finalize()

    def decrypt(self, blob: bytes) -> list[tuple[int, bytes]]:
        """The attributes of Encrypted Settings whose padding and Key Wrap
        Authenticator check; WpsCryptoError otherwise."""
        if len(blob) < 32 or len(blob) % 16:
            raise WpsCryptoError("encrypted settings are not whole AES blocks after the IV")
        dec = Cipher(algorithms.AES(self.key_wrap_key), modes.CBC(blob[:16])).decryptor()
        plain = dec.update(blob[16:]) + dec.finalize()
        unpad = PKCS7(128).unpadder()
        try:
            data = unpad.update(plain) + unpad.finalize()
        except ValueError:
            raise WpsCryptoError("encrypted settings padding is wrong") from None
        if len(data) < 12 or data[-12:-8] != b"\x10\x1e\x00\x08":
            raise WpsCryptoError("encrypted settings end without a Key Wrap Authenticator")
        if not hmac.compare_digest(hmac256(self.auth_key, data[:-12])[:8], data[-8:]):
            raise WpsCryptoError("the Key Wrap Authenticator does not verify")
        try:
            return parse(data[:-12])
        except FrameError as e:
            raise WpsCryptoError(f"encrypted settings: {e}") from None
