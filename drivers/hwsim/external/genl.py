"""MAC80211_HWSIM generic-netlink messages, byte for byte as the Linux family.

A sans-IO codec (REFERENCE §3) written with `struct` alone, because a
medium moves tens of thousands of FRAME and TX_INFO_FRAME messages a
second and a per-attribute object costs more than the whole message
should (tests check it byte for byte against pyroute2's encoding).
`encode()` turns a `Message` into one netlink message; `decode()` splits a
datagram into `Message`, `Ack` (NLMSG_ERROR: an error, an ack, or
NEW_RADIO's positive radio id) and `Done` items.  Decoding untrusted bytes
raises nothing: what cannot be accepted comes back as a `GenlError` item.

Attributes are checked as the kernel checks them (lib/nlattr.c, the liberal
validation mac80211_hwsim's ops ask for with GENL_DONT_VALIDATE_STRICT):
integers and addresses need at least their size and may be longer (the
kernel warns and reads the first bytes), too short or too long for a
maximum is ERANGE, a flag with a payload is ERANGE, attribute types the
policy does not know are ignored, an attribute header that does not fit
ends the attributes silently, and trailing bytes are ignored.  A netlink
header that does not fit ends the datagram without an answer, as
netlink_rcv_skb() does (`GenlError.silent`).

On x86-64 the kernel's nla_put_u64_64bit() adds no PAD attribute (efficient
unaligned access), so neither does `encode()`; `decode()` accepts PAD.
"""

from __future__ import annotations

import errno
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .nlattr import _FAST, _NLA, _PAD, _S32, _U32, _from_wire, _generic, _Reject, _to_wire
from .nlattr import CTRL_ATTR_MCAST_GRP_ID as CTRL_ATTR_MCAST_GRP_ID  # re-exported: the codec's vocabulary
from .nlattr import CTRL_ATTR_MCAST_GRP_NAME as CTRL_ATTR_MCAST_GRP_NAME
from .nlattr import CTRL_ATTR_OP_FLAGS as CTRL_ATTR_OP_FLAGS
from .nlattr import CTRL_ATTR_OP_ID as CTRL_ATTR_OP_ID
from .nlattr import GENL_NAMSIZ as GENL_NAMSIZ
from .nlattr import MAX_FRAME as MAX_FRAME
from .nlattr import NLA_HDRLEN as NLA_HDRLEN
from .nlattr import NLA_TYPE_MASK as NLA_TYPE_MASK
from .nlattr import NO_RATES as NO_RATES
from .nlattr import TX_MAX_RATES as TX_MAX_RATES
from .nlattr import nla as nla
from .nlattr import pack_tx_info as pack_tx_info
from .nlattr import pack_tx_info_flags as pack_tx_info_flags

FAMILY_NAME = "MAC80211_HWSIM"
CONFIG_GROUP = "config"  # the family's multicast group: NEW_RADIO / DEL_RADIO notifications
# The id our UNIX-socket server assigns the family (the kernel assigns one
# per module load); clients must resolve it by name, never assume it.
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
CTRL_ATTR_OPS = 6
CTRL_ATTR_MCAST_GROUPS = 7

# genl op flags nlctrl reports (include/uapi/linux/genetlink.h)
GENL_ADMIN_PERM = 0x01
GENL_CMD_CAP_DO = 0x02
GENL_CMD_CAP_DUMP = 0x04
GENL_CMD_CAP_HASPOL = 0x08
GENL_UNS_ADMIN_PERM = 0x10

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_ECHO = 0x8
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100  # on an NLMSG_ERROR: the request's payload is not echoed

NLMSG_HDRLEN = 16
GENL_HDRLEN = 4

TX_CTL_REQ_TX_STATUS = 1
TX_CTL_NO_ACK = 2
TX_STAT_ACK = 4

MIN_FRAME = 24  # a 3-address header


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


MAX_ATTR = max(Attr)
_ATTR = tuple(Attr)  # index -> member without Attr()'s lookup cost

