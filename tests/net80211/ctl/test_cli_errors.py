"""What wlanctl says when something is wrong (issue #18 items 3, 5, 6):
with --json every error is one JSON object (errno name and number, message,
the offending word), a refused `check` too; every message names the word or
path it is about and suggests the closest known word; a vap's own address
is a station's and not one in use on the medium."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.wlanctl import THREE_RADIOS, cleaning_wlanctl, thread_daemon

from net80211.ctl.cli import main


@pytest.fixture(scope="module")
def daemon():
    with thread_daemon(THREE_RADIOS) as d:
        yield d


@pytest.fixture
def w(daemon, capsys):
    with cleaning_wlanctl(capsys, daemon.sock) as run:
        yield run


def _one_object(text: str) -> dict:
    lines = [x for x in text.splitlines() if x.strip()]
    assert len(lines) == 1, text  # one object, one line
    return json.loads(lines[0])


def test_a_typo_of_a_verb_suggests_it(w):
    r = w("wlan0", "craete", "wlandev", "hwsim0")
    assert r.rc == errno.EINVAL
    assert "'craete'" in r.err and "did you mean 'create'?" in r.err


def test_json_usage_error_is_one_object_on_stderr(w):
    r = w("--json", "wlan0", "craete", "wlandev", "hwsim0")
    assert r.rc == errno.EINVAL and r.out == ""
    e = _one_object(r.err)
    assert e == {"ok": False, "errno": errno.EINVAL, "error": "EINVAL", "word": "craete",
                 "did_you_mean": "create", "message": e["message"]}
    assert "craete" in e["message"]


def test_json_daemon_error_names_the_word_and_the_closest_name(w):
    r = w("--json", "hwsim9")
    assert r.rc == errno.ENXIO
    e = _one_object(r.err)
    assert e["error"] == "ENXIO" and e["errno"] == errno.ENXIO and e["word"] == "hwsim9"
    assert e["did_you_mean"] in ("hwsim0", "hwsim1", "hwsim2")
    r = w("wlan0", "create", "wlandev", "hwsim0", "wlanmode", "hsotap")
    assert r.rc == errno.EINVAL and "did you mean 'hostap'?" in r.err


def test_a_misspelt_command_word_is_suggested(w):
    r = w("lsit")
    assert r.rc == errno.ENXIO and "did you mean 'list'?" in r.err


def test_json_error_when_the_daemon_is_not_there(capsys, tmp_path):
    sock = str(tmp_path / "none.sock")
    rc = main(["--json", "--socket", sock, "list"])
    e = _one_object(capsys.readouterr().err)
    assert rc == errno.ENOENT and e["error"] == "ENOENT" and sock in e["message"]


def test_refused_check_with_json_is_one_object(w):
    r = w("--json", "hwsim0", "check", "hostap", "sta", "channels", "1", "6")
    assert r.rc == errno.EBUSY, r
    answer = json.loads(r.out)  # one object (indented, as every --json answer)
    assert answer["allowed"] is False and answer["error"] == "EBUSY" and answer["reasons"]
    assert answer["modes"] == ["hostap", "sta"] and answer["channels"] == [1, 6]
    assert r.err == ""
    # An allowed mix stays an answer with allowed true.
    ok = w("--json", "hwsim0", "check", "hostap", "sta", "channels", "6", "6")
    assert ok.rc == 0 and json.loads(ok.out)["allowed"] is True


@pytest.mark.parametrize("addr, why", [
    ("01:00:5e:00:00:01", "multicast"),
    ("ff:ff:ff:ff:ff:ff", "broadcast"),
    ("00:00:00:00:00:00", "all-zero"),
])
def test_wlanaddr_must_be_a_station_address(w, addr, why):
    r = w("wlan0", "create", "wlandev", "hwsim0", "wlanaddr", addr)
    assert r.rc == errno.EINVAL and why in r.err and addr in r.err
    assert "wlan0" not in w().out  # nothing half-created


def test_wlanaddr_in_use_on_the_medium(w):
    other = json.loads(w("--json", "hwsim1").out)["device"]["macaddr"]
    r = w("wlan0", "create", "wlandev", "hwsim0", "wlanaddr", other)
    assert r.rc == errno.EADDRINUSE and "hwsim1" in r.err and other in r.err
    assert w("wlan1", "create", "wlandev", "hwsim1", "wlanaddr", "02:aa:00:00:00:01").rc == 0
    r = w("wlan2", "create", "wlandev", "hwsim2", "wlanaddr", "02:aa:00:00:00:01")
    assert r.rc == errno.EADDRINUSE and "wlan1" in r.err
    assert "wlan2" not in w().out
    # The device's own address is free: vaps share it by default.
    own = json.loads(w("--json", "hwsim2").out)["device"]["macaddr"]
    assert w("wlan2", "create", "wlandev", "hwsim2", "wlanaddr", own).rc == 0


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    # In a process of its own: serve sets up the process's logging.
    return subprocess.run([sys.executable, "-m", "net80211.ctl.cli", "serve", *args], capture_output=True,
                          text=True, timeout=120)


def test_serve_names_the_path_it_cannot_use():
    r = _serve("--socket", "/proc/nope/w.sock")
    assert r.returncode == errno.ENOENT and "/proc/nope" in r.stderr


def test_serve_usage_error_exits_einval():
    assert _serve("--bogus").returncode == errno.EINVAL


def test_a_reader_that_goes_away_ends_wlanctl_quietly_with_epipe(tmp_path: Path) -> None:
    """`wlanctl run FILE | head`: the pipe closes before the summary is
    written; wlanctl exits EPIPE without a traceback."""
    demo = Path(__file__).resolve().parents[3] / "examples" / "demo.toml"
    r, w = os.pipe()
    os.close(r)  # the reader is gone before anything is written
    try:
        p = subprocess.run([sys.executable, "-m", "net80211.ctl.cli", "run", str(demo), "--seconds", "1"],
                           stdout=w, stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path)
    finally:
        os.close(w)
    assert p.returncode == errno.EPIPE, p.stderr
    assert "Traceback" not in p.stderr
