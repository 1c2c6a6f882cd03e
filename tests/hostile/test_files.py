"""Issue #19 items 3 and 4: nothing is written through a symlink or a hard
link, files go only into directories no other user could have prepared,
sockets appear only when they accept, and the daemon creates its
directories with the modes the man page states."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
import threading

import pytest
from support.hostile import p2p_world
from support.wlanctl import ThreadDaemon, short_tmpdir

from ic import Net80211Error
from net80211.ctl import cli, sockpath
from net80211.ctl.client import Client
from net80211.ctl.state import StateFile, read_state
from net80211.wire.outfile import check_dir, ensure_dir, open_output, write_atomic
from net80211.wire.pcap import PcapWriter


@pytest.fixture
def tmp():
    d = short_tmpdir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _victim(tmp: str) -> str:
    v = os.path.join(tmp, "victim")
    with open(v, "w") as f:
        f.write("precious")
    return v


def test_state_file_never_follows_a_symlink(tmp):
    victim = _victim(tmp)
    path = os.path.join(tmp, "ctl.sock.state")
    # Whatever the daemon's temporary name, a symlink at the final name is replaced, not followed.
    os.symlink(victim, path)
    StateFile(path).save()
    assert open(victim).read() == "precious"
    assert not os.path.islink(path) and read_state(path)["pid"] == os.getpid()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_state_file_read_refuses_a_symlink(tmp):
    target = os.path.join(tmp, "forged")
    with open(target, "w") as f:
        f.write('{"taps": [{"ifname": "eth0"}]}')
    path = os.path.join(tmp, "s.state")
    os.symlink(target, path)
    assert read_state(path) is None  # refused, not trusted


def test_daemon_start_with_a_planted_state_symlink(tmp):
    victim = _victim(tmp)
    os.symlink(victim, os.path.join(tmp, "ctl.sock.state"))
    d = ThreadDaemon(directory=tmp).start()
    try:
        assert open(victim).read() == "precious"
    finally:
        d.stop()
    assert open(victim).read() == "precious"


def test_pcap_never_truncates_through_a_symlink_or_hard_link(tmp):
    victim = _victim(tmp)
    link = os.path.join(tmp, "cap.pcap")
    os.symlink(victim, link)
    with pytest.raises(OSError) as e:
        PcapWriter(link)
    assert e.value.errno == errno.ELOOP and link in str(e.value)
    os.unlink(link)
    os.link(victim, link)
    with pytest.raises(OSError) as e:
        PcapWriter(link)
    assert e.value.errno == errno.EMLINK and link in str(e.value)
    assert open(victim).read() == "precious"


def test_output_refuses_fifos_and_foreign_directories(tmp):
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    with pytest.raises(OSError) as e:
        open_output(fifo)  # and does not block opening it
    assert fifo in str(e.value)
    open_dir = os.path.join(tmp, "open")
    os.mkdir(open_dir)
    os.chmod(open_dir, 0o777)  # anyone may swap files in it
    with pytest.raises(OSError) as e:
        open_output(os.path.join(open_dir, "x.pcap"))
    assert e.value.errno == errno.EPERM and open_dir in str(e.value)
    os.chmod(open_dir, 0o1777)  # sticky, like /tmp: fine
    open_output(os.path.join(open_dir, "x.pcap")).close()
    check_dir("/tmp")


def test_write_atomic_leaves_nothing_on_failure(tmp):
    d = os.path.join(tmp, "ro")
    os.mkdir(d, 0o755)
    with pytest.raises(OSError) as e:
        write_atomic(os.path.join(d, "missing", "f"), b"x")
    assert "missing" in str(e.value)
    assert os.listdir(d) == []


def test_ensure_dir_sets_the_mode_whatever_the_umask(tmp):
    old = os.umask(0o077)
    try:
        ensure_dir(os.path.join(tmp, "a", "b"), 0o770)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(os.path.join(tmp, "a", "b")).st_mode) == 0o770
    assert stat.S_IMODE(os.stat(os.path.join(tmp, "a")).st_mode) == 0o755
    os.symlink(os.path.join(tmp, "a"), os.path.join(tmp, "l"))
    with pytest.raises(OSError) as e:
        ensure_dir(os.path.join(tmp, "l"), 0o755)
    assert e.value.errno == errno.ELOOP


def test_fresh_directories_get_the_documented_modes(tmp):
    """Item 4: neither the socket's directory nor the P2P directory exists;
    the daemon makes them (0755 and 0770 whatever the umask)."""
    base = os.path.join(tmp, "run", "net80211")
    ctrl = os.path.join(base, "p2p")
    old = os.umask(0o022)
    try:
        d = ThreadDaemon(f'[defaults]\nnetdev = "queue"\np2p_ctrl_dir = "{ctrl}"\n', directory=base)
        d.sock = os.path.join(base, "wlanctl.sock")
        d.daemon.server.path = d.daemon.socket_path = d.sock
        d.daemon.state.path = d.daemon.state_path = d.sock + ".state"
        d.start()
    finally:
        os.umask(old)
    try:
        assert stat.S_IMODE(os.stat(base).st_mode) == 0o755
        with Client(d.sock) as c:
            c.call("create", {"name": "p2p0", "wlandev": "hwsim0", "wlanmode": "p2p-device"})
        assert stat.S_IMODE(os.stat(ctrl).st_mode) == 0o770
        assert stat.S_IMODE(os.stat(os.path.join(ctrl, "p2p-dev-p2p0")).st_mode) == 0o660
        assert stat.S_IMODE(os.stat(d.sock).st_mode) == 0o600
    finally:
        d.stop()


def test_socket_appears_only_when_it_accepts(tmp, monkeypatch):
    """Item 4: the path exists only after listen(): bound under another name, renamed."""
    path = os.path.join(tmp, "s.sock")
    seen = []
    real_rename = os.rename

    def rename(src, dst):
        seen.append(os.path.exists(path))
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(src)  # already listening: a client would be accepted
        probe.close()
        real_rename(src, dst)

    monkeypatch.setattr(sockpath.os, "rename", rename)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sockpath.bind_in_place(s, path, 0o600)
    s.close()
    assert seen == [False]
    assert sorted(os.listdir(tmp)) == ["s.sock"]  # no temporary name left behind


def test_clients_racing_the_start_are_never_refused(tmp):
    """Connect in a loop while the daemon starts: ENOENT until the socket
    appears, then accepted; never ECONNREFUSED."""
    d = ThreadDaemon(directory=tmp)
    errors: list[int] = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(d.sock)
                stop.set()
            except OSError as e:
                errors.append(e.errno)
            finally:
                s.close()

    t = threading.Thread(target=hammer)
    t.start()
    d.start()
    stop.wait(10)
    stop.set()
    t.join(10)
    d.stop()
    assert errno.ECONNREFUSED not in errors


def test_a_live_or_foreign_file_at_the_p2p_socket_path_is_refused(tmp):
    with p2p_world() as w:
        path = os.path.join(w.ctrl, "p2p-dev-p2p1")
        with open(path, "w") as f:
            f.write("not a socket")
        with pytest.raises(OSError) as e:
            w.call("create", {"name": "p2p1", "wlandev": "hwsim1", "wlanmode": "p2p-device"})
        assert e.value.errno == errno.EEXIST and path in str(e.value)
        assert open(path).read() == "not a socket"
        # Nothing half-created: the vap is gone with the refusal.
        assert "p2p1" not in str(w.call("list"))


def test_capture_through_the_daemon_refuses_a_symlink(tmp):
    victim = _victim(tmp)
    link = os.path.join(tmp, "cap.pcap")
    os.symlink(victim, link)
    with p2p_world() as w:
        w.call("create", {"name": "mon0", "wlandev": "hwsim1", "wlanmode": "monitor"})
        with pytest.raises(Net80211Error) as e:
            w.call("capture", {"name": "mon0", "action": "start", "path": link})
        assert e.value.errno == errno.ELOOP and link in str(e.value)
        assert w.alive()
    assert open(victim).read() == "precious"


@pytest.mark.parametrize("where", ["/proc/nope/x.sock", "/proc/self/fdinfo/none/x.sock"])
def test_uncreatable_socket_directory_is_an_error_naming_it(where, capsys):
    assert cli.main(["serve", "--socket", where]) in (errno.ENOENT, errno.EACCES, errno.EPERM,
                                                      errno.ENOTDIR, errno.EROFS)
    err = capsys.readouterr().err
    assert os.path.dirname(where) in err and len(err.splitlines()) == 1, err


def test_p2p_socket_path_taken_by_a_live_socket_or_another_kind(tmp):
    with p2p_world() as w:
        path = os.path.join(w.ctrl, "p2p-dev-p2p1")
        for kind, code in ((socket.SOCK_DGRAM, errno.EADDRINUSE), (socket.SOCK_STREAM, errno.EEXIST)):
            other = socket.socket(socket.AF_UNIX, kind)
            other.bind(path)
            if kind == socket.SOCK_STREAM:
                other.listen(1)
            try:
                with pytest.raises(OSError) as e:
                    w.call("create", {"name": "p2p1", "wlandev": "hwsim1", "wlanmode": "p2p-device"})
                assert e.value.errno == code and path in str(e.value)
                assert os.path.exists(path)  # left to its owner
            finally:
                other.close()
                os.unlink(path)
        # Once the path is free again the same create works.
        w.call("create", {"name": "p2p1", "wlandev": "hwsim1", "wlanmode": "p2p-device"})


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_DGRAM])
def test_only_a_stale_socket_of_the_right_kind_is_cleared(tmp, kind):
    other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
    path = os.path.join(tmp, "x.sock")
    # stale: bound, then closed without unlinking
    s = socket.socket(socket.AF_UNIX, kind)
    s.bind(path)
    s.close()
    sockpath.clear_stale_socket(path, kind)
    assert not os.path.exists(path)
    # live: refused, left alone
    live = socket.socket(socket.AF_UNIX, kind)
    live.bind(path)
    if kind == socket.SOCK_STREAM:
        live.listen(1)
    with pytest.raises(Net80211Error) as e:
        sockpath.clear_stale_socket(path, kind)
    assert e.value.errno == errno.EADDRINUSE and os.path.exists(path)
    live.close()
    os.unlink(path)
    # a live socket of the other kind: not ours, refused naming the path
    foreign = socket.socket(socket.AF_UNIX, other)
    foreign.bind(path)
    if other == socket.SOCK_STREAM:
        foreign.listen(1)
    with pytest.raises(Net80211Error, match="x.sock exists and is not a") as e:
        sockpath.clear_stale_socket(path, kind)
    assert e.value.errno == errno.EEXIST and os.path.exists(path)
    foreign.close()
    os.unlink(path)
    with open(path, "w") as f:
        f.write("keep")
    with pytest.raises(Net80211Error, match="is not a socket") as e:
        sockpath.clear_stale_socket(path, kind)
    assert e.value.errno == errno.EEXIST and open(path).read() == "keep"
