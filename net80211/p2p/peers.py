"""The peer table of a P2P device: what discovery learned about other devices."""

from __future__ import annotations

from dataclasses import dataclass, field

from ic import mac_str
from net80211.p2p.wire import DEFAULT_DEV_TYPE, pri_dev_type_str


@dataclass
class Peer:
    addr: bytes  # P2P device address
    name: str = ""
    pri_dev_type: bytes = DEFAULT_DEV_TYPE
    config_methods: int = 0
    dev_capab: int = 0
    group_capab: int = 0
    listen_freq: int | None = None
    last_seen_ns: int = 0
    level: int = 0  # dBm of the last frame heard
    channels: list[int] = field(default_factory=list)  # from its channel list, when known
    reported: bool = False  # P2P-DEVICE-FOUND sent

    def found_text(self, new: bool) -> str:
        """wpa_supplicant's P2P-DEVICE-FOUND line (without the level prefix)."""
        a = mac_str(self.addr)
        return (f"P2P-DEVICE-FOUND {a} p2p_dev_addr={a} pri_dev_type={pri_dev_type_str(self.pri_dev_type)} "
                f"name='{self.name}' config_methods=0x{self.config_methods:x} dev_capab=0x{self.dev_capab:x} "
                f"group_capab=0x{self.group_capab:x} new={int(new)}")

    def describe(self, now_ns: int) -> list[str]:
        """The lines of wpa_supplicant's P2P_PEER reply after the address."""
        age = max(0, (now_ns - self.last_seen_ns) // 1_000_000_000)
        return [f"pri_dev_type={pri_dev_type_str(self.pri_dev_type)}", f"device_name={self.name}",
                "manufacturer=", "model_name=", "model_number=", "serial_number=",
                f"config_methods=0x{self.config_methods:x}", f"dev_capab=0x{self.dev_capab:x}",
                f"group_capab=0x{self.group_capab:x}", f"level={self.level}", f"age={age}",
                f"listen_freq={self.listen_freq or 0}"]


class PeerTable(dict[bytes, Peer]):
    """Peers by device address, in the order they were found."""

    def get_or_add(self, addr: bytes) -> tuple[Peer, bool]:
        peer = self.get(addr)
        if peer is None:
            peer = self[addr] = Peer(addr)
            return peer, True
        return peer, False

    def after(self, addr: bytes | None) -> Peer | None:
        """The peer after `addr` in table order (the first if None): P2P_PEER NEXT-."""
        keys = list(self)
        if addr is None:
            return self[keys[0]] if keys else None
        if addr not in self:
            return None
        i = keys.index(addr) + 1
        return self[keys[i]] if i < len(keys) else None
