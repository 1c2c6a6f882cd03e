"""`wlanctl serve`: the daemon.  A real-time scheduler runs the devices and
waits on the control socket, its connections and the TAP descriptors; the
control socket speaks `protocol` to root and the daemon's own user only."""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import stat
import struct
import threading
from typing import Any

from ic import Net80211Error, Scheduler
from ic.sched import SEC
from net80211.ctl import protocol
from net80211.ctl.config import Config
from net80211.ctl.service import Service
from net80211.ctl.state import StateFile, recover

log = logging.getLogger("net80211.ctl")

MAX_CONNECTIONS = 64
SEND_TIMEOUT_S = 2.0  # a client that does not read its answers is dropped after this
_CRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process that connected (SO_PEERCRED)."""
    return _CRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size))


def _live(path: str) -> bool:
    """Does a daemon answer on this socket path?"""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(1.0)
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class _Connection:
    def __init__(self, server: ControlServer, sock: socket.socket, allowed: bool, uid: int) -> None:
        self.server = server
        self.sock = sock
        self.allowed = allowed
        self.uid = uid
        self.buf = bytearray()
        self.skipping = False
        sock.settimeout(SEND_TIMEOUT_S)

    def readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError, TimeoutError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.close()
            return
        if self.skipping:
            # The rest of an oversized request: drop it up to its newline.
            nl = data.find(b"\n")
            if nl < 0:
                return
            data = data[nl + 1:]
            self.skipping = False
        self.buf += data
        while True:
            nl = self.buf.find(b"\n")
            if nl < 0:
                break
            line = bytes(self.buf[:nl])
            del self.buf[:nl + 1]
            if not self.answer(line):
                return
        if len(self.buf) > protocol.MAX_LINE:
            # Answer at once and skip to the next line, without buffering the rest.
            self.buf.clear()
            self.skipping = True
            self.send(protocol.error(None, protocol.ProtocolError(
                f"request over the {protocol.MAX_LINE}-byte limit", errno.EMSGSIZE)))

    def answer(self, line: bytes) -> bool:
        """Answer one request line; False if the connection was closed."""
        if not line.strip():
            return True
        req_id: Any = None
        try:
            req_id, cmd, args = protocol.decode_request(line)
            if not self.allowed:
                raise Net80211Error(f"uid {self.uid} may not use this daemon (only root and uid "
                                    f"{os.geteuid()})", errno.EPERM)
            reply = protocol.ok(req_id, self.server.service.handle(cmd, args))
        except OSError as e:
            reply = protocol.error(req_id, e)
        except Exception as e:  # a bug must not take the daemon down: report it as EIO
            log.exception("request %r failed", line[:200])
            reply = protocol.error(req_id, Net80211Error(f"internal error: {type(e).__name__}: {e}"))
        if not self.send(reply):
            return False
        if not self.allowed:
            self.close()
            return False
        return True

    def send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.close()
            return False

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.server.sched.remove_reader(self.sock)
            self.sock.close()
        self.server.connections.discard(self)


class ControlServer:
    """The UNIX control socket: accept, check credentials, answer line by line."""

    def __init__(self, sched: Scheduler, service: Service, path: str) -> None:
        self.sched = sched
        self.service = service
        self.path = path
        self.sock: socket.socket | None = None
        self.connections: set[_Connection] = set()
        self.requests = 0

    def open(self) -> None:
        d = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(d, mode=0o755, exist_ok=True)
        prepare_socket_path(self.path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # the socket is born 0600: no window where others may connect
        try:
            s.bind(self.path)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        s.listen(16)
        s.setblocking(False)
        self.sock = s
        self.sched.add_reader(s, self._accept)

    def _accept(self) -> None:
        assert self.sock is not None
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                log.warning("accept: %s", e)
                return
            _pid, uid, _gid = peer_credentials(conn)
            allowed = uid == 0 or uid == os.geteuid()
            c = _Connection(self, conn, allowed, uid)
            if len(self.connections) >= MAX_CONNECTIONS:
                c.send(protocol.error(None, Net80211Error("too many connections", errno.EAGAIN)))
                conn.close()
                continue
            self.connections.add(c)
            self.sched.add_reader(conn, c.readable)

    def close(self) -> None:
        for c in list(self.connections):
            c.close()
        if self.sock is not None:
            self.sched.remove_reader(self.sock)
            self.sock.close()
            self.sock = None
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def prepare_socket_path(path: str) -> None:
    """Make room for the socket: a stale one (nobody answers) is removed; a
    live daemon or a file that is not a socket is an error."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise Net80211Error(f"{path} exists and is not a socket", errno.EEXIST)
    if _live(path):
        raise Net80211Error(f"a daemon already answers on {path}", errno.EADDRINUSE)
    log.info("removing stale socket %s", path)
    os.unlink(path)


class Daemon:
    """Devices, the control socket, and the real-time loop that runs them."""

    def __init__(self, config: Config, socket_path: str, state_path: str | None = None) -> None:
        self.config = config
        self.socket_path = socket_path
        self.state_path = state_path or f"{socket_path}.state"
        self.sched = Scheduler(realtime=True)
        self.state = StateFile(self.state_path)
        self.service = Service(self.sched, config, self.state)
        self.server = ControlServer(self.sched, self.service, socket_path)
        self.stopping = False
        self.recovered: dict[str, list[str]] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.started = threading.Event()

    def start(self) -> None:
        """Recover from a crashed predecessor, open the devices, then the socket."""
        prepare_socket_path(self.socket_path)
        self.recovered = recover(self.state_path)
        if self.recovered["taps"] or self.recovered["netns"]:
            log.info("removed what a previous daemon left: %s", self.recovered)
        self.state.save()
        self.sched.add_reader(self._wake_r, self._woken)
        try:
            self.service.open()
            self.server.open()
        except BaseException:
            self.shutdown()
            raise
        self.started.set()

    def _woken(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        if self.stopping:
            self.sched.stop()

    def request_stop(self) -> None:
        """Ask the loop to end (from a signal handler or another thread)."""
        self.stopping = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def run(self) -> None:
        while not self.stopping:
            self.sched.run_until(lambda: self.stopping, 3600 * SEC)

    def shutdown(self) -> None:
        """Every vap destroyed, every TAP and created namespace removed, socket removed."""
        self.server.close()
        self.service.close()
        self.sched.remove_reader(self._wake_r)
        self._wake_r.close()
        self._wake_w.close()

    def serve(self, *, install_signals: bool = True) -> None:
        old: dict[int, Any] = {}
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                old[sig] = signal.signal(sig, lambda *_: self.request_stop())
        try:
            self.start()
            log.info("wlanctl daemon on %s (pid %d)", self.socket_path, os.getpid())
            self.run()
        finally:
            if self.started.is_set():
                self.shutdown()
            for sig, h in old.items():
                signal.signal(sig, h)
