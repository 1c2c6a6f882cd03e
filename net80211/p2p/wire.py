"""Wi-Fi P2P wire formats: P2P attributes, the P2P public action frames
(GO negotiation, invitation, provision discovery) and the WPS bits P2P
carries (device name, config methods).  Sans-IO; parse errors are FrameError."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field

from net80211.wire.frame import FrameError
from net80211.wire.ie import OUI_WFA, IEList, p2p_attributes, p2p_ies, wps_ies, wps_payload

P2P_OUI_TYPE = 9
CAT_PUBLIC, ACT_VENDOR = 4, 9
P2P_PUBLIC_PREFIX = bytes((CAT_PUBLIC, ACT_VENDOR)) + OUI_WFA + bytes((P2P_OUI_TYPE,))
SOCIAL_CHANNELS = (1, 6, 11)
COUNTRY = b"XX\x04"  # "XX" and the global operating-class table (as wpa_supplicant's default)


class Attr(enum.IntEnum):
    STATUS = 0
    MINOR_REASON = 1
    CAPABILITY = 2
    DEVICE_ID = 3
    GO_INTENT = 4
    CONFIG_TIMEOUT = 5
    LISTEN_CHANNEL = 6
    GROUP_BSSID = 7
    INTENDED_INTERFACE_ADDR = 9
    CHANNEL_LIST = 11
    DEVICE_INFO = 13
    GROUP_INFO = 14
    GROUP_ID = 15
    OPERATING_CHANNEL = 17
    INVITATION_FLAGS = 18


class Subtype(enum.IntEnum):
    GO_NEG_REQ = 0
    GO_NEG_RESP = 1
    GO_NEG_CONF = 2
    INVITATION_REQ = 3
    INVITATION_RESP = 4
    DEV_DISC_REQ = 5
    DEV_DISC_RESP = 6
    PROV_DISC_REQ = 7
    PROV_DISC_RESP = 8


class Status(enum.IntEnum):
    SUCCESS = 0
    INFO_UNAVAILABLE = 1
    INCOMPATIBLE_PARAMS = 2
    LIMIT_REACHED = 3
    INVALID_PARAMS = 4
    UNABLE_TO_ACCOMMODATE = 5
    PREV_PROTOCOL_ERROR = 6
    NO_COMMON_CHANNELS = 7
    UNKNOWN_GROUP = 8
    BOTH_GO_INTENT_15 = 9
    INCOMPATIBLE_PROV_METHOD = 10
    REJECTED_BY_USER = 11


class ConfigMethod(enum.IntFlag):
    DISPLAY = 0x0008
    PBC = 0x0080
    KEYPAD = 0x0100


DEV_CAPAB_SD = 0x01
DEV_CAPAB_CONCURRENT = 0x04
DEV_CAPAB_INVITATION = 0x20
GROUP_CAPAB_GO = 0x01
GROUP_CAPAB_PERSISTENT = 0x02
GROUP_CAPAB_FORMATION = 0x40
WPS_DEV_NAME, WPS_CONFIG_METHODS, WPS_DEV_PASSWORD_ID = 0x1011, 0x1008, 0x1012
DEFAULT_DEV_TYPE = b"\x00\x01\x00\x50\xf2\x04\x00\x01"  # 1-0050F204-1: computer, PC


def op_class(chan: int) -> int:
    """The global operating class of a 20 MHz channel."""
    if 1 <= chan <= 13:
        return 81
    if chan == 14:
        return 82
    if 36 <= chan <= 48:
        return 115
    if 52 <= chan <= 64:
        return 118
    if 100 <= chan <= 144:
        return 121
    return 124 if chan <= 161 else 125


def chan_attr(chan: int) -> bytes:
    return COUNTRY + bytes((op_class(chan), chan))


def parse_chan_attr(body: bytes) -> int:
    if len(body) != 5:
        raise FrameError("channel attribute is not 5 bytes")
    return body[4]


def channel_list(chans: list[int]) -> bytes:
    groups: dict[int, list[int]] = {}
    for c in sorted(chans):
        groups.setdefault(op_class(c), []).append(c)
    out = bytearray(COUNTRY)
    for cls, cs in groups.items():
        out += bytes((cls, len(cs), *cs))
    return bytes(out)


def parse_channel_list(body: bytes) -> list[int]:
    if len(body) < 3:
        raise FrameError("channel list shorter than its country string")
    out, i = [], 3
    while i < len(body):
        if i + 2 > len(body) or i + 2 + body[i + 1] > len(body):
            raise FrameError("channel list entry overruns the attribute")
        out += list(body[i + 2:i + 2 + body[i + 1]])
        i += 2 + body[i + 1]
    return out


def pri_dev_type_str(t: bytes) -> str:
    """wpa_supplicant's `cat-OUI-sub` form, e.g. 1-0050F204-1."""
    cat, oui, sub = struct.unpack(">H4sH", t)
    return f"{cat}-{oui.hex().upper()}-{sub}"