# The kernel's ops (hwsim_ops[]): command -> nlctrl's op flags.
_DO = GENL_CMD_CAP_DO | GENL_CMD_CAP_HASPOL
OPS: dict[int, int] = {Cmd.REGISTER: _DO | GENL_UNS_ADMIN_PERM, Cmd.FRAME: _DO, Cmd.TX_INFO_FRAME: _DO,
                       Cmd.NEW_RADIO: _DO | GENL_UNS_ADMIN_PERM, Cmd.DEL_RADIO: _DO | GENL_UNS_ADMIN_PERM,
                       Cmd.GET_RADIO: _DO | GENL_CMD_CAP_DUMP, Cmd.REPORT_PMSR: _DO}

# hwsim_genl_policy as value kinds.  "u32"/"u64"/"mac" need at least their
# size (longer is accepted, first bytes read); "bin<N>" is NLA_BINARY with a
# maximum; "str<N>" NLA_STRING (at least one byte, at most N without a NUL);
# "nested" NLA_NESTED; "any" has no policy entry (NLA_UNSPEC).
_POLICY: dict[int, str] = {
    Attr.ADDR_RECEIVER: "mac", Attr.ADDR_TRANSMITTER: "mac", Attr.FRAME: "frame", Attr.FLAGS: "u32",
    Attr.RX_RATE: "u32", Attr.SIGNAL: "s32", Attr.TX_INFO: "tx_info", Attr.COOKIE: "u64",
    Attr.CHANNELS: "u32", Attr.RADIO_ID: "u32", Attr.REG_HINT_ALPHA2: "alpha2",
    Attr.REG_CUSTOM_REG: "u32", Attr.REG_STRICT_REG: "flag", Attr.SUPPORT_P2P_DEVICE: "flag",
    Attr.USE_CHANCTX: "flag", Attr.DESTROY_RADIO_ON_CLOSE: "flag", Attr.RADIO_NAME: "string",
    Attr.NO_VIF: "flag", Attr.FREQ: "u32", Attr.PAD: "any", Attr.TX_INFO_FLAGS: "tx_info_flags",
    Attr.PERM_ADDR: "mac", Attr.IFTYPE_SUPPORT: "u32", Attr.CIPHER_SUPPORT: "u32_array",
    Attr.MLO_SUPPORT: "flag", Attr.PMSR_SUPPORT: "nested", Attr.PMSR_REQUEST: "any",
    Attr.PMSR_RESULT: "nested", Attr.MULTI_RADIO: "flag",
}
_KIND = tuple(_POLICY.get(a, "any") for a in range(MAX_ATTR + 1))

# ctrl_policy_family, plus what nlctrl's answers carry
_CTRL_POLICY: dict[int, str] = {CTRL_ATTR_FAMILY_ID: "u16", CTRL_ATTR_FAMILY_NAME: "nul_string",
                                CTRL_ATTR_VERSION: "u32", CTRL_ATTR_HDRSIZE: "u32", CTRL_ATTR_MAXATTR: "u32",
                                CTRL_ATTR_OPS: "ops", CTRL_ATTR_MCAST_GROUPS: "mcast_groups"}

_HDR = struct.Struct("=IHHII")
_GENL = struct.Struct("=BBH")


class GenlError(OSError):
    """A message that cannot be accepted; `errno` says why, `request` holds its bytes.

    `silent`: the kernel would drop it without an answer (broken framing);
    `type`, `cmd`, `flags`: what of its header could be read, so a server
    can give the kernel's earlier answers (unknown family, unknown command).
    """

    def __init__(self, code: int, message: str, request: bytes = b"", *, silent: bool = False,
                 type: int = 0, cmd: int = -1, flags: int = 0, seq: int = 0) -> None:
        super().__init__(code, message)
        self.request = request
        self.silent = silent
        self.type = type
        self.cmd = cmd
        self.flags = flags
        self.seq = seq


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


