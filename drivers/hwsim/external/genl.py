"""MAC80211_HWSIM generic-netlink messages, byte for byte as the Linux family.

A sans-IO codec (REFERENCE §3) built on pyroute2's netlink message classes:
`encode()` turns a `Message` into one netlink message (nlmsghdr, genlmsghdr
with the command and version 1, attributes); `decode()` splits a datagram
into `Message`, `Ack` (NLMSG_ERROR: an error, an ack, or NEW_RADIO's
positive radio id) and `Done` items.  Decoding untrusted bytes raises
nothing: a malformed message comes back as a `GenlError` item carrying the
errno and the request bytes to echo, so a server can answer it and go on.

Attributes are checked like a strict kernel policy (exact sizes for
integers, addresses and rate lists, empty flags, FRAME at most 2304 bytes);
a violation is EINVAL.  Unknown attribute types are ignored, as the kernel
does for attributes newer than it knows.

On x86-64 the kernel's nla_put_u64_64bit() adds no PAD attribute (efficient
unaligned access), so neither does `encode()`; `decode()` accepts PAD.
"""

from __future__ import annotations

import errno
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from pyroute2.netlink import ctrlmsg, genlmsg, nlmsg

FAMILY_NAME = "MAC80211_HWSIM"
# The kernel assigns genl family ids at registration; clients resolve the id
# by name (CTRL_CMD_GETFAMILY), which our server answers with this one.
FAMILY_ID = 0x20
VERSION = 1

NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_MIN_TYPE = 0x10
GENL_ID_CTRL = 0x10
CTRL_VERSION = 2
CTRL_CMD_NEWFAMILY = 1
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_VERSION = 3
CTRL_ATTR_HDRSIZE = 4
CTRL_ATTR_MAXATTR = 5

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_ECHO = 0x8
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100  # on an NLMSG_ERROR: the request's payload is not echoed

NLMSG_HDRLEN = 16
GENL_HDRLEN = 4
NLA_HDRLEN = 4

TX_CTL_REQ_TX_STATUS = 1
TX_CTL_NO_ACK = 2
TX_STAT_ACK = 4

MAX_FRAME = 2304  # IEEE80211_MAX_DATA_LEN
MIN_FRAME = 24  # a 3-address header
TX_MAX_RATES = 4
NO_RATES: tuple[tuple[int, int], ...] = ((-1, 0),) * TX_MAX_RATES


class Cmd(IntEnum):
    UNSPEC = 0
    REGISTER = 1
    FRAME = 2
    TX_INFO_FRAME = 3
    NEW_RADIO = 4
    DEL_RADIO = 5
    GET_RADIO = 6
    ADD_MAC_ADDR = 7
    DEL_MAC_ADDR = 8
    START_PMSR = 9
    ABORT_PMSR = 10
    REPORT_PMSR = 11


class Attr(IntEnum):
    UNSPEC = 0
    ADDR_RECEIVER = 1
    ADDR_TRANSMITTER = 2
    FRAME = 3
    FLAGS = 4
    RX_RATE = 5
    SIGNAL = 6
    TX_INFO = 7
    COOKIE = 8
    CHANNELS = 9
    RADIO_ID = 10
    REG_HINT_ALPHA2 = 11
    REG_CUSTOM_REG = 12
    REG_STRICT_REG = 13
    SUPPORT_P2P_DEVICE = 14
    USE_CHANCTX = 15
    DESTROY_RADIO_ON_CLOSE = 16
    RADIO_NAME = 17
    NO_VIF = 18
    FREQ = 19
    PAD = 20
    TX_INFO_FLAGS = 21
    PERM_ADDR = 22
    IFTYPE_SUPPORT = 23
    CIPHER_SUPPORT = 24
    MLO_SUPPORT = 25
    PMSR_SUPPORT = 26
    PMSR_REQUEST = 27
    PMSR_RESULT = 28
    MULTI_RADIO = 29


