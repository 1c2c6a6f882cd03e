"""Radiotap and pcap: alignment, FCS, the writer, and the real tshark."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net80211.wire.ctrl import Ack, Cts, PsPoll, Rts
from net80211.wire.data import DataFrame, llc_snap_encap
from net80211.wire.decode import parse_frame
from net80211.wire.frame import BROADCAST, DataSubtype, FCFlags, FrameError, parse_mac
from net80211.wire.ie import (
    ERP,
    RSN,
    SSID,
    TIM,
    Country,
    DSParams,
    HTCapabilities,
    HTOperation,
    IEList,
    p2p_ies,
    rates_ies,
    wps_ies,
)
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
    ReasonCode,
    ReassocReq,
    ReassocResp,
    StatusCode,
)
from net80211.wire.pcap import LINKTYPE_IEEE802_11, LINKTYPE_RADIOTAP, PcapWriter, read_pcap
from net80211.wire.radiotap import Radiotap, RTChannel, RTFlags, channel_flags, fcs, parse_radiotap_frame
from tests.conftest import require_tool

# --- radiotap ---------------------------------------------------------------------------


def test_crc32_known_answer():
    # The CRC-32 check value, sent least significant byte first.
    assert fcs(b"123456789") == bytes.fromhex("2639f4cb")


def test_radiotap_all_fields_known_layout():
    rt = Radiotap(tsft=0x1122334455667788, flags=RTFlags.FCS, rate=2, channel_freq=2437,
                  channel_flags=channel_flags(2437, ofdm=False), dbm_antsignal=-42)
    wire = rt.to_bytes()
    # 8-byte header, TSFT at 8 (8-aligned), Flags 16, Rate 17, Channel 18 (2-aligned), signal 22.
    assert wire == bytes.fromhex(
        "0000" "1700" "2f000000" "8877665544332211" "10" "02" "8509" "a000" "d6")
    assert Radiotap.parse(wire) == (rt, 23)


def test_radiotap_pads_channel_and_tsft_from_the_header_start():
    # Flags alone at offset 8, then one pad byte so Channel sits at 10.
    wire = Radiotap(flags=0, channel_freq=5180, channel_flags=channel_flags(5180)).to_bytes()
    assert wire == bytes.fromhex("0000" "0e00" "0a000000" "00" "00" "3c14" "4001")
    assert struct.unpack_from("<H", wire, 10)[0] == 5180
    # Channel only: offset 8 is already aligned.
    assert Radiotap(channel_freq=2412).to_bytes() == bytes.fromhex("00000c0008000000" "6c09" "0000")
    assert Radiotap().to_bytes() == bytes.fromhex("0000080000000000")
    assert channel_flags(2412) == RTChannel.GHZ2 | RTChannel.DYN


fields = st.builds(
    Radiotap,
    st.none() | st.integers(0, 2**64 - 1),
    st.none() | st.integers(0, 255).map(lambda f: f & ~RTFlags.DATAPAD),
    st.none() | st.integers(0, 255),
    st.none() | st.integers(1, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.none() | st.integers(-128, 127),
    st.none() | st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
    st.none() | st.tuples(st.integers(0, 0xFFFF), st.integers(0, 255), st.integers(0, 255),
                          st.binary(min_size=4, max_size=4)),
)


@given(fields, st.binary(max_size=64))
def test_radiotap_round_trip_and_alignment(rt, mpdu):
    if rt.channel_freq is None:
        rt = Radiotap(rt.tsft, rt.flags, rt.rate, None, 0, rt.dbm_antsignal, rt.mcs, rt.vht)
    wire = rt.to_bytes()
    head, length = Radiotap.parse(wire)
    assert head == rt and length == len(wire) == struct.unpack_from("<H", wire, 2)[0]
    if rt.tsft is not None:
        assert wire[8:16] == struct.pack("<Q", rt.tsft)  # the first field, already 8-aligned
    if rt.channel_freq is not None:
        # TSFT (8), Flags (1), Rate (1) precede Channel, which is 2-aligned.
        off = 8 + 8 * (rt.tsft is not None) + (rt.flags is not None) + (rt.rate is not None)
        off += off % 2
        assert wire[off:off + 4] == struct.pack("<HH", rt.channel_freq, rt.channel_flags)
    packet = rt.wrap(mpdu)
    got, body, ok = parse_radiotap_frame(packet)
    assert got == rt and body == mpdu
    if rt.has_fcs:
        assert len(packet) == len(wire) + len(mpdu) + 4 and ok is True
        assert packet[-4:] == struct.pack("<I", zlib.crc32(mpdu))
    else:
        assert len(packet) == len(wire) + len(mpdu) and ok is None


def test_radiotap_fcs_is_checked_and_required():
    rt = Radiotap(flags=RTFlags.FCS)
    packet = bytearray(rt.wrap(b"\xd4\x00\x00\x00" + BROADCAST))
    packet[-1] ^= 1
    assert parse_radiotap_frame(bytes(packet))[2] is False
    with pytest.raises(FrameError):
        parse_radiotap_frame(rt.to_bytes() + b"\x00\x01")


def test_radiotap_skips_unknown_fields_and_extra_present_words():
    # Present: Flags, dBm signal, antenna (bit 11), ext bit -> a second word.
    hdr = struct.pack("<BBHII", 0, 0, 0, (1 << 1) | (1 << 5) | (1 << 11) | (1 << 31), 0)
    hdr += bytes((0x00, 0xC4, 0x01))
    hdr = hdr[:2] + struct.pack("<H", len(hdr)) + hdr[4:]
    rt, body, ok = parse_radiotap_frame(hdr + b"MPDU")
    assert (rt.flags, rt.dbm_antsignal, body, ok) == (0, -60, b"MPDU", None)


@pytest.mark.parametrize("wire", [
    "000008", "0100080000000000", "0000090000000000", "0000070000000000",
    "0000080002000000",              # Flags announced but no room for it
    "00000c0001000000" "00000000",   # TSFT overruns
    "0000080000000080",              # extended present word missing
])
def test_radiotap_malformed(wire):
    with pytest.raises(FrameError):
        Radiotap.parse(bytes.fromhex(wire))


@settings(max_examples=1000)
@given(st.binary(max_size=64))
def test_radiotap_random_bytes_raise_only_frame_error(data):
    try:
        parse_radiotap_frame(data)
    except FrameError:
        pass


def test_radiotap_mcs_and_vht_layout():
    # MCS (bit 19): 3 octets, no alignment; VHT (bit 21): 12 octets, 2-aligned
    wire = Radiotap(flags=0, mcs=(7, 5, 15), vht=(0x44, 4, 4, bytes((0x92, 0, 0, 0)))).to_bytes()
    assert wire == bytes.fromhex("0000" "1800" "02002800" "00" "07050f"
                                 "4400" "0404" "92000000" "00" "00" "0000")


def test_radiotap_build_validation():
    for bad in (dict(dbm_antsignal=-129), dict(rate=256), dict(flags=RTFlags.DATAPAD), dict(tsft=-1),
                dict(mcs=(1, 2)), dict(mcs=(0, 0, 256)), dict(vht=(0, 0, 0, b"\0")),
                dict(vht=(1 << 16, 0, 0, bytes(4)))):
        with pytest.raises(FrameError):
            Radiotap(**bad)


# --- pcap -------------------------------------------------------------------------------------


def test_pcap_global_and_record_headers(tmp_path):
    path = tmp_path / "x.pcap"
    with PcapWriter(path, snaplen=20) as w:
        w.write(b"A" * 30, ts_ns=1_500_000_999)
        w.write(b"B" * 5, ts_ns=2_000_001_000, orig_len=9)
        assert w.packets == 2
    data = path.read_bytes()
    assert data[:24] == struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 20, 127)
    # 1.500000999 s -> 1 s 500000 us; cut to snaplen with orig_len kept.
    assert data[24:40] == struct.pack("<IIII", 1, 500000, 20, 30)
    assert data[40:60] == b"A" * 20
    assert data[60:76] == struct.pack("<IIII", 2, 1, 5, 9)
    linktype, records = read_pcap(path)
    assert linktype == LINKTYPE_RADIOTAP
    assert list(records) == [(1_500_000_000, b"A" * 20, 30), (2_000_001_000, b"B" * 5, 9)]


def test_pcap_file_object_and_link_type_105():
    buf = io.BytesIO()
    with PcapWriter(buf, linktype=LINKTYPE_IEEE802_11) as w:
        ack = Ack(BROADCAST).to_bytes()
        w.write_dot11(ack, 7000, Radiotap(flags=RTFlags.FCS))  # 105: bare, never an FCS
    assert not buf.closed
    buf.seek(0)
    linktype, records = read_pcap(buf)
    assert linktype == 105 and list(records) == [(7000, ack, 10)]


def test_pcap_writer_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError):
        PcapWriter(tmp_path / "a", linktype=1)
    w = PcapWriter(tmp_path / "b")
    for bad in (dict(ts_ns=-1), dict(ts_ns=1.5), dict(ts_ns=0, orig_len=1)):
        with pytest.raises(ValueError):
            w.write(b"xx", **bad)
    w.close()
    with pytest.raises(ValueError):
        w.write(b"xx", 0)
    with pytest.raises(FrameError):
        list(read_pcap(io.BytesIO((tmp_path / "b").read_bytes() + b"\x00" * 10))[1])


# --- tshark -----------------------------------------------------------------------------------

AP = parse_mac("02:00:00:00:01:00")
STA = parse_mac("02:00:00:00:02:00")
AP2 = parse_mac("02:00:00:00:03:00")
RATES = [0x82, 0x84, 0x8B, 0x96, 12, 18, 24, 36, 48, 72, 96, 108]
RSN_CCMP_PSK = bytes.fromhex("0100" "000fac04" "0100" "000fac04" "0100" "000fac02" "0000")
WPS = bytes.fromhex("104a000110" "1044000102")  # Version 1.0, state configured
BSS_IES = IEList([SSID(b"net0"), *rates_ies(RATES), DSParams(6), TIM.from_aids(0, 2, [1, 9]),
                  Country(b"US ", ((1, 11, 30),)), ERP(0), HTCapabilities.for_streams(2),
                  HTOperation(6), RSN(RSN_CCMP_PSK), *wps_ies(WPS), *p2p_ies([(2, b"\x21\x00")])])
STA_IES = IEList([SSID(b"net0"), *rates_ies(RATES), HTCapabilities.for_streams(1)])
RESP_IES = IEList(rates_ies(RATES))
SNAP = llc_snap_encap(0x88B5, b"local experimental ethertype payload")

# (frame, Wireshark's wlan.fc.type_subtype)
ONE_OF_EACH = [
    (MgmtFrame(Beacon(123456, 100, Capability.ESS | Capability.PRIVACY, BSS_IES), BROADCAST, AP, AP), 0x08),
    (MgmtFrame(ProbeReq(IEList([SSID(b""), *rates_ies(RATES)])), BROADCAST, STA, BROADCAST), 0x04),
    (MgmtFrame(ProbeResp(123457, 100, Capability.ESS, BSS_IES), STA, AP, AP, seq=1), 0x05),
    (MgmtFrame(Auth(0, 1, StatusCode.SUCCESS), AP, STA, AP, seq=2), 0x0B),
    (MgmtFrame(Auth(0, 2, StatusCode.SUCCESS), STA, AP, AP, seq=3), 0x0B),
    (MgmtFrame(AssocReq(Capability.ESS, 10, STA_IES), AP, STA, AP, seq=4), 0x00),
    (MgmtFrame(AssocResp(Capability.ESS, StatusCode.SUCCESS, 1, RESP_IES), STA, AP, AP), 0x01),
    (MgmtFrame(ReassocReq(Capability.ESS, 10, AP2, STA_IES), AP, STA, AP, seq=5), 0x02),
    (MgmtFrame(ReassocResp(Capability.ESS, StatusCode.TOOMANY, 0, RESP_IES), STA, AP, AP), 0x03),
    (MgmtFrame(Disassoc(ReasonCode.ASSOC_LEAVE), AP, STA, AP, seq=6), 0x0A),
    (MgmtFrame(Deauth(ReasonCode.AUTH_LEAVE), BROADCAST, AP, AP, seq=7), 0x0C),
    # Public action: 20/40 BSS Coexistence with its element; SA Query request.
    (MgmtFrame(Action(ActionCategory.PUBLIC, 0, bytes.fromhex("480101")), AP, STA, AP), 0x0D),
    (MgmtFrame(Action(ActionCategory.SA_QUERY, 0, b"\x12\x34"), STA, AP, AP), 0x0D),
    (DataFrame(AP, STA, BROADCAST, SNAP, flags=FCFlags.TO_DS, seq=8), 0x20),
    (DataFrame(STA, AP, AP, SNAP, DataSubtype.QOS_DATA, FCFlags.FROM_DS, seq=9, qos=5), 0x28),
    (DataFrame(AP2, AP, BROADCAST, SNAP, flags=FCFlags.TO_DS | FCFlags.FROM_DS, addr4=STA), 0x20),
    (DataFrame(AP, STA, AP, b"", DataSubtype.NULL, FCFlags.TO_DS | FCFlags.PWR_MGT), 0x24),
    (DataFrame(AP, STA, AP, b"", DataSubtype.QOS_NULL, FCFlags.TO_DS, qos=0), 0x2C),
    (Rts(AP, STA, 300), 0x1B),
    (Cts(STA, 250), 0x1C),
    (Ack(STA), 0x1D),
    (PsPoll(1, AP, STA), 0x1A),
]


def test_one_of_each_round_trips():
    for frame, _ in ONE_OF_EACH:
        assert parse_frame(frame.to_bytes()) == frame


def _tshark(path, *args: str) -> str:
    exe = require_tool("tshark")
    # Root gets a warning on stderr, not a refusal, for -r; reading a file
    # needs neither dumpcap nor extra privileges.  check_checksum validates
    # the FCS; check_fcs (left FALSE) would assume one on every frame.
    proc = subprocess.run([exe, "-n", "-r", str(path), "-o", "wlan.check_checksum:TRUE",
                           "-o", "wlan.check_fcs:FALSE", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"tshark failed ({proc.returncode}): {proc.stderr}"
    noise = [ln for ln in proc.stderr.splitlines() if ln.strip() and "Running as user" not in ln]
    assert not noise, f"tshark complained: {noise}"
    return proc.stdout


def test_tshark_decodes_every_frame_without_malformed(tmp_path):
    path = tmp_path / "one_of_each.pcap"
    with PcapWriter(path) as w:
        for i, (frame, _) in enumerate(ONE_OF_EACH):
            for with_fcs in (False, True):
                rt = Radiotap(tsft=1000 * i, flags=RTFlags.FCS if with_fcs else 0, rate=2 if i % 2 else 12,
                              channel_freq=2437, channel_flags=channel_flags(2437), dbm_antsignal=-30 - i)
                w.write_dot11(frame.to_bytes(), 1_000_000 * i + with_fcs * 1000, rt)
    out = _tshark(path, "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "_ws.malformed",
                  "-e", "wlan.fc.type_subtype", "-e", "wlan.fcs.status", "-e", "radiotap.dbm_antsignal",
                  "-e", "radiotap.channel.freq", "-e", "_ws.expert.severity")
    rows = [ln.split("|") for ln in out.splitlines()]
    assert len(rows) == 2 * len(ONE_OF_EACH)
    for row, (i, with_fcs) in zip(rows, [(i, f) for i in range(len(ONE_OF_EACH)) for f in (0, 1)],
                                  strict=True):
        num, malformed, subtype, fcs_status, signal, freq, severity = row
        where = f"packet {num} ({type(ONE_OF_EACH[i][0]).__name__}, fcs={with_fcs}): {row}"
        assert malformed == "", where
        assert int(subtype, 0) == ONE_OF_EACH[i][1], where
        assert fcs_status == ("1" if with_fcs else ""), where  # 1 = Good
        assert (int(signal), int(freq)) == (-30 - i, 2437), where
        # Expert severities: 0x00800000 is "error" (malformed, bad FCS...).
        assert all(int(s, 0) < 0x00800000 for s in severity.split(",") if s), where


def test_tshark_flags_a_wrong_fcs_and_a_missing_qos_field(tmp_path):
    """The check above can fail: tshark does see what we must never write."""
    path = tmp_path / "bad.pcap"
    good = DataFrame(STA, AP, AP, SNAP, DataSubtype.QOS_DATA, FCFlags.FROM_DS, qos=5).to_bytes()
    with PcapWriter(path) as w:
        w.write(Radiotap(flags=RTFlags.FCS).to_bytes() + good + b"\x00\x00\x00\x00", 0)  # wrong FCS
        w.write(Radiotap(flags=0).to_bytes() + good[:24], 1000)  # QoS data without QoS Control
    out = _tshark(path, "-T", "fields", "-e", "wlan.fcs.status", "-e", "_ws.malformed",
                  "-e", "_ws.expert.severity")
    first, second = (ln.split("\t") for ln in out.splitlines())
    assert first[0] == "0" and int(first[2], 0) >= 0x00800000  # Bad FCS, an expert error
    assert second[1] != "" and int(second[2], 0) >= 0x00800000  # malformed


def test_tshark_reads_link_type_105(tmp_path):
    path = tmp_path / "bare.pcap"
    with PcapWriter(path, linktype=LINKTYPE_IEEE802_11) as w:
        for i, (frame, _) in enumerate(ONE_OF_EACH):
            w.write_dot11(frame.to_bytes(), i * 1000)
    out = _tshark(path, "-T", "fields", "-e", "_ws.malformed", "-e", "wlan.fc.type_subtype")
    rows = [ln.split("\t") for ln in out.splitlines()]
    assert [(m, int(s, 0)) for m, s in rows] == [("", t) for _, t in ONE_OF_EACH]
