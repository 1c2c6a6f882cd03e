"""Netlink attribute values as the kernel's policies see them (lib/nlattr.c).

Each value kind of MAC80211_HWSIM's and nlctrl's policies, to and from the
wire: minimum lengths (longer is accepted and the first bytes read), maxima,
flags without payload, strings with or without their NUL, nested lists of
ops and multicast groups.  A refusal is `Reject` with the kernel's errno
(ERANGE for a length out of range, as validate_nla() answers).
"""

from __future__ import annotations

import errno
import struct
from typing import Any

NLA_HDRLEN = 4
NLA_TYPE_MASK = 0x3FFF  # NLA_F_NESTED and NLA_F_NET_BYTEORDER are not part of the type
MAX_FRAME = 2304  # IEEE80211_MAX_DATA_LEN
TX_MAX_RATES = 4
NO_RATES: tuple[tuple[int, int], ...] = ((-1, 0),) * TX_MAX_RATES
GENL_NAMSIZ = 16
CTRL_ATTR_OP_ID = 1
CTRL_ATTR_OP_FLAGS = 2
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2

_NLA = struct.Struct("=HH")
_U16 = struct.Struct("=H")
_U32 = struct.Struct("=I")
_S32 = struct.Struct("=i")
_U64 = struct.Struct("=Q")
_TXI = struct.Struct("=bBbBbBbB")
_TXF = struct.Struct("=bHbHbHbH")
_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")


def _rates(rates: Any) -> list[int]:
    r = (list(rates) + list(NO_RATES))[:TX_MAX_RATES]
    return [int(x) for pair in r for x in pair]


_PACKED: dict[Any, bytes] = {}  # a medium answers with few distinct rate lists: pack each once


def pack_tx_info(rates: Any) -> bytes:
    """4 x {s8 idx; u8 count}; missing entries are (-1, 0)."""
    if type(rates) is tuple:
        raw = _PACKED.get(rates)
        if raw is None:
            if len(_PACKED) > 4096:
                _PACKED.clear()
            raw = _PACKED[rates] = _TXI.pack(*_rates(rates))
        return raw
    return _TXI.pack(*_rates(rates))


def pack_tx_info_flags(rates: Any) -> bytes:
    """4 x {s8 idx; u16 flags} (packed, 12 bytes)."""
    return _TXF.pack(*_rates(rates))


def nla(attr: int, payload: bytes) -> bytes:
    """One attribute: header, payload, zero padding to 4 bytes."""
    n = len(payload)
    return _NLA.pack(NLA_HDRLEN + n, attr) + payload + _PAD[n & 3]


def _to_wire(kind: str, value: Any) -> bytes:
    if kind == "mac":
        v = bytes(value)
        if len(v) != 6:
            raise ValueError(f"a MAC address has 6 octets, not {len(v)}")
        return v
    if kind in ("u32", "s32"):
        return _U32.pack(int(value) & 0xFFFF_FFFF)
    if kind == "u16":
        return _U16.pack(value)
    if kind == "u64":
        return _U64.pack(value)
    if kind == "flag":
        return b""
    if kind == "tx_info":
        return value if isinstance(value, bytes) else pack_tx_info(value)
    if kind == "tx_info_flags":
        return value if isinstance(value, bytes) else pack_tx_info_flags(value)
    if kind in ("string", "alpha2"):  # hwsim's strings go without their NUL
        return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else bytes(value)
    if kind == "nul_string":
        return value.encode() + b"\0"
    if kind == "u32_array":
        return value if isinstance(value, bytes) else struct.pack(f"={len(value)}I", *value)
    if kind == "ops":
        return b"".join(nla(i, nla(CTRL_ATTR_OP_ID, _U32.pack(c)) + nla(CTRL_ATTR_OP_FLAGS, _U32.pack(f)))
                        for i, (c, f) in enumerate(value, 1))
    if kind == "mcast_groups":
        return b"".join(nla(i, nla(CTRL_ATTR_MCAST_GRP_ID, _U32.pack(gid))
                            + nla(CTRL_ATTR_MCAST_GRP_NAME, name.encode() + b"\0"))
                        for i, (name, gid) in enumerate(value.items(), 1))
    return bytes(value)


