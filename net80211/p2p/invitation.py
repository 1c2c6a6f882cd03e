"""Invitation to an active P2P group (P2P_INVITE) and joining one.

A member of a running group (its GO, or one of its clients) sends an
Invitation Request to a peer's listen channel: invitation flags 0 (join an
active group), the operating channel, the group BSSID and the Group ID (GO
device address + SSID).  The invitee answers with an Invitation Response:
success if it authorized the invitation before (`P2P_CONNECT <addr> <method>
join auth`, as wpa_supplicant's p2p_auth_invite) and then joins as a client;
otherwise "information currently unavailable" and a `P2P-INVITATION-RECEIVED`
event, after which `P2P_CONNECT <go_dev_addr> pbc join` joins.  The inviter
reports `P2P-INVITATION-RESULT status=N`.  Persistent groups (invitation
type 1) are not built: such requests answer "unknown group".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ic import InvalidArgument, NoSuchDevice, NotSupported, OpMode, State, mac_str, parse_mac
from net80211.p2p.group import P2PGroup
from net80211.p2p.wire import (
    Attr,
    P2PAction,
    Status,
    Subtype,
    chan_attr,
    channel_list,
    parse_channel_list,
)

if TYPE_CHECKING:
    from net80211.p2p.device import P2PDevice

INVITATION_TYPE_PERSISTENT = 0x01


class Invitations:
    """The invitations a P2P device sent, received and authorized."""

    def __init__(self, dev: P2PDevice) -> None:
        self.dev = dev
        self.authorized: set[bytes] = set()  # device addresses whose invitation we accept at once
        self.received: dict[bytes, dict[str, Any]] = {}  # GO device address -> the group it offered
        self.last_result: int | None = None
        self.methods: dict[bytes, str] = {}  # the WPS method of an authorized join ("pbc" or a PIN)
        dev.handlers[Subtype.INVITATION_REQ] = self.rx_req
        dev.handlers[Subtype.INVITATION_RESP] = self.rx_resp

    # -- inviter ---------------------------------------------------------------------------
    def invite(self, ifname: str, addr: bytes | str) -> None:
        """P2P_INVITE group=<ifname> peer=<addr>: invite a peer into a running group."""
        dev = self.dev
        g = dev.groups.get(ifname)
        if g is None:
            raise NoSuchDevice(f"{ifname}: no such P2P group")
        if not g.up or g.vap is None or g.vap.state < State.RUN:
            raise InvalidArgument(f"{ifname}: the group is not running yet")
        addr = parse_mac(addr, "peer address")
        peer = dev.peers.get(addr)
        if peer is None:
            raise NoSuchDevice(f"{mac_str(addr)}: unknown peer (run a find first)")
        bssid = g.vap.macaddr if g.role == "GO" else g.vap.bssid
        if bssid is None:
            raise InvalidArgument(f"{ifname}: the group has no BSSID yet")
        chans = dev.neg._my_channels()

        def build() -> P2PAction:
            return P2PAction(Subtype.INVITATION_REQ, dev.next_token(), dict([
                *dev.device_info_attrs(),
                (Attr.CONFIG_TIMEOUT, b"\x00\x00"),
                (Attr.INVITATION_FLAGS, b"\x00"),
                (Attr.OPERATING_CHANNEL, chan_attr(g.chan.ieee)),
                (Attr.GROUP_BSSID, bssid),
                (Attr.CHANNEL_LIST, channel_list(sorted(set(chans) | {g.chan.ieee}))),
                (Attr.GROUP_ID, g.go_dev + g.ssid)]))

        def failed(why: str) -> None:
            self.last_result = -1
            dev.emit("P2P-INVITATION-RESULT status=-1")

        dev.reach(peer, build, Subtype.INVITATION_RESP, lambda *x: None, failed, state="invite", tries=20)

    def rx_resp(self, act: P2PAction, sa: bytes, freq: int) -> None:
        dev = self.dev
        p = dev.take_answer(sa, act.subtype, act.token)
        if p is None:
            return
        status = act.status()
        self.last_result = status
        dev.emit(f"P2P-INVITATION-RESULT status={status}")
        pers = p.get("persistent")
        if pers is None or status != Status.SUCCESS:
            return
        net, chan = pers
        if net.role == "GO":
            P2PGroup.start_go(dev, chan, net.ssid, peer=None, passphrase=net.passphrase, persistent=True)
            return
        gchan = dev.channel_named(act.get(Attr.OPERATING_CHANNEL, 5))
        bssid = act.get(Attr.GROUP_BSSID, 6)
        if gchan is None or bssid is None:
            dev.emit("P2P-GROUP-FORMATION-FAILURE reason='the GO named no channel or BSSID'")
            return
        self._start_persistent_client(net, gchan, bssid)

    # -- invitee ----------------------------------------------------------------------------
    def rx_req(self, act: P2PAction, sa: bytes, freq: int) -> None:
        dev = self.dev
        flags = act.get(Attr.INVITATION_FLAGS, 1)
        gid = act.get(Attr.GROUP_ID)
        oc = act.get(Attr.OPERATING_CHANNEL, 5)
        bssid = act.get(Attr.GROUP_BSSID, 6)
        status = Status.SUCCESS
        go_dev, ssid, chan = b"", b"", None
        if gid is None or len(gid) < 7 or len(gid) > 6 + 32:
            status = Status.INVALID_PARAMS
        elif flags is not None and flags[0] & INVITATION_TYPE_PERSISTENT:
            self._rx_persistent(act, sa, freq, gid[:6], gid[6:], oc, bssid)
            return
        elif oc is None or bssid is None:
            status = Status.INVALID_PARAMS  # an active group names its channel and BSSID
        else:
            go_dev, ssid = gid[:6], gid[6:]
            chan = dev.channel_named(oc)
            if chan is None:
                status = Status.NO_COMMON_CHANNELS
            elif dev.neg.can_run(OpMode.P2P_CLIENT, chan) is not None:
                status = Status.UNABLE_TO_ACCOMMODATE
            elif sa not in self.authorized and go_dev not in self.authorized:
                status = Status.INFO_UNAVAILABLE  # ask the user first
        attrs: dict[int, bytes] = {Attr.STATUS: bytes((status,)), Attr.CONFIG_TIMEOUT: b"\x00\x00",
                 Attr.CHANNEL_LIST: channel_list(dev.neg._my_channels())}
        resp = P2PAction(Subtype.INVITATION_RESP, act.token, attrs)
        dev.wdev.mgmt_tx(dev.action_frame(sa, resp), freq, no_cck=True, owner=dev.owner)
        if status not in (Status.SUCCESS, Status.INFO_UNAVAILABLE):
            return
        assert bssid is not None and chan is not None
        offer = {"sa": sa, "go_dev": go_dev, "bssid": bssid, "ssid": ssid, "chan": chan}
        self.received[go_dev] = offer
        if sa != go_dev:
            self.received[sa] = offer
        if status == Status.INFO_UNAVAILABLE:
            dev.emit(f"P2P-INVITATION-RECEIVED sa={mac_str(sa)} go_dev_addr={mac_str(go_dev)} "
                     f"bssid={mac_str(bssid)} unknown-network")
            return
        offer["method"] = self.methods.pop(sa, None) or self.methods.pop(go_dev, None) or "pbc"
        self.authorized.discard(sa)
        self.authorized.discard(go_dev)
        # Join once the response is on the air.
        dev.sched.call_later(0, self._join, offer)

    # -- persistent groups -----------------------------------------------------------------------
    def invite_persistent(self, nid: int, addr: bytes | str, freq: int | None = None) -> None:
        """P2P_INVITE persistent=<id> peer=<addr>: re-invoke a stored group.
        As its GO we name the channel and our interface address; as its
        client the peer (the GO) does in its response."""
        dev = self.dev
        net = dev.persistent.get(nid)
        if net is None:
            raise NoSuchDevice(f"no persistent group with network id {nid}")
        addr = parse_mac(addr, "peer address")
        peer = dev.peers.get(addr)
        if peer is None:
            raise NoSuchDevice(f"{mac_str(addr)}: unknown peer (run a find first)")
        chan = None
        if net.role == "GO":
            chan, why = dev.neg.pick_channel(OpMode.P2P_GO, None, freq)
            if chan is None:
                raise InvalidArgument(f"cannot be GO: {why}")
        chans = dev.neg._my_channels()

        def build() -> P2PAction:
            attrs = dict(dev.device_info_attrs())
            attrs.update({Attr.CONFIG_TIMEOUT: b"\x64\x0a",
                          Attr.INVITATION_FLAGS: bytes((INVITATION_TYPE_PERSISTENT,)),
                          Attr.CHANNEL_LIST: channel_list(chans), Attr.GROUP_ID: net.go_dev + net.ssid})
            if chan is not None:
                attrs[Attr.OPERATING_CHANNEL] = chan_attr(chan.ieee)
                attrs[Attr.GROUP_BSSID] = dev.intf_addr
            return P2PAction(Subtype.INVITATION_REQ, dev.next_token(), attrs)

        def failed(why: str) -> None:
            self.last_result = -1
            dev.emit("P2P-INVITATION-RESULT status=-1")

        dev.reach(peer, build, Subtype.INVITATION_RESP, lambda *x: None, failed, state="invite", tries=20,
                  persistent=(net, chan))

    def _rx_persistent(self, act: P2PAction, sa: bytes, freq: int, go_dev: bytes, ssid: bytes,
                       oc: bytes | None, bssid: bytes | None) -> None:
        """An invitation to re-invoke a persistent group."""
        dev = self.dev
        net = dev.persistent.find(go_dev, ssid)
        status, chan = Status.SUCCESS, None
        if net is None:
            status = Status.UNKNOWN_GROUP
        elif net.role == "client":
            chan = dev.channel_named(oc)
            if oc is None or bssid is None:
                status = Status.INVALID_PARAMS
            elif chan is None:
                status = Status.NO_COMMON_CHANNELS
            elif dev.neg.can_run(OpMode.P2P_CLIENT, chan) is not None:
                status = Status.UNABLE_TO_ACCOMMODATE
        else:
            peer_chans = parse_channel_list(act.get(Attr.CHANNEL_LIST) or b"XX\x04")
            chan, _ = dev.neg.pick_channel(OpMode.P2P_GO, peer_chans or None, None)
            if chan is None:
                status = Status.NO_COMMON_CHANNELS
        if status == Status.SUCCESS and not (dev.persistent_reconnect or sa in self.authorized):
            status = Status.INFO_UNAVAILABLE  # wpa_supplicant without persistent_reconnect asks the user
        attrs: dict[int, bytes] = {Attr.STATUS: bytes((status,)), Attr.CONFIG_TIMEOUT: b"\x64\x0a",
                                   Attr.CHANNEL_LIST: channel_list(dev.neg._my_channels())}
        if status == Status.SUCCESS and net is not None and net.role == "GO" and chan is not None:
            attrs[Attr.OPERATING_CHANNEL] = chan_attr(chan.ieee)
            attrs[Attr.GROUP_BSSID] = dev.intf_addr
        resp = P2PAction(Subtype.INVITATION_RESP, act.token, attrs)
        dev.wdev.mgmt_tx(dev.action_frame(sa, resp), freq, no_cck=True, owner=dev.owner)
        if net is None:
            return
        if status == Status.INFO_UNAVAILABLE:
            dev.emit(f"P2P-INVITATION-RECEIVED sa={mac_str(sa)} persistent={net.id} freq={freq}")
            return
        if status != Status.SUCCESS or chan is None:
            return
        self.authorized.discard(sa)
        if dev.state in ("find", "listen"):
            dev._stop_activity()
            dev.state = "idle"
        if net.role == "GO":
            dev.sched.call_later(0, self._start_persistent_go, net, chan)
        else:
            assert bssid is not None
            dev.sched.call_later(0, self._start_persistent_client, net, chan, bssid)

    def _start_persistent_go(self, net: Any, chan: Any) -> None:
        if self.dev.started:
            P2PGroup.start_go(self.dev, chan, net.ssid, peer=None, passphrase=net.passphrase, persistent=True)

    def _start_persistent_client(self, net: Any, chan: Any, bssid: bytes) -> None:
        if self.dev.started:
            P2PGroup.start_client(self.dev, chan, net.ssid, go_intf=bssid, go_dev=net.go_dev,
                                  passphrase=net.passphrase, persistent=True)

    # -- joining ---------------------------------------------------------------------------
    def join(self, addr: bytes, auth: bool, method: str = "pbc") -> None:
        """P2P_CONNECT <addr> <method> join [auth]: join the group `addr` (its GO
        device, or the member that invited us) offered; with auth, accept its
        coming invitation instead."""
        if auth:
            self.authorized.add(addr)
            self.methods[addr] = method
            return
        offer = self.received.get(addr)
        if offer is None:
            raise NotSupported(f"{mac_str(addr)}: no group of that device is known (joining needs "
                               "its invitation first)")
        offer["method"] = method
        self._join(offer)

    def _join(self, offer: dict[str, Any]) -> P2PGroup | None:
        dev = self.dev
        if not dev.started:
            return None  # closed before the join came due
        for key in [k for k, v in self.received.items() if v is offer]:
            del self.received[key]
        if any(g.ssid == offer["ssid"] and g.go_dev == offer["go_dev"] for g in dev.groups.values()):
            return None  # already a member
        if dev.state in ("find", "listen"):
            dev._stop_activity()
            dev.state = "idle"
        return P2PGroup.start_client(dev, offer["chan"], offer["ssid"], go_intf=offer["bssid"],
                                     go_dev=offer["go_dev"], method=offer.get("method", "pbc"))
