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

The modes' per-vap state is an `IbssState` at `vap.ibss` (MBSS, built on
AHDEMO here, uses it too).  One module for both modes, as FreeBSD's
`ieee80211_adhoc.c`: AHDEMO is IBSS without beacons, probe answers or
merging, a few overrides of the same state machine.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ic import Channel, IEEE80211Com, OpMode, RxInfo, State
from net80211.beacon import DEFAULT_RATES, beacon_ies, capinfo
from net80211.bss import create_bss, leave_bss, pick_channel, scan_channels, set_bss_channel
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.node import Node, NodeTable
from net80211.output import data_frame, deliver, ether_addrs, send_mgmt, snap_body
from net80211.scan import Scanner, ScanResult
from net80211.wire.data import DataFrame
from net80211.wire.frame import BROADCAST
from net80211.wire.ie import SSID, IEList, rates_ies
from net80211.wire.mgmt import Beacon, Capability, MgmtFrame, ProbeReq, ProbeResp

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

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


@dataclass(slots=True, eq=False)
class IbssState:
    """An IBSS or AHDEMO vap's state (`vap.ibss`)."""

    stats: Counter[str] = field(default_factory=Counter)
    atim_window: int = 0  # TU, advertised in the IBSS Parameter Set (no ATIM power save)
    beacon_heard_ns: int = -1  # when a beacon of our BSSID was last heard
    new: bool = False  # the RUN being entered starts a new IBSS (restart the TSF)
    # BSSID -> (timestamp, when heard) of the IBSSes heard while scanning
    scan_tsf: dict[bytes, tuple[int, int]] = field(default_factory=dict)

    def beacon_heard_since(self, t_ns: int) -> bool:
        """Whether a peer's beacon of our IBSS came at or after `t_ns`: a
        driver's beacon contention (802.11 11.1.3.3) stands down then."""
        return self.beacon_heard_ns >= t_ns