@dataclass
class DeviceInfo:
    addr: bytes
    config_methods: int
    pri_dev_type: bytes
    name: str

    def to_bytes(self) -> bytes:
        name = self.name.encode()[:32]
        return (self.addr + struct.pack(">H", self.config_methods) + self.pri_dev_type + b"\x00"
                + struct.pack(">HH", WPS_DEV_NAME, len(name)) + name)

    @classmethod
    def parse(cls, body: bytes) -> DeviceInfo:
        if len(body) < 17:
            raise FrameError("P2P device info too short")
        addr, cm, pdt, nsec = body[:6], struct.unpack(">H", body[6:8])[0], body[8:16], body[16]
        i = 17 + 8 * nsec
        if i + 4 > len(body):
            raise FrameError("P2P device info truncated before the device name")
        t, n = struct.unpack(">HH", body[i:i + 4])
        if t != WPS_DEV_NAME or i + 4 + n > len(body):
            raise FrameError("P2P device info has no valid device name")
        return cls(addr, cm, pdt, body[i + 4:i + 4 + n].decode(errors="replace"))


def client_info(device_info: bytes, intf: bytes, dev_capab: int) -> bytes:
    """A P2P Client Info Descriptor of the Group Info attribute: the client's
    device address, its interface address, its device capability, then the
    rest of its P2P Device Info (config methods, device types, name)."""
    body = device_info[:6] + intf + bytes((dev_capab,)) + device_info[6:]
    if len(body) > 255:
        raise FrameError("P2P client info descriptor longer than 255 bytes")
    return bytes((len(body),)) + body


def parse_group_info(body: bytes) -> list[tuple[bytes, int, DeviceInfo]]:
    """The Group Info attribute: (interface address, device capability,
    device info) of each client."""
    out = []
    i = 0
    while i < len(body):
        n = body[i]
        d = body[i + 1:i + 1 + n]
        if n < 13 or len(d) < n:
            raise FrameError("truncated P2P client info descriptor")
        out.append((d[6:12], d[12], DeviceInfo.parse(d[:6] + d[13:])))
        i += 1 + n
    return out


@dataclass
class P2PAction:
    """One P2P public action frame body: subtype, dialog token, attributes, WPS blob."""

    subtype: int
    token: int
    attrs: dict[int, bytes] = field(default_factory=dict)
    wps: bytes | None = None

    def to_body(self) -> bytes:
        ies = p2p_ies(sorted(self.attrs.items()))
        if self.wps is not None:
            ies += wps_ies(self.wps)
        return P2P_PUBLIC_PREFIX + bytes((self.subtype, self.token)) + IEList(ies).to_bytes()

    @classmethod
    def parse_body(cls, body: bytes) -> P2PAction:
        if len(body) < 8 or not body.startswith(P2P_PUBLIC_PREFIX):
            raise FrameError("not a P2P public action frame")
        ies = IEList.parse(body[8:])
        attrs = dict(p2p_attributes(ies) or ())
        return cls(body[6], body[7], attrs, wps_payload(ies))

    def get(self, attr: int, size: int | None = None) -> bytes | None:
        v = self.attrs.get(attr)
        if v is not None and size is not None and len(v) != size:
            raise FrameError(f"P2P attribute {attr} is {len(v)} bytes, not {size}")
        return v

    def status(self) -> int:
        """The Status attribute of a response or confirmation (INVALID_PARAMS
        when it carries none)."""
        st = self.get(Attr.STATUS, 1)
        return st[0] if st else int(Status.INVALID_PARAMS)


def wps_tlv(t: int, value: bytes) -> bytes:
    return struct.pack(">HH", t, len(value)) + value


def wps_get(blob: bytes | None, t: int) -> bytes | None:
    i = 0
    while blob is not None and i + 4 <= len(blob):
        tt, n = struct.unpack(">HH", blob[i:i + 4])
        if i + 4 + n > len(blob):
            raise FrameError("WPS attribute overruns the WPS IE")
        if tt == t:
            return blob[i + 4:i + 4 + n]
        i += 4 + n
    return None
