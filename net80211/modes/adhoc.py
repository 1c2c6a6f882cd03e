"""IBSS and ad-hoc demo modes (`ieee80211_adhoc.c`).

IBSS: scan for an IBSS with our SSID; join the one heard (adopting its
BSSID and TSF) or start one (a random locally administered BSSID, the TSF
restarted).  In RUN, the driver sends beacons at each TBTT (contending with
the peers: see the hwsim driver); beacons of our BSSID keep the TSF in step
(802.11 11.1.3: adopt a later timestamp); a beacon of our SSID under another
BSSID whose timestamp is later than our TSF is an older IBSS, and we merge
into it (`ieee80211_ibss_merge`: RUN -> RUN with its BSSID and TSF).
Probe requests for our SSID are answered, as FreeBSD does.

AHDEMO: data only -- no beacons, no probe responses, no merging; the BSSID
is fixed (zero, or the one configured).

Data between peers is 3-address (ToDS = FromDS = 0, addr3 = BSSID).  A peer
becomes a node of the vap when heard (beacon, probe response or data) or
when we first send to it (FreeBSD's `ieee80211_fakeup_adhoc_node`).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from ic import IEEE80211Com, OpMode, RxInfo, State
from net80211.beacon import DEFAULT_RATES, beacon_ies, capinfo
from net80211.bss import create_bss, leave_bss, pick_channel, scan_channels
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.node import NodeTable
from net80211.output import data_frame, deliver, ether_addrs, send_mgmt, snap_body
from net80211.scan import Scanner, ScanResult
from net80211.wire.data import DataFrame
from net80211.wire.frame import BROADCAST
from net80211.wire.ie import SSID, IEList, rates_ies
from net80211.wire.mgmt import Beacon, Capability, MgmtFrame, ProbeReq, ProbeResp

log = logging.getLogger("net80211")

_ADHOC_TRANSITIONS = transitions_table(
    INIT=ANY,
    SCAN=(S.INIT, S.SCAN, S.RUN),
    RUN=(S.INIT, S.SCAN, S.RUN, S.SLEEP),  # RUN->RUN is an IBSS merge
    SLEEP=(S.RUN,),
)
_SUB_PROBE_REQ, _SUB_PROBE_RESP, _SUB_BEACON = 4, 5, 8
_NODATA = 0x4  # data subtypes without a body (Null, QoS Null, CF-*)


def device_tsf(ic: IEEE80211Com) -> int:
    """The device's TSF in µs."""
    return ic.ic_get_tsf()


def set_device_tsf(ic: IEEE80211Com, tsf_us: int) -> bool:
    """Load the device's TSF (the driver re-aligns its beacon timer); False
    if the driver keeps no settable TSF."""
    return ic.ic_set_tsf(tsf_us)


