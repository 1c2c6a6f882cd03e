"""The upper side of a vap: the network interface its Ethernet frames come
from and go to (FreeBSD's `ifnet` of a vap).

`Netdev.send(eth)` is the host handing the vap a frame (`if_transmit`):
it calls `vap.transmit`.  `Netdev.deliver(eth)` is the vap handing a
received frame to the host (`if_input`).  `QueueNetdev` is the in-process
kind (the default); other kinds (a TAP device...) register a factory with
`register_netdev_kind(name, factory)` and are made by `make_netdev(kind,
vap, **opts)`, which `IEEE80211Vap.configure(netdev=..., netns=...)` uses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ic import InvalidArgument

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

RX_QUEUE_MAX = 1024


class Netdev(ABC):
    """Base of a vap's network interface; subclasses implement `deliver`."""

    kind = "base"

    def __init__(self, vap: IEEE80211Vap, *, name: str | None = None, macaddr: bytes | None = None) -> None:
        self.vap = vap
        self.name = name or vap.name
        mac = macaddr if macaddr is not None else vap.macaddr
        if mac is None:
            raise InvalidArgument(f"{vap.name}: a network interface needs the vap's address (attach first)")
        self.macaddr: bytes = mac
        self.closed = False
        self.rx_delivered = 0  # frames the vap handed up
        self.rx_dropped = 0  # frames the interface could not take

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}{' closed' if self.closed else ''}>"

    def send(self, eth: bytes) -> bool:
        """Host -> vap: transmit an Ethernet frame; False if it was dropped."""
        if self.closed:
            return False
        return bool(self.vap.transmit(eth))

    @abstractmethod
    def deliver(self, eth: bytes) -> None:
        """Vap -> host: an Ethernet frame received for this interface."""

    def station_joined(self, mac: bytes) -> None:  # noqa: B027 - optional hook
        """A station (re)associated with this AP vap: a distribution system
        behind the interface may learn where it is now (hostapd sends its
        Layer 2 Update frame then).  Default: nothing."""

    def link_changed(self) -> None:  # noqa: B027 - optional hook: an in-process netdev has no link
        """The vap went up or down or changed state; a real interface follows
        (admin state with up/down, carrier with RUN)."""

    def close(self) -> None:
        """Release the interface (idempotent); nothing is delivered afterwards."""
        self.closed = True

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "macaddr": self.macaddr.hex(":"),
                "rx_delivered": self.rx_delivered, "rx_dropped": self.rx_dropped}


class QueueNetdev(Netdev):
    """In-process interface: received frames go to `on_receive(eth)` if set,
    else into the bounded deque `rx` (full: the new frame is dropped and
    counted, as a full backlog does); `recv()` pops the oldest."""

    kind = "queue"

    def __init__(self, vap: IEEE80211Vap, *, name: str | None = None, macaddr: bytes | None = None,
                 maxlen: int = RX_QUEUE_MAX, on_receive: Callable[[bytes], Any] | None = None) -> None:
        super().__init__(vap, name=name, macaddr=macaddr)
        if not isinstance(maxlen, int) or maxlen < 1:
            raise InvalidArgument(f"{self.name}: netdev queue length must be a positive number")
        self.maxlen = maxlen
        self.rx: deque[bytes] = deque()
        self.on_receive = on_receive
        self.on_join: Callable[[bytes], Any] | None = None  # station_joined goes here if set (a bridge)

    def station_joined(self, mac: bytes) -> None:
        if self.on_join is not None and not self.closed:
            self.on_join(mac)

    def deliver(self, eth: bytes) -> None:
        if self.closed:
            self.rx_dropped += 1
            return
        if self.on_receive is not None:
            self.rx_delivered += 1
            self.on_receive(eth)
        elif len(self.rx) >= self.maxlen:
            self.rx_dropped += 1
        else:
            self.rx_delivered += 1
            self.rx.append(eth)

    def recv(self) -> bytes | None:
        """The oldest received frame, or None."""
        return self.rx.popleft() if self.rx else None

    def close(self) -> None:
        super().close()
        self.rx.clear()


_KINDS: dict[str, Callable[..., Netdev]] = {"queue": QueueNetdev}


def register_netdev_kind(name: str, factory: Callable[..., Netdev]) -> None:
    """Make `make_netdev(name, vap, **opts)` call `factory(vap, **opts)`."""
    if not isinstance(name, str) or not name:
        raise InvalidArgument("a netdev kind needs a name")
    _KINDS[name] = factory


def netdev_kinds() -> tuple[str, ...]:
    return tuple(_KINDS)


def make_netdev(kind: str, vap: IEEE80211Vap, **opts: Any) -> Netdev:
    """A new netdev of `kind` for `vap`; EINVAL for an unknown kind or options."""
    factory = _KINDS.get(kind)
    if factory is None:
        raise InvalidArgument(f"{vap.name}: unknown netdev kind {kind!r} (known: {', '.join(_KINDS)})")
    opts = {k: v for k, v in opts.items() if v is not None}
    try:
        return factory(vap, **opts)
    except TypeError as e:
        raise InvalidArgument(f"{vap.name}: netdev {kind!r}: {e}") from None
