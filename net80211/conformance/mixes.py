"""The matrix's rows: every multiset of a device's supported modes up to K
vaps, each tried in every distinct creation order, optionally with a channel
plan (which channel each vap is brought up on)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ic import Caps, CloneFlags, OpMode, parse_wlanmode

# The order a person would create a mix in: BSS-creating modes first (a WDS
# link and a monitor need a running BSS beside them), P2P devices last.  The
# behaviour and lifecycle cells use the first order of a multiset, in this
# ranking, that the policy allows.
_RANK = ("hostap", "mesh", "ibss", "ahdemo", "tdma", "sta", "wds", "monitor",
         "p2p-go", "p2p-client", "p2p-device")


def mode_words(caps: Caps) -> list[str]:
    """The mode words a device with `caps` supports, in creation rank order.

    TDMA is an AHDEMO vap with a clone flag and the device's TDMA capability;
    it is a mode of its own for policies (ath: TDMA alone)."""
    words = []
    for w in _RANK:
        mode, flags = parse_wlanmode(w)
        if not caps & mode.cap:
            continue
        if flags & CloneFlags.TDMA and not caps & Caps.TDMA:
            continue
        words.append(w)
    return words


def opmode_of(word: str) -> OpMode:
    return parse_wlanmode(word)[0]


# Modes whose vap is a BSS with its own address as BSSID.
_BSS_MODES = (OpMode.HOSTAP, OpMode.MBSS, OpMode.P2P_GO)


def clone_flags(words: Sequence[str]) -> list[CloneFlags]:
    """The clone flags every cell creates the vaps of `words` with: several
    BSSes on one device ask for a unique BSSID each (`wlan create ... bssid`),
    as a person setting up a multi-BSS device does."""
    several = sum(opmode_of(w) in _BSS_MODES for w in words) > 1
    return [CloneFlags.BSSID if several and opmode_of(w) in _BSS_MODES else CloneFlags(0) for w in words]


def with_flags(words: Sequence[str]) -> list[tuple[str, CloneFlags]]:
    """`words` paired with their clone flags, as `check_mix` takes them."""
    return list(zip(words, clone_flags(words), strict=True))


def rank(word: str) -> int:
    return _RANK.index(word)


@dataclass(frozen=True)
class Mix:
    """A multiset of modes (in rank order) and an optional channel plan
    (IEEE channel numbers parallel to `modes`)."""

    modes: tuple[str, ...]
    channels: tuple[int, ...] | None = None

    @property
    def label(self) -> str:
        text = "+".join(self.modes)
        if self.channels is not None:
            text += "@" + ",".join(map(str, self.channels))
        return text

    def orders(self) -> list[tuple[int, ...]]:
        """Every distinct creation order, as index permutations (rank order first)."""
        seen: set[tuple[tuple[str, int | None], ...]] = set()
        out = []
        for perm in itertools.permutations(range(len(self.modes))):
            key = tuple((self.modes[i], self.channels[i] if self.channels else None) for i in perm)
            if key not in seen:
                seen.add(key)
                out.append(perm)
        return out

    def ordered(self, perm: Sequence[int]) -> tuple[list[str], list[int] | None]:
        """The modes (and channels) in creation order `perm`."""
        modes = [self.modes[i] for i in perm]
        chans = [self.channels[i] for i in perm] if self.channels is not None else None
        return modes, chans

    def has(self, *modes: OpMode) -> bool:
        return any(opmode_of(w) in modes for w in self.modes)


def enumerate_mixes(words: Sequence[str], max_vaps: int,
                    channel_plans: Iterable[int] | None = None) -> list[Mix]:
    """Every multiset of `words` with 1..max_vaps members.  With channels,
    each multiset is also tried with every assignment of them to its vaps
    (up to renaming of the vaps: assignments are canonical per mode)."""
    if max_vaps < 1:
        raise ValueError(f"max_vaps must be at least 1, not {max_vaps}")
    words = sorted(words, key=rank)
    mixes = []
    chans = list(channel_plans) if channel_plans is not None else None
    for k in range(1, max_vaps + 1):
        for combo in itertools.combinations_with_replacement(words, k):
            mixes.append(Mix(tuple(combo)))
            if not chans:
                continue
            seen = set()
            for plan in itertools.product(chans, repeat=k):
                # Vaps of one mode are interchangeable: sort their channels.
                key = tuple(sorted(zip(combo, plan, strict=True), key=lambda wc: (rank(wc[0]), wc[1])))
                if key in seen:
                    continue
                seen.add(key)
                mixes.append(Mix(tuple(m for m, _ in key), tuple(c for _, c in key)))
    return mixes
