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

The binding of a dynamic link, the AP side of dynamic WDS (held frames,
group copies, discovery listeners) and the wlanwds-like daemon are
`net80211.modes.dwds`.  The mode's per-vap state is a `WdsState` at
`vap.wds`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ic import OpMode, RxInfo, State
from net80211.bss import follow_running_channel, leave_bss
from net80211.input import FT_DATA, RETRY, count_malformed, qos_tid
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.modes import dwds
from net80211.modes.dwds import DSTODS, WdsDaemon
from net80211.node import NONQOS_TID, Node, NodeTable
from net80211.output import data_frame, deliver, ether_addrs, snap_body
from net80211.wire.data import DataFrame
from net80211.wire.frame import FrameError

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

# WdsDaemon moved to dwds; it is still found here too.
__all__ = ["WdsDaemon", "WdsMode", "WdsState"]

_NODATA = 0x4


@dataclass(slots=True, eq=False)
class WdsState:
    """A WDS vap's state (`vap.wds`)."""

    stats: Counter[str] = field(default_factory=Counter)
    node: Node | None = None  # the peer's node (ours if legacy, the AP vap's if dynamic)
    ap: IEEE80211Vap | None = None  # dynamic WDS: the HOSTAP vap the peer associated to


class WdsMode(Mode):
    opmode = OpMode.WDS
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT,),
        RUN=(S.INIT, S.SCAN, S.RUN),
    )

    START = (State.RUN, True)

    def vap_setup(self, vap: IEEE80211Vap) -> None:
        vap.wds = WdsState()

    def vap_detach(self, vap: IEEE80211Vap) -> None:
        vap.wds = None

    def newstate(self, vap: IEEE80211Vap, ostate: State, nstate: State, arg: int) -> None:
        if nstate == State.INIT:
            self._unbind(vap)
            leave_bss(vap)
        elif nstate == State.RUN:
            # legacy WDS on its own runs on the radio's channel
            follow_running_channel(vap)
            vap.bssid = vap.des_bssid
            if ostate != State.RUN:
                self._bind(vap)

    # -- the link ------------------------------------------------------------------
    def _bind(self, vap: IEEE80211Vap) -> Node | None:
        """`ieee80211_create_wds`: the peer's node, or None (dynamic, not associated)."""
        st = vap.wds
        assert st is not None
        peer = vap.des_bssid
        if peer is None:
            return None
        if vap.legacy_wds:
            node = st.node = NodeTable.of(vap.ic).add(vap, peer, associated=True, authed=True)
            return node
        return dwds.bind(vap, peer)

    def _unbind(self, vap: IEEE80211Vap) -> None:
        st = vap.wds
        assert st is not None
        node, st.node, st.ap = st.node, None, None
        if node is None:
            return
        if node.vap is vap:
            NodeTable.of(vap.ic).remove(node)
        else:
            dwds.unbind(vap, node)

    def peer(self, vap: IEEE80211Vap) -> Node | None:
        """The peer's node while the link is up (a dynamic binding is
        re-checked: the station may have left its AP)."""
        st = vap.wds
        assert st is not None
        node = st.node
        if node is not None and not vap.legacy_wds and not dwds.still_bound(vap, node):
            self._unbind(vap)
            node = None
        if node is None and vap.state == State.RUN:
            node = self._bind(vap)
        return node

    def tx_addr(self, vap: IEEE80211Vap) -> bytes:
        """Our address on the link: the AP's for a dynamic link (the station
        knows only its AP), else the vap's own."""
        st = vap.wds
        assert st is not None
        addr = st.ap.macaddr if st.ap is not None else vap.macaddr
        assert addr is not None  # attached vaps have their address
        return addr

    def accepts(self, vap: IEEE80211Vap, a1: bytes, a2: bytes) -> bool:
        """Whether a 4-address frame from `a2` to `a1` belongs to this link."""
        if vap.state != State.RUN or a2 != vap.des_bssid:
            return False
        node = self.peer(vap)
        return node is not None and (a1 == self.tx_addr(vap) or bool(a1[0] & 1))

    # -- receive -------------------------------------------------------------------
    def recv(self, vap: IEEE80211Vap, frame: bytes, rx: RxInfo, ftype: int, sub: int, a2: bytes | None,
             a3: bytes | None, seq: int | None, flags: int) -> None:
        # The peer's node may belong to the AP vap (dynamic WDS): use the link's.
        st = vap.wds
        assert st is not None
        node = st.node
        if node is None or ftype != FT_DATA:
            st.stats["rx_not_link"] += 1
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

    def recv_data(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  flags: int) -> None:
        st = vap.wds
        assert st is not None
        if flags & 3 != DSTODS:
            st.stats["rx_wrong_dir"] += 1
            vap.stats.rx_dropped += 1
            return
        df = DataFrame.parse(frame)
        if subtype & _NODATA:
            return
        assert df.addr4 is not None  # ToDS and FromDS: the codec parsed a fourth address
        deliver(vap, df.addr3, df.addr4, df.payload, node)

    # -- transmit ------------------------------------------------------------------
    def encap(self, vap: IEEE80211Vap, eth: bytes) -> tuple[bytes, Node | None] | None:
        st = vap.wds
        assert st is not None
        addrs = ether_addrs(eth)
        body = snap_body(eth)
        if addrs is None or body is None:
            return None
        dst, src = addrs
        if dst[0] & 1 and not vap.legacy_wds:
            # FreeBSD: group frames reach DWDS links through the AP vap (dwds_mcast).
            st.stats["dwds_mcast"] += 1
            return None
        node = self.peer(vap)
        if node is None:
            st.stats["tx_no_peer"] += 1
            return None
        return data_frame(DSTODS, node.macaddr, self.tx_addr(vap), dst, vap.next_seq(), body, a4=src), node
