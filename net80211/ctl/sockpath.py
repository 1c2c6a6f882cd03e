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


def prepare_socket_path(path: str) -> None:
    """Make room for the socket: a stale one (nobody answers) is removed; a
    live daemon or a file that is not a socket is an error."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise Net80211Error(f"{path}: {e.strerror}", e.errno) from None
    if not stat.S_ISSOCK(st.st_mode):
        raise Net80211Error(f"{path} exists and is not a socket", errno.EEXIST)
    if _live(path):
        raise Net80211Error(f"a daemon already answers on {path}", errno.EADDRINUSE)
    log.info("removing stale socket %s", path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        raise Net80211Error(f"{path}: cannot remove the stale socket: {e.strerror}", e.errno) from None


def clear_stale_dgram(path: str) -> None:
    """Make room for a socket at `path`: a stale socket is removed; a live
    one or anything that is not a socket is an error naming the path."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise Net80211Error(f"{path}: {e.strerror}", e.errno) from None
    if not stat.S_ISSOCK(st.st_mode):
        raise Net80211Error(f"{path} exists and is not a socket (refused)", errno.EEXIST)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        pass  # nobody reads it: stale
    except FileNotFoundError:
        return
    except OSError as e:  # a socket of another kind (EPROTOTYPE): not ours to remove
        raise Net80211Error(f"{path} exists and is not a datagram socket ({e.strerror})",
                            errno.EEXIST) from None
    else:
        raise Net80211Error(f"{path}: another process serves this socket", errno.EADDRINUSE)
    finally:
        probe.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


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
