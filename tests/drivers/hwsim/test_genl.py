"""The MAC80211_HWSIM generic-netlink codec: layout, round trips, strict attribute checks."""

import errno
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.hwsim.external import genl
from drivers.hwsim.external.genl import Ack, Attr, Cmd, Done, GenlError, Message

HW0 = bytes.fromhex("420000000000")
HW1 = bytes.fromhex("420000000100")
FRAME = bytes([0x08, 0, 0, 0]) + bytes.fromhex("020000000100" "020000000000" "020000000100") + b"\0\0hi"


def nla(t: int, payload: bytes) -> bytes:
    """One attribute by hand: u16 len (header + payload), u16 type, payload, pad to 4."""
    raw = struct.pack("=HH", 4 + len(payload), t) + payload
    return raw + bytes(-len(raw) % 4)


def nlmsg(mtype: int, flags: int, seq: int, pid: int, payload: bytes) -> bytes:
    return struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq, pid) + payload


def test_frame_message_is_byte_exact():
    m = genl.frame_msg(HW0, FRAME, genl.TX_CTL_REQ_TX_STATUS, 2412, [(7, 3), (0, 2)], 5)
    attrs = (nla(2, HW0)  # 6-byte address, 2 bytes of padding
             + nla(3, FRAME)  # 26 bytes, 2 of padding
             + nla(4, struct.pack("=I", 1))
             + nla(19, struct.pack("=I", 2412))
             + nla(7, bytes([7, 3, 0, 2, 0xFF, 0, 0xFF, 0]))  # {s8 idx; u8 count} x 4, idx -1 ends
             + nla(21, struct.pack("=bHbHbHbH", 7, 0, 0, 0, -1, 0, -1, 0))  # packed: 12 bytes
             + nla(8, struct.pack("=Q", 5)))  # u64 without a PAD attribute (x86-64 kernels add none)
    expected = nlmsg(genl.FAMILY_ID, 0, 0, 0, bytes([Cmd.FRAME, 1, 0, 0]) + attrs)
    assert genl.encode(m) == expected
    assert len(expected) == 16 + 4 + 12 + 32 + 8 + 8 + 12 + 16 + 12
    assert expected[24:32] == bytes.fromhex("420000000000 0000")  # the address's padding is zero


def test_ack_and_error_are_byte_exact():
    req = genl.encode(Message(Cmd.REGISTER, flags=genl.NLM_F_REQUEST | genl.NLM_F_ACK, seq=7, pid=99))
    assert req == nlmsg(genl.FAMILY_ID, 5, 7, 99, bytes([1, 1, 0, 0]))
    # an ack echoes only the request's header and says so with NLM_F_CAPPED
    assert genl.encode_ack(0, req, pid=1234) == nlmsg(2, 0x100, 7, 1234, struct.pack("=i", 0) + req[:16])
    # an error echoes the whole request
    assert genl.encode_ack(-errno.EBUSY, req, pid=1234) == nlmsg(2, 0, 7, 1234,
                                                                 struct.pack("=i", -errno.EBUSY) + req)
    a = genl.decode_one(genl.encode_ack(-errno.EBUSY, req, pid=1234))
    assert a == Ack(-errno.EBUSY, 7, 1234, 0, genl.FAMILY_ID, 5, 7, 99, bytes([1, 1, 0, 0]))
    assert genl.decode_one(genl.encode_done(7, 1234)) == Done(7, 1234, genl.NLM_F_MULTI)


def test_string_attribute_goes_without_nul_and_is_padded():
    m = Message(Cmd.GET_RADIO, {Attr.RADIO_ID: 3, Attr.RADIO_NAME: "hwsim3"})
    raw = genl.encode(m)
    assert raw[20:] == nla(10, struct.pack("=I", 3)) + nla(17, b"hwsim3")
    assert raw[28:32] == struct.pack("=HH", 10, 17)


