"""Device shapes a simulated radio can take: capabilities plus a concurrency
policy mirroring a real driver, so one simulated world can hold an ath(4)
beside an iwn(4)-like device."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ic import Caps, IfaceCombination, InvalidArgument
from ic.policy import Policy, ath, hwsim_default, p2p, run, single

HWSIM_CAPS = (Caps.STA | Caps.HOSTAP | Caps.IBSS | Caps.AHDEMO | Caps.WDS | Caps.MONITOR
              | Caps.P2P_DEVICE | Caps.P2P_GO | Caps.P2P_CLIENT)

# name -> (capabilities, policy factory taking (channels, p2p_device))
PROFILES: dict[str, tuple[Caps, Callable[[int, bool], Policy]]] = {
    "default": (HWSIM_CAPS, lambda ch, p2pdev: hwsim_default(p2p_device=p2pdev, channels=ch, wds=True)),
    "ath": (Caps.STA | Caps.HOSTAP | Caps.IBSS | Caps.AHDEMO | Caps.WDS | Caps.MONITOR | Caps.MBSS
            | Caps.TDMA, lambda ch, p2pdev: ath()),
    "single": (Caps.STA | Caps.IBSS | Caps.MONITOR, lambda ch, p2pdev: single()),
    "run": (Caps.STA | Caps.HOSTAP | Caps.IBSS | Caps.WDS | Caps.MONITOR, lambda ch, p2pdev: run()),
    "p2p": (Caps.STA | Caps.HOSTAP | Caps.MONITOR | Caps.P2P_DEVICE | Caps.P2P_GO | Caps.P2P_CLIENT,
            lambda ch, p2pdev: p2p(channels=max(ch, 2))),
}


def radio_shape(caps: Caps, combinations: Iterable[IfaceCombination] | None, policy: Policy | None,
                profile: str | None, channels: int, p2p_device: bool) -> tuple[Caps, Policy]:
    """The (caps, policy) of a new radio from add_radio's arguments."""
    if profile is not None:
        if profile not in PROFILES:
            raise InvalidArgument(f"no hwsim profile {profile!r} (profiles: {', '.join(PROFILES)})")
        pcaps, make = PROFILES[profile]
        if caps == HWSIM_CAPS:
            caps = pcaps
        if policy is None and combinations is None:
            policy = make(channels, p2p_device and bool(caps & Caps.P2P_DEVICE))
    if policy is None and combinations is not None:
        policy = Policy(tuple(combinations), name="hwsim-custom")
    if policy is None:
        policy = hwsim_default(p2p_device=p2p_device and bool(caps & Caps.P2P_DEVICE), channels=channels,
                               wds=bool(caps & Caps.WDS))
    if not p2p_device:
        caps &= ~Caps.P2P_DEVICE
    return Caps(caps), policy


def profile_names() -> tuple[str, ...]:
    return tuple(PROFILES)


def describe(name: str) -> dict[str, Any]:
    caps, make = PROFILES[name]
    return {"profile": name, "caps": str(caps), "policy": make(1, True).format()}
