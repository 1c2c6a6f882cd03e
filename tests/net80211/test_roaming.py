"""Mobility and roaming in a scenario: a station walking across three APs of
one ESS associates three times, its data keeps flowing through the bridge,
and the run's JSON reports each handover and its gap.  `roaming manual`
stays with the first AP until the link is lost."""

from __future__ import annotations

import errno
import math
from pathlib import Path

import pytest

from net80211.modes.roam import configure_roaming
from net80211.scenario import ScenarioError, load_scenario, loads_scenario, run_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roaming.toml"


@pytest.fixture(scope="module")
def walk():
    return run_scenario(load_scenario(EXAMPLE))


def _vap(r, name):
    return next(v for v in r["vaps"] if v["name"] == name)


def test_walk_across_three_aps_roams_twice(walk):
    aps = {_vap(walk, f"bss{i}")["macaddr"]: i for i in range(3)}
    ro = _vap(walk, "sta0")["roaming"]
    # Three associations, one with each AP, in the order of the walk.
    assert [aps[a["bssid"]] for a in ro["associations"]] == [0, 1, 2]
    assert ro["roams"] == 2 and ro["background_scans"] >= 2
    hs = ro["handovers"]
    assert [(aps[h["from"]], aps[h["to"]], h["reason"]) for h in hs] == [(0, 1, "roam"), (1, 2, "roam")]
    # The handover (leaving one AP to running with the next) takes an
    # authentication and a reassociation: milliseconds of virtual time.
    assert all(0 < h["gap_ms"] < 100 for h in hs), hs
    assert ro["max_gap_ms"] == max(h["gap_ms"] for h in hs)
    # The station told each AP it left: only the last one still has it.
    sta = _vap(walk, "sta0")["macaddr"]
    assert [_vap(walk, f"bss{i}")["stations"] for i in range(3)] == [[], [], [sta]]
    # Each handover happened where the walk brought the station near the next AP.
    moves = walk["mobility"][0]
    assert moves["radio"] == "walker" and moves["done"] and moves["position"] == [165.0, 5.0, 0.0]
    xs = [5 + 4.0 * (h["at_s"] - 2.0) for h in hs]
    assert 60 < xs[0] < 100 and 140 < xs[1] < 165, xs


def test_data_keeps_flowing_through_the_handovers(walk):
    up, down = walk["traffic"]
    assert up["from"] == "sta0" and up["to"] == "ds" and down["to"] == "sta0"
    for f in (up, down):
        assert f["sent"] == 800 and f["received"] >= 0.97 * f["sent"], f
        # 20 datagrams a second: never more than a few in a row missing.
        assert f["max_gap_ms"] < 400, f
    br = walk["bridges"][0]
    assert br["name"] == "ds" and br["moves"] >= 2  # the station's address followed it from AP to AP


def test_same_seed_same_walk(walk):
    again = run_scenario(load_scenario(EXAMPLE))
    assert _vap(again, "sta0")["roaming"] == _vap(walk, "sta0")["roaming"]
    assert again["traffic"] == walk["traffic"] and again["medium"] == walk["medium"]


def _variant(**sta_keys) -> str:
    text = EXAMPLE.read_text()
    extra = "".join(f"{k} = {v}\n" for k, v in sta_keys.items())
    return text.replace('radio = "walker"\nmode = "sta"\n', f'radio = "walker"\nmode = "sta"\n{extra}', 1)


def test_roaming_manual_stays_until_the_link_is_lost():
    r = run_scenario(loads_scenario(_variant(roaming='"manual"'), file="manual.toml"))
    ro = _vap(r, "sta0")["roaming"]
    assert ro["mode"] == "manual" and ro["roams"] == 0 and ro["background_scans"] == 0
    # It hangs on to the first AP far beyond the roaming threshold; only a
    # beacon miss sends it on, with a gap of a full scan and more.
    first_change = ro["handovers"][0]
    assert first_change["reason"] == "lost" and first_change["gap_ms"] > 500
    x = 5 + 4.0 * (first_change["at_s"] - 2.0)
    assert x > 100, x


