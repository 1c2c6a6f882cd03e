"""`wlanctl serve` is quiet by default (issue #18 item 4): one line per
user-visible event (vap created, destroyed, changing state), none of the
state machine library's; -vv shows those too."""

from __future__ import annotations

import shutil
import subprocess
import sys

from support.wlanctl import short_tmpdir, start_process_daemon

from net80211.ctl.client import Client


def _session(*serve_args: str) -> list[str]:
    d = short_tmpdir()
    proc, sock = start_process_daemon(d, serve_args=serve_args)
    try:
        with Client(sock) as c:
            c.call("create", {"name": "wlan0", "wlandev": "hwsim0", "wlanmode": "hostap", "ssid": "q",
                              "channel": 6, "up": True})
            c.call("destroy", {"name": "wlan0"})
            try:
                c.call("destroy", {"name": "wlan0"})
            except OSError:
                pass
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
        shutil.rmtree(d, ignore_errors=True)
    return out.decode().splitlines()


def test_default_is_one_line_per_event():
    lines = _session()
    text = "\n".join(lines)
    assert any("wlan0: created hostap vap on hwsim0" in x for x in lines), text
    assert any("wlan0: SCAN -> RUN" in x for x in lines), text
    assert any("wlan0: destroyed" in x for x in lines), text
    assert any("refused: wlan0: no such interface (ENXIO)" in x for x in lines), text
    assert not any("callback" in x.lower() or "transitions" in x for x in lines), text
    assert len(lines) <= 9, text  # start, created, its states, destroyed, the refusal


def test_vv_shows_the_state_machines():
    lines = _session("-vv")
    assert len(lines) > 10 and any("callback" in x.lower() for x in lines), lines


def test_serve_help_names_the_levels():
    out = subprocess.run([sys.executable, "-m", "net80211.ctl.cli", "serve", "-h"], capture_output=True,
                         text=True, timeout=60).stdout
    assert "-vv" in out
