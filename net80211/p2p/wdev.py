"""Wireless devices (cfg80211's `wireless_dev`) and the primitives userspace
uses on them: start/stop of a P2P device, remain-on-channel, management
frame TX with an off-channel wait, frame registrations and scans.

A wdev is a vap seen as nl80211 sees it: addressed by a wdev id
(`wiphy << 32 | n`), with its own address.  A P2P device is a wdev without
a netdev; STA, HOSTAP, P2P_GO and P2P_CLIENT vaps are wdevs too and take the
same primitives.  Every call names an `Owner`; closing the owner undoes
what it started.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ic import MS, Busy, Channel, IEEE80211Com, InvalidArgument, NotSupported, OpMode, RxInfo, State
from net80211.p2p.frames import FrameRegistry
from net80211.p2p.offchan import OffChanItem, OffChannel
from net80211.p2p.owner import Event, NetworkDown, NotFound, Owner
from net80211.scan import Scanner, ScanResult
from net80211.wire.frame import BROADCAST, FrameError
from net80211.wire.ie import SSID, Element, IEList, SupportedRates
from net80211.wire.mgmt import MgmtFrame, ProbeReq

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

ROC_MIN_MS = 10
ROC_MAX_MS = 5000  # IEEE80211Com.ic_max_remain_on_channel_ms unless the driver says otherwise
SCAN_DWELL_MS = 30
OFDM_RATES = (12, 18, 24, 36, 48, 72, 96, 108)  # P2P frames never use 11b rates
_WDEV_TYPES = (OpMode.P2P_DEVICE, OpMode.STA, OpMode.HOSTAP, OpMode.P2P_GO, OpMode.P2P_CLIENT)
_SUB_PROBE_RESP, _SUB_BEACON, _SUB_ACTION, _SUB_ACTION_NOACK = 5, 8, 13, 14
_CAT_PUBLIC = 4

_cookies = itertools.count(1)
_wiphys: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
_wiphy_next: weakref.WeakKeyDictionary[Any, itertools.count[int]] = weakref.WeakKeyDictionary()


def wiphy_index(ic: IEEE80211Com) -> int:
    """The device's wiphy number: its `ic_index`, else first-come order."""
    idx = _wiphys.get(ic)
    if idx is None:
        idx = ic.ic_index
        if idx is None:
            counter = _wiphy_next.setdefault(ic.sched, itertools.count())
            idx = next(counter)
        _wiphys[ic] = idx
    return idx


def roc_max_ms(ic: IEEE80211Com) -> int:
    return int(ic.ic_max_remain_on_channel_ms)


def wdev_of(vap: IEEE80211Vap) -> WirelessDev:
    """The wdev of a vap (made on first use)."""
    wdev = vap.wdev
    if wdev is None:
        if vap.opmode not in _WDEV_TYPES:
            raise NotSupported(f"{vap.name}: {vap.opmode.word} vaps take no off-channel primitives")
        wdev = vap.wdev = WirelessDev(vap)
    return wdev


@dataclass
class _Wait:
    """A mgmt-tx whose cookie is live: waiting for its status and/or its wait time."""

    cookie: int
    owner: Owner
    item: OffChanItem | None = None
    timer: list[Any] | None = None
    wait_ms: int = 0
    notify: bool = True  # report the wait's end (there is a cookie)


