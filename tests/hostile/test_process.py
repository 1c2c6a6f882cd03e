"""The daemon as a process: SIGTERM ends it whatever its loop is doing, a
restart after SIGKILL cleans up what was left, and `wlanctl serve` with no
options works on a machine whose /run is empty (issue #19 items 2 and 4)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap

import pytest
from conftest import require, require_root
from support.hostile import Dgram, wait_for
from support.wlanctl import short_tmpdir, start_process_daemon

from net80211.ctl.client import Client

EXIT_BOUND_S = 30  # an upper bound against hangs, not a timing check


@pytest.fixture
def workdir():
    d = short_tmpdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _p2p_config(d: str) -> str:
    return f'[defaults]\nnetdev = "queue"\np2p_ctrl_dir = "{d}/p2p"\n'


def test_sigterm_under_a_flood_and_everything_removed(workdir):
    proc, sock = start_process_daemon(workdir, _p2p_config(workdir))
    try:
        with Client(sock) as c:
            c.call("create", {"name": "p2p0", "wlandev": "hwsim0", "wlanmode": "p2p-device"})
        p2p = os.path.join(workdir, "p2p", "p2p-dev-p2p0")
        flood = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        flood.setblocking(False)
        try:
            for _ in range(2000):
                flood.sendto(b"P2P_FIND inf", p2p)
        except BlockingIOError:
            pass
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(EXIT_BOUND_S) == 0
        flood.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # The P2P directory the daemon made goes too, with its sockets.
    left = sorted(os.listdir(workdir))
    assert left == ["wlanctl.toml"], left


_BUSY = textwrap.dedent("""
    import sys, tomllib
    from net80211.ctl.config import parse_config
    from net80211.ctl.server import Daemon
    d = Daemon(parse_config(tomllib.loads('[defaults]\\nnetdev = "queue"\\n')), sys.argv[1])
    def spin(cmd, args):
        print("spinning", flush=True)
        while True:   # a handler that never returns: only the SIGTERM backstop ends this
            pass
    d.service.handle = spin
    d.serve()
""")


def test_sigterm_ends_a_loop_stuck_in_a_handler(workdir):
    sock = os.path.join(workdir, "busy.sock")
    proc = subprocess.Popen([sys.executable, "-c", _BUSY, sock], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: os.path.exists(sock), "the socket", EXIT_BOUND_S)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.sendall(b'{"v":1,"id":1,"cmd":"list","args":{}}\n')
        assert proc.stdout.readline().strip() == "spinning"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(EXIT_BOUND_S) == 0
        s.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not os.path.exists(sock) and not os.path.exists(sock + ".state")


def test_restart_after_sigkill_with_a_p2p_socket(workdir):
    proc, sock = start_process_daemon(workdir, _p2p_config(workdir))
    try:
        with Client(sock) as c:
            c.call("create", {"name": "p2p0", "wlandev": "hwsim0", "wlanmode": "p2p-device"})
    finally:
        proc.kill()
        proc.wait()
    p2p = os.path.join(workdir, "p2p", "p2p-dev-p2p0")
    assert os.path.exists(p2p) and os.path.exists(sock + ".state")  # what SIGKILL leaves
    keep = os.path.join(workdir, "p2p", "p2p-dev-notmine")
    with open(keep, "w") as f:
        f.write("not a socket")
    proc, sock = start_process_daemon(workdir, _p2p_config(workdir))
    try:
        assert not os.path.exists(p2p)  # swept at start: nobody served it
        assert os.path.exists(keep)  # not a socket: not ours to remove
        with Client(sock) as c:
            c.call("create", {"name": "p2p0", "wlandev": "hwsim0", "wlanmode": "p2p-device"})
        cl = Dgram(p2p, os.path.join(workdir, "cl"))
        assert cl.cmd("PING") == "PONG\n"
        cl.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(EXIT_BOUND_S) == 0
    assert not os.path.exists(p2p) and not os.path.exists(sock)
    os.unlink(keep)


_FRESH = textwrap.dedent("""
    set -e
    mount -t tmpfs -o mode=0755 tmpfs /run
    umask 022
    "$PY" -m net80211.ctl.cli serve >"$LOG" 2>&1 &
    pid=$!
    for i in $(seq 1 600); do [ -S /run/net80211/wlanctl.sock ] && break; sleep 0.05; done
    "$PY" -m net80211.ctl.cli p2p0 create wlandev hwsim0 wlanmode p2p-device
    "$PY" -m net80211.ctl.cli list >/dev/null
    stat -c '%a %n' /run/net80211 /run/net80211/p2p /run/net80211/wlanctl.sock \\
        /run/net80211/p2p/p2p-dev-p2p0
    kill -TERM $pid
    wait $pid
    echo after:
    ls -A /run
""")


def test_default_paths_on_an_empty_run():
    """`wlanctl serve` with no options, in a private mount namespace whose
    /run is an empty tmpfs: the directories are made with their modes."""
    require_root()
    unshare = shutil.which("unshare")
    require(unshare is not None, "unshare is not installed")
    log = os.path.join(short_tmpdir(), "serve.log")
    env = dict(os.environ, PY=sys.executable, LOG=log)
    env.pop("WLANCTL_SOCKET", None)
    r = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c", _FRESH],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr + open(log).read()
    modes = dict(line.split(" ", 1)[::-1] for line in r.stdout.split("\n") if line.startswith(("7", "6")))
    assert modes["/run/net80211"] == "755" and modes["/run/net80211/p2p"] == "770"
    assert modes["/run/net80211/wlanctl.sock"] == "600"
    assert modes["/run/net80211/p2p/p2p-dev-p2p0"] == "660"
    # After SIGTERM: the directories the daemon made are gone with it.
    assert r.stdout.rstrip().endswith("after:"), r.stdout
    shutil.rmtree(os.path.dirname(log), ignore_errors=True)


def _proc_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_hostile_load_leaks_nothing(workdir):
    """Thousands of bad requests on both sockets: the daemon's descriptors
    come back to where they were, it starts no process, and its memory
    grows by less than a bound (allocator slack, not a leak per request)."""
    proc, sock = start_process_daemon(workdir, _p2p_config(workdir))
    try:
        with Client(sock) as c:
            c.call("create", {"name": "p2p0", "wlandev": "hwsim0", "wlanmode": "p2p-device"})
        p2p = os.path.join(workdir, "p2p", "p2p-dev-p2p0")
        cl = Dgram(p2p, os.path.join(workdir, "cl"))

        def round_of_abuse() -> None:
            for i in range(300):
                assert cl.cmd(["P2P_FIND inf", "P2P_LISTEN 1e300", "NOPE", "P2P_PEER zz"][i % 4] +
                              " " * (i % 2) * 5000) in ("FAIL\n", "UNKNOWN COMMAND\n")
            for _ in range(20):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sock)
                s.sendall(b"{bad json\n" * 50 + b"[" * 70000 + b"\n")
                s.close()
            with Client(sock) as c:
                assert c.call("status")["pid"] == proc.pid

        round_of_abuse()  # warm up: caches, allocator arenas
        fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
        rss = _proc_rss_kib(proc.pid)
        for _ in range(5):
            round_of_abuse()
        wait_for(lambda: len(os.listdir(f"/proc/{proc.pid}/fd")) <= fds, "the descriptors to close")
        assert _proc_rss_kib(proc.pid) - rss < 8 * 1024
        children = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
        assert children == []
        cl.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(EXIT_BOUND_S) == 0