def test_a_higher_threshold_roams_earlier(walk):
    r = run_scenario(loads_scenario(_variant(roam_rssi=-70), file="eager.toml"))
    ro = _vap(r, "sta0")["roaming"]
    assert ro["rssi_dbm"] == -70 and len(ro["associations"]) == 3
    assert ro["handovers"][0]["at_s"] < _vap(walk, "sta0")["roaming"]["handovers"][0]["at_s"] - 2


@pytest.mark.parametrize("key, value, text", [
    ("roaming", '"sometimes"', "vaps[3].roaming: must be"),
    ("roam_rssi", "20", "vaps[3].roam_rssi: must be a finite number"),
])
def test_bad_roaming_keys_name_the_key(key, value, text):
    with pytest.raises(ScenarioError) as e:
        loads_scenario(_variant(**{key: value}), file="bad.toml")
    assert text in str(e.value) and e.value.errno == errno.EINVAL


def test_roaming_is_a_station_setting():
    text = EXAMPLE.read_text().replace('ssid = "campus"\nchannel = 1\n',
                                       'ssid = "campus"\nchannel = 1\nroaming = "auto"\n', 1)
    with pytest.raises(ScenarioError, match=r"vaps\[0\].roaming: roaming is a station's"):
        loads_scenario(text, file="ap.toml")


def test_configure_roaming_checks_its_arguments():
    from ic import Scheduler
    from net80211.driver import open_driver
    d = open_driver("hwsim", Scheduler(), radios=1)
    sta = d.devices[0].create_vap("wlan0", "sta")
    ap = d.devices[0].create_vap("wlan1", "hostap", ssid="x")
    configure_roaming(sta, mode="manual", rssi_dbm=-75, rate_mbps=12)
    assert (sta.sta.roam.mode, sta.sta.roam.rssi_dbm, sta.sta.roam.rate_500k) == ("manual", -75.0, 24)
    for kw in ({"mode": "never"}, {"rssi_dbm": 5.0}, {"rate_mbps": -1.0}):
        with pytest.raises(OSError) as e:
            configure_roaming(sta, **kw)
        assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError, match="wlan1: roaming is a station's"):
        configure_roaming(ap, mode="auto")
    d.close()


RWP = """
[scenario]
seconds = 20
seed = SEED
[medium]
model = "log_distance"
[radios]
names = ["a", "b0", "b1"]
positions = [[0, 0], [10, 0], [20, 0]]
[[mobility]]
repeat = 2
radio = "b{i}"
model = "random_waypoint"
area = [50, 30]
origin = [-10, -5]
speed = [1, 3]
pause = 0.5
[[mobility]]
radio = "a"
model = "waypoints"
waypoints = [[0, 10], [10, 10]]
loop = true
speed = 5
step = 0.05
"""


def _rwp(seed: int):
    return run_scenario(loads_scenario(RWP.replace("SEED", str(seed)), file="rwp.toml"))


def test_random_waypoint_stays_in_its_area_and_follows_the_seed():
    r = _rwp(1)
    moves = {m["radio"]: m for m in r["mobility"]}
    for name in ("b0", "b1"):
        m = moves[name]
        x, y, _ = m["position"]
        assert -10 <= x <= 40 and -5 <= y <= 25 and m["legs"] >= 2 and m["distance_m"] > 10
        # at most 3 m/s over 20 s
        assert m["distance_m"] <= 3.0 * 20 + 1e-6
    assert moves["b0"]["position"] != moves["b1"]["position"]
    # the waypoint walker loops: (0,0) -> (0,10) -> (10,10) -> (0,10) ... at 5 m/s
    a = moves["a"]
    assert math.isclose(a["distance_m"], 5.0 * 20, rel_tol=0.01) and a["legs"] >= 10
    assert _rwp(1)["mobility"] == r["mobility"]
    assert _rwp(2)["mobility"] != r["mobility"]
    ends = {x["name"]: x["position_end"] for x in r["radios"]}
    end, moved_to = ends["b0"], moves["b0"]["position"]
    assert all(math.isclose(u, v, abs_tol=1e-3) for u, v in zip(end, moved_to, strict=True))


