"""FreeBSD-style concurrency rules: the checks drivers such as ath(4), run(4)
and iwm(4) make in their `ic_vap_create`, as small composable objects.

A rule looks at the device's existing vaps and the (possibly already
adjusted) request; it may refuse (EBUSY, naming itself), adjust the request
(the adjustment is recorded and shows on the created vap) or reserve a
device resource that is given back when the vap is destroyed or the
admission is aborted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from .enums import CloneFlags, OpMode
from .errors import ConcurrencyError
from .views import DeviceView, VapView, claimed_channel

if TYPE_CHECKING:
    from .admission import AdmitContext
    from .channels import Channel

__all__ = [
    "Rule", "MaxOfMode", "FirstOnly", "SingleVap", "WdsNeedsHostap", "NoWdsInStaMode",
    "BeaconSlots", "BssidMask", "StaNoBeacons", "WdsNoBssid", "MaxChannels", "ath_device_opmode",
]


def _modes(modes: OpMode | Iterable[OpMode]) -> frozenset[OpMode]:
    if isinstance(modes, OpMode):
        return frozenset({modes})
    return frozenset(OpMode(m) for m in modes)


def _words(modes: Iterable[OpMode]) -> str:
    return "/".join(m.word for m in sorted(modes))


def _names(vaps: Iterable[VapView]) -> str:
    return ", ".join(getattr(v, "name", "?") for v in vaps)


class Rule:
    """Base class: a named check run at create time (and optionally at up)."""

    name: ClassVar[str] = "rule"

    def describe(self) -> str:
        """One line saying what the rule allows."""
        return self.name

    def admit(self, ctx: AdmitContext) -> None:
        """Refuse with `ctx.refuse`, adjust `ctx.request` with `ctx.adjust`,
        or reserve with `ctx.reserve`."""

    def check_running(self, ic: DeviceView, vap: VapView, channel: Channel | None) -> None:
        """Raise ConcurrencyError to keep `vap` from coming up on `channel`."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class MaxOfMode(Rule):
    """At most `n` vaps whose mode is in `modes` (ath: one STA)."""

    name = "max-of-mode"

    def __init__(self, modes: OpMode | Iterable[OpMode], n: int) -> None:
        self.modes = _modes(modes)
        self.n = n

    def describe(self) -> str:
        return f"at most {self.n} {_words(self.modes)} vap{'s' if self.n != 1 else ''}"

    def admit(self, ctx: AdmitContext) -> None:
        if ctx.request.opmode not in self.modes:
            return
        same = [v for v in ctx.vaps if v.opmode in self.modes]
        if len(same) >= self.n:
            ctx.refuse(self, f"{_names(same)} already use{'s' if len(same) == 1 else ''} "
                             f"the {self.n} allowed")


class FirstOnly(Rule):
    """A mode (optionally with clone flags) only as the first vap; with
    `exclusive`, nothing may join it either (ath: IBSS first, TDMA alone)."""

    name = "first-only"

    def __init__(self, modes: OpMode | Iterable[OpMode], *, flags: CloneFlags | int = 0,
                 exclusive: bool = False, ignore: Iterable[OpMode] = ()) -> None:
        self.modes = _modes(modes)
        self.flags = CloneFlags(flags)
        self.exclusive = exclusive
        self.ignore = _modes(ignore)

    def _matches(self, opmode: OpMode, flags: CloneFlags) -> bool:
        return opmode in self.modes and (flags & self.flags) == self.flags

    def _what(self) -> str:
        what = _words(self.modes)
        if self.flags:
            what += "+" + "|".join(str(f.name).lower() for f in self.flags)
        return what

    def describe(self) -> str:
        return f"{self._what()} only as the {'only' if self.exclusive else 'first'} vap"

    def admit(self, ctx: AdmitContext) -> None:
        others = [v for v in ctx.vaps if v.opmode not in self.ignore]
        if self._matches(ctx.request.opmode, ctx.request.flags) and others:
            ctx.refuse(self, f"the device already has {_names(others)}")
        if self.exclusive:
            alone = [v for v in others if self._matches(v.opmode, v.flags)]
            if alone:
                ctx.refuse(self, f"{_names(alone)} must stay alone on the device")


class SingleVap(Rule):
    """One vap at a time, any mode (iwm, iwn)."""

    name = "single-vap"

    def describe(self) -> str:
        return "one vap at a time"

    def admit(self, ctx: AdmitContext) -> None:
        if ctx.vaps:
            ctx.refuse(self, f"the device already has {_names(ctx.vaps)}")


class WdsNeedsHostap(Rule):
    """A WDS vap binds to stations of a HOSTAP vap, so it needs one; legacy
    (static) WDS creates its own peer and is exempt unless told otherwise."""

    name = "wds-needs-hostap"

    def __init__(self, *, legacy_exempt: bool = True) -> None:
        self.legacy_exempt = legacy_exempt

    def describe(self) -> str:
        return "wds only beside a hostap vap" + (" (legacy wds exempt)" if self.legacy_exempt else "")

    def admit(self, ctx: AdmitContext) -> None:
        req = ctx.request
        if req.opmode is not OpMode.WDS:
            return
        if self.legacy_exempt and req.flags & CloneFlags.WDSLEGACY:
            return
        if not any(v.opmode is OpMode.HOSTAP for v in ctx.vaps):
            ctx.refuse(self, "there is no hostap vap on the device")


