"""The matrix's rows: which mixes and creation orders exist."""

from __future__ import annotations

from math import comb

import pytest

from ic import Caps
from net80211.conformance import Matrix, Mix, enumerate_mixes, mode_words


def test_mode_words_follow_caps_and_tdma_needs_its_capability() -> None:
    assert mode_words(Caps.STA | Caps.MONITOR) == ["sta", "monitor"]
    assert "tdma" not in mode_words(Caps.AHDEMO)
    assert mode_words(Caps.AHDEMO | Caps.TDMA) == ["ahdemo", "tdma"]
    assert mode_words(Caps.P2P_DEVICE | Caps.HOSTAP) == ["hostap", "p2p-device"]


@pytest.mark.parametrize("n,k", [(1, 3), (3, 2), (5, 3), (9, 3)])
def test_every_multiset_up_to_k(n: int, k: int) -> None:
    words = mode_words(Caps.HOSTAP | Caps.MBSS | Caps.IBSS | Caps.AHDEMO | Caps.STA | Caps.WDS
                       | Caps.MONITOR | Caps.P2P_GO | Caps.P2P_CLIENT)[:n]
    mixes = enumerate_mixes(words, k)
    assert len(mixes) == sum(comb(n + i - 1, i) for i in range(1, k + 1))
    assert len({m.modes for m in mixes}) == len(mixes)
    assert all(list(m.modes) == sorted(m.modes, key=words.index) for m in mixes)


def test_orders_are_distinct_permutations_rank_order_first() -> None:
    assert Mix(("hostap", "sta", "sta")).orders() == [(0, 1, 2), (1, 0, 2), (1, 2, 0)]
    assert Mix(("sta", "sta")).orders() == [(0, 1)]
    assert len(Mix(("hostap", "sta", "wds")).orders()) == 6


def test_channel_plans_are_canonical_per_mode() -> None:
    mixes = enumerate_mixes(["hostap", "sta"], 2, [1, 6])
    labels = [m.label for m in mixes]
    # sta+sta on (1,6) and (6,1) is the same mix; hostap+sta on (1,6) and (6,1) are not.
    assert "sta+sta@1,6" in labels and "sta+sta@6,1" not in labels
    assert "hostap+sta@1,6" in labels and "hostap+sta@6,1" in labels
    assert len(labels) == len(set(labels))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="max_vaps"):
        enumerate_mixes(["sta"], 0)
    with pytest.raises(OSError, match="no driver named 'nosuch'"):
        Matrix("nosuch")
    with pytest.raises(OSError, match="no profile 'nosuch'"):
        Matrix("hwsim:nosuch")
    with pytest.raises(ValueError, match="unknown cell kinds"):
        Matrix("hwsim:single", kinds=("verdict", "bogus"))


def test_refused_mixes_get_only_a_verdict_cell() -> None:
    m = Matrix("hwsim:single", max_vaps=2)
    kinds = {}
    for spec in m.cells():
        kinds.setdefault(spec.mix.label, []).append(spec.kind)
    assert kinds["sta"] == ["verdict", "behaviour", "lifecycle"]
    assert kinds["sta+monitor"] == ["verdict"]  # one vap at a time


def test_ath_ibss_is_allowed_only_first() -> None:
    m = Matrix("hwsim:ath", max_vaps=2)
    mix = next(x for x in m.mixes if x.modes == ("ibss", "sta"))
    assert m.allowed_order(mix) == (0, 1)
    assert m.run_cell(next(c for c in m.cells() if c.mix == mix and c.kind == "verdict")).expected \
        == "allowed in 1 of 2 orders"