# attribute -> (value kind, pyroute2 NLA class used to encode it)
_POLICY: dict[int, tuple[str, str]] = {
    Attr.ADDR_RECEIVER: ("mac", "cdata"),
    Attr.ADDR_TRANSMITTER: ("mac", "cdata"),
    Attr.FRAME: ("frame", "cdata"),
    Attr.FLAGS: ("u32", "uint32"),
    Attr.RX_RATE: ("u32", "uint32"),
    Attr.SIGNAL: ("s32", "int32"),  # the kernel's u32 holding a signed dBm
    Attr.TX_INFO: ("tx_info", "cdata"),
    Attr.COOKIE: ("u64", "uint64"),
    Attr.CHANNELS: ("u32", "uint32"),
    Attr.RADIO_ID: ("u32", "uint32"),
    Attr.REG_HINT_ALPHA2: ("alpha2", "cdata"),
    Attr.REG_CUSTOM_REG: ("u32", "uint32"),
    Attr.REG_STRICT_REG: ("flag", "flag"),
    Attr.SUPPORT_P2P_DEVICE: ("flag", "flag"),
    Attr.USE_CHANCTX: ("flag", "flag"),
    Attr.DESTROY_RADIO_ON_CLOSE: ("flag", "flag"),
    Attr.RADIO_NAME: ("string", "cdata"),
    Attr.NO_VIF: ("flag", "flag"),
    Attr.FREQ: ("u32", "uint32"),
    Attr.PAD: ("raw", "cdata"),
    Attr.TX_INFO_FLAGS: ("tx_info_flags", "cdata"),
    Attr.PERM_ADDR: ("mac", "cdata"),
    Attr.IFTYPE_SUPPORT: ("u32", "uint32"),
    Attr.CIPHER_SUPPORT: ("u32_array", "cdata"),
    Attr.MLO_SUPPORT: ("flag", "flag"),
    Attr.PMSR_SUPPORT: ("raw", "cdata"),
    Attr.PMSR_REQUEST: ("raw", "cdata"),
    Attr.PMSR_RESULT: ("raw", "cdata"),
    Attr.MULTI_RADIO: ("flag", "flag"),
}

_CTRL_POLICY: dict[int, tuple[str, str]] = {
    CTRL_ATTR_FAMILY_ID: ("u16", "uint16"),
    CTRL_ATTR_FAMILY_NAME: ("string", "asciiz"),
    CTRL_ATTR_VERSION: ("u32", "uint32"),
    CTRL_ATTR_HDRSIZE: ("u32", "uint32"),
    CTRL_ATTR_MAXATTR: ("u32", "uint32"),
}


def _nla_map(policy: dict[int, tuple[str, str]], prefix: str, raw: bool) -> tuple[tuple[int, str, str], ...]:
    return tuple((a, f"{prefix}{a}", "cdata" if raw else cls) for a, (_, cls) in policy.items())


class hwsim_msg(genlmsg):
    """MAC80211_HWSIM message with typed attributes (encoding)."""

    __slots__ = ()
    nla_map = _nla_map(_POLICY, "HWSIM_ATTR_", raw=False)


class hwsim_raw(genlmsg):
    """MAC80211_HWSIM message with every attribute as bytes (decoding; the policy checks sizes)."""

    __slots__ = ()
    nla_map = _nla_map(_POLICY, "HWSIM_ATTR_", raw=True)


class ctrl_msg(ctrlmsg):
    """nlctrl message limited to the family-resolution attributes."""

    __slots__ = ()
    nla_map = _nla_map(_CTRL_POLICY, "CTRL_ATTR_", raw=False)


class ctrl_raw(genlmsg):
    __slots__ = ()
    nla_map = _nla_map(_CTRL_POLICY, "CTRL_ATTR_", raw=True)


class nlmsg_error(nlmsg):
    """NLMSG_ERROR: the error code, then the request's header (and payload)."""

    __slots__ = ()
    fields = (("error", "i"), ("request", "s"))


class nlmsg_error_hdr(nlmsg):
    __slots__ = ()
    fields = (("error", "i"), ("req_length", "I"), ("req_type", "H"), ("req_flags", "H"),
              ("req_seq", "I"), ("req_pid", "I"))


class nlmsg_done(nlmsg):
    __slots__ = ()
    fields = (("error", "i"),)


class GenlError(OSError):
    """A message that cannot be accepted; `errno` says why, `request` holds its bytes."""

    def __init__(self, code: int, message: str, request: bytes = b"") -> None:
        super().__init__(code, message)
        self.request = request


@dataclass
class Message:
    """One generic-netlink message: command, attributes {Attr: value}, header fields."""

    cmd: int
    attrs: dict[int, Any] = field(default_factory=dict)
    type: int = FAMILY_ID
    flags: int = 0
    seq: int = 0
    pid: int = 0
    version: int = VERSION
    raw: bytes = field(default=b"", compare=False, repr=False)

    def get(self, attr: int, default: Any = None) -> Any:
        return self.attrs.get(attr, default)


