"""Issue #19 items 1, 2 and 6 on the P2P control socket: numbers out of
range, oversized datagrams, a handler that raises, and a client steering
replies back into the daemon's own sockets.  Each request is answered, the
daemon survives and answers the next good request."""

from __future__ import annotations

import os
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hostile import Dgram, open_fds, p2p_world, wait_for

from ic import OpMode, Scheduler
from net80211.ctl.p2p import (
    BATCH,
    MAX_ATTACHED,
    MAX_REQUEST,
    MAX_SD_REQUESTS,
    MAX_SERVICES,
    TIMEOUT_MAX_S,
    P2PManager,
)
from net80211.driver import open_driver


@pytest.fixture(scope="module")
def world():
    with p2p_world() as w:
        yield w


@pytest.mark.parametrize("line", [
    "P2P_FIND inf", "P2P_FIND 1e300", "P2P_FIND -5", "P2P_FIND nan", "P2P_FIND 0x10",
    f"P2P_FIND {TIMEOUT_MAX_S + 1}", "P2P_LISTEN inf", "P2P_LISTEN -1", "P2P_LISTEN 1e309",
    "P2P_SET go_intent 99999999999999999999", "P2P_SET go_intent -1", "P2P_SET listen_channel 1e3",
    "P2P_SERV_DISC_REQ 00:00:00:00:00:00 upnp 1ff ssdp:all", "P2P_SERVICE_ADD upnp 100 uuid:x",
    "P2P_SERV_DISC_CANCEL_REQ 1ffffffffffffffff", "P2P_SERV_DISC_RESP 1e9 02:00:00:00:00:01 1 00",
    "P2P_CONNECT 02:00:00:00:00:01 pbc go_intent=16", "P2P_CONNECT 02:00:00:00:00:01 pbc freq=-2412",
    "P2P_GROUP_ADD freq=99999999999", "P2P_SET device_name " + "x" * 40,
])
def test_bad_numbers_fail_and_the_daemon_serves_on(world, line):
    c = world.client()
    try:
        assert c.cmd(line) == "FAIL\n"
        assert c.cmd("PING") == "PONG\n"
    finally:
        c.close()
    assert world.alive()
    assert world.ctrl_socket.counters["internal_errors"] == 0


def test_good_numbers_still_work(world):
    c = world.client()
    try:
        assert c.cmd("P2P_FIND 5") == "OK\n"
        assert c.cmd("P2P_STOP_FIND") == "OK\n"
        assert c.cmd("P2P_LISTEN 0.5") == "OK\n"
        assert c.cmd("P2P_STOP_FIND") == "OK\n"
        assert c.cmd("P2P_SET go_intent 15") == "OK\n"
    finally:
        c.close()


def test_oversized_datagram_is_refused_not_cut(world):
    c = world.client()
    before = world.ctrl_socket.counters["oversized"]
    try:
        # Exactly the limit is a command; one byte more is refused, even if
        # its first 4096 bytes would make a good one.
        assert c.cmd("P2P_SET device_name ab" + " " * (MAX_REQUEST - 23)) == "OK\n"
        assert c.cmd("P2P_FLUSH" + " " * MAX_REQUEST) == "FAIL\n"
        assert c.cmd(b"PING" + b" " * 60000) == "FAIL\n"
        assert world.ctrl_socket.counters["oversized"] == before + 2
        assert c.cmd("PING") == "PONG\n"
    finally:
        c.close()


def test_a_handler_that_raises_is_contained(world, monkeypatch):
    sock = world.ctrl_socket

    def broken(args):
        raise KeyError("a bug")

    monkeypatch.setattr(sock, "_cmd_p2p_peers", broken)
    c = world.client()
    before = sock.counters["internal_errors"]
    try:
        assert c.cmd("P2P_PEERS") == "FAIL\n"
        assert sock.counters["internal_errors"] == before + 1
        assert c.cmd("PING") == "PONG\n"
    finally:
        c.close()
    assert world.alive()


def test_scheduler_contains_a_failing_callback(world):
    """A descriptor callback that raises (a bug anywhere) is logged and
    counted by the daemon's scheduler; the loop serves on."""
    sched = world.daemon.daemon.sched
    a, b = socket.socketpair()
    calls = []

    def bad():
        calls.append(a.recv(10))
        raise RuntimeError("bug in a reader")

    before = sched.io_errors
    # Registering from the test thread is safe here: the loop only reads the map in select().
    sched.add_reader(a, bad)
    try:
        b.send(b"x")
        wait_for(lambda: sched.io_errors > before, "the contained error")
        assert world.alive()
    finally:
        sched.remove_reader(a)
        a.close()
        b.close()


