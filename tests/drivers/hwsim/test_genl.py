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


# The kernel's liberal validation (lib/nlattr.c validate_nla() without
# NL_VALIDATE_STRICT): too short or beyond a maximum is ERANGE ...
REFUSED = [
    (Attr.ADDR_RECEIVER, b"\x42\0\0\0\0"),  # 5-byte address
    (Attr.PERM_ADDR, b""),
    (Attr.FLAGS, b"\1\0"),  # short u32
    (Attr.RX_RATE, b"\1\0\0"),
    (Attr.COOKIE, bytes(4)),  # short u64
    (Attr.TX_INFO, bytes(10)),  # longer than 4 rates
    (Attr.SUPPORT_P2P_DEVICE, b"\1\0\0\0"),  # a flag with a payload
    (Attr.FRAME, bytes(2305)),  # longer than IEEE80211_MAX_DATA_LEN
    (Attr.REG_HINT_ALPHA2, b"DEU"),
    (Attr.REG_HINT_ALPHA2, b""),  # NLA_STRING needs a byte
    (Attr.RADIO_NAME, b""),
    (Attr.PMSR_SUPPORT, b"\1\2"),  # a nested attribute shorter than a header
]


@pytest.mark.parametrize("attr,payload", REFUSED, ids=lambda x: getattr(x, "name", ""))
def test_attribute_that_breaks_the_policy_is_erange(attr, payload):
    raw = nlmsg(genl.FAMILY_ID, 1, 4, 0, bytes([Cmd.FRAME, 1, 0, 0]) + nla(attr, payload))
    (item,) = genl.decode(raw)
    assert isinstance(item, GenlError) and item.errno == errno.ERANGE and item.request == raw
    assert (item.type, item.cmd, item.seq, item.silent) == (genl.FAMILY_ID, Cmd.FRAME, 4, False)
    with pytest.raises(GenlError):
        genl.decode_one(raw)


# ... while longer integers and addresses, short rate lists and odd binary
# lengths pass the policy (the kernel warns and reads the first bytes).
ACCEPTED = [
    (Attr.ADDR_RECEIVER, HW1 + b"\xee\xee", HW1),
    (Attr.RX_RATE, struct.pack("=Q", 7 | 0xAB << 32), 7),
    (Attr.SIGNAL, struct.pack("=iI", -61, 5), -61),
    (Attr.COOKIE, struct.pack("=QI", 2**40, 9), 2**40),
    (Attr.TX_INFO, bytes([3, 2, 1, 1]), ((3, 2), (1, 1), (-1, 0), (-1, 0))),
    (Attr.TX_INFO_FLAGS, struct.pack("=bHbHbHbHbH", 1, 8, 2, 0, -1, 0, -1, 0, 5, 5),
     ((1, 8), (2, 0), (-1, 0), (-1, 0))),
    (Attr.CIPHER_SUPPORT, bytes(6), bytes(6)),  # NEW_RADIO refuses it, the policy does not
    (Attr.RADIO_NAME, b"\xff\xfe", "\udcff\udcfe"),  # any bytes; kept losslessly
    (Attr.REG_HINT_ALPHA2, b"DE\0", "DE"),
    (Attr.PAD, b"\1\2\3", None),
]


@pytest.mark.parametrize("attr,payload,value", ACCEPTED, ids=lambda x: getattr(x, "name", ""))
def test_attribute_the_kernel_policy_accepts(attr, payload, value):
    raw = nlmsg(genl.FAMILY_ID, 1, 4, 0, bytes([Cmd.NEW_RADIO, 1, 0, 0]) + nla(attr, payload))
    m = genl.decode_one(raw)
    assert m.attrs == ({} if value is None else {attr: value})


def test_unknown_types_nested_bits_and_leftovers_are_liberal():
    base = bytes([Cmd.GET_RADIO, 1, 0, 0])
    # the NLA_F_NESTED / NET_BYTEORDER bits are not part of the type; type 0 and > max are skipped
    raw = nlmsg(genl.FAMILY_ID, 1, 0, 0, base + nla(0x8000 | 10, struct.pack("=I", 4)) + nla(0, b"x")
                + nla(30, b"zz"))
    assert genl.decode_one(raw).attrs == {Attr.RADIO_ID: 4}
    for tail, why in ((struct.pack("=HH", 40, 3) + bytes(8), "an attribute beyond the end"),
                      (struct.pack("=HH", 2, 3), "an attribute shorter than its header"),
                      (b"\1\0", "trailing bytes")):
        m = genl.decode_one(nlmsg(genl.FAMILY_ID, 1, 0, 0, base + nla(10, struct.pack("=I", 1)) + tail))
        assert m.attrs == {Attr.RADIO_ID: 1}, why
    # a dump's attributes are not validated (GENL_DONT_VALIDATE_DUMP)
    dump = genl.decode_one(nlmsg(genl.FAMILY_ID, genl.NLM_F_REQUEST | genl.NLM_F_DUMP, 0, 0,
                                 base + nla(4, b"\1")))
    assert dump.cmd == Cmd.GET_RADIO and dump.attrs == {}


