"""Classic pcap files: a writer (µs timestamps, link type 127 radiotap or
105 bare 802.11) and a small reader for tests and tools."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from net80211.wire.frame import FrameError
from net80211.wire.outfile import open_output
from net80211.wire.radiotap import Radiotap

__all__ = ["LINKTYPE_IEEE802_11", "LINKTYPE_RADIOTAP", "PcapWriter", "read_pcap"]

LINKTYPE_IEEE802_11 = 105
LINKTYPE_RADIOTAP = 127
MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D

_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


class PcapWriter:
    """Write packets to a pcap file; a context manager.  `dest` is a path
    (opened and closed here, never through a symlink: `open_output`) or a
    binary file object (left open)."""

    def __init__(self, dest: str | os.PathLike[str] | BinaryIO, linktype: int = LINKTYPE_RADIOTAP,
                 snaplen: int = 65535) -> None:
        if linktype not in (LINKTYPE_RADIOTAP, LINKTYPE_IEEE802_11):
            raise ValueError(f"link type {linktype} is not 127 (radiotap) or 105 (802.11)")
        if not 1 <= snaplen <= 0x7FFFFFFF:
            raise ValueError("snaplen must be positive")
        self.linktype = linktype
        self.snaplen = snaplen
        self.packets = 0
        if isinstance(dest, (str, os.PathLike)):
            self._f: BinaryIO = open_output(dest)
            self._owned = True
        else:
            self._f = dest
            self._owned = False
        self._f.write(_GLOBAL.pack(MAGIC_US, 2, 4, 0, 0, snaplen, linktype))

    def write(self, packet: bytes, ts_ns: int, orig_len: int | None = None) -> None:
        """One record at `ts_ns` nanoseconds (truncated to µs); the packet is
        cut to snaplen, `orig_len` defaults to its full length."""
        if self._f is None:
            raise ValueError("pcap writer is closed")
        if not isinstance(ts_ns, int) or not 0 <= ts_ns < 2**32 * 10**9:
            raise ValueError("timestamp must be non-negative integer nanoseconds within 32-bit seconds")
        if orig_len is None:
            orig_len = len(packet)
        if orig_len < len(packet):
            raise ValueError("orig_len is shorter than the packet")
        data = packet[:self.snaplen]
        sec, rem = divmod(ts_ns, 1_000_000_000)
        self._f.write(_RECORD.pack(sec, rem // 1000, len(data), orig_len))
        self._f.write(data)
        self.packets += 1

    def write_dot11(self, mpdu: bytes, ts_ns: int, radiotap: Radiotap | None = None) -> None:
        """Write an MPDU (no FCS) framed for this file's link type: with the
        radiotap header (and an FCS iff its Flags say so) on 127, bare on 105."""
        if self.linktype == LINKTYPE_RADIOTAP:
            self.write((radiotap or Radiotap()).wrap(mpdu), ts_ns)
        else:
            self.write(mpdu, ts_ns)

    def flush(self) -> None:
        if self._f is not None:
            self._f.flush()

    def close(self) -> None:
        if self._f is None:
            return
        if self._owned:
            self._f.close()
        else:
            self._f.flush()
        self._f = None  # type: ignore[assignment]  # closed: every method checks for None first

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_pcap(src: str | os.PathLike[str] | BinaryIO) -> tuple[int, Iterator[tuple[int, bytes, int]]]:
    """(link type, records) of a classic pcap (either byte order, µs or ns
    timestamps); each record is (timestamp ns, data, orig_len).  Truncation
    or an inconsistent record raises FrameError."""
    data = _read_all(src)
    if len(data) < 24:
        raise FrameError("pcap shorter than its global header")
    for endian in "<>":
        magic = struct.unpack_from(endian + "I", data)[0]
        if magic in (MAGIC_US, MAGIC_NS):
            break
    else:
        raise FrameError("not a pcap file")
    scale = 1000 if magic == MAGIC_US else 1
    _m, _vmaj, _vmin, _tz, _sig, snaplen, linktype = struct.unpack_from(endian + "IHHiIII", data)
    rec = struct.Struct(endian + "IIII")

    def records() -> Iterator[tuple[int, bytes, int]]:
        off = 24
        while off < len(data):
            if off + 16 > len(data):
                raise FrameError("truncated pcap record header")
            sec, frac, incl, orig = rec.unpack_from(data, off)
            off += 16
            if incl > orig or incl > snaplen or off + incl > len(data):
                raise FrameError("inconsistent pcap record lengths")
            yield sec * 1_000_000_000 + frac * scale, data[off:off + incl], orig
            off += incl

    return linktype, records()


def _read_all(src: str | os.PathLike[str] | BinaryIO) -> bytes:
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as f:
            return f.read()
    return src.read()
