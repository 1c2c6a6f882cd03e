"""`wlanctl serve` as a process: SIGTERM cleans up everything; a daemon started
after a crash removes the TAPs and namespaces the dead one left."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest
from conftest import require, require_root
from pyroute2 import IPRoute, netns
from support.wlanctl import short_tmpdir, start_process_daemon

TAP_CONFIG = """
[defaults]
netdev = "tap"

[[devices]]
driver = "hwsim"
radios = 2
"""


def uniq(tag: str) -> str:
    return f"{tag}{os.getpid() % 100000}"


def cli(sock: str, *words: str) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it."""
    exe = os.path.join(os.path.dirname(sys.executable), "wlanctl")
    return subprocess.run([exe, "--socket", sock, *words], capture_output=True, text=True, timeout=120)


def tap_exists(ifname: str, ns: str | None = None) -> bool:
    if ns is not None and ns not in netns.listnetns():
        return False
    with (IPRoute(netns=ns) if ns else IPRoute()) as ipr:
        return bool(ipr.link_lookup(ifname=ifname))


@pytest.fixture
def workdir():
    d = short_tmpdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(autouse=True)
def _root():
    require_root()
    require(os.path.exists("/dev/net/tun"), "/dev/net/tun is missing")


def test_sigterm_destroys_vaps_taps_namespaces_and_socket(workdir):
    ns, tap_in_ns, tap_here = uniq("nsq"), uniq("wq"), uniq("wh")
    proc, sock = start_process_daemon(workdir, TAP_CONFIG)
    try:
        r = cli(sock, tap_in_ns, "create", "wlandev", "hwsim0", "wlanmode", "hostap", "ssid", "t",
                "channel", "1", "netns", ns, "up")
        assert r.returncode == 0, r.stderr
        r = cli(sock, tap_here, "create", "wlandev", "hwsim1", "wlanmode", "sta")
        assert r.returncode == 0, r.stderr
        assert cli(sock, "q" + tap_here[1:], "create", "wlandev", "hwsim1", "wlanmode", "p2p-device",
                   ).returncode == 0  # no netdev at all
        show = json.loads(cli(sock, tap_in_ns, "--json").stdout)["vap"]
        assert show["netdev"]["kind"] == "tap" and show["netdev"]["netns"] == ns
        assert tap_exists(tap_in_ns, ns) and tap_exists(tap_here)
        state = json.load(open(sock + ".state"))
        assert {t["ifname"] for t in state["taps"]} == {tap_in_ns, tap_here} and state["netns"] == [ns]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not os.path.exists(sock) and not os.path.exists(sock + ".state")
    assert not tap_exists(tap_here) and not tap_exists(tap_in_ns, ns)
    assert ns not in netns.listnetns()


def test_restart_after_a_crash_removes_what_was_left(workdir):
    ns, name = uniq("nsk"), uniq("wk")
    proc, sock = start_process_daemon(workdir, TAP_CONFIG)
    try:
        r = cli(sock, name, "create", "wlandev", "hwsim0", "wlanmode", "hostap", "netns", ns)
        assert r.returncode == 0, r.stderr
        assert tap_exists(name, ns)
    finally:
        proc.kill()  # a crash: no clean-up at all
        proc.wait()
    assert os.path.exists(sock) and tap_exists(name, ns) and ns in netns.listnetns()
    # The dead daemon's socket answers nobody.
    r = cli(sock, "list")
    assert r.returncode == errno.ECONNREFUSED and "is `wlanctl serve` running?" in r.stderr
    proc, sock2 = start_process_daemon(workdir, TAP_CONFIG)
    try:
        assert sock2 == sock
        assert not tap_exists(name, ns) and ns not in netns.listnetns()
        # The name is usable again.
        r = cli(sock, name, "create", "wlandev", "hwsim0", "wlanmode", "hostap", "netns", ns)
        assert r.returncode == 0, r.stderr
        assert cli(sock, name, "destroy").returncode == 0
        assert not tap_exists(name, ns) and ns in netns.listnetns()  # the namespace stays until exit
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
    assert ns not in netns.listnetns() and not os.path.exists(sock)
