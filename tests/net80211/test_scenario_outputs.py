"""Where a scenario's outputs go (issue #18 item 7): a capture's relative
name is relative to --outdir, else the current directory, never the
scenario file's; the summary says the absolute path it wrote."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

from net80211.scenario.cli import cli_main

SCENARIO = """
[scenario]
seconds = 0.5

[radios]
names = ["hwsim0", "hwsim1"]

[[vaps]]
name = "mon0"
radio = "hwsim0"
mode = "monitor"
channel = 6

[[captures]]
vap = "mon0"
file = "caps/m.pcap"
"""


def test_relative_captures_go_under_the_current_directory(tmp_path: Path, capsys, monkeypatch) -> None:
    files = tmp_path / "files"
    work = tmp_path / "work"
    files.mkdir()
    work.mkdir()
    (files / "s.toml").write_text(SCENARIO)
    monkeypatch.chdir(work)
    assert cli_main([str(files / "s.toml")]) == 0
    out = capsys.readouterr().out
    assert (work / "caps" / "m.pcap").is_file() and not (files / "caps").exists()
    assert f"capture {work / 'caps' / 'm.pcap'} (mon0)" in out  # the absolute path
    outdir = tmp_path / "out"
    assert cli_main([str(files / "s.toml"), "--outdir", str(outdir)]) == 0
    assert (outdir / "caps" / "m.pcap").is_file()
    assert str(outdir / "caps" / "m.pcap") in capsys.readouterr().out
    assert sorted(os.listdir(work)) == ["caps"]


def test_json_errors_are_one_object(tmp_path: Path, capsys) -> None:
    missing = str(tmp_path / "nope.toml")
    assert cli_main([missing, "--json"]) == errno.ENOENT
    err = json.loads(capsys.readouterr().err)
    assert err["error"] == "ENOENT" and err["errno"] == errno.ENOENT and err["word"] == missing
