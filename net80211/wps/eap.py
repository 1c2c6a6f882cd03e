"""EAP-WSC over EAPOL: the frames WPS runs in (RFC 3748 EAP, the expanded
type with the WFA vendor id and the SimpleConfig vendor type, the WSC
op-codes and flags).  Sans-IO; malformed input raises FrameError."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from net80211.wire.frame import FrameError

EAPOL_VERSION = 2  # hostapd's eapol_version default; a supplicant answers in the version it heard
EAPOL_EAP, EAPOL_START, EAPOL_LOGOFF = 0, 1, 2
EAP_REQUEST, EAP_RESPONSE, EAP_SUCCESS, EAP_FAILURE = 1, 2, 3, 4
EAP_TYPE_IDENTITY, EAP_TYPE_EXPANDED = 1, 254
WFA_VENDOR_ID = 0x00372A
WSC_VENDOR_TYPE = 0x00000001
ENROLLEE_IDENTITY = b"WFA-SimpleConfig-Enrollee-1-0"
REGISTRAR_IDENTITY = b"WFA-SimpleConfig-Registrar-1-0"
FLAG_MF, FLAG_LF = 0x01, 0x02
FRAGMENT_SIZE = 1398  # hostapd's and wpa_supplicant's fragment_size for EAP-WSC
MAX_MESSAGE = 50000  # the longest message either takes in fragments


class Op(enum.IntEnum):
    START = 0x01
    ACK = 0x02
    NACK = 0x03
    MSG = 0x04
    DONE = 0x05
    FRAG_ACK = 0x06


@dataclass(frozen=True, slots=True)
class Eap:
    """One EAP packet: code, identifier and, for a request or response, its
    type and type data (for EAP-WSC: op-code, flags, the message or a
    fragment of it, and with FLAG_LF the whole message's length)."""

    code: int
    ident: int
    type: int | None = None
    data: bytes = b""
    op: int | None = None
    flags: int = 0
    total: int = 0

    def to_bytes(self) -> bytes:
        if self.code in (EAP_SUCCESS, EAP_FAILURE):
            return struct.pack(">BBH", self.code, self.ident, 4)
        assert self.type is not None
        if self.type == EAP_TYPE_EXPANDED:
            assert self.op is not None
            length = self.total.to_bytes(2, "big") if self.flags & FLAG_LF else b""
            body = (bytes((EAP_TYPE_EXPANDED,)) + WFA_VENDOR_ID.to_bytes(3, "big")
                    + WSC_VENDOR_TYPE.to_bytes(4, "big") + bytes((self.op, self.flags)) + length
                    + self.data)
        else:
            body = bytes((self.type,)) + self.data
        return struct.pack(">BBH", self.code, self.ident, 4 + len(body)) + body

    @classmethod
    def parse(cls, buf: bytes) -> Eap:
        if len(buf) < 4:
            raise FrameError("EAP packet shorter than its header")
        code, ident, length = struct.unpack_from(">BBH", buf)
        if length < 4 or length > len(buf):
            raise FrameError(f"EAP length {length} does not fit the {len(buf)} bytes received")
        buf = buf[:length]
        if code in (EAP_SUCCESS, EAP_FAILURE):
            if length != 4:
                raise FrameError("EAP Success/Failure with data")
            return cls(code, ident)
        if code not in (EAP_REQUEST, EAP_RESPONSE):
            raise FrameError(f"EAP code {code} unknown")
        if length < 5:
            raise FrameError("EAP request/response without a type")
        etype = buf[4]
        if etype != EAP_TYPE_EXPANDED:
            return cls(code, ident, etype, bytes(buf[5:]))
        if length < 14:
            raise FrameError("EAP expanded type header truncated")
        vendor = int.from_bytes(buf[5:8], "big")
        vtype = int.from_bytes(buf[8:12], "big")
        if vendor != WFA_VENDOR_ID or vtype != WSC_VENDOR_TYPE:
            raise FrameError(f"EAP expanded type {vendor:06x}/{vtype} is not WSC")
        op, flags = buf[12], buf[13]
        if op not in Op.__members__.values():
            raise FrameError(f"WSC op-code {op} unknown")
        data = bytes(buf[14:])
        total = 0
        if flags & FLAG_LF:
            if len(data) < 2:
                raise FrameError("WSC length field truncated")
            total, data = int.from_bytes(data[:2], "big"), data[2:]
        return cls(code, ident, etype, data, op, flags, total)


def eapol(ptype: int, body: bytes = b"", version: int = EAPOL_VERSION) -> bytes:
    return struct.pack(">BBH", version, ptype, len(body)) + body


def parse_eapol(pdu: bytes) -> tuple[int, int, bytes]:
    """(version, packet type, body) of an EAPOL frame."""
    if len(pdu) < 4:
        raise FrameError("EAPOL header truncated")
    version, ptype, length = struct.unpack_from(">BBH", pdu)
    if length > len(pdu) - 4:
        raise FrameError(f"EAPOL body length {length} overruns the frame")
    return version, ptype, bytes(pdu[4:4 + length])


def wsc(code: int, ident: int, op: int, msg: bytes = b"") -> Eap:
    return Eap(code, ident, EAP_TYPE_EXPANDED, msg, op, 0)
