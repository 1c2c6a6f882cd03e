"""Decode any frame into its class (the dispatch on the frame-control field)."""

from __future__ import annotations

from typing import Any

from net80211.wire.ctrl import _CTRL, RawFrame
from net80211.wire.data import DataFrame
from net80211.wire.frame import FrameError
from net80211.wire.mgmt import MgmtFrame


def parse_frame(buf: bytes) -> Any:
    """Decode any frame (no FCS) into its class; raises only FrameError.

    Returns a `mgmt.MgmtFrame`, `DataFrame`, `Ack`, `Cts`, `Rts`, `PsPoll`
    or, for what is not decoded, a `RawFrame`.
    """
    buf = bytes(buf)
    if len(buf) < 10:
        raise FrameError("frame shorter than the minimal header")
    b0 = buf[0]
    if b0 & 3:
        raise FrameError(f"protocol version {b0 & 3} is not supported")
    ftype = (b0 >> 2) & 3
    if ftype == 0:
        return MgmtFrame.parse(buf)
    if ftype == 2:
        if b0 >> 4 == 13:
            return RawFrame.parse(buf)
        return DataFrame.parse(buf)
    if ftype == 1:
        cls = _CTRL.get(b0 >> 4)
        if cls is not None:
            return cls.parse(buf)
    return RawFrame.parse(buf)
