"""Radiotap headers (radiotap.org): build and parse the fields a capture
needs -- TSFT, Flags, Rate, Channel, dBm antenna signal, MCS (HT) and VHT.

Version 0, le16 length covering all padding, le32 present word; each field
aligned to its natural size counted from the start of the radiotap header
(REFERENCE §7).  The FCS (CRC-32 of the MPDU, little-endian) follows the
frame if and only if Flags has 0x10.
"""

from __future__ import annotations

import enum
import struct
import zlib
from dataclasses import dataclass
from typing import NamedTuple

from net80211.wire.frame import FrameError

__all__ = ["TX_FLAG_NOACK", "RTChannel", "RTFlags", "Radiotap", "TxRadiotap", "channel_flags", "fcs",
           "parse_radiotap_frame", "parse_tx_radiotap"]


class RTFlags(enum.IntFlag):
    CFP = 0x01
    SHORTPRE = 0x02
    WEP = 0x04
    FRAG = 0x08
    FCS = 0x10
    DATAPAD = 0x20
    BADFCS = 0x40
    SHORTGI = 0x80


class RTChannel(enum.IntFlag):
    """Channel field flags."""

    TURBO = 0x0010
    CCK = 0x0020
    OFDM = 0x0040
    GHZ2 = 0x0080
    GHZ5 = 0x0100
    PASSIVE = 0x0200
    DYN = 0x0400
    GFSK = 0x0800


# Present-word bits of the fields handled here, and of the extension bit.
_TSFT, _FLAGS, _RATE, _CHANNEL, _FHSS, _DBM_SIGNAL, _MCS, _VHT = 0, 1, 2, 3, 4, 5, 19, 21
_EXT = 1 << 31
_HDR = struct.Struct("<BBHI")


def fcs(mpdu: bytes) -> bytes:
    """The 4-byte FCS of an MPDU: CRC-32, little-endian."""
    return (zlib.crc32(mpdu) & 0xFFFFFFFF).to_bytes(4, "little")


def channel_flags(freq: int, ofdm: bool = True) -> int:
    """Channel flags for a centre frequency: band plus modulation
    (2.4 GHz: CCK, or dynamic CCK-OFDM for an 11g radio; 5 GHz: OFDM)."""
    if freq < 3000:
        return RTChannel.GHZ2 | (RTChannel.DYN if ofdm else RTChannel.CCK)
    return RTChannel.GHZ5 | RTChannel.OFDM


def _pad(n: int, align: int) -> int:
    return -n % align


# (present bit, alignment, struct code) of the fields built here, in bit order.
_BUILT = ((_TSFT, 8, "Q"), (_FLAGS, 1, "B"), (_RATE, 1, "B"), (_CHANNEL, 2, "HH"), (_DBM_SIGNAL, 1, "b"),
          (_MCS, 1, "BBB"), (_VHT, 2, "HBB4sBBH"))
# MCS field: known (bandwidth, MCS index, guard interval, HT format, FEC type, STBC, Ness),
# flags (bandwidth 0 = 20, 1 = 40 MHz; 0x04 short GI; the others 0: mixed format, BCC, no
# STBC), the index.  VHT field: known (STBC 0x01, guard interval 0x04, bandwidth 0x40),
# flags (0x04 short GI), bandwidth (0, 1, 4, 11 for 20, 40, 80, 160 MHz), mcs_nss per user
# (MCS << 4 | NSS), coding, group id, partial AID.
MCS_KNOWN = 0x7F
MCS_40MHZ, MCS_SGI = 0x01, 0x04
VHT_KNOWN = 0x0045
VHT_SGI = 0x04
VHT_BANDWIDTH = (0, 1, 4, 11)
_LAYOUTS: dict[int, struct.Struct] = {}


def _layout(present: int) -> struct.Struct:
    """The packing of one combination of fields, with the pad bytes that
    align each to its size from the header start; computed once per mask."""
    fmt, off = "<BBHI", 8
    for bit, align, code in _BUILT:
        if present & 1 << bit:
            pad = _pad(off, align)
            fmt += "x" * pad + code
            off += pad + struct.calcsize("<" + code)
    _LAYOUTS[present] = layout = struct.Struct(fmt)
    return layout


