"""HwsimRadio: a simulated radio device (`IEEE80211Com`) on a `HwsimMedium`.

The driver half of mac80211_hwsim: it owns one medium port, programs it from
the vaps' needs (own addresses, BSSIDs, receive filter, channel), sends what
net80211 hands it and passes received frames up to net80211's input path.
Beaconing vaps get beacons at every target beacon transmission time (TBTT),
as the hardware's beacon timer does.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from ic import (
    MS,
    Busy,
    Callout,
    Caps,
    Channel,
    CloneFlags,
    ComFlags,
    IEEE80211Com,
    OpMode,
    Policy,
    RxInfo,
    State,
    TxStatus,
)
from net80211 import IEEE80211Vap
from net80211.driver import BeaconTimer, beacon_frame, input_all, tx_complete

from .kernel.medtypes import (
    ADDR_BSS,
    ADDR_OWN,
    FCS_LEN,
    FIF_ALLMULTI,
    FIF_BEACONS,
    FIF_PROBE_REQ,
    FIF_PROMISC,
    mac_to_int,
)
from .kernel.rates import RC_USE_RTS_CTS
from .medium import HwsimMedium, MediumPort, register_radio_factory
from .profiles import HWSIM_CAPS, hwsim_default

log = logging.getLogger(__name__)

DEFAULT_CAPS = HWSIM_CAPS
IBSS_CWMIN = 15  # aCWmin of OFDM PHYs: IBSS beacons back off 0..2*aCWmin slots
SLOT_NS = 9_000
MAX_VAP_ADDRS = 256  # the last octet of 02:00:00:hi:lo:NN
MAX_HELD = 256  # frames held for the operating channel while off-channel
# 500 kb/s units -> the medium's rate index (1, 2, 5.5, 11, 6, 9, ... 54 Mb/s).
RATE_INDEX = {2: 0, 4: 1, 11: 2, 22: 3, 12: 4, 18: 5, 24: 6, 36: 7, 48: 8, 72: 9, 96: 10, 108: 11}
DATA_RATES = ((8, 2), (6, 2), (4, 4))
_RTS_FLAGS = (RC_USE_RTS_CTS,) * len(DATA_RATES)  # every try of the chain
STOP_DRAIN_MAX_NS = 100 * MS  # longest a stopping radio waits for its queued frames


def radio_addr(idx: int) -> bytes:
    """mac80211_hwsim's permanent address of radio `idx`: 02:00:00:hi:lo:00."""
    return bytes((0x02, 0, 0, (idx >> 8) & 0xFF, idx & 0xFF, 0))


def hw_addr(perm: bytes) -> bytes:
    """The address a radio uses on the medium protocol: byte 0 | 0x40."""
    return bytes((perm[0] | 0x40, *perm[1:]))


class HwsimVap(IEEE80211Vap):
    """A vap of a simulated radio: programs the medium, then lets net80211 work."""

    __slots__ = ("addr_slot",)  # the driver's own vap field
    ic: HwsimRadio

    def __init__(self, ic: HwsimRadio, name: str, unit: int, opmode: OpMode,
                 flags: CloneFlags = CloneFlags(0), bssid: bytes | None = None) -> None:
        super().__init__(ic, name, unit, opmode, flags, bssid)
        self.addr_slot: int | None = None  # the radio's address slot this vap's address took

    def iv_newstate(self, nstate: State, arg: int) -> int:
        radio = self.ic
        if nstate < State.RUN or not self.opmode.beacons:
            radio.beacons.stop(self)
        rc = super().iv_newstate(nstate, arg)
        if rc == 0:
            # The BSSID is known only once net80211 has done its part (a
            # station picks it from the scan, an IBSS may adopt a peer's).
            radio._program_bssid(self)
            if nstate == State.RUN and self.opmode.beacons and not self.flags & CloneFlags.NOBEACONS:
                radio.beacons.start(self)
            radio.ic_update_filter()
        return rc


