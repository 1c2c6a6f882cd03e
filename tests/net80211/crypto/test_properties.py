"""Round trips and tampering, for every cipher and frame shape (hypothesis)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net80211.crypto import cipher
from net80211.crypto.cipher import CryptoError
from net80211.wire.rsn import Cipher

SUITES = [Cipher.CCMP_128, Cipher.CCMP_256, Cipher.GCMP_128, Cipher.GCMP_256]


@st.composite
def mpdus(draw):
    """A plaintext data (plain, QoS, four-address) or management frame."""
    kind = draw(st.sampled_from(["data", "qos", "qos_a4", "mgmt"]))
    flags = draw(st.integers(0, 0x3F)) & 0x3B  # ToDS/FromDS/MoreFrag/Retry/PwrMgt/MoreData, no Protected
    if kind == "mgmt":
        fc0, flags = 0xD0, flags & 0x38  # Action
    elif kind == "data":
        fc0, flags = 0x08, flags & 0x3A | draw(st.sampled_from([0, 1, 2]))
    else:
        fc0 = 0x88
        flags = flags & 0x38 | (3 if kind == "qos_a4" else draw(st.sampled_from([0, 1, 2])))
    head = bytes([fc0, flags]) + draw(st.binary(min_size=22, max_size=22))
    if flags & 3 == 3:
        head += draw(st.binary(min_size=6, max_size=6))
    if fc0 == 0x88:
        head += bytes([draw(st.integers(0, 255)), draw(st.integers(0, 255))])
    return head + draw(st.binary(max_size=300))


def _tk(suite, data):
    return data.draw(st.binary(min_size=cipher.key_len(suite), max_size=cipher.key_len(suite)))


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
@given(frame=mpdus(), pn=st.integers(0, (1 << 48) - 1), keyid=st.integers(0, 3), data=st.data())
def test_round_trip(suite, frame, pn, keyid, data):
    tk = _tk(suite, data)
    out = cipher.encap(suite, tk, frame, pn, keyid)
    hdr = cipher.parse_header(frame)
    assert len(out) == len(frame) + 8 + cipher.mic_len(suite)
    assert out[1] & 0x40
    plain, got_pn, got_keyid = cipher.decap(suite, tk, out)
    assert (plain, got_pn, got_keyid) == (frame, pn, keyid)
    assert cipher.parse_cipher_header(out[hdr.length:]) == (pn, keyid)


def _covered(frame: bytes, pos: int) -> bool:
    """Bytes the MIC protects: the addresses, the PN, the body and MIC (the
    masked FC bits, Duration, Sequence Number, key id are not)."""
    hdr = cipher.parse_header(frame)
    if 4 <= pos < 22 or hdr.a4 and 24 <= pos < 30:
        return True
    ccmp = pos - hdr.length
    return ccmp in (0, 1, 4, 5, 6, 7) or ccmp >= 8


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
@given(frame=mpdus(), pn=st.integers(0, (1 << 48) - 1), data=st.data())
def test_tampering_a_protected_byte_fails_the_mic(suite, frame, pn, data):
    tk = _tk(suite, data)
    out = bytearray(cipher.encap(suite, tk, frame, pn, 0))
    pos = data.draw(st.integers(0, len(out) - 1).filter(lambda p: _covered(frame, p)))
    out[pos] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError) as e:
        cipher.decap(suite, tk, bytes(out))
    assert e.value.reason == "mic"


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
@given(frame=mpdus(), data=st.data())
def test_masked_fields_may_change_in_flight(suite, frame, data):
    # a retransmission sets Retry; Duration and the sequence number are not
    # authenticated (12.5.3.3.3): a receiver must still accept the frame
    tk = _tk(suite, data)
    out = bytearray(cipher.encap(suite, tk, frame, 7, 0))
    out[1] ^= 0x08 | data.draw(st.sampled_from([0, 0x10, 0x20]))
    out[2:4] = data.draw(st.binary(min_size=2, max_size=2))
    out[23] ^= data.draw(st.integers(0, 255))
    plain, pn, _ = cipher.decap(suite, tk, bytes(out))
    assert pn == 7 and plain[cipher.parse_header(frame).length:] == frame[cipher.parse_header(frame).length:]


@given(st.binary(max_size=200), st.sampled_from(SUITES))
def test_decap_of_arbitrary_bytes_raises_only_crypto_error(buf, suite):
    try:
        cipher.decap(suite, bytes(cipher.key_len(suite)), buf)
    except CryptoError as e:
        assert e.reason in ("malformed", "mic", "unprotected")


def test_a_wrong_key_fails_the_mic():
    frame = bytes([0x08, 0x01]) + bytes(22) + b"payload"
    out = cipher.encap(Cipher.CCMP_128, bytes(16), frame, 1, 0)
    with pytest.raises(CryptoError) as e:
        cipher.decap(Cipher.CCMP_128, bytes(15) + b"\x01", out)
    assert e.value.reason == "mic"


def test_control_frames_are_refused():
    with pytest.raises(CryptoError) as e:
        cipher.encap(Cipher.CCMP_128, bytes(16), bytes([0xB4, 0]) + bytes(22), 1, 0)
    assert e.value.reason == "malformed"