@dataclass
class Ack:
    """NLMSG_ERROR: error 0 acks, < 0 is -errno, > 0 a positive result (NEW_RADIO's id)."""

    error: int
    seq: int = 0
    pid: int = 0
    flags: int = 0
    req_type: int = 0
    req_flags: int = 0
    req_seq: int = 0
    req_pid: int = 0
    payload: bytes = b""  # the request's payload, echoed with errors


@dataclass
class Done:
    """NLMSG_DONE: the end of a dump."""

    seq: int = 0
    pid: int = 0
    flags: int = 0


# -- values --------------------------------------------------------------------------
def pack_tx_info(rates: Any) -> bytes:
    """4 x {s8 idx; u8 count}; missing entries are (-1, 0)."""
    r = (list(rates) + list(NO_RATES))[:TX_MAX_RATES]
    return struct.pack("=" + "bB" * TX_MAX_RATES, *(x for pair in r for x in pair))


def pack_tx_info_flags(rates: Any) -> bytes:
    """4 x {s8 idx; u16 flags} (packed, 12 bytes)."""
    r = (list(rates) + list(NO_RATES))[:TX_MAX_RATES]
    return struct.pack("=" + "bH" * TX_MAX_RATES, *(x for pair in r for x in pair))


def _to_wire(kind: str, value: Any) -> Any:
    if kind == "mac":
        v = bytes(value)
        if len(v) != 6:
            raise ValueError(f"a MAC address has 6 octets, not {len(v)}")
        return v
    if kind == "tx_info":
        return pack_tx_info(value)
    if kind == "tx_info_flags":
        return pack_tx_info_flags(value)
    if kind == "string" or kind == "alpha2":
        return value.encode() if isinstance(value, str) else bytes(value)
    if kind == "u32_array":
        return struct.pack(f"={len(value)}I", *value)
    if kind == "s32":
        return int(value)
    if kind == "flag":
        return True
    return value


def _from_wire(kind: str, raw: bytes, attr: int) -> Any:
    n = len(raw)
    fixed = {"mac": 6, "u16": 2, "u32": 4, "s32": 4, "u64": 8, "tx_info": 8, "tx_info_flags": 12, "flag": 0}
    want = fixed.get(kind)
    if want is not None and n != want:
        raise ValueError(f"attribute {attr} has {n} bytes, its type needs {want}")
    if kind == "mac" or kind == "raw":
        return bytes(raw)
    if kind == "u16":
        return struct.unpack("=H", raw)[0]
    if kind == "u32":
        return struct.unpack("=I", raw)[0]
    if kind == "s32":
        return struct.unpack("=i", raw)[0]
    if kind == "u64":
        return struct.unpack("=Q", raw)[0]
    if kind == "flag":
        return True
    if kind == "frame":
        if n > MAX_FRAME:
            raise ValueError(f"FRAME of {n} bytes is longer than {MAX_FRAME}")
        return bytes(raw)
    if kind == "tx_info":
        v = struct.unpack("=" + "bB" * TX_MAX_RATES, raw)
        return tuple(zip(v[::2], v[1::2], strict=True))
    if kind == "tx_info_flags":
        v = struct.unpack("=" + "bH" * TX_MAX_RATES, raw)
        return tuple(zip(v[::2], v[1::2], strict=True))
    if kind == "u32_array":
        if n % 4:
            raise ValueError(f"attribute {attr} is not a list of u32 ({n} bytes)")
        return struct.unpack(f"={n // 4}I", raw)
    # strings: NLA_STRING may or may not carry its NUL
    s = bytes(raw).split(b"\0", 1)[0]
    if kind == "alpha2" and len(s) != 2:
        raise ValueError(f"REG_HINT_ALPHA2 must be two letters, not {s!r}")
    return s.decode("utf-8")


# -- encoding ----------------------------------------------------------------------------
def encode(msg: Message) -> bytes:
    """One netlink message for `msg` (attributes in the order given)."""
    if msg.type == GENL_ID_CTRL:
        m: genlmsg = ctrl_msg()
        policy, prefix = _CTRL_POLICY, "CTRL_ATTR_"
    else:
        m = hwsim_msg()
        policy, prefix = _POLICY, "HWSIM_ATTR_"
    m["cmd"] = int(msg.cmd)
    m["version"] = msg.version
    m["reserved"] = 0
    m["header"] = {"type": msg.type, "flags": msg.flags, "sequence_number": msg.seq, "pid": msg.pid}
    attrs = []
    for a, v in msg.attrs.items():
        kind, _ = policy[int(a)]
        attrs.append((f"{prefix}{int(a)}", _to_wire(kind, v)))
    m["attrs"] = attrs
    m.encode()
    return bytes(m.data)