# -- encoding ----------------------------------------------------------------------------
def _header(length: int, mtype: int, flags: int, seq: int, pid: int, cmd: int, version: int) -> bytes:
    return _HDR.pack(length, mtype, flags, seq & 0xFFFF_FFFF, pid) + _GENL.pack(cmd, version, 0)


def encode(msg: Message) -> bytes:
    """One netlink message for `msg` (attributes in the order given)."""
    policy = _CTRL_POLICY if msg.type == GENL_ID_CTRL else _POLICY
    body = b"".join(nla(int(a), _to_wire(policy.get(int(a), "any"), v)) for a, v in msg.attrs.items())
    return _header(NLMSG_HDRLEN + GENL_HDRLEN + len(body), msg.type, msg.flags, msg.seq, msg.pid,
                   int(msg.cmd), msg.version) + body


def encode_ack(error: int, request: bytes, *, pid: int = 0) -> bytes:
    """The kernel's netlink_ack() for `request`: an ack (0) echoes its header
    only (NLM_F_CAPPED); an error or positive result echoes it whole."""
    req = bytes(request)
    hdr = (req + bytes(NLMSG_HDRLEN))[:NLMSG_HDRLEN]
    seq = _U32.unpack_from(hdr, 8)[0]
    declared = _U32.unpack_from(hdr, 0)[0]
    capped = error == 0
    echo = hdr if capped else hdr + req[NLMSG_HDRLEN:max(declared, NLMSG_HDRLEN)]
    body = _S32.pack(error) + echo
    return (_HDR.pack(NLMSG_HDRLEN + len(body), NLMSG_ERROR, NLM_F_CAPPED if capped else 0, seq, pid)
            + body + _PAD[len(body) & 3])


def encode_done(seq: int, pid: int) -> bytes:
    """NLMSG_DONE ending a dump (payload: int 0)."""
    return _HDR.pack(NLMSG_HDRLEN + 4, NLMSG_DONE, NLM_F_MULTI, seq, pid) + _S32.pack(0)


# The hot path: whole messages from one pre-built layout, no Message object.
_FRAME_TX_HEAD = struct.Struct("=IHHIIBBHHH6s2x")  # nlmsghdr, genl, ADDR_TRANSMITTER
_TAIL_TX = struct.Struct("=HHIHHIHH8sHH12sHHQ")  # FLAGS, FREQ, TX_INFO, TX_INFO_FLAGS, COOKIE
_DELIV_HEAD = struct.Struct("=IHHIIBBHHH6s2x")  # ADDR_RECEIVER
_DELIV_TAIL = struct.Struct("=HHIHHi")  # RX_RATE, SIGNAL
_FREQ = struct.Struct("=HHI")
_STATUS = struct.Struct("=IHHIIBBHHH6s2xHHIHHQHHiHH8s")


def encode_frame(family: int, transmitter: bytes, frame: bytes, flags: int, freq: int, tx_info: bytes,
                 tx_info_flags: bytes, cookie: int, *, seq: int = 0, pid: int = 0) -> bytes:
    """Driver -> medium FRAME exactly as mac80211_hwsim_tx_frame_nl() builds it."""
    n = len(frame)
    length = 16 + 4 + 12 + 4 + ((n + 3) & ~3) + 8 + 8 + 12 + 16 + 12
    return (_FRAME_TX_HEAD.pack(length, family, 0, seq, pid, Cmd.FRAME, VERSION, 0, 10, Attr.ADDR_TRANSMITTER,
                                transmitter)
            + _NLA.pack(4 + n, Attr.FRAME) + frame + _PAD[n & 3]
            + _TAIL_TX.pack(8, Attr.FLAGS, flags, 8, Attr.FREQ, freq, 12, Attr.TX_INFO, tx_info,
                            16, Attr.TX_INFO_FLAGS, tx_info_flags, 12, Attr.COOKIE, cookie))


