"""Scenarios: the loader's errors, the world the runner builds, determinism,
the summary's keys, the demo and the command line."""

from __future__ import annotations

import errno
import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from net80211.scenario import (
    ScenarioError,
    ScenarioRun,
    cli_main,
    loads_scenario,
    run_scenario,
    scenario_from_dict,
)
from net80211.scenario.runner import RUN_GC_THRESHOLD
from net80211.scenario.summary import format_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

BASE = """\
[scenario]
seconds = 2

[radios]
names = ["r0", "r1"]

[[vaps]]
name = "ap0"
radio = "r0"
mode = "hostap"
ssid = "t"
channel = 1

[[vaps]]
name = "sta0"
radio = "r1"
mode = "sta"
ssid = "t"
"""


def bad(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as ei:
        loads_scenario(text, file="s.toml")
    return ei.value


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# -- loader errors ---------------------------------------------------------------------
def test_good_base_loads() -> None:
    sc = loads_scenario(BASE)
    assert [r.name for r in sc.radios] == ["r0", "r1"]
    assert [(v.name, v.radio, v.mode) for v in sc.vaps] == [("ap0", "r0", "hostap"), ("sta0", "r1", "sta")]
    assert sc.seconds == 2 and sc.seed == 0 and sc.model is None


def test_bad_mode_names_key_and_line() -> None:
    text = BASE.replace('mode = "sta"', 'mode = "flying"')
    e = bad(text)
    assert e.errno == errno.EINVAL
    assert (e.file, e.line, e.key) == ("s.toml", line_of(text, "flying"), "vaps[1].mode")
    assert "flying" in str(e) and str(e).startswith(f"s.toml:{e.line}: vaps[1].mode:")


def test_unknown_radio() -> None:
    text = BASE.replace('radio = "r1"', 'radio = "r7"')
    e = bad(text)
    assert e.errno == errno.EINVAL and e.key == "vaps[1].radio" and e.line == line_of(text, '"r7"')
    assert "no radio named 'r7'" in e.strerror
    e = bad(BASE.replace('radio = "r1"', "radio = 5"))
    assert e.key == "vaps[1].radio" and "no radio number 5" in e.strerror


def test_unknown_keys_everywhere() -> None:
    text = BASE.replace('ssid = "t"\nchannel', 'sssid = "t"\nchannel')
    e = bad(text)
    assert e.key == "vaps[0].sssid" and e.line == line_of(text, "sssid")
    assert "unknown key 'sssid'" in e.strerror
    e = bad(BASE + "\n[bogus]\nx = 1\n")
    assert e.key == "bogus" and e.line == line_of(BASE + "\n[bogus]\n", "[bogus]")
    e = bad(BASE.replace("seconds = 2", "seconds = 2\nsecs = 3"))
    assert e.key == "scenario.secs" and e.line == 3
    e = bad(BASE.replace('names = ["r0", "r1"]', 'names = ["r0", "r1"]\ncolour = "red"'))
    assert e.key == "radios.colour"


def test_type_and_value_errors() -> None:
    e = bad(BASE.replace("seconds = 2", 'seconds = "two"'))
    assert e.key == "scenario.seconds" and "must be a number" in e.strerror
    e = bad(BASE.replace("seconds = 2", "seconds = 0"))
    assert e.key == "scenario.seconds" and "> 0" in e.strerror
    e = bad(BASE.replace("channel = 1", "channel = true"))
    assert e.key == "vaps[0].channel"
    e = bad(BASE.replace('ssid = "t"\nchannel', 'ssid = "t"\nflags = ["loud"]\nchannel'))
    assert e.key == "vaps[0].flags" and "loud" in e.strerror
    e = bad(BASE + '\n[[vaps]]\nname = "ap0"\nradio = "r1"\nmode = "monitor"\n')
    assert e.key == "vaps[2].name" and "used twice" in e.strerror
    e = bad(BASE + '\n[[vaps]]\nname = "w"\nradio = "r1"\nmode = "wds"\n')
    assert e.key == "vaps[2].wlanbssid"


def test_toml_syntax_error_has_line() -> None:
    e = bad(BASE + "\n[[vaps]\n")
    assert e.errno == errno.EINVAL and e.line == len((BASE + "\n").splitlines()) + 1
    assert "not valid TOML" in e.strerror


def test_missing_sections() -> None:
    e = bad("[scenario]\nseconds = 1\n")
    assert e.key == "radios" and "needs radios" in e.strerror
    e = bad(BASE.replace('mode = "sta"\n', ""))
    assert e.key == "vaps[1]" and "missing key 'mode'" in e.strerror and e.line == line_of(BASE, "sta0") - 1


def test_traffic_errors() -> None:
    ping = '\n[[traffic]]\ntype = "ping"\nfrom = "sta0"\nto = "ap0"\n'
    assert loads_scenario(BASE + ping).traffic[0].count == 5
    e = bad(BASE + ping.replace('to = "ap0"', 'to = "nobody"'))
    assert e.key == "traffic[0].to" and "nobody" in e.strerror
    e = bad(BASE + ping.replace('"ping"', '"tcp"'))
    assert e.key == "traffic[0].type"
    e = bad(BASE + ping.replace('"ping"', '"udp"'))
    assert e.key == "traffic[0]" and "missing key 'rate'" in e.strerror
    mon = '\n[[vaps]]\nname = "mon"\nradio = "r1"\nmode = "monitor"\n'
    e = bad(BASE + mon + ping.replace('to = "ap0"', 'to = "mon"'))
    assert e.key == "traffic[0].to" and "no netdev" in e.strerror
    e = bad(BASE + '\n[[captures]]\nvap = "ap0"\nfile = "x.pcap"\n')
    assert e.key == "captures[0].vap" and "monitor" in e.strerror
    e = bad(BASE + '\n[[captures]]\nfile = "x.pcap"\n')
    assert e.key == "captures[0]"


def test_medium_errors_and_models() -> None:
    e = bad(BASE + '\n[medium]\nmodel = "ether"\n')
    assert e.key == "medium.model" and "ether" in e.strerror
    e = bad(BASE + '\n[medium]\nmodel = "log_distance"\nparams = { gamma = 2 }\n')
    assert e.key == "medium.params.gamma"
    e = bad(BASE + '\n[medium]\nfading = 3\n')
    assert e.key == "medium.fading"  # physical parameters need a modeled medium
    sc = loads_scenario(BASE + '\n[medium]\nmodel = "log_distance"\nseed = 9\nparams = { exponent = 3 }\n')
    assert sc.model == {"kind": "path_loss", "path_loss": "log_distance", "params": {"exponent": 3.0}}
    assert sc.medium_seed == 9
    sc = loads_scenario(BASE + '\n[medium]\nmodel = "prob"\nlinks = [{ a = "r1", b = "r0", loss = 0.5 }]\n')
    assert sc.model["links"] == {(1, 0): 0.5}
    e = bad(BASE + '\n[medium]\nmodel = "prob"\nlinks = [{ a = "r1", b = "r0", loss = 1.5 }]\n')
    assert e.key == "medium.links[0].loss"


def test_placements_and_templates() -> None:
    text = """
[radios]
count = 9
name = "n{i}"
placement = "random"
area = [50, 20]
[[vaps]]
repeat = 9
name = "w{i}"
radio = "n{i}"
mode = "sta"
ssid = "net{i%3}"
"""
    a = loads_scenario(text, seed=1)
    assert [v.config["ssid"] for v in a.vaps] == ["net0", "net1", "net2"] * 3
    assert [v.radio for v in a.vaps] == [f"n{i}" for i in range(9)]
    assert all(0 <= r.position[0] <= 50 and 0 <= r.position[1] <= 20 for r in a.radios)
    assert [r.position for r in loads_scenario(text, seed=1).radios] == [r.position for r in a.radios]
    assert [r.position for r in loads_scenario(text, seed=2).radios] != [r.position for r in a.radios]
    grid = loads_scenario(text.replace('"random"', '"grid"'))
    assert sorted({r.position[0] for r in grid.radios}) == pytest.approx([50 / 6, 25, 250 / 6])
    e = bad(text.replace("area = [50, 20]\n", ""))
    assert e.key == "radios.area"
    e = bad(text.replace('"random"', '"spiral"'))
    assert e.key == "radios.placement"
    # explicit positions must match the count
    e = bad('[radios]\ncount = 2\npositions = [[0, 0]]\n')
    assert e.key == "radios.positions" and "1 positions for 2 radios" in e.strerror


def test_addresses_are_assigned_and_unique() -> None:
    sc = loads_scenario(BASE)
    assert [v.ip for v in sc.vaps] == [bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])]
    e = bad(BASE.replace('ssid = "t"\nchannel', 'ip = "10.0.0.2"\nssid = "t"\nchannel')
            .replace('mode = "sta"', 'mode = "sta"\nip = "10.0.0.2"'))
    assert e.key == "vaps[1].ip" and "ap0" in e.strerror