def ath_device_opmode(vaps: Iterable[VapView]) -> OpMode | None:
    """The mode ath(4) programs the hardware in for these vaps (creation order).

    Replays ath_vap_create's `ic_opmode` choice: a STA with NOBEACONS runs the
    hardware as an AP, WDS as the first vap means AP, monitor and AHDEMO keep
    whatever mode the earlier vaps chose.  None for no vaps.
    """
    mode: OpMode | None = None
    nvaps = 0  # ath's sc_nvaps leaves WDS vaps out
    for v in vaps:
        m = v.opmode
        if m in (OpMode.STA, OpMode.P2P_CLIENT):
            mode = OpMode.HOSTAP if v.flags & CloneFlags.NOBEACONS else OpMode.STA
        elif m in (OpMode.AHDEMO, OpMode.MONITOR, OpMode.P2P_DEVICE):
            mode = mode if nvaps and mode is not None else m
        elif m is OpMode.WDS:
            mode = OpMode.HOSTAP if nvaps == 0 or mode is None else mode
        elif m is OpMode.P2P_GO:
            mode = OpMode.HOSTAP
        else:
            mode = m
        if m is not OpMode.WDS:
            nvaps += 1
    return mode


class NoWdsInStaMode(Rule):
    """ath: WDS is refused while the hardware runs in station mode."""

    name = "no-wds-in-sta-mode"

    def describe(self) -> str:
        return "wds refused while the device is in sta mode"

    def admit(self, ctx: AdmitContext) -> None:
        if ctx.request.opmode is not OpMode.WDS:
            return
        if any(v.opmode is not OpMode.WDS for v in ctx.vaps) and ath_device_opmode(ctx.vaps) is OpMode.STA:
            ctx.refuse(self, "the device runs in sta mode")


def _needs_beacon(opmode: OpMode, flags: CloneFlags) -> bool:
    # ath: HOSTAP, MBSS, IBSS and TDMA need a beacon buffer; WDS and a
    # plain STA never do (a STA listens to someone else's beacons).
    return opmode.beacons or (opmode is OpMode.AHDEMO and bool(flags & CloneFlags.TDMA))


class BeaconSlots(Rule):
    """A limited number of beacon buffers (ath: 4) for beaconing vaps."""

    name = "beacon-slots"

    def __init__(self, n: int = 4) -> None:
        self.n = n

    def describe(self) -> str:
        return f"{self.n} beacon slots for beaconing vaps"

    def admit(self, ctx: AdmitContext) -> None:
        req = ctx.request
        if not _needs_beacon(req.opmode, req.flags):
            return
        used: set[int] = ctx.state(self).setdefault("slots", set())
        free = [i for i in range(self.n) if i not in used]
        if not free:
            ctx.refuse(self, f"all {self.n} beacon slots are in use")
        slot = free[0]
        used.add(slot)
        ctx.reserve(self, "beacon_slot", slot, lambda: used.discard(slot))


