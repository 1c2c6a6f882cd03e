"""The wlanctl daemon's JSON protocol under hostile clients: fuzzed
requests, clients that never read, pipelined floods.  Every request gets an
answer, no handler fails with an internal error, and the daemon answers the
next good request."""

from __future__ import annotations

import errno
import json
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hostile import DEADLINE_S, open_fds, wait_for
from support.wlanctl import ThreadDaemon, raw_exchange

from net80211.ctl import protocol
from net80211.ctl import server as server_mod
from net80211.ctl import service as service_mod
from net80211.ctl.client import Client
from net80211.ctl.server import BATCH, MAX_CONNECTIONS


@pytest.fixture(scope="module")
def daemon():
    d = ThreadDaemon().start()
    try:
        yield d
    finally:
        d.stop()


def _status(d: ThreadDaemon) -> dict:
    with Client(d.sock, timeout=DEADLINE_S) as c:
        return c.call("status")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12)
CMDS = st.sampled_from(["status", "list", "show", "create", "destroy", "set", "query", "check",
                        "radio_add", "radio_del", "capture", "nope", ""])
KEYS = st.sampled_from(["name", "wlandev", "wlanmode", "ssid", "channel", "channels", "modes", "what",
                        "action", "path", "p2p", "updown", "up", "netdev", "netns", "wlanbssid",
                        "wlanaddr", "bssid", "beacons", "wdslegacy"])
VALUES = st.one_of(st.sampled_from(["hwsim0", "hwsim1", "fz0", "hostap", "sta", "monitor", "adhoc",
                                    "wds", "p2p-device", "mesh", "queue", "tap", "up", "down", "caps",
                                    "chan", "sta", "scan", "combinations", "start", "stop",
                                    "02:00:00:00:00:01", "/dev/null", "relative.pcap"]),
                   st.integers(-2**40, 2**40), st.sampled_from([0, 1, 6, 14, 36, 165, 255, 256, -1]),
                   st.lists(st.sampled_from(["sta", "hostap", "p2p-device", "bogus"]), max_size=4),
                   JSON)
REQUEST = st.fixed_dictionaries({"v": st.just(1), "id": st.integers(0, 10**6), "cmd": CMDS,
                                 "args": st.dictionaries(KEYS, VALUES, max_size=5)})


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(REQUEST, min_size=1, max_size=6))
def test_fuzz_requests(daemon, reqs):
    server = daemon.daemon.server
    internal = server.counters["internal_errors"]
    lines = b"".join(protocol.encode(r) for r in reqs)
    out = raw_exchange(daemon.sock, lines, timeout=DEADLINE_S).splitlines()
    assert len(out) == len(reqs)
    for r, line in zip(reqs, out, strict=True):
        msg = json.loads(line)
        assert msg["id"] == r["id"]
        if not msg["ok"]:
            assert msg["errno"] > 0 and msg["message"]
    assert server.counters["internal_errors"] == internal, out
    # Clean up what a fuzzed create made, so the next example starts alike.
    with Client(daemon.sock, timeout=DEADLINE_S) as c:
        for drv in c.call("list")["drivers"]:
            for dev in drv["devices"]:
                for v in dev["vaps"]:
                    c.call("destroy", {"name": v["name"]})
                if dev["name"] not in ("hwsim0", "hwsim1"):
                    c.call("radio_del", {"name": dev["name"]})
    assert _status(daemon)["pid"]


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode) | JSON.map(
    lambda j: json.dumps(j).encode()))
def test_fuzz_raw_lines(daemon, data):
    """Bytes that are no request: one error answer per line, never silence."""
    line = data.replace(b"\n", b" ") + b"\n"
    out = raw_exchange(daemon.sock, line, timeout=DEADLINE_S)
    if line.strip():
        msg = json.loads(out.splitlines()[0])
        assert msg["ok"] in (True, False)
    assert daemon.daemon.server.counters["internal_errors"] == 0
    assert _status(daemon)["pid"]


def test_a_client_that_never_reads_does_not_stall_others(daemon):
    """A client pipelines thousands of requests and reads nothing; another
    client is answered meanwhile, and the reader-less one is dropped."""
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hog.connect(daemon.sock)
    hog.setblocking(False)
    req = protocol.request("list")
    try:
        for _ in range(20000):
            hog.send(req)
    except BlockingIOError:
        pass
    before = daemon.daemon.server.counters["dropped_not_reading"]
    assert _status(daemon)["pid"]
    wait_for(lambda: daemon.daemon.server.counters["dropped_not_reading"] > before,
             "the hog to be dropped")
    hog.close()
    assert _status(daemon)["pid"]


def test_pipelined_requests_are_served_in_batches(daemon):
    n = 5 * BATCH
    out = raw_exchange(daemon.sock, b"".join(protocol.request("status", req_id=i) for i in range(n)))
    assert [json.loads(x)["id"] for x in out.splitlines()] == list(range(n))


def test_connection_limit_then_recovery(daemon):
    """MAX_CONNECTIONS idle clients, then more: the idle ones make room (told
    ETIMEDOUT), the newcomers are served, nothing leaks."""
    fds = open_fds()
    socks = []
    for _ in range(MAX_CONNECTIONS):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(daemon.sock)
        socks.append(s)
    wait_for(lambda: len(daemon.daemon.server.connections) == MAX_CONNECTIONS, "the connections")
    extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    extra.settimeout(DEADLINE_S)
    extra.connect(daemon.sock)
    extra.sendall(protocol.request("status", {}, 5))
    assert json.loads(extra.makefile("rb").readline())["id"] == 5
    extra.close()
    for s in socks:
        s.close()
    wait_for(lambda: not daemon.daemon.server.connections, "the connections to close")
    assert _status(daemon)["pid"]
    assert open_fds() <= fds + 1


def test_radio_add_is_bounded(daemon, monkeypatch):
    # (the fuzz above may have removed a radio: count what there is)
    monkeypatch.setattr(service_mod, "MAX_DEVICES", len(daemon.daemon.service.devices()) + 1)
    with Client(daemon.sock, timeout=DEADLINE_S) as c:
        name = c.call("radio_add", {})["device"]["name"]
        with pytest.raises(OSError) as e:
            c.call("radio_add", {})
        assert e.value.errno == errno.ENOSPC
        with pytest.raises(OSError) as e:
            c.call("radio_add", {"channels": 65})
        assert e.value.errno == errno.EINVAL
        c.call("radio_del", {"name": name})


def test_a_user_who_may_not_use_the_daemon_cannot_hold_a_slot(daemon, monkeypatch):
    """Connections from another uid (possible when the socket's mode was
    opened) get one answer or SEND_TIMEOUT_S, then are closed."""
    monkeypatch.setattr(server_mod, "peer_credentials", lambda sock: (1, 65534, 65534))
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.settimeout(DEADLINE_S)
    idle.connect(daemon.sock)
    try:
        assert idle.recv(100) == b""  # closed by the daemon, without a word from us
    finally:
        idle.close()
    monkeypatch.undo()
    assert daemon.daemon.server.counters["dropped_not_allowed"] >= 1
    assert _status(daemon)["pid"]


def test_status_reports_what_was_refused(daemon):
    before = _status(daemon)["counters"]
    raw_exchange(daemon.sock, b"{not json\n" + protocol.request("nope"))
    after = _status(daemon)["counters"]
    assert after["error_EINVAL"] == before.get("error_EINVAL", 0) + 1
    assert after["error_EOPNOTSUPP"] == before.get("error_EOPNOTSUPP", 0) + 1
    assert after["requests"] >= before["requests"] + 2 and after["io_errors"] == 0
