"""802.11 frames: round trips for every kind, known answers, peek, fuzz."""

from __future__ import annotations

import dataclasses
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net80211.wire.ctrl import Ack, Cts, PsPoll, RawFrame, Rts
from net80211.wire.data import DataFrame, build_ether, llc_snap_decap, llc_snap_encap, parse_ether
from net80211.wire.decode import parse_frame
from net80211.wire.frame import (
    BROADCAST,
    DataSubtype,
    FCFlags,
    FrameError,
    fc_pack,
    fc_unpack,
    is_multicast,
    mac_str,
    parse_mac,
    peek,
)
from net80211.wire.ie import SSID, TIM, DSParams, HTCapabilities, IEList, SupportedRates, Unknown, Vendor
from net80211.wire.mgmt import (
    Action,
    ActionCategory,
    AssocReq,
    AssocResp,
    Auth,
    Beacon,
    Capability,
    Deauth,
    Disassoc,
    MgmtFrame,
    ProbeReq,
    ProbeResp,
    RawMgmtBody,
    ReasonCode,
    ReassocReq,
    ReassocResp,
    StatusCode,
)

u8, u16 = st.integers(0, 255), st.integers(0, 0xFFFF)
addr = st.binary(min_size=6, max_size=6)
ie_lists = st.lists(st.one_of(
    st.builds(SSID, st.binary(max_size=32)),
    st.builds(SupportedRates, st.lists(u8, min_size=1, max_size=8).map(tuple)),
    st.builds(DSParams, u8),
    st.builds(TIM, u8, u8, u8, st.binary(min_size=1, max_size=20)),
    st.just(HTCapabilities.for_streams(2)),
    st.builds(Vendor, st.binary(min_size=3, max_size=3), st.binary(max_size=30)),
    st.builds(Unknown, st.sampled_from([16, 127, 191, 255]), st.binary(max_size=30)),
), max_size=6).map(IEList)

bodies = st.one_of(
    st.builds(Beacon, st.integers(0, 2**64 - 1), u16, u16, ie_lists),
    st.builds(ProbeResp, st.integers(0, 2**64 - 1), u16, u16, ie_lists),
    st.builds(ProbeReq, ie_lists),
    st.builds(Auth, st.integers(0, 2), u16, u16, ie_lists),
    st.builds(Auth, st.integers(3, 0xFFFF), u16, u16, st.just(IEList()), st.binary(max_size=40)),
    st.builds(AssocReq, u16, u16, ie_lists),
    st.builds(ReassocReq, u16, u16, addr, ie_lists),
    st.builds(AssocResp, u16, u16, st.integers(0, 0x3FFF), ie_lists),
    st.builds(ReassocResp, u16, u16, st.integers(0, 0x3FFF), ie_lists),
    st.builds(Disassoc, u16, ie_lists),
    st.builds(Deauth, u16, ie_lists),
    st.builds(Action, u8.filter(lambda c: c & 0x7F not in (126, 127)), u8, st.binary(max_size=40),
              st.booleans()),
    st.builds(Action, st.sampled_from([126, 127, 254, 255]), st.none(), st.binary(min_size=3, max_size=40),
              st.booleans()),
    st.builds(RawMgmtBody, st.sampled_from([6, 7, 9, 15]), st.binary(max_size=40)),
)


@st.composite
def mgmt_frames(draw):
    flags = draw(u8) & ~0x40
    body = draw(bodies)
    if draw(st.booleans()):  # a protected frame: the body is opaque
        flags |= 0x40
        body = RawMgmtBody(draw(st.integers(0, 15)), draw(st.binary(max_size=40)))
    htc = draw(st.integers(0, 2**32 - 1)) if flags & 0x80 else None
    return MgmtFrame(body, draw(addr), draw(addr), draw(addr), flags, draw(u16),
                     draw(st.integers(0, 4095)), draw(st.integers(0, 15)), htc)


