"""Wi-Fi Direct: the P2P device and the P2P group modes, the wireless-device
primitives (start/stop, remain-on-channel, mgmt-tx, frame registrations,
scans) and owners that undo what they started."""

from net80211.p2p.modes import P2PClientMode, P2PDeviceMode, P2PGoMode
from net80211.p2p.owner import AlreadyRegistered, Event, NetworkDown, NotFound, Owner
from net80211.p2p.wdev import ROC_MAX_MS, ROC_MIN_MS, WirelessDev, wdev_of

__all__ = ["P2PClientMode", "P2PDeviceMode", "P2PGoMode", "AlreadyRegistered", "Event", "NetworkDown",
           "NotFound", "Owner", "ROC_MAX_MS", "ROC_MIN_MS", "WirelessDev", "wdev_of"]