EVERY_COMMAND = [
    Message(Cmd.UNSPEC),
    Message(Cmd.REGISTER, flags=genl.NLM_F_REQUEST | genl.NLM_F_ACK, seq=1, pid=5),
    Message(Cmd.FRAME, {Attr.ADDR_TRANSMITTER: HW0, Attr.FRAME: FRAME, Attr.FLAGS: 3, Attr.FREQ: 5180,
                        Attr.TX_INFO: ((4, 2), (0, 1), (-1, 0), (-1, 0)),
                        Attr.TX_INFO_FLAGS: ((4, 1 << 3), (0, 0), (-1, 0), (-1, 0)), Attr.COOKIE: 2**40 + 1}),
    Message(Cmd.FRAME, {Attr.ADDR_RECEIVER: HW1, Attr.FRAME: FRAME, Attr.RX_RATE: 11, Attr.SIGNAL: -87,
                        Attr.FREQ: 2412}),
    Message(Cmd.TX_INFO_FRAME, {Attr.ADDR_TRANSMITTER: HW0, Attr.FLAGS: 5, Attr.COOKIE: 9, Attr.SIGNAL: -40,
                                Attr.TX_INFO: ((0, 3), (-1, 0), (-1, 0), (-1, 0))}),
    Message(Cmd.NEW_RADIO, {Attr.CHANNELS: 2, Attr.REG_HINT_ALPHA2: "DE", Attr.REG_CUSTOM_REG: 1,
                            Attr.REG_STRICT_REG: True, Attr.SUPPORT_P2P_DEVICE: True, Attr.USE_CHANCTX: True,
                            Attr.DESTROY_RADIO_ON_CLOSE: True, Attr.RADIO_NAME: "ext0", Attr.NO_VIF: True,
                            Attr.PERM_ADDR: bytes.fromhex("020000aa0000"), Attr.IFTYPE_SUPPORT: 0x30C,
                            Attr.CIPHER_SUPPORT: (0x000FAC04, 0x000FAC02), Attr.MLO_SUPPORT: True,
                            Attr.MULTI_RADIO: True}),
    Message(Cmd.DEL_RADIO, {Attr.RADIO_NAME: "ext0"}),
    Message(Cmd.GET_RADIO, {Attr.RADIO_ID: 4}, flags=genl.NLM_F_REQUEST | genl.NLM_F_DUMP),
    Message(Cmd.ADD_MAC_ADDR, {Attr.ADDR_TRANSMITTER: HW0, Attr.ADDR_RECEIVER: FRAME[10:16]}),
    Message(Cmd.DEL_MAC_ADDR, {Attr.ADDR_TRANSMITTER: HW0, Attr.ADDR_RECEIVER: FRAME[10:16]}),
    Message(Cmd.START_PMSR, {Attr.PMSR_REQUEST: nla(1, b"\1\2\3\4")}),
    Message(Cmd.ABORT_PMSR, {Attr.COOKIE: 1}),
    Message(Cmd.REPORT_PMSR, {Attr.PMSR_RESULT: b"", Attr.PMSR_SUPPORT: nla(2, b"")}),
]


@pytest.mark.parametrize("msg", EVERY_COMMAND, ids=lambda m: Cmd(m.cmd).name)
def test_every_command_round_trips(msg):
    raw = genl.encode(msg)
    assert len(raw) % 4 == 0 and struct.unpack_from("=I", raw)[0] == len(raw)
    back = genl.decode_one(raw)
    assert back == msg and back.raw == raw


def test_family_resolution_round_trips():
    req = genl.decode_one(genl.encode(genl.getfamily_msg(seq=3)))
    assert req.type == genl.GENL_ID_CTRL and req.cmd == genl.CTRL_CMD_GETFAMILY
    assert req.attrs == {genl.CTRL_ATTR_FAMILY_NAME: "MAC80211_HWSIM"}
    raw = genl.encode(genl.newfamily_msg(seq=3, pid=8))
    # the name goes with its NUL (asciiz), the id is a u16
    assert raw[20:40] == nla(2, b"MAC80211_HWSIM\0")
    rep = genl.decode_one(raw)
    assert rep.get(genl.CTRL_ATTR_FAMILY_ID) == genl.FAMILY_ID and rep.get(genl.CTRL_ATTR_VERSION) == 1
    assert rep.get(genl.CTRL_ATTR_MAXATTR) == max(Attr)


def test_several_messages_in_one_datagram_and_pad_is_skipped():
    a = genl.encode(Message(Cmd.DEL_RADIO, {Attr.RADIO_ID: 1}, seq=1))
    b = genl.encode(Message(Cmd.GET_RADIO, {Attr.RADIO_ID: 2}, seq=2))
    items = genl.decode(a + b)
    assert [m.seq for m in items] == [1, 2]
    with_pad = nlmsg(genl.FAMILY_ID, 0, 0, 0, bytes([Cmd.ABORT_PMSR, 1, 0, 0]) + nla(20, b"")
                     + nla(8, struct.pack("=Q", 77)))
    assert genl.decode_one(with_pad).attrs == {Attr.COOKIE: 77}


def test_unknown_attribute_types_are_ignored_and_other_families_kept_raw():
    raw = nlmsg(genl.FAMILY_ID, 0, 0, 0, bytes([Cmd.GET_RADIO, 1, 0, 0]) + nla(99, b"abcd")
                + nla(10, struct.pack("=I", 1)))
    assert genl.decode_one(raw).attrs == {Attr.RADIO_ID: 1}
    other = genl.decode_one(nlmsg(0x33, 1, 0, 0, bytes([1, 1, 0, 0]) + nla(1, b"zz")))
    assert other.type == 0x33 and other.attrs == {}