class IbssMode(Mode):
    opmode = OpMode.IBSS
    TRANSITIONS = _ADHOC_TRANSITIONS
    rx_all_beacons = True  # to hear other IBSSes with our SSID (merging)
    rx_probe_req = True

    def vap_setup(self, vap: Any) -> None:
        vap.adhoc_stats = Counter()
        vap.atim_window = 0  # TU, advertised in the IBSS Parameter Set (no ATIM power save)
        vap.ibss_beacon_heard_ns = -1  # last beacon of our BSSID heard (beacon contention)
        vap.ibss_new = False  # the RUN being entered starts a new IBSS (restart the TSF)
        vap.ibss_scan_tsf = {}  # BSSID -> (timestamp, when heard) of IBSSes heard scanning

    def new_bssid(self, vap: Any) -> bytes:
        """A random locally administered unicast BSSID (802.11 11.1.4)."""
        if vap.des_bssid is not None:
            return vap.des_bssid
        b = bytearray(vap.ic.rng.randbytes(6))
        b[0] = (b[0] & ~0x01) | 0x02
        return bytes(b)

    # -- state machine -----------------------------------------------------------
    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        if ostate == State.SCAN and nstate != State.SCAN:
            Scanner.of(vap.ic).cancel(vap)
        if nstate == State.INIT:
            leave_bss(vap)
            self._flush(vap)
            vap.bssid = None
        elif nstate == State.SCAN:
            leave_bss(vap)
            self._flush(vap)
            vap.bssid = None
            vap.ibss_scan_tsf = {}
            self.start_scan(vap)
        elif nstate == State.RUN:
            if vap.bss_chan is None:
                # Joined the channel a running vap chose (INIT->SCAN became RUN).
                chan = vap.des_chan or vap.ic.bsschan or vap.ic.curchan
                vap.bss_chan = chan
                vap.ic.bsschan = chan
                vap.ic.set_curchan(chan)
            if vap.bssid is None:
                vap.bssid = self.new_bssid(vap)
                vap.ibss_new = True
            if vap.ibss_new and self.opmode is OpMode.IBSS:
                vap.ibss_new = False
                vap.adhoc_stats["created"] += 1
                self._restart_tsf(vap)

    def _restart_tsf(self, vap: Any) -> None:
        """A new IBSS starts its TSF over, unless another running vap of the
        device owns the timer.  The start is a random few ms: radios' clocks
        are not in phase, and two IBSSes started in the same instant must
        still tell which one is older."""
        if any(v is not vap and v.state >= State.RUN for v in vap.ic.vaps):
            return
        set_device_tsf(vap.ic, vap.ic.rng.randrange(0, 1 << 16))

    def _flush(self, vap: Any) -> None:
        if vap.ic.nodes is not None:
            NodeTable.of(vap.ic).flush(vap)

    def start_scan(self, vap: Any) -> None:
        Scanner.of(vap.ic).start(vap, scan_channels(vap), lambda res: self.scan_done(vap, res))

    def scan_done(self, vap: Any, results: list[ScanResult]) -> None:
        if vap.state != State.SCAN:
            return
        peers = [r for r in results if r.ibss and r.ssid == vap.ssid
                 and (vap.des_chan is None or r.channel == vap.des_chan)
                 and (vap.des_bssid is None or r.bssid == vap.des_bssid)]
        if peers:
            best = max(peers, key=lambda r: (r.rssi, r.bssid))
            vap.ibss_new = False
            vap.adhoc_stats["joined"] += 1
            tsf = self._result_tsf(vap, best)
            if tsf is not None:
                set_device_tsf(vap.ic, tsf)
            create_bss(vap, best.channel, best.bssid)
        else:
            vap.ibss_new = True
            create_bss(vap, vap.des_chan or pick_channel(results, scan_channels(vap)), self.new_bssid(vap))

    def _result_tsf(self, vap: Any, r: ScanResult) -> int | None:
        """The TSF the IBSS of a scan result has now: the last timestamp we
        heard from it while scanning plus the time since."""
        seen = vap.ibss_scan_tsf.get(r.bssid)
        if seen is None:
            return None
        ts, at_ns = seen
        return ts + (vap.ic.sched.now_ns - at_ns) // 1000

    def scan_probe(self, vap: Any, chan: Any) -> None:
        """Active scan: a probe request for our SSID on each channel visited."""
        req = ProbeReq(IEList([SSID(vap.ssid), *rates_ies(DEFAULT_RATES)]))
        send_mgmt(vap, BROADCAST, req, bssid=BROADCAST)

    # -- receive -------------------------------------------------------------------
    def recv_mgmt(self, vap: Any, subtype: int, frame: bytes, rx: RxInfo, node: Any,
                  a2: bytes | None, a3: bytes | None) -> None:
        if vap.state == State.SCAN and subtype in (_SUB_BEACON, _SUB_PROBE_RESP) and a3 is not None:
            # The scan cache keeps no timestamps: note the TSF of IBSSes we may join.
            if len(frame) >= 36 and not frame[1] & 0xC0 and frame[34] & Capability.IBSS:
                vap.ibss_scan_tsf[a3] = (int.from_bytes(frame[24:32], "little"), vap.ic.sched.now_ns)
            return
        if vap.state != State.RUN or a2 is None:
            return
        if subtype == _SUB_BEACON or subtype == _SUB_PROBE_RESP:
            self._recv_beacon(vap, subtype, MgmtFrame.parse(frame), rx, node)
        elif subtype == _SUB_PROBE_REQ and self.opmode is OpMode.IBSS:
            self._recv_probe_req(vap, MgmtFrame.parse(frame))

    def _recv_beacon(self, vap: Any, subtype: int, mf: MgmtFrame, rx: RxInfo, node: Any) -> None:
        body = mf.body
        if not isinstance(body, Beacon) or not body.capability & Capability.IBSS:
            return
        ic = vap.ic
        if mf.addr3 == vap.bssid:
            st = vap.adhoc_stats
            if subtype == _SUB_BEACON:
                vap.ibss_beacon_heard_ns = ic.sched.now_ns
                st["rx_beacons"] += 1
            self._neighbor(vap, mf.addr2, body, rx, node)
            # TSF synchronisation: a later timestamp of our own IBSS wins.
            if self.opmode is OpMode.IBSS and body.timestamp > device_tsf(ic):
                if set_device_tsf(ic, body.timestamp):
                    st["tsf_adopted"] += 1
            return
        if self.opmode is not OpMode.IBSS or body.ies.ssid != vap.ssid or not vap.ssid:
            return
        # Another IBSS with our SSID: merge if it is older (its TSF is ahead of ours).
        if body.timestamp > device_tsf(ic):
            self.merge(vap, mf.addr3, body.timestamp)

    def merge(self, vap: Any, bssid: bytes, tsf_us: int) -> None:
        """`ieee80211_ibss_merge`: move to the older IBSS `bssid` (RUN -> RUN)."""
        log.debug("%s: IBSS merge %s -> %s", vap.name, vap.bssid and vap.bssid.hex(":"), bssid.hex(":"))
        vap.adhoc_stats["merges"] += 1
        self._flush(vap)
        set_device_tsf(vap.ic, tsf_us)
        vap.bssid = bssid
        vap.ibss_new = False
        vap.ibss_beacon_heard_ns = vap.ic.sched.now_ns
        vap.new_state(State.RUN, 0, internal=True)

    def _neighbor(self, vap: Any, mac: bytes, body: Beacon, rx: RxInfo, node: Any) -> Any:
        """`ieee80211_add_neighbor`: the peer's node, created or refreshed."""
        if node is None:
            node = NodeTable.of(vap.ic).add(vap, mac)
            vap.adhoc_stats["neighbors_added"] += 1
        node.capinfo = body.capability
        node.rates = body.ies.rates
        node.bintval = body.interval
        node.ssid = body.ies.ssid or b""
        node.rssi = rx.signal
        node.associated = True
        return node

    def _recv_probe_req(self, vap: Any, mf: MgmtFrame) -> None:
        body = mf.body
        if not isinstance(body, ProbeReq):
            return
        ssid = body.ies.ssid
        if ssid is None or (ssid and ssid != vap.ssid):
            return
        if mf.addr3 != b"\xff" * 6 and mf.addr3 != vap.bssid:
            return
        resp = ProbeResp(device_tsf(vap.ic), vap.bintval, capinfo(vap),
                         beacon_ies(vap, hide_ssid=False, tim=None))
        if send_mgmt(vap, mf.addr2, resp, bssid=vap.bssid):
            vap.adhoc_stats["tx_probe_resp"] += 1

    def recv_data(self, vap: Any, subtype: int, frame: bytes, rx: RxInfo, node: Any, flags: int) -> None:
        st = vap.stats
        if vap.state != State.RUN:
            st.rx_dropped += 1
            return
        if flags & 3:
            vap.adhoc_stats["rx_wrong_dir"] += 1
            st.rx_dropped += 1
            return
        df = DataFrame.parse(frame)
        if df.addr3 != vap.bssid:
            vap.adhoc_stats["rx_wrong_bss"] += 1
            st.rx_dropped += 1
            return
        if subtype & _NODATA:
            return
        if node is None:
            node = NodeTable.of(vap.ic).add(vap, df.addr2, associated=True, rssi=rx.signal,
                                            last_rx_ns=vap.ic.sched.now_ns)
            node.is_dup(df.seq << 4 | df.frag, df.retry, df.tid if df.tid is not None else 16)
            vap.adhoc_stats["neighbors_added"] += 1
        deliver(vap, df.addr1, df.addr2, df.payload, node)

    # -- transmit ------------------------------------------------------------------
    def encap(self, vap: Any, eth: bytes) -> tuple[bytes, Any] | None:
        addrs = ether_addrs(eth)
        body = snap_body(eth)
        if addrs is None or body is None or vap.bssid is None:
            return None
        dst, _src = addrs  # an IBSS does no bridging: the source is always us
        node = None
        if not dst[0] & 1:
            tbl = NodeTable.of(vap.ic)
            node = tbl.find(vap, dst)
            if node is None:
                node = tbl.add(vap, dst, associated=True)
                vap.adhoc_stats["neighbors_added"] += 1
        return data_frame(0, dst, vap.macaddr, vap.bssid, vap.next_seq(), body), node


class AhdemoMode(IbssMode):
    opmode = OpMode.AHDEMO
    rx_all_beacons = False
    rx_probe_req = False

    def new_bssid(self, vap: Any) -> bytes:
        # Ad-hoc demo mode has no BSS of its own: a zero BSSID unless one is set.
        return vap.des_bssid if vap.des_bssid is not None else bytes(6)

    def start_scan(self, vap: Any) -> None:
        if vap.des_chan is not None:
            create_bss(vap, vap.des_chan, self.new_bssid(vap))
        else:
            super().start_scan(vap)

    def scan_done(self, vap: Any, results: list[ScanResult]) -> None:
        # A scan only picks the quietest channel: there is no IBSS to join.
        if vap.state == State.SCAN:
            create_bss(vap, pick_channel(results, scan_channels(vap)), self.new_bssid(vap))
