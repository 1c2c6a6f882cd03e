"""Errors of the framework: `OSError` subclasses that carry an errno and a
sentence saying what was wrong, so the command line can map them to exit codes."""

from __future__ import annotations

import errno as _errno


def errno_name(code: int) -> str:
    """Symbolic name of an errno, preferring EOPNOTSUPP over its Linux alias ENOTSUP."""
    if code == _errno.EOPNOTSUPP:
        return "EOPNOTSUPP"
    return _errno.errorcode.get(code, str(code))


class Net80211Error(OSError):
    """Base class; `errno` is the code, `strerror` the human sentence."""

    default_errno = _errno.EIO

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(code if code is not None else self.default_errno, message)

    def __str__(self) -> str:
        # __init__ always passes an errno, so it is never None here.
        return f"{self.strerror} ({errno_name(self.errno or self.default_errno)})"


class NoSuchDevice(Net80211Error):
    default_errno = _errno.ENXIO


class InvalidArgument(Net80211Error, ValueError):
    default_errno = _errno.EINVAL


class NotSupported(Net80211Error):
    default_errno = _errno.EOPNOTSUPP


class Busy(Net80211Error):
    default_errno = _errno.EBUSY


class AlreadyExists(Net80211Error):
    default_errno = _errno.EEXIST


class DriverError(Net80211Error):
    default_errno = _errno.EIO


class IllegalTransition(InvalidArgument):
    """A state change the vap's operating mode does not allow."""


class StateQueueFull(Net80211Error):
    """More state changes queued on a vap than its bounded FIFO holds."""

    default_errno = _errno.ENOBUFS


class ConcurrencyError(Busy):
    """The concurrency policy refused a vap mix (EBUSY).

    `reasons` holds one sentence per failed rule or combination, so a caller
    can show the whole explanation and tests can match a single cause.
    """

    def __init__(self, message: str, reasons: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reasons: tuple[str, ...] = tuple(reasons) if reasons else (message,)
