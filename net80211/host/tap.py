"""A vap's network side as a real Linux TAP interface (netdev kind "tap").

The TAP is made persistent with pyroute2, attached to a file descriptor
with TUNSETIFF, given the vap's MAC address and optionally moved into a
network namespace (created if missing).  Frames the host sends on it are read
from the descriptor (the scheduler waits on it) and handed to the vap;
frames the vap receives are written to it.  Admin state follows the vap
(up/down), carrier follows its 802.11 state (on in RUN).  The interface is
removed on close.  Every TAP carries an ifalias starting with `ALIAS_PREFIX`,
so a TAP left by a crashed daemon can be told from anyone else's.
"""

from __future__ import annotations

import errno
import fcntl
import itertools
import logging
import os
import re
import struct
from typing import TYPE_CHECKING, Any

from pyroute2 import IPRoute, NetlinkError, netns

from ic import AlreadyExists, InvalidArgument, Net80211Error, State, mac_str
from net80211.netdev import Netdev, register_netdev_kind

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

log = logging.getLogger("net80211.host.tap")

TUN_DEVICE = "/dev/net/tun"
TUNSETIFF = 0x400454CA
TUNSETCARRIER = 0x400454E2
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFNAMSIZ = 16
ALIAS_PREFIX = "net80211:"
READ_BURST = 64  # frames read per readiness callback, so one busy TAP cannot starve the rest
_IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
_NETNS_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_tmp_names = itertools.count()


def _netlink_error(e: NetlinkError, what: str) -> Net80211Error:
    code = e.code if isinstance(e.code, int) and e.code > 0 else errno.EIO
    return Net80211Error(f"{what}: {os.strerror(code)}", code)


def check_ifname(name: str) -> str:
    if not isinstance(name, str) or not _IFNAME_RE.match(name) or name in (".", ".."):
        raise InvalidArgument(f"{name!r} is not a valid network interface name")
    return name


def check_netns(name: str) -> str:
    if not isinstance(name, str) or not _NETNS_RE.match(name) or name in (".", ".."):
        raise InvalidArgument(f"{name!r} is not a valid network namespace name")
    return name


def ensure_netns(name: str) -> bool:
    """Create network namespace `name` if missing; True if this call created it."""
    check_netns(name)
    if name in netns.listnetns():
        return False
    netns.create(name)
    return True


def remove_netns(name: str) -> bool:
    """Remove a named network namespace if it exists."""
    check_netns(name)
    if name not in netns.listnetns():
        return False
    netns.remove(name)
    return True


def _ipr(ns: str | None) -> IPRoute:
    return IPRoute(netns=ns) if ns else IPRoute()


def remove_stale_tap(ifname: str, ns: str | None = None) -> bool:
    """Delete a TAP of ours (by name, in `ns`) left behind by a crash; a link
    that is not a TAP carrying our alias is left alone.  True if removed."""
    check_ifname(ifname)
    if ns is not None and check_netns(ns) not in netns.listnetns():
        return False
    with _ipr(ns) as ipr:
        idx = ipr.link_lookup(ifname=ifname)
        if not idx:
            return False
        link = ipr.link("get", index=idx[0])[0]
        info = link.get_attr("IFLA_LINKINFO")
        kind = info.get_attr("IFLA_INFO_KIND") if info is not None else None
        alias = link.get_attr("IFLA_IFALIAS") or ""
        if kind != "tun" or not alias.startswith(ALIAS_PREFIX):
            return False
        ipr.link("del", index=idx[0])
        return True