def encode_delivery(family: int, receiver: bytes, frame: bytes, rx_rate: int, signal: int,
                    freq: int | None, *, seq: int = 0, pid: int = 0, flags: int = NLM_F_REQUEST) -> bytes:
    """Medium -> driver FRAME (a delivery), attributes in wmediumd's order."""
    n = len(frame)
    length = 16 + 4 + 12 + 4 + ((n + 3) & ~3) + 16 + (8 if freq is not None else 0)
    out = (_DELIV_HEAD.pack(length, family, flags, seq, pid, Cmd.FRAME, VERSION, 0, 10, Attr.ADDR_RECEIVER,
                            receiver)
           + _NLA.pack(4 + n, Attr.FRAME) + frame + _PAD[n & 3]
           + _DELIV_TAIL.pack(8, Attr.RX_RATE, rx_rate, 8, Attr.SIGNAL, signal))
    if freq is not None:
        out += _FREQ.pack(8, Attr.FREQ, freq)
    return out


def encode_tx_info(family: int, transmitter: bytes, flags: int, cookie: int, signal: int, tx_info: bytes,
                   *, seq: int = 0, pid: int = 0, nl_flags: int = NLM_F_REQUEST) -> bytes:
    """Medium -> driver TX_INFO_FRAME (a transmit status)."""
    return _STATUS.pack(_STATUS.size, family, nl_flags, seq, pid, Cmd.TX_INFO_FRAME, VERSION, 0,
                        10, Attr.ADDR_TRANSMITTER, transmitter, 8, Attr.FLAGS, flags, 12, Attr.COOKIE, cookie,
                        8, Attr.SIGNAL, signal, 12, Attr.TX_INFO, tx_info)


# -- decoding ------------------------------------------------------------------------------
_CONV = tuple(_FAST.get(k) or _generic(k) for k in _KIND)  # attribute type -> its policy check


def _attrs(req: bytes, ctrl: bool) -> dict[int, Any]:
    """The attributes as nla_parse() with liberal validation sees them."""
    attrs: dict[int, Any] = {}
    off, end = NLMSG_HDRLEN + GENL_HDRLEN, len(req)
    unpack = _NLA.unpack_from
    conv, members = _CONV, _ATTR
    while end - off >= NLA_HDRLEN:
        n, t = unpack(req, off)
        if n < NLA_HDRLEN or n > end - off:
            break  # nla_ok() fails: the rest is leftover, which liberal parsing ignores
        t &= NLA_TYPE_MASK
        if ctrl:
            kind = _CTRL_POLICY.get(t)
            if kind is not None:
                attrs[t] = _from_wire(kind, req[off + NLA_HDRLEN:off + n])
        elif 0 < t <= MAX_ATTR:
            attrs[members[t]] = conv[t](req[off + NLA_HDRLEN:off + n])
        off += (n + 3) & ~3
    attrs.pop(Attr.PAD, None)
    return attrs


_FRAME_HEAD = struct.Struct("=HH6s2xHH")
_FRAME_TAIL = struct.Struct("=4xI4xI4x8s4x12s4xQ")  # values after the frame, headers skipped ...
_FRAME_TAIL_HDRS = b"".join(_NLA.pack(n, t) for n, t in (  # ... and the headers that layout must have
    (8, Attr.FLAGS), (8, Attr.FREQ), (12, Attr.TX_INFO), (16, Attr.TX_INFO_FLAGS), (12, Attr.COOKIE)))
_TX_INFO_CONV, _TX_FLAGS_CONV = _CONV[Attr.TX_INFO], _CONV[Attr.TX_INFO_FLAGS]
_A_TX, _A_FRAME, _A_FLAGS, _A_FREQ = Attr.ADDR_TRANSMITTER, Attr.FRAME, Attr.FLAGS, Attr.FREQ
_A_TXI, _A_TXF, _A_COOKIE, _CMD_FRAME = Attr.TX_INFO, Attr.TX_INFO_FLAGS, Attr.COOKIE, Cmd.FRAME


