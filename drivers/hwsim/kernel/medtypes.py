"""The vocabulary shared by the medium kernel's two implementations (the C
kernel in ckernel.py and the Python reference): constants mirroring
_medium.h, the transmit request and the kernel's output events."""

from __future__ import annotations

import zlib
from typing import NamedTuple

PERFECT = 0
MODELED = 1

RADIO_STOPPED = 0
RADIO_STARTED = 1
RADIO_OFFCHAN = 2

FIF_PROMISC = 0x1
FIF_BEACONS = 0x2
FIF_PROBE_REQ = 0x4
FIF_ALLMULTI = 0x8

ADDR_OWN = 0x1
ADDR_BSS = 0x2

FT_OTHER = 0
FT_BEACON = 1
FT_PROBE_REQ = 2

TXF_NEEDS_ACK = 0x1

AC_VO = 0
AC_VI = 1
AC_BE = 2
AC_BK = 3

EV_RX = 1
EV_STATUS = 2

RXF_RETRY = 0x1
STF_ACKED = 0x1
STF_DROPPED = 0x2

BROADCAST = 0xFFFF_FFFF_FFFF

FCS_LEN = 4  # the FCS a frame carries on the air, counted in its airtime

COUNTERS = ("frames", "attempts", "retries", "acks", "link_evals", "filtered", "deliveries",
            "drops", "collisions", "halfduplex", "queue_drops", "acked", "not_acked", "collided",
            "rts", "cts", "navs", "bcn_filtered")


class TxReq(NamedTuple):
    """Metadata of one frame handed to the kernel (its bytes stay in Python)."""

    radio: int
    length: int
    addr1: int
    addr2: int = 0
    addr3: int = 0
    bssid: int = 0
    freq: int = 0
    kind: int = FT_OTHER
    flags: int = 0
    ac: int = AC_BE
    rates: tuple[tuple[int, int], ...] = ((0, 1),)
    rate_flags: tuple[int, ...] = ()  # hwsim_tx_rate_flags of each chain entry (rates.py); none: 0
    tag: int = 0  # a beacon's elements hashed, TIM aside (beacon_tag); 0: unknown (bf_set)


class MedEvent(NamedTuple):
    """A delivery (EV_RX) or a transmit status (EV_STATUS) at time_ns."""

    time_ns: int
    frame_id: int
    kind: int
    radio: int
    signal: int
    freq: int
    rate_idx: int
    flags: int
    rates: tuple[int, int, int, int]
    tries: tuple[int, int, int, int]


def pack4(values: tuple[int, int, int, int]) -> int:
    """Four octets (signed or not) as one little-endian int, as `CKernel.pop_raw` gives them."""
    return int.from_bytes(bytes(v & 0xFF for v in values), "little")


def unpack4(packed: int, signed: bool = False) -> tuple[int, int, int, int]:
    """The four octets of `pack4`, as int8 if `signed`."""
    b = packed.to_bytes(4, "little")
    if signed:
        return tuple(x - 256 if x > 127 else x for x in b)  # type: ignore[return-value]  # four octets
    return b[0], b[1], b[2], b[3]


def mac_to_int(mac: bytes | str) -> int:
    """A MAC address (6 bytes or 'aa:bb:..') as the kernel's 48-bit integer."""
    if isinstance(mac, str):
        mac = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(mac) != 6:
        raise ValueError(f"a MAC address has 6 octets, not {len(mac)}")
    return int.from_bytes(mac, "big")


def int_to_mac(value: int) -> str:
    return ":".join(f"{b:02x}" for b in value.to_bytes(6, "big"))


MIN_FRAME = 10  # an ACK/CTS: frame control, duration, addr1
HDR_3ADDR = 24


_BEACON_BODY = HDR_3ADDR + 8  # the tag starts after the timestamp: at the beacon interval
_ELEM_TIM = 5


def beacon_tag(frame: bytes) -> int:
    """A beacon's tag for the radios' beacon filters (TxReq.tag): its beacon
    interval, capability and elements hashed (CRC-32), the TIM left out (it
    changes with the DTIM count and as stations doze); never 0.  Elements
    past a malformed one are hashed as they are."""
    n = len(frame)
    i = _BEACON_BODY + 4
    while i + 2 <= n:
        if frame[i] == _ELEM_TIM:
            tag = zlib.crc32(frame[i + 2 + frame[i + 1]:], zlib.crc32(frame[_BEACON_BODY:i]))
            return tag or 1
        i += 2 + frame[i + 1]
    return zlib.crc32(frame[_BEACON_BODY:]) or 1


def parse_header(frame: bytes) -> tuple[int, int, int, int, int] | None:
    """(addr1, addr2, addr3, bssid, kind) of an 802.11 frame, None if too short."""
    n = len(frame)
    if n < MIN_FRAME:
        return None
    fc0, fc1 = frame[0], frame[1]
    ftype, sub = (fc0 >> 2) & 3, fc0 >> 4
    if ftype in (0, 2) and n < HDR_3ADDR:
        return None
    addr1 = int.from_bytes(frame[4:10], "big")
    addr2 = int.from_bytes(frame[10:16], "big") if n >= 16 else 0
    addr3 = int.from_bytes(frame[16:22], "big") if n >= 22 else 0
    kind, bssid = FT_OTHER, 0
    if ftype == 0:
        bssid = addr3
        kind = FT_BEACON if sub == 8 else FT_PROBE_REQ if sub == 4 else FT_OTHER
    elif ftype == 2:
        bssid = (addr3, addr1, addr2, 0)[fc1 & 3]  # by ToDS/FromDS
    return addr1, addr2, addr3, bssid, kind
