"""Shared pieces of the hostile-input tests: a daemon with P2P devices in a
thread, and a wpa_ctrl-style datagram client that bounds every wait."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
from collections.abc import Iterator

from net80211.ctl.client import Client as WlanClient
from support.wlanctl import ThreadDaemon, short_tmpdir

DEADLINE_S = 10.0  # an upper bound against hangs, not a timing check


class Dgram:
    """A datagram client bound at its own path, like wpa_cli."""

    def __init__(self, server: str, local: str, timeout: float = DEADLINE_S) -> None:
        self.server = server
        self.local = local
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(local)
        self.sock.settimeout(timeout)

    def cmd(self, data: bytes | str) -> str:
        """Send one datagram; the first reply that is not an event."""
        raw = data.encode() if isinstance(data, str) else data
        self.sock.sendto(raw, self.server)
        while True:
            m = self.sock.recv(65536).decode(errors="replace")
            if not m.startswith("<"):
                return m

    def close(self) -> None:
        self.sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.local)


class P2PWorld:
    """A daemon in a thread with one P2P device vap and its control socket."""

    def __init__(self) -> None:
        self.dir = short_tmpdir()
        self.ctrl = os.path.join(self.dir, "p2p")
        self.daemon = ThreadDaemon(f'[defaults]\nnetdev = "queue"\np2p_ctrl_dir = "{self.ctrl}"\n',
                                   directory=self.dir).start()
        self.call("create", {"name": "p2p0", "wlandev": "hwsim0", "wlanmode": "p2p-device"})
        self.p2p_path = os.path.join(self.ctrl, "p2p-dev-p2p0")
        self._n = 0

    def call(self, cmd: str, args: dict | None = None):
        with WlanClient(self.daemon.sock, timeout=DEADLINE_S) as c:
            return c.call(cmd, args or {})

    def client(self) -> Dgram:
        self._n += 1
        return Dgram(self.p2p_path, os.path.join(self.dir, f"c{self._n}"))

    @property
    def ctrl_socket(self):
        return self.daemon.daemon.service.p2p.sockets["p2p0"]

    def alive(self) -> bool:
        """The daemon thread runs and answers a request."""
        return self.daemon.thread.is_alive() and "drivers" in self.call("list")

    def close(self) -> None:
        self.daemon.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def p2p_world() -> Iterator[P2PWorld]:
    w = P2PWorld()
    try:
        yield w
    finally:
        w.close()


def wait_for(pred, what: str, deadline_s: float = DEADLINE_S) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.01)  # polling a test condition, not protocol timing
    raise AssertionError(f"timed out waiting for {what}")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