def _kernel_frame(req: bytes, flags: int, seq: int, pid: int, family: int) -> Message | None:
    """A FRAME laid out exactly as mac80211_hwsim_tx_frame_nl() builds it, in
    one pass; None for any other layout (the generic path decides)."""
    alen, atype, hw, flen, ftype = _FRAME_HEAD.unpack_from(req, 20)
    if alen != 10 or atype != Attr.ADDR_TRANSMITTER or ftype != Attr.FRAME or not 4 <= flen <= 4 + MAX_FRAME:
        return None
    off = 32 + ((flen + 3) & ~3)
    if len(req) != off + _FRAME_TAIL.size:
        return None
    hdrs = (req[off:off + 4] + req[off + 8:off + 12] + req[off + 16:off + 20] + req[off + 28:off + 32]
            + req[off + 44:off + 48])
    if hdrs != _FRAME_TAIL_HDRS:
        return None
    fl, freq, txi, txf, cookie = _FRAME_TAIL.unpack_from(req, off)
    return Message(_CMD_FRAME, {_A_TX: hw, _A_FRAME: req[36:32 + flen], _A_FLAGS: fl, _A_FREQ: freq,
                                _A_TXI: _TX_INFO_CONV(txi), _A_TXF: _TX_FLAGS_CONV(txf), _A_COOKIE: cookie},
                   family, flags, seq, pid, req[17], raw=req)


def kernel_frame_fields(data: bytes, family: int) -> tuple[bytes, bytes, int, int, bytes, int] | None:
    """A datagram holding just one FRAME laid out as mac80211_hwsim_tx_frame_nl() builds
    it: (transmitter, frame, flags, freq, TX_INFO's 8 bytes and TX_INFO_FLAGS' 12, cookie),
    no object built;
    None for anything else (then `decode` decides).  The policy's checks hold: the
    lengths are the layout's, and TX_INFO's bytes are taken as they come, as the kernel's
    NLA_BINARY policy does (the caller reads at most 4 rates from them)."""
    n = len(data)
    if n < 100 or data[16] != _CMD_FRAME or _U32.unpack_from(data)[0] != n:
        return None
    if _TYPE.unpack_from(data, 4)[0] != family:
        return None
    alen, atype, hw, flen, ftype = _FRAME_HEAD.unpack_from(data, 20)
    if alen != 10 or atype != _A_TX or ftype != _A_FRAME or not 4 <= flen <= 4 + MAX_FRAME:
        return None
    off = 32 + ((flen + 3) & ~3)
    if n != off + _FRAME_TAIL.size:
        return None
    if (data[off:off + 4] + data[off + 8:off + 12] + data[off + 16:off + 20] + data[off + 28:off + 32]
            + data[off + 44:off + 48]) != _FRAME_TAIL_HDRS:
        return None
    fl, freq, txi, txf, cookie = _FRAME_TAIL.unpack_from(data, off)
    return hw, data[36:32 + flen], fl, freq, txi + txf, cookie


_TYPE = struct.Struct("=H")


