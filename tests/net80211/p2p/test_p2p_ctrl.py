"""The wpa_supplicant-compatible P2P control socket: a real UNIX datagram
client in virtual time, then the real wpa_cli in real time."""

import os
import shutil
import socket
import stat
import subprocess
import tempfile

import pytest
from conftest import require_tool

from ic import MS, SEC, OpMode, Scheduler
from net80211.ctl.p2p import P2PManager
from net80211.driver import open_driver


@pytest.fixture
def ctrl_dir():
    d = tempfile.mkdtemp(prefix="p2pc", dir="/tmp")  # short: UNIX socket paths are limited
    yield os.path.join(d, "p2p")
    shutil.rmtree(d, ignore_errors=True)


def make(ctrl_dir, realtime=False):
    s = Scheduler(realtime=realtime)
    d = open_driver("hwsim", s, radios=2)
    m = P2PManager(s, ctrl_dir)
    devs = [m.add(r.create_vap(f"p2p{i}", OpMode.P2P_DEVICE), device_name=f"dev{i}")
            for i, r in enumerate(d.devices)]
    return s, d, m, devs


class Client:
    """A wpa_ctrl-style client: its own bound datagram socket."""

    def __init__(self, s, path, tmp):
        self.s = s
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.local = os.path.join(tmp, f"cli{id(self) % 100000}")
        self.sock.bind(self.local)
        self.sock.connect(path)
        self.sock.settimeout(0)
        self.events = []

    def _drain(self):
        out = []
        while True:
            try:
                out.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return out

    def cmd(self, text):
        self.sock.send(text.encode())
        for _ in range(100):
            self.s.run_for(1 * MS)
            reply = None
            for m in self._drain():
                if m.startswith("<3>"):
                    self.events.append(m[3:])
                else:
                    reply = m
            if reply is not None:
                return reply
        raise AssertionError(f"no reply to {text!r}")

    def pump(self, duration):
        self.s.run_for(duration)
        self.events += [m[3:] for m in self._drain() if m.startswith("<3>")]

    def close(self):
        self.sock.close()
        os.unlink(self.local)


def test_socket_file_and_basic_commands(ctrl_dir):
    s, d, m, (a, b) = make(ctrl_dir)
    path = os.path.join(ctrl_dir, "p2p-dev-p2p0")
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
    assert stat.S_IMODE(os.stat(ctrl_dir).st_mode) & 0o007 == 0
    c = Client(s, path, os.path.dirname(ctrl_dir))
    assert c.cmd("PING") == "PONG\n"
    assert c.cmd("BOGUS") == "UNKNOWN COMMAND\n"
    assert c.cmd("DETACH") == "FAIL\n"
    assert c.cmd("ATTACH") == "OK\n"
    assert c.cmd("DETACH") == "OK\n"
    assert "p2p_device_address=02:00:00:00:00:00" in c.cmd("STATUS")
    for not_built in ("P2P_PRESENCE_REQ", "P2P_EXT_LISTEN", "P2P_REJECT 02:00:00:00:01:00"):
        assert c.cmd(not_built) == "FAIL\n", not_built
    # no persistent network 0, no GO group (for its passphrase or its registrar) yet
    for no_such in ("P2P_INVITE persistent=0 peer=02:00:00:00:01:00", "P2P_GET_PASSPHRASE", "WPS_PBC",
                    "WPS_PIN any 12345670", "P2P_GROUP_ADD persistent=0", "REMOVE_NETWORK 0"):
        assert c.cmd(no_such) == "FAIL\n", no_such
    assert c.cmd("LIST_NETWORKS") == "network id / ssid / bssid / flags\n"
    for bad in ("P2P_CONNECT", "P2P_CONNECT nonsense pbc", "P2P_PEER zz", "P2P_FIND type=odd",
                "P2P_GROUP_REMOVE nope", "P2P_PROV_DISC 02:00:00:00:01:00", "P2P_SET listen_channel 3",
                "P2P_FIND notanumber", "P2P_INVITE group=x peer=y",
                "P2P_SERV_DISC_REQ 00:00:00:00:00:00 0200",
                "P2P_SERV_DISC_REQ 00:00:00:00:00:00 zz", "P2P_SERV_DISC_CANCEL_REQ 99",
                "P2P_SERVICE_DEL bonjour 0b", "P2P_SERVICE_ADD mdns 0b 0c", "P2P_SERV_DISC_EXTERNAL 2"):
        assert c.cmd(bad) == "FAIL\n", bad
    assert c.cmd("P2P_SET listen_channel 6") == "OK\n" and a.listen_chan.ieee == 6
    c.close()
    m.close()
    assert not os.path.exists(path)