class IbssMode(Mode):
    opmode = OpMode.IBSS
    TRANSITIONS = _ADHOC_TRANSITIONS
    rx_all_beacons = True  # to hear other IBSSes with our SSID (merging)
    rx_probe_req = True

    def vap_setup(self, vap: IEEE80211Vap) -> None:
        vap.ibss = IbssState()

    def vap_detach(self, vap: IEEE80211Vap) -> None:
        vap.ibss = None

    def new_bssid(self, vap: IEEE80211Vap) -> bytes:
        """A random locally administered unicast BSSID (802.11 11.1.4)."""
        if vap.des_bssid is not None:
            return vap.des_bssid
        b = bytearray(vap.ic.rng.randbytes(6))
        b[0] = (b[0] & ~0x01) | 0x02
        return bytes(b)

    # -- state machine -----------------------------------------------------------
    def newstate(self, vap: IEEE80211Vap, ostate: State, nstate: State, arg: int) -> None:
        st = vap.ibss
        assert st is not None
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
            st.scan_tsf = {}
            self.start_scan(vap)
        elif nstate == State.RUN:
            if vap.bss_chan is None:
                # Joined the channel a running vap chose (INIT->SCAN became RUN).
                chan = vap.des_chan or vap.ic.bsschan or vap.ic.curchan
                vap.bss_chan = chan
                set_bss_channel(vap.ic, chan)
                vap.ic.set_curchan(chan)
            if vap.bssid is None:
                vap.bssid = self.new_bssid(vap)
                st.new = True
            if st.new and self.opmode is OpMode.IBSS:
                st.new = False
                st.stats["created"] += 1
                self._restart_tsf(vap)

    def _restart_tsf(self, vap: IEEE80211Vap) -> None:
        """A new IBSS starts its TSF over, unless another running vap of the
        device owns the timer.  The start is a random few ms: radios' clocks
        are not in phase, and two IBSSes started in the same instant must
        still tell which one is older."""
        if any(v is not vap and v.state >= State.RUN for v in vap.ic.vaps):
            return
        set_device_tsf(vap.ic, vap.ic.rng.randrange(0, 1 << 16))

    def _flush(self, vap: IEEE80211Vap) -> None:
        tbl = NodeTable.peek(vap.ic)
        if tbl is not None:
            tbl.flush(vap)

    def start_scan(self, vap: IEEE80211Vap) -> None:
        Scanner.of(vap.ic).start(vap, scan_channels(vap), lambda res: self.scan_done(vap, res))

    def scan_done(self, vap: IEEE80211Vap, results: list[ScanResult]) -> None:
        if vap.state != State.SCAN:
            return
        st = vap.ibss
        assert st is not None
        peers = [r for r in results if r.ibss and r.ssid == vap.ssid
                 and (vap.des_chan is None or r.channel == vap.des_chan)
                 and (vap.des_bssid is None or r.bssid == vap.des_bssid)]
        if peers:
            best = max(peers, key=lambda r: (r.rssi, r.bssid))
            st.new = False
            st.stats["joined"] += 1
            tsf = self._result_tsf(vap, best)
            if tsf is not None:
                set_device_tsf(vap.ic, tsf)
            create_bss(vap, best.channel, best.bssid)
        else:
            st.new = True
            create_bss(vap, vap.des_chan or pick_channel(results, scan_channels(vap)), self.new_bssid(vap))

    def _result_tsf(self, vap: IEEE80211Vap, r: ScanResult) -> int | None:
        """The TSF the IBSS of a scan result has now: the last timestamp we
        heard from it while scanning plus the time since."""
        st = vap.ibss
        assert st is not None
        seen = st.scan_tsf.get(r.bssid)
        if seen is None:
            return None
        ts, at_ns = seen
        return ts + (vap.ic.sched.now_ns - at_ns) // 1000

    def scan_probe(self, vap: IEEE80211Vap, chan: Channel) -> None:
        """Active scan: a probe request for our SSID on each channel visited."""
        req = ProbeReq(IEList([SSID(vap.ssid), *rates_ies(DEFAULT_RATES)]))
        send_mgmt(vap, BROADCAST, req, bssid=BROADCAST)

    # -- receive -------------------------------------------------------------------
    def recv_mgmt(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  a2: bytes | None, a3: bytes | None) -> None:
        st = vap.ibss
        assert st is not None
        if vap.state == State.SCAN and subtype in (_SUB_BEACON, _SUB_PROBE_RESP) and a3 is not None:
            # The scan cache keeps no timestamps: note the TSF of IBSSes we may join.
            if len(frame) >= 36 and not frame[1] & 0xC0 and frame[34] & Capability.IBSS:
                st.scan_tsf[a3] = (int.from_bytes(frame[24:32], "little"), vap.ic.sched.now_ns)
            return
        if vap.state != State.RUN or a2 is None:
            return
        if subtype == _SUB_BEACON or subtype == _SUB_PROBE_RESP:
            self._recv_beacon(vap, subtype, MgmtFrame.parse(frame), rx, node)
        elif subtype == _SUB_PROBE_REQ and self.opmode is OpMode.IBSS:
            self._recv_probe_req(vap, MgmtFrame.parse(frame))

    def _recv_beacon(self, vap: IEEE80211Vap, subtype: int, mf: MgmtFrame, rx: RxInfo,
                     node: Node | None) -> None:
        body = mf.body
        if not isinstance(body, Beacon) or not body.capability & Capability.IBSS:
            return
        ic = vap.ic
        if mf.addr3 == vap.bssid:
            ibss = vap.ibss
            assert ibss is not None
            st = ibss.stats
            if subtype == _SUB_BEACON:
                ibss.beacon_heard_ns = ic.sched.now_ns
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

    def merge(self, vap: IEEE80211Vap, bssid: bytes, tsf_us: int) -> None:
        """`ieee80211_ibss_merge`: move to the older IBSS `bssid` (RUN -> RUN)."""
        st = vap.ibss
        assert st is not None
        log.debug("%s: IBSS merge %s -> %s", vap.name, vap.bssid and vap.bssid.hex(":"), bssid.hex(":"))
        st.stats["merges"] += 1
        self._flush(vap)
        set_device_tsf(vap.ic, tsf_us)
        vap.bssid = bssid
        st.new = False
        st.beacon_heard_ns = vap.ic.sched.now_ns
        vap.new_state(State.RUN, 0, internal=True)

    def _neighbor(self, vap: IEEE80211Vap, mac: bytes, body: Beacon, rx: RxInfo, node: Node | None) -> Node:
        """`ieee80211_add_neighbor`: the peer's node, created or refreshed."""
        st = vap.ibss
        assert st is not None
        if node is None:
            node = NodeTable.of(vap.ic).add(vap, mac)
            st.stats["neighbors_added"] += 1
        node.capinfo = body.capability
        node.rates = body.ies.rates
        node.bintval = body.interval
        node.ssid = body.ies.ssid or b""
        node.rssi = rx.signal
        node.associated = True
        return node

    def _recv_probe_req(self, vap: IEEE80211Vap, mf: MgmtFrame) -> None:
        st = vap.ibss
        assert st is not None
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
            st.stats["tx_probe_resp"] += 1

    def recv_data(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  flags: int) -> None:
        stats = vap.stats
        if vap.state != State.RUN:
            stats.rx_dropped += 1
            return
        st = vap.ibss
        assert st is not None
        if flags & 3:
            st.stats["rx_wrong_dir"] += 1
            stats.rx_dropped += 1
            return
        df = DataFrame.parse(frame)
        if df.addr3 != vap.bssid:
            st.stats["rx_wrong_bss"] += 1
            stats.rx_dropped += 1
            return
        if subtype & _NODATA:
            return
        if node is None:
            node = NodeTable.of(vap.ic).add(vap, df.addr2, associated=True, rssi=rx.signal,
                                            last_rx_ns=vap.ic.sched.now_ns)
            node.is_dup(df.seq << 4 | df.frag, df.retry, df.tid if df.tid is not None else 16)
            st.stats["neighbors_added"] += 1
        deliver(vap, df.addr1, df.addr2, df.payload, node)

    # -- transmit ------------------------------------------------------------------
    def encap(self, vap: IEEE80211Vap, eth: bytes) -> tuple[bytes, Node | None] | None:
        st = vap.ibss
        assert st is not None
        addrs = ether_addrs(eth)
        body = snap_body(eth)
        me = vap.macaddr
        if addrs is None or body is None or vap.bssid is None or me is None:
            return None
        dst, _src = addrs  # an IBSS does no bridging: the source is always us
        node = None
        if not dst[0] & 1:
            tbl = NodeTable.of(vap.ic)
            node = tbl.find(vap, dst)
            if node is None:
                node = tbl.add(vap, dst, associated=True)
                st.stats["neighbors_added"] += 1
        return data_frame(0, dst, me, vap.bssid, vap.next_seq(), body), node


class AhdemoMode(IbssMode):
    opmode = OpMode.AHDEMO
    rx_all_beacons = False
    rx_probe_req = False

    def new_bssid(self, vap: IEEE80211Vap) -> bytes:
        # Ad-hoc demo mode has no BSS of its own: a zero BSSID unless one is set.
        return vap.des_bssid if vap.des_bssid is not None else bytes(6)

    def start_scan(self, vap: IEEE80211Vap) -> None:
        if vap.des_chan is not None:
            create_bss(vap, vap.des_chan, self.new_bssid(vap))
        else:
            super().start_scan(vap)

    def scan_done(self, vap: IEEE80211Vap, results: list[ScanResult]) -> None:
        # A scan only picks the quietest channel: there is no IBSS to join.
        if vap.state == State.SCAN:
            create_bss(vap, pick_channel(results, scan_channels(vap)), self.new_bssid(vap))
