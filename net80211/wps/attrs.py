"""WPS (Wi-Fi Simple Configuration) attributes: the type-length-value codec
and the attribute, message and value numbers of the WSC 2.0 specification.

Sans-IO.  `parse` refuses anything malformed with `FrameError` (an
attribute overrunning the buffer, a size an attribute may not have); it
never returns a partial list."""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable

from net80211.wire.frame import FrameError

MAX_MESSAGE = 4096  # bytes of one WSC message we take (ours are ~600)


class A(enum.IntEnum):
    """Attribute types (WSC 2.0 table 28)."""

    ASSOC_STATE = 0x1002
    AUTH_TYPE = 0x1003
    AUTH_TYPE_FLAGS = 0x1004
    AUTHENTICATOR = 0x1005
    CONFIG_METHODS = 0x1008
    CONFIG_ERROR = 0x1009
    CONN_TYPE_FLAGS = 0x100D
    CREDENTIAL = 0x100E
    ENCR_TYPE = 0x100F
    ENCR_TYPE_FLAGS = 0x1010
    DEV_NAME = 0x1011
    DEV_PASSWORD_ID = 0x1012
    E_HASH1 = 0x1014
    E_HASH2 = 0x1015
    E_SNONCE1 = 0x1016
    E_SNONCE2 = 0x1017
    ENCR_SETTINGS = 0x1018
    ENROLLEE_NONCE = 0x101A
    KEY_WRAP_AUTH = 0x101E
    MAC_ADDR = 0x1020
    MANUFACTURER = 0x1021
    MSG_TYPE = 0x1022
    MODEL_NAME = 0x1023
    MODEL_NUMBER = 0x1024
    NETWORK_INDEX = 0x1026
    NETWORK_KEY = 0x1027
    NETWORK_KEY_INDEX = 0x1028
    OS_VERSION = 0x102D
    PUBLIC_KEY = 0x1032
    REGISTRAR_NONCE = 0x1039
    RF_BANDS = 0x103C
    R_HASH1 = 0x103D
    R_HASH2 = 0x103E
    R_SNONCE1 = 0x103F
    R_SNONCE2 = 0x1040
    SELECTED_REGISTRAR = 0x1041
    SERIAL_NUMBER = 0x1042
    WPS_STATE = 0x1044
    SSID = 0x1045
    UUID_E = 0x1047
    UUID_R = 0x1048
    VENDOR_EXT = 0x1049
    VERSION = 0x104A
    PRIMARY_DEV_TYPE = 0x1054
    SEL_REG_CONFIG_METHODS = 0x1053
    RESPONSE_TYPE = 0x103B
    REQUEST_TYPE = 0x103A


class Msg(enum.IntEnum):
    """Message Type values."""

    BEACON = 0x01
    PROBE_REQ = 0x02
    PROBE_RESP = 0x03
    M1 = 0x04
    M2 = 0x05
    M2D = 0x06
    M3 = 0x07
    M4 = 0x08
    M5 = 0x09
    M6 = 0x0A
    M7 = 0x0B
    M8 = 0x0C
    ACK = 0x0D
    NACK = 0x0E
    DONE = 0x0F


class ConfigError(enum.IntEnum):
    NO_ERROR = 0
    MULTIPLE_PBC_DETECTED = 12
    MSG_TIMEOUT = 16
    DEV_PASSWORD_AUTH_FAILURE = 18


class DevPw(enum.IntEnum):
    """Device Password ID."""

    DEFAULT = 0x0000  # a PIN
    USER_SPECIFIED = 0x0001
    MACHINE_SPECIFIED = 0x0002
    REKEY = 0x0003
    PUSHBUTTON = 0x0004
    REGISTRAR_SPECIFIED = 0x0005


AUTH_OPEN, AUTH_WPA2PSK = 0x0001, 0x0020
ENCR_NONE, ENCR_AES = 0x0001, 0x0008
CONN_ESS = 0x01
CM_DISPLAY, CM_PBC, CM_KEYPAD = 0x0008, 0x0080, 0x0100
CM_VIRT_PBC, CM_PHY_PBC = 0x0280, 0x0480
CM_P2PS = 0x1000
WPS_STATE_NOT_CONFIGURED, WPS_STATE_CONFIGURED = 1, 2
RF_24GHZ, RF_5GHZ = 0x01, 0x02
VERSION1 = 0x10  # the Version attribute is always 0x10 (WSC 2.0 puts 2.0 in the WFA extension)
WFA_VENDOR = b"\x00\x37\x2a"
WFA_ELEM_VERSION2 = 0x00
VERSION2 = 0x20

