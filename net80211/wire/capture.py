"""Packet capture: pcap files (link type 127) of 802.11 frames with the
radiotap fields a receiver or the medium knows -- TSFT, Flags, Rate, Channel
and, for received frames, the dBm antenna signal.

Timestamps are a wall-clock date: the capture's `epoch_ns` (the world's
`Scheduler.epoch_ns`: the wall clock at start-up in real time, a fixed or
chosen date in virtual time) plus the world's time of the frame.

Used by monitor vaps (`vap.capture(path)`) and by drivers for a medium-wide
capture (hwsim's `HwsimMedium.capture`, like mac80211_hwsim's `hwsim0`).
"""

from __future__ import annotations

import errno
import os
from typing import BinaryIO

from ic import Net80211Error
from net80211.wire.pcap import LINKTYPE_RADIOTAP, PcapWriter
from net80211.wire.radiotap import Radiotap, channel_flags

__all__ = ["Capture", "RATES_2GHZ", "rate_500k", "rate_index", "rx_radiotap"]

# The legacy rate table (500 kb/s units) mac80211_hwsim and wmediumd index:
# 0..3 CCK, 4..11 OFDM on 2.4 GHz; 5 GHz has only the OFDM ones, as 0..7.
RATES_2GHZ = (2, 4, 11, 22, 12, 18, 24, 36, 48, 72, 96, 108)
_OFDM_OFFSET_5GHZ = 4


def rate_500k(freq: int, rate_idx: int) -> int | None:
    """The rate of a rate index on a band, in 500 kb/s units (None: unknown index)."""
    i = rate_idx + (_OFDM_OFFSET_5GHZ if freq >= 3000 else 0)
    return RATES_2GHZ[i] if 0 <= rate_idx and i < len(RATES_2GHZ) else None


def rate_index(freq: int, rate: int) -> int | None:
    """The rate index of a rate in 500 kb/s units on a band (None: not in the table)."""
    try:
        i = RATES_2GHZ.index(rate)
    except ValueError:
        return None
    if freq >= 3000:
        i -= _OFDM_OFFSET_5GHZ
    return i if i >= 0 else None


def rx_radiotap(freq: int, rate_idx: int, tsf_us: int, signal: int | None, flags: int = 0) -> Radiotap:
    """The radiotap header of a frame received (or sent) on `freq`."""
    rate = rate_500k(freq, rate_idx)
    cck = rate is not None and rate in (2, 4, 11, 22)
    sig = None if signal is None else max(-128, min(127, int(signal)))
    return Radiotap(tsft=tsf_us & (2**64 - 1), flags=flags, rate=rate, channel_freq=freq,
                    channel_flags=channel_flags(freq, ofdm=not cck), dbm_antsignal=sig)


class Capture:
    """One open capture: a pcap (link type 127) writer plus a count of frames.

    A write that fails (a full disk) must not raise into the frame path that
    called it: the capture stops there, counts what it dropped, and `close`
    raises the error naming the file."""

    def __init__(self, dest: str | os.PathLike[str] | BinaryIO, *, epoch_ns: int = 0) -> None:
        self.name = os.fspath(dest) if isinstance(dest, (str, os.PathLike)) else \
            str(getattr(dest, "name", "<file object>"))
        try:
            self.writer = PcapWriter(dest, LINKTYPE_RADIOTAP)
        except Net80211Error as e:  # already names the file
            raise Net80211Error(f"capture file {e.strerror}", e.errno) from None
        except OSError as e:
            raise Net80211Error(f"cannot open capture file {self.name!r}: {e.strerror or e}",
                                e.errno) from None
        self.dest = dest
        # Records are stamped epoch_ns + the time handed to `write`: the
        # wall-clock date a world's time 0 stands for (`Scheduler.epoch_ns`).
        self.epoch_ns = int(epoch_ns)
        self.frames = 0
        self.dropped = 0
        self.error: Net80211Error | None = None

    def _failed(self, e: OSError) -> None:
        self.error = Net80211Error(f"capture file {self.name!r}: {e.strerror or e} "
                                   f"after {self.frames} frames", e.errno or errno.EIO)
        try:
            self.writer.close()
        except OSError:
            pass  # the same error again on the buffered rest

    def write(self, frame: bytes, ts_ns: int, radiotap: Radiotap) -> None:
        if self.error is not None:
            self.dropped += 1
            return
        try:
            self.writer.write_dot11(frame, max(0, self.epoch_ns + ts_ns), radiotap)
        except OSError as e:
            self.dropped += 1
            self._failed(e)
            return
        self.frames += 1

    def close(self) -> int:
        """Close the file; how many frames it holds.  An error of the file
        (now or during the capture) raises, naming it."""
        if self.error is None:
            try:
                self.writer.close()
            except OSError as e:
                self._failed(e)
        if self.error is not None:
            raise self.error
        return self.frames
