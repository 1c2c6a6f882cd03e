"""The Wi-Fi Direct core of one P2P device (what wpa_supplicant's p2p module
does), built only on the wireless-device primitives: device discovery
(search on the social channels alternating with listen), the peer table,
provision discovery, GO negotiation and the groups it forms.

Everything goes through an `Owner`: frames it registered (probe requests,
P2P public action frames), remain-on-channel for listen, mgmt-tx with waits
for the action frame exchanges, off-channel scans for search.  Events are
wpa_supplicant's text lines (`P2P-DEVICE-FOUND ...`), passed to `on_event`.

Groups are open (no WPS, no WPA2 handshake): the GO runs an open BSS.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ic import MS, SEC, Busy, Channel, InvalidArgument, NoSuchDevice, NotSupported, OpMode, State, mac_str
from net80211.p2p.group import P2PGroup
from net80211.p2p.invitation import Invitations
from net80211.p2p.negotiation import Negotiation
from net80211.p2p.owner import Event, Owner
from net80211.p2p.peers import Peer, PeerTable
from net80211.p2p.persistent import PersistentGroups
from net80211.p2p.provision import PASSPHRASE_LEN, uuid_from_mac
from net80211.p2p.sd import GAS_PREFIXES, ServiceDiscovery
from net80211.p2p.wdev import OFDM_RATES, wdev_of
from net80211.p2p.wire import (
    DEFAULT_DEV_TYPE,
    DEV_CAPAB_CONCURRENT,
    DEV_CAPAB_INVITATION,
    DEV_CAPAB_SD,
    P2P_PUBLIC_PREFIX,
    SOCIAL_CHANNELS,
    Attr,
    ConfigMethod,
    DeviceInfo,
    P2PAction,
    chan_attr,
    parse_chan_attr,
)
from net80211.wire.frame import FrameError
from net80211.wire.ie import SSID, DSParams, IEList, SupportedRates, p2p_attributes, p2p_ies
from net80211.wire.mgmt import Action, MgmtFrame, ProbeReq, ProbeResp

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

log = logging.getLogger("net80211.p2p")

SEARCH_DWELL_MS = 20
LISTEN_UNIT_MS = 102  # 100 TU
# wpa_supplicant's p2p_search_delay: between search iterations of a P2P_FIND,
# the radio goes back for this long to the BSS another vap runs on the same
# device (else the device's AP or station is off its channel nearly always).
SEARCH_DELAY_MS = 500
ACTION_WAIT_MS = 100
ACTION_TRIES = 60
PROBE_REQ_TYPE = 0x0040
DEFAULT_CONFIG_METHODS = int(ConfigMethod.PBC | ConfigMethod.DISPLAY | ConfigMethod.KEYPAD)
_SUB_PROBE_REQ = 4


class P2PDevice:
    """Wi-Fi Direct on one P2P device vap."""

    def __init__(self, vap: IEEE80211Vap, *, device_name: str | None = None, go_intent: int = 7,
                 listen_channel: int | None = None, on_event: Callable[[str], Any] | None = None,
                 config_methods: int = DEFAULT_CONFIG_METHODS,
                 search_dwell_ms: int = SEARCH_DWELL_MS, formation_timeout_s: float = 15.0) -> None:
        if vap.opmode is not OpMode.P2P_DEVICE:
            raise NotSupported(f"{vap.name}: Wi-Fi Direct runs on a P2P device vap, not {vap.opmode.word}")
        self.vap = vap
        self.ic = vap.ic
        self.sched = vap.ic.sched
        self.wdev = wdev_of(vap)
        self.rng = self.ic.rng
        self.device_name = device_name or vap.name
        self.go_intent = go_intent
        # per social channel in search: long enough for a peer's probe response
        # (a slow peer, such as one in an emulated machine, needs more)
        if not isinstance(search_dwell_ms, int) or not 1 <= search_dwell_ms <= 1000:
            raise InvalidArgument(f"search_dwell_ms must be 1..1000, not {search_dwell_ms!r}")
        self.search_dwell_ms = search_dwell_ms
        # from a group's start to its provisioning and keys; a peer in an
        # emulated machine under load takes longer than real hardware
        if not isinstance(formation_timeout_s, (int, float)) or not 1 <= formation_timeout_s <= 600:
            raise InvalidArgument(f"formation_timeout_s must be 1..600, not {formation_timeout_s!r}")
        self.formation_timeout_ns = int(formation_timeout_s * SEC)
        self.config_methods = config_methods
        self.pri_dev_type = DEFAULT_DEV_TYPE
        socials = [c for c in SOCIAL_CHANNELS if any(ch.ieee == c for ch in self.ic.channels)]
        self.listen_chan: Channel = self._chan(listen_channel or self.rng.choice(socials))
        self.on_event = on_event
        self.events: list[str] = []
        self.peers = PeerTable()
        self.owner = Owner(f"p2p:{vap.name}", self._event)
        self.state = "idle"  # idle | find | listen | connect | wait-peer | wait-confirm
        self.started = False
        self._scan_cookie: int | None = None
        self._roc_cookie: int | None = None
        self._roc_ready = False
        self._find_timer: list[Any] | None = None
        self._search_delay: list[Any] | None = None  # the pause before the next search
        self._listen_until_ns: int | None = None
        self.handlers: dict[int, Callable[[P2PAction, bytes, int], Any]] = {}
        self.pending: dict[str, Any] | None = None  # an action exchange reaching a peer
        self._token = self.rng.randrange(1, 256)
        self.neg = Negotiation(self)
        self.inv = Invitations(self)
        self.sd = ServiceDiscovery(self)
        self.groups: dict[str, P2PGroup] = {}
        self.group_seq = 0
        self.passphrase_len = PASSPHRASE_LEN  # p2p_passphrase_len
        self.wps_uuid = uuid_from_mac(self.address)  # draws nothing from the device's randomness
        self.persistent = PersistentGroups(self)
        self.persistent_reconnect = False  # accept re-invocations of our persistent groups unasked

    # -- setup ------------------------------------------------------------------
    def _chan(self, ieee: int) -> Channel:
        for c in self.ic.channels:
            if c.ieee == ieee:
                return c
        raise InvalidArgument(f"{self.ic.name} has no channel {ieee}")

    def channel_named(self, oc: bytes | None) -> Channel | None:
        """The device's channel an Operating Channel attribute names (`oc`:
        its 5 bytes, None when the frame has none); None if not one of ours."""
        ch = parse_chan_attr(oc) if oc is not None else None
        return next((c for c in self.ic.channels if c.ieee == ch), None)

    def start(self) -> None:
        """Start the P2P device and take the frames Wi-Fi Direct needs."""
        if self.started:
            return
        self.wdev.start_p2p(self.owner)
        self.wdev.register_frame(self.owner, b"", PROBE_REQ_TYPE)
        self.wdev.register_frame(self.owner, P2P_PUBLIC_PREFIX)
        for prefix in GAS_PREFIXES:  # service discovery
            self.wdev.register_frame(self.owner, prefix)
        self.started = True

    def close(self) -> None:
        for g in list(self.groups.values()):
            g.remove("REQUESTED")
        self._stop_activity()
        self.owner.close()
        self.started = False

    @property
    def address(self) -> bytes:
        return self.wdev.address

    @property
    def intf_addr(self) -> bytes:
        """The group interface address: the device address with a bit of its
        first octet flipped (locally administered, distinct from hwsim's)."""
        a = self.address
        return bytes((a[0] ^ 0x04, *a[1:]))

    def next_token(self) -> int:
        self._token = self._token % 255 + 1
        return self._token

    def emit(self, text: str) -> None:
        self.events.append(text)
        log.debug("%s: %s", self.vap.name, text)
        if self.on_event is not None:
            self.on_event(text)

    # -- discovery -----------------------------------------------------------------
    def find(self, timeout_s: float | None = None) -> None:
        """P2P_FIND: search the social channels, alternating with listen."""
        self._stop_activity()
        self.state = "find"
        if timeout_s:
            self._find_timer = self.sched.call_later(int(timeout_s * SEC), self.stop_find)
        self._search()

    def listen(self, timeout_s: float | None = None) -> None:
        """P2P_LISTEN: stay on the listen channel answering probe requests."""
        self._stop_activity()
        self.state = "listen"
        self._listen_until_ns = None if not timeout_s else self.sched.now_ns + int(timeout_s * SEC)
        self._listen_period()

    def stop_find(self) -> None:
        """P2P_STOP_FIND (also ends P2P_LISTEN)."""
        was = self.state in ("find", "listen")
        self._stop_activity()
        if self.state in ("find", "listen"):
            self.state = "idle"
        if was:
            self.emit("P2P-FIND-STOPPED")

    def _stop_activity(self) -> None:
        if self._find_timer is not None:
            self.sched.cancel(self._find_timer)
            self._find_timer = None
        if self._search_delay is not None:
            self.sched.cancel(self._search_delay)
            self._search_delay = None
        if self._scan_cookie is not None:
            self._scan_cookie = None
            if self.wdev._scan is not None:
                self.wdev.abort_scan()
        self._cancel_roc()

    def _cancel_roc(self) -> None:
        cookie, self._roc_cookie = self._roc_cookie, None
        self._roc_ready = False
        if cookie is not None and cookie in self.wdev._rocs:
            self.wdev.cancel_remain_on_channel(cookie)

    def _shares_radio(self) -> bool:
        """Another vap of the device runs a BSS or a link on its channel."""
        return any(v is not self.vap and v.running and v.opmode is not OpMode.P2P_DEVICE
                   and v.state >= State.RUN for v in self.ic.vaps)

    def _search_again(self) -> None:
        self._search_delay = None
        if self.state == "find":
            self._search()

    def _search(self) -> None:
        freqs = [self._chan(c).freq for c in SOCIAL_CHANNELS if any(ch.ieee == c for ch in self.ic.channels)]
        self._scan_cookie = self.wdev.scan(self.owner, freqs, ssids=[b"DIRECT-"], ies=self._probe_ies(),
                                           dwell_ms=self.search_dwell_ms)

    def _probe_ies(self) -> list[Any]:
        return p2p_ies([(Attr.CAPABILITY, bytes((self.dev_capab, 0))),
                        (Attr.LISTEN_CHANNEL, chan_attr(self.listen_chan.ieee))])

    @property
    def dev_capab(self) -> int:
        return DEV_CAPAB_SD | DEV_CAPAB_CONCURRENT | DEV_CAPAB_INVITATION

    def _listen_period(self, duration_ms: int | None = None) -> None:
        if duration_ms is None:
            duration_ms = LISTEN_UNIT_MS * self.rng.randint(1, 3)
        if self.state == "listen":
            duration_ms = 5000 if self._listen_until_ns is None else max(
                10, min(5000, (self._listen_until_ns - self.sched.now_ns) // MS))
        self._roc_ready = False
        self._roc_cookie = self.wdev.remain_on_channel(self.listen_chan.freq, duration_ms, self.owner)

    def _roc_done(self) -> None:
        self._roc_cookie = None
        self._roc_ready = False
        if self.state == "find":
            if self._shares_radio():
                self._search_delay = self.sched.call_later(SEARCH_DELAY_MS * MS, self._search_again)
            else:
                self._search()
        elif self.state == "listen":
            if self._listen_until_ns is not None and self.sched.now_ns >= self._listen_until_ns:
                self.stop_find()
            else:
                self._listen_period()
        elif self.pending is not None:
            self._send_pending()  # an exchange (negotiation, provision discovery, invitation) goes on
        elif self.state == "wait-peer":
            self._listen_period()

    # -- owner events ----------------------------------------------------------------
    def _event(self, ev: Event) -> None:
        k = ev.kind
        if k == "frame":
            self._rx(ev.frame, ev.freq, ev.signal)
        elif k == "scan_done":
            if ev.cookie == self._scan_cookie:
                self._scan_cookie = None
                self._scan_results(ev.results)
                if self.state == "find" and not ev.cancelled:
                    self._listen_period()
        elif k == "roc_ready":
            if ev.cookie == self._roc_cookie:
                self._roc_ready = True
        elif k == "roc_done":
            if ev.cookie == self._roc_cookie:
                self._roc_done()
        elif k == "tx_status":
            self.neg.tx_status(ev.cookie, ev.ack)
            p = self.pending
            if p is not None and ev.cookie == p.get("cookie") and p.get("on_ack") and ev.ack:
                p["on_ack"]()
        elif k == "tx_wait_done":
            p = self.pending
            if p is not None and ev.cookie == p.get("cookie"):
                p["cookie"] = None
                if not ev.cancelled:
                    self._listen_period(LISTEN_UNIT_MS * self.rng.randint(1, 3))
            self.neg.wait_done(ev.cookie, ev.cancelled)

    # -- receive ---------------------------------------------------------------------
    def _rx(self, frame: bytes, freq: int, signal: int) -> None:
        try:
            if frame[0] >> 4 == _SUB_PROBE_REQ:
                self._probe_req(frame, freq)
                return
            if frame[24:26] in GAS_PREFIXES:
                self.sd.rx(frame, freq)
                return
            f = MgmtFrame.parse(frame)
            act = P2PAction.parse_body(frame[24:])
        except FrameError:
            self.vap.stats.rx_malformed += 1
            self.ic.stats["rx_malformed"] += 1
            return
        peer = self._learn(f.addr2, act.attrs, signal)
        if peer is None:
            return
        handler = self.handlers.get(act.subtype)
        if handler is None:
            self.vap.stats.rx_dropped += 1
            return
        try:
            handler(act, f.addr2, freq)
        except FrameError:
            self.vap.stats.rx_malformed += 1

    def _learn(self, sa: bytes, attrs: dict[int, bytes], signal: int) -> Peer | None:
        """Update the peer table from P2P attributes heard from `sa`."""
        info = attrs.get(Attr.DEVICE_INFO)
        if info is not None:
            di = DeviceInfo.parse(info)
            addr = di.addr
        else:
            addr = sa
        peer, new = self.peers.get_or_add(addr)
        peer.last_seen_ns = self.sched.now_ns
        peer.level = signal
        if info is not None:
            peer.name, peer.config_methods, peer.pri_dev_type = di.name, di.config_methods, di.pri_dev_type
        cap = attrs.get(Attr.CAPABILITY)
        if cap is not None and len(cap) == 2:
            peer.dev_capab, peer.group_capab = cap[0], cap[1]
        lc = attrs.get(Attr.LISTEN_CHANNEL)
        if lc is not None:
            try:
                peer.listen_freq = self._chan(parse_chan_attr(lc)).freq
            except (FrameError, OSError):
                pass
        if not peer.reported and info is not None:
            peer.reported = True
            self.emit(peer.found_text(True))
        if self.sd.requests and peer.reported:
            self.sd.peer_found(peer)
        return peer

    def _scan_results(self, results: list[Any]) -> None:
        for r in results:
            try:
                attrs = p2p_attributes(r.ies or ())
            except FrameError:
                continue
            if attrs is None:
                continue
            a = dict(attrs)
            if Attr.LISTEN_CHANNEL not in a:
                # A device in listen answers on its listen channel.
                a[Attr.LISTEN_CHANNEL] = chan_attr(r.channel.ieee)
            try:
                self._learn(r.extra.get("addr", r.bssid), a, r.rssi)
            except FrameError:
                continue

    def _probe_req(self, frame: bytes, freq: int) -> None:
        """Answer a P2P probe request while listening on our listen channel."""
        if not self._roc_ready or freq != self.listen_chan.freq:
            return
        f = MgmtFrame.parse(frame)
        if not isinstance(f.body, ProbeReq):
            return
        ies = f.body.ies
        ssid = ies.ssid or b""
        if p2p_attributes(ies) is None or (ssid and not ssid.startswith(b"DIRECT-")):
            return
        if ies.get(SupportedRates) is not None and all(r & 0x7F in (2, 4, 11, 22) for r in ies.rates):
            return  # 11b-only: not a P2P device
        di = DeviceInfo(self.address, self.config_methods, self.pri_dev_type, self.device_name)
        body = ProbeResp(0, 100, 0x0021, IEList([
            SSID(b"DIRECT-"), SupportedRates(OFDM_RATES), DSParams(self.listen_chan.ieee),
            *p2p_ies([(Attr.CAPABILITY, bytes((self.dev_capab, 0))), (Attr.DEVICE_INFO, di.to_bytes())])]))
        resp = MgmtFrame(body, f.addr2, self.address, self.address).to_bytes()
        self.wdev.mgmt_tx(resp, freq, no_cck=True, dont_wait_for_ack=True, owner=self.owner)

    # -- reaching a peer: send on its listen channel, listen in between ------------------
    def device_info_attrs(self) -> list[tuple[int, bytes]]:
        di = DeviceInfo(self.address, self.config_methods, self.pri_dev_type, self.device_name)
        return [(Attr.CAPABILITY, bytes((self.dev_capab, 0))), (Attr.DEVICE_INFO, di.to_bytes())]

    def action_frame(self, da: bytes, act: P2PAction) -> bytes:
        body = act.to_body()
        return MgmtFrame(Action(body[0], body[1], body[2:]), da, self.address, da).to_bytes()

    def reach(self, peer: Peer, build: Callable[[], Any], expect: Any, on_reply: Callable[..., Any],
              on_fail: Callable[[str], Any], *, state: str = "connect", tries: int = ACTION_TRIES,
              wait_ms: int = ACTION_WAIT_MS, **extra: Any) -> None:
        """Send `build()` (a P2PAction, or (token, frame) for another public
        action frame) to `peer` on its listen channel until a frame of
        subtype `expect` comes back, waiting `wait_ms` there after each send,
        with listen periods in between; on_fail(reason) after `tries` sends.
        `extra` stays in the pending exchange for the caller."""
        self._stop_activity()
        self.state = state
        self.pending = {"peer": peer, "build": build, "expect": expect, "on_reply": on_reply,
                        "on_fail": on_fail, "tries": tries, "cookie": None, "token": None,
                        "wait_ms": wait_ms, **extra}
        self._send_pending()

    def _send_pending(self) -> None:
        p = self.pending
        if p is None:
            return
        peer: Peer = p["peer"]
        if p["tries"] <= 0 or peer.listen_freq is None:
            self.pending = None
            self.state = "idle"
            p["on_fail"]("peer unreachable" if peer.listen_freq is not None
                         else "peer's listen channel unknown")
            return
        p["tries"] -= 1
        out = p["build"]()
        if isinstance(out, P2PAction):
            p["token"], frame = out.token, self.action_frame(peer.addr, out)
        else:
            p["token"], frame = out  # another public action frame (GAS): (dialog token, frame)
        p["cookie"] = self.wdev.mgmt_tx(frame, peer.listen_freq, wait_ms=p["wait_ms"],
                                        no_cck=True, owner=self.owner)

    def take_reply(self, act: P2PAction, sa: bytes) -> dict[str, Any] | None:
        """The pending exchange this frame answers (and end it), or None."""
        return self.take_pending(sa, act.subtype, act.token)

    def take_pending(self, sa: bytes, expect: Any, token: int) -> dict[str, Any] | None:
        p = self.pending
        if p is None or p["peer"].addr != sa or expect != p["expect"] or token != p["token"]:
            return None
        self.pending = None
        self._cancel_roc()
        return p

    def take_answer(self, sa: bytes, expect: Any, token: int) -> dict[str, Any] | None:
        """The pending exchange an answer from `sa` ends (`take_pending`),
        its wait on the channel cancelled and the device idle again; None
        if the answer is not the one awaited."""
        p = self.take_pending(sa, expect, token)
        if p is not None:
            self.end_wait(p)
            self.state = "idle"
        return p

    def end_wait(self, p: dict[str, Any]) -> None:
        self.cancel_wait(p.get("cookie"))

    def cancel_wait(self, cookie: int | None) -> None:
        """Stop waiting on the channel after the frame sent as `cookie`, if
        that wait still runs (it may have ended or never begun)."""
        if cookie is not None and cookie in self.wdev._waits:
            self.wdev.mgmt_tx_cancel_wait(cookie)

    def cancel(self) -> None:
        """P2P_CANCEL: drop a pending exchange/negotiation."""
        if self.pending is not None:
            p, self.pending = self.pending, None
            self.end_wait(p)
        self.neg.cancel()
        self._stop_activity()
        self.state = "idle"

    # -- groups -----------------------------------------------------------------------
    def new_group_name(self) -> str:
        while True:
            name = f"p2p-{self.vap.name}-{self.group_seq}"
            self.group_seq += 1
            if name not in self.ic.names:
                return name

    def random_ssid(self) -> bytes:
        xy = "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(2))
        return f"DIRECT-{xy}{self.device_name}".encode()[:32]

    def group_add(self, freq: int | None = None, persistent: bool = False,
                  network: int | None = None) -> P2PGroup | None:
        """P2P_GROUP_ADD [persistent|persistent=<id>]: an autonomous GO (a
        stored persistent group's SSID and passphrase with `network`); None if
        its vap could not be made (P2P-GROUP-FORMATION-FAILURE says why)."""
        net = None
        if network is not None:
            net = self.persistent.get(network)
            if net is None or net.role != "GO":
                raise NoSuchDevice(f"no persistent group {network} of ours to be GO of")
        chan, reason = self.neg.pick_channel(OpMode.P2P_GO, None, freq)
        if chan is None:
            raise Busy(f"{self.vap.name}: cannot start a GO: {reason}")
        if net is not None:
            return P2PGroup.start_go(self, chan, net.ssid, peer=None, passphrase=net.passphrase,
                                     persistent=True)
        return P2PGroup.start_go(self, chan, self.random_ssid(), peer=None, persistent=persistent)

    def go_groups(self) -> list[P2PGroup]:
        return [g for g in self.groups.values() if g.role == "GO" and not g.removed]

    def group_remove(self, ifname: str) -> None:
        g = self.groups.get(ifname)
        if g is None:
            raise NoSuchDevice(f"{ifname}: no such P2P group")
        g.remove("REQUESTED")

    def describe(self) -> dict[str, Any]:
        return {"device": self.vap.name, "address": mac_str(self.address), "state": self.state,
                "listen_channel": self.listen_chan.ieee, "peers": len(self.peers),
                "groups": list(self.groups)}

    def connect(self, addr: bytes | str, method: str = "pbc", **kw: Any) -> str | None:
        """P2P_CONNECT <addr> <pbc|pin|PIN> [auth] [go_intent=N] [freq=N]; the PIN if generated."""
        return self.neg.connect(addr, method, **kw)

    def invite(self, group: str, addr: bytes | str) -> None:
        """P2P_INVITE group=<ifname> peer=<addr>."""
        self.inv.invite(group, addr)

    def invite_persistent(self, network: int, addr: bytes | str, freq: int | None = None) -> None:
        """P2P_INVITE persistent=<id> peer=<addr>."""
        self.inv.invite_persistent(network, addr, freq)

    def prov_disc(self, addr: bytes | str, method: str) -> None:
        """P2P_PROV_DISC <addr> pbc|display|keypad."""
        self.neg.prov_disc(addr, method)

