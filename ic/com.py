"""The radio device (`struct ieee80211com`).

A driver subclasses `IEEE80211Com`; its `__init__` is `ieee80211_ifattach`
and `detach()` is `ieee80211_ifdetach`.  Users create and destroy vaps with
`create_vap`/`destroy_vap` (FreeBSD's `wlan_clone_create`/`_destroy`);
drivers implement `ic_vap_create`/`ic_vap_delete` and may override the other
`ic_*` methods, whose defaults suit a device with no hardware to program.
"""

from __future__ import annotations

import errno
import logging
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from .admission import MixVerdict, VapRequest
from .channels import ALL_CHANNELS, Channel
from .channels import find_channel as _lookup_channel
from .enums import Caps, CloneFlags, ComFlags, OpMode, parse_wlanmode
from .errors import (
    AlreadyExists,
    Busy,
    DriverError,
    InvalidArgument,
    Net80211Error,
    NoSuchDevice,
    NotSupported,
)
from .names import NameRegistry, check_name, registry_for, unit_of
from .policy import Policy
from .regdomain import DEBUG, TXPOWER_MAX, RegDomain
from .regdomain import lookup as lookup_regdomain
from .sched import Scheduler, TaskQueue
from .vapparams import check_vap_params
from .views import DeviceVap

log = logging.getLogger("net80211")

_MAC_RE = re.compile(r"^[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2}){5}$")

def parse_mac(value: bytes | str, what: str = "address") -> bytes:
    """A MAC address from 6 bytes or 'aa:bb:cc:dd:ee:ff' ('-' separators and
    one-digit groups too, as ifconfig takes them); EINVAL otherwise."""
    if isinstance(value, (bytes, bytearray)) and len(value) == 6:
        return bytes(value)
    if isinstance(value, str) and _MAC_RE.match(value):
        return bytes(int(x, 16) for x in re.split("[:-]", value))
    raise InvalidArgument(f"{what} {value!r} is not a MAC address")


def mac_str(mac: bytes | None) -> str:
    return ":".join(f"{b:02x}" for b in mac) if mac else "-"


DEFAULT_TXPOWER = 20  # dBm, what a device transmits unless told otherwise


# The vap class of a device's layer above (net80211's VapT): the device
# knows its vaps only as DeviceVap, its users as what they are.
VapT = TypeVar("VapT", bound=DeviceVap)


