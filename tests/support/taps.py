"""Watching one vap's method calls in a test.

Vaps are slotted: a method cannot be replaced on one instance.  The wrapper
goes on the vap's class (pytest's monkeypatch undoes it) and watches only
the vap it was asked for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from net80211 import IEEE80211Vap


def tap_method(monkeypatch: pytest.MonkeyPatch, vap: IEEE80211Vap, name: str,
               before: Callable[..., Any]) -> None:
    """Call `before(*args)` ahead of each call of `vap.<name>(*args)`."""
    cls = type(vap)
    orig = getattr(cls, name)

    def wrapper(self: IEEE80211Vap, *args: Any, **kw: Any) -> Any:
        if self is vap:
            before(*args, **kw)
        return orig(self, *args, **kw)

    monkeypatch.setattr(cls, name, wrapper)
