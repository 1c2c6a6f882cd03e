"""The device's node table (`struct ieee80211_node`, `ieee80211_node.c`).

A node is a peer a vap talks to: the AP a station associated with, a
station associated with an AP, an IBSS or WDS peer.  One table per device,
shared by its vaps; a node belongs to exactly one vap, so the same address
may have a node on two vaps of a radio (a repeater's uplink AP and...).

API for modes (stable): `NodeTable.of(ic)`, `find(vap, mac)`,
`add(vap, mac, **attrs)` (returns the existing node if there is one),
`remove(node)`, `nodes(vap)`, `flush(vap)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ic import IEEE80211Com
    from net80211.power import PsQueue
    from net80211.security import NodeRsn
    from net80211.vap import IEEE80211Vap

NONQOS_TID = 16  # FreeBSD's IEEE80211_NONQOS_TID: non-QoS data and management
NTIDS = 17


class Node:
    """One peer of a vap (`ieee80211_node`)."""

    __slots__ = ("macaddr", "vap", "aid", "capinfo", "rates", "rssi", "last_rx_ns", "associated",
                 "authed", "rxseqs", "listen_interval", "ssid", "channel", "bintval", "created_ns",
                 "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "probing", "extra", "rsn", "psq")

    def __init__(self, vap: IEEE80211Vap, macaddr: bytes, now_ns: int) -> None:
        self.macaddr = macaddr
        self.vap = vap
        self.aid = 0  # association ID (ours at an AP, the station's at an AP vap)
        self.capinfo = 0
        self.rates: tuple[int, ...] = ()
        self.rssi = 0  # dBm of the last frame received from it
        self.last_rx_ns = now_ns  # inactivity is measured from here
        self.created_ns = now_ns
        self.associated = False
        self.authed = False
        # Last (seq << 4 | frag) received per TID; -1 = none yet.
        self.rxseqs = [-1] * NTIDS
        self.listen_interval = 0
        self.ssid = b""
        self.channel: Any = None
        self.bintval = 0
        self.rx_packets = self.rx_bytes = self.tx_packets = self.tx_bytes = 0
        self.probing = False  # an inactivity probe is outstanding
        self.extra: dict[str, Any] = {}  # for modes (WDS binding, IBSS TSF, ...)
        # RSN state with this peer (net80211.security.NodeRsn) on a protected vap
        self.rsn: NodeRsn | None = None
        # Frames held while the station dozes (net80211.power), at an AP
        self.psq: PsQueue | None = None

    def __repr__(self) -> str:
        assoc = " assoc" if self.associated else ""
        return f"<Node {self.macaddr.hex(':')} of {self.vap.name} aid={self.aid}{assoc}>"

    def is_dup(self, seqctl: int, retry: bool, tid: int = NONQOS_TID) -> bool:
        """Duplicate detection (802.11 10.3.2.14, FreeBSD `ieee80211_check_rxseq`):
        a retransmission (Retry bit) with the sequence control of the last frame
        of its TID is a duplicate.  Records `seqctl` as the last one otherwise."""
        seqs = self.rxseqs
        if retry and seqs[tid] == seqctl:
            return True
        seqs[tid] = seqctl
        return False

    def inactive_ns(self, now_ns: int) -> int:
        return now_ns - self.last_rx_ns

    def summary(self, now_ns: int) -> dict[str, Any]:
        """A plain description (for `vap.stations()`, tools and reports)."""
        return {
            "macaddr": self.macaddr.hex(":"), "aid": self.aid, "associated": self.associated,
            "authed": self.authed, "rssi": self.rssi, "capinfo": self.capinfo,
            "rates": list(self.rates), "listen_interval": self.listen_interval,
            "inact_s": round(self.inactive_ns(now_ns) / 1e9, 3),
            "rx_packets": self.rx_packets, "rx_bytes": self.rx_bytes,
            "tx_packets": self.tx_packets, "tx_bytes": self.tx_bytes,
            # power save: dozing (its AP holds `ps_held` frames for it)
            "dozing": self.psq is not None, "ps_held": len(self.psq) if self.psq is not None else 0,
            **({"rsn": self.rsn.summary()} if self.rsn is not None else {}),
        }


class NodeTable:
    """All nodes of one device, indexed per vap by address (`ic_sta`)."""

    __slots__ = ("ic", "_by_vap", "_by_addr")

    def __init__(self, ic: IEEE80211Com) -> None:
        self.ic = ic
        # Keyed by the vap itself (hashed by identity): no id() int made per lookup.
        self._by_vap: dict[IEEE80211Vap, dict[bytes, Node]] = {}
        # Address -> a node with it (of any vap): every received frame looks
        # its sender up, and one dict is half the memory it reads of two (in
        # a world of thousands of radios, each read is likely a cache miss).
        # Only an address with nodes on several vaps needs `_by_vap` too.
        self._by_addr: dict[bytes, Node] = {}

    @classmethod
    def of(cls, ic: IEEE80211Com) -> NodeTable:
        """The node table of device `ic`, made on first use."""
        tbl = ic.nodes
        if tbl is None:
            tbl = ic.nodes = cls(ic)
        return cast(NodeTable, tbl)  # only this class sets ic.nodes

    @staticmethod
    def peek(ic: IEEE80211Com) -> NodeTable | None:
        """The node table of device `ic` if it has one yet."""
        return cast("NodeTable | None", ic.nodes)

    def __len__(self) -> int:
        return sum(len(d) for d in self._by_vap.values())

    def find(self, vap: IEEE80211Vap, mac: bytes) -> Node | None:
        """`ieee80211_find_vap_node`: the node of `vap` with address `mac`."""
        node = self._by_addr.get(mac)
        if node is None or node.vap is vap:
            return node
        d = self._by_vap.get(vap)  # the address has a node on another vap
        return None if d is None else d.get(mac)

    def add(self, vap: IEEE80211Vap, mac: bytes, **attrs: Any) -> Node:
        """The node of `vap` for `mac`, created if needed; `attrs` are set on it."""
        mac = bytes(mac)  # a bytearray cannot be a key
        d = self._by_vap.get(vap)
        if d is None:
            d = self._by_vap[vap] = {}
        node = d.get(mac)
        if node is None:
            node = d[mac] = Node(vap, mac, self.ic.sched.now_ns)
            self._by_addr.setdefault(node.macaddr, node)
        for k, v in attrs.items():
            setattr(node, k, v)
        return node

    def remove(self, node: Node) -> bool:
        """Drop a node (`ieee80211_node_leave` + free); False if it was not in the table."""
        d = self._by_vap.get(node.vap)
        if d is None or d.get(node.macaddr) is not node:
            return False
        del d[node.macaddr]
        self._unindex(node)
        if node.rsn is not None:
            node.rsn.close()
        if node.psq is not None:
            node.vap.stats.tx_ps_dropped += len(node.psq)  # a dozing station left
            node.psq = None
        if not d:
            del self._by_vap[node.vap]
        return True

    def _unindex(self, node: Node) -> None:
        """Drop `node` (already out of its vap's dict) from the address index;
        another vap's node with the address takes its place."""
        mac = node.macaddr
        if self._by_addr.get(mac) is not node:
            return
        for d in self._by_vap.values():
            other = d.get(mac)
            if other is not None:
                self._by_addr[mac] = other
                return
        del self._by_addr[mac]

    def nodes(self, vap: IEEE80211Vap) -> list[Node]:
        """The nodes of `vap`, in the order they were added."""
        d = self._by_vap.get(vap)
        return [] if d is None else list(d.values())

    def flush(self, vap: IEEE80211Vap) -> int:
        """Drop every node of `vap` (`ieee80211_node_table_reset`); how many."""
        d = self._by_vap.pop(vap, None)
        if d is None:
            return 0
        for node in d.values():
            self._unindex(node)
            if node.rsn is not None:
                node.rsn.close()
        return len(d)