@st.composite
def data_frames(draw):
    subtype = draw(st.sampled_from(list(DataSubtype)))
    flags = draw(u8)
    qos = draw(u16) if subtype & 8 else None
    htc = draw(st.integers(0, 2**32 - 1)) if qos is not None and flags & 0x80 else None
    addr4 = draw(addr) if flags & 3 == 3 else None
    payload = b"" if subtype & 4 else draw(st.binary(max_size=60))
    return DataFrame(draw(addr), draw(addr), draw(addr), payload, subtype, flags, draw(u16),
                     draw(st.integers(0, 4095)), draw(st.integers(0, 15)), addr4, qos, htc)


raw_rest = st.binary(min_size=8, max_size=40)
ctrl_frames = st.one_of(
    st.builds(Ack, addr, u16, u8),
    st.builds(Cts, addr, u16, u8),
    st.builds(Rts, addr, addr, u16, u8),
    st.builds(PsPoll, st.integers(0, 0x3FFF), addr, addr, u8),
    # What is kept raw: other control subtypes, data subtype 13, the extension type.
    st.builds(RawFrame, st.just(1), st.sampled_from([0, 3, 7, 8, 9, 14, 15]), u8, raw_rest),
    st.builds(RawFrame, st.just(2), st.just(13), u8, raw_rest),
    st.builds(RawFrame, st.just(3), st.integers(0, 15), u8, raw_rest),
)
any_frame = st.one_of(mgmt_frames(), data_frames(), ctrl_frames)


def revalidate(obj):
    """Rebuild `obj` through the public constructors, which validate: the
    parsers build with a trusted constructor, so this proves they only ever
    produce objects the validation accepts."""
    if isinstance(obj, IEList):
        return IEList(revalidate(e) for e in obj)
    if dataclasses.is_dataclass(obj):
        rebuilt = type(obj)(**{f.name: revalidate(getattr(obj, f.name))
                               for f in dataclasses.fields(obj) if f.init})
        assert rebuilt == obj
        return rebuilt
    return obj


@given(any_frame)
def test_build_parse_round_trip(frame):
    wire = frame.to_bytes()
    again = parse_frame(wire)
    assert again == frame
    revalidate(again)
    assert type(again).parse(wire) == frame
    assert again.to_bytes() == wire


@given(any_frame)
def test_peek_agrees_with_the_full_parse(frame):
    wire = frame.to_bytes()
    if isinstance(frame, RawFrame) and frame.ftype != 1 and len(wire) < 24:
        with pytest.raises(FrameError):  # peek wants the full 24-byte header
            peek(wire)
        return
    ftype, subtype, a1, a2, a3, seq, flags = peek(wire)
    assert (ftype, subtype, flags) == fc_unpack(struct.unpack_from("<H", wire)[0])[1:]
    assert subtype == frame.subtype and flags == frame.flags
    if isinstance(frame, (MgmtFrame, DataFrame)):
        assert (a1, a2, a3, seq) == (frame.addr1, frame.addr2, frame.addr3, frame.seq)
    elif isinstance(frame, (Ack, Cts)):
        assert (a1, a2, a3, seq) == (frame.ra, None, None, None)
    elif isinstance(frame, Rts):
        assert (a1, a2) == (frame.ra, frame.ta)


@settings(max_examples=1000)
@given(st.binary(max_size=120))
def test_random_bytes_raise_only_frame_error(data):
    for decode in (parse_frame, peek, MgmtFrame.parse, DataFrame.parse, Ack.parse, Rts.parse):
        try:
            got = decode(data)
        except FrameError:
            continue
        if decode is not peek:
            revalidate(got)


@settings(max_examples=1000)
@given(any_frame, st.data())
def test_mutated_frames_raise_only_frame_error(frame, data):
    wire = bytearray(frame.to_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "grow"]))
        if op == "flip" and wire:
            i = data.draw(st.integers(0, len(wire) - 1))
            wire[i] = data.draw(u8)
        elif op == "cut":
            del wire[data.draw(st.integers(0, len(wire))):]
        else:
            wire += data.draw(st.binary(min_size=1, max_size=8))
    try:
        parsed = parse_frame(bytes(wire))
    except FrameError:
        return
    # Whatever parses is a valid frame that round-trips.
    revalidate(parsed)
    assert parse_frame(parsed.to_bytes()) == parsed


# --- known answers -----------------------------------------------------------------------

AP = parse_mac("02:00:00:00:01:00")
STA = parse_mac("02:00:00:00:02:00")