# -- building: device refusals carry their errno and location; nothing is left ----------
def test_build_refusals_keep_errno_and_location() -> None:
    text = BASE.replace("channel = 1", "channel = 99")
    with pytest.raises(ScenarioError) as ei:
        run_scenario(loads_scenario(text, file="s.toml"))
    assert ei.value.errno == errno.EINVAL and ei.value.key == "vaps[0]"
    assert ei.value.line == line_of(text, "[[vaps]]")
    # the "single" profile allows one vap: a second one is refused by the policy (EBUSY)
    text = BASE.replace('names = ["r0", "r1"]', 'names = ["r0", "r1"]\nprofile = "single"') \
        + '\n[[vaps]]\nname = "sta9"\nradio = "r1"\nmode = "sta"\n'
    run = ScenarioRun(loads_scenario(text, file="s.toml"))
    with pytest.raises(ScenarioError) as ei:
        run.build()
    assert ei.value.key is not None and ei.value.errno in (errno.EBUSY, errno.EOPNOTSUPP)
    assert run.driver is not None and run.driver.devices == []  # everything torn down


def test_the_collector_rests_while_building_and_collects_seldom_while_running() -> None:
    before, enabled = gc.get_threshold(), gc.isenabled()
    assert enabled  # pytest's own state: the checks below would prove nothing otherwise
    run = ScenarioRun(loads_scenario(BASE, file="s.toml"))
    seen: list[object] = []
    build = run._build
    run._build = lambda: (seen.append(gc.isenabled()), build())  # type: ignore[method-assign]
    run.build()
    run.sched.call_later(1, lambda: seen.append(gc.get_threshold()[0]))
    run.run()
    assert seen == [False, RUN_GC_THRESHOLD]
    assert gc.get_threshold() == before and gc.isenabled()
    # a build that fails gives the collector back too
    text = BASE.replace('names = ["r0", "r1"]', 'names = ["r0", "r1"]\nprofile = "single"') \
        + '\n[[vaps]]\nname = "sta9"\nradio = "r1"\nmode = "sta"\n'
    with pytest.raises(ScenarioError):
        ScenarioRun(loads_scenario(text, file="s.toml")).build()
    assert gc.isenabled()


