"""Access-point mode (`ieee80211_hostap.c`): create a BSS on a fixed or
least-congested channel (with a channel availability check on DFS
channels), then serve stations.

- Beacons are the driver's (at TBTT, `beacon.beacon_frame`); probe
  requests get a response when wildcard (unless the SSID is hidden) or for
  our SSID.
- Open-system authentication; (re)association allocates the lowest free
  AID, refused with AP_UNABLE_TO_HANDLE_NEW_STA (status 17, TOOMANY) once
  `vap.maxsta` stations are associated.
- Inactivity: every INACT_WAIT a station silent for `vap.ap.inact_timeout_ns`
  is probed with a null data frame; no ACK -> deauthenticated and dropped.
  Authenticated stations that never associate go after INACT_INIT_NS.
- Going down (to INIT, or a rescan) deauthenticates every station first.
- Data: frames from associated stations are relayed inside the BSS
  (unicast to an associated station; group frames both delivered up and
  re-sent), the rest delivered to the vap's netdev.

The mode's per-vap state is an `ApState` at `vap.ap`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ic import SEC, Callout, OpMode, RxInfo, State, TxStatus
from net80211.beacon import DEFAULT_RATES, HT_CAPS, capinfo, probe_resp_frame
from net80211.bss import (
    create_bss,
    leave_bss,
    pick_channel,
    running_channel,
    scan_channels,
    set_bss_channel,
)
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.modes.dwds import DSTODS, dwds_discover, dwds_mcast
from net80211.node import Node, NodeTable
from net80211.output import (
    BROADCAST,
    FC_NULL,
    FROM_DS,
    TO_DS,
    data_body,
    data_frame,
    deliver,
    send_data,
    send_mgmt,
    send_raw,
    snap_body,
)
from net80211.power import ApPowerSave
from net80211.scan import Scanner, ScanResult
from net80211.security import apply_security
from net80211.wire.frame import FCFlags, FrameError
from net80211.wire.ie import TIMEOUT_ASSOC_COMEBACK, IEList, rates_ies, timeout_interval
from net80211.wire.mgmt import (
    AssocResp,
    Auth,
    AuthAlgorithm,
    Deauth,
    MgmtFrame,
    ReasonCode,
    ReassocResp,
    StatusCode,
)

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

_PWR_MGT = int(FCFlags.PWR_MGT)
log = logging.getLogger("net80211")

CAC_TIME_NS = 60 * SEC  # 802.11h channel availability check
INACT_TIMEOUT_NS = 300 * SEC  # FreeBSD's IEEE80211_INACT_RUN
INACT_INIT_NS = 30 * SEC  # IEEE80211_INACT_INIT: authenticated, never associated
INACT_WAIT_NS = 15 * SEC  # IEEE80211_INACT_WAIT: how often nodes are checked
AID_MAX = 2007
# hostapd's Layer 2 Update frame (IEEE 802.2 XID, "null" response): an
# Ethernet frame from a station that just (re)associated, broadcast into the
# distribution system so that bridges learn where the station now is.
_L2_UPDATE_LLC = bytes((0x00, 0x06, 0x00, 0x01, 0xAF, 0x81, 0x01, 0x00))


def l2_update_frame(sta: bytes) -> bytes:
    """The Layer 2 Update frame announcing `sta` (padded to 60 octets)."""
    return (b"\xff" * 6 + sta + _L2_UPDATE_LLC).ljust(60, b"\x00")

SUB_ASSOC_REQ, SUB_REASSOC_REQ, SUB_PROBE_REQ = 0, 2, 4
SUB_DISASSOC, SUB_AUTH, SUB_DEAUTH = 10, 11, 12

_ssid_memo: dict[bytes, bytes | None] = {}


def probe_ssid(body: bytes) -> bytes | None:
    """The SSID a probe request asks for (b"" = wildcard); None if its
    elements are malformed or it carries none.  Memoised: every AP of a world
    hears the same probes."""
    hit = _ssid_memo.get(body, _ssid_memo)
    if hit is not _ssid_memo:
        return hit  # type: ignore[return-value]  # the memo holds only results; the sentinel is the memo
    try:
        ssid = IEList.parse(body).ssid
    except FrameError:
        ssid = None
    if len(_ssid_memo) > 4096:
        _ssid_memo.clear()
    _ssid_memo[bytes(body)] = ssid
    return ssid


@dataclass(slots=True, eq=False)
class ApState:
    """An AP vap's state (`vap.ap`; a P2P GO's too)."""

    inact_timer: Callout
    inact_timeout_ns: int = INACT_TIMEOUT_NS  # silent this long: probed, then dropped
    cac_timer: Callout | None = None  # made on the first channel availability check
    aids: set[int] = field(default_factory=set)  # AIDs given to associated stations
    # Dynamic WDS: told of each station sending 4-address frames with no WDS
    # vap yet (net80211.modes.dwds.add_dwds_listener).
    dwds_listeners: list[Callable[[IEEE80211Vap, bytes], Any]] = field(default_factory=list)
    ps: ApPowerSave = field(default_factory=ApPowerSave)  # dozing stations (net80211.power)


class HostapMode(Mode):
    opmode = OpMode.HOSTAP
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT, S.CAC, S.RUN, S.CSA),
        CAC=(S.INIT, S.SCAN, S.CSA),
        RUN=(S.INIT, S.SCAN, S.CAC, S.CSA, S.RUN),
        CSA=(S.RUN,),
    )
    rx_probe_req = True

    def vap_setup(self, vap: IEEE80211Vap) -> None:
        vap.ap = ApState(Callout(vap.ic.sched))

    def vap_detach(self, vap: IEEE80211Vap) -> None:
        st, vap.ap = vap.ap, None
        if st is not None:
            st.inact_timer.stop()
            if st.cac_timer is not None:
                st.cac_timer.stop()
        if vap.rsn is not None:
            vap.rsn.close()

    def set_security(self, vap: IEEE80211Vap, security: str | None, passphrase: str | bytes | None,
                     pmf: str | None, group_rekey: int | None, sae_pwe: int | None = None,
                     ptk_rekey: int | None = None) -> None:
        apply_security(vap, security, passphrase, pmf, group_rekey, sae_pwe, ptk_rekey)
        vap.beacon_template = None

    def deauth_node(self, vap: IEEE80211Vap, node: Node, reason: int) -> None:
        self._drop(vap, node, reason)

    def newstate(self, vap: IEEE80211Vap, ostate: State, nstate: State, arg: int) -> None:
        st = vap.ap
        assert st is not None
        if ostate == State.SCAN and nstate != State.SCAN:
            Scanner.of(vap.ic).cancel(vap)
        if ostate == State.CAC and st.cac_timer is not None:
            st.cac_timer.stop()
        if ostate >= State.RUN and nstate != State.RUN:
            self.deauth_all(vap, ReasonCode.AUTH_LEAVE)
            if vap.rsn is not None:
                vap.rsn.bss_stopped()
        if nstate == State.INIT:
            leave_bss(vap)
        elif nstate == State.SCAN:
            leave_bss(vap)
            if vap.des_chan is not None:
                create_bss(vap, vap.des_chan, self.bss_addr(vap))
            else:
                Scanner.of(vap.ic).start(vap, scan_channels(vap),
                                         lambda res: self.scan_done(vap, res), active=False)
        elif nstate == State.CAC:
            if st.cac_timer is None:
                st.cac_timer = Callout(vap.ic.sched)
            st.cac_timer.reset(CAC_TIME_NS, self._cac_done, vap)
        elif nstate == State.RUN:
            if vap.bss_chan is None:
                # Joined the channel a running vap chose (INIT->SCAN became RUN).
                chan = running_channel(vap) or vap.des_chan or vap.ic.curchan
                vap.bss_chan = chan
                set_bss_channel(vap.ic, chan)
                vap.ic.set_curchan(chan)
            vap.bssid = vap.macaddr
            if vap.rsn is not None and ostate != State.RUN:
                vap.rsn.bss_started()
            self._arm_inact(vap)

    def _cac_done(self, vap: IEEE80211Vap) -> None:
        if vap.state == State.CAC and vap.bss_chan is not None:
            vap.ic.cac_done.add(vap.bss_chan)
            vap.new_state(State.RUN, 0, internal=True)

    def scan_done(self, vap: IEEE80211Vap, results: list[ScanResult]) -> None:
        if vap.state == State.SCAN:
            create_bss(vap, pick_channel(results, scan_channels(vap)), self.bss_addr(vap))

    @staticmethod
    def bss_addr(vap: IEEE80211Vap) -> bytes:
        """The BSSID of our BSS: the vap's own address (it has one once attached)."""
        addr = vap.macaddr
        assert addr is not None
        return addr

    # -- stations ------------------------------------------------------------------
    def deauth_all(self, vap: IEEE80211Vap, reason: int) -> int:
        """Deauthenticate and drop every station (the BSS goes away)."""
        st = vap.ap
        assert st is not None
        tbl = NodeTable.peek(vap.ic)
        st.inact_timer.stop()
        st.aids.clear()
        if tbl is None:
            return 0
        nodes = tbl.nodes(vap)
        if nodes and vap.rsn is not None and vap.rsn.table.igtk_tx_key() is not None:
            # With PMF, hostapd's broadcast deauthentication first, under BIP
            # (send_mgmt_raw appends the MME): every MFP station takes it.
            send_mgmt(vap, BROADCAST, Deauth(reason))
        for node in nodes:
            if node.authed:
                send_mgmt(vap, node.macaddr, Deauth(reason))
        tbl.flush(vap)
        return len(nodes)

    def deauth_station(self, vap: IEEE80211Vap, mac: bytes, reason: int = ReasonCode.UNSPECIFIED) -> bool:
        """Deauthenticate one station (hostapd's `deauthenticate`); False if unknown."""
        node = NodeTable.of(vap.ic).find(vap, bytes(mac))
        if node is None:
            return False
        self._drop(vap, node, reason)
        return True

    def _drop(self, vap: IEEE80211Vap, node: Node, reason: int | None) -> None:
        st = vap.ap
        assert st is not None
        if reason is not None:
            send_mgmt(vap, node.macaddr, Deauth(reason))
        if node.aid:
            st.aids.discard(node.aid)
        NodeTable.of(vap.ic).remove(node)
        if vap.rsn is not None:
            vap.rsn.station_left(node)

    def association_lost(self, vap: IEEE80211Vap, node: Node) -> None:
        st = vap.ap
        assert st is not None
        if not node.associated:
            return
        node.associated = False
        st.aids.discard(node.aid)
        node.aid = 0
        if vap.rsn is not None:
            vap.rsn.station_left(node, still_authenticated=True)

    def _arm_inact(self, vap: IEEE80211Vap) -> None:
        st = vap.ap
        assert st is not None
        period = max(min(INACT_WAIT_NS, st.inact_timeout_ns // 4), 1)
        st.inact_timer.reset(period, self._inact_check, vap)

    def _inact_check(self, vap: IEEE80211Vap) -> None:
        """`ieee80211_node_timeout` for this vap's stations."""
        if vap.state != State.RUN:
            return
        st = vap.ap
        assert st is not None
        now = vap.ic.sched.now_ns
        for node in NodeTable.of(vap.ic).nodes(vap):
            idle = now - node.last_rx_ns
            if not node.associated:
                if idle >= INACT_INIT_NS:
                    self._drop(vap, node, None)
            elif idle >= st.inact_timeout_ns and not node.probing:
                self._probe_station(vap, node)
        self._arm_inact(vap)

    def _probe_station(self, vap: IEEE80211Vap, node: Node) -> None:
        """Send a null data frame; an ACK proves the station is still there."""
        node.probing = True

        def done(_frame: bytes, status: TxStatus) -> None:
            node.probing = False
            if status.acked:
                node.last_rx_ns = vap.ic.sched.now_ns
            elif NodeTable.of(vap.ic).find(vap, node.macaddr) is node and vap.state == State.RUN:
                log.debug("%s: station %s inactive, dropped", vap.name, node.macaddr.hex(":"))
                self._drop(vap, node, ReasonCode.ASSOC_EXPIRE)

        bssid = self.bss_addr(vap)  # probing from RUN, where bssid is our address
        frame = data_frame(FROM_DS, node.macaddr, bssid, bssid, vap.next_seq(), b"", subtype_fc=FC_NULL)
        if not send_raw(vap, frame, on_status=done):
            node.probing = False
            self._drop(vap, node, ReasonCode.ASSOC_EXPIRE)

    # -- receive -------------------------------------------------------------------
    def recv_mgmt(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  a2: bytes | None, a3: bytes | None) -> None:
        if vap.state != State.RUN or a2 is None:
            return
        st = vap.ap
        assert st is not None
        if subtype == SUB_PROBE_REQ:
            ssid = probe_ssid(frame[24:]) if not frame[1] & 0xC0 else None
            if ssid is None:
                raise FrameError("probe request without a valid SSID element")
            if (ssid == b"" and not vap.hidessid) or ssid == vap.ssid:
                tsf = vap.ic.ic_get_tsf()
                send_raw(vap, probe_resp_frame(vap, a2, tsf))
            return
        if a3 != vap.bssid:
            return
        if subtype == SUB_AUTH:
            self._recv_auth(vap, MgmtFrame.parse(frame).body, a2, node)
        elif subtype in (SUB_ASSOC_REQ, SUB_REASSOC_REQ):
            self._recv_assoc(vap, subtype, MgmtFrame.parse(frame).body, a2, node)
        elif subtype == SUB_DEAUTH:
            MgmtFrame.parse(frame)  # malformed ones are counted
            if node is not None:
                self._drop(vap, node, None)
        elif subtype == SUB_DISASSOC:
            MgmtFrame.parse(frame)
            if node is not None and node.associated:
                node.associated = False
                st.aids.discard(node.aid)
                node.aid = 0
                if vap.rsn is not None:
                    vap.rsn.station_left(node)

    def _recv_auth(self, vap: IEEE80211Vap, auth: Any, sta: bytes, node: Node | None) -> None:
        st = vap.ap
        assert st is not None
        rsn = vap.rsn
        if auth.algorithm == AuthAlgorithm.SAE and rsn is not None and rsn.cfg.sae:
            if node is None:
                node = NodeTable.of(vap.ic).add(vap, sta)
            elif node.associated and auth.seq == 1 and not rsn.holds_mfp(node):
                node.associated = False
                st.aids.discard(node.aid)
                node.aid = 0
            rsn.sae_auth(node, auth)
            return
        if auth.seq != 1:
            return
        if auth.algorithm != AuthAlgorithm.OPEN:
            send_mgmt(vap, sta, Auth(auth.algorithm, 2, StatusCode.ALG))
            return
        if node is None:
            node = NodeTable.of(vap.ic).add(vap, sta)
        elif node.associated and not (rsn is not None and rsn.holds_mfp(node)):
            # A station authenticating again has lost its association (an
            # MFP one keeps it until an SA Query says otherwise: hostapd)
            node.associated = False
            st.aids.discard(node.aid)
            node.aid = 0
        node.authed = True
        send_mgmt(vap, sta, Auth(AuthAlgorithm.OPEN, 2, StatusCode.SUCCESS))

    def _recv_assoc(self, vap: IEEE80211Vap, subtype: int, req: Any, sta: bytes, node: Node | None) -> None:
        st = vap.ap
        assert st is not None
        reassoc = subtype == SUB_REASSOC_REQ
        if node is None or not node.authed:
            vap.stats.rx_unauth += 1
            send_mgmt(vap, sta, Deauth(ReasonCode.ASSOC_NOT_AUTHED))
            return
        if req.ies.ssid != vap.ssid:
            return  # not for our BSS (FreeBSD drops it silently)
        resp_cls = ReassocResp if reassoc else AssocResp
        ies = IEList([*rates_ies(DEFAULT_RATES), HT_CAPS])
        if not node.associated:
            aid = self._alloc_aid(vap)
            if aid is None:
                vap.stats.assoc_failures += 1
                send_mgmt(vap, sta, resp_cls(capinfo(vap), StatusCode.TOOMANY, 0, ies))
                self._drop(vap, node, None)
                return
            node.aid = aid
            st.aids.add(aid)
        rsn = vap.rsn
        if rsn is not None:
            # RSN negotiation (hostapd's wpa_validate_wpa_ie): refused with
            # its status code, the station stays authenticated
            status = rsn.assoc_request(node, req.ies)
            if status != StatusCode.SUCCESS:
                vap.stats.assoc_failures += 1
                if not node.associated:
                    st.aids.discard(node.aid)
                    node.aid = 0
                comeback = rsn.assoc_comeback_tu(node) if status == StatusCode.REFUSED_TEMPORARILY else None
                if comeback is not None:
                    # an MFP station we still hold: come back once the SA Query is over
                    ies = IEList([*ies, timeout_interval(TIMEOUT_ASSOC_COMEBACK, comeback)])
                send_mgmt(vap, sta, resp_cls(capinfo(vap), status, 0, ies))
                return
        node.associated = True
        node.capinfo = req.capability
        node.listen_interval = req.listen_interval
        node.rates = req.ies.rates
        node.ssid = vap.ssid
        on_status = None
        if rsn is not None:
            def on_status(_frame: bytes, status: TxStatus) -> None:
                # hostapd's handle_assoc_cb: the handshake starts once the station has
                # acknowledged its Association Response; unacknowledged, the station asks
                # again, or (the ACK lost) gives up waiting after wpa_supplicant's 10 s
                if (status.acked and vap.rsn is rsn and vap.state == State.RUN and node.associated
                        and NodeTable.of(vap.ic).find(vap, sta) is node):
                    rsn.associated(node)
        send_mgmt(vap, sta, resp_cls(capinfo(vap), StatusCode.SUCCESS, node.aid, ies), on_status=on_status)
        nd = vap.netdev
        if nd is not None:
            # As hostapd's Layer 2 Update: the distribution system (a bridge) learns the station is here.
            nd.station_joined(sta)

    def _alloc_aid(self, vap: IEEE80211Vap) -> int | None:
        st = vap.ap
        assert st is not None
        if len(st.aids) >= min(vap.maxsta, AID_MAX):
            return None
        aid = 1
        while aid in st.aids:
            aid += 1
        return aid

    def recv_data(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  flags: int) -> None:
        ds = flags & 3
        if not (ds == TO_DS or (ds == DSTODS and vap.dwds)) or vap.state != State.RUN:
            vap.stats.rx_dropped += 1  # 4-address data needs dwds
            return
        if node is None or not node.associated:
            # FreeBSD: data from a station that is not associated earns a deauth.
            vap.stats.rx_unauth += 1
            send_mgmt(vap, frame[10:16], Deauth(ReasonCode.NOT_ASSOCED))
            return
        st = vap.ap
        if st is not None and bool(flags & _PWR_MGT) != (node.psq is not None):
            st.ps.pwrsave(vap, node, not node.psq)  # dozing, or awake: what was held goes out
        if subtype & 4:
            return  # null data: activity and power management are all it tells
        bssid = self.bss_addr(vap)  # in RUN, vap.bssid is our address
        if ds == DSTODS:
            # No WDS vap took it (the input path offers 4-address frames to
            # the bound one first): hold it until one is made for the station.
            dwds_discover(vap, node, frame, rx)
            return
        sa, da = frame[10:16], frame[16:22]
        body = data_body(frame, subtype, flags)
        if da[0] & 1:
            deliver(vap, da, sa, body, node)
            vap.stats.fwd_packets += 1
            vap.stats.tx_multicast += 1
            send_data(vap, data_frame(FROM_DS, da, bssid, sa, vap.next_seq(), body))
            if vap.dwds:
                dwds_mcast(vap, da, sa, body, skip=node)
            return
        if da != bssid:
            dst = NodeTable.of(vap.ic).find(vap, da)
            if dst is not None and dst.associated:
                vap.stats.fwd_packets += 1
                send_data(vap, data_frame(FROM_DS, da, bssid, sa, vap.next_seq(), body), dst)
                return
        deliver(vap, da, sa, body, node)

    def encap(self, vap: IEEE80211Vap, eth: bytes) -> tuple[bytes, Node | None] | None:
        body = snap_body(eth)
        if body is None:
            return None
        dst, src = eth[0:6], eth[6:12]
        node = None
        if dst[0] & 1:
            vap.stats.tx_multicast += 1
            if vap.dwds:
                dwds_mcast(vap, dst, src, body)  # DWDS stations take group frames on their links
        else:
            node = NodeTable.of(vap.ic).find(vap, dst)
            if node is None or not node.associated:
                return None  # no such station in our BSS
        return data_frame(FROM_DS, dst, self.bss_addr(vap), src, vap.next_seq(), body), node
