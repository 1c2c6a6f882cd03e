"""The client side of the control socket."""

from __future__ import annotations

import errno
import os
import socket
import struct
from typing import Any

from ic import Net80211Error
from net80211.ctl import protocol

NOT_RUNNING_HINT = "is `wlanctl serve` running?"


class DaemonUnavailable(Net80211Error):
    """No daemon answers on the socket (its errno is the connect error)."""


def socket_path(explicit: str | None = None) -> str:
    return explicit or os.environ.get(protocol.SOCKET_ENV) or protocol.DEFAULT_SOCKET


class Client:
    """One connection to the daemon; `call` sends a request and waits for its answer."""

    def __init__(self, path: str | None = None, timeout: float = 30.0) -> None:
        self.path = socket_path(path)
        self._next_id = 0
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # A blocking connect waits (up to SO_SNDTIMEO) while the daemon's
        # listen queue is full; a socket with a Python timeout would fail at
        # once with EAGAIN when many clients connect at the same moment.
        sec = int(timeout)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                     struct.pack("ll", sec, int((timeout - sec) * 1e6)))
        try:
            s.connect(self.path)
            s.settimeout(timeout)
        except (FileNotFoundError, ConnectionRefusedError) as e:
            s.close()
            raise DaemonUnavailable(f"cannot connect to {self.path}: {e.strerror} ({NOT_RUNNING_HINT})",
                                    e.errno) from None
        except PermissionError:
            s.close()
            # The socket is 0600: only root and the daemon's user get this far.
            raise Net80211Error(f"{self.path}: permission denied: only root and the daemon's own user "
                                "may use wlanctl", errno.EPERM) from None
        except BlockingIOError:
            s.close()
            raise Net80211Error(f"cannot connect to {self.path}: the daemon's listen queue stayed full "
                                f"for {timeout:g} s", errno.EAGAIN) from None
        except OSError as e:
            s.close()
            raise DaemonUnavailable(f"cannot connect to {self.path}: {e.strerror or e} ({NOT_RUNNING_HINT})",
                                    e.errno or errno.ECONNREFUSED) from None
        self.sock = s
        self._rfile = s.makefile("rb")

    def call(self, cmd: str, args: dict[str, Any] | None = None) -> Any:
        self._next_id += 1
        try:
            self.sock.sendall(protocol.request(cmd, args, self._next_id))
            line = self._rfile.readline(protocol.MAX_LINE * 64)
        except TimeoutError:
            raise Net80211Error(f"{self.path}: the daemon did not answer", errno.ETIMEDOUT) from None
        except OSError as e:
            # A refused peer may be hung up on before our request is read; its answer is still there.
            line = self._rfile.readline() if e.errno == errno.EPIPE else b""
            if not line:
                raise Net80211Error(f"{self.path}: {e.strerror or e}", e.errno or errno.EIO) from None
        if not line:
            raise Net80211Error(f"{self.path}: the daemon closed the connection", errno.ECONNRESET)
        return protocol.decode_response(line)

    def close(self) -> None:
        self._rfile.close()
        self.sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
