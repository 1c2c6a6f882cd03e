"""The PMKSA cache: lookups by PMKID (an AP's) and by peer (a station's),
lifetimes, one entry per peer and AKM, the size bound."""

from __future__ import annotations

import pytest

from net80211.rsn.pmksa import PMK_LIFETIME_S, PmksaCache
from net80211.wire.rsn import AKM

S = 1_000_000_000
A, B = b"\x02" * 6, b"\x04" * 6


def test_get_by_pmkid_and_find_by_peer_within_the_lifetime():
    c = PmksaCache()
    e = c.add(A, b"\x01" * 16, b"\xee" * 32, AKM.SAE, 0)
    assert e.expires_ns == PMK_LIFETIME_S * S == 43200 * S
    assert c.get(A, (b"\x09" * 16, b"\x01" * 16), AKM.SAE, 10) is e  # any PMKID of the list
    assert c.get(A, (b"\x01" * 16,), AKM.PSK, 10) is None  # another AKM
    assert c.get(B, (b"\x01" * 16,), AKM.SAE, 10) is None  # another peer
    assert c.get(A, None, AKM.SAE, 10) is None
    assert c.find(A, AKM.SAE, 10) is e and c.find(B, AKM.SAE, 10) is None
    assert (c.hits, c.misses) == (1, 3)
    assert "eeee" not in repr(e)  # the PMK stays out of logs
    # it expires
    assert c.find(A, AKM.SAE, 43200 * S) is None and c.expired == 1 and len(c) == 0


def test_a_new_pmksa_replaces_the_peers_old_one_and_the_oldest_goes_when_full():
    c = PmksaCache(lifetime_s=10, max_entries=2)
    c.add(A, b"\x01" * 16, b"a" * 32, AKM.SAE, 0)
    c.add(A, b"\x02" * 16, b"b" * 32, AKM.SAE, 1)
    assert [e.pmkid for e in c.entries()] == [b"\x02" * 16]
    c.add(B, b"\x03" * 16, b"c" * 32, AKM.SAE, 2)
    c.add(b"\x06" * 6, b"\x04" * 16, b"d" * 32, AKM.SAE, 3)
    assert [e.pmkid[0] for e in c.entries()] == [3, 4] and c.added == 4
    c.remove(B, b"\x03" * 16)
    assert [e.pmkid[0] for e in c.entries()] == [4]
    with pytest.raises(ValueError):
        PmksaCache(lifetime_s=0)
