"""How hwsim-mediumd reaches a MAC80211_HWSIM family: the Linux kernel's
generic-netlink socket, or the UNIX SOCK_SEQPACKET socket a driver serves.

Both carry the same netlink messages one per datagram; they differ in how
the socket is opened, in multicast groups (only the kernel has them), and
in which attribute of ADD_MAC_ADDR names the radio when nothing else tells.
"""

from __future__ import annotations

import errno
import os
import socket

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
RCVBUF = 4 << 20  # a burst of frames from many radios must not overrun the socket


class Transport:
    """One connected datagram socket to the family."""

    kind = "unix"
    # Linux 6.1 announces ADD_MAC_ADDR with ADDR_RECEIVER = the radio; later
    # kernels and our UNIX server with ADDR_TRANSMITTER = the radio.  Only
    # consulted when neither address is a radio we know.
    radio_is_receiver = False

    def __init__(self, sock: socket.socket, name: str) -> None:
        self.sock = sock
        self.name = name
        self.groups: list[int] = []

    @property
    def portid(self) -> int:
        return 0

    def join(self, group: int) -> None:
        """Listen to a multicast group (the kernel's `config` group)."""
        raise OSError(errno.EOPNOTSUPP, f"{self.name} has no multicast groups")

    def close(self) -> None:
        self.sock.close()


class KernelTransport(Transport):
    """A NETLINK_GENERIC socket, optionally opened inside another network namespace."""

    kind = "kernel"
    radio_is_receiver = True

    def __init__(self, sock: socket.socket, name: str = "the kernel") -> None:
        super().__init__(sock, name)

    @property
    def portid(self) -> int:
        try:
            return int(self.sock.getsockname()[0])
        except (OSError, TypeError, IndexError):
            return 0

    def join(self, group: int) -> None:
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
        self.groups.append(group)


def open_unix(path: str) -> Transport:
    """Connect to a driver's external-medium socket."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return Transport(sock, path)


def _netlink_socket() -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        sock.bind((0, 0))  # the kernel picks our port id
    except OSError:
        sock.close()
        raise
    return sock


def open_kernel(netns: str | None = None) -> KernelTransport:
    """A generic-netlink socket in this network namespace or in `netns`
    (a name under /var/run/netns or a path), which the medium then serves."""
    if netns is None:
        return KernelTransport(_netlink_socket())
    # Only the namespace helper of pyroute2: the whole package takes seconds to import under TCG.
    from pyroute2.netns import setns

    here = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        setns(netns, flags=0)  # never create a namespace that is not there
        try:
            sock = _netlink_socket()
        finally:
            setns(here, flags=0)
    finally:
        os.close(here)
    return KernelTransport(sock, f"the kernel (netns {netns})")


__all__ = ["Transport", "KernelTransport", "open_unix", "open_kernel"]
