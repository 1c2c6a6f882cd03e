"""wlanctl's control protocol: JSON lines over a UNIX stream socket.

A request is one line `{"v": 1, "id": N, "cmd": "...", "args": {...}}`; the
answer is one line `{"v": 1, "id": N, "ok": true, "result": ...}` or
`{"v": 1, "id": N, "ok": false, "errno": E, "error": "ENAME", "message": "...",
"reasons": [...]}`.  Decoding untrusted bytes raises only `ProtocolError`.
"""

from __future__ import annotations

import errno
import json
from typing import Any, TypeVar

from ic.errors import ConcurrencyError, Net80211Error, errno_name

E = TypeVar("E", bound=BaseException)

VERSION = 1
MAX_LINE = 64 * 1024  # bytes of one request line, newline included
DEFAULT_SOCKET = "/run/net80211/wlanctl.sock"
SOCKET_ENV = "WLANCTL_SOCKET"


class ProtocolError(Net80211Error):
    """A request that is not valid protocol (its errno says how)."""

    default_errno = errno.EINVAL


def encode(msg: dict[str, Any]) -> bytes:
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=True).encode() + b"\n"


def request(cmd: str, args: dict[str, Any] | None = None, req_id: int = 1) -> bytes:
    return encode({"v": VERSION, "id": req_id, "cmd": cmd, "args": args or {}})


def decode_request(line: bytes) -> tuple[Any, str, dict[str, Any]]:
    """(id, cmd, args) of one request line; ProtocolError if it is not one."""
    if len(line) > MAX_LINE:
        raise ProtocolError(f"request of {len(line)} bytes is over the {MAX_LINE}-byte limit",
                            errno.EMSGSIZE)
    try:
        msg = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ProtocolError(f"malformed request: {type(e).__name__}: {str(e)[:80]}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("malformed request: not a JSON object")
    req_id = msg.get("id")
    if not (req_id is None or isinstance(req_id, (int, str))) or isinstance(req_id, bool):
        raise ProtocolError("malformed request: id must be a number or a string")
    if msg.get("v") != VERSION:
        raise ProtocolError(f"protocol version {msg.get('v')!r} not supported (this daemon speaks {VERSION})",
                            errno.EPROTONOSUPPORT)
    cmd = msg.get("cmd")
    if not isinstance(cmd, str):
        raise ProtocolError("malformed request: cmd must be a string")
    args = msg.get("args", {})
    if not isinstance(args, dict):
        raise ProtocolError("malformed request: args must be an object")
    return req_id, cmd, args


def ok(req_id: Any, result: Any) -> bytes:
    return encode({"v": VERSION, "id": req_id, "ok": True, "result": result})


def error(req_id: Any, exc: BaseException) -> bytes:
    """The error answer for an exception: its errno if it is an OSError, EIO otherwise."""
    code = exc.errno if isinstance(exc, OSError) and isinstance(exc.errno, int) else errno.EIO
    if isinstance(exc, OSError) and exc.strerror:
        message = exc.strerror
    else:
        message = str(exc) or type(exc).__name__
    msg: dict[str, Any] = {"v": VERSION, "id": req_id, "ok": False, "errno": code,
                           "error": errno_name(code), "message": message}
    if isinstance(exc, ConcurrencyError):
        msg["reasons"] = list(exc.reasons)
    # The word the error is about and the known word closest to it, when the
    # raiser named them (see `about`).
    for attr, key in (("word", "word"), ("suggestion", "did_you_mean")):
        v = getattr(exc, attr, None)
        if isinstance(v, str):
            msg[key] = v
    return encode(msg)


def about(exc: E, word: str, suggestion: str | None = None) -> E:
    """Mark an error with the word it is about (and a suggestion); returns it."""
    exc.word = word  # type: ignore[attr-defined]
    exc.suggestion = suggestion  # type: ignore[attr-defined]
    return exc


class RemoteError(Net80211Error):
    """An error answer from the daemon, raised in the client."""

    def __init__(self, message: str, code: int, reasons: list[str] | None = None,
                 word: str | None = None, suggestion: str | None = None) -> None:
        super().__init__(message, code)
        self.reasons = reasons or []
        self.word = word
        self.suggestion = suggestion


def decode_response(line: bytes) -> Any:
    """The result of an answer line, or raise its RemoteError."""
    try:
        msg = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError(f"malformed answer from the daemon: {e}", errno.EPROTO) from None
    if not isinstance(msg, dict) or msg.get("v") != VERSION or "ok" not in msg:
        raise ProtocolError("malformed answer from the daemon", errno.EPROTO)
    if msg["ok"]:
        return msg.get("result")
    code = msg.get("errno")
    if not isinstance(code, int) or code <= 0:
        code = errno.EIO
    return_reasons = msg.get("reasons") if isinstance(msg.get("reasons"), list) else None
    word = msg.get("word") if isinstance(msg.get("word"), str) else None
    suggestion = msg.get("did_you_mean") if isinstance(msg.get("did_you_mean"), str) else None
    raise RemoteError(str(msg.get("message", "error")), code, return_reasons, word, suggestion)
