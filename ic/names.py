"""Interface-name space: names are unique across one simulated world (one
scheduler), as interface names are unique in one kernel."""

from __future__ import annotations

import re
import weakref

from .errors import AlreadyExists, InvalidArgument

IFNAMSIZ = 16
_VALID = re.compile(r"^[A-Za-z0-9_.\-]+$")
_registries: weakref.WeakKeyDictionary[object, NameRegistry] = weakref.WeakKeyDictionary()


class NameRegistry:
    """Interface and device names in use, with the object holding each."""

    def __init__(self) -> None:
        self._owners: dict[str, object] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._owners

    def get(self, name: str) -> object | None:
        return self._owners.get(name)

    def claim(self, name: str, owner: object) -> None:
        check_name(name)
        if name in self._owners:
            raise AlreadyExists(f"{name}: name already in use")
        self._owners[name] = owner

    def assign(self, name: str, owner: object) -> None:
        """Hand a claimed name to its final owner."""
        if name not in self._owners:
            raise KeyError(name)
        self._owners[name] = owner

    def release(self, name: str) -> None:
        self._owners.pop(name, None)

    def unit_for(self, prefix: str) -> int:
        """The lowest unit number n such that prefix+n is free."""
        n = 0
        while f"{prefix}{n}" in self._owners:
            n += 1
        return n


def registry_for(world: object) -> NameRegistry:
    """The name registry of a world (a scheduler), made on first use."""
    reg = _registries.get(world)
    if reg is None:
        reg = _registries[world] = NameRegistry()
    return reg


def check_name(name: str) -> None:
    """Reject what Linux and FreeBSD reject as an interface name."""
    if not isinstance(name, str) or not name:
        raise InvalidArgument(f"interface name {name!r}: must be a non-empty string")
    if len(name) >= IFNAMSIZ:
        raise InvalidArgument(f"interface name {name!r}: longer than {IFNAMSIZ - 1} characters")
    if name in (".", "..") or not _VALID.match(name):
        raise InvalidArgument(
            f"interface name {name!r}: only letters, digits, '_', '.' and '-' are allowed")


def unit_of(name: str) -> int | None:
    """The clone unit number a name ends with (wlan12 -> 12), or None."""
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else None
