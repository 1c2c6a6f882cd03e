"""Creating the files the project writes, safely for a root process.

A daemon running as root must not be steered into writing through a symlink
or a hard link someone else planted.  Every file is opened with O_NOFOLLOW
(and O_EXCL where it is new), must turn out to be a plain file, and lives in
a directory no other user could have prepared: owned by root or by us and
not writable by others unless sticky (like /tmp).  Errors are OSError
subclasses carrying the errno and naming the path.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from typing import BinaryIO

from ic import Net80211Error

__all__ = ["check_dir", "ensure_dir", "open_output", "open_socket_path", "read_private",
           "write_atomic"]

_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


def _err(path: str | os.PathLike[str], e: OSError, what: str = "") -> Net80211Error:
    text = e.strerror or str(e)
    if e.errno == errno.ELOOP:
        text = "is a symbolic link (refused)"
    return Net80211Error(f"{os.fspath(path)}: {what + ': ' if what else ''}{text}", e.errno or errno.EIO)


def check_dir(path: str | os.PathLike[str], *, group_ok: bool = False) -> os.stat_result:
    """Refuse a directory that another user could have prepared: it must be
    a directory, owned by root or by us, and not writable by others (nor by
    its group unless `group_ok`) unless sticky.  Returns its stat."""
    p = os.fspath(path) or "."
    try:
        st = os.stat(p)
    except OSError as e:
        raise _err(p, e) from None
    if not stat.S_ISDIR(st.st_mode):
        raise Net80211Error(f"{p}: not a directory", errno.ENOTDIR)
    euid = os.geteuid()
    if st.st_uid not in (0, euid):
        raise Net80211Error(f"{p}: directory belongs to uid {st.st_uid}, not to us or root "
                            "(refused: its owner could swap the files in it)", errno.EPERM)
    writers = stat.S_IWOTH | (0 if group_ok else stat.S_IWGRP)
    if st.st_mode & writers and not st.st_mode & stat.S_ISVTX:
        raise Net80211Error(f"{p}: directory is writable by others and not sticky (refused)",
                            errno.EPERM)
    return st


def ensure_dir(path: str | os.PathLike[str], mode: int) -> None:
    """Create `path` (and missing parents, 0755) with exactly `mode` whatever
    the umask; an existing directory is checked (`check_dir`), not changed."""
    p = os.path.abspath(os.fspath(path))
    missing = []
    q = p
    while not os.path.lexists(q):
        missing.append(q)
        parent = os.path.dirname(q)
        if parent == q:
            break
        q = parent
    for d in reversed(missing):
        m = mode if d == p else 0o755
        try:
            os.mkdir(d, m)
        except FileExistsError:
            continue  # made meanwhile by someone else: checked below like any existing one
        except OSError as e:
            raise _err(d, e, "cannot create directory") from None
        try:
            os.chmod(d, m)  # mkdir's mode went through the umask
        except OSError as e:
            raise _err(d, e) from None
    try:
        st = os.lstat(p)
    except OSError as e:
        raise _err(p, e) from None
    if stat.S_ISLNK(st.st_mode):
        raise Net80211Error(f"{p}: is a symbolic link, not a directory (refused)", errno.ELOOP)
    check_dir(p, group_ok=bool(mode & stat.S_IWGRP))


def _plain(fd: int, path: str) -> os.stat_result:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise Net80211Error(f"{path}: not a regular file (refused)", errno.EINVAL)
    if st.st_nlink > 1:
        raise Net80211Error(f"{path}: has {st.st_nlink} hard links (refused)", errno.EMLINK)
    if st.st_uid not in (0, os.geteuid()):
        raise Net80211Error(f"{path}: belongs to uid {st.st_uid} (refused)", errno.EPERM)
    return st


def open_output(path: str | os.PathLike[str], mode: int = 0o644) -> BinaryIO:
    """Open a file to (over)write from its start: created if missing, never
    through a symlink, only a plain file of ours with one link, in a
    directory that passes `check_dir`."""
    p = os.fspath(path)
    try:
        check_dir(os.path.dirname(p) or ".")
    except Net80211Error as e:
        raise Net80211Error(f"{p}: {e.strerror}", e.errno) from None
    try:
        # O_NONBLOCK: a FIFO planted there must not block the caller in open().
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | _NOFOLLOW, mode)
    except OSError as e:
        raise _err(p, e, "cannot open for writing") from None
    try:
        _plain(fd, p)
        os.set_blocking(fd, True)
        os.ftruncate(fd, 0)
    except OSError as e:
        os.close(fd)
        raise e if isinstance(e, Net80211Error) else _err(p, e) from None
    return os.fdopen(fd, "wb")


def write_atomic(path: str | os.PathLike[str], data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data`: a new file made with O_EXCL|O_NOFOLLOW next
    to it, then renamed over it (a rename replaces a symlink, never its target)."""
    p = os.fspath(path)
    d = os.path.dirname(p) or "."
    check_dir(d)
    tmp = os.path.join(d, f".{os.path.basename(p)}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    except OSError as e:
        raise _err(tmp, e, "cannot create") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, p)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise _err(p, e, "cannot write") from None


def read_private(path: str | os.PathLike[str], limit: int = 1 << 20) -> bytes | None:
    """The content of a file only we (or root) could have written, without
    following a symlink; None if there is none.  Anything else is an error."""
    p = os.fspath(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _err(p, e, "cannot read") from None
    try:
        _plain(fd, p)
        if os.fstat(fd).st_size > limit:
            raise Net80211Error(f"{p}: larger than {limit} bytes (refused)", errno.EFBIG)
        chunks: list[bytes] = []
        while True:
            b = os.read(fd, 65536)
            if not b:
                return b"".join(chunks)
            chunks.append(b)
    finally:
        os.close(fd)


def open_socket_path(path: str | bytes) -> int:
    """An O_PATH descriptor of the UNIX socket at `path`, reached without
    following any symlink on the way (each component opened with
    O_NOFOLLOW); send to it as /proc/self/fd/N.  OSError otherwise."""
    p = os.fsdecode(path)
    parts = [c for c in p.split("/") if c not in ("", ".")]
    if not parts or ".." in parts:
        raise Net80211Error(f"{p}: not a plain socket path", errno.EINVAL)
    fd = os.open("/" if p.startswith("/") else ".", os.O_PATH | os.O_DIRECTORY | _NOFOLLOW)
    try:
        for name in parts[:-1]:
            nfd = os.open(name, os.O_PATH | os.O_DIRECTORY | _NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nfd
        nfd = os.open(parts[-1], os.O_PATH | _NOFOLLOW, dir_fd=fd)
    finally:
        os.close(fd)
    st = os.fstat(nfd)
    if not stat.S_ISSOCK(st.st_mode):
        os.close(nfd)
        if stat.S_ISLNK(st.st_mode):
            raise Net80211Error(f"{p}: is a symbolic link (refused)", errno.ELOOP)
        raise Net80211Error(f"{p}: not a socket", errno.ENOTSOCK)
    return nfd