def encode_ack(error: int, request: bytes, *, pid: int = 0) -> bytes:
    """The kernel's netlink_ack() for `request`: an ack (0) echoes its header
    only (NLM_F_CAPPED); an error or positive result echoes it whole."""
    req = bytes(request)
    hdr = (req + bytes(NLMSG_HDRLEN))[:NLMSG_HDRLEN]
    seq = struct.unpack_from("=I", hdr, 8)[0]
    declared = struct.unpack_from("=I", hdr, 0)[0]
    capped = error == 0
    m = nlmsg_error()
    m["header"] = {"type": NLMSG_ERROR, "flags": NLM_F_CAPPED if capped else 0, "sequence_number": seq,
                   "pid": pid}
    m["error"] = error
    m["request"] = hdr if capped else hdr + req[NLMSG_HDRLEN:max(declared, NLMSG_HDRLEN)]
    m.encode()
    return bytes(m.data)


def encode_done(seq: int, pid: int) -> bytes:
    """NLMSG_DONE ending a dump (payload: int 0)."""
    m = nlmsg_done()
    m["header"] = {"type": NLMSG_DONE, "flags": NLM_F_MULTI, "sequence_number": seq, "pid": pid}
    m["error"] = 0
    m.encode()
    return bytes(m.data)


# -- decoding ------------------------------------------------------------------------------
def _check_attrs(data: bytes, start: int, end: int) -> None:
    """Every attribute header must fit; the kernel's nla_ok(), strictly."""
    off = start
    while off < end:
        if end - off < NLA_HDRLEN:
            raise ValueError(f"{end - off} trailing bytes after the attributes")
        nla_len = struct.unpack_from("=H", data, off)[0]
        if nla_len < NLA_HDRLEN or nla_len > end - off:
            raise ValueError(f"attribute at offset {off} claims {nla_len} bytes, {end - off} remain")
        off += (nla_len + 3) & ~3


def _decode_genl(req: bytes, mtype: int, flags: int, seq: int, pid: int, family: int) -> Message:
    if len(req) < NLMSG_HDRLEN + GENL_HDRLEN:
        raise ValueError("no generic netlink header")
    cmd, version = req[NLMSG_HDRLEN], req[NLMSG_HDRLEN + 1]
    if mtype == family:
        cls, policy = hwsim_raw, _POLICY
    elif mtype == GENL_ID_CTRL:
        cls, policy = ctrl_raw, _CTRL_POLICY
    else:  # a family we do not have: the caller answers ENOENT
        return Message(cmd, {}, mtype, flags, seq, pid, version, raw=req)
    _check_attrs(req, NLMSG_HDRLEN + GENL_HDRLEN, len(req))
    m = cls(bytearray(req))
    m.decode()
    attrs: dict[int, Any] = {}
    for slot in m["attrs"]:
        name = slot.name
        if not name.startswith(("HWSIM_ATTR_", "CTRL_ATTR_")):
            continue  # newer than our policy: ignored, as the kernel does
        a = int(name.rsplit("_", 1)[1])
        if a == Attr.PAD and mtype == family:
            continue
        key = Attr(a) if mtype == family else a
        attrs[key] = _from_wire(policy[a][0], slot.get_value(), a)
    return Message(cmd, attrs, mtype, flags, seq, pid, version, raw=req)


def _decode_one(req: bytes, family: int) -> Message | Ack | Done:
    mtype, flags, seq, pid = struct.unpack_from("=HHII", req, 4)
    if mtype == NLMSG_ERROR:
        if len(req) < NLMSG_HDRLEN + 4 + NLMSG_HDRLEN:
            raise ValueError("NLMSG_ERROR without the request's header")
        e = nlmsg_error_hdr(bytearray(req))
        e.decode()
        return Ack(e["error"], seq, pid, flags, e["req_type"], e["req_flags"], e["req_seq"], e["req_pid"],
                   req[NLMSG_HDRLEN + 4 + NLMSG_HDRLEN:])
    if mtype == NLMSG_DONE:
        return Done(seq, pid, flags)
    if mtype < NLMSG_MIN_TYPE:  # NOOP, OVERRUN, reserved: no payload we read
        return Message(0, {}, mtype, flags, seq, pid, 0, raw=req)
    return _decode_genl(req, mtype, flags, seq, pid, family)