def test_bad_profile_is_located() -> None:
    text = BASE.replace('names = ["r0", "r1"]', 'names = ["r0", "r1"]\nprofile = "nokia"')
    with pytest.raises(ScenarioError) as ei:
        run_scenario(loads_scenario(text))
    assert ei.value.errno == errno.EINVAL and ei.value.key == "radios" and "nokia" in ei.value.strerror


def test_unknown_driver_is_enxio() -> None:
    with pytest.raises(ScenarioError) as ei:
        run_scenario(loads_scenario(BASE.replace("seconds = 2", 'seconds = 2\ndriver = "nosuch"')))
    assert ei.value.errno == errno.ENXIO and ei.value.key == "scenario.driver"


# -- running -------------------------------------------------------------------------------
REQUIRED = {"virtual_s", "wall_s", "seed", "vaps", "traffic", "medium"}
VAP_KEYS = {"name", "radio", "mode", "state", "bssid", "ssid", "channel"}


def _strip_wall(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "wall_s"}


def test_json_keys_and_types() -> None:
    r = run_scenario(loads_scenario(BASE))
    assert REQUIRED <= set(r)
    assert r["virtual_s"] == 2.0 and isinstance(r["wall_s"], float) and r["seed"] == 0
    for v in r["vaps"]:
        assert VAP_KEYS <= set(v)
        assert ("stations" in v) or ("bss" in v)
    assert r["medium"]["frames"] > 0  # the AP beaconed at least
    json.dumps(r)
    assert "scenario" in format_text(r)


def test_same_seed_same_run(tmp_path) -> None:
    text = (EXAMPLES / "modeled.toml").read_text()
    runs = [run_scenario(loads_scenario(text, seed=5), seconds=2, outdir=tmp_path) for _ in range(2)]
    a, b = (json.dumps(_strip_wall(r), sort_keys=True) for r in runs)
    assert a == b
    other = run_scenario(loads_scenario(text, seed=6), seconds=2, outdir=tmp_path)
    assert other["seed"] == 6 and other["radios"] != runs[0]["radios"]  # random placement moved


