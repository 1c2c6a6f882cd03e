"""GO negotiation and provision discovery of a P2P device.

GO negotiation is the three-frame exchange: the initiator's Request (GO
intent with a tie-breaker bit, channel list, intended interface address),
the Response (status, the responder's intent, the operating channel if it
will be GO, its Group ID), the Confirmation.  The higher intent becomes GO;
equal intents are decided by the Request's tie-breaker; both 15 fail.  The
GO picks the operating channel among the peer's channels and those its own
concurrency policy allows beside what already runs (a single-channel device
running a STA on channel 6 so prefers channel 6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ic import Channel, InvalidArgument, NoSuchDevice, OpMode, mac_str, parse_mac
from net80211.p2p.group import P2PGroup
from net80211.p2p.wire import (
    GROUP_CAPAB_PERSISTENT,
    SOCIAL_CHANNELS,
    WPS_CONFIG_METHODS,
    WPS_DEV_PASSWORD_ID,
    Attr,
    ConfigMethod,
    P2PAction,
    Status,
    Subtype,
    chan_attr,
    channel_list,
    parse_chan_attr,
    parse_channel_list,
    pri_dev_type_str,
    wps_get,
    wps_tlv,
)
from net80211.wire.frame import FrameError

if TYPE_CHECKING:
    from net80211.p2p.device import P2PDevice
    from net80211.p2p.peers import Peer

CONFIRM_WAIT_MS = 250
# wpa_supplicant stays 500 ms on the peer's channel after a GO Negotiation
# Request: a peer that answers within that (a slow one) is heard, not asked again
GO_NEG_REQ_WAIT_MS = 500
DEV_PW_DEFAULT, DEV_PW_USER, DEV_PW_PUSHBUTTON, DEV_PW_REGISTRAR = 0, 1, 4, 5
_METHOD_CM = {"pbc": ConfigMethod.PBC, "display": ConfigMethod.DISPLAY, "keypad": ConfigMethod.KEYPAD}


def wps_pin(rng: Any) -> str:
    """An 8-digit WPS PIN with its checksum digit."""
    n = rng.randrange(10**7)
    acc, v = 0, n
    for i in range(7):
        d = v % 10
        acc += d * (3 if i % 2 == 0 else 1)
        v //= 10
    return f"{n:07d}{(10 - acc % 10) % 10}"


class Negotiation:
    """The GO negotiation / provision discovery state of one P2P device."""

    def __init__(self, dev: P2PDevice) -> None:
        self.dev = dev
        self.auth: dict[bytes, dict[str, Any]] = {}  # peers we agreed to connect with
        self.session: dict[str, Any] | None = None
        self.tie_breaker = dev.rng.randrange(2)
        dev.handlers[Subtype.GO_NEG_REQ] = self.rx_req
        dev.handlers[Subtype.GO_NEG_RESP] = self.rx_resp
        dev.handlers[Subtype.GO_NEG_CONF] = self.rx_conf
        dev.handlers[Subtype.PROV_DISC_REQ] = self.rx_pd_req
        dev.handlers[Subtype.PROV_DISC_RESP] = self.rx_pd_resp
        self.last_failure: str | None = None

    # -- what this device can run ----------------------------------------------------
    def can_run(self, role: OpMode, chan: Channel) -> str | None:
        """None if a `role` vap on `chan` fits beside what runs now, else why not."""
        ic = self.dev.ic
        running = [v for v in ic.vaps if v.running and v.opmode is not OpMode.P2P_DEVICE]
        modes = [v.opmode for v in running] + [OpMode.P2P_DEVICE, role]
        chans = [v.channel for v in running] + [None, chan]
        try:
            ic.check_mix(modes, chans)
        except OSError as e:
            # One line for events: the policy's own last word on it.
            reasons = getattr(e, "reasons", None) or (e.strerror or str(e),)
            return " ".join(reasons[-1].split()).removeprefix("refused: ")
        return None

    def channels(self, role: OpMode) -> list[int]:
        return [c.ieee for c in self.dev.ic.channels if not c.is_dfs and self.can_run(role, c) is None]

    def pick_channel(self, role: OpMode, peer_chans: list[int] | None,
                     freq: int | None) -> tuple[Channel | None, str]:
        ic = self.dev.ic
        if freq is not None:
            cands = [c for c in ic.channels if c.freq == freq]
            if not cands:
                raise InvalidArgument(f"{ic.name}: no channel at {freq} MHz")
        else:
            busy = [v.bss_chan for v in ic.vaps if v.running and v.bss_chan is not None]
            social = [c for s in SOCIAL_CHANNELS for c in ic.channels if c.ieee == s]
            cands = list(dict.fromkeys(busy + social + [c for c in ic.channels if not c.is_dfs]))
        first_reason = ""
        for c in cands:
            if peer_chans is not None and c.ieee not in peer_chans:
                first_reason = first_reason or "no common channels"
                continue
            why = self.can_run(role, c)
            if why is None:
                return c, ""
            first_reason = first_reason or why
        return None, first_reason or "no channel"

    # -- connect ------------------------------------------------------------------------
    def connect(self, addr: bytes | str, method: str, *, go_intent: int | None = None,
                freq: int | None = None, auth: bool = False, join: bool = False, pin_mode: str | None = None,
                persistent: bool = False) -> str | None:
        """P2P_CONNECT <addr> pbc|pin|<PIN> [display|keypad] [persistent]; the
        PIN when one was generated.  As wpa_supplicant: "pin" makes up a PIN
        this device displays; a PIN given is entered here (keypad) unless
        `pin_mode` is "display"."""
        dev = self.dev
        addr = parse_mac(addr, "peer address")
        peer = dev.peers.get(addr)
        if peer is None:
            raise NoSuchDevice(f"{mac_str(addr)}: unknown peer (run a find first)")
        if pin_mode not in (None, "display", "keypad"):
            raise InvalidArgument(f"unknown PIN mode {pin_mode!r}")
        pin = None
        if method == "pbc":
            pw = DEV_PW_PUSHBUTTON
        elif method == "pin":
            pw, pin = DEV_PW_REGISTRAR, wps_pin(dev.rng)
        elif method.isascii() and method.isdigit() and len(method) in (4, 8):
            pw = DEV_PW_REGISTRAR if pin_mode == "display" else DEV_PW_USER
            pin = method
        else:
            raise InvalidArgument(f"unknown connect method {method!r} (pbc, pin or a 4/8-digit PIN)")
        if join:
            dev.inv.join(addr, auth, method=pin or "pbc")
            return pin if method == "pin" else None
        if go_intent is not None and not 0 <= go_intent <= 15:
            raise InvalidArgument(f"go_intent {go_intent} is outside 0..15")
        if freq is not None:
            self.pick_channel(OpMode.P2P_GO, None, freq)  # EINVAL for a frequency we lack
        self.auth[addr] = {"method": method, "pw": pw, "pin": pin, "persistent": persistent,
                           "go_intent": dev.go_intent if go_intent is None else go_intent, "freq": freq}
        if not auth:
            self._start(peer)
        elif dev.state == "idle":
            dev.listen()  # be reachable for the peer's request
        return pin if method == "pin" else None

    def _wps_method(self, a: dict[str, Any]) -> str:
        return "PBC" if a["method"] == "pbc" else "Display" if a["pw"] == DEV_PW_REGISTRAR else "Keypad"

    def _start(self, peer: Peer) -> None:
        a = self.auth[peer.addr]
        # one dialog token for every try, as wpa_supplicant: a response that
        # comes after its try's wait (a slow peer) still answers this negotiation
        sess: dict[str, Any] = {"peer": peer, "intent": a["go_intent"], "tb": 0,
                                "token": self.dev.next_token()}
        self.session = sess

        def build() -> P2PAction:
            self.tie_breaker ^= 1
            sess["tb"] = self.tie_breaker
            chan, _ = self.pick_channel(OpMode.P2P_GO, None, a["freq"])
            pref = chan or self.dev.listen_chan
            return P2PAction(Subtype.GO_NEG_REQ, sess["token"], dict([
                *self.dev.device_info_attrs(),
                (Attr.GO_INTENT, bytes((a["go_intent"] << 1 | sess["tb"],))),
                (Attr.CONFIG_TIMEOUT, b"\x64\x0a"),
                (Attr.LISTEN_CHANNEL, chan_attr(self.dev.listen_chan.ieee)),
                (Attr.INTENDED_INTERFACE_ADDR, self.dev.intf_addr),
                (Attr.CHANNEL_LIST, channel_list(self._my_channels())),
                (Attr.OPERATING_CHANNEL, chan_attr(pref.ieee)),
                (Attr.CAPABILITY, self._capab(a))]),
                wps=wps_tlv(WPS_DEV_PASSWORD_ID, a["pw"].to_bytes(2, "big")))

        self.dev.reach(peer, build, Subtype.GO_NEG_RESP, lambda *x: None,
                       lambda why: self._fail(peer, -1, why), wait_ms=GO_NEG_REQ_WAIT_MS)

    def _capab(self, a: dict[str, Any] | None) -> bytes:
        """Our P2P Capability: the persistent-group bit when the connect asked for one."""
        return bytes((self.dev.dev_capab, GROUP_CAPAB_PERSISTENT if a and a.get("persistent") else 0))

    def _my_channels(self) -> list[int]:
        return sorted(set(self.channels(OpMode.P2P_GO)) | set(self.channels(OpMode.P2P_CLIENT)))

    def _fail(self, peer: Peer, status: int, reason: str) -> None:
        self.session = None
        self.dev._stop_activity()
        self.dev.state = "idle"
        self.last_failure = reason
        self.dev.emit(f"P2P-GO-NEG-FAILURE status={status}" + (f" reason='{reason}'" if reason else ""))
        self.auth.pop(peer.addr, None)

    # -- responder ------------------------------------------------------------------------
    def rx_req(self, act: P2PAction, sa: bytes, freq: int) -> None:
        dev = self.dev
        peer = self._peer_of(act, sa)
        gi = act.get(Attr.GO_INTENT, 1)
        if gi is None:
            raise FrameError("GO negotiation request without GO intent")
        their_intent, their_tb = gi[0] >> 1, gi[0] & 1
        p = dev.pending
        if p is not None and p["peer"].addr == peer.addr and p["expect"] == Subtype.GO_NEG_RESP:
            if dev.address > peer.addr:
                return  # both sent requests: the higher address waits for its response
            dev.pending = None
            dev.end_wait(p)
        a = self.auth.get(peer.addr)
        status, reason = Status.SUCCESS, ""
        role = chan = None
        ssid = b""
        peer_chans = parse_channel_list(act.get(Attr.CHANNEL_LIST) or b"XX\x04")
        mine = a["go_intent"] if a else dev.go_intent
        # wpa_supplicant sends a request again with the same dialog token when
        # no response came within its wait, and takes whichever response comes
        # next: answer a repeat as the first time (the same group), or a late
        # response and the confirmation it leads to would name different SSIDs
        s = self.session
        again = s if (s is not None and s.get("responder") and s["peer"].addr == peer.addr
                      and s["token"] == act.token) else None
        if a is None:
            status = Status.INFO_UNAVAILABLE
        elif mine == 15 and their_intent == 15:
            status, reason = Status.BOTH_GO_INTENT_15, "both GO intent 15"
        else:
            i_am_go = mine > their_intent or (mine == their_intent and not their_tb)
            role = OpMode.P2P_GO if i_am_go else OpMode.P2P_CLIENT
            if i_am_go and again is not None and again["role"] is role and again["chan"].ieee in peer_chans:
                chan, ssid, why = again["chan"], again["ssid"], ""
            elif i_am_go:
                chan, why = self.pick_channel(role, peer_chans, a["freq"])
                ssid = dev.random_ssid()
            else:
                oc = act.get(Attr.OPERATING_CHANNEL, 5)
                pref = parse_chan_attr(oc) if oc else None
                mine_ok = [c for c in self.channels(role) if c in peer_chans]
                chan = next((c for c in dev.ic.channels if c.ieee == pref and pref in mine_ok), None) or \
                    next((c for c in dev.ic.channels if c.ieee in mine_ok), None)
                why = "no common channels" if peer_chans and chan is None else ""
            if chan is None:
                why = why or "no common channels"
                status = Status.NO_COMMON_CHANNELS if "common" in why else Status.UNABLE_TO_ACCOMMODATE
                reason = f"cannot be {'GO' if i_am_go else 'client'}: {why}"
        attrs = dict(dev.device_info_attrs())
        attrs[Attr.CAPABILITY] = self._capab(a)
        attrs[Attr.STATUS] = bytes((status,))
        attrs[Attr.GO_INTENT] = bytes((mine << 1 | (their_tb ^ 1),))
        attrs[Attr.CONFIG_TIMEOUT] = b"\x64\x0a"
        attrs[Attr.INTENDED_INTERFACE_ADDR] = dev.intf_addr
        attrs[Attr.CHANNEL_LIST] = channel_list([c for c in self._my_channels() if c in peer_chans])
        if chan is not None:
            attrs[Attr.OPERATING_CHANNEL] = chan_attr(chan.ieee)
        if role is OpMode.P2P_GO:
            attrs[Attr.GROUP_ID] = dev.address + ssid
        resp = P2PAction(Subtype.GO_NEG_RESP, act.token, attrs,
                         wps=wps_tlv(WPS_DEV_PASSWORD_ID, (a["pw"] if a else 0).to_bytes(2, "big")))
        wait = CONFIRM_WAIT_MS if status == Status.SUCCESS else 0
        if again is not None:
            dev.cancel_wait(again.get("wait_cookie"))
        cookie = dev.wdev.mgmt_tx(dev.action_frame(sa, resp), freq, wait_ms=wait, no_cck=True,
                                  owner=dev.owner)
        if status == Status.INFO_UNAVAILABLE:
            pw = wps_get(act.wps, WPS_DEV_PASSWORD_ID)
            pwid = int.from_bytes(pw, "big") if pw and len(pw) == 2 else 0
            dev.emit(f"P2P-GO-NEG-REQUEST {mac_str(peer.addr)} dev_passwd_id={pwid} go_intent={their_intent}")
            return
        if status != Status.SUCCESS:
            self._fail(peer, int(status), reason)
            return
        dev.state = "wait-confirm"
        self.session = {"peer": peer, "role": role, "chan": chan, "ssid": ssid, "token": act.token,
                        "peer_intf": act.get(Attr.INTENDED_INTERFACE_ADDR, 6) or peer.addr,
                        "wait_cookie": cookie, "responder": True}

    def _peer_of(self, act: P2PAction, sa: bytes) -> Peer:
        dev = self.dev
        for p in dev.peers.values():
            if p.addr == sa:
                return p
        peer, _ = dev.peers.get_or_add(sa)
        return peer

    def rx_conf(self, act: P2PAction, sa: bytes, freq: int) -> None:
        s = self.session
        if s is None or not s.get("responder") or s["peer"].addr != sa or s["token"] != act.token:
            return
        status = act.status()
        self.session = None
        self.dev.cancel_wait(s.get("wait_cookie"))
        if status != Status.SUCCESS:
            self._fail(s["peer"], status, "peer refused in its confirmation")
            return
        if s["role"] is OpMode.P2P_CLIENT:
            s["chan"] = self.dev.channel_named(act.get(Attr.OPERATING_CHANNEL, 5)) or s["chan"]
            gid = act.get(Attr.GROUP_ID)
            if gid and len(gid) > 6:
                s["ssid"] = gid[6:]
        self._success(s)

    # -- initiator --------------------------------------------------------------------------
    def rx_resp(self, act: P2PAction, sa: bytes, freq: int) -> None:
        dev = self.dev
        s = self.session
        p = dev.take_reply(act, sa)
        if p is None or s is None:
            return
        peer: Peer = p["peer"]
        status = act.status()
        if status == Status.INFO_UNAVAILABLE:
            # The peer has not agreed yet: listen until it sends its request.
            dev.end_wait(p)
            dev.state = "wait-peer"
            dev._listen_period(5000)
            return
        if status != Status.SUCCESS:
            dev.end_wait(p)
            self._fail(peer, status, "")
            return
        gi = act.get(Attr.GO_INTENT, 1)
        their = gi[0] >> 1 if gi else 0
        a = self.auth.get(peer.addr) or {"freq": None}
        # equal intents: the responder's tie breaker decides (it is the
        # complement of the try it answers, which need not be the last one)
        i_am_go = s["intent"] > their or (s["intent"] == their and not (gi and gi[0] & 1))
        role = OpMode.P2P_GO if i_am_go else OpMode.P2P_CLIENT
        peer_chans = parse_channel_list(act.get(Attr.CHANNEL_LIST) or b"XX\x04")
        cstatus, reason, ssid = Status.SUCCESS, "", b""
        if i_am_go:
            chan, why = self.pick_channel(role, peer_chans, a["freq"])
            ssid = dev.random_ssid()
        else:
            chan = dev.channel_named(act.get(Attr.OPERATING_CHANNEL, 5))
            why = "the GO named no operating channel" if chan is None else (self.can_run(role, chan) or "")
            if why:
                chan = None
            gid = act.get(Attr.GROUP_ID)
            ssid = gid[6:] if gid and len(gid) > 6 else b""
        if chan is None:
            cstatus = Status.NO_COMMON_CHANNELS if "common" in why else Status.UNABLE_TO_ACCOMMODATE
            reason = f"cannot be {'GO' if i_am_go else 'client'}: {why}"
        attrs: dict[int, bytes] = {Attr.STATUS: bytes((cstatus,)), Attr.CAPABILITY: self._capab(a),
                                   Attr.CHANNEL_LIST: channel_list(self._my_channels())}
        if chan is not None:
            attrs[Attr.OPERATING_CHANNEL] = chan_attr(chan.ieee)
        if i_am_go:
            attrs[Attr.GROUP_ID] = dev.address + ssid
        conf = P2PAction(Subtype.GO_NEG_CONF, act.token, attrs)
        frame = dev.action_frame(sa, conf)
        s.update({"role": role, "chan": chan, "ssid": ssid, "token": act.token, "freq": freq, "frame": frame,
                  "peer_intf": act.get(Attr.INTENDED_INTERFACE_ADDR, 6) or peer.addr, "conf_tries": 3,
                  "wait": p, "ok": cstatus == Status.SUCCESS, "reason": reason, "cstatus": int(cstatus)})
        self._send_conf()

    def _send_conf(self) -> None:
        s = self.session
        if s is None:
            return
        s["conf_tries"] -= 1
        s["conf_cookie"] = self.dev.wdev.mgmt_tx(s["frame"], s["freq"], no_cck=True, owner=self.dev.owner)

    def tx_status(self, cookie: int | None, ack: bool) -> None:
        s = self.session
        if s is None or cookie is None or s.get("conf_cookie") != cookie:
            return
        s["conf_cookie"] = None
        if not ack and s["conf_tries"] > 0:
            self._send_conf()
            return
        self.dev.end_wait(s["wait"])
        if not s["ok"]:
            self._fail(s["peer"], s["cstatus"], s["reason"])
        elif not ack:
            self._fail(s["peer"], -1, "confirmation not acknowledged")
        else:
            self._success(s)

    def wait_done(self, cookie: int | None, cancelled: bool) -> None:
        s = self.session
        if s is None or cancelled or not s.get("responder") or s.get("wait_cookie") != cookie:
            return
        if self.dev.state == "wait-confirm":
            self._fail(s["peer"], -1, "no confirmation")

    def cancel(self) -> None:
        self.session = None

    def _success(self, s: dict[str, Any]) -> None:
        dev = self.dev
        peer: Peer = s["peer"]
        a = self.auth.pop(peer.addr, {"method": "pbc", "pw": DEV_PW_PUSHBUTTON, "pin": None})
        self.session = None
        dev._stop_activity()  # a listen for the peer may still hold the radio
        dev.state = "idle"
        role = "GO" if s["role"] is OpMode.P2P_GO else "client"
        dev.emit(f"P2P-GO-NEG-SUCCESS role={role} freq={s['chan'].freq} ht40=0 peer_dev={mac_str(peer.addr)} "
                 f"peer_iface={mac_str(s['peer_intf'])} wps_method={self._wps_method(a)}")
        wps = a.get("pin") or "pbc"
        # persistent only when both asked (the P2P Capability both sent)
        persistent = bool(a.get("persistent")) and bool(peer.group_capab & GROUP_CAPAB_PERSISTENT)
        if s["role"] is OpMode.P2P_GO:
            P2PGroup.start_go(dev, s["chan"], s["ssid"], peer=peer, method=wps, peer_intf=s["peer_intf"],
                              persistent=persistent)
        else:
            P2PGroup.start_client(dev, s["chan"], s["ssid"], go_intf=s["peer_intf"], go_dev=peer.addr,
                                  method=wps, persistent=persistent)

    # -- provision discovery -------------------------------------------------------------------
    def prov_disc(self, addr: bytes | str, method: str) -> None:
        dev = self.dev
        addr = parse_mac(addr, "peer address")
        peer = dev.peers.get(addr)
        if peer is None:
            raise NoSuchDevice(f"{mac_str(addr)}: unknown peer (run a find first)")
        cm = _METHOD_CM.get(method)
        if cm is None:
            raise InvalidArgument(f"unknown provision discovery method {method!r} (pbc, display, keypad)")

        def build() -> P2PAction:
            return P2PAction(Subtype.PROV_DISC_REQ, dev.next_token(), dict(dev.device_info_attrs()),
                             wps=wps_tlv(WPS_CONFIG_METHODS, int(cm).to_bytes(2, "big")))

        self._pd = (peer, cm)
        dev.reach(peer, build, Subtype.PROV_DISC_RESP, lambda *x: None,
                  lambda why: dev.emit(f"P2P-PROV-DISC-FAILURE p2p_dev_addr={mac_str(peer.addr)} status=-1"),
                  state="pd", tries=20)

    def rx_pd_req(self, act: P2PAction, sa: bytes, freq: int) -> None:
        dev = self.dev
        peer = self._peer_of(act, sa)
        raw = wps_get(act.wps, WPS_CONFIG_METHODS)
        cm = int.from_bytes(raw, "big") if raw and len(raw) == 2 else 0
        ok = cm in (ConfigMethod.PBC, ConfigMethod.DISPLAY, ConfigMethod.KEYPAD) and cm & dev.config_methods
        resp = P2PAction(Subtype.PROV_DISC_RESP, act.token, {},
                         wps=wps_tlv(WPS_CONFIG_METHODS, (cm if ok else 0).to_bytes(2, "big")))
        dev.wdev.mgmt_tx(dev.action_frame(sa, resp), freq, no_cck=True, owner=dev.owner)
        if not ok:
            return
        a = mac_str(peer.addr)
        info = (f"p2p_dev_addr={a} pri_dev_type={pri_dev_type_str(peer.pri_dev_type)} name='{peer.name}' "
                f"config_methods=0x{peer.config_methods:x} dev_capab=0x{peer.dev_capab:x} "
                f"group_capab=0x{peer.group_capab:x}")
        if cm == ConfigMethod.PBC:
            dev.emit(f"P2P-PROV-DISC-PBC-REQ {a} {info}")
        elif cm == ConfigMethod.DISPLAY:
            dev.emit(f"P2P-PROV-DISC-ENTER-PIN {a} {info}")  # the peer shows a PIN we enter
        else:
            dev.emit(f"P2P-PROV-DISC-SHOW-PIN {a} {wps_pin(dev.rng)} {info}")

    def rx_pd_resp(self, act: P2PAction, sa: bytes, freq: int) -> None:
        dev = self.dev
        p = dev.take_answer(sa, act.subtype, act.token)
        if p is None:
            return
        raw = wps_get(act.wps, WPS_CONFIG_METHODS)
        cm = int.from_bytes(raw, "big") if raw and len(raw) == 2 else 0
        a = mac_str(p["peer"].addr)
        if cm == 0:
            dev.emit(f"P2P-PROV-DISC-FAILURE p2p_dev_addr={a} status=1")
        elif cm == ConfigMethod.PBC:
            dev.emit(f"P2P-PROV-DISC-PBC-RESP {a}")
        elif cm == ConfigMethod.DISPLAY:
            dev.emit(f"P2P-PROV-DISC-SHOW-PIN {a} {wps_pin(dev.rng)}")
        else:
            dev.emit(f"P2P-PROV-DISC-ENTER-PIN {a}")
