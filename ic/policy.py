"""The concurrency policy hook a device consults before creating a vap and
when a vap comes up.  The default policy allows every mix; the concurrency
issue adds interface combinations and FreeBSD-style rules here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .channels import Channel
from .enums import CloneFlags, OpMode


@dataclass
class VapRequest:
    """What `create_vap` was asked for; a policy may adjust it."""

    name: str
    opmode: OpMode
    flags: CloneFlags
    bssid: bytes | None
    macaddr: bytes | None
    channel: Channel | None = None


class Admission:
    """A policy's yes to one create: the (adjusted) request and what it reserved."""

    def __init__(self, request: VapRequest) -> None:
        self.request = request

    def commit(self, vap: Any) -> None:
        """The driver created `vap`; reservations now belong to it."""

    def abort(self) -> None:
        """The create failed; give back every reservation."""


class Policy:
    """Allows every mix (a device with no concurrency limits, like wtap(4))."""

    def admit(self, ic: Any, request: VapRequest) -> Admission:
        return Admission(request)

    def release(self, ic: Any, vap: Any) -> None:
        """`vap` was destroyed."""

    def check_running(self, ic: Any, vap: Any, channel: Channel | None) -> None:
        """Raise `Busy` if `vap` may not run on `channel` beside the running vaps."""

    def check_mix(self, ic: Any, modes: list[OpMode], channels: list[Channel] | None = None) -> str:
        return "allowed: this device sets no concurrency limits"