@dataclass(frozen=True, slots=True)
class Radiotap:
    """A radiotap header; a None field is absent.  `rate` is in 500 kb/s
    units, `dbm_antsignal` a signed dBm value, `channel_freq` in MHz."""

    tsft: int | None = None
    flags: int | None = None
    rate: int | None = None
    channel_freq: int | None = None
    channel_flags: int = 0
    dbm_antsignal: int | None = None
    mcs: tuple[int, int, int] | None = None  # (known, flags, index)
    vht: tuple[int, int, int, bytes] | None = None  # (known, flags, bandwidth, mcs_nss of 4 users)

    def __post_init__(self) -> None:
        for name, lo, hi in (("tsft", 0, 2**64 - 1), ("flags", 0, 255), ("rate", 0, 255),
                             ("channel_freq", 0, 0xFFFF), ("dbm_antsignal", -128, 127)):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or not lo <= v <= hi):
                raise FrameError(f"radiotap {name} must be an integer in [{lo}, {hi}]")
        if not isinstance(self.channel_flags, int) or not 0 <= self.channel_flags <= 0xFFFF:
            raise FrameError("radiotap channel_flags must be a 16-bit integer")
        if self.mcs is not None and (len(self.mcs) != 3 or not all(
                isinstance(v, int) and 0 <= v <= 255 for v in self.mcs)):
            raise FrameError("radiotap mcs must be three octets (known, flags, index)")
        if self.vht is not None and (len(self.vht) != 4 or not isinstance(self.vht[3], bytes)
                                     or len(self.vht[3]) != 4 or not 0 <= self.vht[0] <= 0xFFFF
                                     or not 0 <= self.vht[1] <= 255 or not 0 <= self.vht[2] <= 255):
            raise FrameError("radiotap vht must be (known, flags, bandwidth, 4 mcs_nss octets)")
        if self.flags is not None and self.flags & RTFlags.DATAPAD:
            raise FrameError("radiotap DATAPAD (padded 802.11 header) is not supported")

    @property
    def has_fcs(self) -> bool:
        return self.flags is not None and bool(self.flags & RTFlags.FCS)

    def to_bytes(self) -> bytes:
        values: list[int | bytes] = []
        present = 0
        if self.tsft is not None:
            present |= 1 << _TSFT
            values.append(self.tsft)
        if self.flags is not None:
            present |= 1 << _FLAGS
            values.append(self.flags)
        if self.rate is not None:
            present |= 1 << _RATE
            values.append(self.rate)
        if self.channel_freq is not None:
            present |= 1 << _CHANNEL
            values += (self.channel_freq, self.channel_flags)
        if self.dbm_antsignal is not None:
            present |= 1 << _DBM_SIGNAL
            values.append(self.dbm_antsignal)
        if self.mcs is not None:
            present |= 1 << _MCS
            values += self.mcs
        if self.vht is not None:
            present |= 1 << _VHT
            values += (*self.vht, 0, 0, 0)  # BCC, group 0 (to one station), no partial AID
        layout = _LAYOUTS.get(present) or _layout(present)
        return layout.pack(0, 0, layout.size, present, *values)

    def wrap(self, mpdu: bytes) -> bytes:
        """Header + MPDU (+ FCS iff Flags says so): one link-type-127 packet."""
        head = self.to_bytes()
        return head + mpdu + fcs(mpdu) if self.has_fcs else head + mpdu

    @classmethod
    def parse(cls, buf: bytes) -> tuple[Radiotap, int]:
        """(header, its length).  MCS and VHT are read when no field between
        dBm antenna signal and them is present; other fields and namespaces
        are skipped: the length field says where the MPDU starts."""
        buf = bytes(buf)
        if len(buf) < 8:
            raise FrameError("shorter than a radiotap header")
        version, _pad_byte, length, present = _HDR.unpack_from(buf)
        if version != 0:
            raise FrameError(f"radiotap version {version} is not supported")
        if length < 8 or length > len(buf):
            raise FrameError(f"radiotap length {length} is outside the packet")
        off = 8
        word = present
        while word & _EXT:  # more present words precede the fields
            if off + 4 > length:
                raise FrameError("radiotap present words overrun the header")
            word = struct.unpack_from("<I", buf, off)[0]
            off += 4

        def field(align: int, size: int) -> int:
            nonlocal off
            off += _pad(off, align)
            if off + size > length:
                raise FrameError("radiotap field overruns the header length")
            start = off
            off += size
            return start

        tsft = flags = rate = freq = signal = None
        chflags = 0
        if present & 1 << _TSFT:
            tsft = struct.unpack_from("<Q", buf, field(8, 8))[0]
        if present & 1 << _FLAGS:
            flags = buf[field(1, 1)]
        if present & 1 << _RATE:
            rate = buf[field(1, 1)]
        if present & 1 << _CHANNEL:
            freq, chflags = struct.unpack_from("<HH", buf, field(2, 4))
        if present & 1 << _FHSS:
            field(1, 2)
        if present & 1 << _DBM_SIGNAL:
            signal = struct.unpack_from("<b", buf, field(1, 1))[0]
        mcs = vht = None
        # the fields between (6..18, 20) have sizes of their own: read on only without them
        if not present & _EXT and not present & (((1 << 19) - 1) & ~((1 << 6) - 1) | 1 << 20):
            if present & 1 << _MCS:
                o = field(1, 3)
                mcs = (buf[o], buf[o + 1], buf[o + 2])
            if present & 1 << _VHT:
                o = field(2, 12)
                known, vflags, bw = struct.unpack_from("<HBB", buf, o)
                vht = (known, vflags, bw, bytes(buf[o + 4:o + 8]))
        return cls(tsft, flags, rate, freq, chflags, signal, mcs, vht), length


