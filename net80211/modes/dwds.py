"""Dynamic WDS (FreeBSD's DWDS, `IEEE80211_F_DWDS`): a station's 4-address
link through an AP vap, and the daemon that makes WDS vaps for it.

The AP vap and the far station both have `dwds` set (`vap.set_dwds`).  The
station sends bridged traffic as 4-address frames.  An AP with no WDS vap
bound to that station yet holds the frames (`dwds_discover`) and tells its
listeners (`add_dwds_listener`; FreeBSD posts RTM_IEEE80211_WDS to
wlanwds(8)); `WdsDaemon` is that daemon: it creates a WDS vap for the
station, whose binding (`bind`, FreeBSD's `ieee80211_create_wds`) replays
the held frames.  Group frames the AP sends or relays are copied to every
bound dynamic link as 4-address unicast (`dwds_mcast`); a dynamic WDS vap
itself sends no group frames.

The WDS vap itself, legacy or dynamic, is `net80211.modes.wds`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ic import SEC, TU, Callout, InvalidArgument, OpMode, RxInfo, State
from net80211.input import count_malformed
from net80211.node import Node, NodeTable
from net80211.output import data_frame, send_data
from net80211.wire.frame import FrameError, peek

if TYPE_CHECKING:
    from net80211.modes.wds import WdsMode
    from net80211.vap import IEEE80211Vap

DSTODS = 0x03
WDSQ_MAX = 64  # frames held per station until its WDS vap is up


# -- the WDS vap's side: binding to a station of an AP vap ----------------------------------
def bind(vap: IEEE80211Vap, peer: bytes) -> Node | None:
    """Bind WDS vap `vap` to station `peer` of a running AP vap of the
    device (`ni_wdsvap`), replaying what the AP held for it; the station's
    node, or None (not associated, or bound to another WDS vap)."""
    st = vap.wds
    assert st is not None
    tbl = NodeTable.of(vap.ic)
    for ap in vap.ic.vaps:
        if ap.opmode is not OpMode.HOSTAP or ap.state != State.RUN:
            continue
        node = tbl.find(ap, peer)
        if node is None or not node.associated:
            continue
        owner = node.extra.get("wdsvap")
        if owner is not None and owner is not vap:
            st.stats["peer_in_use"] += 1  # FreeBSD: one WDS vap per station
            return None
        node.extra["wdsvap"] = vap
        st.node, st.ap = node, ap
        st.stats["bound"] += 1
        _flush(vap, node)
        return node
    st.stats["peer_not_associated"] += 1
    return None


def _flush(vap: IEEE80211Vap, node: Node) -> None:
    """`wds_flush`: frames the AP held for this station go up this vap now."""
    held = node.extra.pop("wdsq", None)
    now = vap.ic.sched.now_ns
    st = vap.wds
    assert st is not None
    for expires, frame, rx in held or ():
        if expires <= now:
            st.stats["held_expired"] += 1
            continue
        st.stats["held_delivered"] += 1
        vap.stats.rx_frames += 1
        try:
            _ftype, sub, _a1, _a2, _a3, _seq, flags = peek(frame)
            vap.mode.recv_data(vap, sub, frame, rx, node, flags)
        except FrameError:
            count_malformed(vap)


def still_bound(vap: IEEE80211Vap, node: Node) -> bool:
    """Whether the station of a dynamic link is still associated to its AP vap."""
    st = vap.wds
    assert st is not None
    ap = st.ap
    return (ap is not None and ap.state == State.RUN and node.associated
            and NodeTable.of(vap.ic).find(ap, node.macaddr) is node)


def unbind(vap: IEEE80211Vap, node: Node) -> None:
    """Release the station's node (it stays the AP vap's)."""
    if node.extra.get("wdsvap") is vap:
        del node.extra["wdsvap"]


# -- the AP vap's side ------------------------------------------------------------------------
def add_dwds_listener(ap: IEEE80211Vap, fn: Callable[[IEEE80211Vap, bytes], Any]) -> None:
    """Call `fn(ap, station_mac)` whenever AP vap `ap` holds a 4-address
    frame from an associated station that has no WDS vap (RTM_IEEE80211_WDS)."""
    if ap.ap is None:
        raise InvalidArgument(f"{ap.name}: a {ap.opmode.word} vap has no stations to discover")
    ap.ap.dwds_listeners.append(fn)


def dwds_discover(ap: IEEE80211Vap, node: Node, frame: bytes, rx: RxInfo) -> None:
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
    assert ap.ap is not None  # only a running AP vap holds frames
    for fn in list(ap.ap.dwds_listeners):
        fn(ap, node.macaddr)


def dwds_mcast(ap: IEEE80211Vap, da: bytes, sa: bytes, body: bytes, skip: Node | None = None) -> int:
    """`ieee80211_dwds_mcast`: copy a group frame of AP vap `ap` to every
    dynamic WDS link bound to one of its stations (but `skip`, the node it
    came from) as 4-address unicast; how many copies went out."""
    n = 0
    me = ap.macaddr
    assert me is not None  # a running AP vap is attached
    for w in ap.ic.vaps:
        st = w.wds
        if st is None or st.ap is not ap or w.legacy_wds or w.state != State.RUN:
            continue  # not a WDS vap (only those have the state), or not a running link of `ap`
        node = cast("WdsMode", w.mode).peer(w)  # wds imports this module: the mode is not imported here
        if node is None or node is skip:
            continue
        w.stats.tx_multicast += 1
        if send_data(w, data_frame(DSTODS, node.macaddr, me, da, w.next_seq(), body, a4=sa), node):
            n += 1
    return n


class WdsDaemon:
    """What FreeBSD's wlanwds(8) does: on a DWDS discovery at `ap`, create
    (and bring up) a dynamic WDS vap for the station on the same device;
    destroy it once the station has left its AP (checked every
    `reap_interval_ns`).  `on_create(vap)` lets the caller wire the new
    vap up (a bridge, a netdev reader)."""

    def __init__(self, ap: IEEE80211Vap, *, prefix: str = "wds",
                 on_create: Callable[[IEEE80211Vap], Any] | None = None,
                 reap_interval_ns: int = 1 * SEC, **vap_params: Any) -> None:
        self.ap = ap
        self.prefix = prefix
        self.on_create = on_create
        self.vap_params = vap_params
        self.reap_interval_ns = reap_interval_ns
        self.links: dict[bytes, IEEE80211Vap] = {}  # station -> its WDS vap
        self.created = self.destroyed = 0
        self.errors: list[OSError] = []  # creates the device refused
        self._pending: set[bytes] = set()
        self._reaper = Callout(ap.ic.sched)
        add_dwds_listener(ap, self._notified)

    def _notified(self, ap: IEEE80211Vap, sta: bytes) -> None:
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

    def discover(self, ap: IEEE80211Vap, sta: bytes) -> IEEE80211Vap:
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
        st = self.ap.ap  # None once the AP vap is gone: nothing to unhook
        if st is not None and self._notified in st.dwds_listeners:
            st.dwds_listeners.remove(self._notified)
