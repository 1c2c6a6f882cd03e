"""Owners and events: what a netlink socket is to cfg80211.

An `Owner` is the handle a user of the wireless-device primitives holds
(wpa_supplicant's nl80211 socket).  Everything it starts is tracked, and
closing it undoes all of it: the P2P device it started stops, its frame
registrations go, its remain-on-channel and pending mgmt-tx waits are
cancelled.  Results come back as `Event`s, queued on the owner and passed to
its `on_event` callback.
"""

from __future__ import annotations

import errno
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ic import InvalidArgument, Net80211Error

EVENTS_MAX = 4096  # an owner nobody reads from keeps only the newest events


class NetworkDown(Net80211Error):
    """The wireless device is not started (P2P device) or not running."""

    default_errno = errno.ENETDOWN


class NotFound(Net80211Error):
    """No remain-on-channel, wait or start with that cookie."""

    default_errno = errno.ENOENT


class AlreadyRegistered(Net80211Error):
    """An overlapping frame registration exists on the device."""

    default_errno = errno.EALREADY


@dataclass
class Event:
    """One notification to an owner (nl80211's multicast/unicast events).

    kinds: ``roc_ready`` (on channel), ``roc_done`` (expired or cancelled:
    `cancelled`), ``tx_status`` (`ack`), ``tx_wait_done`` (the mgmt-tx wait
    expired or was cancelled), ``frame`` (a registered frame: `frame`,
    `freq`, `signal`), ``scan_done`` (`results`), ``p2p_stopped``.
    """

    kind: str
    wdev: Any
    cookie: int | None = None
    freq: int = 0
    duration_ms: int = 0
    ack: bool = False
    cancelled: bool = False
    frame: bytes = b""
    signal: int = 0
    results: list[Any] = field(default_factory=list)


class Owner:
    """A user's handle; `close()` (or leaving a `with` block) undoes what it started."""

    _ids = itertools.count(1)

    def __init__(self, name: str = "", on_event: Callable[[Event], Any] | None = None) -> None:
        self.id = next(self._ids)
        self.name = name or f"owner{self.id}"
        self.on_event = on_event
        self.events: deque[Event] = deque(maxlen=EVENTS_MAX)
        self.closed = False
        self._undo: dict[Any, Callable[[], Any]] = {}

    def __repr__(self) -> str:
        return f"<Owner {self.name}{' closed' if self.closed else ''} holds={len(self._undo)}>"

    def __enter__(self) -> Owner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def check(self) -> None:
        if self.closed:
            raise InvalidArgument(f"{self.name}: owner is closed")

    def emit(self, event: Event) -> None:
        if self.closed:
            return
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def pop_events(self, kind: str | None = None) -> list[Event]:
        """Take the queued events (of one kind, if given)."""
        if kind is None:
            out = list(self.events)
            self.events.clear()
            return out
        out = [e for e in self.events if e.kind == kind]
        rest = [e for e in self.events if e.kind != kind]
        self.events.clear()
        self.events.extend(rest)
        return out

    # -- what the owner holds ------------------------------------------------
    def hold(self, key: Any, undo: Callable[[], Any]) -> None:
        self._undo[key] = undo

    def release(self, key: Any) -> None:
        self._undo.pop(key, None)

    def holds(self, key: Any) -> bool:
        return key in self._undo

    def close(self) -> None:
        """Undo everything this owner started, newest first; idempotent."""
        if self.closed:
            return
        self.closed = True
        while self._undo:
            key = next(reversed(self._undo))
            undo = self._undo.pop(key)
            undo()