BAD_ATTRS = [
    (Attr.ADDR_RECEIVER, b"\x42\0\0\0\0"),  # 5-byte address
    (Attr.ADDR_TRANSMITTER, bytes(7)),
    (Attr.FLAGS, b"\1\0"),  # short u32
    (Attr.SIGNAL, bytes(8)),
    (Attr.COOKIE, bytes(4)),  # short u64
    (Attr.TX_INFO, bytes(6)),  # fewer than 4 rates
    (Attr.TX_INFO_FLAGS, bytes(16)),
    (Attr.SUPPORT_P2P_DEVICE, b"\1\0\0\0"),  # a flag with a payload
    (Attr.FRAME, bytes(2305)),  # longer than IEEE80211_MAX_DATA_LEN
    (Attr.REG_HINT_ALPHA2, b"DEU"),
    (Attr.CIPHER_SUPPORT, bytes(6)),
    (Attr.RADIO_NAME, b"\xff\xfe"),  # not UTF-8
]


@pytest.mark.parametrize("attr,payload", BAD_ATTRS, ids=lambda x: getattr(x, "name", ""))
def test_attribute_that_breaks_the_policy_is_einval(attr, payload):
    raw = nlmsg(genl.FAMILY_ID, 1, 4, 0, bytes([Cmd.FRAME, 1, 0, 0]) + nla(attr, payload))
    (item,) = genl.decode(raw)
    assert isinstance(item, GenlError) and item.errno == errno.EINVAL and item.request == raw
    with pytest.raises(GenlError):
        genl.decode_one(raw)


@pytest.mark.parametrize("raw,why", [
    (b"\x10\0\0", "runt"),
    (struct.pack("=IHHII", 15, 0x20, 1, 0, 0), "length below the header"),
    (struct.pack("=IHHII", 64, 0x20, 1, 0, 0) + bytes(8), "length beyond the datagram"),
    (nlmsg(0x20, 1, 0, 0, b"\2\1"), "no genl header"),
    (nlmsg(0x20, 1, 0, 0, b"\2\1\0\0" + struct.pack("=HH", 40, 3) + bytes(8)), "attribute beyond the end"),
    (nlmsg(0x20, 1, 0, 0, b"\2\1\0\0" + struct.pack("=HH", 2, 3)), "attribute shorter than its header"),
    (nlmsg(0x20, 1, 0, 0, b"\2\1\0\0" + b"\1\0"), "trailing bytes"),
    (nlmsg(2, 0, 0, 0, struct.pack("=i", -1)), "error without the request header"),
])
def test_broken_framing_is_einval(raw, why):
    items = genl.decode(raw)
    assert isinstance(items[-1], GenlError) and items[-1].errno == errno.EINVAL, why


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decoding_arbitrary_bytes_never_raises(data):
    for item in genl.decode(data):
        assert isinstance(item, Message | Ack | Done | GenlError)


VALID = [genl.encode(m) for m in EVERY_COMMAND]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
       st.integers(0, 400))
def test_decoding_mutated_messages_never_raises(raw, flips, cut):
    b = bytearray(raw)
    for pos, val in flips:
        if pos < len(b):
            b[pos] = val
    for item in genl.decode(bytes(b[:cut] if cut < len(b) else b)):
        assert isinstance(item, Message | Ack | Done | GenlError)


@settings(max_examples=200, deadline=None)
@given(frame=st.binary(min_size=24, max_size=2304), flags=st.integers(0, 2**32 - 1),
       freq=st.integers(0, 2**32 - 1), cookie=st.integers(0, 2**64 - 1),
       rates=st.lists(st.tuples(st.integers(-1, 127), st.integers(0, 255)), max_size=4),
       seq=st.integers(0, 2**32 - 1))
def test_frame_round_trip(frame, flags, freq, cookie, rates, seq):
    m = genl.frame_msg(HW1, frame, flags, freq, rates, cookie)
    m.seq = seq
    back = genl.decode_one(genl.encode(m))
    padded = tuple(rates) + genl.NO_RATES[len(rates):]
    assert back.attrs[Attr.FRAME] == frame and back.attrs[Attr.COOKIE] == cookie and back.seq == seq
    assert back.attrs[Attr.TX_INFO] == padded and back.attrs[Attr.FREQ] == freq


@given(st.integers(-2**31, 2**31 - 1))
def test_signal_is_a_signed_value_in_a_u32(dbm):
    raw = genl.encode(genl.delivery_msg(HW1, FRAME, 0, dbm))
    assert genl.decode_one(raw).attrs[Attr.SIGNAL] == dbm
    assert struct.unpack_from("=I", raw, raw.index(struct.pack("=HH", 8, 6)) + 4)[0] == dbm & 0xFFFF_FFFF