class IEEE80211Com(Generic[VapT]):
    """One radio device with any number of cloned vaps."""

    # Every field in a slot, those every received frame reads first: in a
    # world of thousands of radios each delivery lands on a device whose
    # state is out of the cache, and a slot is one load where an instance
    # dict of this size is a hash probe.  A driver's subclass without
    # `__slots__` still gets a `__dict__` for its own fields.
    __slots__ = (
        "sched", "vaps", "rx_cache", "scan", "nodes", "stats", "flags", "curchan", "bsschan",
        "nrunning", "state_watch", "detached", "offchan", "taskqueue", "name", "names", "macaddr",
        "caps", "channels", "hw_channels", "regdomain", "country", "txpower", "txpower_applied",
        "policy", "cac_done", "rng", "__weakref__",
    )

    # Cloned names without a unit get one with this prefix.
    vap_name_prefix = "wlan"

    def __init__(
        self,
        sched: Scheduler,
        name: str,
        *,
        macaddr: bytes | str,
        caps: Caps,
        channels: tuple[Channel, ...] | list[Channel] | None = None,
        policy: Policy | None = None,
        names: NameRegistry | None = None,
    ) -> None:
        check_name(name)
        self.sched = sched
        self.names = names if names is not None else registry_for(sched)
        self.macaddr = parse_mac(macaddr, "device address")
        self.caps = Caps(caps)
        self.channels: tuple[Channel, ...] = tuple(channels) if channels else ALL_CHANNELS
        if not self.channels:
            raise InvalidArgument(f"{name}: a device needs at least one channel")
        self.hw_channels = self.channels  # what the hardware has; `channels` what the regdomain allows
        self.regdomain: RegDomain = DEBUG
        self.country = "00"
        self.txpower = DEFAULT_TXPOWER  # dBm the user asked for (`ifconfig txpower`)
        self.txpower_applied: int | None = None  # dBm the driver was last told (ic_set_txpower)
        self.curchan: Channel = self.channels[0]
        self.bsschan: Channel | None = None  # channel of the running BSS(es)
        self.flags = ComFlags(0)
        self.vaps: list[VapT] = []
        self.nrunning = 0
        self.policy: Policy = policy if policy is not None else Policy()
        self.cac_done: set[Channel] = set()
        # The layer above's per-device state, made on first use and read only
        # through its own accessors, which know the types (the device does not):
        self.scan: object | None = None  # the scanner (net80211.scan.Scanner.of)
        self.offchan: object | None = None  # remain-on-channel/mgmt-tx (net80211.p2p.offchan.OffChannel.of)
        self.nodes: object | None = None  # the node table (net80211.node.NodeTable.of / .peek)
        # The receive path's header cache (net80211.input.rx_cache_of), made on
        # the first frame unless the driver shares one among the devices of a medium.
        self.rx_cache: object | None = None
        # Called after each state transition of one of its vaps, as
        # (vap, old state, new state): a scenario run records association
        # times and timelines through it.  None costs nothing.
        self.state_watch: Callable[[VapT, int, int], None] | None = None
        self.detached = False
        self.stats: Counter[str] = Counter()  # device-wide counters (rx_malformed, ...)
        # Protocol randomness (IBSS BSSIDs, ...) is seeded per device: same
        # device address, same run.
        self.rng = random.Random(int.from_bytes(self.macaddr, "big"))
        self.names.claim(name, self)
        self.name = name
        self.taskqueue = TaskQueue(sched, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} vaps={[v.name for v in self.vaps]}>"

    # -- generic clone path ------------------------------------------------
    def create_vap(
        self,
        name: str,
        opmode: OpMode | int | str,
        *,
        flags: CloneFlags | int = CloneFlags(0),
        bssid: bytes | str | None = None,
        macaddr: bytes | str | None = None,
        **config: Any,
    ) -> VapT:
        """Clone a vap of `opmode` on this device (`wlan_clone_create`).

        Checks, in order: device present (ENXIO), name (EINVAL/EEXIST), mode
        and parameters (EINVAL), capability (EOPNOTSUPP), the concurrency
        policy (EBUSY with its reason), then asks the driver (nothing
        returned: EIO).  A refused create leaves nothing behind.
        """
        if self.detached:
            raise NoSuchDevice(f"{self.name}: device is detached")
        check_name(name)
        if name in self.names:
            raise AlreadyExists(f"{name}: name already in use")
        mode, flags = self._check_mode(opmode, flags)
        if bssid is not None:
            bssid = parse_mac(bssid, "wlanbssid")
        if macaddr is not None:
            macaddr = parse_mac(macaddr, "wlanaddr")
            self._check_own_address(name, macaddr)
            flags |= CloneFlags.MACADDR
        elif flags & CloneFlags.MACADDR:
            raise InvalidArgument(f"{name}: CLONE_MACADDR needs an address (wlanaddr)")
        if mode is OpMode.WDS and bssid is None:
            raise InvalidArgument(f"{name}: a WDS vap needs its peer's address (wlanbssid)")
        config = check_vap_params(self, name, config)
        if not self.caps & mode.cap:
            raise NotSupported(f"{self.name} does not support {mode.word} mode")
        if flags & CloneFlags.TDMA and not self.caps & Caps.TDMA:
            raise NotSupported(f"{self.name} does not support TDMA")

        request = VapRequest(name, mode, flags, bssid, macaddr, config.get("channel"),
                             config.get("bintval", 0))
        admission = self.policy.admit(self, request)
        req = admission.request
        vaps_before = list(self.vaps)
        vap = None
        try:
            self.names.claim(name, None)
            unit = unit_of(name)
            vap = self.ic_vap_create(name, unit if unit is not None else 0,
                                     req.opmode, req.flags, req.bssid, req.macaddr)
            if vap is None:
                raise DriverError(f"{self.name}: driver refused to create {name}")
            if getattr(vap, "ic", None) is not self:
                raise DriverError(f"{self.name}: {type(self).__name__}.ic_vap_create returned {vap!r}, "
                                  f"which is not a vap of {self.name}")
            if vap not in self.vaps:
                raise DriverError(f"{self.name}: {type(self).__name__}.ic_vap_create returned {name} without "
                                  f"attaching it (vap.attach(macaddr) is its last step)")
            self.names.assign(name, vap)
            vap.configure(**config)
            admission.commit(vap)
        except BaseException:
            admission.abort()
            if vap is not None and getattr(vap, "ic", None) is self:
                # Attached or not, the driver took resources for it (a
                # hardware port, an address): ic_vap_delete gives them back,
                # so a failed create leaves the device as it was.
                try:
                    self.ic_vap_delete(vap)
                except Exception:
                    log.exception("%s: ic_vap_delete of the failed %s failed too", self.name, name)
            for v in list(self.vaps):
                if v not in vaps_before:  # a driver that attached but failed
                    v.detach()
            self.names.release(name)
            raise
        log.debug("%s: created %s vap %s", self.name, mode.word, name)
        return vap

    def destroy_vap(self, vap: VapT) -> None:
        """Destroy a vap of this device (`wlan_clone_destroy`)."""
        if getattr(vap, "ic", None) is not self or vap not in self.vaps:
            raise NoSuchDevice(f"{getattr(vap, 'name', vap)}: not a vap of {self.name}")
        self.ic_vap_delete(vap)
        if vap in self.vaps:  # the driver did not detach it; the framework must
            vap.detach()
        self.policy.release(self, vap)
        self.names.release(vap.name)

    def detach(self) -> None:
        """`ieee80211_ifdetach`: destroy every vap through the destroy path, then the device."""
        if self.detached:
            return
        for vap in reversed(list(self.vaps)):
            self.destroy_vap(vap)
        self.taskqueue.drain()
        self.detached = True
        self.names.release(self.name)

    def check_mix(self, modes: Sequence[OpMode | str | tuple[OpMode | str, CloneFlags | int]],
                  channels: Sequence[Channel | int | None] | None = None) -> MixVerdict:
        """Would this mix of vaps be allowed on an empty device?  Raises EBUSY with
        the policy's explanation if not; returns the explanation (a
        `MixVerdict`, whose str() is the text) if so.  A mode may come with
        the clone flags it would be created with, as `(mode, flags)`."""
        # Keep the flags a mode word implies ("tdma"): rules look at them.
        ms = [self._check_mode(m[0], m[1]) if isinstance(m, tuple) else self._check_mode(m, CloneFlags(0))
              for m in modes]
        chans = None
        if channels is not None:
            chans = [None if c is None else self.find_channel(c) for c in channels]
        for m, flags in ms:
            if not self.caps & m.cap:
                raise NotSupported(f"{self.name} does not support {m.word} mode")
            if flags & CloneFlags.TDMA and not self.caps & Caps.TDMA:
                raise NotSupported(f"{self.name} does not support TDMA")
        return self.policy.check_mix(self, ms, chans)

    # -- helpers -----------------------------------------------------------
    def vap_by_name(self, name: str) -> VapT:
        for v in self.vaps:
            if v.name == name:
                return v
        raise NoSuchDevice(f"{name}: no such vap on {self.name}")

    def set_curchan(self, chan: Channel) -> None:
        """Tune the radio (`ieee80211_setcurchan`)."""
        if chan != self.curchan:
            self.curchan = chan
            self.ic_set_channel()
            self.apply_txpower()

    # -- regulatory domain and transmit power --------------------------------
    def maxpower(self, chan: Channel | None = None) -> int:
        """The most power (dBm) the regulatory domain allows on `chan` (default
        the current channel)."""
        mp = self.regdomain.maxpower(chan or self.curchan)
        return mp if mp is not None else 0

    def txpower_now(self) -> int:
        """The power transmitted on the current channel: what was asked for,
        capped by the regulatory domain's limit there."""
        return min(self.txpower, self.maxpower())

    def apply_txpower(self) -> None:
        """Tell the driver the power for the current channel if it changed."""
        dbm = self.txpower_now()
        if dbm != self.txpower_applied:
            self.txpower_applied = dbm
            self.ic_set_txpower(dbm)

    def set_txpower(self, dbm: int) -> None:
        """`ifconfig txpower`: the power to transmit at, in dBm, at most what
        the regulatory domain allows on the device's channel (EINVAL)."""
        if not isinstance(dbm, int) or isinstance(dbm, bool) or not 0 <= dbm <= TXPOWER_MAX:
            raise InvalidArgument(f"{self.name}: txpower must be 0..{TXPOWER_MAX} dBm, not {dbm!r}")
        chan = self.bsschan or self.curchan
        if dbm > self.maxpower(chan):
            raise InvalidArgument(f"{self.name}: txpower {dbm} dBm is over the {self.maxpower(chan)} dBm "
                                  f"{self.regdomain.name} allows on channel {chan.ieee}")
        self.txpower = dbm
        self.apply_txpower()

    def set_regdomain(self, word: str) -> None:
        """`ifconfig country CC` / `regdomain NAME`: the channel list and the
        power limits follow the domain.  Only while no vap runs (EBUSY), and
        not if a vap is set to a channel the domain does not allow (EINVAL)."""
        dom, country = lookup_regdomain(word)
        running = [v.name for v in self.vaps if v.running]
        if running:
            raise Busy(f"{self.name}: cannot change the regulatory domain while {', '.join(running)} "
                       f"{'is' if len(running) == 1 else 'are'} up")
        chans = tuple(c for c in self.hw_channels if dom.allows(c))
        if not chans:
            raise InvalidArgument(f"{self.name}: none of its channels is allowed in {dom.name}")
        for v in self.vaps:
            if v.des_chan is not None and not dom.allows(v.des_chan):
                raise InvalidArgument(f"{v.name}: its channel {v.des_chan.ieee} is not allowed in "
                                      f"{dom.name} ({country}): set another channel first")
        self.regdomain, self.country, self.channels = dom, country, chans
        if self.curchan not in chans:
            self.set_curchan(chans[0])
        self.apply_txpower()

    def find_channel(self, key: Channel | int) -> Channel:
        """One of the device's channels by number, frequency or Channel; EINVAL if it has none such."""
        try:
            return _lookup_channel(self.channels, key)
        except ValueError as e:
            raise InvalidArgument(f"{self.name}: {e}") from None

    def _check_mode(self, opmode: OpMode | int | str, flags: CloneFlags | int) -> tuple[OpMode, CloneFlags]:
        try:
            flags = CloneFlags(flags)
        except ValueError:
            raise InvalidArgument(f"unknown clone flags {flags!r}") from None
        if isinstance(opmode, str):
            try:
                mode, implied = parse_wlanmode(opmode)
            except ValueError as e:
                raise InvalidArgument(str(e)) from None
            return mode, flags | implied
        try:
            return OpMode(opmode), flags
        except ValueError:
            raise InvalidArgument(f"unknown operating mode {opmode!r}") from None

    def _check_own_address(self, name: str, mac: bytes) -> None:
        """A vap's own address must be one station's: not a group address
        (multicast, broadcast) nor all zeros (EINVAL), and not an address
        another radio or vap uses where this device's frames go
        (EADDRINUSE, `ic_address_in_use`)."""
        text = mac_str(mac)
        if mac[0] & 0x01:
            kind = "broadcast" if mac == b"\xff" * 6 else "multicast"
            raise InvalidArgument(f"{name}: wlanaddr {text} is a {kind} address, not a station's")
        if mac == bytes(6):
            raise InvalidArgument(f"{name}: wlanaddr {text} is the all-zero address")
        user = self.ic_address_in_use(mac)
        if user is not None:
            raise Net80211Error(f"{name}: wlanaddr {text} is in use by {user}", errno.EADDRINUSE)

    # -- driver methods (FreeBSD names) -----------------------------------
    def ic_set_txpower(self, dbm: int) -> None:
        """Driver hook: transmit at `dbm` from now on (the regulatory limit of
        the current channel already applied)."""

    def ic_address_in_use(self, mac: bytes) -> str | None:
        """Driver hook: which other radio (or a vap of one) uses `mac` as its
        own address where this device's frames go (its medium), or None.
        The device's vaps may share an address, as they share the device's
        by default (a station and the legacy WDS link beside it); the base
        class knows no other radio."""
        return None

    def ic_vap_create(self, name: str, unit: int, opmode: OpMode, flags: CloneFlags,
                      bssid: bytes | None, macaddr: bytes | None) -> VapT | None:
        """Driver hook: set up, adjust and attach a vap; return it (or None to refuse)."""
        raise NotImplementedError(f"{type(self).__name__} must implement ic_vap_create")

    def ic_vap_delete(self, vap: VapT) -> None:
        """Driver hook: detach the vap and release its resources.  Also called
        for a vap `ic_vap_create` returned when the create fails afterwards
        (the vap may then be unattached: `vap.detach()` does nothing)."""
        vap.detach()

    def ic_parent(self) -> None:
        """Driver hook: bring the hardware up (nrunning > 0) or down (== 0)."""

    def ic_transmit(self, vap: VapT, frame: bytes) -> bool:
        """Driver hook: queue an 802.11 data frame; False if dropped."""
        return False

    def ic_raw_xmit(self, vap: VapT, frame: bytes, params: dict[str, Any] | None = None) -> bool:
        """Driver hook: send a management or raw frame; False if dropped."""
        return False

    def ic_set_channel(self) -> None:
        """Driver hook: tune the hardware to `self.curchan`."""

    def ic_scan_start(self) -> None:
        """Driver hook: a scan starts (e.g. open the receive filter)."""

    def ic_scan_end(self) -> None:
        """Driver hook: the scan ended."""

    def ic_update_filter(self) -> None:
        """Driver hook: the vaps' receive needs changed (addresses, BSSIDs, promisc)."""

    def ic_beacon_filter(self, vap: VapT, bssid: bytes | None, pass_all: bool) -> bool:
        """Driver hook: keep back the beacons of `bssid` that say what the last
        one said (same elements bar the TIM, same signal), counting them for
        `ic_beacons_filtered`; every beacon still while `pass_all`; None: off
        (Linux's IEEE80211_VIF_BEACON_FILTER).  True if the device filters for
        `vap` now; the default, a device without the offload, never does."""
        return False

    def ic_beacons_filtered(self, vap: VapT) -> tuple[int, int]:
        """Driver hook: (beacons the device's filter kept back from `vap` so
        far, a running count; virtual time in ns of the last of them, 0 if
        none).  (0, 0) without a filter."""
        return 0, 0

    def ic_remain_on_channel(self, chan: Channel, duration_ns: int) -> None:
        """Driver hook: listen (and send) on `chan` for `duration_ns` while the
        operating channel stays configured; frames there are missed meanwhile."""

    def ic_cancel_remain_on_channel(self) -> None:
        """Driver hook: back to the operating channel after `ic_remain_on_channel`."""

    # The longest remain-on-channel the hardware takes (cfg80211's
    # max_remain_on_channel_duration); P2P listen and mgmt-tx waits are cut to it.
    ic_max_remain_on_channel_ms: int = 5000

    # The TSF is virtual time in µs plus this offset.  A class default, not
    # set in __init__, so a driver may keep it in its hardware (a property).
    ic_tsf_offset_us: int = 0

    # The device's hardware index (hwsim's radio id; a P2P wdev id carries it),
    # or None: net80211 then numbers devices in the order it meets them.
    ic_index: int | None = None

    def ic_get_tsf(self) -> int:
        """Driver hook: the TSF now, in µs (default: virtual time plus `ic_tsf_offset_us`)."""
        return self.sched.now_ns // 1000 + self.ic_tsf_offset_us

    def ic_set_tsf(self, tsf_us: int) -> bool:
        """Driver hook: load the TSF (an IBSS adopting an older peer's time) and
        re-align the beacon timers; False (the default) if the hardware cannot."""
        return False

    def ic_get_position(self) -> tuple[float, float, float] | None:
        """Driver hook: where a simulated device is, (x, y, z) in metres;
        None (the default) for a device without a place in a world."""
        return None

    def ic_set_position(self, x: float, y: float, z: float = 0.0) -> None:
        """Driver hook: move a simulated device; its links to the others follow.
        The default refuses: real hardware is moved by hand."""
        raise NotSupported(f"{self.name}: the device has no position to set")

    def describe(self) -> dict[str, Any]:
        """Device facts for tools (`wlanctl list`, conformance snapshots); drivers add theirs."""
        return {"name": self.name}
