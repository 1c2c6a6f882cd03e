"""What a driver imports: the registry and the helpers a driver calls.

One module holds the whole driver contract (`docs/driver-guide.md`):

- the classes a driver subclasses: `IEEE80211Com` (its `ic_*` hooks),
  `IEEE80211Vap` (`iv_newstate`) and `Driver` (the registry's factory);
- the records it reports frames with: `RxInfo`, `TxStatus`;
- the helpers it calls: `input_all` (a received frame; devices of one
  medium may share an `RxHeaderCache` as `ic.rx_cache`), `tx_complete` (a
  sent frame's status), `beacon_frame`/`probe_resp_frame` (what a beaconing
  vap sends), `BeaconTimer`/`next_tbtt_ns` (when);
- the registry: `open_driver`, `load_driver`, `available_drivers`.

A driver package registers a `Driver` subclass under the entry-point group
`net80211.drivers` (hwsim registers `hwsim = "drivers.hwsim:HwsimDriver"`).
Tools (`wlanctl serve`, `wlanctl run`, the conformance matrix) never import a
driver by name: they resolve `"name"` or `"name:profile"` here, so a
third-party driver plugs in exactly like the bundled one.

A `Driver` instance is one world of devices that can hear each other (for
hwsim: one medium).  Devices come and go with `add_device`/`remove_device`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from importlib.metadata import entry_points
from typing import Any, ClassVar

from ic import (
    DriverError,
    IEEE80211Com,
    InvalidArgument,
    NoSuchDevice,
    NotSupported,
    RxInfo,
    Scheduler,
    TxStatus,
)
from net80211.beacon import beacon_frame, probe_resp_frame
from net80211.input import RxHeaderCache, input_all, tx_complete
from net80211.tbtt import BeaconTimer, next_tbtt_ns
from net80211.vap import IEEE80211Vap

__all__ = [
    "IEEE80211Com", "IEEE80211Vap", "Driver", "RxInfo", "TxStatus",
    "input_all", "tx_complete", "RxHeaderCache", "beacon_frame", "probe_resp_frame",
    "BeaconTimer", "next_tbtt_ns",
    "ENTRY_POINT_GROUP", "open_driver", "load_driver", "available_drivers", "split_spec",
]

ENTRY_POINT_GROUP = "net80211.drivers"


class Driver(ABC):
    """A factory of devices sharing one world (medium)."""

    name: ClassVar[str]
    # Device shapes the driver can take (capabilities + concurrency policy).
    profiles: ClassVar[tuple[str, ...]] = ("default",)

    def __init__(self, sched: Scheduler, *, profile: str = "default", **params: Any) -> None:
        if profile not in self.profiles:
            raise InvalidArgument(
                f"driver {self.name} has no profile {profile!r} (profiles: {', '.join(self.profiles)})")
        self.sched = sched
        self.profile = profile
        self.devices: list[IEEE80211Com] = []

    @abstractmethod
    def add_device(self, name: str | None = None, **params: Any) -> IEEE80211Com:
        """Create one device in this world (unknown parameters: EINVAL)."""

    @abstractmethod
    def remove_device(self, device: IEEE80211Com) -> None:
        """Detach a device (destroying its vaps) and take it out of the world."""

    def device(self, name: str) -> IEEE80211Com:
        for d in self.devices:
            if d.name == name:
                return d
        raise NoSuchDevice(f"{name}: no such device")

    def close(self) -> None:
        """Remove every device."""
        for d in reversed(list(self.devices)):
            self.remove_device(d)

    def counters(self) -> dict[str, int]:
        """World-wide counters (for hwsim: the medium's frames, deliveries,
        drops, ...) for summaries; a driver without any returns {}."""
        return {}

    def capture(self, dest: Any) -> None:
        """Capture every frame of this world to a pcap file (link type 127);
        drivers without a medium-wide view refuse with EOPNOTSUPP."""
        raise NotSupported(f"driver {self.name} has no medium-wide capture")

    def stop_capture(self) -> int:
        """Stop the medium-wide capture; how many frames it holds."""
        raise NotSupported(f"driver {self.name} has no medium-wide capture")

    def external_medium(self) -> bool:
        """True while an external medium (a medium daemon) carries this world's
        frames; a driver that cannot serve one: False."""
        return False

    def describe(self) -> dict[str, Any]:
        """Driver-level facts for tools (`wlanctl list`, reports)."""
        return {"driver": self.name, "profile": self.profile, "devices": [d.name for d in self.devices]}


def split_spec(spec: str) -> tuple[str, str]:
    """'hwsim:ath' -> ('hwsim', 'ath'); 'hwsim' -> ('hwsim', 'default')."""
    name, _, profile = spec.partition(":")
    if not name:
        raise InvalidArgument(f"driver {spec!r}: empty driver name")
    return name, profile or "default"


def available_drivers() -> dict[str, Any]:
    """Every registered driver: name -> its entry point (not loaded)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_driver(name: str) -> type[Driver]:
    """The Driver class registered as `name`; ENXIO if there is none."""
    eps = available_drivers()
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise NoSuchDevice(f"no driver named {name!r} (registered: {known})")
    ep = eps[name]
    try:
        cls = ep.load()
    except Exception as e:  # the driver's package is broken or half installed: name it
        raise DriverError(f"driver {name!r} failed to load: entry point {ep.name} = {ep.value} "
                          f"({ENTRY_POINT_GROUP}): {type(e).__name__}: {e}") from e
    if not (isinstance(cls, type) and issubclass(cls, Driver)):
        raise InvalidArgument(f"driver {name!r}: entry point {ep.name} = {ep.value} ({ENTRY_POINT_GROUP}) "
                              f"is {cls!r}, not a net80211 Driver subclass")
    return cls


def open_driver(spec: str, sched: Scheduler, **params: Any) -> Driver:
    """Instantiate a driver from 'name[:profile]' with its parameters."""
    name, profile = split_spec(spec)
    return load_driver(name)(sched, profile=profile, **params)
