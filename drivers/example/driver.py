"""The `example` entry point of `net80211.drivers`: a world of example radios.

Registered in pyproject.toml as
`[project.entry-points."net80211.drivers"] example = "drivers.example:ExampleDriver"`,
so `open_driver("example", sched)`, `wlanctl` and the conformance matrix find
it exactly as they find hwsim.
"""

from __future__ import annotations

from typing import Any

from drivers.hwsim import HwsimMedium, ModelSpec
from ic import AlreadyExists, IEEE80211Com, InvalidArgument, NoSuchDevice, Scheduler
from net80211.driver import Driver

from .device import ExampleRadio

_DEVICE_PARAMS = {"position", "tx_power_dbm", "macaddr"}


class ExampleDriver(Driver):
    """Example radios sharing one medium (perfect unless `model` names a path-loss model).

    Parameters: `radios` (default 2), `model`, `seed`.
    """

    name = "example"
    profiles = ("default",)
    radio_class: type[ExampleRadio] = ExampleRadio  # what add_device constructs

    def __init__(self, sched: Scheduler, *, profile: str = "default", radios: int = 2,
                 model: str | ModelSpec | None = None, seed: int = 0) -> None:
        super().__init__(sched, profile=profile)
        if not isinstance(radios, int) or isinstance(radios, bool) or radios < 0:
            raise InvalidArgument(f"example: radios must be a count, not {radios!r}")
        if isinstance(model, str) and model != "perfect":
            try:
                model = ModelSpec(kind="path_loss", path_loss=model)
            except ValueError as e:
                raise InvalidArgument(f"example: {e}") from None
        elif model == "perfect":
            model = None
        elif model is not None and not isinstance(model, ModelSpec):
            raise InvalidArgument("example: model must be 'perfect', a path-loss name or a ModelSpec")
        self.medium = HwsimMedium(sched, model=model, seed=seed)
        self._next = 0
        for _ in range(radios):
            self.add_device()

    def add_device(self, name: str | None = None, **params: Any) -> IEEE80211Com:
        unknown = set(params) - _DEVICE_PARAMS
        if unknown:
            raise InvalidArgument(f"example: unknown device parameter(s) {', '.join(sorted(unknown))}")
        while True:
            n = self._next
            self._next += 1
            # Locally administered addresses 0a:00:00:00:hi:lo, one per radio ever made.
            macaddr = params.pop("macaddr", bytes((0x0A, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF)))
            try:
                radio = self.radio_class(self.medium, name or f"ex{n}", macaddr=macaddr, **params)
            except AlreadyExists:
                if name is not None:
                    raise
                continue  # exN taken by someone else in this world: try the next
            break
        self.devices.append(radio)
        return radio

    def remove_device(self, device: IEEE80211Com) -> None:
        if device not in self.devices:
            raise NoSuchDevice(f"{getattr(device, 'name', device)}: not a device of this driver")
        device.detach()
        self.devices.remove(device)

    def capture(self, dest: Any) -> None:
        """Capture every frame of the medium (the conformance matrix checks
        beacons and 4-address frames with it)."""
        self.medium.capture(dest)

    def stop_capture(self) -> int:
        return self.medium.stop_capture()

    def close(self) -> None:
        super().close()
        self.medium.stop_capture()

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d["medium"] = "modeled" if self.medium.modeled else "perfect"
        return d
