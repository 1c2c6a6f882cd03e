"""Channels: IEEE number, centre frequency and the flags policy needs."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ChanFlags(enum.IntFlag):
    B2GHZ = 0x1
    B5GHZ = 0x2
    DFS = 0x4  # radar detection required before transmitting (CAC)


@dataclass(frozen=True, order=True, slots=True)
class Channel:
    """One 20 MHz channel; orders by frequency, equal by (freq, ieee, flags)."""

    freq: int
    ieee: int
    flags: ChanFlags = ChanFlags(0)

    @property
    def is_2ghz(self) -> bool:
        return bool(self.flags & ChanFlags.B2GHZ)

    @property
    def is_5ghz(self) -> bool:
        return bool(self.flags & ChanFlags.B5GHZ)

    @property
    def is_dfs(self) -> bool:
        return bool(self.flags & ChanFlags.DFS)

    def __str__(self) -> str:
        return f"{self.ieee} ({self.freq} MHz{', DFS' if self.is_dfs else ''})"


def ieee_to_freq(ieee: int) -> int:
    """Centre frequency in MHz of a 2.4 or 5 GHz channel number."""
    if ieee == 14:
        return 2484
    if 1 <= ieee <= 13:
        return 2407 + 5 * ieee
    if 32 <= ieee <= 177:
        return 5000 + 5 * ieee
    raise ValueError(f"no 2.4/5 GHz channel number {ieee}")


def freq_to_ieee(freq: int) -> int:
    if freq == 2484:
        return 14
    if 2412 <= freq <= 2472 and (freq - 2407) % 5 == 0:
        return (freq - 2407) // 5
    if 5160 <= freq <= 5885 and freq % 5 == 0:
        return (freq - 5000) // 5
    raise ValueError(f"no 2.4/5 GHz channel at {freq} MHz")


_5GHZ = (36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124,
         128, 132, 136, 140, 144, 149, 153, 157, 161, 165)


def _make(ieee: int) -> Channel:
    freq = ieee_to_freq(ieee)
    if freq < 3000:
        return Channel(freq, ieee, ChanFlags.B2GHZ)
    flags = ChanFlags.B5GHZ
    if 52 <= ieee <= 144:
        flags |= ChanFlags.DFS
    return Channel(freq, ieee, flags)


CHANNELS_2GHZ: tuple[Channel, ...] = tuple(_make(i) for i in range(1, 15))
CHANNELS_5GHZ: tuple[Channel, ...] = tuple(_make(i) for i in _5GHZ)
ALL_CHANNELS: tuple[Channel, ...] = CHANNELS_2GHZ + CHANNELS_5GHZ


def find_channel(channels: tuple[Channel, ...] | list[Channel], key: int | Channel) -> Channel:
    """The channel of `channels` with that IEEE number, frequency or identity.

    Numbers below 1000 are IEEE channel numbers, others frequencies in MHz.
    Raises ValueError naming the channel when the list does not have it.
    """
    for c in channels:
        if c == key or (isinstance(key, int) and (c.ieee == key if key < 1000 else c.freq == key)):
            return c
    what = "channel" if not isinstance(key, int) or key < 1000 else "frequency"
    raise ValueError(f"{what} {key} is not supported by this device")