def test_symlinked_client_path_does_not_loop(world):
    """Item 2: a client ATTACHes, then swaps its path for a symlink to the
    daemon's own P2P socket.  Events are not sent there; nothing loops."""
    sock = world.ctrl_socket
    local = os.path.join(world.dir, "evil")
    c = Dgram(world.p2p_path, local)
    assert c.cmd("ATTACH") == "OK\n"
    c.close()
    os.symlink(world.p2p_path, local)
    try:
        before = sock.commands
        refused = sock.counters["peer_refused"]
        replies = sock.counters["not_a_command"]
        # A command from that path too (a datagram whose sender address is
        # the symlink): its reply must not go there either.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(b"P2P_FIND 1", world.p2p_path)  # P2P-FIND-STOPPED etc. are events to the attached
        s.close()
        wait_for(lambda: sock.counters["peer_refused"] > refused, "the refused event")
        assert world.call("status")["pid"]  # a turn of the loop later: still nothing looping
        assert sock.commands - before < 10 and sock.counters["not_a_command"] == replies
        assert local not in sock.attached
        assert world.alive()
    finally:
        os.unlink(local)


def test_replies_to_a_hard_link_of_our_own_socket_are_refused(world):
    sock = world.ctrl_socket
    local = os.path.join(world.dir, "hard")
    c = Dgram(world.p2p_path, local)
    c.close()
    os.link(world.p2p_path, local)  # same inode as the daemon's socket
    try:
        refused = sock.counters["peer_refused"]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(os.path.join(world.dir, "hard-src"))
        os.unlink(os.path.join(world.dir, "hard-src"))
        os.link(world.p2p_path, os.path.join(world.dir, "hard-src"))  # its reply address is ours
        s.sendto(b"PING", world.p2p_path)
        s.close()
        wait_for(lambda: sock.counters["peer_refused"] > refused, "the refused reply")
        assert world.alive()
    finally:
        for p in (local, os.path.join(world.dir, "hard-src")):
            os.unlink(p)


def test_replies_are_never_answered():
    """Two sockets of ours cannot be made to answer each other: a datagram
    that is a reply or an event is counted, not answered."""
    s = Scheduler()
    d = open_driver("hwsim", s, radios=1)
    tmp = os.path.join("/tmp", f"hr{os.getpid()}")
    m = P2PManager(s, tmp)
    try:
        m.add(d.devices[0].create_vap("p2p0", OpMode.P2P_DEVICE))
        cs = m.sockets["p2p0"]
        c = Dgram(cs.path, os.path.join(tmp, "c"), timeout=0.2)
        try:
            for line in ("OK", "FAIL", "UNKNOWN COMMAND", "PONG", "<3>P2P-DEVICE-FOUND x", "<2>x"):
                c.sock.sendto(line.encode(), cs.path)
            s.run_for(10_000_000)
            assert cs.counters["not_a_command"] == 6
            with pytest.raises(TimeoutError):
                c.sock.recv(100)
        finally:
            c.close()
    finally:
        m.close()
        d.close()
        os.rmdir(tmp)


class _Endless:
    """A socket whose queue never empties: a client that sends faster than
    the daemon answers."""

    def __init__(self, real: socket.socket) -> None:
        self.real = real

    def recvmsg(self, n: int):
        return b"P2P_PEERS", [], 0, None

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def test_one_flooding_client_does_not_starve_the_loop(world):
    """A turn of the loop serves at most BATCH datagrams, however fast they
    come: then the scheduler (timers, other descriptors) has its turn."""
    cs = world.ctrl_socket
    probe = type(cs).__new__(type(cs))
    probe.__dict__.update(cs.__dict__)
    probe.sock = _Endless(cs.sock)
    probe.counters = type(cs.counters)()
    before = probe.commands
    probe._readable()  # returns: an endless queue does not hold it
    assert probe.commands - before == BATCH


def test_attached_monitors_are_bounded(world):
    clients = [world.client() for _ in range(MAX_ATTACHED + 1)]
    try:
        answers = [c.cmd("ATTACH") for c in clients]
        assert answers.count("FAIL\n") >= 1
        assert len(world.ctrl_socket.attached) <= MAX_ATTACHED
    finally:
        for c in clients:
            c.cmd("DETACH")
            c.close()


