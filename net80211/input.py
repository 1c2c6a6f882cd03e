"""The device's receive path (`ieee80211_input_all` and friends).

A driver hands every received frame to `input_all(ic, frame, rx)`.  It
peeks at the header (no objects built), records beacons and probe responses
in the scan cache, and demultiplexes the frame to the vaps that want it:

- a MONITOR vap gets every frame, raw, through `vap.input(frame, rx)`;
- a unicast frame goes to the vap whose address is addr1;
- a group frame goes to the vaps it concerns: a beacon to the vaps of its
  BSS (and to modes with `rx_all_beacons`, e.g. IBSS merging), a probe
  request to modes with `rx_probe_req`, other management and data frames to
  the vaps whose BSSID the frame carries.

Each accepted frame reaches `vap.mode.recv(vap, frame, rx, ftype, subtype,
a2, a3, seq, flags)`; `Mode.recv` looks the sender's node up, drops
duplicates and calls the mode's `recv_mgmt`/`recv_data`.  A frame too
broken to parse is counted (`ic.stats['rx_malformed']`, and the vap's
`stats.rx_malformed` once it reached one) and dropped; nothing raises.

`rx` is the driver's receive status, an `ic.RxInfo`; `tx_complete` takes
an `ic.TxStatus`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from ic import IEEE80211Com, OpMode, RxInfo, State, TxStatus
from net80211.scan import Scanner
from net80211.wire.frame import FrameError, peek

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

FT_MGMT, FT_CTRL, FT_DATA = 0, 1, 2
SUB_BEACON, SUB_PROBE_REQ, SUB_PROBE_RESP = 8, 4, 5
RETRY = 0x08
_BCAST = b"\xff" * 6
_INIT = State.INIT
_MONITOR = OpMode.MONITOR
_WDS = OpMode.WDS

# What `peek` returns: (type, subtype, addr1, addr2, addr3, seq, flags).
Header = tuple[int, int, bytes, bytes | None, bytes | None, int | None, int]


class RxHeaderCache:
    """The last received frame whose header was peeked, and that header.

    A medium hands one bytes object to every device that heard a
    transmission; devices sharing a cache (a driver gives the devices of one
    medium the same one, `ic.rx_cache`) parse its header once per delivery.
    A device without one gets its own on its first frame."""

    __slots__ = ("frame", "hdr")

    def __init__(self) -> None:
        self.frame: bytes | None = None
        self.hdr: Header | None = None


def input_all(ic: IEEE80211Com, frame: bytes, rx: RxInfo) -> int:
    """Deliver a received frame to the device's vaps; how many took it."""
    cache = cast("RxHeaderCache | None", ic.rx_cache)  # only this module and drivers set it
    if cache is None:
        cache = ic.rx_cache = RxHeaderCache()
    if frame is cache.frame:
        ftype, sub, a1, a2, a3, seq, flags = cache.hdr  # type: ignore[misc]  # set with frame, never None here
    else:
        try:
            hdr = peek(frame)
        except FrameError:
            ic.stats["rx_malformed"] += 1
            return 0
        ftype, sub, a1, a2, a3, seq, flags = hdr
        if type(frame) is bytes:  # immutable: the header cannot change under us
            cache.frame, cache.hdr = frame, hdr
    if ftype == FT_MGMT and (sub == SUB_BEACON or sub == SUB_PROBE_RESP) and a3 is not None:
        sc = Scanner.peek(ic)
        if sc is not None:
            if sc.owner is not None:
                if not sc.input_beacon(frame, rx, a3):
                    ic.stats["rx_malformed"] += 1
                    return 0
            else:
                r = sc.cache.get(a3)
                if r is not None:  # refresh what we know without parsing
                    r.last_seen_ns = ic.sched.now_ns
                    r.rssi = rx.signal
    if ftype == FT_DATA and flags & 3 == 3 and a2 is not None:
        # 4-address frames belong to the WDS link of their transmitter, if any.
        for vap in ic.vaps:
            if vap.opmode is _WDS and vap.running and vap.mode.accepts(vap, a1, a2):
                vap.stats.rx_frames += 1
                vap.mode.recv(vap, frame, rx, ftype, sub, a2, a3, seq, flags)
                return 1
    group = a1[0] & 1
    n = 0
    for vap in ic.vaps:
        if not vap.running or vap.state == _INIT:
            continue
        if vap.opmode is _MONITOR:
            n += 1
            vap.input(frame, rx)
            continue
        if vap.opmode is _WDS:
            continue  # only 4-address frames of its link (above)
        if ftype == FT_CTRL or ftype > FT_DATA:
            continue  # the hardware answers control frames; nothing for a vap
        if group:
            mode = vap.mode
            if ftype == FT_MGMT:
                if sub == SUB_BEACON:
                    if a3 != vap.bssid and not mode.rx_all_beacons:
                        continue
                elif sub == SUB_PROBE_REQ:
                    if not mode.rx_probe_req:
                        continue
                elif a3 != vap.bssid and a3 != _BCAST:
                    continue
            else:
                ds = flags & 3
                if ds == 1 or (a3 if ds == 0 else a2) != vap.bssid:
                    continue  # ToDS frames are never group-addressed to us
        elif a1 != vap.macaddr:
            continue
        n += 1
        vap.stats.rx_frames += 1
        # Frame registrations (net80211.p2p.frames) see management frames
        # before the mode; one that takes the frame ends its way here.
        regs = vap.frame_regs
        if ftype == FT_MGMT and regs and regs.deliver(frame, rx):
            continue
        vap.mode.recv(vap, frame, rx, ftype, sub, a2, a3, seq, flags)
    if not n:
        ic.stats["rx_unclaimed"] += 1
    return n


def count_malformed(vap: IEEE80211Vap) -> None:
    """Count a frame that reached `vap` but did not parse."""
    vap.stats.rx_malformed += 1
    vap.ic.stats["rx_malformed"] += 1


def qos_tid(frame: bytes, flags: int) -> int:
    """The TID of a QoS data frame (its QoS Control follows the header)."""
    off = 30 if flags & 3 == 3 else 24
    return frame[off] & 0xF if len(frame) > off else 16


def tx_complete(ic: IEEE80211Com, frame: bytes, status: TxStatus) -> None:
    """A frame the device sent is done: `status.acked` says if a receiver took it."""
    ic.stats["tx_acked" if status.acked else "tx_unacked"] += 1
    # Monitor vaps see what the device sent once it is done, as in Linux.
    if not status.dropped:
        for vap in ic.vaps:
            if vap.opmode is _MONITOR and vap.state == State.RUN:
                vap.mode.tx_seen(vap, frame, status)
    if status.acked and len(frame) >= 16 and frame[0] & 0x0C == 0x08:
        # An acknowledged data frame: its sender's mode may learn from it.
        sender = frame[10:16]
        for vap in ic.vaps:
            if vap.macaddr == sender and vap.opmode is not _MONITOR:
                vap.mode.tx_done(vap, frame, status)
                break
