"""Persistent P2P groups: the network blocks a P2P device keeps of groups
formed with `persistent` (wpa_supplicant's `disabled=2` networks): SSID,
passphrase, the GO's device address and our role.  `P2P_INVITE
persistent=<id>` re-invokes one with an invitation of type persistent; the
members start it again with the stored passphrase, without WPS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ic import mac_str

if TYPE_CHECKING:
    from net80211.p2p.device import P2PDevice
    from net80211.p2p.group import P2PGroup

MAX_PERSISTENT = 64  # network blocks kept per device


@dataclass
class PersistentNetwork:
    id: int
    ssid: bytes
    passphrase: str
    go_dev: bytes
    role: str  # "GO" or "client": ours in the group

    def line(self) -> str:
        """A LIST_NETWORKS line: id, SSID, BSSID (the GO's device address), flags."""
        return f"{self.id}\t{self.ssid.decode(errors='replace')}\t{mac_str(self.go_dev)}\t[P2P-PERSISTENT]"


class PersistentGroups:
    """The persistent groups of one P2P device, by network id."""

    def __init__(self, dev: P2PDevice) -> None:
        self.dev = dev
        self.networks: dict[int, PersistentNetwork] = {}

    def remember(self, group: P2PGroup) -> PersistentNetwork:
        """Store (or refresh) the network of a persistent group that started."""
        net = self.find(group.go_dev, group.ssid)
        if net is None:
            if len(self.networks) >= MAX_PERSISTENT:
                del self.networks[min(self.networks)]
            nid = max(self.networks, default=-1) + 1
            net = self.networks[nid] = PersistentNetwork(nid, group.ssid, group.passphrase, group.go_dev,
                                                         group.role)
        else:
            net.passphrase, net.role = group.passphrase, group.role
        return net

    def find(self, go_dev: bytes, ssid: bytes) -> PersistentNetwork | None:
        return next((n for n in self.networks.values() if n.go_dev == go_dev and n.ssid == ssid), None)

    def get(self, nid: int) -> PersistentNetwork | None:
        return self.networks.get(nid)

    def remove(self, nid: int) -> bool:
        return self.networks.pop(nid, None) is not None

    def list_networks(self) -> str:
        """wpa_supplicant's LIST_NETWORKS reply."""
        return "network id / ssid / bssid / flags\n" + "".join(
            n.line() + "\n" for n in sorted(self.networks.values(), key=lambda n: n.id))