@pytest.mark.parametrize("entry, text", [
    ('radio = "zz"\nmodel = "waypoints"\nwaypoints = [[1, 1]]\nspeed = 1', "mobility[0].radio: no radio"),
    ('radio = "a"\nmodel = "teleport"\nspeed = 1', "mobility[0].model: unknown mobility model"),
    ('radio = "a"\nmodel = "waypoints"\nwaypoints = []\nspeed = 1', "mobility[0].waypoints: must hold"),
    ('radio = "a"\nmodel = "waypoints"\nwaypoints = [[1, 1]]\nspeed = 0', "mobility[0].speed: must be > 0"),
    ('radio = "a"\nmodel = "waypoints"\nwaypoints = [[1, 1]]\nspeed = [3, 1]', "mobility[0].speed"),
    ('radio = "a"\nmodel = "random_waypoint"\nspeed = 1\narea = [0, 5]', "mobility[0].area"),
    ('radio = "a"\nmodel = "waypoints"\nwaypoints = [[1, 1]]', "mobility[0]: missing key 'speed'"),
    ('radio = "a"\nmodel = "waypoints"\nwaypoints = [[1, 1]]\nspeed = 1\nstep = 0', "mobility[0].step"),
])
def test_bad_mobility_names_the_key(entry, text):
    base = '[radios]\nnames = ["a"]\n[[mobility]]\n'
    with pytest.raises(ScenarioError) as e:
        loads_scenario(base + entry + "\n", file="m.toml")
    assert text in str(e.value) and e.value.errno == errno.EINVAL


@pytest.mark.parametrize("entry, text", [
    ('name = "ds"\nvaps = ["nope"]', "bridges[0].vaps: no vap named 'nope'"),
    ('name = "ap0"\nvaps = ["ap0"]', "bridges[0].name: 'ap0' is already"),
    ('name = "ds"\nvaps = ["ap0"]\nmac = "01:00:5e:00:00:01"', "bridges[0].mac: 01:00:5e:00:00:01 is a"),
    ('name = "ds"\nvaps = ["ap0"]\nip = "10.0.0.1"', "bridges[0].ip: address 10.0.0.1 is also ap0's"),
])
def test_bad_bridge_names_the_key(entry, text):
    base = ('[radios]\nnames = ["a"]\n[[vaps]]\nname = "ap0"\nradio = "a"\nmode = "hostap"\nssid = "x"\n'
            '[[bridges]]\n')
    with pytest.raises(ScenarioError) as e:
        loads_scenario(base + entry + "\n", file="b.toml")
    assert text in str(e.value) and e.value.errno == errno.EINVAL


def test_a_bridged_vap_is_not_a_traffic_endpoint():
    text = EXAMPLE.read_text().replace('from = "sta0"\nto = "ds"', 'from = "sta0"\nto = "bss1"', 1)
    with pytest.raises(ScenarioError, match=r"traffic\[0\].to: vap 'bss1' is a port of bridge 'ds'"):
        loads_scenario(text, file="t.toml")


def test_the_rate_threshold_triggers_roaming_too(walk):
    """roam:rate above every rate the station uses (30 Mb/s > 24): it keeps
    looking, and moves as soon as the next AP is 3 dB stronger -- past the
    midpoints (x = 40 and 120), long before the signal threshold would."""
    r = run_scenario(loads_scenario(_variant(roam_rate=30), file="rate.toml"))
    ro = _vap(r, "sta0")["roaming"]
    assert ro["rate_mbps"] == 30 and ro["roams"] == 2 and ro["background_scans"] > 5
    xs = [5 + 4.0 * (h["at_s"] - 2.0) for h in ro["handovers"]]
    assert 40 < xs[0] < 60 and 120 < xs[1] < 140, xs


def test_the_text_summary_says_what_it_counts(walk):
    from net80211.scenario import format_text
    text = format_text(walk)
    sta_block = text[text.index("  sta0 "):text.index("bridge ds")]
    assert "data in " in sta_block and "roaming auto: 3 associations" in sta_block
    assert "(roam)" in sta_block and "ms (roam)" in sta_block
    assert "bridge ds (bss0, bss1, bss2): 10.0.0.100" in text
    assert "mobility walker (waypoints): 1 legs, 160.0 m" in text
