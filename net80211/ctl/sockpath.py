"""Where the daemon's sockets live: making room for one at a path (a stale
socket is removed, a live one or anything else is refused) and binding so
that the path appears only once the socket takes connections."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import socket
import stat

from ic import InvalidArgument, Net80211Error

log = logging.getLogger("net80211.ctl")


def clear_stale_socket(path: str, kind: int = socket.SOCK_STREAM) -> None:
    """Make room for a socket of `kind` at `path`: a stale one (nobody
    answers) is removed; a live one, a socket of another kind or a file that
    is not a socket is left alone and refused with an error naming the path."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise Net80211Error(f"{path}: {e.strerror}", e.errno) from None
    if not stat.S_ISSOCK(st.st_mode):
        raise Net80211Error(f"{path} exists and is not a socket", errno.EEXIST)
    what = "stream" if kind == socket.SOCK_STREAM else "datagram"
    probe = socket.socket(socket.AF_UNIX, kind)
    try:
        probe.settimeout(1.0)
        probe.connect(path)
    except FileNotFoundError:
        return  # removed meanwhile
    except ConnectionRefusedError:
        pass  # nobody reads it: stale
    except TimeoutError:  # a daemon too busy to accept is still a daemon
        raise Net80211Error(f"a daemon already answers on {path} (busy)", errno.EADDRINUSE) from None
    except OSError as e:  # EPROTOTYPE: a socket of another kind, not ours to remove
        raise Net80211Error(f"{path} exists and is not a {what} socket ({e.strerror})",
                            errno.EEXIST) from None
    else:
        raise Net80211Error(f"a daemon already answers on {path}", errno.EADDRINUSE)
    finally:
        probe.close()
    log.info("removing stale socket %s", path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        raise Net80211Error(f"{path}: cannot remove the stale socket: {e.strerror}", e.errno) from None


def bind_in_place(sock: socket.socket, path: str, mode: int, backlog: int = 64) -> None:
    """Bind `sock` at `path` so that the path appears only once the socket
    takes connections: bound under a temporary name (born with `mode`),
    listening if it is a stream socket, then renamed into place."""
    d = os.path.dirname(path) or "."
    tmp = os.path.join(d, f".{secrets.token_hex(3)}")
    if len(os.fsencode(tmp)) > 107 or len(os.fsencode(path)) > 107:
        raise InvalidArgument(f"{path}: too long for a UNIX socket address", errno.ENAMETOOLONG)
    old = os.umask(0o777 & ~mode)  # born with its mode: no window with a wider one
    try:
        sock.bind(tmp)
    except OSError as e:
        raise Net80211Error(f"{path}: cannot bind ({tmp}): {e.strerror}", e.errno) from None
    finally:
        os.umask(old)
    try:
        if sock.type == socket.SOCK_STREAM:
            sock.listen(backlog)
        os.rename(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise Net80211Error(f"{path}: {e.strerror}", e.errno) from None