# A beacon built by hand from 802.11-2020 9.3.3.2: FC 0x0080, duration 0, DA
# broadcast, SA = BSSID, sequence 0x123, then timestamp, interval 100 TU,
# capability ESS|short slot, SSID "net0", rates 1 2 5.5 11 (basic) 6 9 12 18,
# DS channel 6, TIM (DTIM count 0 period 2, no traffic).
BEACON_HEX = (
    "8000" "0000" "ffffffffffff" "020000000100" "020000000100" "3012"
    "efcdab8967452301" "6400" "0104"
    "00046e657430" "010882848b960c121824" "030106" "050400020000"
)


def test_known_beacon():
    wire = bytes.fromhex(BEACON_HEX)
    f = parse_frame(wire)
    assert isinstance(f, MgmtFrame) and isinstance(f.body, Beacon)
    assert (f.da, f.sa, f.bssid, f.seq, f.frag) == (BROADCAST, AP, AP, 0x123, 0)
    assert f.body.timestamp == 0x0123456789ABCDEF and f.body.interval == 100
    assert f.body.capability == Capability.ESS | Capability.SHORT_SLOTTIME
    assert f.body.ies.ssid == b"net0" and f.body.ies.channel == 6
    assert f.body.ies.rates == (0x82, 0x84, 0x8B, 0x96, 12, 18, 24, 36)
    assert f.body.ies.get(TIM) == TIM(0, 2, 0, b"\x00")
    built = MgmtFrame(Beacon(0x0123456789ABCDEF, 100, Capability.ESS | Capability.SHORT_SLOTTIME,
                             IEList([SSID(b"net0"), SupportedRates((0x82, 0x84, 0x8B, 0x96, 12, 18, 24, 36)),
                                     DSParams(6), TIM(0, 2)])),
                      BROADCAST, AP, AP, seq=0x123)
    assert built.to_bytes() == wire
    assert peek(wire) == (0, 8, BROADCAST, AP, AP, 0x123, 0)


def test_known_management_bodies():
    def body(f):
        return f.to_bytes()[24:].hex()

    auth = MgmtFrame(Auth(0, 2, StatusCode.SUCCESS), STA, AP, AP)
    assert auth.to_bytes()[:2] == b"\xb0\x00" and body(auth) == "000002000000"
    resp = MgmtFrame(AssocResp(Capability.ESS, StatusCode.TOOMANY, 0), STA, AP, AP)
    assert body(resp) == "01001100" "00c0"
    ok = parse_frame(MgmtFrame(ReassocResp(1, 0, 5), STA, AP, AP).to_bytes())
    assert ok.body.aid == 5 and ok.to_bytes()[28:30] == b"\x05\xc0" and ok.subtype == 3
    req = MgmtFrame(ReassocReq(0x0431, 10, AP, IEList([SSID(b"a")])), AP, STA, AP)
    assert req.to_bytes()[0] == 0x20 and body(req) == "31040a00" "020000000100" "000161"
    deauth = parse_frame(bytes.fromhex("c000" "3a01") + STA + AP + AP + bytes.fromhex("0000" "0300"))
    assert deauth.body == Deauth(ReasonCode.AUTH_LEAVE) and isinstance(deauth.body.reason, ReasonCode)
    assert parse_frame(MgmtFrame(Disassoc(8), STA, AP, AP).to_bytes()).body.reason is ReasonCode.ASSOC_LEAVE
    # A status this codec has no name for stays a plain int.
    assert parse_frame(MgmtFrame(Auth(0, 2, 999), STA, AP, AP).to_bytes()).body.status == 999


def test_public_action_and_vendor_action():
    # P2P GO Negotiation Request: public action, vendor specific, WFA OUI, type 9.
    payload = bytes.fromhex("506f9a09" "00" "01")
    f = MgmtFrame(Action(ActionCategory.PUBLIC, 9, payload), BROADCAST, STA, BROADCAST)
    wire = f.to_bytes()
    assert wire[0] == 0xD0 and wire[24:].hex() == "0409506f9a090001"
    assert parse_frame(wire) == f
    vendor = MgmtFrame(Action(127, None, b"\x00\x10\x18\x01"), AP, STA, AP)
    assert vendor.to_bytes()[24:] == b"\x7f\x00\x10\x18\x01"
    noack = MgmtFrame(Action(7, 1, b"\x00", no_ack=True), AP, STA, AP)
    assert noack.to_bytes()[0] == 0xE0 and parse_frame(noack.to_bytes()).body.no_ack
    for bad in ("d000", "d0007f0010"):
        with pytest.raises(FrameError):
            parse_frame(bytes.fromhex(bad[:4] + "0000") + AP + STA + AP + b"\x00\x00"
                        + bytes.fromhex(bad[4:]))


