"""The control socket: bad requests never stop the daemon; only root and the
daemon's own user may act (SO_PEERCRED)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys

import pytest
from conftest import require_root
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.wlanctl import raw_exchange, short_tmpdir, start_process_daemon, thread_daemon, wlanctl

from net80211.ctl import protocol
from net80211.ctl.cli import main

NOBODY = 65534


@pytest.fixture(scope="module")
def daemon():
    with thread_daemon() as d:
        yield d


def _answers(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.splitlines()]


def test_one_answer_per_line_in_order(daemon):
    req = (protocol.request("status", {}, 1) + protocol.request("list", {}, 2)
           + protocol.request("nope", {}, 3))
    out = _answers(raw_exchange(daemon.sock, req))
    assert [a["id"] for a in out] == [1, 2, 3]
    assert out[0]["ok"] and out[0]["result"]["version"] == protocol.VERSION
    assert out[2] == {"v": 1, "id": 3, "ok": False, "errno": errno.EOPNOTSUPP, "error": "EOPNOTSUPP",
                      "message": "unknown command 'nope'", "word": "nope"}


@pytest.mark.parametrize("line, code", [
    (b"not json", errno.EINVAL),
    (b"[1, 2]", errno.EINVAL),
    (b'{"v": 2, "id": 1, "cmd": "list"}', errno.EPROTONOSUPPORT),
    (b'{"v": 1, "id": 1}', errno.EINVAL),
    (b'{"v": 1, "id": 1, "cmd": "list", "args": []}', errno.EINVAL),
    (b'{"v": 1, "id": [], "cmd": "list"}', errno.EINVAL),
    (b'{"v": 1, "id": 1, "cmd": "list", "args": {"x": 1}}', errno.EINVAL),
    (b'{"v": 1, "id": 1, "cmd": "create", "args": {"name": 5}}', errno.EINVAL),
    (b'{"v": 1, "id": 1, "cmd": "create", "args": {"name": "w0", "wlandev": "hwsim0", "channel": true}}',
     errno.EINVAL),
    (b'{"v": 1, "id": 1, "cmd": "check", "args": {"name": "hwsim0", "modes": "sta"}}', errno.EINVAL),
    (b'{"v": 1, "id": 1, "cmd": "set", "args": {"name": "nosuch0"}}', errno.ENXIO),
    (b'{"v": 1, "id": 1, "cmd": "set", "args": {"name": "hwsim0", "ssid": "x"}}', errno.EINVAL),
    (b"\xff\xfe\x00garbage", errno.EINVAL),
    (b"[" * 100000, errno.EMSGSIZE),
])
def test_malformed_requests_get_errors(daemon, line, code):
    out = _answers(raw_exchange(daemon.sock, line + b"\n"))
    assert len(out) == 1 and not out[0]["ok"]
    assert out[0]["errno"] == code, out
    # ... and the daemon goes on.
    assert _answers(raw_exchange(daemon.sock, protocol.request("list")))[0]["ok"]


def test_oversized_line_without_newline_hangs_up_with_emsgsize(daemon):
    out = _answers(raw_exchange(daemon.sock, b"x" * (protocol.MAX_LINE + 70000)))
    assert out[-1]["errno"] == errno.EMSGSIZE
    assert _answers(raw_exchange(daemon.sock, protocol.request("list")))[0]["ok"]


@given(st.lists(st.one_of(
    st.binary(max_size=200).map(lambda b: b.replace(b"\n", b"")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                 max_leaves=8).map(lambda o: json.dumps(o).encode()),
    st.builds(lambda cmd, args: json.dumps({"v": 1, "id": 7, "cmd": cmd, "args": args}).encode(),
              st.sampled_from(["create", "destroy", "set", "show", "query", "check", "radio_del",
                               "capture", "list", "status"]),
              st.dictionaries(st.sampled_from(["name", "wlandev", "wlanmode", "channel", "ssid", "modes",
                                               "what", "action", "path", "updown", "netdev"]),
                              st.none() | st.booleans() | st.integers(-3, 300) | st.text(max_size=12)
                              | st.lists(st.text(max_size=5), max_size=3), max_size=4)),
), min_size=1, max_size=5))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzzed_requests_never_stop_the_daemon(daemon, lines):
    payload = b"\n".join(lines) + b"\n"
    out = _answers(raw_exchange(daemon.sock, payload))
    assert len(out) == sum(1 for line in lines if line.strip())
    for a in out:
        assert a["v"] == 1 and isinstance(a["ok"], bool)
        if not a["ok"]:
            assert isinstance(a["errno"], int) and a["errno"] > 0 and a["message"]
            assert a["errno"] != errno.EIO, a  # no internal error: every refusal names its cause
    status = _answers(raw_exchange(daemon.sock, protocol.request("status")))
    assert status[0]["ok"]
    # Whatever the fuzz created, take it away again so examples stay independent.
    tree = _answers(raw_exchange(daemon.sock, protocol.request("list")))[0]["result"]
    for drv in tree["drivers"]:
        for dev in drv["devices"]:
            for v in dev["vaps"]:
                raw_exchange(daemon.sock, protocol.request("destroy", {"name": v["name"]}))


def _as_nobody(sock: str, *words: str) -> tuple[int, str]:
    """Run the CLI in a forked child that became `nobody`: (exit status, stderr)."""
    r, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        rc = 70
        try:
            os.close(r)
            os.dup2(wfd, 2)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            sys.stderr = os.fdopen(2, "w", buffering=1)
            rc = main(["--socket", sock, *words])
            sys.stderr.flush()
        finally:
            os._exit(rc)
    os.close(wfd)
    with os.fdopen(r) as f:
        err = f.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


def test_other_users_get_eperm(capsys):
    require_root()
    d = short_tmpdir()
    proc, sock = start_process_daemon(d)
    try:
        # The socket is 0600: another user cannot even connect.
        assert os.stat(sock).st_mode & 0o777 == 0o600
        rc, err = _as_nobody(sock, "list")
        assert rc == errno.EPERM, err
        assert "permission denied" in err and "(EPERM)" in err
        # With the mode opened up, the daemon itself checks SO_PEERCRED and refuses.
        os.chmod(sock, 0o666)
        rc, err = _as_nobody(sock, "wlan0", "create", "wlandev", "hwsim0")
        assert rc == errno.EPERM, err
        assert f"uid {NOBODY} may not use this daemon" in err
        rc, err = _as_nobody(sock, "list")
        assert rc == errno.EPERM
        os.chmod(sock, 0o600)
        # Root still may, and nothing was created.
        assert "wlan0" not in wlanctl(capsys, sock, "list").out
    finally:
        proc.terminate()
        proc.wait(60)
        shutil.rmtree(d, ignore_errors=True)