def test_demo_associates_pings_and_captures(tmp_path) -> None:
    r = run_scenario(loads_scenario((EXAMPLES / "demo.toml").read_text(), file="demo.toml"), outdir=tmp_path)
    vaps = {v["name"]: v for v in r["vaps"]}
    assert {v["state"] for v in vaps.values()} == {"RUN"}
    ap = vaps["ap0"]
    assert sorted(ap["stations"]) == sorted([vaps["sta1"]["macaddr"], vaps["sta2"]["macaddr"]])
    for s in ("sta1", "sta2"):
        assert vaps[s]["bssid"] == ap["bssid"] and vaps[s]["bss"]["ssid"] == "demo"
    for t in r["traffic"]:
        assert t["type"] == "ping" and t["received"] == t["sent"] == t["count"] and t["loss_pct"] == 0.0
        assert 0 < t["rtt_min_ms"] <= t["rtt_avg_ms"] <= t["rtt_max_ms"] < 100
    cap = r["captures"][0]
    assert Path(cap["path"]) == tmp_path / "build" / "demo.pcap"
    kinds = cap["frames"]["kinds"]
    for k in ("beacon", "probe_req", "probe_resp", "auth", "assoc_req", "assoc_resp"):
        assert kinds.get(k, 0) > 0, k
    # station to station goes through the AP: 4 frames per echo; AP to station 2
    assert kinds.get("data", 0) + kinds.get("qos_data", 0) >= 5 * 4 + 3 * 2


@pytest.mark.parametrize("medium", ["perfect", "log_distance"])
def test_udp_flow_counts(medium: str, tmp_path) -> None:
    text = BASE + f'\n[medium]\nmodel = "{medium}"\n' + (
        '\n[[traffic]]\ntype = "udp"\nfrom = "sta0"\nto = "ap0"\nrate = 50\nsize = 200\n'
        'duration = 0.5\nstart = 2.0\n')
    r = run_scenario(loads_scenario(text), outdir=tmp_path, seconds=3)
    t = r["traffic"][0]
    assert t["sent"] == 25 and t["received"] == 25 and t["lost"] == 0 and t["port"] == 5001
    assert t["goodput_kbps"] == pytest.approx(25 * 200 * 8 / 0.5 / 1000)
    if medium == "perfect":  # mac80211_hwsim without a medium: delivery takes no time
        assert t["latency_max_ms"] == 0.0
    else:  # at least the airtime of ~270 bytes at hwsim's first data rate (24 Mb/s: 112 us)
        assert 0.11 <= t["latency_min_ms"] <= t["latency_avg_ms"] <= t["latency_max_ms"] < 50


def test_events_take_a_vap_down(tmp_path) -> None:
    text = BASE + '\n[[events]]\nat = 1.5\nvap = "ap0"\naction = "down"\n'
    r = run_scenario(loads_scenario(text), seconds=1.6)
    assert {v["name"]: v["state"] for v in r["vaps"]}["ap0"] == "INIT"