def test_known_control_frames():
    assert Ack(STA).to_bytes() == bytes.fromhex("d4000000") + STA
    assert Cts(STA, 314).to_bytes() == bytes.fromhex("c4003a01") + STA
    assert Rts(AP, STA, 500, FCFlags.PWR_MGT).to_bytes() == bytes.fromhex("b410f401") + AP + STA
    assert PsPoll(3, AP, STA).to_bytes()[:4] == bytes.fromhex("a40003c0")
    assert peek(Ack(STA).to_bytes()) == (1, 13, STA, None, None, None, 0)
    assert peek(Rts(AP, STA).to_bytes())[:4] == (1, 11, AP, STA)
    with pytest.raises(FrameError):
        Ack.parse(Ack(STA).to_bytes() + b"\x00")  # an FCS left on
    with pytest.raises(FrameError):
        Rts.parse(Cts(STA).to_bytes())


def test_known_data_frames():
    body = llc_snap_encap(0x0800, b"\x45")
    to_ap = DataFrame(AP, STA, BROADCAST, body, flags=FCFlags.TO_DS, seq=7)
    wire = to_ap.to_bytes()
    assert wire == bytes.fromhex("08010000") + AP + STA + BROADCAST + b"\x70\x00" + bytes.fromhex(
        "aaaa03000000080045")
    assert (to_ap.bssid, to_ap.sa, to_ap.da) == (AP, STA, BROADCAST)
    from_ap = DataFrame(STA, AP, AP, body, subtype=DataSubtype.QOS_DATA, flags=FCFlags.FROM_DS, qos=6)
    assert from_ap.to_bytes()[24:26] == b"\x06\x00" and from_ap.tid == 6
    assert (from_ap.bssid, from_ap.sa, from_ap.da) == (AP, AP, STA)
    wds = DataFrame(AP, STA, BROADCAST, body, flags=3, addr4=STA)
    assert len(wds.to_bytes()) == 30 + len(body)
    assert (wds.ra, wds.ta, wds.da, wds.sa, wds.bssid) == (AP, STA, BROADCAST, STA, None)
    ibss = DataFrame(STA, AP, BROADCAST, body)
    assert (ibss.da, ibss.sa, ibss.bssid) == (STA, AP, BROADCAST)
    htc = DataFrame(STA, AP, AP, b"", DataSubtype.QOS_NULL, FCFlags.ORDER, qos=0, htc=0x12345678)
    assert htc.to_bytes()[26:] == bytes.fromhex("78563412")


@pytest.mark.parametrize("wire", [
    "88000000" + "11" * 18 + "0000",            # QoS data missing its QoS Control
    "08030000" + "11" * 18 + "0000" + "22" * 5,  # 4-address frame missing addr4
    "88800000" + "11" * 18 + "0000" + "0000",    # QoS + Order missing HT Control
    "48000000" + "11" * 18 + "0000" + "aa",      # null function with a body
    "80800000" + "11" * 18 + "0000" + "0000",    # management + Order missing HT Control
    "80000000" + "11" * 18 + "0000" + "00" * 11,  # beacon body short of 12 bytes
    "b0000000" + "11" * 18 + "0000" + "0000",    # auth body short
    "80000000" + "11" * 18 + "0000" + "00" * 12 + "0005aa",  # SSID overruns
    "81000000" + "11" * 18 + "0000",             # protocol version 1
    "d4000000" + "11" * 5,                       # ACK short of its address
    "",
])
def test_malformed_frames_are_rejected(wire):
    with pytest.raises(FrameError):
        parse_frame(bytes.fromhex(wire))


