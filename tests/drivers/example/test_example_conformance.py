"""The conformance matrix on the example driver, through the same `Matrix` API
`wlanctl conformance --driver example` runs: every cell runs every check
(the example shows its hardware state in describe() and has a medium-wide
capture), on one channel and on two."""

from __future__ import annotations

import pytest

from net80211.conformance import Matrix


@pytest.fixture(scope="module")
def results():
    return Matrix("example").run()


def test_the_matrix_covers_every_mix(results):
    kinds = {r.kind for r in results}
    assert {"verdict", "lifecycle", "behaviour"} <= kinds
    assert not [r for r in results if r.passed is None], "cells not covered"
    # two hardware ports plus monitors, up to 3 vaps: 34 mixes of sta/hostap/ibss/monitor
    assert len({r.mix for r in results}) == 34
    assert len(results) == 70


def test_the_whole_matrix_passes(results):
    failed = [f"{r.mix} {r.kind}: {r.reason}" for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def test_the_matrix_on_two_channels_passes():
    # Every assignment of channels 1 and 6 to each mix's vaps: the policy
    # (one channel) refuses the mixed ones, the device agrees, and the rest run.
    results = Matrix("example", channels=[1, 6]).run()
    failed = [f"{r.mix} {r.kind}: {r.reason}" for r in results if r.passed is not True]
    assert not failed, "\n".join(failed)
    refused = [r for r in results if r.kind == "verdict" and r.expected == "refused"]
    assert any(r.mix == "hostap+monitor@1,6" for r in refused)  # a monitor cannot hold a second channel
    assert len(results) == 306
