"""EAPOL and EAPOL-Key frames and key data KDEs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net80211.wire.eapol import (
    EapolKey,
    EapolType,
    KeyInfo,
    gtk_kde,
    igtk_kde,
    pad_key_data,
    parse_eapol,
    parse_key_data,
    pmkid_kde,
)
from net80211.wire.frame import FrameError

h = bytes.fromhex

# msg 2/4 of a WPA2-PSK handshake captured by iwd's unit tests (unit/test-eapol.c)
MSG2 = h("0103007502010a000000000000000000003289e91565094f329a9cd54a4a090d2cf4344683bf50efee3608b648568"
         "00e84000000000000000000000000000000000000000000000000000000000000000001c31b82ff62a379b08dd1fc82c2"
         "f768001630140100000fac040100000fac040100000fac020000")


def test_msg2_fields():
    version, ptype, key = parse_eapol(MSG2)
    assert (version, ptype) == (1, EapolType.KEY)
    assert isinstance(key, EapolKey)
    assert key.info == KeyInfo.PAIRWISE | KeyInfo.MIC | 2
    assert key.descriptor_version == 2 and key.key_length == 0 and key.replay_counter == 0
    assert key.nonce[:4] == h("3289e915") and key.mic == h("01c31b82ff62a379b08dd1fc82c2f768")
    assert parse_key_data(key.key_data).rsne == h("30140100000fac040100000fac040100000fac020000")
    assert key.to_bytes() == MSG2
    assert key.mic_input() == MSG2[:81] + bytes(16) + MSG2[97:]


def test_ethernet_padding_after_the_body_is_ignored():
    assert parse_eapol(MSG2 + bytes(20))[2] == parse_eapol(MSG2)[2]


def test_other_packet_types_pass_through():
    assert parse_eapol(h("01010000")) == (1, EapolType.START, b"")
    assert parse_eapol(h("0200000501020005ff")) == (2, EapolType.EAP_PACKET, h("01020005ff"))


@pytest.mark.parametrize("buf", [h("010300"), h("0103ffff02"), MSG2[:-1], h("00010000"),
                                 MSG2[:4] + MSG2[4:97] + h("00ff") + MSG2[99:]])
def test_malformed(buf):
    with pytest.raises(FrameError):
        parse_eapol(buf)


def test_kdes():
    data = pad_key_data(h("30140100000fac040100000fac040100000fac020000") + gtk_kde(2, bytes(16), tx=True)
                        + igtk_kde(5, 0x010203, b"\x05" * 16) + pmkid_kde(b"\x07" * 16))
    assert len(data) % 8 == 0
    kd = parse_key_data(data)
    assert kd.gtk is not None and (kd.gtk.keyid, kd.gtk.tx, kd.gtk.key) == (2, True, bytes(16))
    assert kd.igtk is not None and (kd.igtk.keyid, kd.igtk.ipn, kd.igtk.key) == (5, 0x010203, b"\x05" * 16)
    assert kd.pmkid == b"\x07" * 16 and kd.rsne is not None


def test_gtk_kde_layout():
    # 12.7.2: DD len 00-0F-AC 1, key id | Tx, reserved, GTK
    assert gtk_kde(1, b"\xaa" * 16) == h("dd16000fac010100") + b"\xaa" * 16


@pytest.mark.parametrize("n", range(0, 30))
def test_padding(n):
    padded = pad_key_data(b"\x30\x00" * (n // 2) + b"\x30" * (n % 2))
    assert len(padded) >= 16 and len(padded) % 8 == 0


keys = st.builds(EapolKey, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(0, (1 << 64) - 1),
                 st.binary(min_size=32, max_size=32), st.binary(min_size=16, max_size=16),
                 st.binary(min_size=8, max_size=8), st.binary(min_size=16, max_size=16),
                 st.binary(max_size=120))


@given(keys)
def test_round_trip(key):
    assert parse_eapol(key.to_bytes())[2] == key


@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_frame_error(buf):
    try:
        parse_eapol(buf)
    except FrameError:
        pass
    try:
        parse_key_data(buf)
    except FrameError:
        pass
