"""WDS mode (`ieee80211_wds.c`): a 4-address link to one peer (`wlanbssid`),
on the channel the device's running BSS uses.

- Legacy WDS (`CloneFlags.WDSLEGACY`): the far end does not associate; the
  vap creates the peer's node itself when it reaches RUN.
- Dynamic WDS: the peer is a station associated to a HOSTAP vap of the same
  device.  The vap binds to that station's node (`ni_wdsvap`): 4-address
  frames the station sends to the AP come up this vap, and this vap sends
  to the station with the AP's address as transmitter.  A station that is
  not (yet) associated leaves the link idle; the binding is retried when
  traffic needs it and dropped when the vap leaves RUN.

Frames: ToDS = FromDS = 1; addr1 = peer (RA), addr2 = us (TA), addr3 = DA,
addr4 = SA.  The device's input path hands 4-address data frames to the WDS
vap whose peer sent them (`accepts`), before any other demultiplexing.

Dynamic WDS end to end (FreeBSD's DWDS): the AP vap and the far station
both have `dwds` set (`vap.set_dwds`).  The station sends bridged traffic
as 4-address frames.  An AP with no WDS vap bound to that station yet holds
the frames (`dwds_discover`) and tells its listeners (`add_dwds_listener`;
FreeBSD posts RTM_IEEE80211_WDS to wlanwds(8)); `WdsDaemon` is that daemon:
it creates a WDS vap for the station, whose binding replays the held
frames.  Group frames the AP sends or relays are copied to every bound
dynamic link as 4-address unicast (`dwds_mcast`); a dynamic WDS vap itself
sends no group frames.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ic import SEC, TU, Callout, OpMode, RxInfo, State
from net80211.bss import leave_bss, running_channel
from net80211.input import FT_DATA, RETRY, count_malformed, qos_tid
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.node import NONQOS_TID, NodeTable
from net80211.output import data_frame, deliver, ether_addrs, send_data, snap_body
from net80211.wire.data import DataFrame
from net80211.wire.frame import FrameError, peek

DSTODS = 0x03
_NODATA = 0x4
WDSQ_MAX = 64  # frames held per station until its WDS vap is up


class WdsMode(Mode):
    opmode = OpMode.WDS
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT,),
        RUN=(S.INIT, S.SCAN, S.RUN),
    )

    START = (State.RUN, True)

    def vap_setup(self, vap: Any) -> None:
        vap.wds_stats = Counter()
        vap.wds_node = None  # the peer's node (ours if legacy, the AP vap's if dynamic)
        vap.wds_ap = None  # dynamic WDS: the HOSTAP vap the peer associated to

    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        if nstate == State.INIT:
            self._unbind(vap)
            leave_bss(vap)
        elif nstate == State.RUN:
            chan = running_channel(vap) or vap.des_chan or vap.ic.curchan
            vap.bss_chan = chan
            vap.bssid = vap.des_bssid
            if ostate != State.RUN:
                self._bind(vap)

    # -- the link ------------------------------------------------------------------
    def _bind(self, vap: Any) -> Any:
        """`ieee80211_create_wds`: the peer's node, or None (dynamic, not associated)."""
        peer = vap.des_bssid
        if peer is None:
            return None
        tbl = NodeTable.of(vap.ic)
        if vap.legacy_wds:
            vap.wds_node = tbl.add(vap, peer, associated=True, authed=True)
            return vap.wds_node
        for ap in vap.ic.vaps:
            if ap.opmode is not OpMode.HOSTAP or ap.state != State.RUN:
                continue
            node = tbl.find(ap, peer)
            if node is None or not node.associated:
                continue
            owner = node.extra.get("wdsvap")
            if owner is not None and owner is not vap:
                vap.wds_stats["peer_in_use"] += 1  # FreeBSD: one WDS vap per station
                return None
            node.extra["wdsvap"] = vap
            vap.wds_node, vap.wds_ap = node, ap
            vap.wds_stats["bound"] += 1
            self._flush(vap, node)
            return node
        vap.wds_stats["peer_not_associated"] += 1
        return None

    def _flush(self, vap: Any, node: Any) -> None:
        """`wds_flush`: frames the AP held for this station go up this vap now."""
        held = node.extra.pop("wdsq", None)
        now = vap.ic.sched.now_ns
        for expires, frame, rx in held or ():
            if expires <= now:
                vap.wds_stats["held_expired"] += 1
                continue
            vap.wds_stats["held_delivered"] += 1
            vap.stats.rx_frames += 1
            try:
                _ftype, sub, _a1, _a2, _a3, _seq, flags = peek(frame)
                self.recv_data(vap, sub, frame, rx, node, flags)
            except FrameError:
                count_malformed(vap)

    def _unbind(self, vap: Any) -> None:
        node, vap.wds_node, vap.wds_ap = vap.wds_node, None, None
        if node is None:
            return
        if node.vap is vap:
            NodeTable.of(vap.ic).remove(node)
        elif node.extra.get("wdsvap") is vap:
            del node.extra["wdsvap"]

    def peer(self, vap: Any) -> Any:
        """The peer's node while the link is up (a dynamic binding is
        re-checked: the station may have left its AP)."""
        node = vap.wds_node
        if node is not None and not vap.legacy_wds:
            ap = vap.wds_ap
            tbl = NodeTable.of(vap.ic)
            if ap is None or ap.state != State.RUN or tbl.find(ap, node.macaddr) is not node \
                    or not node.associated:
                self._unbind(vap)
                node = None
        if node is None and vap.state == State.RUN:
            node = self._bind(vap)
        return node

    def tx_addr(self, vap: Any) -> bytes:
        """Our address on the link: the AP's for a dynamic link (the station
        knows only its AP), else the vap's own."""
        ap = vap.wds_ap
        return ap.macaddr if ap is not None else vap.macaddr

    def accepts(self, vap: Any, a1: bytes, a2: bytes) -> bool:
        """Whether a 4-address frame from `a2` to `a1` belongs to this link."""
        if vap.state != State.RUN or a2 != vap.des_bssid:
            return False
        node = self.peer(vap)
        return node is not None and (a1 == self.tx_addr(vap) or bool(a1[0] & 1))

    # -- receive -------------------------------------------------------------------
    def recv(self, vap: Any, frame: bytes, rx: RxInfo, ftype: int, sub: int, a2: bytes | None,
             a3: bytes | None, seq: int | None, flags: int) -> None:
        # The peer's node may belong to the AP vap (dynamic WDS): use the link's.
        node = vap.wds_node
        if node is None or ftype != FT_DATA:
            vap.wds_stats["rx_not_link"] += 1
            return
        node.rssi = rx.signal
        node.last_rx_ns = vap.ic.sched.now_ns
        if seq is not None and not frame[4] & 1:
            tid = qos_tid(frame, flags) if sub & 8 else NONQOS_TID
            if node.is_dup(seq, bool(flags & RETRY), tid):
                vap.stats.rx_dup += 1
                return
        try:
            self.recv_data(vap, sub, frame, rx, node, flags)
        except FrameError:
            count_malformed(vap)

    def recv_data(self, vap: Any, subtype: int, frame: bytes, rx: RxInfo, node: Any, flags: int) -> None:
        if flags & 3 != DSTODS:
            vap.wds_stats["rx_wrong_dir"] += 1
            vap.stats.rx_dropped += 1
            return
        df = DataFrame.parse(frame)
        if subtype & _NODATA:
            return
        deliver(vap, df.addr3, df.addr4, df.payload, node)

    # -- transmit ------------------------------------------------------------------
    def encap(self, vap: Any, eth: bytes) -> tuple[bytes, Any] | None:
        addrs = ether_addrs(eth)
        body = snap_body(eth)
        if addrs is None or body is None:
            return None
        dst, src = addrs
        if dst[0] & 1 and not vap.legacy_wds:
            # FreeBSD: group frames reach DWDS links through the AP vap (dwds_mcast).
            vap.wds_stats["dwds_mcast"] += 1
            return None
        node = self.peer(vap)
        if node is None:
            vap.wds_stats["tx_no_peer"] += 1
            return None
        return data_frame(DSTODS, node.macaddr, self.tx_addr(vap), dst, vap.next_seq(), body, a4=src), node