def _nested(raw: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    off, end = 0, len(raw)
    while end - off >= NLA_HDRLEN:
        n, t = _NLA.unpack_from(raw, off)
        if n < NLA_HDRLEN or n > end - off:
            break
        out[t & NLA_TYPE_MASK] = raw[off + NLA_HDRLEN:off + n]
        off += (n + 3) & ~3
    return out


def _from_wire(kind: str, raw: bytes) -> Any:
    """The value of one attribute of `kind`; `_Reject` with the kernel's errno if its policy refuses it."""
    n = len(raw)
    if kind == "mac":
        if n < 6:
            raise _Reject(errno.ERANGE, f"an address needs 6 bytes, not {n}")
        return raw[:6]
    if kind == "u32":
        if n < 4:
            raise _Reject(errno.ERANGE, f"a u32 needs 4 bytes, not {n}")
        return _U32.unpack_from(raw)[0]
    if kind == "s32":
        if n < 4:
            raise _Reject(errno.ERANGE, f"a u32 needs 4 bytes, not {n}")
        return _S32.unpack_from(raw)[0]
    if kind == "u64":
        if n < 8:
            raise _Reject(errno.ERANGE, f"a u64 needs 8 bytes, not {n}")
        return _U64.unpack_from(raw)[0]
    if kind == "u16":
        if n < 2:
            raise _Reject(errno.ERANGE, f"a u16 needs 2 bytes, not {n}")
        return _U16.unpack_from(raw)[0]
    if kind == "flag":
        if n:
            raise _Reject(errno.ERANGE, f"a flag carries no payload, not {n} bytes")
        return True
    if kind == "frame":
        if n > MAX_FRAME:
            raise _Reject(errno.ERANGE, f"FRAME of {n} bytes is longer than {MAX_FRAME}")
        return raw
    if kind == "tx_info":
        if n > 8:
            raise _Reject(errno.ERANGE, f"TX_INFO of {n} bytes is longer than 8")
        # the kernel reads 4 entries whatever the length: a short list ends early
        v = _TXI.unpack((raw[: n & ~1] + b"\xff\0" * 4)[:8])
        return tuple(zip(v[::2], v[1::2], strict=True))
    if kind == "tx_info_flags":
        v = _TXF.unpack((raw[: n - n % 3] + b"\xff\0\0" * 4)[:12])
        return tuple(zip(v[::2], v[1::2], strict=True))
    if kind == "u32_array":  # NLA_BINARY: NEW_RADIO checks the multiple of 4
        return struct.unpack(f"={n // 4}I", raw) if n % 4 == 0 else raw
    if kind in ("string", "alpha2"):
        if n < 1:
            raise _Reject(errno.ERANGE, "an empty string attribute")
        s = raw[:-1] if raw[-1] == 0 else raw
        if kind == "alpha2" and len(s) > 2:
            raise _Reject(errno.ERANGE, f"REG_HINT_ALPHA2 must be at most two letters, not {s!r}")
        return s.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    if kind == "nul_string":
        if b"\0" not in raw[:GENL_NAMSIZ]:
            raise _Reject(errno.EINVAL, "a name without its NUL")
        s = raw.split(b"\0", 1)[0]
        if len(s) > GENL_NAMSIZ - 1:
            raise _Reject(errno.ERANGE, f"a family name of {len(s)} characters")
        return s.decode("utf-8", "surrogateescape")
    if kind == "nested":
        if 0 < n < NLA_HDRLEN:
            raise _Reject(errno.ERANGE, f"a nested attribute of {n} bytes")
        return raw
    if kind == "ops":
        ops: list[tuple[int, int]] = []
        for nest in _nested(raw).values():
            op = _nested(nest)
            if CTRL_ATTR_OP_ID in op and len(op[CTRL_ATTR_OP_ID]) >= 4:
                fl = op.get(CTRL_ATTR_OP_FLAGS, b"\0\0\0\0")
                ops.append((_U32.unpack_from(op[CTRL_ATTR_OP_ID])[0],
                            _U32.unpack_from(fl)[0] if len(fl) >= 4 else 0))
        return tuple(ops)
    if kind == "mcast_groups":
        groups: dict[str, int] = {}
        for nest in _nested(raw).values():
            grp = _nested(nest)
            name, gid = grp.get(CTRL_ATTR_MCAST_GRP_NAME), grp.get(CTRL_ATTR_MCAST_GRP_ID)
            if name is not None and gid is not None and len(gid) >= 4:
                groups[name.split(b"\0", 1)[0].decode("utf-8", "replace")] = _U32.unpack_from(gid)[0]
        return groups
    return raw


class _Reject(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def _conv_mac(raw: bytes) -> bytes:
    if len(raw) < 6:
        raise _Reject(errno.ERANGE, f"an address needs 6 bytes, not {len(raw)}")
    return raw[:6] if len(raw) > 6 else raw


def _conv_u32(raw: bytes) -> int:
    if len(raw) < 4:
        raise _Reject(errno.ERANGE, f"a u32 needs 4 bytes, not {len(raw)}")
    return _U32.unpack_from(raw)[0]


def _conv_s32(raw: bytes) -> int:
    if len(raw) < 4:
        raise _Reject(errno.ERANGE, f"a u32 needs 4 bytes, not {len(raw)}")
    return _S32.unpack_from(raw)[0]


def _conv_u64(raw: bytes) -> int:
    if len(raw) < 8:
        raise _Reject(errno.ERANGE, f"a u64 needs 8 bytes, not {len(raw)}")
    return _U64.unpack_from(raw)[0]


def _conv_frame(raw: bytes) -> bytes:
    if len(raw) > MAX_FRAME:
        raise _Reject(errno.ERANGE, f"FRAME of {len(raw)} bytes is longer than {MAX_FRAME}")
    return raw


_RATE_CACHE: dict[tuple[str, bytes], Any] = {}  # a medium sees few distinct rate lists: parse each once


def _cached(kind: str) -> Any:
    def conv(raw: bytes) -> Any:
        v = _RATE_CACHE.get((kind, raw))
        if v is None:
            v = _from_wire(kind, raw)
            if len(_RATE_CACHE) > 4096:
                _RATE_CACHE.clear()
            _RATE_CACHE[(kind, raw)] = v
        return v
    return conv


def _generic(kind: str) -> Any:
    return lambda raw: _from_wire(kind, raw)


_FAST = {"mac": _conv_mac, "u32": _conv_u32, "s32": _conv_s32, "u64": _conv_u64, "frame": _conv_frame,
         "tx_info": _cached("tx_info"), "tx_info_flags": _cached("tx_info_flags")}