class TapNetdev(Netdev):
    """The vap's Linux TAP interface (named like the vap unless `ifname` is given)."""

    kind = "tap"

    def __init__(self, vap: IEEE80211Vap, *, ifname: str | None = None, netns: str | None = None,
                 **opts: Any) -> None:
        if opts:
            raise InvalidArgument(f"tap netdev: unknown option(s) {', '.join(sorted(opts))}")
        self.ifname = check_ifname(ifname or vap.name)
        super().__init__(vap, name=self.ifname)
        self.netns = check_netns(netns) if netns is not None else None
        self.created_netns = False
        self.index: int | None = None
        self.fd = -1
        self.admin_up = False
        self.carrier = False
        self.host_frames = self.read_errors = 0  # frames read from the TAP; read failures
        self._ipr: IPRoute | None = None
        self._sched = vap.ic.sched
        try:
            self._create()
        except BaseException:
            self._teardown()
            if self.created_netns and self.netns is not None:  # a refused create leaves nothing behind
                remove_netns(self.netns)
                self.created_netns = False
            raise
        self._sched.add_reader(self.fd, self._readable)
        self.sync_link()

    def __repr__(self) -> str:
        where = f" netns={self.netns}" if self.netns else ""
        return f"<TapNetdev {self.ifname}{where} fd={self.fd}>"

    # -- creation -------------------------------------------------------------
    def _create(self) -> None:
        if self.netns is not None:
            self.created_netns = ensure_netns(self.netns)
        # A TAP bound for a namespace is built under a temporary name so that
        # an interface of the same name in ours does not get in the way.
        tmp = self.ifname if self.netns is None else f"n80211t{os.getpid() % 10**5}.{next(_tmp_names)}"[:15]
        self._ipr = _ipr(self.netns)
        if self._ipr.link_lookup(ifname=self.ifname):
            where = f" in netns {self.netns}" if self.netns else ""
            raise AlreadyExists(f"{self.ifname}: a network interface of that name exists{where}")
        with IPRoute() as host:
            try:
                host.link("add", ifname=tmp, kind="tuntap", mode="tap", ifr={"no_pi": True})
            except NetlinkError as e:
                raise _netlink_error(e, f"{self.ifname}: cannot create TAP") from None
            except OSError as e:
                raise Net80211Error(f"{self.ifname}: cannot create TAP: {e.strerror}", e.errno) from None
            idx = host.link_lookup(ifname=tmp)[0]
            self.index = idx
            try:
                self.fd = os.open(TUN_DEVICE, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
                fcntl.ioctl(self.fd, TUNSETIFF, struct.pack("16sH", tmp.encode(), IFF_TAP | IFF_NO_PI))
                self._set_carrier(False)
                host.link("set", index=idx, address=mac_str(self.macaddr),
                          ifalias=f"{ALIAS_PREFIX}{self.vap.name}")
                if self.netns is not None:
                    host.link("set", index=idx, net_ns_fd=self.netns, ifname=self.ifname)
            except NetlinkError as e:
                raise _netlink_error(e, f"{self.ifname}: cannot set up TAP") from None
            except OSError as e:
                raise Net80211Error(f"{self.ifname}: cannot set up TAP: {e.strerror}", e.errno) from None
        if self.netns is not None:
            found = self._ipr.link_lookup(ifname=self.ifname)
            if not found:
                raise Net80211Error(f"{self.ifname}: TAP vanished while moving to netns {self.netns}",
                                    errno.EIO)
            self.index = found[0]

    def _teardown(self) -> None:
        if self.fd >= 0:
            self._sched.remove_reader(self.fd)
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = -1
        if self.index is not None:
            # After a failed move the TAP is still in our namespace under its
            # temporary name: delete it by index wherever it is.
            for ns in dict.fromkeys((self.netns, None)):
                try:
                    with _ipr(ns) as ipr:
                        ipr.link("del", index=self.index)
                    break
                except (NetlinkError, OSError):
                    continue
            self.index = None
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None

    # -- link state ---------------------------------------------------------------
    def _set_carrier(self, on: bool) -> None:
        try:
            fcntl.ioctl(self.fd, TUNSETCARRIER, struct.pack("i", int(on)))
        except OSError as e:  # kernels before 5.0 have no TUNSETCARRIER
            log.debug("%s: TUNSETCARRIER: %s", self.ifname, e)

    def link_changed(self) -> None:
        """The vap went up or down or changed state."""
        self.sync_link()

    def sync_link(self) -> None:
        """Make admin state follow the vap's up/down and carrier its RUN state."""
        if self.fd < 0 or self._ipr is None or self.index is None:
            return
        up = bool(self.vap.running)
        carrier = up and self.vap.state >= State.RUN
        if up != self.admin_up:
            try:
                self._ipr.link("set", index=self.index, state="up" if up else "down")
                self.admin_up = up
            except NetlinkError as e:
                log.warning("%s: cannot set %s: %s", self.ifname, "up" if up else "down", e)
        if carrier != self.carrier:
            self._set_carrier(carrier)
            self.carrier = carrier

    # -- frames ---------------------------------------------------------------------
    def _readable(self) -> None:
        for _ in range(READ_BURST):
            try:
                eth = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                self.read_errors += 1
                return
            if not eth:
                return
            self.host_frames += 1
            self.send(eth)

    def deliver(self, eth: bytes) -> None:
        """A frame the vap received for the host: write it to the TAP."""
        if self.fd < 0:
            self.rx_dropped += 1
            return
        try:
            os.write(self.fd, eth)
            self.rx_delivered += 1
        except OSError:  # queue full, interface down, or gone
            self.rx_dropped += 1

    def close(self) -> None:
        """Remove the TAP (the namespace, if we created it, stays)."""
        self._teardown()
        super().close()

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update(ifname=self.ifname, netns=self.netns, ifindex=self.index, admin_up=self.admin_up,
                 carrier=self.carrier, host_frames=self.host_frames, read_errors=self.read_errors)
        return d


register_netdev_kind("tap", TapNetdev)
