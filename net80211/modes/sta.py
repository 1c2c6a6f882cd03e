"""Station mode (`ieee80211_sta.c`): scan, authenticate, associate, run.

- SCAN: active scan (a probe request for our SSID, or a wildcard one, on
  every channel that allows probing), then the strongest matching BSS that
  has not refused us lately.  A scan that found nothing to join is followed
  by a wait (`scan_backoff_ns`: 100 ms doubling up to wpa_supplicant's 5 s)
  before the next one.
- AUTH/ASSOC: open-system authentication, then (re)association; each
  request is retried (MGT_TRIES) when unanswered, a refusal or timeout goes
  back to SCAN and keeps that BSS aside for FAIL_BACKOFF_NS.
- RUN: `vap.bss` is the ScanResult of the AP, `vap.sta.bss_node` its node,
  `vap.aid` the AID it gave us.  Software beacon-miss detection as FreeBSD's
  swbmiss: no beacon for `bmiss_threshold` (7) beacon intervals -> SCAN.

The mode's per-vap state is a `StaState` at `vap.sta`.
- A deauthentication or disassociation from the AP -> SCAN; going down
  (INIT) from AUTH or later tells the AP with a deauthentication.
- Roaming (`roaming auto`, the default): a running station whose AP's
  signal or rate falls below its thresholds looks for a stronger AP of its
  ESS and reassociates (`net80211.modes.roam`; its state is `vap.sta.roam`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ic import MS, SEC, TU, Callout, Channel, ComFlags, OpMode, RxInfo, State, TxStatus
from net80211 import beacon_filter
from net80211.beacon import DEFAULT_RATES, HT_CAPS, capinfo
from net80211.beacon_filter import BeaconFilter
from net80211.bss import claim_channel, leave_bss, scan_channels, set_bss_channel
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.modes import roam
from net80211.modes.roam import RoamState
from net80211.node import Node, NodeTable
from net80211.output import (
    BROADCAST,
    FC_NULL,
    FROM_DS,
    TO_DS,
    data_body,
    data_frame,
    deliver,
    send_mgmt,
    send_mgmt_raw,
    send_raw,
    snap_body,
)
from net80211.scan import Scanner, ScanResult
from net80211.security import apply_security, auth_failure_backoff_s
from net80211.wire.frame import FCFlags, FrameError
from net80211.wire.ie import SSID, TIMEOUT_ASSOC_COMEBACK, IEList, rates_ies, timeout_interval_of
from net80211.wire.mgmt import (
    AssocReq,
    Auth,
    AuthAlgorithm,
    Capability,
    Deauth,
    MgmtFrame,
    ReasonCode,
    ReassocReq,
    StatusCode,
)

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

FC1_PWR_MGT = int(FCFlags.PWR_MGT)
log = logging.getLogger("net80211")

MGT_TIMEOUT_NS = 200 * MS  # mac80211's IEEE80211_AUTH_TIMEOUT / _ASSOC_TIMEOUT
MGT_RETRY_NS = 20 * MS  # after a request the AP did not even ACK
MGT_TRIES = 3
BMISS_THRESHOLD = 7  # FreeBSD's IEEE80211_HWBMISS_DEFAULT
FAIL_BACKOFF_NS = 1 * SEC
# an SAE exchange (with its own retransmissions) that ends nowhere: wpa_supplicant's
# SME_AUTH_TIMEOUT, so a slow real AP (whose answer takes longer than a second) is waited for
SAE_TIMEOUT_NS = 5 * SEC
# A scan that found nothing to join (no beacon, no probe response for us):
# wpa_supplicant scans again after its scan_interval, 5 s by default.  We
# get there doubling from 100 ms, so that a station that merely missed one
# answer is not kept waiting, and draw each wait within its upper half, so
# that stations powered up together spread out instead of probing in step.
SCAN_BACKOFF_MIN_NS = 100 * MS
SCAN_BACKOFF_MAX_NS = 5 * SEC


def scan_backoff_ns(empty_scans: int, rng: Any) -> int:
    """How long a station waits before its next scan after `empty_scans`
    scans in a row that found nothing to join (at least 1)."""
    top = min(SCAN_BACKOFF_MAX_NS, SCAN_BACKOFF_MIN_NS << min(max(empty_scans, 1) - 1, 16))
    return int(top // 2 + rng.randrange(top - top // 2))


SUB_ASSOC_RESP, SUB_REASSOC_RESP, SUB_BEACON = 1, 3, 8
SUB_DISASSOC, SUB_AUTH, SUB_DEAUTH = 10, 11, 12
SUB_PROBE_REQ = 4
DSTODS = 0x03
_probe_bodies: dict[bytes, bytes] = {}


def probe_req_body(ssid: bytes) -> bytes:
    """Probe request elements for `ssid` (b"" = wildcard), cached."""
    body = _probe_bodies.get(ssid)
    if body is None:
        body = _probe_bodies[ssid] = IEList([SSID(ssid), *rates_ies(DEFAULT_RATES), HT_CAPS]).to_bytes()
    return body


@dataclass(slots=True, eq=False)
class StaState:
    """A station vap's state (`vap.sta`)."""

    mgt_timer: Callout  # the answer to an auth/assoc request is due
    bmiss_timer: Callout
    bmiss_threshold: int = BMISS_THRESHOLD  # beacon intervals without a beacon -> SCAN
    swbmiss_count: int = 0  # beacons of our BSS since the bmiss timer was armed
    mgt_tries: int = 0  # requests sent in this AUTH/ASSOC
    bss_node: Node | None = None  # our AP's node while associated
    fails: dict[bytes, int] = field(default_factory=dict)  # BSSID -> time it refused us or timed out
    last_status: int | None = None  # status code of the last refused request
    last_reason: int | None = None  # reason code of the last deauth/disassoc
    empty_scans: int = 0  # scans in a row that found nothing to join (scan backoff)
    roam: RoamState = field(default_factory=RoamState)  # roaming settings and record
    bf: BeaconFilter = field(default_factory=BeaconFilter)  # the device's beacon filter, for us


