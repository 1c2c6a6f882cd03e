"""What the device layer reads of a device and its vaps.

The concurrency policy and its rules judge real devices (`IEEE80211Com`
with `net80211`'s vaps), `check_mix`'s shadows of them, and drivers' own
test doubles alike, so they are typed against these read-only views rather
than the classes of a layer above."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .channels import Channel
from .enums import CloneFlags, OpMode


class VapView(Protocol):
    """The vap attributes a policy or rule may read."""

    @property
    def name(self) -> str: ...
    @property
    def opmode(self) -> OpMode: ...
    @property
    def flags(self) -> CloneFlags: ...
    @property
    def macaddr(self) -> bytes | None: ...
    @property
    def bssid(self) -> bytes | None: ...
    @property
    def channel(self) -> Channel | None: ...
    @property
    def running(self) -> bool: ...
    @property
    def bintval(self) -> int: ...


class DeviceView(Protocol):
    """The device attributes a policy or rule may read."""

    @property
    def name(self) -> str: ...
    @property
    def macaddr(self) -> bytes: ...
    @property
    def vaps(self) -> Sequence[VapView]: ...
