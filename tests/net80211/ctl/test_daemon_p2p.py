"""Wi-Fi Direct in the wlanctl daemon: P2P device vaps created through
wlanctl get a wpa_supplicant-compatible control socket in `p2p_ctrl_dir`,
served on the daemon's real-time scheduler; destroy and shutdown remove it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time

import pytest
from conftest import require_tool
from support.wlanctl import ThreadDaemon, short_tmpdir, wlanctl

from net80211.ctl.client import Client as WlanClient
from net80211.ctl.config import DEFAULT_P2P_CTRL_DIR, parse_config

DEADLINE_S = 20.0  # an upper bound against hangs, not a timing check


@pytest.fixture
def world():
    d = short_tmpdir()
    ctrl = os.path.join(d, "p2p")
    daemon = ThreadDaemon(f'[defaults]\nnetdev = "queue"\np2p_ctrl_dir = "{ctrl}"\n', directory=d).start()
    try:
        yield daemon, ctrl
    finally:
        daemon.stop()
        shutil.rmtree(d, ignore_errors=True)


class Client:
    """A wpa_ctrl-style datagram client of one P2P control socket (real time)."""

    def __init__(self, path: str, local: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.local = local
        self.sock.bind(local)
        self.sock.connect(path)
        self.sock.settimeout(DEADLINE_S)
        self.events: list[str] = []

    def cmd(self, text: str) -> str:
        self.sock.send(text.encode())
        while True:
            m = self.sock.recv(4096).decode()
            if m.startswith("<3>"):
                self.events.append(m[3:])
            else:
                return m

    def wait_event(self, prefix: str) -> str:
        for e in self.events:
            if e.startswith(prefix):
                return e
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            m = self.sock.recv(4096).decode()
            if m.startswith("<3>"):
                self.events.append(m[3:])
                if m[3:].startswith(prefix):
                    return m[3:]
        raise AssertionError(f"no {prefix} event: {self.events}")

    def close(self) -> None:
        self.sock.close()
        os.unlink(self.local)


def test_config_default_and_disable():
    # Unset: beside the daemon's socket (test_files_live_beside_the_socket).
    assert parse_config({}).p2p_ctrl_dir == DEFAULT_P2P_CTRL_DIR
    assert parse_config({"defaults": {"p2p_ctrl_dir": ""}}).p2p_ctrl_dir is None
    with pytest.raises(OSError, match="p2p_ctrl_dir must be a path"):
        parse_config({"defaults": {"p2p_ctrl_dir": 3}})


def test_p2p_devices_through_the_daemon_end_to_end(world, capsys):
    daemon, ctrl = world
    sock = daemon.sock
    for i in (0, 1):
        r = wlanctl(capsys, sock, f"p2p{i}", "create", "wlandev", f"hwsim{i}", "wlanmode", "p2p-device")
        assert r.rc == 0, r.err
    paths = [os.path.join(ctrl, f"p2p-dev-p2p{i}") for i in (0, 1)]
    for p in paths:
        assert stat.S_ISSOCK(os.stat(p).st_mode) and stat.S_IMODE(os.stat(p).st_mode) == 0o660
    show = json.loads(wlanctl(capsys, sock, "p2p0", "--json").out)["vap"]
    assert show["p2p"]["ctrl_socket"] == paths[0] and show["p2p"]["state"] == "idle"
    assert show["state"] == "RUN"  # started: Wi-Fi Direct runs on it
    a, b = (Client(p, os.path.join(daemon.dir, f"c{i}")) for i, p in enumerate(paths))
    try:
        for c in (a, b):
            assert c.cmd("PING") == "PONG\n"
            assert c.cmd("ATTACH") == "OK\n"
            assert c.cmd("P2P_FIND") == "OK\n"
        b_addr = show_addr(capsys, sock, "p2p1")
        a_addr = show_addr(capsys, sock, "p2p0")
        found = a.wait_event(f"P2P-DEVICE-FOUND {b_addr}")
        assert "name='p2p1'" in found
        b.wait_event(f"P2P-DEVICE-FOUND {a_addr}")
        assert b.cmd(f"P2P_CONNECT {a_addr} pbc auth go_intent=15") == "OK\n"
        assert a.cmd(f"P2P_CONNECT {b_addr} pbc go_intent=0") == "OK\n"
        started_b = b.wait_event("P2P-GROUP-STARTED")
        started_a = a.wait_event("P2P-GROUP-STARTED")
        assert started_b.startswith("P2P-GROUP-STARTED p2p-p2p1-0 GO ssid=\"DIRECT-")
        assert started_a.startswith("P2P-GROUP-STARTED p2p-p2p0-0 client ")
        # The group vaps are the daemon's vaps like any other.
        tree = json.loads(wlanctl(capsys, sock, "list", "--json").out)
        vaps = {v["name"]: v for drv in tree["drivers"] for d in drv["devices"] for v in d["vaps"]}
        assert vaps["p2p-p2p1-0"]["mode"] == "p2p-go" and vaps["p2p-p2p1-0"]["p2p_group"]["role"] == "GO"
        assert vaps["p2p-p2p0-0"]["mode"] == "p2p-client"
        # Destroying the GO's P2P device ends its group (the client leaves) and removes its socket.
        assert wlanctl(capsys, sock, "p2p1", "destroy").rc == 0
        assert not os.path.exists(paths[1])
        a.wait_event("P2P-GROUP-REMOVED p2p-p2p0-0 client reason=GO_ENDING_SESSION")
        tree = json.loads(wlanctl(capsys, sock, "list", "--json").out)
        names = {v["name"] for drv in tree["drivers"] for d in drv["devices"] for v in d["vaps"]}
        assert names == {"p2p0"}
    finally:
        a.close()
        b.close()
    daemon.stop()
    assert not os.path.exists(paths[0])  # shutdown removes the remaining socket


def show_addr(capsys, sock: str, name: str) -> str:
    return json.loads(wlanctl(capsys, sock, name, "--json").out)["vap"]["macaddr"]


def test_real_wpa_cli_against_the_daemon(world, capsys):
    require_tool("wpa_cli")
    daemon, ctrl = world
    r = wlanctl(capsys, daemon.sock, "p2p0", "create", "wlandev", "hwsim0", "wlanmode", "p2p-device")
    assert r.rc == 0, r.err
    out = subprocess.run(["wpa_cli", "-p", ctrl, "-i", "p2p-dev-p2p0", "ping"], capture_output=True,
                         text=True, timeout=DEADLINE_S)
    assert out.stdout.strip() == "PONG", out
    out = subprocess.run(["wpa_cli", "-p", ctrl, "-i", "p2p-dev-p2p0", "status"], capture_output=True,
                         text=True, timeout=DEADLINE_S)
    assert "p2p_device_address=" in out.stdout, out

    def cli(*words: str) -> str:
        return subprocess.run(["wpa_cli", "-p", ctrl, "-i", "p2p-dev-p2p0", *words], capture_output=True,
                              text=True, timeout=DEADLINE_S).stdout.strip()

    assert cli("p2p_service_add", "upnp", "10", "uuid:1234::upnp:rootdevice") == "OK"
    rid = cli("p2p_serv_disc_req", "00:00:00:00:00:00", "02000001")
    assert int(rid, 16) > 0
    assert cli("p2p_serv_disc_cancel_req", rid) == "OK"
    assert cli("p2p_service_flush") == "OK"


def test_unusable_ctrl_dir_refuses_the_create_and_leaves_nothing(capsys):
    d = short_tmpdir()
    blocker = os.path.join(d, "file")
    open(blocker, "w").close()
    daemon = ThreadDaemon(f'[defaults]\np2p_ctrl_dir = "{blocker}/p2p"\n', directory=d).start()
    try:
        r = wlanctl(capsys, daemon.sock, "p2p0", "create", "wlandev", "hwsim0", "wlanmode", "p2p-device")
        assert r.rc != 0 and "p2p_ctrl_dir" in r.err
        assert wlanctl(capsys, daemon.sock, "p2p0").rc != 0  # not half-created
        # Other vaps are unaffected.
        assert wlanctl(capsys, daemon.sock, "w0", "create", "wlandev", "hwsim0", "wlanmode", "sta").rc == 0
    finally:
        daemon.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_files_live_beside_the_socket():
    """With --socket in a directory of the user's, the P2P control directory
    is SOCKET.p2p beside it (not /run/net80211/p2p), and everything the
    daemon made (its socket's directory too) is gone after SIGTERM."""
    base = short_tmpdir()
    sockdir = os.path.join(base, "new")
    sock = os.path.join(sockdir, "w.sock")
    proc = subprocess.Popen([sys.executable, "-m", "net80211.ctl.cli", "serve", "--socket", sock],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with WlanClient(_wait_for_socket(proc, sock)) as c:
            c.call("create", {"name": "p2p0", "wlandev": "hwsim0", "wlanmode": "p2p-device"})
            ctrl = c.call("show", {"name": "p2p0"})["vap"]["p2p"]["ctrl_socket"]
        assert ctrl == f"{sock}.p2p/p2p-dev-p2p0" and os.path.exists(ctrl)
        assert sorted(os.listdir(sockdir)) == ["w.sock", "w.sock.p2p", "w.sock.state"]
    finally:
        proc.terminate()
        out = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, out
    assert os.listdir(base) == [], out  # socket, state, P2P directory, the directory it made
    shutil.rmtree(base, ignore_errors=True)


def _wait_for_socket(proc: subprocess.Popen, sock: str) -> str:
    deadline = time.monotonic() + DEADLINE_S  # an upper bound against hangs
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.communicate()[0].decode())
        if os.path.exists(sock):
            return sock
        time.sleep(0.05)
    raise AssertionError("the daemon did not come up")
