"""Frames seen by a capture (a monitor vap's or the driver's medium-wide
one), for checks such as "the AP beacons" and "WDS data is 4-address"."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from net80211.wire.frame import FrameError, peek
from net80211.wire.pcap import read_pcap

_FT_MGMT, _FT_DATA = 0, 2
_SUB_BEACON = 8


class Sink(io.BytesIO):
    """A pcap destination that survives the writer's close()."""

    def close(self) -> None:  # the capture closes its file; keep the bytes readable
        pass


@dataclass(frozen=True)
class Seen:
    ftype: int
    subtype: int
    addr1: bytes
    addr2: bytes | None
    addr3: bytes | None
    flags: int

    @property
    def is_beacon(self) -> bool:
        return self.ftype == _FT_MGMT and self.subtype == _SUB_BEACON

    @property
    def four_address(self) -> bool:
        return self.ftype == _FT_DATA and self.flags & 3 == 3


def frames(sink: Sink) -> list[Seen]:
    """Every 802.11 frame (behind its radiotap header) in a pcap sink."""
    data = sink.getvalue()
    if not data:
        return []
    _lt, records = read_pcap(io.BytesIO(data))
    out = []
    for _ts, rec, _orig in records:
        if len(rec) < 4:
            continue
        rt_len = rec[2] | rec[3] << 8
        try:
            ftype, sub, a1, a2, a3, _seq, flags = peek(rec[rt_len:])
        except FrameError:
            continue
        out.append(Seen(ftype, sub, a1, a2, a3, flags))
    return out


def start_medium_capture(driver: Any) -> Sink | None:
    """A medium-wide capture of the driver's world, or None if it has none."""
    capture = getattr(driver, "capture", None)
    if capture is None:
        return None
    sink = Sink()
    try:
        capture(sink)
    except OSError:
        return None
    return sink
