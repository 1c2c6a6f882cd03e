"""The RSN element codec: known encodings, round trips, strictness."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net80211.wire.frame import FrameError
from net80211.wire.ie import RSN, IEList
from net80211.wire.rsn import AKM, Cipher, RSNCap, RSNInfo, suite_name

h = bytes.fromhex

# WPA2-Personal as hostapd advertises it (wpa=2, wpa_key_mgmt=WPA-PSK,
# rsn_pairwise=CCMP): the RSNE echoed in msg 3/4 of iwd's captured handshake.
WPA2_PSK = h("30140100000fac040100000fac040100000fac020000")


def test_wpa2_personal():
    info = RSNInfo.from_element(IEList.parse(WPA2_PSK)[0])
    assert info == RSNInfo(Cipher.CCMP_128, (Cipher.CCMP_128,), (AKM.PSK,), 0)
    assert info.to_bytes() == WPA2_PSK
    assert not info.mfpc and info.mgmt_cipher == Cipher.BIP_CMAC_128


def test_wpa3_transition_with_pmf_and_an_explicit_group_management_cipher():
    info = RSNInfo(Cipher.CCMP_128, (Cipher.CCMP_128, Cipher.GCMP_256), (AKM.PSK, AKM.SAE),
                   RSNCap.MFPC | RSNCap.PTKSA_REPLAY_COUNTER, pmkids=(),
                   group_mgmt_cipher=Cipher.BIP_GMAC_256)
    body = info.body()
    assert body == h("0100" "000fac04" "0200" "000fac04" "000fac09" "0200" "000fac02" "000fac08" "8c00"
                     "0000" "000fac0c")
    assert RSNInfo.parse(body) == info


def test_pmkid_list():
    info = RSNInfo(pmkids=(bytes(range(16)),))
    assert info.body().endswith(h("0100") + bytes(range(16)))
    assert RSNInfo.parse(info.body()).pmkids == (bytes(range(16)),)


@pytest.mark.parametrize("cut", ["version", "group_cipher", "pairwise", "akms", "capabilities", "pmkids"])
def test_the_element_may_end_after_any_field(cut):
    full = RSNInfo(pmkids=(), group_mgmt_cipher=Cipher.BIP_CMAC_256)
    short = RSNInfo(full.group_cipher, full.pairwise, full.akms, full.capabilities, full.pmkids,
                    full.group_mgmt_cipher, truncated_after=cut)
    again = RSNInfo.parse(short.body())
    assert again.truncated_after == cut and again.body() == short.body()


def test_trailing_octets_are_ignored():
    # the RSNE is extensible (10.28.8): fields a later amendment adds are skipped
    assert RSNInfo.parse(WPA2_PSK[2:] + h("0000" "000fac06" "ffff")).group_mgmt_cipher == Cipher.BIP_CMAC_128


@pytest.mark.parametrize("body", [
    h("01"),  # no version
    h("0100000fac040000"),  # zero pairwise ciphers
    h("0100000fac040200000fac04"),  # two pairwise ciphers announced, one present
    h("0100000fac040100000fac040000"),  # zero AKMs
    h("0100000fac040100000fac040100000fac0200000100" "0001"),  # a PMKID cut short
])
def test_malformed(body):
    with pytest.raises(FrameError):
        RSNInfo.parse(body)


def test_suite_names():
    assert suite_name(Cipher.GCMP_256) == "GCMP_256" and suite_name(AKM.SAE, akm=True) == "SAE"
    assert suite_name(Cipher.GCMP_128) == "GCMP_128"
    assert suite_name(0x0050F201) == "0050f2:1"


suites = st.integers(0, 0xFFFFFFFF)
infos = st.builds(
    RSNInfo, suites, st.lists(suites, min_size=1, max_size=4).map(tuple),
    st.lists(suites, min_size=1, max_size=4).map(tuple), st.integers(0, 0xFFFF),
    st.none() | st.lists(st.binary(min_size=16, max_size=16), max_size=3).map(tuple),
    st.none() | suites)


@given(infos)
def test_round_trip(info):
    again = RSNInfo.parse(info.body())
    assert again.body() == info.body()
    assert again.to_element() == RSN(info.body())


@given(st.binary(max_size=80))
def test_parsing_arbitrary_bytes_raises_only_frame_error(body):
    try:
        info = RSNInfo.parse(body)
    except FrameError:
        return
    assert RSNInfo.parse(info.body()) == info
