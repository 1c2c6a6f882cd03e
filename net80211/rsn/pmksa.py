"""The PMKSA cache (IEEE 802.11-2020 12.6.10.3): PMKs kept per peer, named by
their PMKID, for as long as dot11RSNAConfigPMKLifetime (43200 s, hostapd's
and wpa_supplicant's default), so that a station that comes back can skip
the authentication that made the PMK (SAE: Open System authentication,
then an association naming the PMKID).  Sans-IO: the caller gives the time.

hostapd keeps up to 1024 entries (PMKSA_CACHE_MAX_ENTRIES), wpa_supplicant
32 (pmksa_cache_max_entries): the oldest goes first when full.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["Pmksa", "PmksaCache", "PMK_LIFETIME_S"]

PMK_LIFETIME_S = 43200  # dot11RSNAConfigPMKLifetime
_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Pmksa:
    """One PMK security association: with `peer` (the station on an AP, the
    AP's BSSID on a station), for this AKM, until `expires_ns`."""

    pmkid: bytes
    pmk: bytes
    peer: bytes
    akm: int
    expires_ns: int

    def __repr__(self) -> str:  # the PMK stays out of logs
        return f"Pmksa(pmkid={self.pmkid.hex()}, peer={self.peer.hex(':')}, akm={self.akm})"


class PmksaCache:
    """PMKSAs by (peer, PMKID); at most one per peer and AKM (a new one
    replaces the old, as both hostapd and wpa_supplicant do)."""

    def __init__(self, lifetime_s: int = PMK_LIFETIME_S, max_entries: int = 1024) -> None:
        if lifetime_s <= 0 or max_entries <= 0:
            raise ValueError("a PMKSA cache needs a positive lifetime and size")
        self.lifetime_s = lifetime_s
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[bytes, bytes], Pmksa] = OrderedDict()
        self.added = self.hits = self.misses = self.expired = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, peer: bytes, pmkid: bytes, pmk: bytes, akm: int, now_ns: int) -> Pmksa:
        for key, old in list(self._entries.items()):
            if old.peer == peer and old.akm == akm:
                del self._entries[key]
        entry = Pmksa(pmkid, pmk, peer, akm, now_ns + self.lifetime_s * _S)
        self._entries[(peer, pmkid)] = entry
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        self.added += 1
        return entry

    def _live(self, key: tuple[bytes, bytes], now_ns: int) -> Pmksa | None:
        entry = self._entries.get(key)
        if entry is not None and now_ns >= entry.expires_ns:
            del self._entries[key]
            self.expired += 1
            return None
        return entry

    def get(self, peer: bytes, pmkids: tuple[bytes, ...] | None, akm: int, now_ns: int) -> Pmksa | None:
        """The live entry with `peer` named by one of `pmkids` (the RSNE's
        list, in order) for this AKM (an AP's lookup)."""
        for pmkid in pmkids or ():
            entry = self._live((peer, pmkid), now_ns)
            if entry is not None and entry.akm == akm:
                self.hits += 1
                return entry
        self.misses += 1
        return None

    def find(self, peer: bytes, akm: int, now_ns: int) -> Pmksa | None:
        """The live entry with `peer` for this AKM (a station's lookup)."""
        for key, entry in list(self._entries.items()):
            if entry.peer == peer and entry.akm == akm and self._live(key, now_ns) is not None:
                return entry
        return None

    def remove(self, peer: bytes, pmkid: bytes) -> None:
        self._entries.pop((peer, pmkid), None)

    def entries(self) -> list[Pmksa]:
        return list(self._entries.values())
