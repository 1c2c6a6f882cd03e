"""The conformance matrix on the example driver, through the same `Matrix` API
`wlanctl conformance --driver example` runs."""

from __future__ import annotations

import pytest

from net80211.conformance import Matrix

# Behaviour cells of these modes need a station to authenticate and associate,
# which net80211 does not do yet (a STA stops in AUTH, on hwsim as well).
NEEDS_ASSOCIATION = {"sta", "hostap"}


@pytest.fixture(scope="module")
def results():
    return Matrix("example").run()


def test_the_matrix_covers_every_mix(results):
    kinds = {r.kind for r in results}
    assert {"verdict", "lifecycle", "behaviour"} <= kinds
    assert not [r for r in results if r.passed is None], "cells not covered"
    # two hardware ports plus monitors, up to 3 vaps: 34 mixes of sta/hostap/ibss/monitor
    assert len({r.mix for r in results}) == 34


def test_every_verdict_and_lifecycle_cell_passes(results):
    failed = [f"{r.mix} {r.kind}: {r.reason}" for r in results
              if r.kind != "behaviour" and not r.passed]
    assert not failed, "\n".join(failed)


def test_behaviour_cells_pass_where_net80211_implements_the_protocol(results):
    cells = [r for r in results if r.kind == "behaviour" and not set(r.modes) & NEEDS_ASSOCIATION]
    assert cells
    failed = [f"{r.mix}: {r.reason}" for r in cells if not r.passed]
    assert not failed, "\n".join(failed)


def test_the_whole_matrix_passes(results):
    assert all(r.passed for r in results)