def test_build_validation():
    bad = [
        lambda: DataFrame(AP, STA, AP, subtype=8),               # QoS subtype without qos
        lambda: DataFrame(AP, STA, AP, qos=1),                   # qos on plain data
        lambda: DataFrame(AP, STA, AP, flags=3),                 # WDS without addr4
        lambda: DataFrame(AP, STA, AP, addr4=STA),               # addr4 without WDS
        lambda: DataFrame(AP, STA, AP, b"x", subtype=4),         # null with a body
        lambda: DataFrame(AP, STA, AP, seq=4096),
        lambda: DataFrame(AP[:5], STA, AP),
        lambda: MgmtFrame(Beacon(0, 100, 1), BROADCAST, AP, AP, flags=0x40),
        lambda: MgmtFrame(RawMgmtBody(8, b""), BROADCAST, AP, AP),
        lambda: MgmtFrame(b"body", BROADCAST, AP, AP),
        lambda: Auth(3, 1, 0, IEList([SSID(b"x")])),
        lambda: Action(4, None),
        lambda: Action(127, 1, b"abc"),
        lambda: AssocResp(0, 0, 0x4000),
        lambda: Beacon(-1, 100, 0),
    ]
    for make in bad:
        with pytest.raises(FrameError):
            make()


def test_frame_control_helpers():
    fc = fc_pack(2, 8, FCFlags.TO_DS | FCFlags.RETRY)
    assert fc == 0x0988 and fc_unpack(fc) == (0, 2, 8, 0x09)
    f = DataFrame(AP, STA, AP, flags=FCFlags.TO_DS | FCFlags.RETRY | FCFlags.PROTECTED | FCFlags.MORE_DATA
                  | FCFlags.PWR_MGT | FCFlags.MORE_FRAG)
    assert f.to_ds and f.retry and f.protected and f.more_data and f.pwr_mgt and f.more_frag
    assert not (f.from_ds or f.order)
    with pytest.raises(FrameError):
        fc_pack(4, 0)


def test_addresses():
    assert mac_str(AP) == "02:00:00:00:01:00"
    assert parse_mac("02-00-00-00-01-00") == AP == parse_mac("2:0:0:0:1:0")
    assert is_multicast(BROADCAST) and is_multicast(b"\x01\x00\x5e\x00\x00\x01") and not is_multicast(AP)
    for bad in ("02:00:00:00:01", "02:00:00:00:01:zz", "020000000100", "02:00:00:00:01:100"):
        with pytest.raises(FrameError):
            parse_mac(bad)


@given(addr)
def test_mac_round_trip(a):
    assert parse_mac(mac_str(a)) == a


def test_llc_snap_known_answers():
    assert llc_snap_encap(0x0806, b"arp") == bytes.fromhex("aaaa03000000 0806".replace(" ", "")) + b"arp"
    # IPX goes in an 802.1H bridge-tunnel header.
    assert llc_snap_encap(0x8137, b"")[:6] == bytes.fromhex("aaaa030000f8")
    assert llc_snap_decap(bytes.fromhex("aaaa030000f881 37") + b"x") == (0x8137, b"x")
    for bad in ("aaaa0300000008", "aaaa03000001 0800", "e0e003ffff0000 00", "aaaa03000000 0500"):
        with pytest.raises(FrameError):
            llc_snap_decap(bytes.fromhex(bad.replace(" ", "")))
    with pytest.raises(FrameError):
        llc_snap_encap(0x05DC, b"")


@given(st.integers(0x0600, 0xFFFF), st.binary(max_size=64), addr, addr)
def test_ether_to_dot11_and_back(ethertype, payload, dst, src):
    eth = build_ether(dst, src, ethertype, payload)
    d, s, et, pl = parse_ether(eth)
    frame = DataFrame(AP, s, d, llc_snap_encap(et, pl), flags=FCFlags.TO_DS)
    got = parse_frame(frame.to_bytes())
    assert build_ether(got.da, got.sa, *llc_snap_decap(got.payload)) == eth


def test_parse_accepts_bytes_like():
    wire = bytes.fromhex(BEACON_HEX)
    assert parse_frame(memoryview(wire)) == parse_frame(bytearray(wire)) == parse_frame(wire)
