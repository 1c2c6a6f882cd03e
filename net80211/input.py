"""The device's receive path (`ieee80211_input_all` and friends): a driver
hands every received frame to `input_all`, which demultiplexes it to the
vaps that should see it; `tx_complete` reports what became of a sent frame.

`rx` is the driver's receive status: anything with `freq` (MHz), `signal`
(dBm), `rate_idx` and `time_ns` attributes (hwsim passes its `RxInfo`).
"""

from __future__ import annotations

from typing import Any

from ic import State

from .frame import FrameError, peek

_FT_MGMT, _FT_CTRL, _FT_DATA = 0, 1, 2
_SUB_BEACON, _SUB_PROBE_REQ = 8, 4


def _accepts(vap: Any, ftype: int, sub: int, a1: bytes, a2: bytes | None, a3: bytes | None,
             flags: int) -> bool:
    """Whether `vap` should see this frame (the per-vap part of the demux)."""
    if vap.macaddr == a1:
        return True
    if not a1[0] & 1:
        return False  # unicast for someone else
    if ftype == _FT_MGMT:
        # Broadcast management: beacons and probe requests concern every vap.
        return True
    if ftype == _FT_DATA:
        ds = flags & 3
        bssid = a2 if ds == 2 else a3 if ds == 0 else None  # FromDS: addr2; none: addr3
        return bssid is not None and bssid == vap.bssid
    return False


def input_all(ic: Any, frame: bytes, rx: Any) -> int:
    """Deliver a received frame to the device's vaps; how many took it.

    A frame too broken to demultiplex is counted (`ic.stats['rx_malformed']`)
    and dropped.
    """
    try:
        ftype, sub, a1, a2, a3, _seq, flags = peek(frame)
    except FrameError:
        ic.stats["rx_malformed"] += 1
        return 0
    n = 0
    for vap in ic.vaps:
        if not vap.running or vap.state == State.INIT:
            continue
        if vap.opmode.word == "monitor" or _accepts(vap, ftype, sub, a1, a2, a3, flags):
            n += 1
            # Frame registrations (net80211.p2p.wdev) see management frames
            # before the mode; one that takes the frame ends its way here.
            regs = getattr(vap, "frame_regs", None)
            if ftype == _FT_MGMT and regs and regs.deliver(frame, rx):
                continue
            vap.input(frame, rx)
    if not n:
        ic.stats["rx_unclaimed"] += 1
    return n


def tx_complete(ic: Any, frame: bytes, status: Any) -> None:
    """A frame the device sent is done: `status.acked` says if a receiver took it."""
    ic.stats["tx_acked" if getattr(status, "acked", False) else "tx_unacked"] += 1
