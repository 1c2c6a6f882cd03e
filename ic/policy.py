"""A device's concurrency policy: its interface combinations (cfg80211 data)
plus optional FreeBSD-style rules, applied when a vap is created, comes up,
changes channel or (for a P2P device) starts.

The device calls, in this order: `admit` (before the driver's
`ic_vap_create`; returns an `Admission` to `commit` or `abort`), `release`
(after `ic_vap_delete`), `check_running` (before a vap comes up or changes
channel) and `check_start_p2p`.  `check_mix` answers "would these modes be
allowed together?" on an imaginary empty copy of the device.

Counting follows mac80211: software interface types (monitor) are never
limited and not counted; a single interface without radar detection needs
no combination; a P2P device counts only once started.  At create time every
existing vap counts (a created vap may come up at any moment), but only
running vaps have a channel, and a new vap without one is assumed to share.

The records a decision produces (requests, admissions, verdicts) are in
`ic.admission`; the shapes of real devices are the drivers' (hwsim's in
`drivers/hwsim/profiles.py`).
"""

from __future__ import annotations

import copy
import dataclasses
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from .admission import Admission, AdmitContext, MixVerdict, VapRequest
from .channels import Channel
from .combinations import (
    SOFTWARE_IFTYPES,
    ChanWidth,
    DfsRegion,
    IfaceCombination,
    check_combinations,
    format_combinations,
    validate_combinations,
)
from .enums import OPMODE_IFTYPE, CloneFlags, IfType, OpMode, parse_wlanmode
from .errors import ConcurrencyError, NotSupported
from .rules import Rule
from .views import DeviceView, VapView, claimed_channel

__all__ = ["Policy"]

_NO_TABLE = "combinations: none declared, any mix allowed"

# cfg80211_chandef_dfs_required: these types must detect radar on a DFS channel.
RADAR_IFTYPES = frozenset({IfType.AP, IfType.P2P_GO, IfType.ADHOC, IfType.MESH_POINT})


@dataclass(frozen=True)
class _Member:
    """One interface as the combination check sees it."""

    name: str
    iftype: IfType
    channel: Channel | None
    beacon_interval: int = 0


class _ShadowVap:
    """A pretend vap for `check_mix`: just the attributes the policy reads."""

    def __init__(self, req: VapRequest) -> None:
        self.name = req.name
        self.opmode = req.opmode
        self.flags = req.flags
        self.macaddr = req.macaddr
        self.bssid = req.bssid
        self.channel: Channel | None = None
        self.des_chan: Channel | None = None
        self.running = False
        self.p2p_started = False
        self.bintval = req.beacon_interval


class _ShadowDevice:
    """An empty copy of a device for `check_mix`."""

    def __init__(self, ic: DeviceView) -> None:
        self.name = getattr(ic, "name", "device")
        self.caps = getattr(ic, "caps", None)
        self.macaddr = bytes(getattr(ic, "macaddr", None) or b"\x02\x00\x00\x00\x00\x00")
        self.curchan = None
        self.vaps: list[_ShadowVap] = []


def _parse_mode(item: OpMode | str | tuple[OpMode, CloneFlags]) -> tuple[OpMode, CloneFlags]:
    if isinstance(item, tuple):
        return OpMode(item[0]), CloneFlags(item[1])
    if isinstance(item, str):
        return parse_wlanmode(item)
    return OpMode(item), CloneFlags(0)


# The class attribute Policy.VapRequest hides the name inside the class body.
_Request = VapRequest


