"""`wlanctl serve`: the daemon.  A real-time scheduler runs the devices and
waits on the control socket, its connections and the TAP descriptors; the
control socket speaks `protocol` to root and the daemon's own user only."""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import signal
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from ic import Net80211Error, Scheduler
from ic.errors import errno_name
from ic.sched import SEC
from net80211.ctl import protocol
from net80211.ctl.config import DEFAULT_P2P_CTRL_DIR, Config
from net80211.ctl.p2p import sweep_stale
from net80211.ctl.service import Deferred, Service
from net80211.ctl.sockpath import bind_in_place, clear_stale_socket
from net80211.ctl.state import StateFile, recover
from net80211.wire.outfile import ensure_dir

log = logging.getLogger("net80211.ctl")

MAX_CONNECTIONS = 64  # beyond it the longest-idle client makes room; all busy: EAGAIN
SEND_TIMEOUT_S = 2.0  # a client that does not read its answers is dropped after this
IDLE_TIMEOUT_S = 60.0  # a client that asks nothing for this long is disconnected (ETIMEDOUT)
BATCH = 32  # connections accepted per turn of the loop
REQUESTS_PER_TURN = 1  # requests of one client answered per turn: a backlog delays no one else
OUT_HIGH = 1 << 20  # bytes of answers queued for a client before its requests wait
SOCKET_DIR_MODE = 0o755  # the socket's directory, when the daemon creates it
STOP_GRACE_S = 1.0  # after SIGTERM the loop is interrupted if it has not ended by then
_CRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process that connected (SO_PEERCRED)."""
    return _CRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size))


class _Connection:
    """One client: requests read line by line, answers queued and written as
    the client reads them.  Nothing blocks: a client that does not read is
    dropped after SEND_TIMEOUT_S, one that asks nothing after IDLE_TIMEOUT_S
    (or sooner, when a newcomer needs its slot), and one request per client
    is answered per turn of the loop, so no client's backlog holds the loop
    or delays another's answer."""

    def __init__(self, server: ControlServer, sock: socket.socket, allowed: bool, uid: int) -> None:
        self.server = server
        self.sock = sock
        self.allowed = allowed
        self.uid = uid
        self.buf = bytearray()
        self.out = bytearray()
        self.skipping = False
        self.closing = False  # close once the answers are written
        self.stalled: list[Any] | None = None  # the event dropping a client that does not read
        self.waiting: Deferred | None = None  # an answer not ready yet (a scan): later requests wait
        self.last_active = 0  # when it last asked or took an answer (virtual ns)
        self.last_seq = 0  # ... in the order of all clients' activity (ties of last_active)
        self.touch()
        # A user who may not use the daemon gets SEND_TIMEOUT_S for its one
        # answer: it cannot hold one of the MAX_CONNECTIONS slots idle.
        self.deadline = None if allowed else server.sched.call_later(
            round(SEND_TIMEOUT_S * SEC), self._idle)
        sock.setblocking(False)

    def readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.closing = True
            self._work()
            return
        if self.skipping:
            # The rest of an oversized request: drop it up to its newline.
            nl = data.find(b"\n")
            if nl < 0:
                return
            data = data[nl + 1:]
            self.skipping = False
        self.buf += data
        self._work()

    def touch(self) -> None:
        self.last_active = self.server.sched.now_ns
        self.server.activity += 1
        self.last_seq = self.server.activity

    @property
    def idle(self) -> bool:
        """Nothing to answer and nothing to write: the client owes the next move."""
        return (not self.out and not self.closing and self.buf.find(b"\n") < 0
                and self.waiting is None and self.sock.fileno() >= 0)

    def hang_up(self, message: str, code: int) -> None:
        """Tell the client why (if its socket takes it) and close."""
        self.queue(protocol.error(None, Net80211Error(message, code)))
        self._flush()
        self.close()

    def writable(self) -> None:
        self._unstall()  # the client took data: it gets another SEND_TIMEOUT_S
        self._flush()
        self._work()

    def _unstall(self) -> None:
        if self.stalled is not None:
            self.server.sched.cancel(self.stalled)
            self.stalled = None

    def _work(self) -> None:
        """Answer up to REQUESTS_PER_TURN complete requests (none while an
        answer is still being made), write what the socket takes, and watch
        the socket for what comes next."""
        if self.sock.fileno() < 0:
            return
        n = 0
        while (self.waiting is None and n < REQUESTS_PER_TURN and len(self.out) < OUT_HIGH
               and not (self.closing and not self.allowed and self.out)):
            nl = self.buf.find(b"\n")
            if nl < 0:
                break
            line = bytes(self.buf[:nl])
            del self.buf[:nl + 1]
            n += 1
            self.answer(line)
        if len(self.buf) > protocol.MAX_LINE and self.buf.find(b"\n") < 0:
            # Answer at once and skip to the next line, without buffering the rest.
            self.buf.clear()
            self.skipping = True
            self.queue(protocol.error(None, protocol.ProtocolError(
                f"request over the {protocol.MAX_LINE}-byte limit", errno.EMSGSIZE)))
        self._flush()
        if self.sock.fileno() < 0:
            return
        has_line = self.buf.find(b"\n") >= 0
        pending = has_line and self.waiting is None  # a request to answer next turn
        if self.closing and not self.out and self.waiting is None and (not pending or not self.allowed):
            self.close()
            return
        sched = self.server.sched
        # Read more only while answers are taken and no backlog waits.
        if not self.closing and len(self.out) < OUT_HIGH and not has_line:
            sched.add_reader(self.sock, self.readable)
        else:
            sched.remove_reader(self.sock)
        # Writable: answers to write, or requests left for the next turn.
        # Waiting for that is waiting for the client: it must read within
        # SEND_TIMEOUT_S of the last time it did.
        if self.out or pending:
            sched.add_writer(self.sock, self.writable)
            if self.stalled is None:
                self.stalled = sched.call_later(round(SEND_TIMEOUT_S * SEC), self._stall)
        else:
            sched.remove_writer(self.sock)
            self._unstall()

    def _flush(self) -> None:
        if not self.out or self.sock.fileno() < 0:
            return
        try:
            sent = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self.close()
            return
        if sent:
            self.touch()
        del self.out[:sent]

    def _idle(self) -> None:
        self.deadline = None
        self.server.counters["dropped_not_allowed"] += 1
        self.close()

    def _stall(self) -> None:
        self.stalled = None
        self.server.counters["dropped_not_reading"] += 1
        log.info("dropping a client (uid %d) that does not read its answers", self.uid)
        self.close()

    def answer(self, line: bytes) -> None:
        """Answer one request line."""
        if not line.strip():
            return
        req_id: Any = None
        self.server.requests += 1
        self.touch()
        try:
            req_id, cmd, args = protocol.decode_request(line)
            log.debug("uid %d: %s %s", self.uid, cmd, json.dumps(args, sort_keys=True)[:200])
            if not self.allowed:
                raise Net80211Error(f"uid {self.uid} may not use this daemon (only root and uid "
                                    f"{os.geteuid()})", errno.EPERM)
            result = self.server.service.handle(cmd, args)
            if isinstance(result, Deferred):
                self.waiting = result
                result.then(lambda d: self._deferred_done(req_id, d))
                return
            reply = protocol.ok(req_id, result)
        except OSError as e:
            self.server.counters[f"error_{errno_name(e.errno or errno.EIO)}"] += 1
            self.server.log_refusal(self.uid, e)
            reply = protocol.error(req_id, e)
        except Exception as e:  # a bug must not take the daemon down: report it as EIO
            self.server.counters["internal_errors"] += 1
            log.exception("request %r failed", line[:200])
            reply = protocol.error(req_id, Net80211Error(f"internal error: {type(e).__name__}: {e}"))
        self.queue(reply)
        if not self.allowed:
            self.closing = True  # one answer (EPERM), then hang up

    def _deferred_done(self, req_id: Any, d: Deferred) -> None:
        """The answer that was not ready is: send it, then serve what waited."""
        if self.waiting is not d:
            return
        self.waiting = None
        if self.sock.fileno() < 0:
            return
        if d.error is None:
            self.queue(protocol.ok(req_id, d.result))
        else:
            code = d.error.errno if isinstance(d.error, OSError) and d.error.errno else errno.EIO
            self.server.counters[f"error_{errno_name(code)}"] += 1
            self.queue(protocol.error(req_id, d.error))
        self.touch()
        self._work()

    def queue(self, data: bytes) -> None:
        self.out += data

    def send(self, data: bytes) -> bool:
        """Queue `data` and write what the socket takes now."""
        self.queue(data)
        self._flush()
        return self.sock.fileno() >= 0

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.server.sched.remove_reader(self.sock)
            self.server.sched.remove_writer(self.sock)
            self.sock.close()
        self._unstall()
        self.waiting = None  # an answer still being made goes nowhere
        if self.deadline is not None:
            self.server.sched.cancel(self.deadline)
            self.deadline = None
        self.server.connections.discard(self)


