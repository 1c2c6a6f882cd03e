"""A vap's RTS threshold in a world of hidden stations (examples/hidden_node.toml): the
frames of two stations that hear the AP but not each other collide at the AP, unless
frames above the threshold go after an RTS/CTS exchange, whose CTS the hidden one hears."""

from __future__ import annotations

import copy
import pathlib
import tomllib

import pytest

from ic import InvalidArgument
from ic.vapparams import check_vap_params
from net80211.scenario import run_scenario, scenario_from_dict

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "hidden_node.toml"


def _run(rts: bool) -> dict:
    data = tomllib.loads(EXAMPLE.read_text())
    data = copy.deepcopy(data)
    for v in data["vaps"]:
        if not rts:
            v.pop("rtsthreshold", None)
    for t in data["traffic"]:
        t["duration"] = 1.0
    data["scenario"]["seconds"] = 3
    return run_scenario(scenario_from_dict(data))


def test_rts_cts_rescues_hidden_stations():
    plain, rts = _run(False), _run(True)
    assert plain["medium"]["rts"] == 0 and rts["medium"]["rts"] > 0 and rts["medium"]["navs"] > 0
    for p, r in zip(plain["traffic"], rts["traffic"], strict=True):
        assert p["sent"] == r["sent"] == 800
        assert p["loss_pct"] > 40, p  # the hidden stations' frames meet at the AP
        assert r["loss_pct"] < 15, r
        assert r["received"] > 2 * p["received"]
    assert rts["medium"]["collided"] < plain["medium"]["collided"] / 2


def test_rtsthreshold_is_checked():
    class Dev:  # check_vap_params looks channels up on the device only
        pass

    assert check_vap_params(Dev(), "wlan0", {"rtsthreshold": 1})["rtsthreshold"] == 1  # type: ignore[arg-type]
    for bad in (0, 2347, True, "500"):
        with pytest.raises(InvalidArgument, match="rtsthreshold must be 1..2346"):
            check_vap_params(Dev(), "wlan0", {"rtsthreshold": bad})  # type: ignore[arg-type]
