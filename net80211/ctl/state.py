"""The daemon's state file: which TAP interfaces and network namespaces it
made, so that a daemon started after a crash can remove what was left."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from net80211.host.tap import remove_netns, remove_stale_tap
from net80211.wire.outfile import read_private, write_atomic

log = logging.getLogger("net80211.ctl")


class StateFile:
    """TAPs (ifname, netns) and namespaces the daemon created, kept on disk."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.taps: dict[str, str | None] = {}  # ifname@netns key -> netns
        self.netns: set[str] = set()

    @staticmethod
    def _key(ifname: str, netns: str | None) -> str:
        return f"{ifname}@{netns or ''}"

    def add_tap(self, ifname: str, netns: str | None, created_netns: bool) -> None:
        self.taps[self._key(ifname, netns)] = netns
        if netns is not None and created_netns:
            self.netns.add(netns)
        self.save()

    def remove_tap(self, ifname: str, netns: str | None) -> None:
        self.taps.pop(self._key(ifname, netns), None)
        self.save()

    def save(self) -> None:
        data = {"pid": os.getpid(), "taps": [{"ifname": k.split("@", 1)[0], "netns": ns}
                                             for k, ns in sorted(self.taps.items())],
                "netns": sorted(self.netns)}
        # A new file (O_EXCL|O_NOFOLLOW) renamed into place: a symlink
        # planted at either name is replaced, its target never written.
        write_atomic(self.path, json.dumps(data).encode(), 0o600)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def read_state(path: str) -> dict[str, Any] | None:
    """A state file's content, or None if there is none or it is unreadable."""
    try:
        raw = read_private(path)
        if raw is None:
            return None
        data = json.loads(raw)
    except (OSError, ValueError, RecursionError) as e:
        log.warning("state file %s unreadable (%s); ignoring it", path, e)
        return None
    return data if isinstance(data, dict) else None


def recover(path: str) -> dict[str, list[str]]:
    """Remove the TAPs and namespaces a previous daemon recorded in `path`
    (it is gone: the caller made sure no daemon answers on the socket).
    Returns what was removed."""
    data = read_state(path)
    removed: dict[str, list[str]] = {"taps": [], "netns": []}
    if data is None:
        return removed
    for t in data.get("taps", []):
        if not isinstance(t, dict) or not isinstance(t.get("ifname"), str):
            continue
        ns = t.get("netns") if isinstance(t.get("netns"), str) else None
        try:
            if remove_stale_tap(t["ifname"], ns):
                removed["taps"].append(f"{t['ifname']}@{ns}" if ns else t["ifname"])
        except OSError as e:
            log.warning("cannot remove stale TAP %s: %s", t["ifname"], e)
    for ns in data.get("netns", []):
        if not isinstance(ns, str):
            continue
        try:
            if remove_netns(ns):
                removed["netns"].append(ns)
        except OSError as e:
            log.warning("cannot remove stale netns %s: %s", ns, e)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    return removed
