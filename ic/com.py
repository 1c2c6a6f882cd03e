"""The radio device (`struct ieee80211com`).

A driver subclasses `IEEE80211Com`; its `__init__` is `ieee80211_ifattach`
and `detach()` is `ieee80211_ifdetach`.  Users create and destroy vaps with
`create_vap`/`destroy_vap` (FreeBSD's `wlan_clone_create`/`_destroy`);
drivers implement `ic_vap_create`/`ic_vap_delete` and may override the other
`ic_*` methods, whose defaults suit a device with no hardware to program.
"""

from __future__ import annotations

import logging
import random
import re
from collections import Counter
from typing import Any

from .channels import ALL_CHANNELS, Channel, find_channel
from .enums import Caps, CloneFlags, ComFlags, OpMode, parse_wlanmode
from .errors import AlreadyExists, DriverError, InvalidArgument, NoSuchDevice, NotSupported
from .names import NameRegistry, check_name, registry_for, unit_of
from .policy import Policy, VapRequest
from .sched import Scheduler, TaskQueue

log = logging.getLogger("net80211")

_MAC_RE = re.compile(r"^[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2}){5}$")

# Generic vap parameters `create_vap` accepts as keywords, with their checks.
SSID_MAX = 32
BINTVAL_MIN, BINTVAL_MAX = 25, 1000  # TU, as FreeBSD's IEEE80211_BINTVAL_*
AID_MAX = 2007  # IEEE80211_AID_MAX


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


class IEEE80211Com:
    """One radio device with any number of cloned vaps."""

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
        self.curchan: Channel = self.channels[0]
        self.bsschan: Channel | None = None  # channel of the running BSS(es)
        self.flags = ComFlags(0)
        self.vaps: list[Any] = []
        self.nrunning = 0
        self.policy: Policy = policy if policy is not None else Policy()
        self.cac_done: set[Channel] = set()
        self.scan: Any = None  # the device's scanner, made by net80211 on first use
        self.offchan: Any = None  # net80211's remain-on-channel/mgmt-tx state, made on first use
        self.nodes: Any = None  # the device's node table, made by net80211 on first use
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
    ) -> Any:
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
            flags |= CloneFlags.MACADDR
        elif flags & CloneFlags.MACADDR:
            raise InvalidArgument(f"{name}: CLONE_MACADDR needs an address (wlanaddr)")
        if mode is OpMode.WDS and bssid is None:
            raise InvalidArgument(f"{name}: a WDS vap needs its peer's address (wlanbssid)")
        config = self._check_config(name, config)
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
            if vap not in self.vaps or getattr(vap, "ic", None) is not self:
                raise DriverError(f"{self.name}: driver returned {vap!r} without attaching it")
            self.names.assign(name, vap)
            vap.configure(**config)
            admission.commit(vap)
        except BaseException:
            admission.abort()
            if vap is not None and vap in self.vaps:
                self.ic_vap_delete(vap)
            for v in list(self.vaps):
                if v not in vaps_before:  # a driver that attached but failed
                    v.detach()
            self.names.release(name)
            raise
        log.debug("%s: created %s vap %s", self.name, mode.word, name)
        return vap

    def destroy_vap(self, vap: Any) -> None:
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

    def check_mix(self, modes: list[OpMode | str], channels: list[Channel | int | None] | None = None) -> Any:
        """Would this mix of vaps be allowed on an empty device?  Raises EBUSY with
        the policy's explanation if not; returns the explanation (a
        `MixVerdict`, whose str() is the text) if so."""
        # Keep the flags a mode word implies ("tdma"): rules look at them.
        ms = [self._check_mode(m, CloneFlags(0)) for m in modes]
        chans = None
        if channels is not None:
            chans = [None if c is None else self._find_channel(c) for c in channels]
        for m, flags in ms:
            if not self.caps & m.cap:
                raise NotSupported(f"{self.name} does not support {m.word} mode")
            if flags & CloneFlags.TDMA and not self.caps & Caps.TDMA:
                raise NotSupported(f"{self.name} does not support TDMA")
        return self.policy.check_mix(self, ms, chans)

    # -- helpers -----------------------------------------------------------
    def vap_by_name(self, name: str) -> Any:
        for v in self.vaps:
            if v.name == name:
                return v
        raise NoSuchDevice(f"{name}: no such vap on {self.name}")

    def set_curchan(self, chan: Channel) -> None:
        """Tune the radio (`ieee80211_setcurchan`)."""
        if chan != self.curchan:
            self.curchan = chan
            self.ic_set_channel()

    def _find_channel(self, key: Channel | int) -> Channel:
        try:
            return find_channel(self.channels, key)
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

    def _check_config(self, name: str, config: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in config.items():
            if key == "ssid":
                ssid = value.encode() if isinstance(value, str) else value
                if not isinstance(ssid, (bytes, bytearray)) or len(ssid) > SSID_MAX:
                    raise InvalidArgument(f"{name}: ssid must be at most {SSID_MAX} bytes")
                out[key] = bytes(ssid)
            elif key == "channel":
                out[key] = None if value is None else self._find_channel(value)
            elif key == "bintval":
                if not isinstance(value, int) or not BINTVAL_MIN <= value <= BINTVAL_MAX:
                    raise InvalidArgument(f"{name}: bintval must be {BINTVAL_MIN}..{BINTVAL_MAX} TU")
                out[key] = value
            elif key == "dtim_period":
                if not isinstance(value, int) or not 1 <= value <= 15:
                    raise InvalidArgument(f"{name}: dtim_period must be 1..15")
                out[key] = value
            elif key in ("hidessid", "dwds"):
                out[key] = bool(value)
            elif key == "maxsta":
                if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= AID_MAX:
                    raise InvalidArgument(f"{name}: maxsta must be 1..{AID_MAX}")
                out[key] = value
            elif key in ("netdev", "netns"):
                # The upper side's kind and namespace: net80211 knows the kinds.
                if value is not None and (not isinstance(value, str) or not value):
                    raise InvalidArgument(f"{name}: {key} must be a name")
                out[key] = value
            else:
                raise InvalidArgument(f"{name}: unknown vap parameter {key!r}")
        return out

    # -- driver methods (FreeBSD names) -----------------------------------
    def ic_vap_create(self, name: str, unit: int, opmode: OpMode, flags: CloneFlags,
                      bssid: bytes | None, macaddr: bytes | None) -> Any:
        """Driver hook: set up, adjust and attach a vap; return it (or None to refuse)."""
        raise NotImplementedError(f"{type(self).__name__} must implement ic_vap_create")

    def ic_vap_delete(self, vap: Any) -> None:
        """Driver hook: release the vap's resources and detach it."""
        vap.detach()

    def ic_parent(self) -> None:
        """Driver hook: bring the hardware up (nrunning > 0) or down (== 0)."""

    def ic_transmit(self, vap: Any, frame: bytes) -> bool:
        """Driver hook: queue an 802.11 data frame; False if dropped."""
        return False

    def ic_raw_xmit(self, vap: Any, frame: bytes, params: Any = None) -> bool:
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

    def ic_remain_on_channel(self, chan: Channel, duration_ns: int) -> None:
        """Driver hook: listen (and send) on `chan` for `duration_ns` while the
        operating channel stays configured; frames there are missed meanwhile."""

    def ic_cancel_remain_on_channel(self) -> None:
        """Driver hook: back to the operating channel after `ic_remain_on_channel`."""
