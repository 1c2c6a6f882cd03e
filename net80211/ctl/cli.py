"""`wlanctl`: the command line.  `serve` runs the daemon; `run` and
`conformance` hand over to their modules; everything else is parsed by
`grammar`, sent to the daemon and its answer printed.  Errors are one line
on stderr and the exit status is the errno."""

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


def _fail(message: str, code: int) -> int:
    text = " ".join(message.split("\n"))  # one line, whatever the message holds
    print(f"{PROG}: {text} ({errno_name(code)})", file=sys.stderr)
    return code if 0 < code < 256 else 1


def serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{PROG} serve", description="run the daemon that holds the devices")
    p.add_argument("--config", metavar="FILE", help="TOML configuration (devices, vaps, defaults)")
    p.add_argument("--socket", metavar="PATH", help="control socket (default $WLANCTL_SOCKET or "
                   "/run/net80211/wlanctl.sock)")
    p.add_argument("--state", metavar="FILE", help="state file (default: the socket path + .state)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return p


def serve_main(argv: Sequence[str]) -> int:
    args = serve_parser().parse_args(list(argv))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format=f"{PROG}[%(process)d]: %(message)s")
    try:
        cfg = load_config(args.config)
        daemon = Daemon(cfg, socket_path(args.socket), args.state)
        daemon.serve()
    except OSError as e:
        return _fail(e.strerror or str(e), e.errno or errno.EIO)
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
        rc = _fail(e.strerror or str(e), e.errno or errno.EINVAL)
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
        print(grammar.bash_completion(), end="")
        return 0
    try:
        with Client(inv.socket) as client:
            result = client.call(inv.command, inv.args)
    except RemoteError as e:
        if e.reasons and inv.command == "check":
            # The whole explanation on stdout; the one-line error names the refusal.
            print(e.strerror)
            return _fail("; ".join(e.reasons), e.errno or errno.EIO)
        return _fail(e.strerror or str(e), e.errno or errno.EIO)
    except OSError as e:
        return _fail(e.strerror or str(e), e.errno or errno.EIO)
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
