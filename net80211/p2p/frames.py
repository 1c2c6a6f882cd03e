"""Management-frame registrations of a wireless device (nl80211 REGISTER_FRAME).

A registration is (frame type, byte prefix of the body).  Registering one
that overlaps an existing registration of the same type on the same device
(either prefix is a prefix of the other) is EALREADY.  A received frame goes
to the newest matching registration only; registrations go away only when
their owner closes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from ic import InvalidArgument, RxInfo
from net80211.p2p.owner import AlreadyRegistered, Event, Owner

MGMT_HDR = 24
_ids = itertools.count(1)


@dataclass
class Registration:
    id: int
    owner: Owner
    frame_type: int  # the frame control field's first byte(s): 0x00d0 is Action
    match: bytes


def _check_type(frame_type: int) -> int:
    if not isinstance(frame_type, int) or not 0 <= frame_type <= 0xFFFF:
        raise InvalidArgument(f"frame type {frame_type!r} is not a 16-bit frame control value")
    if frame_type & 0x000C != 0:
        raise InvalidArgument(f"frame type 0x{frame_type:04x} is not a management frame type")
    if frame_type & ~0x00F0:
        raise InvalidArgument(f"frame type 0x{frame_type:04x} has bits beyond the subtype")
    return frame_type


class FrameRegistry:
    """The registrations of one wireless device; `input_all` consults `deliver`."""

    def __init__(self, wdev: Any) -> None:
        self.wdev = wdev
        self.regs: list[Registration] = []
        self.taps: list[Any] = []  # internal observers (a scan collecting responses)
        self.delivered = 0

    def __len__(self) -> int:
        return len(self.regs) + len(self.taps)

    def register(self, owner: Owner, match: bytes, frame_type: int = 0x00D0) -> int:
        owner.check()
        frame_type = _check_type(frame_type)
        if not isinstance(match, (bytes, bytearray)):
            raise InvalidArgument("match must be bytes (a prefix of the frame body)")
        match = bytes(match)
        for r in self.regs:
            n = min(len(r.match), len(match))
            if r.frame_type == frame_type and r.match[:n] == match[:n]:
                raise AlreadyRegistered(
                    f"{self.wdev.name}: frame type 0x{frame_type:04x} match {match.hex() or '(any)'} "
                    f"overlaps registration {r.id} ({r.match.hex() or '(any)'}) of {r.owner.name}")
        reg = Registration(next(_ids), owner, frame_type, match)
        self.regs.append(reg)
        owner.hold(("reg", reg.id), lambda: self._drop(reg))
        return reg.id

    def _drop(self, reg: Registration) -> None:
        if reg in self.regs:
            self.regs.remove(reg)

    def drop_owner(self, owner: Owner) -> None:
        for r in [r for r in self.regs if r.owner is owner]:
            owner.release(("reg", r.id))
            self.regs.remove(r)

    def match(self, frame: bytes) -> Registration | None:
        """The newest registration matching this management frame."""
        ftype = frame[0] & 0xFC
        body = frame[MGMT_HDR:]
        for r in reversed(self.regs):
            if r.frame_type == ftype and body.startswith(r.match):
                return r
        return None

    def deliver(self, frame: bytes, rx: RxInfo) -> bool:
        """Called by the input path for each management frame of this device;
        True if a registration took it (the mode does not see it then)."""
        for tap in list(self.taps):
            tap(frame, rx)
        if len(frame) < MGMT_HDR or not self.regs:
            return False
        reg = self.match(frame)
        if reg is None:
            return False
        self.delivered += 1
        reg.owner.emit(Event("frame", self.wdev, freq=rx.freq, signal=rx.signal, frame=bytes(frame)))
        return True
