"""Shared helpers of the wlanctl tests: a daemon in a thread, the CLI in-process."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from net80211.ctl import cli
from net80211.ctl.config import parse_config
from net80211.ctl.server import Daemon

QUEUE_CONFIG = """
[defaults]
netdev = "queue"
"""

# Three hwsim radios, in-process netdevs, no P2P control sockets.
THREE_RADIOS = """
[defaults]
netdev = "queue"
p2p_ctrl_dir = ""

[[devices]]
driver = "hwsim"
radios = 3
"""


@dataclass
class CliResult:
    rc: int
    out: str
    err: str


def short_tmpdir() -> str:
    """A directory with a short path (AF_UNIX paths are at most 107 bytes) that
    another user may traverse (the EPERM tests run a client as nobody)."""
    d = tempfile.mkdtemp(prefix="wlt", dir="/tmp")
    os.chmod(d, 0o755)
    return d


def wlanctl(capsys, sock: str, *words: str) -> CliResult:
    rc = cli.main(["--socket", sock, *words])
    cap = capsys.readouterr()
    return CliResult(rc, cap.out, cap.err)


@contextlib.contextmanager
def cleaning_wlanctl(capsys, sock: str) -> Iterator[Callable[..., CliResult]]:
    """`wlanctl` on `sock` that destroys, at the end, every vap it created:
    a module's daemon is left clean for the next test."""
    created: list[str] = []

    def run(*words: str) -> CliResult:
        r = wlanctl(capsys, sock, *words)
        if len(words) > 1 and words[1] == "create" and r.rc == 0:
            created.append(words[0])
        return r

    yield run
    for name in created:
        wlanctl(capsys, sock, name, "destroy")


class ThreadDaemon:
    """A daemon serving in a thread of the test process."""

    def __init__(self, config_text: str = QUEUE_CONFIG, directory: str | None = None) -> None:
        self.dir = directory or short_tmpdir()
        self.owns_dir = directory is None
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.daemon = Daemon(parse_config(tomllib.loads(config_text)), self.sock)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            self.daemon.serve(install_signals=False)
        except BaseException as e:  # reported by start()
            self.error = e
            self.daemon.started.set()

    def start(self) -> ThreadDaemon:
        self.thread.start()
        assert self.daemon.started.wait(30), "daemon did not start"
        if self.error is not None:
            raise self.error
        return self

    def stop(self) -> None:
        self.daemon.request_stop()
        self.thread.join(30)
        assert not self.thread.is_alive(), "daemon did not stop"
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def thread_daemon(config_text: str = QUEUE_CONFIG) -> Iterator[ThreadDaemon]:
    d = ThreadDaemon(config_text).start()
    try:
        yield d
    finally:
        d.stop()


def raw_exchange(sock_path: str, payload: bytes, timeout: float = 10.0) -> bytes:
    """Send bytes on a fresh connection, half-close, read everything back."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        s.close()


def start_process_daemon(directory: str, config_text: str = QUEUE_CONFIG,
                         serve_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """`wlanctl serve` in a child process; returns it and its socket once it answers."""
    cfg = os.path.join(directory, "wlanctl.toml")
    with open(cfg, "w") as f:
        f.write(config_text)
    sock = os.path.join(directory, "ctl.sock")
    proc = subprocess.Popen([sys.executable, "-m", "net80211.ctl.cli", "serve", "--config", cfg,
                             "--socket", sock, *serve_args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60  # an upper bound against hangs, not a timing check
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"daemon exited {proc.returncode}: {proc.stdout.read().decode()}")
        if os.path.exists(sock):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sock)
                return proc, sock
            except OSError:
                pass
            finally:
                s.close()
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("daemon did not come up")