@pytest.mark.parametrize("raw,why,silent", [
    (b"\x10\0\0", "runt", True),
    (struct.pack("=IHHII", 15, 0x20, 1, 0, 0), "length below the header", True),
    (struct.pack("=IHHII", 64, 0x20, 1, 0, 0) + bytes(8), "length beyond the datagram", True),
    (nlmsg(0x20, 1, 0, 0, b"\2\1"), "no genl header", False),
    (nlmsg(2, 0, 0, 0, struct.pack("=i", -1)), "error without the request header", False),
])
def test_broken_framing_is_einval(raw, why, silent):
    items = genl.decode(raw)
    assert isinstance(items[-1], GenlError) and items[-1].errno == errno.EINVAL, why
    assert items[-1].silent == silent, why  # netlink_rcv_skb() answers no broken header


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


# -- the struct fast path against pyroute2's encoding ---------------------------------------------------
def _pyroute2_classes():
    from pyroute2.netlink import genlmsg

    class hwsim(genlmsg):
        nla_map = tuple((a, f"A{a}", kind) for a, kind in (
            (1, "cdata"), (2, "cdata"), (3, "cdata"), (4, "uint32"), (5, "uint32"), (6, "int32"),
            (7, "cdata"), (8, "uint64"), (19, "uint32"), (21, "cdata")))

    return hwsim


def pyroute2_encode(family, cmd, attrs, *, seq=0, pid=0, flags=0):
    m = _pyroute2_classes()()
    m["cmd"], m["version"], m["reserved"] = cmd, 1, 0
    m["header"] = {"type": family, "flags": flags, "sequence_number": seq, "pid": pid}
    m["attrs"] = [(f"A{a}", v) for a, v in attrs]
    m.encode()
    return bytes(m.data)


RATES = st.lists(st.tuples(st.integers(-1, 127), st.integers(0, 255)), max_size=4)
FAMILIES = st.integers(genl.NLMSG_MIN_TYPE + 1, 0xFFFF)


@settings(max_examples=150, deadline=None)
@given(family=FAMILIES, frame=st.binary(min_size=0, max_size=2304), flags=st.integers(0, 2**32 - 1),
       freq=st.integers(0, 2**32 - 1), cookie=st.integers(0, 2**64 - 1), rates=RATES,
       seq=st.integers(0, 2**32 - 1))
def test_fast_frame_encoding_is_pyroute2_s_byte_for_byte(family, frame, flags, freq, cookie, rates, seq):
    txi, txf = genl.pack_tx_info(rates), genl.pack_tx_info_flags([(i, c) for i, c in rates])
    fast = genl.encode_frame(family, HW0, frame, flags, freq, txi, txf, cookie, seq=seq, pid=3)
    ref = pyroute2_encode(family, Cmd.FRAME, [(2, HW0), (3, frame), (4, flags), (19, freq), (7, txi),
                                              (21, txf), (8, cookie)], seq=seq, pid=3)
    assert fast == ref
    m = genl.frame_msg(HW0, frame, flags, freq, rates, cookie, [(i, c) for i, c in rates])
    m.type, m.seq, m.pid = family, seq, 3
    assert genl.encode(m) == ref
    back = genl.decode_one(fast, family)
    assert back.attrs[Attr.FRAME] == frame and back.attrs[Attr.COOKIE] == cookie
    # the one-pass decoder takes the kernel's layout, and agrees with the general parser
    assert genl._kernel_frame(fast, 0, seq, 3, family) == back and back.attrs == genl._attrs(fast, False)


@settings(max_examples=150, deadline=None)
@given(family=FAMILIES, frame=st.binary(min_size=0, max_size=2304), rate=st.integers(0, 2**32 - 1),
       signal=st.integers(-2**31, 2**31 - 1), freq=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
       seq=st.integers(0, 2**32 - 1), cookie=st.integers(0, 2**64 - 1), rates=RATES,
       hwflags=st.integers(0, 2**32 - 1))
