"""Device shapes a simulated radio can take: capabilities plus a concurrency
policy mirroring a real driver, so one simulated world can hold an ath(4)
beside an iwn(4)-like device.

The policies are built from the device layer's vocabulary (`ic`: interface
combinations, `Policy` and its rules); which mixes each real driver allows
is the driver side's knowledge, so it lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ic import (
    SOFTWARE_IFTYPES,
    BeaconSlots,
    BssidMask,
    Caps,
    ChanWidth,
    CloneFlags,
    FirstOnly,
    IfaceCombination,
    IfaceLimit,
    IfType,
    InvalidArgument,
    MaxChannels,
    MaxOfMode,
    NoWdsInStaMode,
    OpMode,
    Policy,
    Rule,
    SingleVap,
    StaNoBeacons,
    WdsNeedsHostap,
    WdsNoBssid,
    widths_mask,
)

__all__ = ["HWSIM_CAPS", "PROFILES", "hwsim_combinations", "hwsim_default", "ath", "single", "run", "p2p",
           "radio_shape", "profile_names", "describe"]

_HWSIM_RADAR = widths_mask(ChanWidth.W20_NOHT, ChanWidth.W20, ChanWidth.W40, ChanWidth.W80,
                           ChanWidth.W160, ChanWidth.W5, ChanWidth.W10)


def hwsim_combinations(*, adhoc: bool = True, mesh: bool = True, p2p_device: bool = False,
                       channels: int = 1) -> tuple[IfaceCombination, ...]:
    """mac80211_hwsim's per-radio table (mac80211_hwsim_new_radio).

    More than one channel means channel contexts, which hwsim registers
    without radar detection.
    """
    if channels < 1:
        raise ValueError(f"channels must be >= 1, not {channels}")
    infra = [IfType.STATION, IfType.P2P_CLIENT, IfType.AP, IfType.P2P_GO]
    if mesh:
        infra.append(IfType.MESH_POINT)
    limits = []
    if adhoc:
        limits.append(IfaceLimit(1, [IfType.ADHOC]))
    limits.append(IfaceLimit(2048, infra))
    if p2p_device:
        limits.append(IfaceLimit(1, [IfType.P2P_DEVICE]))
    return (IfaceCombination(
        limits=tuple(limits),
        max_interfaces=sum(lim.max for lim in limits),
        num_different_channels=channels,
        radar_detect_widths=0 if channels > 1 else _HWSIM_RADAR,
    ),)


def hwsim_default(*, adhoc: bool = True, p2p_device: bool = False, channels: int = 1,
                  wds: bool = False) -> Policy:
    """mac80211_hwsim's table.  Linux has no WDS interface type any more; with
    `wds` a WDS vap is treated like a 4-address AP_VLAN (a software type) and
    must sit beside a HOSTAP vap."""
    software = SOFTWARE_IFTYPES | ({IfType.WDS} if wds else set())
    rules: list[Rule] = [WdsNoBssid(), WdsNeedsHostap()] if wds else []
    return Policy(hwsim_combinations(adhoc=adhoc, p2p_device=p2p_device, channels=channels),
                  rules, software_iftypes=frozenset(software), name="hwsim")


def ath(*, beacon_slots: int = 4) -> Policy:
    """ath(4): one STA (NOBEACONS beside other vaps), IBSS only first, TDMA
    alone, no WDS in STA mode, beacon buffers, the BSSID-mask scheme, one
    channel for every vap."""
    return Policy((), [
        WdsNoBssid(),
        MaxOfMode(OpMode.STA, 1),
        FirstOnly(OpMode.IBSS, ignore=[OpMode.WDS]),
        FirstOnly(OpMode.AHDEMO, flags=CloneFlags.TDMA, exclusive=True, ignore=[OpMode.WDS]),
        NoWdsInStaMode(),
        StaNoBeacons(),
        BeaconSlots(beacon_slots),
        BssidMask(),
        MaxChannels(1),
    ], name="ath")


def single() -> Policy:
    """iwm(4)/iwn(4): one vap at a time, any mode."""
    return Policy((), [SingleVap(), MaxChannels(1)], name="single")


_NON_WDS = [m for m in OpMode if m is not OpMode.WDS]


def run() -> Policy:
    """run(4): one non-WDS vap, created first; WDS only beside an AP; a STA
    always uses software beacon miss; one channel."""
    return Policy((), [
        WdsNoBssid(),
        FirstOnly(_NON_WDS),
        WdsNeedsHostap(legacy_exempt=False),
        StaNoBeacons(always=True),
        MaxChannels(1),
    ], name="run")


def p2p(*, channels: int = 2) -> Policy:
    """A P2P-capable device in the style of iwlwifi: one STA, one AP/GO/P2P
    client and a P2P device, on up to `channels` channels."""
    return Policy([IfaceCombination(
        limits=(IfaceLimit(1, [IfType.STATION]),
                IfaceLimit(1, [IfType.AP, IfType.P2P_CLIENT, IfType.P2P_GO]),
                IfaceLimit(1, [IfType.P2P_DEVICE])),
        max_interfaces=3, num_different_channels=channels)], name="p2p")


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