def test_find_peer_iteration_and_events(ctrl_dir):
    s, d, m, (a, b) = make(ctrl_dir)
    c = Client(s, os.path.join(ctrl_dir, "p2p-dev-p2p0"), os.path.dirname(ctrl_dir))
    assert c.cmd("ATTACH") == "OK\n"
    b.find()
    assert c.cmd("P2P_FIND") == "OK\n"
    c.pump(2 * SEC)
    found = [e for e in c.events if e.startswith("P2P-DEVICE-FOUND 02:00:00:00:01:00")]
    assert found and "name='dev1'" in found[0]
    first = c.cmd("P2P_PEER FIRST")
    assert first.splitlines()[0] == "02:00:00:00:01:00" and "device_name=dev1" in first
    assert c.cmd("P2P_PEER NEXT-02:00:00:00:01:00") == "FAIL\n"  # wpa_cli p2p_peers stops here
    assert c.cmd("P2P_PEER 02:00:00:00:01:00").startswith("02:00:00:00:01:00\n")
    assert c.cmd("P2P_STOP_FIND") == "OK\n"
    c.pump(10 * MS)
    assert c.events[-1] == "P2P-FIND-STOPPED"
    assert c.cmd("P2P_FLUSH") == "OK\n" and c.cmd("P2P_PEER FIRST") == "FAIL\n"
    c.close()
    m.close()


def test_connect_and_group_remove_over_the_socket(ctrl_dir):
    s, d, m, (a, b) = make(ctrl_dir)
    ca = Client(s, os.path.join(ctrl_dir, "p2p-dev-p2p0"), os.path.dirname(ctrl_dir))
    cb = Client(s, os.path.join(ctrl_dir, "p2p-dev-p2p1"), os.path.dirname(ctrl_dir))
    for c in (ca, cb):
        assert c.cmd("ATTACH") == "OK\n"
        assert c.cmd("P2P_FIND") == "OK\n"
    c.pump(2 * SEC)
    assert cb.cmd("P2P_CONNECT 02:00:00:00:00:00 pbc auth go_intent=15") == "OK\n"
    assert ca.cmd("P2P_CONNECT 02:00:00:00:01:00 pbc go_intent=0") == "OK\n"
    for _ in range(30):
        ca.pump(100 * MS)
        cb.pump(1 * MS)
        if any(e.startswith("P2P-GROUP-STARTED") for e in ca.events):
            break
    started_b = [e for e in cb.events if e.startswith("P2P-GROUP-STARTED")]
    started_a = [e for e in ca.events if e.startswith("P2P-GROUP-STARTED")]
    assert started_b and started_b[0].startswith("P2P-GROUP-STARTED p2p-p2p1-0 GO ssid=\"DIRECT-")
    assert started_a and " client " in started_a[0]
    assert any(e.startswith("P2P-GO-NEG-SUCCESS role=client") for e in ca.events)
    assert "wpa_state=COMPLETED" in cb.cmd("STATUS")
    assert cb.cmd("P2P_GROUP_REMOVE p2p-p2p1-0") == "OK\n"
    for _ in range(20):
        ca.pump(50 * MS)
        cb.pump(1 * MS)
    assert "P2P-GROUP-REMOVED p2p-p2p1-0 GO reason=REQUESTED" in cb.events
    assert "P2P-GROUP-REMOVED p2p-p2p0-0 client reason=GO_ENDING_SESSION" in ca.events
    # group add / remove all
    assert ca.cmd("P2P_GROUP_ADD freq=2437") == "OK\n"
    ca.pump(300 * MS)
    assert any(e.startswith("P2P-GROUP-STARTED p2p-p2p0-1 GO") and "freq=2437" in e for e in ca.events), \
        ca.events
    assert ca.cmd("P2P_GROUP_REMOVE *") == "OK\n" and not a.groups
    # a client that vanished is detached on the next event
    cb.close()
    b.find()
    s.run_for(200 * MS)
    b.stop_find()
    assert m.sockets["p2p1"].attached == []
    ca.close()
    m.close()