# -- dynamic WDS on the AP side ----------------------------------------------------------
def add_dwds_listener(ap: Any, fn: Callable[[Any, bytes], Any]) -> None:
    """Call `fn(ap, station_mac)` whenever `ap` holds a 4-address frame from
    an associated station that has no WDS vap (RTM_IEEE80211_WDS)."""
    listeners = getattr(ap, "dwds_listeners", None)
    if listeners is None:
        listeners = ap.dwds_listeners = []
    listeners.append(fn)


def dwds_discover(ap: Any, node: Any, frame: bytes, rx: RxInfo) -> None:
    """`ieee80211_dwds_discover`: hold a 4-address frame from `node` (aged
    out after four of its listen intervals) and notify the listeners."""
    now = ap.ic.sched.now_ns
    held = [e for e in node.extra.get("wdsq", ()) if e[0] > now]
    if len(held) >= WDSQ_MAX:
        held.pop(0)
        ap.ic.stats["dwds_held_dropped"] += 1
    age = 4 * max(node.listen_interval, 1) * ap.bintval * TU
    held.append((now + age, bytes(frame), rx))
    node.extra["wdsq"] = held
    ap.ic.stats["dwds_discover"] += 1
    for fn in list(getattr(ap, "dwds_listeners", ())):
        fn(ap, node.macaddr)


