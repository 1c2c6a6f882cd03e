"""Wi-Fi Direct: the P2P device and the P2P group modes."""

from .modes import P2PClientMode, P2PDeviceMode, P2PGoMode

__all__ = ["P2PClientMode", "P2PDeviceMode", "P2PGoMode"]