# Attributes whose value has exactly one size.
FIXED = {
    A.VERSION: 1, A.MSG_TYPE: 1, A.UUID_E: 16, A.UUID_R: 16, A.MAC_ADDR: 6, A.ENROLLEE_NONCE: 16,
    A.REGISTRAR_NONCE: 16, A.PUBLIC_KEY: 192, A.AUTH_TYPE_FLAGS: 2, A.ENCR_TYPE_FLAGS: 2,
    A.CONN_TYPE_FLAGS: 1, A.CONFIG_METHODS: 2, A.WPS_STATE: 1, A.PRIMARY_DEV_TYPE: 8, A.RF_BANDS: 1,
    A.ASSOC_STATE: 2, A.DEV_PASSWORD_ID: 2, A.CONFIG_ERROR: 2, A.OS_VERSION: 4, A.AUTHENTICATOR: 8,
    A.E_HASH1: 32, A.E_HASH2: 32, A.R_HASH1: 32, A.R_HASH2: 32, A.E_SNONCE1: 16, A.E_SNONCE2: 16,
    A.R_SNONCE1: 16, A.R_SNONCE2: 16, A.KEY_WRAP_AUTH: 8, A.AUTH_TYPE: 2, A.ENCR_TYPE: 2,
    A.NETWORK_INDEX: 1, A.SELECTED_REGISTRAR: 1, A.SEL_REG_CONFIG_METHODS: 2, A.RESPONSE_TYPE: 1,
    A.REQUEST_TYPE: 1,
}
# Attributes with a bound: (min, max) bytes.
BOUNDED = {
    A.MANUFACTURER: (0, 64), A.MODEL_NAME: (0, 32), A.MODEL_NUMBER: (0, 32), A.SERIAL_NUMBER: (0, 32),
    A.DEV_NAME: (0, 32), A.SSID: (1, 32), A.NETWORK_KEY: (0, 64), A.ENCR_SETTINGS: (32, MAX_MESSAGE),
    A.CREDENTIAL: (1, MAX_MESSAGE), A.VENDOR_EXT: (3, 1024),
}

Attrs = list[tuple[int, bytes]]


def tlv(t: int, value: bytes) -> bytes:
    return struct.pack(">HH", t, len(value)) + value


def build(attrs: Iterable[tuple[int, bytes]]) -> bytes:
    return b"".join(tlv(t, v) for t, v in attrs)


def parse(buf: bytes) -> Attrs:
    """Every attribute in order; FrameError for a malformed buffer or an
    attribute of a size it may not have."""
    if len(buf) > MAX_MESSAGE:
        raise FrameError(f"WPS message of {len(buf)} bytes is too long")
    out: Attrs = []
    i = 0
    while i < len(buf):
        if i + 4 > len(buf):
            raise FrameError("WPS attribute header truncated")
        t, n = struct.unpack_from(">HH", buf, i)
        if i + 4 + n > len(buf):
            raise FrameError(f"WPS attribute 0x{t:04x} overruns the message")
        v = bytes(buf[i + 4:i + 4 + n])
        size = FIXED.get(t)
        if size is not None and n != size:
            raise FrameError(f"WPS attribute 0x{t:04x} is {n} bytes, not {size}")
        bound = BOUNDED.get(t)
        if bound is not None and not bound[0] <= n <= bound[1]:
            raise FrameError(f"WPS attribute 0x{t:04x} of {n} bytes is outside {bound[0]}..{bound[1]}")
        out.append((t, v))
        i += 4 + n
    return out


def get(attrs: Attrs, t: int) -> bytes | None:
    """The first value of attribute `t` (None if absent)."""
    for tt, v in attrs:
        if tt == t:
            return v
    return None


def need(attrs: Attrs, t: int) -> bytes:
    v = get(attrs, t)
    if v is None:
        raise FrameError(f"WPS attribute 0x{t:04x} missing")
    return v


def u16(v: bytes) -> int:
    return int.from_bytes(v, "big")


def version2_ext() -> bytes:
    """The WFA vendor extension carrying Version2 = 2.0."""
    return WFA_VENDOR + bytes((WFA_ELEM_VERSION2, 1, VERSION2))


def pin_checksum(pin7: int) -> int:
    """The WPS PIN checksum digit of a 7-digit number."""
    acc, v = 0, pin7
    for i in range(7):
        acc += (v % 10) * (3 if i % 2 == 0 else 1)
        v //= 10
    return (10 - acc % 10) % 10


def pin_valid(pin: str) -> bool:
    """An 8-digit PIN whose last digit is its checksum (4-digit PINs carry none)."""
    if not pin.isascii() or not pin.isdigit():
        return False
    if len(pin) == 4:
        return True
    return len(pin) == 8 and pin_checksum(int(pin[:7])) == int(pin[7])
