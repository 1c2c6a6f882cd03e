"""Key derivation against IEEE 802.11-2020 Annex J and other published values."""

import pytest

from net80211.rsn.kdf import (
    KeyWrapError,
    derive_ptk,
    eapol_mic,
    kdf_sha256,
    pmk_from_passphrase,
    prf_sha1,
    unwrap_key_data,
    wrap_key_data,
)
from net80211.wire.rsn import AKM, Cipher

h = bytes.fromhex


@pytest.mark.parametrize(("passphrase", "ssid", "psk"), [
    # J.4.2
    ("password", b"IEEE", "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"),
    ("ThisIsAPassword", b"ThisIsASSID", "0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af"),
    # iwd's unit/test-eapol.c, the captured handshake's network
    ("EasilyGuessedPassword", b"TestWPA", "bf9aa3155300125e7a5ebb2a549f8cd4edab8ee12e94bfc24b3357ad049665d9"),
])
def test_passphrase_to_psk(passphrase, ssid, psk):
    assert pmk_from_passphrase(passphrase, ssid) == h(psk)


@pytest.mark.parametrize(("passphrase", "ssid"), [("short", b"x"), ("x" * 64, b"x"), ("päss word", b"x"),
                                                  ("password", b""), ("password", b"x" * 33)])
def test_passphrase_limits(passphrase, ssid):
    with pytest.raises(ValueError):
        pmk_from_passphrase(passphrase, ssid)


@pytest.mark.parametrize(("key", "label", "data", "bits", "out"), [
    # J.3.2 test cases 1 and 2 (PRF-512)
    (b"\x0b" * 20, b"prefix", b"Hi There", 512,
     "bcd4c650b30b9684951829e0d75f9d54b862175ed9f00606e17d8da35402ffee"
     "75df78c3d31e0f889f012120c0862beb67753e7439ae242edb8373698356cf5a"),
    (b"Jefe", b"prefix", b"what do ya want for nothing?", 512,
     "51f4de5b33f249adf81aeb713a3c20f4fe631446fabdfa58244759ae58ef9009"
     "a99abf4eac2ca5fa87e692c440eb40023e7babb206d61de7b92f41529092b8fc"),
    (b"Jefe", b"prefix-2", b"what do ya want for nothing?", 256,
     "47c4908e30c947521ad20be9053450ecbea23d3aa604b77326d8b3825ff7475c"),
])
def test_prf_sha1(key, label, data, bits, out):
    assert prf_sha1(key, label, data, bits) == h(out)


def test_kdf_sha256():
    # hostap's sha256_prf known answer: key 00..0f, 384 bits
    assert kdf_sha256(bytes(range(16)), b"RTL8197F-v42.3", h("1020304050"), 384) == h(
        "6c14d28de0853f6293446650cf5a7b819378f580783004b63936fb417e6e2bba"
        "96362beff98232da5ef29090c6f491c5")


AA, SPA = h("24a2e1ec1704"), h("a0a8cd1c7ec9")


def test_ptk_is_symmetric_in_roles_and_sized_by_the_cipher():
    pmk = bytes(32)
    a, s = b"\x01" * 32, b"\x02" * 32
    one = derive_ptk(pmk, AA, SPA, a, s, AKM.PSK, Cipher.CCMP_128)
    assert one == derive_ptk(pmk, SPA, AA, s, a, AKM.PSK, Cipher.CCMP_128)
    assert (len(one.kck), len(one.kek), len(one.tk)) == (16, 16, 16)
    assert len(derive_ptk(pmk, AA, SPA, a, s, AKM.SAE, Cipher.GCMP_256).tk) == 32
    # KDF-SHA256 for AKMs 6 and 8, PRF-SHA1 for 2: different keys
    assert derive_ptk(pmk, AA, SPA, a, s, AKM.PSK_SHA256, Cipher.CCMP_128) != one
    assert "kck" in repr(one) and one.kck.hex() not in repr(one)


def test_mic_per_akm():
    kck = bytes(range(16))
    assert len(eapol_mic(AKM.PSK, kck, b"frame")) == 16
    assert eapol_mic(AKM.PSK, kck, b"frame") != eapol_mic(AKM.PSK_SHA256, kck, b"frame")
    assert eapol_mic(AKM.PSK_SHA256, kck, b"frame") == eapol_mic(AKM.SAE, kck, b"frame")


def test_key_wrap_rfc3394():
    # RFC 3394 4.1: 128 bits of key data with a 128-bit KEK
    kek = h("000102030405060708090A0B0C0D0E0F")
    wrapped = h("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
    assert wrap_key_data(kek, h("00112233445566778899AABBCCDDEEFF")) == wrapped
    assert unwrap_key_data(kek, wrapped) == h("00112233445566778899AABBCCDDEEFF")
    with pytest.raises(KeyWrapError):
        unwrap_key_data(kek, wrapped[:-1] + b"\x00")
    with pytest.raises(KeyWrapError):
        unwrap_key_data(kek, wrapped[:20])