WORDS = ["PING", "ATTACH", "DETACH", "STATUS", "P2P_FIND", "P2P_STOP_FIND", "P2P_LISTEN", "P2P_PEER",
         "P2P_PEERS", "P2P_CONNECT", "P2P_GROUP_ADD", "P2P_GROUP_REMOVE", "P2P_INVITE", "P2P_PROV_DISC",
         "P2P_CANCEL", "P2P_FLUSH", "P2P_SET", "P2P_SERV_DISC_REQ", "P2P_SERV_DISC_CANCEL_REQ",
         "P2P_SERV_DISC_RESP", "P2P_SERV_DISC_EXTERNAL", "P2P_SERVICE_ADD", "P2P_SERVICE_DEL",
         "P2P_SERVICE_FLUSH", "P2P_SERVICE_UPDATE", "P2P_REJECT", "LEVEL", "NOPE"]
ARGS = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "1e300", "-5", "0", "1", "15", "16", "2412", "99999999999999",
                     "FIRST", "NEXT-02:00:00:00:00:00", "02:00:00:00:00:01", "00:00:00:00:00:00", "*",
                     "pbc", "pin", "display", "keypad", "join", "auth", "persistent", "upnp", "bonjour",
                     "ff", "1ff", "zz", "0x", "go_intent=99", "freq=1e9", "type=progressive",
                     "group=p2p0", "peer=02:00:00:00:00:01", "listen_channel", "go_intent",
                     "device_name", "ssdp:all", "=", "==", "x=", "\x00", "\u00e9"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.integers(-2**70, 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.binary(max_size=8).map(lambda b: b.hex()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.lists(ARGS, max_size=5)), min_size=1, max_size=6))
def test_fuzz_commands(world, batch):
    """Any command line gets an answer; nothing raises inside a handler; the
    socket answers PING after; descriptors do not leak."""
    sock = world.ctrl_socket
    fds = open_fds()
    internal, io_errors = sock.counters["internal_errors"], world.daemon.daemon.sched.io_errors
    c = world.client()
    try:
        for word, args in batch:
            line = " ".join([word, *args])
            if line.strip() in ("OK", "FAIL", "PONG", "UNKNOWN COMMAND") or line.startswith("<"):
                continue
            c.cmd(line.encode(errors="replace")[:MAX_REQUEST])  # answered (P2P_PEERS may be empty)
        assert c.cmd("PING") == "PONG\n"
    finally:
        c.cmd("P2P_GROUP_REMOVE *")
        c.cmd("P2P_FLUSH")
        c.close()
    assert sock.counters["internal_errors"] == internal
    assert open_fds() <= fds + 2  # the daemon's own sockets may come and go with groups
    assert world.daemon.daemon.sched.io_errors == io_errors


def test_a_client_cannot_grow_the_daemon_without_bound(world):
    """Registered services and pending service discovery requests are
    bounded per device: past the limit the command answers FAIL."""
    c = world.client()
    try:
        answers = [c.cmd(f"P2P_SERVICE_ADD bonjour {i:04x}{'00' * 40} {'11' * 100}")
                   for i in range(MAX_SERVICES + 3)]
        assert answers[:MAX_SERVICES] == ["OK\n"] * MAX_SERVICES and set(answers[MAX_SERVICES:]) == {"FAIL\n"}
        assert c.cmd("P2P_SERVICE_FLUSH") == "OK\n"
        ids = [c.cmd("P2P_SERV_DISC_REQ 00:00:00:00:00:00 02000001") for _ in range(MAX_SD_REQUESTS + 2)]
        assert ids.count("FAIL\n") == 2
        for rid in ids[:MAX_SD_REQUESTS]:
            assert c.cmd(f"P2P_SERV_DISC_CANCEL_REQ {rid.strip()}") == "OK\n"
    finally:
        c.close()


def test_show_reports_the_control_socket_counters(world):
    c = world.client()
    try:
        before = world.call("show", {"name": "p2p0"})["vap"]["p2p"]["ctrl_counters"]
        c.cmd("P2P_FIND inf")
        c.cmd("PING" + " " * MAX_REQUEST)
    finally:
        c.close()
    after = world.call("show", {"name": "p2p0"})["vap"]["p2p"]["ctrl_counters"]
    assert after["failed"] == before.get("failed", 0) + 1
    assert after["oversized"] == before.get("oversized", 0) + 1
    assert after["commands"] == before["commands"] + 2