def _decode_one(req: bytes, family: int) -> Message | Ack | Done:
    mtype, flags, seq, pid = _HDR.unpack_from(req)[1:]
    if mtype == NLMSG_ERROR:
        if len(req) < NLMSG_HDRLEN + 4 + NLMSG_HDRLEN:
            raise _Reject(errno.EINVAL, "NLMSG_ERROR without the request's header")
        err = _S32.unpack_from(req, NLMSG_HDRLEN)[0]
        _, rtype, rflags, rseq, rpid = _HDR.unpack_from(req, NLMSG_HDRLEN + 4)
        return Ack(err, seq, pid, flags, rtype, rflags, rseq, rpid, req[NLMSG_HDRLEN + 4 + NLMSG_HDRLEN:])
    if mtype == NLMSG_DONE:
        return Done(seq, pid, flags)
    if mtype < NLMSG_MIN_TYPE:  # NOOP, OVERRUN, reserved: no payload we read
        return Message(0, {}, mtype, flags, seq, pid, 0, raw=req)
    if len(req) < NLMSG_HDRLEN + GENL_HDRLEN:
        raise _Reject(errno.EINVAL, "no generic netlink header")
    cmd, version = req[NLMSG_HDRLEN], req[NLMSG_HDRLEN + 1]
    if cmd == Cmd.FRAME and mtype == family and len(req) >= 100:
        m = _kernel_frame(req, flags, seq, pid, family)
        if m is not None:
            return m
    if mtype != family and mtype != GENL_ID_CTRL:  # a family we do not have: the caller answers ENOENT
        return Message(cmd, {}, mtype, flags, seq, pid, version, raw=req)
    if flags & NLM_F_DUMP == NLM_F_DUMP and flags & NLM_F_REQUEST:
        # GENL_DONT_VALIDATE_DUMP: a dump request's attributes are not checked
        try:
            return Message(cmd, _attrs(req, mtype == GENL_ID_CTRL), mtype, flags, seq, pid, version, raw=req)
        except _Reject:
            return Message(cmd, {}, mtype, flags, seq, pid, version, raw=req)
    return Message(cmd, _attrs(req, mtype == GENL_ID_CTRL), mtype, flags, seq, pid, version, raw=req)


def decode(data: bytes, family: int = FAMILY_ID) -> list[Message | Ack | Done | GenlError]:
    """Every netlink message of one datagram, in order (`family`: the id
    MAC80211_HWSIM was resolved to).

    A message that breaks the policy is a `GenlError` in its place; a
    broken netlink header ends the datagram with a silent `GenlError`,
    since nothing after it can be framed.
    """
    out: list[Message | Ack | Done | GenlError] = []
    data = bytes(data)
    off, total = 0, len(data)
    while off < total:
        left = total - off
        if left < NLMSG_HDRLEN:
            out.append(GenlError(errno.EINVAL, f"{left} bytes cannot hold a netlink header", data[off:],
                                 silent=True))
            break
        length = _U32.unpack_from(data, off)[0]
        if length < NLMSG_HDRLEN or length > left:
            out.append(GenlError(errno.EINVAL, f"netlink header claims {length} bytes, {left} received",
                                 data[off:], silent=True))
            break
        req = data[off:off + length] if off or length != total else data
        try:
            out.append(_decode_one(req, family))
        except _Reject as e:
            mtype, flags, seq = _HDR.unpack_from(req)[1:4]
            cmd = req[NLMSG_HDRLEN] if len(req) > NLMSG_HDRLEN else -1
            out.append(GenlError(e.code, str(e), req, type=mtype, cmd=cmd, flags=flags, seq=seq))
        except (struct.error, IndexError, UnicodeError) as e:  # untrusted bytes: the sender's EINVAL
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


def newfamily_msg(*, family: int = FAMILY_ID, groups: dict[str, int] | None = None, seq: int = 0,
                  pid: int = 0) -> Message:
    """nlctrl's answer naming the family: id, version, ops and multicast groups (ctrl_fill_info order)."""
    attrs: dict[int, Any] = {CTRL_ATTR_FAMILY_NAME: FAMILY_NAME, CTRL_ATTR_FAMILY_ID: family,
                             CTRL_ATTR_VERSION: VERSION, CTRL_ATTR_HDRSIZE: 0, CTRL_ATTR_MAXATTR: MAX_ATTR,
                             CTRL_ATTR_OPS: tuple(OPS.items())}
    attrs[CTRL_ATTR_MCAST_GROUPS] = groups if groups is not None else {CONFIG_GROUP: family + 1}
    return Message(CTRL_CMD_NEWFAMILY, attrs, type=GENL_ID_CTRL, seq=seq, pid=pid, version=CTRL_VERSION)
