"""Information elements: round trips, known encodings, strictness."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net80211.wire.frame import FrameError
from net80211.wire.ie import (
    ERP,
    OUI_MICROSOFT,
    OUI_WFA,
    RSN,
    SSID,
    TIM,
    Country,
    DSParams,
    ExtendedRates,
    HTCapabilities,
    HTOperation,
    IBSSParams,
    IEList,
    SupportedRates,
    Unknown,
    Vendor,
    p2p_attributes,
    p2p_ies,
    rates_ies,
    wps_ies,
    wps_payload,
)

u8 = st.integers(0, 255)
u16 = st.integers(0, 0xFFFF)
_TYPED = {0, 1, 3, 5, 6, 7, 42, 45, 48, 50, 61, 221}

ies = st.one_of(
    st.builds(SSID, st.binary(max_size=32)),
    st.builds(SupportedRates, st.lists(u8, min_size=1, max_size=8).map(tuple)),
    st.builds(ExtendedRates, st.lists(u8, min_size=1, max_size=255).map(tuple)),
    st.builds(DSParams, u8),
    st.builds(IBSSParams, u16),
    st.builds(TIM, u8, u8, u8, st.binary(min_size=1, max_size=251)),
    st.builds(Country, st.binary(min_size=3, max_size=3),
              st.lists(st.tuples(u8, u8, u8), min_size=1, max_size=84).map(tuple)),
    st.builds(ERP, u8),
    st.builds(HTCapabilities, u16, u8, st.binary(min_size=16, max_size=16), u16,
              st.integers(0, 2**32 - 1), u8),
    st.builds(HTOperation, u8, u8, u16, u16, st.binary(min_size=16, max_size=16)),
    st.builds(RSN, st.binary(min_size=2, max_size=255)),
    st.builds(Vendor, st.binary(min_size=3, max_size=3), st.binary(max_size=252)),
    st.builds(Unknown, u8.filter(lambda e: e not in _TYPED), st.binary(max_size=255)),
)


@given(st.lists(ies, max_size=12))
def test_ie_list_round_trip(elements):
    wire = IEList(elements).to_bytes()
    parsed = IEList.parse(wire)
    assert parsed == IEList(elements)
    assert list(parsed) == elements
    assert parsed.to_bytes() == wire


@given(ies)
def test_element_encoding_is_id_length_body(e):
    wire = e.to_bytes()
    assert wire[0] == e.eid
    assert wire[1] == len(wire) - 2 == len(e.body())


@settings(max_examples=1000)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_frame_error(data):
    try:
        parsed = IEList.parse(data)
    except FrameError:
        return
    # Parsing skips the constructors' checks; every element must still pass them.
    for e in parsed:
        assert type(e)(**{f.name: getattr(e, f.name) for f in dataclasses.fields(e)}) == e
    assert parsed.to_bytes() == data or any(isinstance(e, Country) for e in parsed)


def test_known_encodings():
    assert SSID(b"net0").to_bytes() == bytes.fromhex("00046e657430")
    assert SupportedRates((0x82, 0x84, 0x8B, 0x96)).to_bytes() == bytes.fromhex("010482848b96")
    assert DSParams(6).to_bytes() == bytes.fromhex("030106")
    assert ERP(ERP.USE_PROTECTION).to_bytes() == bytes.fromhex("2a0102")
    # One triplet makes the body 6 bytes (even): no pad.  Two make 9: pad to 10.
    assert Country(b"US ", ((1, 11, 30),)).to_bytes() == bytes.fromhex("0706555320010b1e")
    two = Country(b"DE ", ((1, 13, 20), (36, 4, 23)))
    assert two.to_bytes() == bytes.fromhex("070a44452001 0d14 240417 00".replace(" ", ""))
    assert IEList.parse(two.to_bytes()) == (two,)
    assert len(HTCapabilities.for_streams(2, ht40=True).to_bytes()) == 28
    assert len(HTOperation(36, info1=1).to_bytes()) == 24


def test_tim_from_aids_follows_the_partial_virtual_bitmap_rules():
    # AIDs 20 and 25 live in octets 2 and 3; N1 is the even octet 2.
    tim = TIM.from_aids(0, 3, [20, 25], multicast=True)
    assert tim.bitmap_control == 0x02 | 1
    assert tim.bitmap == bytes((1 << 4, 1 << 1))
    assert tim.to_bytes() == bytes.fromhex("050500030310 02".replace(" ", ""))
    assert tim.multicast
    # AID 24 is octet 3: N1 rounds down to 2 and octet 2 is sent as zero.
    assert TIM.from_aids(1, 3, [24]).bitmap == b"\x00\x01"
    empty = TIM.from_aids(0, 1, [])
    assert empty.body() == bytes((0, 1, 0, 0))
    with pytest.raises(FrameError):
        TIM.from_aids(0, 1, [2008])


@given(st.sets(st.integers(1, 2007), max_size=40), st.integers(1, 2007))
def test_tim_has_aid_matches_the_set(aids, probe):
    tim = TIM.from_aids(0, 1, aids)
    assert all(tim.has_aid(a) for a in aids)
    assert tim.has_aid(probe) == (probe in aids)
    assert IEList.parse(tim.to_bytes()) == (tim,)


def test_rates_split_and_view():
    rates = [0x82, 0x84, 0x8B, 0x96, 12, 18, 24, 36, 48, 72, 96, 108]
    split = rates_ies(rates)
    assert split == [SupportedRates(tuple(rates[:8])), ExtendedRates(tuple(rates[8:]))]
    lst = IEList([SSID(b"x"), *split, DSParams(11)])
    assert lst.rates == tuple(rates)
    assert lst.ssid == b"x" and lst.channel == 11
    assert lst.get(ExtendedRates) == split[1]
    assert lst.get(TIM) is None
    assert lst.all(SupportedRates) == [split[0]]


def test_ht_capabilities_for_streams():
    ht = HTCapabilities.for_streams(2, ht40=True)
    assert ht.rx_mcs == frozenset(range(16))
    assert ht.cap_info & 0x0002  # 40 MHz
    assert HTOperation(6, info1=3).secondary_offset == 3


@pytest.mark.parametrize("wire", [
    "0021" + "41" * 33,          # SSID longer than 32
    "0100",                      # no rates
    "0109" + "02" * 9,           # 9 supported rates
    "0300", "03020101",          # DS params must be 1 byte
    "0503000100",                # TIM shorter than 4
    "0705555320010b",            # Country not string + triplets
    "0707555320010b1e01",        # Country pad must be zero
    "2d19" + "00" * 25,          # HT capabilities must be 26
    "3d17" + "00" * 23,          # HT operation must be 22
    "300101",                    # RSN without a version
    "dd02506f",                  # vendor without a full OUI
    "0005616263",                # SSID overruns
    "00",                        # truncated header
    "00016100",                  # trailing truncated header
])
def test_malformed_elements_are_rejected(wire):
    with pytest.raises(FrameError):
        IEList.parse(bytes.fromhex(wire))


def test_build_validation():
    for bad in (lambda: SSID(b"x" * 33), lambda: SSID("net0"), lambda: SupportedRates(()),
                lambda: DSParams(256), lambda: Unknown(0, b"ssid"), lambda: Vendor(b"\x00", b""),
                lambda: Country(b"US ", ()), lambda: IEList([b"\x00\x00"]),
                lambda: Unknown(200, b"x" * 256)):
        with pytest.raises(FrameError):
            bad()


def test_unknown_and_duplicate_elements_keep_their_place():
    wire = bytes.fromhex("0003616263" "7f0401020304" "0003646566" "ff03230001")
    lst = IEList.parse(wire)
    assert lst == (SSID(b"abc"), Unknown(127, bytes.fromhex("01020304")), SSID(b"def"),
                   Unknown(255, bytes.fromhex("230001")))
    assert lst.ssid == b"abc"
    assert lst.to_bytes() == wire


def test_p2p_ie_known_answer_and_fragmentation():
    ie = p2p_ies([(2, b"\x21\x00")])  # P2P Capability attribute
    assert [e.to_bytes() for e in ie] == [bytes.fromhex("dd09506f9a0902020021 00".replace(" ", ""))]
    assert ie[0].is_p2p and not ie[0].is_wps and ie[0].oui == OUI_WFA
    big = [(13, bytes(range(200))), (2, b"\x01\x02"), (3, bytes(200))]
    frags = p2p_ies(big)
    assert len(frags) == 2 and all(len(e.to_bytes()) <= 257 for e in frags)
    lst = IEList.parse(IEList([SSID(b"DIRECT-xy"), *frags]).to_bytes())
    assert p2p_attributes(lst) == tuple(big)
    assert p2p_attributes(IEList([SSID(b"")])) is None


def test_p2p_attribute_overrun_is_rejected():
    with pytest.raises(FrameError):
        p2p_attributes([Vendor(OUI_WFA, bytes.fromhex("09020500"))])
    with pytest.raises(FrameError):
        p2p_attributes([Vendor(OUI_WFA, bytes.fromhex("0902"))])


@given(st.binary(max_size=700))
def test_wps_payload_round_trip(blob):
    frags = wps_ies(blob)
    assert all(e.is_wps and e.oui == OUI_MICROSOFT for e in frags)
    assert wps_payload(IEList.parse(IEList(frags).to_bytes())) == blob


@given(u16)
def test_ibss_params_round_trip_and_encoding(atim):
    e = IBSSParams(atim)
    assert e.to_bytes() == bytes((6, 2)) + atim.to_bytes(2, "little")
    lst = IEList.parse(IEList([SSID(b"adhoc"), e]).to_bytes())
    assert lst.get(IBSSParams) == e and lst.atim_window == atim


def test_ibss_params_strictness():
    assert IBSSParams(0).to_bytes() == bytes.fromhex("06020000")
    assert IEList.parse(bytes.fromhex("06020a00")).atim_window == 10
    for wire in ("0601ff", "0603000000"):
        with pytest.raises(FrameError, match="IBSS Parameter Set"):
            IEList.parse(bytes.fromhex(wire))
    for bad in (-1, 0x10000, "3"):
        with pytest.raises(FrameError):
            IBSSParams(bad)
    with pytest.raises(FrameError):
        Unknown(6, b"\x00\x00")  # it has its own class
    assert IEList([SSID(b"x")]).atim_window is None
