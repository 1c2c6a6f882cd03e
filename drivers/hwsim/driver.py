"""The hwsim entry point of `net80211.drivers`: one medium and its radios."""

from __future__ import annotations

from typing import Any

from ic import IEEE80211Com, InvalidArgument, Scheduler
from net80211.driver import Driver

from .medium import HwsimMedium
from .profiles import PROFILES
from .world import ModelSpec

_RADIO_PARAMS = {"caps", "combinations", "policy", "channels", "p2p_device", "position", "tx_power_dbm",
                 "perm_addr", "profile", "beacon_filter"}


def model_spec(model: Any) -> ModelSpec | None:
    """A ModelSpec from a config value: None/"perfect", a ModelSpec, or a
    table like {"kind": "path_loss", "path_loss": "log_distance", ...}."""
    if model is None or model == "perfect":
        return None
    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, str):
        return ModelSpec(kind="path_loss", path_loss=model)
    if isinstance(model, dict):
        try:
            return ModelSpec(**model)
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"medium model: {e}") from None
    raise InvalidArgument(f"medium model must be 'perfect', a path-loss model name or a table, not {model!r}")


class HwsimDriver(Driver):
    """Simulated radios sharing one medium (perfect unless `model` is given).

    Parameters: `radios` (created at once, default 2), `model`, `seed`,
    `medium_socket` (serve an external medium there, as
    `HwsimMedium.serve`), `first_radio` (the first radio's index, hence
    its name and 02:00:00:hi:lo:00 address: above the kernel's radios when
    one hwsim-mediumd serves both), and radio parameters applied to every
    radio (`channels`, `p2p_device`, ...).
    """

    name = "hwsim"
    profiles = tuple(PROFILES)

    def __init__(self, sched: Scheduler, *, profile: str = "default", radios: int = 2, model: Any = None,
                 seed: int = 0, medium_socket: str | None = None, first_radio: int = 0,
                 **radio_params: Any) -> None:
        super().__init__(sched, profile=profile)
        unknown = set(radio_params) - _RADIO_PARAMS
        if unknown:
            raise InvalidArgument(f"hwsim: unknown parameter(s) {', '.join(sorted(unknown))}")
        if not isinstance(radios, int) or radios < 0:
            raise InvalidArgument(f"hwsim: radios must be a count, not {radios!r}")
        self.radio_params = radio_params
        self.medium = HwsimMedium(sched, model=model_spec(model), seed=seed, first_radio=first_radio)
        for _ in range(radios):
            self.add_device()
        if medium_socket is not None:
            # An external medium (hwsim-mediumd, a wmediumd-like client) may
            # register here; until it does, the built-in medium works.
            try:
                self.medium.serve(str(medium_socket))
            except OSError:
                self.close()
                raise

    def add_device(self, name: str | None = None, **params: Any) -> IEEE80211Com:
        unknown = set(params) - _RADIO_PARAMS
        if unknown:
            raise InvalidArgument(f"hwsim: unknown radio parameter(s) {', '.join(sorted(unknown))}")
        kw = {"profile": self.profile, **self.radio_params, **params}
        radio = self.medium.add_radio(name, **kw)
        self.devices.append(radio)
        return radio

    def remove_device(self, device: IEEE80211Com) -> None:
        self.medium.remove_radio(device)
        self.devices.remove(device)

    def counters(self) -> dict[str, int]:
        return dict(self.medium.counters)

    def capture(self, dest: Any) -> None:
        """Capture every transmission on the medium (like mac80211_hwsim's hwsim0)."""
        self.medium.capture(dest)

    def stop_capture(self) -> int:
        return self.medium.stop_capture()

    def close(self) -> None:
        super().close()
        self.medium.stop_capture()
        if self.medium.external is not None:
            self.medium.external.close()

    def external_medium(self) -> bool:
        ext = self.medium.external
        return ext is not None and bool(ext.registered)

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d["medium"] = "modeled" if self.medium.modeled else "perfect"
        model = self.medium.model
        # The noise floor a received signal is measured against (SNR = signal - noise).
        d["noise_dbm"] = model.noise_dbm if model is not None else None
        ext = self.medium.external
        d["medium_socket"] = ext.path if ext is not None else None
        return d
