"""A scenario's distribution system: a learning Ethernet bridge joining the
network sides of some vaps (access points of one ESS, typically), with a
host of its own, as Linux's `br0` joins an AP's interfaces and carries its
address.  A station that roams from one AP to another keeps talking to the
bridge's host: the new AP's Layer 2 Update frame (hostapd's, which the AP
vap's `Netdev.station_joined` hands the bridge) moves the station's entry
to the new AP's port."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ic import InvalidArgument
from net80211.modes.hostap import l2_update_frame
from net80211.netdev import QueueNetdev

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

LOCAL = ""  # the port of the bridge's own host


class BridgeLink:
    """The bridge's own port, as its host sees it: `send` and `on_receive`."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.on_receive: Callable[[bytes], Any] | None = None

    def send(self, eth: bytes) -> bool:
        return self.bridge.input(LOCAL, eth)


class Bridge:
    """A learning bridge: frames go to the port their destination was last
    seen on, group and unknown destinations to every other port."""

    def __init__(self, name: str, mac: bytes, vaps: list[IEEE80211Vap]) -> None:
        self.name = name
        self.mac = mac
        self.link = BridgeLink(self)
        self.ports: dict[str, QueueNetdev] = {}
        self.fdb: dict[bytes, str] = {mac: LOCAL}  # address -> port (the forwarding database)
        self.stats = {"forwarded": 0, "flooded": 0, "dropped": 0, "moves": 0}
        for vap in vaps:
            nd = vap.netdev
            if not isinstance(nd, QueueNetdev):
                raise InvalidArgument(f"{name}: {vap.name} has no in-process netdev to bridge")
            self.ports[vap.name] = nd
            nd.on_receive = lambda eth, port=vap.name: self.input(port, eth)
            # A station joining the AP: its Layer 2 Update frame enters the bridge on the AP's port.
            nd.on_join = lambda mac, port=vap.name: self.input(port, l2_update_frame(mac))

    def input(self, port: str, eth: bytes) -> bool:
        """A frame entering the bridge on `port`; True if it went somewhere."""
        if len(eth) < 14:
            self.stats["dropped"] += 1
            return False
        dst, src = eth[0:6], eth[6:12]
        if not src[0] & 1:
            old = self.fdb.get(src)
            if old != port:
                if old is not None:
                    self.stats["moves"] += 1
                self.fdb[src] = port
        out = None if dst[0] & 1 else self.fdb.get(dst)
        if out == port:
            self.stats["dropped"] += 1  # already on its segment
            return False
        if out is not None:
            self.stats["forwarded"] += 1
            return self._out(out, eth)
        self.stats["flooded"] += 1
        sent = False
        for p in (LOCAL, *self.ports):
            if p != port:
                sent = self._out(p, eth) or sent
        return sent

    def _out(self, port: str, eth: bytes) -> bool:
        if port == LOCAL:
            cb = self.link.on_receive
            if cb is None:
                return False
            cb(eth)
            return True
        return bool(self.ports[port].send(eth))

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "mac": self.mac.hex(":"), "ports": list(self.ports), **self.stats}
