"""Issue #19 items 3 and 6 for scenarios: inputs that used to hang or trace
back are refused with EINVAL naming file, line and key before anything is
built; captures stay inside --outdir and never follow a symlink; a full disk
names the capture file.  The loader is fuzzed: it raises ScenarioError or
returns, nothing else."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest
from conftest import require_root
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.wlanctl import short_tmpdir

from net80211.scenario.cli import cli_main
from net80211.scenario.loader import loads_scenario, scenario_from_dict
from net80211.scenario.runner import run_scenario
from net80211.scenario.spec import (
    MAX_DEPTH,
    MAX_RADIOS,
    MAX_SECONDS,
    MAX_VAPS,
    ScenarioError,
)

BASE = """\
[scenario]
seconds = 1
[radios]
count = 2
[[vaps]]
name = "ap0"
radio = 0
mode = "hostap"
ssid = "x"
channel = 6
[[vaps]]
name = "sta0"
radio = 1
mode = "sta"
ssid = "x"
[[vaps]]
name = "mon0"
radio = 1
mode = "monitor"
channel = 6
"""


@pytest.fixture
def tmp():
    d = short_tmpdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _refused(text: str, key: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as e:
        loads_scenario(text, file="t.toml")
    assert e.value.errno == errno.EINVAL
    assert e.value.file == "t.toml" and e.value.line is not None, str(e.value)
    assert e.value.key == key, str(e.value)
    return e.value


@pytest.mark.parametrize(("extra", "key"), [
    ('[[traffic]]\ntype = "ping"\nfrom = "sta0"\nto = "ap0"\ninterval = 1e-12\ncount = 1000000000\n',
     "traffic[0].interval"),
    ('[[traffic]]\ntype = "udp"\nfrom = "sta0"\nto = "ap0"\nrate = 1e300\n', "traffic[0].rate"),
    ('[[traffic]]\ntype = "udp"\nfrom = "sta0"\nto = "ap0"\nrate = 1\nduration = 1e300\n',
     "traffic[0].duration"),
    ('[[traffic]]\ntype = "ping"\nfrom = "sta0"\nto = "ap0"\nstart = inf\n', "traffic[0].start"),
    ('[[events]]\nat = 1e300\nvap = "ap0"\naction = "down"\n', "events[0].at"),
    ('[[vaps]]\nrepeat = 1000000000\nname = "v{i}"\nradio = 0\nmode = "monitor"\n', "vaps[3].repeat"),
])
def test_refused_with_file_line_and_key(extra, key):
    _refused(BASE + extra, key)


def test_huge_numbers_in_the_head_and_radios():
    _refused(BASE.replace("seconds = 1", "seconds = 1e300"), "scenario.seconds")
    _refused(BASE.replace("count = 2", "count = 1000000000"), "radios.count")
    _refused(BASE.replace("count = 2", "count = 2\ntx_power_dbm = 9000000000000000000"),
             "radios.tx_power_dbm")
    _refused(BASE.replace("count = 2", f"count = {MAX_RADIOS + 1}"), "radios.count")


def test_tx_power_as_a_float_is_a_type_error():
    err = _refused(BASE.replace("count = 2", "count = 2\ntx_power_dbm = 1e20"), "radios.tx_power_dbm")
    assert "integer" in str(err)


def test_the_vap_limit_counts_every_group():
    text = BASE + f'[[vaps]]\nrepeat = {MAX_VAPS - 3}\nname = "m{{i}}"\nradio = 0\nmode = "monitor"\n'
    text += '[[vaps]]\nrepeat = 1\nname = "z{i}"\nradio = 0\nmode = "monitor"\n'
    _refused(text, "vaps[4].repeat")


def test_deep_nesting():
    with pytest.raises(ScenarioError) as e:
        loads_scenario("a = " + "[" * 5000 + "]" * 5000, file="t.toml")
    assert e.value.line == 1 and str(MAX_DEPTH) in str(e.value)
    with pytest.raises(ScenarioError):
        loads_scenario("a = " + "{b = " * 200 + "1" + "}" * 200, file="t.toml")
    # Brackets inside strings and comments do not count.
    loads_scenario(BASE + '# ' + "[" * 100 + '\n[[vaps]]\nname = "' + "[" * 100 + '"\nradio = 0\n'
                   'mode = "monitor"\n')


@pytest.mark.parametrize("seconds", ["inf", "1e300", "nan", "-1", "0"])
def test_cli_seconds_refused(tmp, capsys, seconds):
    f = os.path.join(tmp, "s.toml")
    with open(f, "w") as fh:
        fh.write(BASE)
    assert cli_main([f, "--seconds", seconds]) == errno.EINVAL
    assert "--seconds" in capsys.readouterr().err


def test_runner_refuses_huge_seconds():
    with pytest.raises(ScenarioError):
        run_scenario(loads_scenario(BASE), seconds=MAX_SECONDS * 2)


@pytest.mark.parametrize("file", ["../escape.pcap", "/tmp/abs.pcap", "a/../../b.pcap"])
def test_capture_paths_confined_to_outdir(tmp, file):
    """Refused when the file is loaded, before anything is built; the runner
    checks again for a Scenario made in Python."""
    _refused(BASE + f'[[captures]]\nvap = "mon0"\nfile = "{file}"\n', "captures[0].file")
    sc = loads_scenario(BASE + '[[captures]]\nvap = "mon0"\nfile = "x.pcap"\n', file="t.toml")
    sc.captures[0].file = file
    with pytest.raises(ScenarioError) as e:
        run_scenario(sc, outdir=os.path.join(tmp, "out"))
    assert e.value.key == "captures[0].file" and e.value.line is not None
    assert not os.path.exists(os.path.join(tmp, "escape.pcap")) and not os.path.exists("/tmp/abs.pcap")


def test_capture_through_a_symlink_is_refused(tmp):
    victim = os.path.join(tmp, "victim")
    with open(victim, "w") as f:
        f.write("precious")
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    os.symlink(victim, os.path.join(out, "cap.pcap"))
    os.symlink(tmp, os.path.join(out, "sub"))  # a directory symlink on the way
    for name in ("cap.pcap", "sub/victim"):
        sc = loads_scenario(BASE + f'[[captures]]\nvap = "mon0"\nfile = "{name}"\n', file="t.toml")
        with pytest.raises(ScenarioError) as e:
            run_scenario(sc, outdir=out)
        assert e.value.errno == errno.ELOOP and e.value.key == "captures[0].file"
    assert open(victim).read() == "precious"


def test_capture_subdirectories_are_made(tmp):
    out = os.path.join(tmp, "out")
    sc = loads_scenario(BASE + '[[captures]]\nvap = "mon0"\nfile = "a/b/c.pcap"\n', file="t.toml")
    r = run_scenario(sc, outdir=out)
    assert r["captures"][0]["frames"] and os.path.isfile(os.path.join(out, "a", "b", "c.pcap"))


def test_capture_to_a_full_disk_names_the_file(tmp):
    require_root()
    mnt = os.path.join(tmp, "full")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", mnt], check=True)
    try:
        sc = loads_scenario(BASE.replace("seconds = 1", "seconds = 20")
                            + '[[captures]]\nmedium = true\nfile = "big.pcap"\n', file="t.toml")
        with pytest.raises(ScenarioError) as e:
            run_scenario(sc, outdir=mnt)
        assert e.value.errno == errno.ENOSPC
        assert "big.pcap" in str(e.value) and e.value.key == "captures[0].file"
    finally:
        subprocess.run(["umount", mnt], check=True)


TOML_VALUES = st.one_of(
    st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=12), st.sampled_from(["hwsim0", "ap0", "sta0", "mon0", "ping", "udp", "hostap", "sta",
                                           "monitor", "{i}", "v{i//0}", "grid", "random", "line",
                                           "log_distance", "snr", "prob", "medium", "up", "destroy"]),
    st.lists(st.integers(-5, 5) | st.floats(-1e3, 1e3), max_size=4))
KEYS = st.sampled_from(["name", "seconds", "seed", "driver", "count", "names", "positions", "position",
                        "placement", "area", "spacing", "profile", "tx_power_dbm", "channels", "radio",
                        "mode", "ssid", "channel", "repeat", "type", "from", "to", "interval", "rate",
                        "size", "duration", "start", "start_jitter", "file", "vap", "medium", "at",
                        "action", "model", "links", "default_snr", "flags", "wlanbssid", "netdev", "ip",
                        "up", "port", "bintval"])
TABLE = st.dictionaries(KEYS, TOML_VALUES, max_size=6)
DOC = st.fixed_dictionaries({}, optional={
    "scenario": TABLE, "radios": TABLE | st.lists(TABLE, max_size=3), "medium": TABLE,
    "vaps": st.lists(TABLE, max_size=4), "traffic": st.lists(TABLE, max_size=3),
    "captures": st.lists(TABLE, max_size=2), "events": st.lists(TABLE, max_size=2)})


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(DOC)
def test_fuzz_loader(doc):
    try:
        scenario_from_dict(doc, file="f.toml")
    except ScenarioError as e:
        assert e.errno and str(e)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.sampled_from(list('[]{}="\'#\n abc.1,')), max_size=200))
def test_fuzz_toml_text(text):
    try:
        loads_scenario(text, file="f.toml")
    except ScenarioError as e:
        assert e.errno == errno.EINVAL


def test_a_failed_build_leaves_no_capture_file(tmp):
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    os.symlink("/nonexistent", os.path.join(out, "second.pcap"))
    sc = loads_scenario(BASE + '[[captures]]\nvap = "mon0"\nfile = "first.pcap"\n'
                        '[[captures]]\nmedium = true\nfile = "second.pcap"\n', file="t.toml")
    with pytest.raises(ScenarioError) as e:
        run_scenario(sc, outdir=out)
    assert e.value.key == "captures[1].file"
    assert sorted(os.listdir(out)) == ["second.pcap"]  # first.pcap made and removed again


def test_two_captures_to_one_file_are_refused():
    err = _refused(BASE + '[[captures]]\nvap = "mon0"\nfile = "a.pcap"\n'
                   '[[captures]]\nmedium = true\nfile = "./a.pcap"\n', "captures[1].file")
    assert "captures[0]" in str(err)
