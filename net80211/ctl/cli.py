"""`wlanctl`: the command line.  `serve` runs the daemon; `run` and
`conformance` hand over to their modules; everything else is parsed by
`grammar`, sent to the daemon and its answer printed.  Errors are one line
on stderr (with --json one JSON object: errno name and number, message, the
word that was wrong and the closest known one) and the exit status is the
errno."""

from __future__ import annotations

import argparse
import errno
import importlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from ic.errors import errno_name
from net80211.ctl import grammar
from net80211.ctl.client import Client, socket_path
from net80211.ctl.config import load_config
from net80211.ctl.output import format_result
from net80211.ctl.protocol import RemoteError
from net80211.ctl.server import Daemon

PROG = "wlanctl"
# Commands that hand their words over to a module of their own (its cli_main).
_LOCAL_MODULES = {"run": "scenario", "conformance": "conformance", "sweep": "sweep"}


def _fail(message: str, code: int, *, as_json: bool = False, word: str | None = None,
          suggestion: str | None = None) -> int:
    text = " ".join(message.split("\n"))  # one line, whatever the message holds
    if as_json:
        print(json.dumps(error_object(text, code, word=word, suggestion=suggestion), sort_keys=True),
              file=sys.stderr)
    else:
        print(f"{PROG}: {text} ({errno_name(code)})", file=sys.stderr)
    return code if 0 < code < 256 else 1


def error_object(message: str, code: int, *, word: str | None = None,
                 suggestion: str | None = None) -> dict[str, Any]:
    """An error as --json prints it: the same fields as the protocol's error answer."""
    out: dict[str, Any] = {"ok": False, "errno": code, "error": errno_name(code), "message": message}
    if word is not None:
        out["word"] = word
    if suggestion is not None:
        out["did_you_mean"] = suggestion
    return out


def _os_message(e: OSError) -> str:
    """An OSError's text with the path it is about (Python keeps it apart)."""
    text = e.strerror or str(e)
    if e.filename is not None and str(e.filename) not in text:
        text = f"{e.filename}: {text}"
    return text


def serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{PROG} serve", description="run the daemon that holds the devices")
    p.add_argument("--config", metavar="FILE", help="TOML configuration (devices, vaps, defaults)")
    p.add_argument("--socket", metavar="PATH", help="control socket (default $WLANCTL_SOCKET or "
                   "/run/net80211/wlanctl.sock)")
    p.add_argument("--state", metavar="FILE", help="state file (default: the socket path + .state)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="-v: every request and client; -vv: the protocol state machines too")
    return p


def setup_logging(verbose: int) -> None:
    """Quiet by default: one line per user-visible event (the daemon's own
    INFO lines: vaps created, destroyed, changing state; clients refused).
    -v adds the daemon's debug lines, -vv every library's (the state
    machines' transitions)."""
    logging.basicConfig(level=logging.DEBUG if verbose >= 2 else logging.WARNING,
                        format=f"{PROG}[%(process)d]: %(message)s")
    logging.getLogger("net80211.ctl").setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)
    logging.getLogger("net80211.state").setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)


def serve_main(argv: Sequence[str]) -> int:
    try:
        args = serve_parser().parse_args(list(argv))
    except SystemExit as e:  # -h (0) or a usage error (argparse said what)
        return 0 if not e.code else errno.EINVAL
    setup_logging(args.verbose)
    try:
        cfg = load_config(args.config)
        daemon = Daemon(cfg, socket_path(args.socket), args.state)
        daemon.serve()
    except OSError as e:
        return _fail(_os_message(e), e.errno or errno.EIO)
    return 0


def _delegate(module: str, argv: Sequence[str]) -> int:
    """Hand the words over to `net80211.<module>.cli_main`, loaded only now."""
    try:
        mod = importlib.import_module(f"net80211.{module}")
    except ModuleNotFoundError as e:
        if e.name not in (f"net80211.{module}", "net80211"):
            raise
        return _fail(f"{module}: not available in this installation (net80211.{module} is missing)",
                     errno.EOPNOTSUPP)
    fn = getattr(mod, "cli_main", None)
    if fn is None:
        return _fail(f"{module}: net80211.{module} has no cli_main", errno.EOPNOTSUPP)
    return int(fn(list(argv)) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        inv = grammar.parse(argv)
    except grammar.UsageError as e:
        as_json = argv[:1] not in (["serve"], ["run"], ["conformance"]) and "--json" in argv
        rc = _fail(e.strerror or str(e), e.errno or errno.EINVAL, as_json=as_json, word=e.word,
                   suggestion=e.suggestion)
        if as_json:
            return rc
        topic = e.command
        print(f"usage: {grammar.BY_NAME[topic].synopsis}" if topic in grammar.BY_NAME
              else f"`{PROG} -h` for help", file=sys.stderr)
        return rc
    if inv.command == "serve":
        return serve_main(inv.rest)
    if inv.command in _LOCAL_MODULES:
        if inv.rest in (["-h"], ["--help"]) and not _available(inv.command):
            print(grammar.usage(inv.command))
            return 0
        return _delegate(_LOCAL_MODULES[inv.command], inv.rest)
    if inv.help:
        print(grammar.usage(grammar.help_topic(inv, argv)))
        return 0
    if inv.command == "completion":
        shell = inv.args.get("shell", "bash")
        print(grammar.zsh_completion() if shell == "zsh" else grammar.bash_completion(), end="")
        return 0
    try:
        with Client(inv.socket) as client:
            result = client.call(inv.command, inv.args)
    except RemoteError as e:
        code = e.errno or errno.EIO
        if e.reasons and inv.command == "check":
            if inv.json:
                # A refusal is check's answer: one object on stdout, allowed false.
                refusal = {"allowed": False, "modes": inv.args.get("modes"),
                           "channels": inv.args.get("channels"), "reasons": e.reasons,
                           "explanation": e.strerror, **error_object("; ".join(e.reasons), code)}
                json.dump(refusal, sys.stdout, indent=2, sort_keys=True)
                print()
                return code if 0 < code < 256 else 1
            # The whole explanation on stdout; the one-line error names the refusal.
            print(e.strerror)
            return _fail("; ".join(e.reasons), code)
        word, suggestion = e.word, e.suggestion
        message = e.strerror or str(e)
        if code == errno.ENXIO and inv.command == "show" and suggestion is None:
            # `wlanctl lsit`: a word that is no interface may be a misspelt command.
            typo = grammar.closest(inv.args.get("name", ""), grammar.TOP_WORDS)
            if typo is not None:
                word, suggestion = inv.args.get("name"), typo
                message += f" (did you mean {typo!r}?)"
        return _fail(message, code, as_json=inv.json, word=word, suggestion=suggestion)
    except OSError as e:
        return _fail(_os_message(e), e.errno or errno.EIO, as_json=inv.json,
                     word=getattr(e, "word", None))
    try:
        _print(inv, result)
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (reader went away: stay quiet at exit)
    return 0


def _available(module_word: str) -> bool:
    return importlib.util.find_spec(f"net80211.{_LOCAL_MODULES[module_word]}") is not None


def _print(inv: grammar.Invocation, result: Any) -> None:
    if inv.json:
        json.dump(result, sys.stdout, indent=2, sort_keys=True)
        print()
        return
    text = format_result(inv.command, result)
    if text:
        print(text)


if __name__ == "__main__":
    sys.exit(main())