class ControlServer:
    """The UNIX control socket: accept, check credentials, answer line by line."""

    def __init__(self, sched: Scheduler, service: Service, path: str) -> None:
        self.sched = sched
        self.service = service
        self.path = path
        self.sock: socket.socket | None = None
        self.inode: tuple[int, int] | None = None
        self.connections: set[_Connection] = set()
        self.requests = 0
        self.counters: Counter[str] = Counter()
        self.idle_timeout_s = IDLE_TIMEOUT_S
        self.activity = 0  # counts every client's requests and answers taken
        self.refusals = 0  # requests answered with an error
        self._sweeper: list[Any] | None = None  # the event closing idle clients

    def open(self) -> None:
        ensure_dir(os.path.dirname(os.path.abspath(self.path)), SOCKET_DIR_MODE)
        clear_stale_socket(self.path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # Bound under a temporary name, listening, then renamed: a client
            # finds the path only once connections are taken (no ECONNREFUSED).
            bind_in_place(s, self.path, 0o600)
            st = os.lstat(self.path)
        except OSError:
            s.close()
            raise
        self.inode = (st.st_dev, st.st_ino)
        s.setblocking(False)
        self.sock = s
        self.sched.add_reader(s, self._accept)

    def _accept(self) -> None:
        assert self.sock is not None
        for _ in range(BATCH):
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
            # Only a user who may use the daemon makes an idle client give way.
            if len(self.connections) >= MAX_CONNECTIONS and not (allowed and self._evict_idle()):
                self.counters["refused_too_many"] += 1
                c.send(protocol.error(None, Net80211Error(
                    f"too many connections: all {MAX_CONNECTIONS} are busy, try again", errno.EAGAIN)))
                c.close()
                continue
            self.connections.add(c)
            self.sched.add_reader(conn, c.readable)
            self._arm_sweeper()

    def log_refusal(self, uid: int, e: OSError) -> None:
        """A refused request is an event the user sees: one line, the first
        1000 and every 1000th after (a flood of bad requests floods nothing)."""
        self.refusals += 1
        n = self.refusals
        if n <= 1000 or n % 1000 == 0:
            log.info("uid %d refused: %s (%s)%s", uid, e.strerror or e, errno_name(e.errno or errno.EIO),
                     f" [{n} refusals]" if n > 1000 else "")

    def _evict_idle(self) -> bool:
        """Make room for a newcomer: the client idle the longest is hung up on."""
        idle = [c for c in self.connections if c.idle and c.allowed]
        if not idle:
            return False
        victim = min(idle, key=lambda c: c.last_seq)
        self.counters["evicted_idle"] += 1
        log.debug("closing an idle client (uid %d) to make room", victim.uid)
        victim.hang_up("idle connection closed: another client needed its slot", errno.ETIMEDOUT)
        return True

    def _arm_sweeper(self) -> None:
        if self._sweeper is None and self.connections:
            self._sweeper = self.sched.call_later(round(self.idle_timeout_s * SEC / 4), self._sweep)

    def _sweep(self) -> None:
        """Disconnect the clients that asked nothing for idle_timeout_s."""
        self._sweeper = None
        limit = self.sched.now_ns - round(self.idle_timeout_s * SEC)
        for c in [c for c in self.connections if c.idle and c.last_active <= limit]:
            self.counters["dropped_idle"] += 1
            log.debug("closing a client (uid %d) idle for %.0f s", c.uid, self.idle_timeout_s)
            c.hang_up(f"idle connection closed after {self.idle_timeout_s:g} s without a request",
                      errno.ETIMEDOUT)
        self._arm_sweeper()

    def close(self) -> None:
        for c in list(self.connections):
            c.close()
        if self._sweeper is not None:
            self.sched.cancel(self._sweeper)
            self._sweeper = None
        if self.sock is not None:
            self.sched.remove_reader(self.sock)
            self.sock.close()
            self.sock = None
            try:
                st = os.lstat(self.path)
                if (st.st_dev, st.st_ino) == self.inode:  # ours, not a successor's
                    os.unlink(self.path)
            except OSError:
                pass


class Daemon:
    """Devices, the control socket, and the real-time loop that runs them."""

    def __init__(self, config: Config, socket_path: str, state_path: str | None = None) -> None:
        self.socket_path = socket_path
        if config.p2p_ctrl_dir == DEFAULT_P2P_CTRL_DIR:
            config = dataclasses.replace(config, p2p_ctrl_dir=self.p2p_dir_for(socket_path))
        self.config = config
        self.state_path = state_path or f"{socket_path}.state"
        self.made_dirs: list[str] = []  # directories this daemon created, removed at exit if empty
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
        self.sched.io_error = self._io_error
        self.io_failures: Counter[str] = Counter()
        self.service.counters = self.counters

    @staticmethod
    def p2p_dir_for(socket_path: str) -> str:
        """The P2P control directory beside a control socket: /run/net80211/p2p
        beside the default socket (where wpa_cli users look), SOCKET.p2p beside
        any other (a name of its own: two daemons in /tmp share nothing)."""
        path = os.path.abspath(socket_path)
        if path == protocol.DEFAULT_SOCKET:
            return os.path.join(os.path.dirname(path), "p2p")
        return f"{path}.p2p"

    def counters(self) -> dict[str, int]:
        """What the daemon answered, refused and contained since it started."""
        return dict(sorted(self.server.counters.items()), requests=self.server.requests,
                    connections=len(self.server.connections), io_errors=self.sched.io_errors)

    def _io_error(self, callback: Callable[[], Any], exc: Exception) -> None:
        # Whatever a descriptor's callback did wrong, the loop serves on.  A
        # callback failing again and again (its data never consumed) must not
        # flood the log: the first failure and every 1000th are logged.
        name = str(getattr(callback, "__qualname__", callback))
        self.io_failures[name] += 1
        n = self.io_failures[name]
        if n == 1 or n % 1000 == 0:
            log.error("%s failed (%d times): %s: %s", name, n, type(exc).__name__, exc, exc_info=exc)

    def start(self) -> None:
        """Make the socket's directory, recover from a crashed predecessor,
        open the devices, then the socket."""
        sock_dir = os.path.dirname(os.path.abspath(self.socket_path))
        dirs = [sock_dir] + ([self.config.p2p_ctrl_dir] if self.config.p2p_ctrl_dir else [])
        missing = [d for d in dirs if not os.path.lexists(d)]
        ensure_dir(sock_dir, SOCKET_DIR_MODE)
        self.made_dirs = [d for d in missing if d == sock_dir]
        clear_stale_socket(self.socket_path)
        self.recovered = recover(self.state_path)
        # The P2P directory is made on the first P2P device; noted now so
        # that it is removed at exit only if this daemon made it.
        self.made_dirs += [d for d in missing if d != sock_dir]
        if self.config.p2p_ctrl_dir is not None:
            self.recovered["p2p_sockets"] = sweep_stale(self.config.p2p_ctrl_dir)
        if any(self.recovered.values()):
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
        for d in reversed(self.made_dirs):  # the P2P directory, then the socket's
            try:
                os.rmdir(d)  # only if empty: another's files there stay
            except OSError:
                pass
        self.made_dirs = []

    def _signalled(self, signum: int, _frame: Any) -> None:
        if self.stopping:
            raise _Interrupted(signum)  # asked twice: stop now
        self.request_stop()
        # Whatever the loop is doing, it ends within STOP_GRACE_S: if it has
        # not returned by then, SIGALRM interrupts it.
        signal.setitimer(signal.ITIMER_REAL, STOP_GRACE_S)

    @staticmethod
    def _overdue(signum: int, _frame: Any) -> None:
        raise _Interrupted(signum)

    def serve(self, *, install_signals: bool = True) -> None:
        old: dict[signal.Signals, Any] = {}
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                old[sig] = signal.signal(sig, self._signalled)
            old[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._overdue)
        try:
            try:
                self.start()  # a start that fails cleans up after itself
                log.info("wlanctl daemon on %s (pid %d)", self.socket_path, os.getpid())
                self.run()
            except _Interrupted:
                log.warning("not done within %.1f s of the signal: interrupted", STOP_GRACE_S)
        finally:
            if install_signals:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if self.started.is_set():
                self.shutdown()
            for sig, h in old.items():
                signal.signal(sig, h)


class _Interrupted(BaseException):
    """Raised out of a loop that did not end in time after SIGTERM."""