def dwds_mcast(ap: Any, da: bytes, sa: bytes, body: bytes, skip: Any = None) -> int:
    """`ieee80211_dwds_mcast`: copy a group frame of AP vap `ap` to every
    dynamic WDS link bound to one of its stations (but `skip`, the node it
    came from) as 4-address unicast; how many copies went out."""
    n = 0
    for w in ap.ic.vaps:
        if w.opmode is not OpMode.WDS or w.legacy_wds or w.state != State.RUN or w.wds_ap is not ap:
            continue
        node = w.mode.peer(w)
        if node is None or node is skip:
            continue
        w.stats.tx_multicast += 1
        if send_data(w, data_frame(DSTODS, node.macaddr, ap.macaddr, da, w.next_seq(), body, a4=sa), node):
            n += 1
    return n


class WdsDaemon:
    """What FreeBSD's wlanwds(8) does: on a DWDS discovery at `ap`, create
    (and bring up) a dynamic WDS vap for the station on the same device;
    destroy it once the station has left its AP (checked every
    `reap_interval_ns`).  `on_create(vap)` lets the caller wire the new
    vap up (a bridge, a netdev reader)."""

    def __init__(self, ap: Any, *, prefix: str = "wds", on_create: Callable[[Any], Any] | None = None,
                 reap_interval_ns: int = 1 * SEC, **vap_params: Any) -> None:
        self.ap = ap
        self.prefix = prefix
        self.on_create = on_create
        self.vap_params = vap_params
        self.reap_interval_ns = reap_interval_ns
        self.links: dict[bytes, Any] = {}  # station -> its WDS vap
        self.created = self.destroyed = 0
        self.errors: list[OSError] = []  # creates the device refused
        self._pending: set[bytes] = set()
        self._reaper = Callout(ap.ic.sched)
        add_dwds_listener(ap, self._notified)

    def _notified(self, ap: Any, sta: bytes) -> None:
        # Asynchronous, as the routing-socket message is: never create a vap
        # from inside the device's receive path.
        if sta not in self.links and sta not in self._pending:
            self._pending.add(sta)
            ap.ic.sched.call_later(0, self._create, sta)

    def _create(self, sta: bytes) -> None:
        self._pending.discard(sta)
        try:
            self.discover(self.ap, sta)
        except OSError as e:
            self.errors.append(e)

    def discover(self, ap: Any, sta: bytes) -> Any:
        """The WDS vap for station `sta` of `ap`, created and brought up if new."""
        vap = self.links.get(sta)
        if vap is not None:
            return vap
        unit = 0
        while f"{self.prefix}{unit}" in ap.ic.names:
            unit += 1
        vap = ap.ic.create_vap(f"{self.prefix}{unit}", "wds", bssid=sta, **self.vap_params)
        self.links[sta] = vap
        self.created += 1
        if self.on_create is not None:
            self.on_create(vap)
        vap.up()
        if not self._reaper.pending:
            self._reaper.reset(self.reap_interval_ns, self.reap)
        return vap

    def reap(self) -> int:
        """Destroy the WDS vaps whose station is no longer associated."""
        tbl = NodeTable.of(self.ap.ic)
        gone = 0
        for sta, vap in list(self.links.items()):
            node = tbl.find(self.ap, sta)
            if node is None or not node.associated:
                del self.links[sta]
                if vap in vap.ic.vaps:
                    vap.ic.destroy_vap(vap)
                self.destroyed += 1
                gone += 1
        if self.links:
            self._reaper.reset(self.reap_interval_ns, self.reap)
        return gone

    def close(self) -> None:
        self._reaper.stop()
        listeners = getattr(self.ap, "dwds_listeners", [])
        if self._notified in listeners:
            listeners.remove(self._notified)