def decode(data: bytes, family: int = FAMILY_ID) -> list[Message | Ack | Done | GenlError]:
    """Every netlink message of one datagram, in order (`family`: the id
    MAC80211_HWSIM was resolved to).

    A message that cannot be parsed is a `GenlError` (EINVAL) in its place;
    a broken netlink header ends the datagram, since nothing after it can
    be framed.
    """
    out: list[Message | Ack | Done | GenlError] = []
    data = bytes(data)
    off = 0
    while off < len(data):
        rest = data[off:]
        if len(rest) < NLMSG_HDRLEN:
            out.append(GenlError(errno.EINVAL, f"{len(rest)} bytes cannot hold a netlink header", rest))
            break
        length = struct.unpack_from("=I", rest)[0]
        if length < NLMSG_HDRLEN or length > len(rest):
            out.append(GenlError(errno.EINVAL, f"netlink header claims {length} bytes, {len(rest)} received",
                                 rest))
            break
        req = rest[:length]
        try:
            out.append(_decode_one(req, family))
        except Exception as e:  # noqa: BLE001 -- untrusted bytes: any parse failure is the sender's EINVAL
            out.append(GenlError(errno.EINVAL, f"malformed message: {e}", req))
        off += (length + 3) & ~3
    return out


def decode_one(data: bytes, family: int = FAMILY_ID) -> Message | Ack | Done:
    """The single message of a datagram; raises GenlError if it is malformed or not alone."""
    items = decode(data, family)
    if len(items) != 1:
        raise GenlError(errno.EINVAL, f"expected one message, found {len(items)}", bytes(data))
    if isinstance(items[0], GenlError):
        raise items[0]
    return items[0]


# -- builders of the messages the family exchanges -----------------------------------------
def frame_msg(transmitter: bytes, frame: bytes, flags: int, freq: int, tx_info: Any, cookie: int,
              tx_info_flags: Any = None) -> Message:
    """Driver -> medium FRAME, attributes in the kernel's order."""
    rates = list(tx_info)
    flg = tx_info_flags if tx_info_flags is not None else [(i, 0) for i, _ in rates]
    return Message(Cmd.FRAME, {Attr.ADDR_TRANSMITTER: transmitter, Attr.FRAME: frame, Attr.FLAGS: flags,
                               Attr.FREQ: freq, Attr.TX_INFO: rates, Attr.TX_INFO_FLAGS: flg,
                               Attr.COOKIE: cookie})


def delivery_msg(receiver: bytes, frame: bytes, rx_rate: int, signal: int, freq: int | None = None,
                 *, flags: int = NLM_F_REQUEST) -> Message:
    """Medium -> driver FRAME (a delivery)."""
    attrs: dict[int, Any] = {Attr.ADDR_RECEIVER: receiver, Attr.FRAME: frame, Attr.RX_RATE: rx_rate,
                             Attr.SIGNAL: signal}
    if freq is not None:
        attrs[Attr.FREQ] = freq
    return Message(Cmd.FRAME, attrs, flags=flags)


def tx_info_msg(transmitter: bytes, flags: int, cookie: int, signal: int, tx_info: Any,
                *, nl_flags: int = NLM_F_REQUEST) -> Message:
    """Medium -> driver TX_INFO_FRAME (a transmit status)."""
    return Message(Cmd.TX_INFO_FRAME, {Attr.ADDR_TRANSMITTER: transmitter, Attr.FLAGS: flags,
                                       Attr.COOKIE: cookie, Attr.SIGNAL: signal, Attr.TX_INFO: tx_info},
                   flags=nl_flags)


def getfamily_msg(name: str = FAMILY_NAME, *, seq: int = 0) -> Message:
    return Message(CTRL_CMD_GETFAMILY, {CTRL_ATTR_FAMILY_NAME: name}, type=GENL_ID_CTRL,
                   flags=NLM_F_REQUEST | NLM_F_ACK, seq=seq, version=CTRL_VERSION)


def newfamily_msg(*, seq: int = 0, pid: int = 0) -> Message:
    """nlctrl's answer naming our family's id (ctrl_fill_info order)."""
    return Message(CTRL_CMD_NEWFAMILY, {CTRL_ATTR_FAMILY_NAME: FAMILY_NAME, CTRL_ATTR_FAMILY_ID: FAMILY_ID,
                                        CTRL_ATTR_VERSION: VERSION, CTRL_ATTR_HDRSIZE: 0,
                                        CTRL_ATTR_MAXATTR: max(Attr)},
                   type=GENL_ID_CTRL, seq=seq, pid=pid, version=CTRL_VERSION)
