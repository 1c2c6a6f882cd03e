"""The ciphers against published test vectors: IEEE 802.11-2020 Annex J
(J.6.4 CCMP, the CCMP-protected Deauthentication and BIP-CMAC-128 broadcast
Deauthentication of J.9 (M.9 in 802.11-2012), the CCMP-256, GCMP-128,
GCMP-256 and BIP-GMAC vectors of 802.11ac/ad as carried by hostap's
wlantest/test_vectors.c)."""

import pytest

from net80211.crypto import bip, cipher
from net80211.crypto.cipher import CryptoError
from net80211.wire.rsn import Cipher

h = bytes.fromhex

# J.6.4: TK, PN 0xB5039776E70C, a data frame with Retry and Protected set
J64_TK = h("c97c1f67ce371185514a8a19f2bdd52f")
J64_PN = 0xB5039776E70C
J64_PLAIN = h("0848c32c0fd2e128a57c5030f1844408abaea5b8fcba8033" "f8ba1a55d02f85ae967bb62fb6cda8eb7e78a050")
J64_MPDU = h("0848c32c0fd2e128a57c5030f1844408abaea5b8fcba8033" "0ce70020769703b5"
             "f3d0a2fe9a3dbf2342a643e43246e80c3c04d019" "7845ce0b16f97623")


def test_ccmp_j64_aad_and_nonce():
    hdr = cipher.parse_header(J64_PLAIN)
    assert cipher.aad(J64_PLAIN, hdr) == h("08400fd2e128a57c5030f1844408abaea5b8fcba0000")
    assert cipher.ccm_nonce(J64_PLAIN, hdr, J64_PN) == h("005030f1844408b5039776e70c")
    assert cipher.cipher_header(J64_PN, 0) == h("0ce70020769703b5")


def test_ccmp_j64_encapsulation():
    assert cipher.encap(Cipher.CCMP_128, J64_TK, J64_PLAIN, J64_PN, 0) == J64_MPDU


def test_ccmp_j64_decapsulation():
    plain, pn, keyid = cipher.decap(Cipher.CCMP_128, J64_TK, J64_MPDU)
    assert (pn, keyid) == (J64_PN, 0)
    assert plain[24:] == J64_PLAIN[24:]
    assert plain[1] & 0x40 == 0  # Protected Frame bit cleared on the way in
    assert plain[:1] + plain[2:24] == J64_PLAIN[:1] + J64_PLAIN[2:24]


def test_ccmp_protected_unicast_deauthentication():
    # 802.11-2012 M.9.2: a management frame: the nonce carries the management flag
    tk = h("66ed21042f9f26d7115706e40414cf2e")
    frame = h("c00000000200000001000200000000000200000000006000" "0200")
    want = h("c04000000200000001000200000000000200000000006000" "0100002000000000" "1d07" "cafd0409bb8bafef")
    assert cipher.encap(Cipher.CCMP_128, tk, frame, 1, 0) == want
    assert cipher.decap(Cipher.CCMP_128, tk, want)[0][24:] == frame[24:]


CCMP256_TK = J64_TK + bytes(range(16))


def test_ccmp_256():
    want = h("0848c32c0fd2e128a57c5030f1844408abaea5b8fcba8033" "0ce70020769703b5"
             "6d155d8832668256d6a92b78e11d8e54495dd17480aa56c9" "492e882b97642f80d50fe97b")
    assert cipher.encap(Cipher.CCMP_256, CCMP256_TK, J64_PLAIN, J64_PN, 0) == want
    assert cipher.decap(Cipher.CCMP_256, CCMP256_TK, want)[0][24:] == J64_PLAIN[24:]


# A QoS data frame with a 26-byte header: TID 3
GCMP_FRAME = h("88480b000fd2e128a57c5030f18444085030f18444088033" "0300") + bytes(range(40))
GCMP_PN = 0x00895F5F2B08


def test_gcmp_128():
    out = cipher.encap(Cipher.GCMP_128, J64_TK, GCMP_FRAME, GCMP_PN, 0)
    assert out[34:-16] == h("60e9700cc4d40ac6d288b201c38f5bf08b807442640a1596"
                            "e5dbdad41d1f3623f45d7a12db7afb23")
    assert out[-16:] == h("def619c2a374b6df66ffa53b6c69d79e")
    assert cipher.decap(Cipher.GCMP_128, J64_TK, out)[0][26:] == GCMP_FRAME[26:]


def test_gcmp_256():
    want = h("88480b000fd2e128a57c5030f18444085030f184440880330300" "082b00205f5f8900"
             "658343c8b14447d9211defd46ad89c710c6fc33333236e3997b9176a5a8be779b21266555e70ad79"
             "11431685909547" "3d5b1bd596b3dea3bf")
    assert cipher.encap(Cipher.GCMP_256, CCMP256_TK, GCMP_FRAME, GCMP_PN, 0) == want
    assert cipher.decap(Cipher.GCMP_256, CCMP256_TK, want)[0][26:] == GCMP_FRAME[26:]


BIP_IGTK = h("4ea9543e09cf2b1eca66ffc58bdecbcf")
BIP_DEAUTH = h("c0000000ffffffffffff02000000000002000000000009000200")  # broadcast, reason 2


def test_bip_cmac_128_broadcast_deauthentication():
    out = bip.protect(Cipher.BIP_CMAC_128, BIP_IGTK, BIP_DEAUTH, ipn=4, keyid=4)
    assert out == BIP_DEAUTH + h("4c10" "0400" "040000000000" "48dfbfa7b8278872")
    assert bip.verify(Cipher.BIP_CMAC_128, BIP_IGTK, out) == (BIP_DEAUTH, 4, 4)


@pytest.mark.parametrize(("suite", "key", "mic"), [
    (Cipher.BIP_GMAC_128, BIP_IGTK, "3ed862fb0f3338dd3386c897e2ed053d"),
    (Cipher.BIP_GMAC_256, BIP_IGTK + bytes(range(16)), "23be59dcc7022ee383627ebb1017ddfc"),
])
def test_bip_gmac(suite, key, mic):
    out = bip.protect(suite, key, BIP_DEAUTH, ipn=4, keyid=4)
    assert out == BIP_DEAUTH + h("4c18" "0400" "040000000000") + h(mic)
    assert bip.verify(suite, key, out)[0] == BIP_DEAUTH


def test_bip_retry_is_masked_and_the_body_is_not():
    out = bytearray(bip.protect(Cipher.BIP_CMAC_128, BIP_IGTK, BIP_DEAUTH, ipn=4, keyid=4))
    out[1] |= 0x08  # a retransmission
    assert bip.verify(Cipher.BIP_CMAC_128, BIP_IGTK, bytes(out))[2] == 4
    out[24] ^= 1  # the reason code
    with pytest.raises(CryptoError) as e:
        bip.verify(Cipher.BIP_CMAC_128, BIP_IGTK, bytes(out))
    assert e.value.reason == "mic"
