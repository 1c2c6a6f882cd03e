"""The matrix on every hwsim profile: every cell passes (K=2 here, K=3 slow)."""

from __future__ import annotations

import pytest

from net80211.conformance import Matrix

PROFILES = ("default", "ath", "single", "run", "p2p")
# Cells reported as not covered, and why: protocols this tree does not have yet.
UNCOVERED = ("MBSS (mesh) protocol not implemented",
             "TDMA protocol not implemented", "dynamic WDS without a hostap vap")


def _check(profile: str, k: int) -> None:
    m = Matrix(f"hwsim:{profile}", max_vaps=k)
    results = m.run()
    failed = [f"{r.mix} {r.kind}: {r.reason}" for r in results if r.passed is False]
    assert not failed, "\n".join(failed)
    for r in results:
        if r.passed is None:
            assert r.kind == "behaviour" and r.status == "not covered"
            assert r.reason.startswith("not checked: ")
            assert any(u in r.reason for u in UNCOVERED), r.reason
    kinds = {r.kind for r in results}
    assert kinds == {"verdict", "behaviour", "lifecycle"}
    assert sum(r.passed is True and r.kind == "behaviour" for r in results) > 0
    if profile in ("default", "p2p"):
        # Wi-Fi Direct cells are real: discovery between P2P devices, a GO taking a client, a client joining.
        for word in ("p2p-device", "p2p-go", "p2p-client"):
            assert any(r.passed is True and r.kind == "behaviour" and word in r.modes for r in results), word


@pytest.mark.parametrize("profile", PROFILES)
def test_matrix_k2(profile: str) -> None:
    _check(profile, 2)


@pytest.mark.slow
@pytest.mark.parametrize("profile", PROFILES)
def test_matrix_k3(profile: str) -> None:
    _check(profile, 3)