def reset_beacon_monitor(vap: IEEE80211Vap) -> bool:
    """Reset the beacon-miss timer of a station vap (P2P client included);
    False for any other vap or a station not in RUN."""
    mode = vap.mode
    return isinstance(mode, StaMode) and mode.reset_beacon_monitor(vap)


class StaMode(Mode):
    opmode = OpMode.STA
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT, S.SCAN, S.AUTH, S.ASSOC, S.RUN, S.SLEEP),
        AUTH=(S.INIT, S.SCAN, S.AUTH, S.ASSOC, S.RUN, S.SLEEP),
        ASSOC=(S.AUTH, S.ASSOC, S.RUN, S.SLEEP),
        RUN=(S.AUTH, S.ASSOC, S.RUN, S.CSA, S.SLEEP),
        CSA=(S.RUN,),
        SLEEP=(S.RUN,),
    )

    def vap_setup(self, vap: IEEE80211Vap) -> None:
        vap.sta = StaState(Callout(vap.ic.sched), Callout(vap.ic.sched))

    def vap_detach(self, vap: IEEE80211Vap) -> None:
        st, vap.sta = vap.sta, None
        if st is not None:
            st.mgt_timer.stop()
            st.bmiss_timer.stop()
        if vap.rsn is not None:
            vap.rsn.close()

    def set_security(self, vap: IEEE80211Vap, security: str | None, passphrase: str | bytes | None,
                     pmf: str | None, group_rekey: int | None, sae_pwe: int | None = None,
                     ptk_rekey: int | None = None) -> None:
        apply_security(vap, security, passphrase, pmf, group_rekey, sae_pwe, ptk_rekey)

    def deauth_node(self, vap: IEEE80211Vap, node: Node, reason: int) -> None:
        """The supplicant gave up (msg 3/4's RSNE differs...): tell the AP,
        keep this BSS aside, scan again."""
        send_mgmt(vap, node.macaddr, Deauth(reason))
        st = vap.sta
        assert st is not None
        st.last_reason = reason
        self._fail(vap, f"RSN handshake failed: reason {reason}")
        self._hold_after_auth_failure(vap)

    def link_lost(self, vap: IEEE80211Vap, reason: int) -> None:
        if vap.state != State.RUN or vap.nstates:
            return
        st = vap.sta
        assert st is not None
        st.last_reason = reason
        log.debug("%s: association lost (SA Query unanswered)", vap.name)
        vap.new_state(State.SCAN, 0, internal=True)

    def sae_done(self, vap: IEEE80211Vap, ok: bool) -> None:
        if vap.state != State.AUTH or vap.nstates:
            return
        if ok:
            vap.new_state(State.ASSOC, 0, internal=True)
        else:
            self._fail(vap, "SAE authentication failed")
            self._hold_after_auth_failure(vap)

    def _hold_after_auth_failure(self, vap: IEEE80211Vap) -> None:
        """Keep the BSS aside as wpa_supplicant keeps a network after
        authentication failures (10, 20, 30, 60 ... s as they repeat)."""
        st, rsn = vap.sta, vap.rsn
        if st is None or rsn is None or vap.bssid is None:
            return
        hold_s = auth_failure_backoff_s(max(1, rsn.auth_failures))
        st.fails[vap.bssid] = vap.ic.sched.now_ns + hold_s * SEC - FAIL_BACKOFF_NS

    def first_request(self, vap: IEEE80211Vap) -> tuple[State, bool]:
        # A station does not REINIT: if it is running it reassociates.
        return (State.ASSOC if vap.state >= State.RUN else State.SCAN), False

    # -- transitions -------------------------------------------------------------
    def newstate(self, vap: IEEE80211Vap, ostate: State, nstate: State, arg: int) -> None:
        st = vap.sta
        assert st is not None
        roam.on_state(vap, ostate, nstate)
        st.mgt_timer.stop()
        if ostate == State.SCAN and nstate != State.SCAN:
            Scanner.of(vap.ic).cancel(vap)
        if nstate < State.RUN:
            st.bmiss_timer.stop()
            beacon_filter.disarm(vap, st.bf)
        if nstate == State.INIT:
            if ostate >= State.AUTH and vap.bssid is not None:
                send_mgmt(vap, vap.bssid, Deauth(ReasonCode.AUTH_LEAVE))
            self._forget_bss(vap)
            vap.bss = None
            vap.bssid = None
            leave_bss(vap)
        elif nstate == State.SCAN:
            if ostate >= State.AUTH:
                self._forget_bss(vap)
                leave_bss(vap)
            self._start_scan(vap)
        elif nstate in (State.AUTH, State.ASSOC):
            if vap.bssid is None:
                return  # asked by hand, with no BSS chosen: nothing to talk to
            st.mgt_tries = 0
            if nstate == State.AUTH:
                NodeTable.of(vap.ic).add(vap, vap.bssid)
                self._send_auth(vap)
            else:
                self._send_assoc(vap, reassoc=arg == 1 or ostate >= State.RUN)
        elif nstate == State.RUN:
            if vap.bss is not None:
                vap.bss_chan = vap.bss.channel
                set_bss_channel(vap.ic, vap.bss_chan)
            node = NodeTable.of(vap.ic).find(vap, vap.bssid) if vap.bssid is not None else None
            st.bss_node = node
            if node is not None:
                node.associated = True
                node.last_rx_ns = vap.ic.sched.now_ns
            if ostate != State.RUN:
                st.swbmiss_count = 0
                self._arm_bmiss(vap)
                if vap.opmode is OpMode.STA:  # a P2P client heeds its GO's NoA in every beacon
                    beacon_filter.arm(vap, st.bf)
                if vap.rsn is not None and node is not None:
                    vap.rsn.sta_associated(node)

    def _forget_bss(self, vap: IEEE80211Vap) -> None:
        st = vap.sta
        assert st is not None
        tbl = NodeTable.peek(vap.ic)
        if tbl is not None and vap.bssid is not None:
            node = tbl.find(vap, vap.bssid)
            if node is not None:
                tbl.remove(node)
        st.bss_node = None
        vap.aid = 0
        if vap.rsn is not None:
            vap.rsn.sta_left()

    def _start_scan(self, vap: IEEE80211Vap) -> None:
        Scanner.of(vap.ic).start(vap, scan_channels(vap), lambda res: self.scan_done(vap, res))

    def scan_probe(self, vap: IEEE80211Vap, chan: Channel) -> None:
        """Probe for our SSID (or any, without one) on the channel being scanned."""
        send_mgmt_raw(vap, SUB_PROBE_REQ, BROADCAST, probe_req_body(vap.ssid), bssid=BROADCAST, no_ack=True)

    # -- a background scan: power save while off the channel -----------------------
    def scan_leave_home(self, vap: IEEE80211Vap, done: Callable[[bytes, TxStatus], None]) -> bool:
        """The radio leaves the BSS channel for a background scan: a null data
        frame with the Power Management bit tells the AP to hold our frames
        (mac80211's offchannel power save); `done` runs at its TX status."""
        frame = self._null(vap, FC1_PWR_MGT)
        return frame is not None and send_raw(vap, frame, on_status=done)

    def scan_back_home(self, vap: IEEE80211Vap) -> None:
        """Back on the BSS channel: null data without the bit, the AP sends
        what it held."""
        frame = self._null(vap, 0)
        if frame is not None:
            send_raw(vap, frame)

    @staticmethod
    def _null(vap: IEEE80211Vap, pm: int) -> bytes | None:
        bssid, me = vap.bssid, vap.macaddr
        if vap.state != State.RUN or bssid is None or me is None:
            return None
        return data_frame(TO_DS | pm, bssid, me, bssid, vap.next_seq(), b"", subtype_fc=FC_NULL)

    # -- joining -----------------------------------------------------------------
    def _matches(self, vap: IEEE80211Vap, results: list[ScanResult]) -> list[ScanResult]:
        rsn = vap.rsn
        return [r for r in results if not r.ibss
                and (not vap.ssid or r.ssid == vap.ssid)
                and (vap.des_chan is None or r.channel == vap.des_chan)
                and (vap.des_bssid is None or r.bssid == vap.des_bssid)
                # an open station joins open BSSes; a protected one, BSSes
                # whose RSN element it accepts (wpa_supplicant's matching)
                and (not r.capinfo & Capability.PRIVACY if rsn is None else rsn.select(r) is not None)]

    def select_bss(self, vap: IEEE80211Vap, results: list[ScanResult]) -> ScanResult | None:
        """The best infrastructure BSS matching the vap's SSID and channel that
        has not refused us within FAIL_BACKOFF_NS."""
        st = vap.sta
        assert st is not None
        now = vap.ic.sched.now_ns
        fails = st.fails
        cands = [r for r in self._matches(vap, results)
                 if now - fails.get(r.bssid, -FAIL_BACKOFF_NS) >= FAIL_BACKOFF_NS]
        return max(cands, key=lambda r: (r.rssi, -r.channel.freq), default=None)

    def scan_done(self, vap: IEEE80211Vap, results: list[ScanResult]) -> None:
        if vap.state != State.SCAN:
            return
        st = vap.sta
        assert st is not None
        best = self.select_bss(vap, results)
        if best is None:
            # Nothing to join yet: keep scanning, as a FreeBSD station does.
            # But if what we seek is there and only refused us lately, scan
            # again when that ends, as wpa_supplicant does after a failed
            # connection, rather than probe a known BSS for nothing.
            fails = st.fails
            held = [fails[r.bssid] + FAIL_BACKOFF_NS for r in self._matches(vap, results) if r.bssid in fails]
            now = vap.ic.sched.now_ns
            if held and min(held) > now:
                st.mgt_timer.reset(min(held) - now, self._rescan, vap)
            else:
                # Nobody answered: back off before probing again (no probe
                # storm from stations out of reach of their network).
                st.empty_scans += 1
                vap.stats.scan_backoffs += 1
                st.mgt_timer.reset(scan_backoff_ns(st.empty_scans, vap.ic.rng), self._rescan, vap)
            return
        st.empty_scans = 0
        if best.channel != vap.des_chan and not claim_channel(vap, best.channel):
            return
        vap.bss = best
        vap.bssid = best.bssid
        if vap.rsn is not None:
            vap.rsn.choose(best)
        vap.ic.set_curchan(best.channel)
        vap.new_state(State.AUTH, 0, internal=True)

    def _rescan(self, vap: IEEE80211Vap) -> None:
        if vap.state == State.SCAN and not vap.nstates:
            self._start_scan(vap)

    def _fail(self, vap: IEEE80211Vap, why: str) -> None:
        """The BSS refused us or did not answer: back to SCAN, keep it aside."""
        st = vap.sta
        assert st is not None
        if vap.bssid is not None:
            st.fails[vap.bssid] = vap.ic.sched.now_ns
        vap.stats.assoc_failures += 1
        log.debug("%s: %s", vap.name, why)
        vap.new_state(State.SCAN, 0, internal=True)

    def _arm_mgt(self, vap: IEEE80211Vap, state: State, sent: bool) -> None:
        """Wait for the answer to a request; unsent or unacked: retry soon."""
        st = vap.sta
        assert st is not None
        st.mgt_timer.reset(MGT_TIMEOUT_NS if sent else MGT_RETRY_NS, self._mgt_timeout, vap, state)

    def _on_status(self, vap: IEEE80211Vap, state: State) -> Callable[[bytes, TxStatus], None]:
        def cb(_frame: bytes, status: TxStatus) -> None:
            st = vap.sta  # None if the vap was detached while the frame was out
            if st is None or vap.state != state or not st.mgt_timer.pending:
                return
            if status.acked:
                # mac80211 counts the wait for the answer from the ACK: a
                # request that sat in a busy queue (or a slow real medium)
                # is not resent before the AP has had its 200 ms
                st.mgt_timer.reset(MGT_TIMEOUT_NS, self._mgt_timeout, vap, state)
            else:
                st.mgt_timer.reset(MGT_RETRY_NS + vap.ic.rng.randrange(MGT_RETRY_NS), self._mgt_timeout,
                                    vap, state)
        return cb

    def _mgt_timeout(self, vap: IEEE80211Vap, state: State) -> None:
        if vap.state != state or vap.nstates:
            return
        st = vap.sta
        assert st is not None
        if st.mgt_tries >= MGT_TRIES:
            self._fail(vap, f"{state.name} timed out")
        elif state == State.AUTH:
            self._send_auth(vap)
        else:
            self._send_assoc(vap, reassoc=False)

    def _send_auth(self, vap: IEEE80211Vap) -> None:
        st = vap.sta
        assert st is not None
        bssid = vap.bssid
        assert bssid is not None  # AUTH is entered with a BSS chosen
        st.mgt_tries += 1
        rsn = vap.rsn
        if rsn is not None and rsn.uses_sae:
            # SAE: commit and confirm in Authentication frames; the SAE
            # instance retransmits on its own, the mode restarts it after
            # SAE_TIMEOUT_NS with no outcome
            node = NodeTable.of(vap.ic).add(vap, bssid)
            rsn.sae_start(node)
            st.mgt_timer.reset(SAE_TIMEOUT_NS, self._mgt_timeout, vap, State.AUTH)
            return
        sent = send_mgmt(vap, bssid, Auth(AuthAlgorithm.OPEN, 1),
                         on_status=self._on_status(vap, State.AUTH))
        self._arm_mgt(vap, State.AUTH, sent)

    def _send_assoc(self, vap: IEEE80211Vap, *, reassoc: bool) -> None:
        st = vap.sta
        assert st is not None
        bssid = vap.bssid
        assert bssid is not None  # ASSOC is entered with a BSS chosen
        st.mgt_tries += 1
        sec = vap.rsn.assoc_elements() if vap.rsn is not None else []
        ies = IEList([SSID(vap.ssid or (vap.bss.ssid if vap.bss is not None else b"")),
                      *rates_ies(DEFAULT_RATES), *sec, HT_CAPS])
        cap = capinfo(vap)
        prev = st.roam.prev_bssid  # roaming: a reassociation naming the AP we leave
        body: Any = ReassocReq(cap, 10, prev or bssid, ies) if reassoc or prev else AssocReq(cap, 10, ies)
        sent = send_mgmt(vap, bssid, body, on_status=self._on_status(vap, State.ASSOC))
        self._arm_mgt(vap, State.ASSOC, sent)

    def refresh(self, vap: IEEE80211Vap) -> None:
        self._bf_sync(vap)

    def _bf_sync(self, vap: IEEE80211Vap) -> None:
        """The beacons the device's filter kept back since the last look, as
        if they had come in: counted, against the beacon-miss check, and into
        the roaming average."""
        st = vap.sta
        if st is None or not st.bf.on:
            return
        n = beacon_filter.sync(vap, st.bf)
        if n:
            st.swbmiss_count += n
            if vap.opmode is OpMode.STA:
                roam.on_beacons_kept(vap, st.bf.signal, n)

    # -- beacon miss (FreeBSD's software bmiss) ------------------------------------
    def reset_beacon_monitor(self, vap: IEEE80211Vap) -> bool:
        """Restart the beacon-miss count from now (mac80211's
        `ieee80211_sta_reset_beacon_monitor`): time the radio spent away
        from the BSS channel is not beacon loss.  False if `vap` is not a
        running station (nothing to reset)."""
        if vap.state != State.RUN or vap.mode is not self:
            return False
        st = vap.sta
        assert st is not None
        self._bf_sync(vap)  # kept back before now: not counted against the miss check
        st.swbmiss_count = 0
        self._arm_bmiss(vap)
        return True

    def _arm_bmiss(self, vap: IEEE80211Vap) -> None:
        st = vap.sta
        assert st is not None
        bintval = vap.bss.bintval if vap.bss is not None and vap.bss.bintval else vap.bintval
        st.bmiss_timer.reset(st.bmiss_threshold * bintval * TU, self._bmiss_check, vap)

    def _bmiss_check(self, vap: IEEE80211Vap) -> None:
        if vap.state != State.RUN:
            return
        st = vap.sta
        assert st is not None
        self._bf_sync(vap)  # beacons the device kept back came too
        if st.swbmiss_count or vap.ic.flags & ComFlags.SCAN:
            # Beacons came (or we were off channel scanning for another vap).
            st.swbmiss_count = 0
            self._arm_bmiss(vap)
            return
        vap.stats.beacon_misses += 1
        log.debug("%s: beacon miss from %s", vap.name, vap.bssid.hex(":") if vap.bssid else "-")
        if not vap.nstates:
            vap.new_state(State.SCAN, 0, internal=True)

    # -- receive -------------------------------------------------------------------
    def recv_mgmt(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  a2: bytes | None, a3: bytes | None) -> None:
        st = vap.sta
        assert st is not None
        if subtype == SUB_BEACON:
            if a3 == vap.bssid:
                bf = st.bf
                if bf.on:
                    self._bf_sync(vap)  # the ones kept back came before this one
                    bf.signal = rx.signal
                vap.stats.rx_beacons += 1
                st.swbmiss_count += 1
                if vap.opmode is OpMode.STA:
                    roam.on_beacon(vap, rx.signal)
                    if bf.on:
                        beacon_filter.want_all(vap, bf, roam.beacons_matter(vap, rx.signal))
            return
        if a2 != vap.bssid or vap.bssid is None:
            return  # management from anyone but our AP does not concern a station
        state = vap.state
        if subtype == SUB_AUTH:
            if state != State.AUTH:
                return
            auth = MgmtFrame.parse(frame).body
            rsn = vap.rsn
            if auth.algorithm == AuthAlgorithm.SAE and rsn is not None and rsn.uses_sae and node is not None:
                if auth.status not in (StatusCode.SUCCESS, 76, 126):
                    st.last_status = auth.status
                    self._fail(vap, f"SAE authentication refused: {auth.status!r}")
                    return
                rsn.sae_rx(node, auth)
                return
            if auth.algorithm != AuthAlgorithm.OPEN or auth.seq != 2:
                return
            if auth.status == StatusCode.SUCCESS:
                vap.new_state(State.ASSOC, 0, internal=True)
            else:
                st.last_status = auth.status
                self._fail(vap, f"authentication refused: {auth.status!r}")
        elif subtype in (SUB_ASSOC_RESP, SUB_REASSOC_RESP):
            if state != State.ASSOC:
                return
            resp = MgmtFrame.parse(frame).body
            if resp.status == StatusCode.SUCCESS and 1 <= resp.aid <= 2007:
                vap.aid = resp.aid
                if node is not None:
                    node.aid = resp.aid
                    node.capinfo = resp.capability
                    node.rates = resp.ies.rates
                vap.new_state(State.RUN, 0, internal=True)
            elif (resp.status == StatusCode.REFUSED_TEMPORARILY
                  and (tu := timeout_interval_of(resp.ies, TIMEOUT_ASSOC_COMEBACK)) is not None):
                # the AP still holds an MFP association of ours and asks it
                # with an SA Query first: ask again after the comeback time
                # (mac80211's "rejected association temporarily"), as one
                # more of the request's tries
                st.last_status = resp.status
                if vap.rsn is not None:
                    vap.rsn.counters["assoc_comebacks"] += 1
                st.mgt_timer.reset(max(1, tu) * TU, self._mgt_timeout, vap, State.ASSOC)
            elif (resp.status == StatusCode.INVALID_PMKID and vap.rsn is not None and vap.rsn.pmksa_refused()
                  and vap.bss is not None and vap.rsn.choose(vap.bss)):
                # the AP has no such PMKSA (any more): a full SAE authentication
                # at once, as wpa_supplicant after sae_pmksa_caching
                st.last_status = resp.status
                vap.new_state(State.AUTH, 0, internal=True)
            else:
                st.last_status = resp.status
                self._fail(vap, f"association refused: {resp.status!r}")
        elif subtype in (SUB_DEAUTH, SUB_DISASSOC):
            if state < State.AUTH or (subtype == SUB_DISASSOC and state < State.ASSOC):
                return
            st.last_reason = MgmtFrame.parse(frame).body.reason
            log.debug("%s: %s by the AP: %r", vap.name,
                      "deauthenticated" if subtype == SUB_DEAUTH else "disassociated", st.last_reason)
            rsn = vap.rsn
            if rsn is not None and vap.bssid is not None:
                hold_s = rsn.deauthenticated(node, st.last_reason)  # wpa_supplicant's back-off
                if hold_s is not None:
                    # an authentication failure (a wrong passphrase): keep the
                    # network aside as wpa_supplicant does, longer each time
                    st.fails[vap.bssid] = vap.ic.sched.now_ns + hold_s * SEC - FAIL_BACKOFF_NS
                    vap.stats.assoc_failures += 1
            if not vap.nstates:
                vap.new_state(State.SCAN, 0, internal=True)

    def recv_data(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  flags: int) -> None:
        st = vap.sta
        assert st is not None
        ds = flags & 3
        if vap.state != State.RUN or node is None or node is not st.bss_node \
                or not (ds == FROM_DS or (ds == DSTODS and vap.dwds)):
            vap.stats.rx_dropped += 1  # 4-address data without DWDS: wrong direction
            return
        if subtype & 4:
            return  # null data: the AP checking we are still here
        if ds == DSTODS:
            if len(frame) < 30:
                raise FrameError("4-address data frame too short")
            da, sa = frame[16:22], frame[24:30]
        else:
            da, sa = frame[4:10], frame[16:22]
            if da[0] & 1 and vap.dwds:
                # A DWDS station gets group frames as 4-address copies on its
                # WDS link; taking the 3-address one too would confuse a bridge.
                return
        if da[0] & 1 and sa == vap.macaddr:
            return  # our own multicast, relayed back by the AP
        deliver(vap, da, sa, data_body(frame, subtype, flags), node)

    def tx_done(self, vap: IEEE80211Vap, frame: bytes, status: TxStatus) -> None:
        st = vap.sta
        if st is not None and vap.opmode is OpMode.STA and frame[4:10] == vap.bssid:
            roam.on_tx_done(vap, status)
            if st.bf.on and not st.bf.pass_all:
                # a slower rate may make the AP worth roaming from: beacons again
                self._bf_sync(vap)
                beacon_filter.want_all(vap, st.bf, roam.beacons_matter(vap, st.bf.signal))

    def encap(self, vap: IEEE80211Vap, eth: bytes) -> tuple[bytes, Node | None] | None:
        st = vap.sta
        assert st is not None
        node = st.bss_node
        body = snap_body(eth)
        bssid, me = vap.bssid, vap.macaddr
        if node is None or body is None or bssid is None or me is None:
            return None  # (an associated station has both addresses)
        dst, src = eth[0:6], eth[6:12]
        if dst[0] & 1:
            vap.stats.tx_multicast += 1
        if vap.dwds and src != me:
            # Bridged traffic of a DWDS station (FEXT_4ADDR): 4-address, so
            # the AP's WDS vap for us learns who is behind us.
            return data_frame(DSTODS, bssid, me, dst, vap.next_seq(), body, a4=src), node
        # The AP knows us by our address: it is the transmitter (and SA) of
        # every frame we send in a 3-address BSS.
        return data_frame(TO_DS, bssid, me, dst, vap.next_seq(), body), node
