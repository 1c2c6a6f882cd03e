"""wmediumd's run-time control API (server mode) for a running modeled medium.

Mininet-WiFi (mn_wifi/wmediumdConnector.py) starts wmediumd with `-s` and
changes the medium while it runs through a UNIX stream socket, by default
/var/run/wmediumd.sock: link SNRs and error probabilities, station
positions, tx powers, antenna gains, shadowing samples and medium ids, and
stations added or removed.  This module speaks that protocol with the same
bytes as the wmediumd fork Mininet-WiFi installs (REFERENCE §10):

- `Parser` (sans-IO) splits a byte stream into `Request`s; `reply()` and
  `specprob_reply()`/`add_reply()` build the answers.
- `ControlServer` listens on the socket from a `Scheduler`: every client is
  read and written without blocking, so a client that sends half a request
  or stops reading holds up nobody else.
- `wcontrol.WmediumdControl` applies each request to the `HwsimMedium` of
  a daemon and decides the result code the fork gives.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import stat
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ic.sched import Scheduler
from net80211.ctl.sockpath import bind_in_place

log = logging.getLogger("wmediumd.server")
NOTICE = 25  # syslog's NOTICE, between INFO and WARNING: wmediumd logs every update at it
logging.addLevelName(NOTICE, "NOTICE")

SOCKET_PATH = "/var/run/wmediumd.sock"
SPECPROB_ENTRIES = 12 * 12  # packet-size index x rate index
READ_SIZE = 4096  # bytes taken from one client per readiness: nobody starves the others
OUT_HIGH = 64 * 1024  # a client with this much unread reply stops being read ...
OUT_LOW = 16 * 1024  # ... until it has taken its replies down to this
LISTEN_BACKLOG = 10  # as wmediumd
MAX_CLIENTS = 256  # connections served at once; more are accepted and closed, so none waits forever


class MsgType(IntEnum):
    """Request types; each response type is the request's plus one."""

    SHUTDOWN = 0
    SNR = 1
    DEL_BY_MAC = 3
    DEL_BY_ID = 5
    ADD = 7
    ERRPROB = 9
    SPECPROB = 11
    POSITION = 13
    TXPOWER = 15
    GAIN = 17
    HEIGHT = 19
    GAUSSIAN_RANDOM = 21
    MEDIUM = 23


class Result(IntEnum):
    SUCCESS = 0
    NOT_FOUND = 1  # unknown interface
    DUPLICATE = 2  # ADD of an address that exists
    WRONG_MODE = 3  # the update does not apply to the medium's model


# Bodies after the type byte, big-endian and packed as wmediumd's structs.
BODY: dict[int, struct.Struct] = {
    MsgType.SHUTDOWN: struct.Struct("!"),
    MsgType.SNR: struct.Struct("!6s6si"),
    MsgType.DEL_BY_MAC: struct.Struct("!6s"),
    MsgType.DEL_BY_ID: struct.Struct("!i"),
    MsgType.ADD: struct.Struct("!6s"),
    MsgType.ERRPROB: struct.Struct("!6s6sI"),
    MsgType.SPECPROB: struct.Struct(f"!6s6s{SPECPROB_ENTRIES}I"),
    MsgType.POSITION: struct.Struct("!6sfff"),
    MsgType.TXPOWER: struct.Struct("!6si"),
    MsgType.GAIN: struct.Struct("!6si"),
    MsgType.HEIGHT: struct.Struct("!6si"),
    MsgType.GAUSSIAN_RANDOM: struct.Struct("!6sf"),
    MsgType.MEDIUM: struct.Struct("!6si"),
}
SIZE = {t: 1 + s.size for t, s in BODY.items()}  # whole request, type byte included
MAX_REQUEST = max(SIZE.values())
_I32 = struct.Struct("!i")


class Disconnect(Exception):
    """A handler's way to drop the client without an answer (wmediumd's WACTION_ERROR)."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request: its type, its bytes as received and the decoded body."""

    type: int
    raw: bytes
    fields: tuple[Any, ...]


def fixed_to_prob(u: int) -> float:
    """wmediumd's u32 fixed-point error probability as a float.

    The fork divides by `1 << 31` computed in a signed int, i.e. by -2**31:
    0x80000000 is 1.0, 0xC0000000 is 0.5, 0 is 0.0 and 0x40000000 is -0.5.
    """
    return (u >> 31) - (u & 0x7FFF_FFFF) / 2**31


def prob_to_fixed(p: float) -> int:
    """The u32 Mininet-WiFi's connector sends for a probability in [0, 1]."""
    whole = int(p)
    frac = int((p - whole) * -(2**31))
    return ((whole << 31) + frac) & 0xFFFF_FFFF


class Parser:
    """Cuts requests out of a stream (no length field: the type gives the size).

    A byte that is no known request type is skipped on its own, as wmediumd
    does, and counted in `skipped`.  At most one partial request is held.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped = 0

    @property
    def pending(self) -> int:
        """Bytes of an incomplete request held back."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Request]:
        buf = self._buf
        buf += data
        out: list[Request] = []
        pos = 0
        n = len(buf)
        while pos < n:
            t = buf[pos]
            size = SIZE.get(t)
            if size is None:
                self.skipped += 1
                pos += 1
                continue
            if n - pos < size:
                break
            raw = bytes(buf[pos:pos + size])
            out.append(Request(t, raw, BODY[t].unpack_from(raw, 1)))
            pos += size
        del buf[:pos]
        return out