class HwsimRadio(IEEE80211Com[IEEE80211Vap]):
    """One simulated radio: a device whose hardware is a port of the medium."""

    # The radio's own fields in slots, as the device's (a dict of some forty
    # names is a hash probe on every read); `__dict__` stays for a method
    # wrapped on one radio (tests spy on ic_transmit so).
    __slots__ = (
        "port", "medium", "idx", "ic_index", "nchannels", "p2p_device", "hwaddr", "_slots", "_bssids",
        "_addrs", "beacons", "_status_cb", "roc_chan", "_held", "_rng", "_inflight",
        "_stop_pending", "_stop_entry", "beacon_filter", "_bf_req", "_bf_on", "_bf_base",
        "_bf_kept", "__dict__",
    )

    vap_class: type[HwsimVap] = HwsimVap
    # input_all as a method: self._input(frame, rx) is input_all(self, frame, rx)
    _input = input_all

    def __init__(self, medium: HwsimMedium, name: str, idx: int, *, caps: Caps = DEFAULT_CAPS,
                 policy: Policy | None = None, channels: tuple[Channel, ...] | None = None,
                 nchannels: int = 1, p2p_device: bool = True, perm_addr: bytes | str | None = None,
                 position: tuple[float, ...] = (0.0, 0.0, 0.0), tx_power_dbm: int = 20) -> None:
        if perm_addr is None:
            perm_addr = radio_addr(idx)
        if policy is None:
            policy = hwsim_default(p2p_device=p2p_device and bool(caps & Caps.P2P_DEVICE),
                                   channels=nchannels, wds=bool(caps & Caps.WDS))
        if not p2p_device:
            caps &= ~Caps.P2P_DEVICE
        super().__init__(medium.sched, name, macaddr=perm_addr, caps=caps, channels=channels,
                         policy=policy)
        self.medium = medium
        self.idx = idx
        self.ic_index = idx
        self.nchannels = nchannels
        self.p2p_device = bool(caps & Caps.P2P_DEVICE)
        self.hwaddr = hw_addr(self.macaddr)
        self.port: MediumPort = medium.add_port(name, hwaddr=self.hwaddr, freq=self.curchan.freq,
                                                position=position, tx_power_dbm=tx_power_dbm,
                                                started=False)
        self.txpower = self.txpower_applied = tx_power_dbm  # the port transmits at it
        # Received frames go straight to net80211's input path: no Python
        # frame of ours in between on the hottest path of a large world, and
        # one bound method (not a partial and its argument tuple) to reach.
        self.port.rx = self._input
        self.rx_cache = medium.rx_cache
        self.port.tx_status = self._tx_status
        self._slots: set[int] = set()  # last octets of vap addresses in use
        self._bssids: dict[int, bytes] = {}  # id(vap) -> BSSID programmed for it
        self._addrs: dict[int, bytes] = {}  # id(vap) -> own address programmed for it
        self.beacons = BeaconTimer(self, self._beacon_fire)  # the hardware beacon timer
        self._status_cb: dict[int, Callable[[bytes, TxStatus], Any]] = {}
        self.roc_chan: Channel | None = None  # remain-on-channel in progress
        self._held: list[tuple[bytes, Any, bool, Any, tuple[int, ...]]] = []  # frames held while off-channel
        # The TSF is virtual time in µs plus this offset.  Real radios power
        # up at different moments, so their TSFs (and TBTTs) differ; equal
        # TSFs would make every AP of a world beacon at the same instant and
        # collide each time.  Seeded by the radio's address: same run.
        self.ic_tsf_offset_us = self.rng.randrange(1 << 32)
        # The hardware's own randomness (beacon backoff), seeded by the medium's seed.
        self._rng = random.Random(medium.seed << 20 ^ idx)
        self._inflight = 0  # frames handed to the medium without a status yet
        # The beacon filter offload: on, as most hardware has it; a station
        # asks for it while associated (net80211.beacon_filter).
        self.beacon_filter = True
        # Beacon filter requests by vap (id -> vap, BSSID, pass all), the one
        # the port's filter holds now, and beacons it kept back for each vap.
        self._bf_req: dict[int, tuple[IEEE80211Vap, bytes, bool]] = {}
        self._bf_on: tuple[IEEE80211Vap, bytes, bool] | None = None
        self._bf_base = 0  # the port's count when _bf_on was set
        self._bf_kept: dict[int, tuple[int, int]] = {}  # (count, time of the last)
        self._stop_pending = False
        self._stop_entry: Any = None

    # -- addresses --------------------------------------------------------------
    def _vap_address(self, macaddr: bytes | None) -> tuple[bytes, int | None]:
        if macaddr is not None:
            return macaddr, None
        for slot in range(MAX_VAP_ADDRS):
            if slot not in self._slots:
                return bytes((*self.macaddr[:5], slot)), slot
        raise Busy(f"{self.name}: all {MAX_VAP_ADDRS} vap addresses are in use")

    # -- driver methods -----------------------------------------------------------
    def ic_set_txpower(self, dbm: int) -> None:
        """The medium computes every link of this radio at the new power."""
        self.port.tx_power_dbm = dbm

    def ic_address_in_use(self, mac: bytes) -> str | None:
        """Another radio of the medium whose own address `mac` is, a vap of
        any radio of the medium using it, or an address a port of the medium
        answers to (a kernel radio's, on an external medium); this radio's
        own addresses and its vaps' are its own business."""
        for radio in self.medium.radios:
            if radio is self:
                continue
            if radio.macaddr == mac:
                return f"radio {radio.name}"
            for v in radio.vaps:
                if v.macaddr == mac:
                    return f"{v.name} on {radio.name}"
        key = (mac_to_int(mac), ADDR_OWN)
        for port in self.medium.ports:
            if port is not self.port and key in port._addrs:
                return f"{port.name} on the medium"
        return None

    def ic_vap_create(self, name: str, unit: int, opmode: OpMode, flags: CloneFlags,
                      bssid: bytes | None, macaddr: bytes | None) -> HwsimVap:
        if opmode is OpMode.WDS and macaddr is None:
            # As ath(4): a WDS vap shares the address of the device's AP, the
            # one its peer knows.
            macaddr = next((v.macaddr for v in self.vaps if v.opmode is OpMode.HOSTAP), None)
        addr, slot = self._vap_address(macaddr)
        vap = self.vap_class(self, name, unit, opmode, flags, bssid)
        if slot is not None:
            self._slots.add(slot)
        vap.addr_slot = slot
        vap.attach(addr)
        return vap

    def ic_vap_delete(self, vap: IEEE80211Vap) -> None:
        self._bf_req.pop(id(vap), None)
        self._bf_kept.pop(id(vap), None)
        vap.detach()
        self.beacons.stop(vap)
        self._program_bssid(vap, None)
        slot = vap.addr_slot if isinstance(vap, HwsimVap) else None  # the radio makes only HwsimVaps
        if slot is not None:
            self._slots.discard(slot)
        self.ic_update_filter()

    def ic_parent(self) -> None:
        if self.nrunning > 0:
            self._stop_entry_cancel()
            self.port.start(self.curchan.freq)
        elif self._inflight and self.port.started:
            # Frames net80211 sent on the way down (deauthentications) are
            # still queued: stop once they are out, as a driver flushes its
            # transmit queue before it powers the radio down.
            self._stop_pending = True
            if self._stop_entry is None:
                self._stop_entry = self.sched.call_later(STOP_DRAIN_MAX_NS, self._stop_now)
        else:
            self._stop_now()

    def _stop_now(self) -> None:
        self._stop_entry_cancel()
        if self.nrunning == 0:
            self.port.stop()

    def _stop_entry_cancel(self) -> None:
        self._stop_pending = False
        if self._stop_entry is not None:
            self.sched.cancel(self._stop_entry)
            self._stop_entry = None

    def ic_set_channel(self) -> None:
        self.port.freq = self.curchan.freq
        if self._held and self.roc_chan is None and self.curchan == self.bsschan:
            self._release_held()  # back home during a background scan: queues wake up

    def ic_scan_start(self) -> None:
        self.ic_update_filter()

    def ic_scan_end(self) -> None:
        self.ic_update_filter()
        if self.roc_chan is None:
            self._release_held()

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for frame, rates, no_ack, on_status, rate_flags in held:  # queues wake up, as mac80211's do
            self._xmit(frame, rates, no_ack, on_status, rate_flags)

    def ic_remain_on_channel(self, chan: Channel, duration_ns: int) -> None:
        # The hardware really leaves: the operating channel is not heard
        # until ic_cancel_remain_on_channel (mac80211_hwsim's tmp_chan).
        self.roc_chan = chan
        self.port.set_offchannel(chan.freq)
        self.stats["roc"] += 1

    def ic_cancel_remain_on_channel(self) -> None:
        self.roc_chan = None
        self.port.set_offchannel(None)
        self._release_held()

    def ic_update_filter(self) -> None:
        """Own addresses of attached vaps, and the filter flags their modes need."""
        port = self.port
        if not port.attached:
            return
        want = {id(v): v.macaddr for v in self.vaps if v.macaddr is not None}
        for key, addr in list(self._addrs.items()):
            if want.get(key) != addr:
                port.del_addr(addr, ADDR_OWN)
                del self._addrs[key]
        for key, addr in want.items():
            if key not in self._addrs:
                port.add_addr(addr, ADDR_OWN)
                self._addrs[key] = addr
        flt = 0
        if self.flags & ComFlags.SCAN:
            flt |= FIF_BEACONS
        for v in self.vaps:
            if not v.running:
                continue
            if v.opmode is OpMode.MONITOR:
                flt |= FIF_PROMISC
            if v.opmode.ap_like or v.opmode in (OpMode.IBSS, OpMode.MBSS, OpMode.P2P_DEVICE):
                flt |= FIF_PROBE_REQ
            if v.opmode is OpMode.IBSS:
                flt |= FIF_BEACONS  # to merge with an older IBSS of the same SSID
            if v.opmode is OpMode.AHDEMO:
                flt |= FIF_ALLMULTI  # group data of a zero BSSID matches no BSS filter
        if flt != port.filter:
            port.filter = flt
        self._bf_apply()

    # -- beacon filter (the offload Linux calls IEEE80211_VIF_BEACON_FILTER) --------------
    def ic_beacon_filter(self, vap: IEEE80211Vap, bssid: bytes | None, pass_all: bool) -> bool:
        if bssid is not None and not self.beacon_filter:
            return False
        if bssid is None:
            self._bf_req.pop(id(vap), None)
        else:
            self._bf_req[id(vap)] = (vap, bytes(bssid), bool(pass_all))
        self._bf_apply()
        return bssid is not None

    def ic_beacons_filtered(self, vap: IEEE80211Vap) -> tuple[int, int]:
        n, last = self._bf_kept.get(id(vap), (0, 0))
        on = self._bf_on
        if on is not None and on[0] is vap:
            now_n, now_last = self.port.beacons_filtered
            if now_n > self._bf_base:
                n, last = n + now_n - self._bf_base, now_last
        return n, last

    def _bf_apply(self) -> None:
        """One filter per radio, so it holds a request only while its vap is the
        radio's one running vap, and none while the radio scans or hears all
        (a scan wants every beacon; a monitor vap, every frame)."""
        want = None
        if len(self._bf_req) == 1 and not self.flags & ComFlags.SCAN and not self.port.filter & FIF_PROMISC:
            (req,) = self._bf_req.values()
            if req[0].running and all(v is req[0] or not v.running for v in self.vaps):
                want = req
        on = self._bf_on
        if want == on:
            return
        if on is not None:  # what it kept back for that vap stays counted
            self._bf_kept[id(on[0])] = self.ic_beacons_filtered(on[0])
        self._bf_on, self._bf_base = want, self.port.beacons_filtered[0]
        if want is None:
            self.port.set_beacon_filter(None)
        else:
            self.port.set_beacon_filter(want[1], want[2])

    def _program_bssid(self, vap: IEEE80211Vap, bssid: bytes | None | bool = True) -> None:
        if isinstance(bssid, bool):  # True: what the vap's state says
            bssid = vap.bssid if vap.state > State.SCAN or vap.opmode is OpMode.WDS else None
        old = self._bssids.get(id(vap))
        if old == bssid:
            return
        if old is not None:
            self.port.del_addr(old, ADDR_BSS)
            del self._bssids[id(vap)]
        if bssid is not None:
            self.port.add_addr(bssid, ADDR_BSS)
            self._bssids[id(vap)] = bssid

    # -- transmit -------------------------------------------------------------------------
    def ic_raw_xmit(self, vap: IEEE80211Vap, frame: bytes, params: dict[str, Any] | None = None) -> bool:
        """Send a management or raw frame.  `params` may give `rate` (500 kb/s
        units, as FreeBSD's ibp_rate0) or `rates` (an MRR list of (rate index,
        tries)), `no_ack` and `on_status(frame, TxStatus)`."""
        p = params or {}
        rates = p.get("rates")
        if rates is None:
            rates = ((RATE_INDEX.get(p.get("rate", 2), 0), 4),)
        no_ack, on_status = p.get("no_ack", False), p.get("on_status")
        if self.roc_chan is not None and not p.get("offchannel", False):
            return self._hold(frame, rates, no_ack, on_status)
        return self._xmit(frame, rates, no_ack, on_status)

    def ic_transmit(self, vap: IEEE80211Vap, frame: bytes) -> bool:
        # No rate control yet: a fixed multi-rate-retry chain, 24 -> 12 -> 6 Mb/s.
        # Off the operating channel (remain-on-channel, or a background scan
        # of a running vap: mac80211 stops its queues for a software scan),
        # data waits for the way back.
        # A unicast frame longer than the vap's RTS threshold (FCS included) goes
        # with an RTS/CTS exchange, as FreeBSD's drivers and mac80211 decide it.
        flags = _RTS_FLAGS if len(frame) + FCS_LEN > vap.rtsthreshold and not frame[4] & 1 else ()
        if self.roc_chan is not None or (self.flags & ComFlags.SCAN and self.bsschan is not None
                                         and self.curchan != self.bsschan):
            return self._hold(frame, DATA_RATES, False, None, flags)
        return self._xmit(frame, DATA_RATES, False, None, flags)

    def _hold(self, frame: bytes, rates: Any, no_ack: bool, on_status: Any,
              rate_flags: tuple[int, ...] = ()) -> bool:
        """Off-channel: the operating channel's queues are stopped (bounded)."""
        if len(self._held) >= MAX_HELD:
            self.stats["tx_held_dropped"] += 1
            return False
        self.stats["tx_held"] += 1
        self._held.append((frame, rates, no_ack, on_status, rate_flags))
        return True

    def _xmit(self, frame: bytes, rates: Any, no_ack: bool, on_status: Any,
              rate_flags: tuple[int, ...] = ()) -> bool:
        fid = self.port.transmit(frame, rates, no_ack=no_ack, rate_flags=rate_flags)
        if fid < 0:
            self.stats["tx_failed"] += 1
            return False
        self.stats["tx"] += 1
        self._inflight += 1
        if on_status is not None:
            self._status_cb[fid] = on_status
        return True

    # -- receive -----------------------------------------------------------------------
    def _rx(self, frame: bytes, rx: RxInfo) -> None:
        """Hand a frame to the input path as if the medium delivered it."""
        self.port.rx_frames += 1
        input_all(self, frame, rx)

    def _tx_status(self, frame: bytes, status: TxStatus) -> None:
        self._inflight -= 1
        if self._stop_pending and self._inflight <= 0:
            self._stop_now()
        cb = self._status_cb.pop(status.frame_id, None)
        if cb is not None:
            cb(frame, status)
        tx_complete(self, frame, status)

    # -- beacons (the hardware beacon timer) --------------------------------------------
    @property
    def ic_tsf_offset_us(self) -> int:
        """The TSF is virtual time in µs plus this offset (kept by the port,
        so the medium's capture stamps frames with the sender's TSF)."""
        return self.port.tsf_offset_us

    @ic_tsf_offset_us.setter
    def ic_tsf_offset_us(self, offset: int) -> None:
        self.port.tsf_offset_us = int(offset)

    def ic_set_tsf(self, tsf_us: int) -> bool:
        """Load the TSF (an IBSS adopting a peer's); the beacon timer follows it."""
        self.ic_tsf_offset_us = int(tsf_us) - self.sched.now_ns // 1000
        self.beacons.realign()
        return True

    # hwsim's own names for the TSF, kept for its users.
    @property
    def tsf_offset_us(self) -> int:
        return self.ic_tsf_offset_us

    @tsf_offset_us.setter
    def tsf_offset_us(self, offset: int) -> None:
        self.ic_tsf_offset_us = offset

    @property
    def tsf_us(self) -> int:
        return self.ic_get_tsf()

    @tsf_us.setter
    def tsf_us(self, tsf: int) -> None:
        self.ic_set_tsf(tsf)

    def _beacon_fire(self, vap: IEEE80211Vap) -> None:
        """A TBTT of `vap` (the timer is already re-armed for the next one)."""
        if not self.port.started or self.flags & ComFlags.SCAN or self.roc_chan is not None:
            return  # off our channel: the hardware skips this TBTT
        if vap.opmode is OpMode.IBSS:
            # IBSS beacon generation (802.11 11.1.3.3): wait a random
            # 0..2*aCWmin slots and stand down if a peer's beacon came first.
            slots = self._rng.randrange(2 * IBSS_CWMIN + 1)
            self.sched.call_later(slots * SLOT_NS, self._ibss_beacon, vap, self.sched.now_ns,
                                  self.beacons.callout(vap))
            return
        self.stats["beacons"] += 1
        # At the vap's management rate like every other management frame (and
        # the IBSS beacon below): 1 Mb/s DSSS beacons take 1.1 ms each, so a
        # hundred APs on one channel filled it with beacons alone.
        self._xmit(beacon_frame(vap, self.ic_get_tsf()), ((RATE_INDEX.get(vap.mgmtrate, 0), 1),), True, None)

    def _ibss_beacon(self, vap: IEEE80211Vap, tbtt_ns: int, co: Callout | None) -> None:
        if self.beacons.callout(vap) is not co or vap.state < State.RUN or not self.port.started:
            return
        if vap.ibss is not None and vap.ibss.beacon_heard_since(tbtt_ns):
            self.stats["beacons_deferred"] += 1
            return
        self.stats["beacons"] += 1
        self._xmit(beacon_frame(vap, self.ic_get_tsf()), ((RATE_INDEX.get(vap.mgmtrate, 0), 1),),
                   True, None)

    def ic_get_position(self) -> tuple[float, float, float]:
        x, y, z = (float(v) for v in self.port.position)
        return x, y, z

    def ic_set_position(self, x: float, y: float, z: float = 0.0) -> None:
        """Move the radio (finite metres); on a modeled medium its links follow."""
        self.port.move_to((x, y, z))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "driver": "hwsim", "position": list(self.ic_get_position()),
                "macaddr": ":".join(f"{b:02x}" for b in self.macaddr),
                "hwaddr": ":".join(f"{b:02x}" for b in self.hwaddr), "channel": self.curchan.ieee,
                "freq": self.port.freq, "nchannels": self.nchannels, "caps": str(self.caps),
                "vaps": [v.name for v in self.vaps], "addrs": self.port.addresses(),
                "started": self.port.started, "filter": self.port.filter, "beacons": self.beacons.armed,
                "beacon_filter": self.beacon_filter,
                "stats": {**self.stats, "rx": self.port.rx_frames}}


register_radio_factory(HwsimRadio)