def parse_radiotap_frame(buf: bytes) -> tuple[Radiotap, bytes, bool | None]:
    """(radiotap, MPDU without FCS, FCS valid or None when absent) of a
    link-type-127 packet, e.g. a monitor vap's injected frame."""
    rt, length = Radiotap.parse(buf)
    mpdu = bytes(buf[length:])
    if not rt.has_fcs:
        return rt, mpdu, None
    if len(mpdu) < 4:
        raise FrameError("radiotap Flags announce an FCS the packet is too short to hold")
    body, tail = mpdu[:-4], mpdu[-4:]
    return rt, body, fcs(body) == tail


# (alignment, size) of the radiotap fields up to Data Retries (bit 17), by bit.
_FIELD_SHAPES = ((8, 8), (1, 1), (1, 1), (2, 4), (1, 2), (1, 1), (1, 1), (2, 2), (2, 2), (2, 2),
                 (1, 1), (1, 1), (1, 1), (1, 1), (2, 2), (2, 2), (1, 1), (1, 1))
_TX_FLAGS, _DATA_RETRIES = 15, 17
TX_FLAG_NOACK = 0x0008  # IEEE80211_RADIOTAP_F_TX_NOACK


class TxRadiotap(NamedTuple):
    """What an injector's radiotap header asks of a transmission (Linux
    `ieee80211_parse_tx_radiotap`): None where the field is absent."""

    length: int
    flags: int | None
    rate: int | None  # 500 kb/s units
    tx_flags: int | None
    data_retries: int | None


def parse_tx_radiotap(buf: bytes) -> TxRadiotap:
    """The transmit-relevant fields of a radiotap header on an injected frame.

    Walks the first namespace's fields in bit order up to Data Retries; later
    fields need not be understood since the length says where the MPDU starts.
    """
    rt, length = Radiotap.parse(buf)
    present = _HDR.unpack_from(buf)[3]
    off = 8
    word = present
    while word & _EXT:
        word = struct.unpack_from("<I", buf, off)[0]
        off += 4
    tx_flags = retries = None
    for bit, (align, size) in enumerate(_FIELD_SHAPES):
        if not present & 1 << bit:
            continue
        off += _pad(off, align)
        if off + size > length:
            raise FrameError("radiotap field overruns the header length")
        if bit == _TX_FLAGS:
            tx_flags = struct.unpack_from("<H", buf, off)[0]
        elif bit == _DATA_RETRIES:
            retries = buf[off]
        off += size
    return TxRadiotap(length, rt.flags, rt.rate, tx_flags, retries)