class Policy:
    """Interface combinations plus FreeBSD-style rules for one kind of device.

    `Policy()` allows everything.  A policy object may be shared by several
    devices: reservation state is kept per device.
    """

    VapRequest = VapRequest  # so `ic.policy.VapRequest(...)` works on an instance

    # Class-level defaults: a subclass that overrides admit() without calling
    # __init__ still behaves as the allow-everything policy elsewhere.
    combinations: tuple[IfaceCombination, ...] = ()
    rules: tuple[Rule, ...] = ()
    software_iftypes: frozenset[IfType] = SOFTWARE_IFTYPES
    radar_width: ChanWidth = ChanWidth.W20
    dfs_region: DfsRegion = DfsRegion.UNSET
    iftypes: dict[OpMode, IfType] = OPMODE_IFTYPE
    name = "allow-all"

    def __init__(self, combinations: Iterable[IfaceCombination] = (), rules: Iterable[Rule] = (), *,
                 software_iftypes: frozenset[IfType] = SOFTWARE_IFTYPES,
                 radar_width: ChanWidth = ChanWidth.W20, dfs_region: DfsRegion = DfsRegion.UNSET,
                 iftypes: Mapping[OpMode, IfType] | None = None, name: str = "custom") -> None:
        self.combinations: tuple[IfaceCombination, ...] = tuple(combinations)
        validate_combinations(self.combinations, software_iftypes)
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.software_iftypes = frozenset(software_iftypes)
        self.radar_width = ChanWidth(radar_width)
        self.dfs_region = DfsRegion(dfs_region)
        self.iftypes: dict[OpMode, IfType] = dict(OPMODE_IFTYPE)
        self.iftypes.update(iftypes or {})
        self.name = name

    def __repr__(self) -> str:
        return f"<Policy {self.name}: {len(self.combinations)} combinations, {len(self.rules)} rules>"

    def format(self) -> str:
        """The policy as text: the combination table, then the rules."""
        lines = [format_combinations(self.combinations) if self.combinations
                 else "interface combinations: none (any mix of supported modes)"]
        if self.rules:
            lines.append("rules:")
            lines += [f"\t * {r.name}: {r.describe()}" for r in self.rules]
        return "\n".join(lines)

    # -- per-device state ------------------------------------------------

    def _state(self, ic: DeviceView) -> dict[Any, Any]:
        devices = self.__dict__.get("_devices")
        if devices is None:
            devices = self.__dict__["_devices"] = weakref.WeakKeyDictionary()
        st = devices.get(ic)
        if st is None:
            st = devices[ic] = {"ledger": {}}
        return st

    def _ledger(self, ic: DeviceView) -> dict[int, tuple[Any, Admission]]:
        return self._state(ic)["ledger"]

    def bind(self, ic: DeviceView, vap: VapView, admission: Admission) -> None:
        """Record a committed admission: `release` frees it with the vap."""
        self._ledger(ic)[id(vap)] = (vap, admission)

    def rule_state(self, ic: DeviceView, rule: Rule) -> dict[str, Any]:
        """Per-device, per-rule state (reservation tables)."""
        return self._state(ic).setdefault(id(rule), {})

    def resources(self, ic: DeviceView, vap: VapView) -> dict[str, Any]:
        """What the policy reserved for a created vap (beacon slot, bssid index...)."""
        entry = self._ledger(ic).get(id(vap))
        return dict(entry[1].resources) if entry and entry[0] is vap else {}

    def admission_of(self, ic: DeviceView, vap: VapView) -> Admission | None:
        """The committed admission of a vap, with its adjustments."""
        entry = self._ledger(ic).get(id(vap))
        return entry[1] if entry and entry[0] is vap else None

    # -- the device's call sites -------------------------------------------

    def admit(self, ic: DeviceView, req: _Request) -> Admission:
        """Decide on a create request: combinations first, then each rule in
        order.  Raises ConcurrencyError (EBUSY) leaving nothing reserved."""
        request = copy.copy(req)
        adm = Admission(request, self, ic, dataclasses.replace(req))
        ctx = AdmitContext(self, ic, request, adm)
        try:
            if request.opmode is OpMode.P2P_DEVICE:
                table = "combinations: a p2p device counts only once started"
            elif not self.combinations:
                # No table: skip counting the device's vaps (O(n) per create).
                table = _NO_TABLE
            else:
                members = [self._member(v) for v in ctx.vaps
                           if self._counts(v, running_only=False)]
                table = self._check_table(members, self._new_member(request),
                                          f"{request.name} ({request.opmode.word})")
            for rule in self.rules:
                rule.admit(ctx)
        except BaseException:
            adm.abort()
            raise
        adm.explanation = "; ".join([table] + adm.adjustments)
        return adm

    def release(self, ic: DeviceView, vap: VapView) -> None:
        """Give back what a destroyed vap held; unknown vaps are ignored."""
        entry = self._ledger(ic).pop(id(vap), None)
        if entry is None or entry[0] is not vap:
            return
        adm = entry[1]
        adm._free()
        adm.state = "released"

    def check_running(self, ic: DeviceView, vap: VapView, channel: Channel | None) -> str:
        """May `vap` run on `channel` beside the running vaps?  Returns the
        explanation; raises ConcurrencyError (the vap must stay down)."""
        if not self.combinations and not self.rules:
            return _NO_TABLE
        members = [self._member(v) for v in getattr(ic, "vaps", ())
                   if v is not vap and self._counts(v, running_only=True)]
        p2p_device = vap.opmode is OpMode.P2P_DEVICE
        new = _Member(vap.name if hasattr(vap, "name") else "vap", self.iftypes[vap.opmode],
                      None if p2p_device else channel, self._bintval(vap))
        # A P2P device holds no channel (it only visits the social ones): the
        # sentence names none, whatever channel it was configured with.
        where = f" on channel {channel}" if channel is not None and not p2p_device else ""
        verb = "start" if p2p_device else "up"
        text = self._check_table(members, new, f"{new.name} ({vap.opmode.word}) {verb}{where}")
        for rule in self.rules:
            rule.check_running(ic, vap, channel)
        return text

    def check_start_p2p(self, ic: DeviceView, vap: VapView) -> str:
        """May this P2P device start?  Same answer as `check_running`."""
        return self.check_running(ic, vap, None)

    # -- counting ----------------------------------------------------------

    def _counts(self, vap: VapView, *, running_only: bool) -> bool:
        running = bool(getattr(vap, "running", False))
        if vap.opmode is OpMode.P2P_DEVICE:  # started either way: up, or by the P2P layer
            return running or bool(getattr(vap, "p2p_started", False))
        return running or not running_only

    def _bintval(self, vap: VapView) -> int:
        if not vap.opmode.beacons:
            return 0
        return int(getattr(vap, "bintval", 0) or 0)

    def _member(self, vap: VapView) -> _Member:
        # Channels and beacon intervals are operating parameters: only a
        # running vap has them.  A running vap without a channel yet (a STA
        # still scanning) is assumed to share; the current channel is a guess.
        # A follower (a monitor, a WDS link) holds only a channel it was
        # configured for (`claimed_channel`).
        bintval = self._bintval(vap) if getattr(vap, "running", False) else 0
        return _Member(getattr(vap, "name", "vap"), self.iftypes[vap.opmode], claimed_channel(vap), bintval)

    def _new_member(self, req: _Request) -> _Member:
        bi = req.beacon_interval if req.opmode.beacons else 0
        return _Member(req.name, self.iftypes[req.opmode], req.channel, bi)

    def max_channels(self) -> int | None:
        """How many different channels the device's vaps may use at once
        (the largest `num_different_channels` of its combinations); None
        without combinations."""
        if not self.combinations:
            return None
        return max(c.num_different_channels for c in self.combinations)

    def _check_channel_count(self, members: list[_Member], new: _Member, channels: set[Channel],
                             what: str) -> None:
        """Channels in use against the device's channel count, where no
        combination is consulted (a software interface, a single one)."""
        limit = self.max_channels() or 1
        if len(channels) <= limit:
            return
        held = ", ".join(f"{m.name} on {m.channel.ieee}" for m in members
                         if m.channel is not None and m.channel != new.channel)
        reason = f"{len(channels)} different channels exceed the {limit} the device can use at once ({held})"
        raise ConcurrencyError(f"{what}: {reason}", [reason])

    def _check_table(self, members: list[_Member], new: _Member, what: str) -> str:
        if not self.combinations:
            return _NO_TABLE
        # Software interface types are not counted, but a channel is the
        # hardware's whatever uses it: a monitor configured for channel 6
        # cannot listen there while the device's AP runs on channel 1.
        channels = {m.channel for m in [*members, new] if m.channel is not None}
        everyone = [m for m in members if m.iftype not in self.software_iftypes] + [new]
        counts = Counter(m.iftype for m in everyone)
        if new.iftype in self.software_iftypes:
            self._check_channel_count(members, new, channels, what)
            return f"combinations: {new.iftype.name} is a software interface type, always allowed"
        radar = 0
        for m in everyone:
            if m.channel is not None and m.channel.is_dfs and m.iftype in RADAR_IFTYPES:
                radar |= 1 << self.radar_width
        if len(everyone) == 1 and not radar:
            self._check_channel_count(members, new, channels, what)
            return "combinations: a single interface needs no combination"
        try:
            matching = check_combinations(
                self.combinations, counts, num_different_channels=len(channels),
                radar_detect=radar, radar_region=self.dfs_region,
                beacon_intervals=[m.beacon_interval for m in everyone],
                software_iftypes=self.software_iftypes)
        except ConcurrencyError as e:
            raise ConcurrencyError(f"{what}: {e.strerror}", e.reasons) from None
        idx = [i for i, c in enumerate(self.combinations, start=1) if c in matching]
        return f"combinations: allowed by combination {', '.join(map(str, idx))}"

    # -- what-if -----------------------------------------------------------

    def check_mix(self, ic: DeviceView, modes: Sequence[OpMode | str | tuple[OpMode, CloneFlags]],
                  channels: Sequence[Channel | None] | None = None) -> MixVerdict:
        """Would these vaps, created in this order (and brought up on
        `channels`, parallel to `modes`), be allowed on an empty `ic`?

        Returns a MixVerdict; raises ConcurrencyError carrying the same
        explanation, or NotSupported when the device lacks a mode.
        """
        parsed = [_parse_mode(m) for m in modes]
        if channels is not None and len(channels) != len(parsed):
            raise ValueError(f"{len(channels)} channels given for {len(parsed)} modes")
        chans = list(channels) if channels is not None else [None] * len(parsed)
        verdict = MixVerdict(True, tuple(m for m, _ in parsed))
        shadow = _ShadowDevice(ic)
        caps = shadow.caps

        def refuse(err: ConcurrencyError) -> NoReturn:
            verdict.allowed = False
            verdict.steps.append(f"refused: {err.strerror}")
            raise ConcurrencyError(str(verdict), err.reasons) from None

        for i, (mode, flags) in enumerate(parsed):
            name = f"wlan{i}"
            if caps is not None and not caps & mode.cap:
                raise NotSupported(f"{name} ({mode.word}): the device lacks the {mode.cap.name} capability")
            req = VapRequest(name, mode, flags, channel=chans[i])
            try:
                adm = self.admit(shadow, req)
            except ConcurrencyError as e:
                refuse(e)
            vap = _ShadowVap(adm.request)
            shadow.vaps.append(vap)
            adm.commit(vap)
            verdict.steps.append(f"create {name} ({mode.word}): {adm.explanation}")
        # Bring everything up in order, P2P devices last, so that each check
        # sees every interface that runs before it.
        order = sorted(zip(shadow.vaps, chans, strict=True),
                       key=lambda vc: vc[0].opmode is OpMode.P2P_DEVICE)
        for vap, chan in order:
            try:
                if vap.opmode is OpMode.P2P_DEVICE:
                    verdict.steps.append(f"start {vap.name}: {self.check_start_p2p(shadow, vap)}")
                    vap.p2p_started = True
                else:
                    vap.des_chan = chan
                    verdict.steps.append(f"up {vap.name}: {self.check_running(shadow, vap, chan)}")
                    vap.running, vap.channel = True, chan
            except ConcurrencyError as e:
                refuse(e)
        return verdict
