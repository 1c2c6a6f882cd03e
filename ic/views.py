"""What the device layer reads of a device and its vaps.

The concurrency policy and its rules judge real devices (`IEEE80211Com`
with `net80211`'s vaps), `check_mix`'s shadows of them, and drivers' own
test doubles alike, so they are typed against these read-only views rather
than the classes of a layer above."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

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
    def des_chan(self) -> Channel | None: ...
    @property
    def running(self) -> bool: ...
    @property
    def bintval(self) -> int: ...


class DeviceVap(VapView, Protocol):
    """A vap as its device handles it: the clone path attaches, configures
    and detaches it (net80211's IEEE80211Vap, or a driver's own)."""

    def attach(self, macaddr: bytes | None = None) -> None: ...
    def detach(self) -> None: ...
    def configure(self, *args: Any, **kwargs: Any) -> None: ...


# Modes that have no channel of their own: a monitor listens wherever the
# device is, a WDS link runs on its AP's channel, a P2P device only visits
# channels.  Unless configured for a channel (`des_chan`), they follow the
# device and claim no channel of their own.
FOLLOWER_MODES = frozenset({OpMode.MONITOR, OpMode.WDS, OpMode.P2P_DEVICE})


def claimed_channel(vap: VapView) -> Channel | None:
    """The channel a running vap holds the device to, or None if it holds
    none (a follower without a configured channel, a P2P device).  A vap
    that is down holds no channel."""
    if not getattr(vap, "running", False) or vap.opmode is OpMode.P2P_DEVICE:
        return None
    if vap.opmode in FOLLOWER_MODES:
        return getattr(vap, "des_chan", None)
    return vap.channel


class DeviceView(Protocol):
    """The device attributes a policy or rule may read."""

    @property
    def name(self) -> str: ...
    @property
    def macaddr(self) -> bytes: ...
    @property
    def vaps(self) -> Sequence[VapView]: ...