def test_fast_delivery_and_status_encoding_is_pyroute2_s(family, frame, rate, signal, freq, seq, cookie,
                                                          rates, hwflags):
    attrs = [(1, HW1), (3, frame), (5, rate), (6, signal)] + ([(19, freq)] if freq is not None else [])
    ref = pyroute2_encode(family, Cmd.FRAME, attrs, seq=seq, flags=genl.NLM_F_REQUEST)
    assert genl.encode_delivery(family, HW1, frame, rate, signal, freq, seq=seq) == ref
    m = genl.delivery_msg(HW1, frame, rate, signal, freq)
    m.type, m.seq = family, seq
    assert genl.encode(m) == ref
    txi = genl.pack_tx_info(rates)
    ref = pyroute2_encode(family, Cmd.TX_INFO_FRAME, [(2, HW0), (4, hwflags), (8, cookie), (6, signal),
                                                      (7, txi)], seq=seq, flags=genl.NLM_F_REQUEST)
    assert genl.encode_tx_info(family, HW0, hwflags, cookie, signal, txi, seq=seq) == ref
    back = genl.decode_one(ref, family)
    assert back.attrs[Attr.TX_INFO] == tuple(rates) + genl.NO_RATES[len(rates):]
    assert back.attrs[Attr.SIGNAL] == signal and back.attrs[Attr.FLAGS] == hwflags


def test_newfamily_carries_ops_and_groups_that_pyroute2_reads():
    from pyroute2.netlink import ctrlmsg

    raw = genl.encode(genl.newfamily_msg(family=0x1F, groups={"config": 9}, seq=4, pid=7))
    m = ctrlmsg(bytearray(raw))
    m.decode()
    assert m.get_attr("CTRL_ATTR_FAMILY_NAME") == "MAC80211_HWSIM"
    assert m.get_attr("CTRL_ATTR_FAMILY_ID") == 0x1F
    groups = {g.get_attr("CTRL_ATTR_MCAST_GRP_NAME"): g.get_attr("CTRL_ATTR_MCAST_GRP_ID")
              for g in m.get_attr("CTRL_ATTR_MCAST_GROUPS")}
    assert groups == {"config": 9}
    ops = {o.get_attr("CTRL_ATTR_OP_ID"): o.get_attr("CTRL_ATTR_OP_FLAGS")
           for o in m.get_attr("CTRL_ATTR_OPS")}
    assert ops == genl.OPS and ops[Cmd.GET_RADIO] & genl.GENL_CMD_CAP_DUMP
    back = genl.decode_one(raw, 0x1F)
    assert back.get(genl.CTRL_ATTR_MCAST_GROUPS) == {"config": 9}
    assert back.get(genl.CTRL_ATTR_OPS) == tuple(genl.OPS.items())


KERNEL_FRAME = genl.encode_frame(genl.FAMILY_ID, HW0, b"\x08\x00" + bytes(40), 5, 2437,
                                 genl.pack_tx_info(((4, 2), (0, 3))),
                                 genl.pack_tx_info_flags(((4, 0), (0, 0))), 77)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 255)), max_size=4), st.integers(0, 130))
def test_the_daemon_s_frame_fields_agree_with_decode_or_step_aside(flips, cut):
    """hwsim-mediumd reads a kernel FRAME without building a message: whatever bytes come,
    it either finds what `decode` finds or leaves the datagram to it."""
    b = bytearray(KERNEL_FRAME)
    for pos, val in flips:
        if pos < len(b):
            b[pos] = val
    data = bytes(b[:cut] if cut < len(b) else b)
    fields = genl.kernel_frame_fields(data, genl.FAMILY_ID)
    if fields is None:
        return
    (m,) = genl.decode(data, genl.FAMILY_ID)
    assert isinstance(m, Message) and m.cmd == Cmd.FRAME and m.type == genl.FAMILY_ID
    a = m.attrs
    hw, frame, flags, freq, txi, cookie = fields
    assert (hw, frame, flags, freq, cookie) == (a[Attr.ADDR_TRANSMITTER], a[Attr.FRAME], a[Attr.FLAGS],
                                                a[Attr.FREQ], a[Attr.COOKIE])
    assert genl.pack_tx_info(a[Attr.TX_INFO]) + genl.pack_tx_info_flags(a[Attr.TX_INFO_FLAGS]) == txi


def test_the_daemon_s_frame_fields_of_the_kernel_s_layout():
    assert genl.kernel_frame_fields(KERNEL_FRAME, genl.FAMILY_ID) == (
        HW0, b"\x08\x00" + bytes(40), 5, 2437,
        genl.pack_tx_info(((4, 2), (0, 3))) + genl.pack_tx_info_flags(((4, 0), (0, 0))), 77)
    assert genl.kernel_frame_fields(KERNEL_FRAME, genl.FAMILY_ID + 1) is None  # another family's
    two = KERNEL_FRAME + KERNEL_FRAME  # two in one datagram: decode's
    assert genl.kernel_frame_fields(two, genl.FAMILY_ID) is None
