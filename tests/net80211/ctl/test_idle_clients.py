"""Idle and slow clients cannot lock others out (issue #18 item 2): more
idle connections than the daemon's limit, and `wlanctl list` still answers;
an idle connection is closed after the idle timeout with ETIMEDOUT; only
when every slot is busy is a newcomer refused (EAGAIN)."""

from __future__ import annotations

import errno
import json
import socket

from support.hostile import DEADLINE_S, wait_for
from support.wlanctl import ThreadDaemon, wlanctl

from net80211.ctl import protocol
from net80211.ctl import server as server_mod
from net80211.ctl.server import MAX_CONNECTIONS


def _connect(path: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # blocking: waits while the listen queue is full
    s.settimeout(DEADLINE_S)
    return s


def test_idle_connections_beyond_the_limit_do_not_lock_out_wlanctl(capsys):
    d = ThreadDaemon().start()
    socks: list[socket.socket] = []
    try:
        for _ in range(MAX_CONNECTIONS + 6):
            socks.append(_connect(d.sock))
        wait_for(lambda: d.daemon.server.counters["evicted_idle"] >= 6, "idle clients to make room")
        r = wlanctl(capsys, d.sock, "list")
        assert r.rc == 0, r.err
        assert "hwsim0" in r.out
        # The oldest idle connections made room, each told why.
        first = json.loads(socks[0].makefile("rb").readline())
        assert first["ok"] is False and first["error"] == "ETIMEDOUT"
        assert "idle" in first["message"]
        # A connection still held answers at once.
        last = socks[-1]
        last.sendall(protocol.request("status", {}, 9))
        assert json.loads(last.makefile("rb").readline())["id"] == 9
    finally:
        for s in socks:
            s.close()
        d.stop()


def test_an_idle_connection_is_closed_after_the_idle_timeout(monkeypatch):
    monkeypatch.setattr(server_mod, "IDLE_TIMEOUT_S", 0.2)
    d = ThreadDaemon().start()
    try:
        s = _connect(d.sock)
        s.sendall(b'{"v": 1, "id": 1, "cmd": "sta')  # half a request, then nothing
        f = s.makefile("rb")
        msg = json.loads(f.readline())
        assert msg["errno"] == errno.ETIMEDOUT and "idle" in msg["message"]
        assert f.readline() == b""  # and hung up on
        assert d.daemon.server.counters["dropped_idle"] == 1
        s.close()
    finally:
        d.stop()


def test_a_newcomer_is_refused_only_when_every_slot_is_busy(monkeypatch):
    monkeypatch.setattr(server_mod, "MAX_CONNECTIONS", 2)
    d = ThreadDaemon().start()
    hogs: list[socket.socket] = []
    try:
        for _ in range(2):  # clients that ask and never read: their answers wait
            h = _connect(d.sock)
            h.setblocking(False)
            try:
                while True:
                    h.send(protocol.request("list"))
            except BlockingIOError:
                pass
            hogs.append(h)
        conns = d.daemon.server.connections
        wait_for(lambda: len(conns) == 2 and not any(c.idle for c in conns), "requests to queue up")
        extra = _connect(d.sock)
        msg = json.loads(extra.makefile("rb").readline())
        assert msg["error"] == "EAGAIN" and "64" not in msg["message"] and "2" in msg["message"]
        extra.close()
    finally:
        for h in hogs:
            h.close()
        d.stop()