def reply(req: Request, result: int) -> bytes:
    """`[type + 1][the request echoed][result]`: every answer but ADD's and SPECPROB's."""
    return bytes((req.type + 1,)) + req.raw + bytes((result,))


def add_reply(req: Request, created_id: int, result: int) -> bytes:
    return bytes((MsgType.ADD + 1,)) + req.raw + _I32.pack(created_id) + bytes((result,))


def specprob_reply(req: Request, result: int) -> bytes:
    """SPECPROB is not echoed: `[12][from][to][result]`."""
    return bytes((MsgType.SPECPROB + 1,)) + req.raw[1:13] + bytes((result,))


# -- the socket --------------------------------------------------------------------------
class _Client:
    """One control connection: requests answered in order, never blocking."""

    def __init__(self, server: ControlServer, sock: socket.socket, cid: int) -> None:
        self.server = server
        self.sched = server.sched
        self.sock = sock
        self.cid = cid
        self.parser = Parser()
        self.out = bytearray()
        self.reading = True
        self.closed = False
        sock.setblocking(False)
        self.sched.add_reader(sock, self._readable)

    def _readable(self) -> None:
        if self.closed:
            return
        try:
            data = self.sock.recv(READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.close()
            return
        stats = self.server.stats
        skipped = self.parser.skipped
        for req in self.parser.feed(data):
            if req.type == MsgType.SHUTDOWN:
                # wmediumd stops listening on SHUTDOWN and drops this client;
                # other clients and the medium carry on.
                stats["shutdown"] += 1
                self.server.stop_listening()
                self.close()
                return
            stats["requests"] += 1
            try:
                answer = self.server.handler(req)
            except Disconnect as e:
                log.warning("W_SRV: Disconnecting client because of error: %s", e)
                stats["disconnected"] += 1
                self.close()
                return
            except Exception:  # a bug must cost this client, never the medium
                log.exception("request %s failed", req.raw.hex())
                stats["errors"] += 1
                self.close()
                return
            if answer:
                self.send(answer)
            if self.closed:
                return
        if self.parser.skipped != skipped:
            stats["skipped_bytes"] += self.parser.skipped - skipped

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        if not self.out:
            try:
                sent = self.sock.send(data, socket.MSG_NOSIGNAL)
            except BlockingIOError:
                sent = 0
            except OSError:
                self.close()
                return
            data = data[sent:]
            if not data:
                return
            self.sched.add_writer(self.sock, self._writable)
        self.out += data
        if self.reading and len(self.out) > OUT_HIGH:
            # It does not read its answers: stop reading its requests (wmediumd's
            # thread would block in send), so its replies never pile up.
            self.reading = False
            self.server.stats["paused"] += 1
            self.sched.remove_reader(self.sock)

    def _writable(self) -> None:
        if self.closed:
            return
        try:
            sent = self.sock.send(self.out, socket.MSG_NOSIGNAL)
        except BlockingIOError:
            return
        except OSError:
            self.close()
            return
        del self.out[:sent]
        if not self.out:
            self.sched.remove_writer(self.sock)
        if not self.reading and len(self.out) <= OUT_LOW:
            self.reading = True
            self.sched.add_reader(self.sock, self._readable)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.sched.remove_reader(self.sock)
        self.sched.remove_writer(self.sock)
        self.sock.close()
        self.out.clear()
        self.server._gone(self)


class ControlServer:
    """Listens on a UNIX stream socket and hands each request to `handler`,
    which returns the answer's bytes (or None for no answer)."""

    def __init__(self, sched: Scheduler, path: str, handler: Callable[[Request], bytes | None], *,
                 max_clients: int = MAX_CLIENTS) -> None:
        self.sched = sched
        self.path = path
        self.handler = handler
        self.max_clients = max_clients
        self.stats: Counter[str] = Counter()
        self.clients: dict[int, _Client] = {}
        self._next = 0
        self.listening = False
        _remove_stale(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        umask = os.umask(0)
        os.umask(umask)
        try:
            # The path appears only once the socket listens: a client that
            # connects as soon as it sees it is never refused.
            bind_in_place(sock, path, 0o777 & ~umask, LISTEN_BACKLOG)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self.sock = sock
        self.listening = True
        sched.add_reader(sock, self._accept)

    def _accept(self) -> None:
        while self.listening:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                # out of descriptors and the like: keep serving the others
                log.warning("accept failed: %s", e.strerror)
                self.stats["accept_errors"] += 1
                return
            if len(self.clients) >= self.max_clients:
                # Closing at once keeps the listener drained (no busy readiness)
                # and tells the client, where a full backlog would leave it hanging.
                conn.close()
                self.stats["refused"] += 1
                continue
            self._next += 1
            self.clients[self._next] = _Client(self, conn, self._next)
            self.stats["clients"] += 1
            log.info("W_SRV: Client connected (%d)", self._next)

    def _gone(self, client: _Client) -> None:
        self.clients.pop(client.cid, None)
        log.info("W_SRV: Client has disconnected (%d)", client.cid)

    def stop_listening(self) -> None:
        """No new clients; the socket file goes away.  Connected clients stay."""
        if not self.listening:
            return
        self.listening = False
        self.sched.remove_reader(self.sock)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def close(self) -> None:
        """Stop listening and disconnect every client."""
        self.stop_listening()
        for c in list(self.clients.values()):
            c.close()


def _remove_stale(path: str) -> None:
    """wmediumd unlinks whatever is at its socket path; we only replace a socket."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise OSError(errno.EEXIST, f"{path} exists and is not a socket")
    os.unlink(path)