class WirelessDev:
    """A vap addressed as a wireless device."""

    def __init__(self, vap: IEEE80211Vap) -> None:
        self.vap = vap
        self.ic = vap.ic
        n = sum(1 for v in self.ic.vaps if v.wdev is not None)
        self.id = wiphy_index(self.ic) << 32 | (n + 1)
        self.frame_regs = FrameRegistry(self)
        vap.frame_regs = self.frame_regs
        self.p2p_cookie: int | None = None
        self._waits: dict[int, _Wait] = {}
        self._rocs: dict[int, OffChanItem] = {}
        self._scan: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<WirelessDev 0x{self.id:x} {self.name} {self.vap.opmode.word}>"

    @property
    def name(self) -> str:
        return self.vap.name

    @property
    def address(self) -> bytes:
        addr = self.vap.macaddr
        assert addr is not None  # a wdev is made for an attached vap
        return addr

    @property
    def is_p2p_device(self) -> bool:
        return self.vap.opmode is OpMode.P2P_DEVICE

    @property
    def started(self) -> bool:
        """A P2P device is started by `start_p2p`; any other wdev when its vap is up."""
        if self.is_p2p_device:
            return self.p2p_cookie is not None
        return bool(self.vap.running)

    @property
    def offchan(self) -> OffChannel:
        return OffChannel.of(self.ic)

    def _usable(self, owner: Owner) -> None:
        owner.check()
        if not self.vap.attached:
            raise NetworkDown(f"{self.name}: the device is gone")
        if not self.started:
            what = "P2P device is not started" if self.is_p2p_device else "vap is not up"
            raise NetworkDown(f"{self.name}: {what}")

    def _channel(self, freq: Any) -> Channel:
        if isinstance(freq, bool) or not isinstance(freq, int):
            raise InvalidArgument(f"{self.name}: frequency {freq!r} is not a number of MHz")
        for c in self.ic.channels:
            if c.freq == freq:
                return c
        raise InvalidArgument(f"{self.name}: {freq} MHz is not a channel of {self.ic.name}")

    def operating_channel(self) -> Channel | None:
        """The channel this wdev runs on (None for a P2P device: it has none)."""
        if self.is_p2p_device or not self.vap.running or self.vap.state < State.RUN:
            return None
        return self.vap.bss_chan or self.ic.curchan

    # -- P2P device start/stop ------------------------------------------------
    def start_p2p(self, owner: Owner) -> int:
        """START_P2P_DEVICE: the concurrency check (a {1, P2P_DEVICE} limit), then up."""
        owner.check()
        vap, ic = self.vap, self.ic
        if not self.is_p2p_device:
            raise NotSupported(f"{self.name}: a {vap.opmode.word} vap is not a P2P device")
        if not vap.attached:
            raise NetworkDown(f"{self.name}: the device is gone")
        if self.p2p_cookie is not None:
            raise Busy(f"{self.name}: P2P device already started")
        ic.policy.check_start_p2p(ic, vap)
        st = vap.p2p
        assert st is not None  # a P2P device has it while attached
        st.started = True
        try:
            vap.up()
        except BaseException:
            st.started = False
            raise
        cookie = self.p2p_cookie = next(_cookies)
        self._p2p_owner = owner
        owner.hold(("p2p", self.id), lambda: self._stop(owner))
        return cookie

    def stop_p2p(self, cookie: int) -> None:
        """STOP_P2P_DEVICE by the cookie `start_p2p` returned."""
        if self.p2p_cookie is None or cookie != self.p2p_cookie:
            raise NotFound(f"{self.name}: no P2P device start with cookie {cookie!r}")
        owner = self._p2p_owner
        owner.release(("p2p", self.id))
        self._stop(owner)

    def _stop(self, owner: Owner) -> None:
        if self.p2p_cookie is None:
            return
        self.p2p_cookie = None
        self.offchan.cancel_wdev(self)
        for w in list(self._waits.values()):
            self._end_wait(w, cancelled=True)
        self._abort_scan()
        st = self.vap.p2p
        if st is not None:  # None once the vap is detached
            st.started = False
        if self.vap.attached:
            self.vap.down()
        owner.emit(Event("p2p_stopped", self))

    # -- remain on channel ----------------------------------------------------
    def remain_on_channel(self, freq: int, duration_ms: int, owner: Owner) -> int:
        """Stay on `freq` for `duration_ms` (10 .. device maximum); a cookie.
        Events: ``roc_ready`` when on channel, ``roc_done`` at expiry or cancel."""
        self._usable(owner)
        chan = self._channel(freq)
        top = roc_max_ms(self.ic)
        if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) \
                or not ROC_MIN_MS <= duration_ms <= top:
            raise InvalidArgument(f"{self.name}: remain-on-channel duration {duration_ms!r} ms "
                                  f"is outside {ROC_MIN_MS}..{top} ms")
        cookie = next(_cookies)

        def ready(item: OffChanItem) -> None:
            owner.emit(Event("roc_ready", self, cookie, chan.freq, duration_ms))

        def done(item: OffChanItem, cancelled: bool) -> None:
            self._rocs.pop(cookie, None)
            owner.release(("roc", cookie))
            owner.emit(Event("roc_done", self, cookie, chan.freq, duration_ms, cancelled=cancelled))

        item = OffChanItem(self, chan, duration_ms * MS, cookie, "roc", ready, done)
        self._rocs[cookie] = item
        owner.hold(("roc", cookie), lambda: self.offchan.cancel(item))
        self.offchan.add(item)
        return cookie

    def cancel_remain_on_channel(self, cookie: int) -> None:
        item = self._rocs.get(cookie)
        if item is None:
            raise NotFound(f"{self.name}: no remain-on-channel with cookie {cookie!r}")
        self.offchan.cancel(item)

    # -- management frame TX ----------------------------------------------------
    def mgmt_tx(self, frame: bytes, freq: int | None = None, *, wait_ms: int = 0, no_cck: bool = False,
                dont_wait_for_ack: bool = False, owner: Owner) -> int | None:
        """Send a management frame on `freq` (mandatory for a P2P device), staying
        there `wait_ms` for an answer.  The cookie (None with dont_wait_for_ack)
        comes back in the ``tx_status`` event and ends the wait early via
        `mgmt_tx_cancel_wait`."""
        self._usable(owner)
        frame = bytes(frame)
        if len(frame) < 24 or frame[0] & 0x0F:
            raise InvalidArgument(f"{self.name}: not a management frame")
        sub = frame[0] >> 4
        if self.is_p2p_device:
            # As mac80211's P2P device: Public Action frames, and probe
            # responses for its listen state; nothing else.
            if sub in (_SUB_ACTION, _SUB_ACTION_NOACK):
                if len(frame) < 25 or frame[24] != _CAT_PUBLIC:
                    raise NotSupported(f"{self.name}: a P2P device sends only Public Action frames")
            elif sub != _SUB_PROBE_RESP:
                raise NotSupported(f"{self.name}: a P2P device sends only Public Action frames "
                                   f"(and probe responses), not subtype {sub}")
        if frame[10:16] != self.address:
            raise InvalidArgument(f"{self.name}: the frame's SA is not the device's address")
        oper = self.operating_channel()
        if freq is None:
            if oper is None:
                raise InvalidArgument(f"{self.name}: a frequency is required here")
            chan = oper
        else:
            chan = self._channel(freq)
        top = roc_max_ms(self.ic)
        if isinstance(wait_ms, bool) or not isinstance(wait_ms, int) or not 0 <= wait_ms <= top:
            raise InvalidArgument(f"{self.name}: wait {wait_ms!r} ms is outside 0..{top} ms")
        # The stack owns sequence numbers, as mac80211 does for userspace frames.
        seq = self.vap.next_seq()
        frame = frame[:22] + bytes(((seq << 4) & 0xF0, seq >> 4)) + frame[24:]
        cookie = next(_cookies)
        w = _Wait(cookie, owner, wait_ms=wait_ms, notify=not dont_wait_for_ack)
        self._waits[cookie] = w
        owner.hold(("tx", cookie), lambda: self._cancel_wait(w))
        rates = ((4, 4),) if no_cck and chan.freq < 5000 else ((0, 4),)
        no_ack = bool(frame[4] & 1)

        def send(offchannel: bool) -> None:
            params = {"rates": rates, "no_ack": no_ack, "offchannel": offchannel,
                      "on_status": lambda f, st: self._status(w, st.acked)}
            if not self.ic.ic_raw_xmit(self.vap, frame, params):
                self._status(w, False)

        active = self.offchan.active
        if chan == oper and not self.is_p2p_device:
            send(False)
            if wait_ms:
                w.timer = self.ic.sched.call_later(wait_ms * MS, self._wait_expired, w)
        elif active is not None and active.ready and active.wdev is self and active.chan == chan:
            # Already there (a remain-on-channel of ours): send within it.
            send(True)
            self.offchan.extend(active, self.ic.sched.now_ns + max(wait_ms, ROC_MIN_MS) * MS)
            if wait_ms:
                w.timer = self.ic.sched.call_later(wait_ms * MS, self._wait_expired, w)
        else:
            item = OffChanItem(self, chan, max(wait_ms, ROC_MIN_MS) * MS, cookie, "tx",
                               lambda it: send(True), lambda it, c: self._wait_ended(w, c))
            w.item = item
            self.offchan.add(item)
        return None if dont_wait_for_ack else cookie

    def _status(self, w: _Wait, ack: bool) -> None:
        if w.notify:
            w.owner.emit(Event("tx_status", self, w.cookie, ack=ack))
        if w.item is None and w.timer is None:
            self._forget(w)

    def _forget(self, w: _Wait) -> None:
        self._waits.pop(w.cookie, None)
        w.owner.release(("tx", w.cookie))

    def _wait_expired(self, w: _Wait) -> None:
        w.timer = None
        self._wait_ended(w, False)

    def _wait_ended(self, w: _Wait, cancelled: bool) -> None:
        w.item = None
        if w.cookie not in self._waits:
            return
        self._forget(w)
        if w.notify and w.wait_ms:
            w.owner.emit(Event("tx_wait_done", self, w.cookie, cancelled=cancelled))

    def _end_wait(self, w: _Wait, cancelled: bool) -> None:
        if w.timer is not None:
            self.ic.sched.cancel(w.timer)
            w.timer = None
        if w.item is not None:
            self.offchan.cancel(w.item)  # runs _wait_ended
        else:
            self._wait_ended(w, cancelled)

    def _cancel_wait(self, w: _Wait) -> None:
        self._end_wait(w, True)

    def mgmt_tx_cancel_wait(self, cookie: int) -> None:
        """FRAME_WAIT_CANCEL: stop waiting on the channel for this frame's answer."""
        w = self._waits.get(cookie)
        if w is None:
            raise NotFound(f"{self.name}: no mgmt-tx wait with cookie {cookie!r}")
        self._end_wait(w, True)

    # -- frame registrations ------------------------------------------------------
    def register_frame(self, owner: Owner, match: bytes = b"", frame_type: int = 0x00D0) -> int:
        """REGISTER_FRAME; EALREADY if it overlaps one on this device."""
        if not self.vap.attached:
            raise NetworkDown(f"{self.name}: the device is gone")
        return self.frame_regs.register(owner, match, frame_type)

    # -- scan ----------------------------------------------------------------------
    def scan(self, owner: Owner, freqs: Iterable[int] | None = None, *, ssids: Iterable[bytes] = (b"",),
             ies: Iterable[Element] = (), dwell_ms: int = SCAN_DWELL_MS) -> int:
        """TRIGGER_SCAN on this wdev: each channel in turn off-channel, probe
        requests for `ssids` carrying `ies`; ``scan_done`` with the responses."""
        self._usable(owner)
        if self._scan is not None:
            raise Busy(f"{self.name}: a scan is already running")
        chans = [self._channel(f) for f in freqs] if freqs is not None else list(self.ic.channels)
        if not chans:
            raise InvalidArgument(f"{self.name}: no channels to scan")
        if isinstance(dwell_ms, bool) or not isinstance(dwell_ms, int) or not ROC_MIN_MS <= dwell_ms <= 1000:
            raise InvalidArgument(f"{self.name}: dwell {dwell_ms!r} ms is outside {ROC_MIN_MS}..1000 ms")
        try:
            ssid_list = [SSID(bytes(s)) for s in ssids]
            extra = list(ies)
            IEList(extra).to_bytes()
        except (FrameError, TypeError) as e:
            raise InvalidArgument(f"{self.name}: bad scan parameters: {e}") from None
        cookie = next(_cookies)
        scan: dict[str, Any] = {"cookie": cookie, "owner": owner, "chans": chans, "i": 0, "item": None,
                                "results": {}, "ssids": ssid_list, "ies": extra, "dwell": dwell_ms,
                                "chan": None}
        self._scan = scan
        self.frame_regs.taps.append(self._scan_tap)
        owner.hold(("scan", cookie), self._abort_scan)
        self._scan_next()
        return cookie

    def _scan_next(self) -> None:
        scan = self._scan
        if scan is None:
            return
        if scan["i"] >= len(scan["chans"]):
            self._scan_finish(False)
            return
        chan = scan["chans"][scan["i"]]
        scan["i"] += 1

        def on(item: OffChanItem) -> None:
            scan["chan"] = chan
            for s in scan["ssids"]:
                body = ProbeReq(IEList([s, SupportedRates(OFDM_RATES), *scan["ies"]]))
                f = MgmtFrame(body, BROADCAST, self.address, BROADCAST, seq=self.vap.next_seq()).to_bytes()
                self.ic.ic_raw_xmit(self.vap, f, {"rates": ((4, 1),) if chan.freq < 5000 else ((0, 1),),
                                                 "no_ack": True, "offchannel": True})

        def off(item: OffChanItem, cancelled: bool) -> None:
            scan["chan"] = None
            scan["item"] = None
            if not cancelled:
                self._scan_next()

        scan["item"] = OffChanItem(self, chan, scan["dwell"] * MS, scan["cookie"], "scan", on, off)
        self.offchan.add(scan["item"])

    def _scan_tap(self, frame: bytes, rx: RxInfo) -> None:
        scan = self._scan
        if scan is None or scan["chan"] is None or len(frame) < 24:
            return
        if frame[0] >> 4 not in (_SUB_PROBE_RESP, _SUB_BEACON) or frame[0] & 0x0C:
            return
        try:
            f = MgmtFrame.parse(frame)
        except FrameError:
            self.ic.stats["rx_malformed"] += 1
            return
        body = f.body
        ies = body.ies
        ch = ies.channel
        chan = scan["chan"]
        if ch is not None and ch != chan.ieee:
            return  # heard on an adjacent channel
        res = ScanResult(f.addr3, ies.ssid or b"", chan, rx.signal, body.capability,
                         body.interval, False, ies=ies,
                         extra={"addr": f.addr2, "probe_resp": frame[0] >> 4 == _SUB_PROBE_RESP})
        Scanner.of(self.ic).add_result(res)
        scan["results"][(f.addr2, f.addr3)] = res

    def _scan_finish(self, aborted: bool) -> None:
        scan = self._scan
        if scan is None:
            return
        self._scan = None
        if self._scan_tap in self.frame_regs.taps:
            self.frame_regs.taps.remove(self._scan_tap)
        owner: Owner = scan["owner"]
        owner.release(("scan", scan["cookie"]))
        if scan["item"] is not None:
            self.offchan.cancel(scan["item"])
        owner.emit(Event("scan_done", self, scan["cookie"], cancelled=aborted,
                         results=list(scan["results"].values())))

    def _abort_scan(self) -> None:
        self._scan_finish(True)

    def abort_scan(self) -> None:
        """ABORT_SCAN: end a running scan now (``scan_done`` with cancelled)."""
        if self._scan is None:
            raise NotFound(f"{self.name}: no scan running")
        self._abort_scan()