# -- command line ------------------------------------------------------------------------------
def test_cli_json_and_text(tmp_path, capsys) -> None:
    f = tmp_path / "s.toml"
    f.write_text(BASE)
    assert cli_main([str(f), "--json", "--seconds", "1", "--seed", "3"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["virtual_s"] == 1.0 and r["seed"] == 3 and REQUIRED <= set(r)
    assert cli_main([str(f)]) == 0
    assert "ap0" in capsys.readouterr().out


def test_cli_exit_codes(tmp_path, capsys) -> None:
    f = tmp_path / "s.toml"
    f.write_text(BASE.replace('"sta"', '"flying"'))
    assert cli_main([str(f)]) == errno.EINVAL
    err = capsys.readouterr().err
    line = line_of(BASE, 'mode = "sta"')
    assert "vaps[1].mode" in err and "flying" in err and "(EINVAL)" in err and f"s.toml:{line}:" in err
    assert cli_main([str(tmp_path / "missing.toml")]) == errno.ENOENT
    assert "cannot read scenario" in capsys.readouterr().err
    assert cli_main([]) == errno.EINVAL  # usage
    assert cli_main([str(f), "--seconds", "0"]) == errno.EINVAL
    assert cli_main(["-h"]) == 0
    assert "--seconds" in capsys.readouterr().out


def test_python_m_entry_point(tmp_path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(BASE)
    p = subprocess.run([sys.executable, "-m", "net80211.scenario", str(f), "--json", "--seconds", "0.5"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["virtual_s"] == 0.5
    f.write_text("[radios]\ncount = -1\n")
    p = subprocess.run([sys.executable, "-m", "net80211.scenario", str(f)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert p.returncode == errno.EINVAL and "radios.count" in p.stderr


# -- the other examples ----------------------------------------------------------------------
def _example(name: str, tmp_path: Path, **kw) -> dict:
    return run_scenario(loads_scenario((EXAMPLES / name).read_text(), file=name), outdir=tmp_path, **kw)


def test_wds_example_carries_pings(tmp_path) -> None:
    r = _example("wds.toml", tmp_path)
    vaps = {v["name"]: v for v in r["vaps"]}
    assert vaps["wds0"]["peer"] == vaps["ap1"]["macaddr"] and vaps["wds1"]["peer"] == vaps["ap0"]["macaddr"]
    (t,) = r["traffic"]
    assert t["received"] == t["sent"] == 5 and vaps["wds1"]["host"]["echo_replies_sent"] == 5
    kinds = r["captures"][0]["frames"]["kinds"]
    assert kinds["data"] >= 10 and kinds["beacon"] > 0


def test_ibss_example_converges(tmp_path) -> None:
    r = _example("ibss.toml", tmp_path)
    adhoc = [v for v in r["vaps"] if v["mode"] == "ibss"]
    assert len({v["bssid"] for v in adhoc}) == 1 and {v["state"] for v in adhoc} == {"RUN"}
    assert all(len(v["stations"]) == 4 for v in adhoc)
    assert [t["received"] for t in r["traffic"]] == [t["sent"] for t in r["traffic"]] == [5, 5, 100]


@pytest.mark.parametrize("example", ["ibss.toml", "modeled.toml"])
def test_same_run_across_processes(example: str, tmp_path) -> None:
    """Determinism does not hang on hash randomisation or anything else of the process."""
    outs = []
    for hashseed in ("1", "2"):
        p = subprocess.run([sys.executable, "-m", "net80211.scenario", str(EXAMPLES / example), "--json",
                            "--seconds", "3", "--outdir", str(tmp_path / hashseed)],
                           capture_output=True, text=True, cwd=ROOT, timeout=300,
                           env={"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"})
        assert p.returncode == 0, p.stderr
        r = _strip_wall(json.loads(p.stdout))
        for c in r["captures"]:
            c.pop("path")
        outs.append(json.dumps(r, sort_keys=True))
    assert outs[0] == outs[1]


def test_multi_ap_example(tmp_path) -> None:
    r = _example("multi_ap.toml", tmp_path)
    vaps = {v["name"]: v for v in r["vaps"]}
    aps = [vaps[f"bss{i}"] for i in range(4)]
    assert len({a["bssid"] for a in aps}) == 4 and [a["channel"] for a in aps] == [1, 1, 1, 11]
    assert {a["radio"] for a in aps[:3]} == {"ap0"}
    for i in range(12):
        sta, ap = vaps[f"wlan{i}"], aps[i % 4]
        assert sta["state"] == "RUN" and sta["bssid"] == ap["bssid"] and sta["bss"]["ssid"] == f"net{i % 4}"
        assert sta["macaddr"] in ap["stations"]
    assert all(t["received"] == t["sent"] == 3 for t in r["traffic"])


def test_modeled_example_flows(tmp_path) -> None:
    r = _example("modeled.toml", tmp_path)
    assert {v["state"] for v in r["vaps"]} == {"RUN"}
    pings, (udp,) = r["traffic"][:2], r["traffic"][2:]
    assert all(t["received"] == t["sent"] == 10 for t in pings)
    assert udp["sent"] == 100 and udp["loss_pct"] < 5 and udp["goodput_kbps"] > 150
    cap = r["captures"][0]["frames"]
    # The medium capture holds every transmission and the ACK of each acknowledged one.
    assert cap["count"] == r["medium"]["frames"] + r["medium"]["acked"]
    assert cap["kinds"]["ack"] == r["medium"]["acked"] > 0


def test_start_jitter_is_seeded_per_vap() -> None:
    text = BASE.replace('mode = "sta"', 'mode = "sta"\nstart = 0.5\nstart_jitter = 0.25')
    a, b, c = (loads_scenario(text, seed=s).vaps[1].start_ns for s in (1, 1, 2))
    assert a == b != c and 500_000_000 <= a <= 750_000_000 and 500_000_000 <= c <= 750_000_000
    assert loads_scenario(text).vaps[0].start_ns == 0  # only where asked


def _clusters(seed: int) -> dict:
    """Three BSSes on channel 1, a kilometre apart, five stations around each."""
    radios, vaps = [], []
    for c in range(3):
        x = 1000.0 * c
        radios.append({"names": [f"ap{c}"], "position": [x, 0.0]})
        radios.append({"count": 5, "name": f"s{c}x{{i}}", "placement": "random", "area": [20, 20],
                       "origin": [x - 10, -10]})
        vaps.append({"name": f"wap{c}", "radio": f"ap{c}", "mode": "hostap", "ssid": f"net{c}", "channel": 1})
        vaps.append({"repeat": 5, "name": f"w{c}x{{i}}", "radio": f"s{c}x{{i}}", "mode": "sta",
                     "ssid": f"net{c}", "channel": 1})
    return {"scenario": {"name": "clusters", "seconds": 2, "seed": seed},
            "medium": {"model": "log_distance", "params": {"exponent": 3.5}},
            "radios": radios, "vaps": vaps}


def test_far_apart_bsses_share_no_links_and_all_associate() -> None:
    def run(seed: int) -> tuple[str, int]:
        r = ScenarioRun(scenario_from_dict(_clusters(seed)))
        r.build()
        links = r.driver.medium.num_links  # type: ignore[union-attr]
        return json.dumps(_strip_wall(r.run()), sort_keys=True), links

    a, links = run(3)
    # 1 km apart at exponent 3.5 a BSS is 40 dB under the noise floor of the
    # others: only the 6 x 5 links inside each cluster exist
    assert links == 3 * 6 * 5
    res = json.loads(a)
    stas = [v for v in res["vaps"] if v["mode"] == "sta"]
    assert len(stas) == 15 and all(v["state"] == "RUN" for v in stas)
    assert all(v["bss"]["ssid"] == "net" + v["name"][1] for v in stas)
    assert run(3)[0] == a  # same seed, same run
    assert run(4)[0] != a


def _pair(distance_m: float, medium: dict) -> dict:
    return {"scenario": {"name": "pair", "seconds": 2, "seed": 1},
            "medium": {"model": "log_distance", "params": {"exponent": 3.5}, **medium},
            "radios": [{"names": ["r0", "r1"], "positions": [[0.0, 0.0], [distance_m, 0.0]]}],
            "vaps": [{"name": "ap0", "radio": "r0", "mode": "hostap", "ssid": "t", "channel": 1},
                     {"name": "sta0", "radio": "r1", "mode": "sta", "ssid": "t", "channel": 1}]}


def test_link_floor_is_a_scenario_key() -> None:
    def links(medium: dict) -> tuple[int, float]:
        r = ScenarioRun(scenario_from_dict(_pair(150.0, medium)))
        r.build()
        med = r.driver.medium  # type: ignore[union-attr]
        try:
            return med.num_links, med.link_snr(med.ports[0], med.ports[1])
        finally:
            r.close()

    # 150 m at exponent 3.5: about -5 dB, under the noise but above the default floor
    n, snr = links({})
    assert -10.0 < snr < 0.0 and n == 2
    assert links({"link_floor_db": -6.0})[0] == 2
    assert links({"link_floor_db": -4.0})[0] == 0  # now below the floor: no link either way
    # the floor is the model's, and TOML says where a bad one is
    sc = loads_scenario(BASE + '\n[medium]\nmodel = "free_space"\nlink_floor_db = -20\n')
    assert sc.model["link_floor_db"] == -20.0
    e = bad(BASE + '\n[medium]\nmodel = "log_distance"\nlink_floor_db = 3\n')
    assert e.key == "medium.link_floor_db" and "0" in e.strerror
    e = bad(BASE + '\n[medium]\nmodel = "snr"\nlink_floor_db = -20\n')
    assert e.key == "medium.link_floor_db" and "path-loss" in e.strerror
    e = bad(BASE + '\n[medium]\nlink_floor_db = -20\n')
    assert e.key == "medium.link_floor_db"  # the perfect medium has no links to cut