# -- the real wpa_cli ------------------------------------------------------------------

def run_cli(s, ctrl_dir, *args, ifname="p2p-dev-p2p0", inp=None, timeout=5 * SEC):
    p = subprocess.Popen(["wpa_cli", "-p", ctrl_dir, "-i", ifname, *args], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if inp is not None:
        p.stdin.write(inp.encode())
        p.stdin.flush()
    done = s.run_until(lambda: p.poll() is not None, timeout)
    if not done:
        p.kill()
        p.wait()
    out = p.stdout.read().decode()
    p.stdout.close()
    p.stdin.close()
    assert done, f"wpa_cli {' '.join(args)} did not finish: {out!r}"
    return out


def test_real_wpa_cli(ctrl_dir):
    require_tool("wpa_cli")
    s, d, m, (a, b) = make(ctrl_dir, realtime=True)
    assert run_cli(s, ctrl_dir, "ping").strip() == "PONG"
    b.find()
    assert run_cli(s, ctrl_dir, "p2p_find").strip() == "OK"
    assert s.run_until(lambda: b.address in a.peers and a.address in b.peers, 5 * SEC)
    peers = run_cli(s, ctrl_dir, "p2p_peers")  # terminates: P2P_PEER NEXT- ends with FAIL
    assert peers.split() == ["02:00:00:00:01:00"]
    b.connect(a.address, "pbc", auth=True)
    assert run_cli(s, ctrl_dir, "p2p_connect", "02:00:00:00:01:00", "pbc").strip() == "OK"
    both_up = lambda: a.groups and b.groups and all(g.up for dv in (a, b) for g in dv.groups.values())  # noqa: E731
    assert s.run_until(both_up, 5 * SEC)
    name, group = next(iter(a.groups.items()))
    assert run_cli(s, ctrl_dir, "p2p_group_remove", name).strip() == "OK"
    assert not a.groups
    if group.role == "GO":  # the GO ends the group for its client
        assert s.run_until(lambda: not b.groups, 5 * SEC)
    else:  # a client leaving does not end the GO's group
        s.run_for(200 * MS)
        assert [g.role for g in b.groups.values()] == ["GO"]
    m.close()


def test_real_wpa_cli_interactive_prints_events(ctrl_dir):
    require_tool("wpa_cli")
    s, d, m, (a, b) = make(ctrl_dir, realtime=True)
    b.find()
    p = subprocess.Popen(["wpa_cli", "-p", ctrl_dir, "-i", "p2p-dev-p2p0"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        s.run_for(300 * MS)  # it attaches
        assert m.sockets["p2p0"].attached
        p.stdin.write(b"p2p_find\n")
        p.stdin.flush()
        assert s.run_until(lambda: b.address in a.peers, 5 * SEC)
        s.run_for(200 * MS)
        p.stdin.write(b"p2p_stop_find\nquit\n")
        p.stdin.flush()
        assert s.run_until(lambda: p.poll() is not None, 5 * SEC)
        out = p.stdout.read().decode()
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        p.stdout.close()
        p.stdin.close()
    assert "<3>P2P-DEVICE-FOUND 02:00:00:00:01:00 p2p_dev_addr=02:00:00:00:01:00" in out
    assert "<3>P2P-FIND-STOPPED" in out
    m.close()


def test_pin_persistent_and_wps_commands_over_the_socket(ctrl_dir):
    """p2p_connect <addr> <PIN> display|keypad persistent go_intent=N, the GO's
    wps_pbc / wps_pin / p2p_get_passphrase, list_networks, p2p_invite persistent=."""
    s, d, m, (a, b) = make(ctrl_dir)
    ca = Client(s, os.path.join(ctrl_dir, "p2p-dev-p2p0"), os.path.dirname(ctrl_dir))
    cb = Client(s, os.path.join(ctrl_dir, "p2p-dev-p2p1"), os.path.dirname(ctrl_dir))
    for c in (ca, cb):
        assert c.cmd("ATTACH") == "OK\n"
        assert c.cmd("P2P_FIND") == "OK\n"
    ca.pump(2 * SEC)
    assert ca.cmd("P2P_CONNECT 02:00:00:00:01:00 1234567") == "FAIL-INVALID-PIN\n"
    assert ca.cmd("P2P_CONNECT 02:00:00:00:01:00 12345670 display keypad") == "FAIL\n"
    pin = ca.cmd("P2P_CONNECT 02:00:00:00:01:00 pin auth persistent go_intent=15").strip()
    assert len(pin) == 8 and pin.isdigit()
    assert cb.cmd(f"P2P_CONNECT 02:00:00:00:00:00 {pin} keypad persistent go_intent=0") == "OK\n"
    for _ in range(60):
        ca.pump(100 * MS)
        cb.pump(1 * MS)
        if any(e.startswith("P2P-GROUP-STARTED") for e in cb.events):
            break
    go = [e for e in ca.events if e.startswith("P2P-GROUP-STARTED")]
    cl = [e for e in cb.events if e.startswith("P2P-GROUP-STARTED")]
    assert go and " GO " in go[0] and go[0].endswith("[PERSISTENT]") and " passphrase=\"" in go[0]
    assert cl and " client " in cl[0] and " psk=" in cl[0] and cl[0].endswith("[PERSISTENT]")
    assert "WPS-SUCCESS" in cb.events and "CTRL-EVENT-CONNECTED" in " ".join(cb.events)
    passphrase = go[0].split('passphrase="')[1].split('"')[0]
    assert ca.cmd("P2P_GET_PASSPHRASE") == f"{passphrase}\n"
    assert cb.cmd("P2P_GET_PASSPHRASE") == "FAIL\n"  # a client has no GO group
    assert ca.cmd("LIST_NETWORKS").splitlines()[1].endswith("\t02:00:00:00:00:00\t[P2P-PERSISTENT]")
    assert cb.cmd("LIST_NETWORKS").splitlines()[1].startswith("0\tDIRECT-")
    # the GO's registrar: the button, a PIN for anyone, a bad PIN
    assert ca.cmd("WPS_PBC") == "OK\n" and ca.cmd("WPS_PBC bogus") == "FAIL\n"
    assert ca.cmd("WPS_PIN any 12345670") == "12345670"
    assert ca.cmd("WPS_PIN any 12ab") == "FAIL\n"
    ca.pump(10 * MS)
    assert "WPS-PBC-ACTIVE" in ca.events
    # re-invocation of the persistent group: the client accepts (persistent_reconnect)
    assert ca.cmd("P2P_GROUP_REMOVE *") == "OK\n"
    for _ in range(10):
        ca.pump(50 * MS)
        cb.pump(1 * MS)
    assert not a.groups and not b.groups
    assert cb.cmd("SET persistent_reconnect 1") == "OK\n" and cb.cmd("P2P_LISTEN") == "OK\n"
    assert ca.cmd("P2P_INVITE persistent=7 peer=02:00:00:00:01:00") == "FAIL\n"
    assert ca.cmd("P2P_INVITE persistent=0 peer=02:00:00:00:01:00") == "OK\n"
    n = sum(e.startswith("WPS-SUCCESS") for e in cb.events)
    for _ in range(60):
        ca.pump(100 * MS)
        cb.pump(1 * MS)
        if sum(e.startswith("P2P-GROUP-STARTED") for e in cb.events) == 2:
            break
    assert sum(e.startswith("P2P-GROUP-STARTED") for e in cb.events) == 2, cb.events[-5:]
    assert sum(e.startswith("WPS-SUCCESS") for e in cb.events) == n  # no WPS the second time
    assert "P2P-INVITATION-RESULT status=0" in ca.events
    assert cb.cmd("REMOVE_NETWORK 0") == "OK\n" and cb.cmd("REMOVE_NETWORK 0") == "FAIL\n"
    ca.close()
    cb.close()
    m.close()