class BssidMask(Rule):
    """ath's BSSID-mask address scheme.

    For `modes` (HOSTAP, MBSS, STA) the vap's address is the base address
    (the given MAC or the device's) when it does not ask for a unique BSSID;
    with CLONE_BSSID it takes the lowest free index i of 0..7 (0 is the base
    address itself, shared by every vap that did not ask) and for i > 0 uses
    the base with `mac[0] |= (i << 2) | 0x2`.  Indexes come back on destroy.
    A WDS vap takes the address of the device's first HOSTAP vap.
    """

    name = "bssid-mask"

    def __init__(self, modes: Iterable[OpMode] = (OpMode.HOSTAP, OpMode.MBSS, OpMode.STA),
                 slots: int = 8) -> None:
        if not 1 <= slots <= 64:
            raise ValueError("bssid-mask: slots must be in 1..64 (6 bits of mac[0])")
        self.modes = _modes(modes)
        self.slots = slots
        # The bits of mac[0] an index 1..slots-1 sets (i << 2).
        self.index_bits = ((1 << (slots - 1).bit_length()) - 1) << 2

    def describe(self) -> str:
        return f"unique bssids for {_words(self.modes)} from a mask of {self.slots - 1} clone indexes"

    def admit(self, ctx: AdmitContext) -> None:
        req = ctx.request
        if req.opmode is OpMode.WDS:
            self._wds(ctx)
            return
        if req.opmode not in self.modes:
            return
        st = ctx.state(self)
        used: set[int] = st.setdefault("used", set())
        st.setdefault("nshared", 0)  # vaps on index 0, ath's sc_nbssid0
        base = bytearray(req.macaddr if req.macaddr is not None else ctx.ic.macaddr)
        index = 0
        if req.flags & CloneFlags.BSSID:
            clash = base[0] & self.index_bits
            if clash:
                # mac[0] |= (i << 2) | 2 cannot make distinct addresses from
                # a base that already has index bits set: for some i the
                # "unique" address is the base again, or another index's.
                ctx.refuse(self, f"base address {_mac(base)} has bits {clash:#04x} of its first byte set, "
                                 f"which the clone indexes use (mask {self.index_bits:#04x}): "
                                 f"unique addresses made from it would repeat")
            taken = used | ({0} if st["nshared"] else set())
            free = [i for i in range(self.slots) if i not in taken]
            if not free:
                ctx.refuse(self, f"all {self.slots} bssid indexes are in use")
            index = free[0]
        elif req.opmode.beacons:
            # Two BSSes on one address are one BSSID for every station: a
            # second beaconing vap must ask for a unique one (CLONE_BSSID).
            same = [v for v in ctx.vaps
                    if v.opmode in self.modes and v.opmode.beacons and v.macaddr == bytes(base)]
            if same:
                ctx.refuse(self, f"{_names(same)} already beacon{'s' if len(same) == 1 else ''} as "
                                 f"{_mac(base)}; a second BSS on the device needs a unique BSSID "
                                 f"(create it with the bssid flag, CLONE_BSSID)")
        if index:
            base[0] |= (index << 2) | 0x2
            used.add(index)
            ctx.reserve(self, "bssid_index", index, lambda: used.discard(index))
            ctx.adjust(self, f"unique bssid index {index}: address {_mac(base)}")
        else:
            st["nshared"] += 1

            def unshare() -> None:
                st["nshared"] -= 1
            ctx.reserve(self, "bssid_index", 0, unshare)
        req.macaddr = bytes(base)

    def _wds(self, ctx: AdmitContext) -> None:
        req = ctx.request
        if req.flags & CloneFlags.MACADDR and req.macaddr is not None:
            return
        ap = next((v for v in ctx.vaps if v.opmode is OpMode.HOSTAP), None)
        if ap is not None and ap.macaddr is not None:
            req.macaddr = bytes(ap.macaddr)
            ctx.adjust(self, f"wds shares the address {_mac(ap.macaddr)} of {getattr(ap, 'name', 'the ap')}")


def _mac(b: bytes | bytearray) -> str:
    return ":".join(f"{x:02x}" for x in b)


class StaNoBeacons(Rule):
    """A STA beside other vaps (or always, as run(4)) gets NOBEACONS: the
    hardware beacon-miss timer belongs to one BSS, so beacon miss is done in
    software."""

    name = "sta-nobeacons"

    def __init__(self, *, always: bool = False) -> None:
        self.always = always

    def describe(self) -> str:
        return "sta gets NOBEACONS" + (" always" if self.always else " beside other vaps")

    def admit(self, ctx: AdmitContext) -> None:
        req = ctx.request
        if req.opmode is not OpMode.STA or req.flags & CloneFlags.NOBEACONS:
            return
        others = [v for v in ctx.vaps if v.opmode is not OpMode.WDS]
        if self.always or others:
            req.flags |= CloneFlags.NOBEACONS
            why = "always" if self.always else f"beside {_names(others)}"
            ctx.adjust(self, f"NOBEACONS set ({why})")


class WdsNoBssid(Rule):
    """CLONE_BSSID is meaningless for WDS (it shares the AP's address): clear it."""

    name = "wds-no-bssid"

    def describe(self) -> str:
        return "CLONE_BSSID cleared for wds"

    def admit(self, ctx: AdmitContext) -> None:
        req = ctx.request
        if req.opmode is OpMode.WDS and req.flags & CloneFlags.BSSID:
            req.flags &= ~CloneFlags.BSSID
            ctx.adjust(self, "CLONE_BSSID cleared")


class MaxChannels(Rule):
    """The device's vaps run on at most `n` different channels at once (a
    FreeBSD device has one, `ic_curchan`).  Checked when a vap comes up or
    changes channel; a monitor or WDS vap without a configured channel
    follows the device and holds none (`ic.views.claimed_channel`)."""

    name = "max-channels"

    def __init__(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError(f"max-channels: n must be at least 1, not {n}")
        self.n = n

    def describe(self) -> str:
        return f"running vaps share {'one channel' if self.n == 1 else f'at most {self.n} channels'}"

    def check_running(self, ic: DeviceView, vap: VapView, channel: Channel | None) -> None:
        if channel is None or vap.opmode is OpMode.P2P_DEVICE:
            return
        held = [(v, c) for v in getattr(ic, "vaps", ()) if v is not vap
                for c in (claimed_channel(v),) if c is not None]
        channels = {c for _, c in held} | {channel}
        if len(channels) <= self.n:
            return
        others = ", ".join(f"{getattr(v, 'name', '?')} on {c.ieee}" for v, c in held if c != channel)
        detail = f"refused by rule {self.name} [{self.describe()}]: {others}"
        raise ConcurrencyError(f"{getattr(vap, 'name', 'vap')} ({vap.opmode.word}) up on channel {channel}: "
                               f"{detail}", [detail])
