"""`wlanctl run FILE` / `python -m net80211.scenario FILE`: run a scenario
and print its summary.

Exit status: 0 after a run, otherwise the errno of the failure (EINVAL 22
for a usage error or a bad scenario, ENOENT 2 for a missing file, EBUSY 16
when a device refused a vap, ...), as the other wlanctl commands do.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
from pathlib import Path
from typing import Any

from ic.errors import errno_name
from net80211 import figures
from net80211.scenario.loader import load_scenario, parse_start_time
from net80211.scenario.runner import ScenarioRun
from net80211.scenario.spec import MAX_SECONDS
from net80211.scenario.summary import format_text


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Run a net80211 scenario (TOML) in virtual time "
                                "and print a summary.  Format: docs/scenarios.md.")
    p.add_argument("file", metavar="FILE", help="scenario file (TOML)")
    p.add_argument("--seconds", type=float, metavar="S",
                   help="virtual seconds to run (default: the file's scenario.seconds, else 10)")
    p.add_argument("--seed", type=int, metavar="N", help="seed for the medium and placements "
                   "(default: the file's scenario.seed, else 0)")
    p.add_argument("--start-time", metavar="WHEN",
                   help="the date capture timestamps count from: 'now' or 2026-01-01T00:00:00Z "
                   "(default: the file's scenario.start_time, else 2000-01-01T00:00:00Z)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--outdir", type=Path, metavar="DIR",
                   help="directory the captures' file names are relative to (default: the current "
                   "directory, not the scenario file's); the summary prints where each went")
    p.add_argument("--map", type=Path, metavar="FILE",
                   help="draw the radios and each station's link to its AP, coloured by SNR "
                   "(PNG; a self-contained HTML page for a .html name; needs matplotlib)")
    p.add_argument("--timeline", type=Path, metavar="FILE",
                   help="draw every vap's state over virtual time (PNG or .html, as --map)")
    return p


def _draw(args: argparse.Namespace, name: str, result: dict[str, Any], run: ScenarioRun) -> None:
    if args.map is not None:
        figures.save(figures.radio_map(result, f"{name}: radios and links"), args.map)
    if args.timeline is not None:
        assert run.timeline is not None
        figures.save(figures.timeline(run.timeline, [v["name"] for v in result["vaps"]], result["virtual_s"],
                                      f"{name}: timeline"), args.timeline)


def cli_main(argv: list[str], prog: str = "wlanctl run") -> int:
    """Run `FILE [--seconds S] [--seed N] [--start-time WHEN] [--json] [--outdir DIR]`; the exit status."""
    try:
        args = _parser(prog).parse_args(argv)
    except SystemExit as e:  # -h (0) or a usage error (argparse said what)
        return 0 if not e.code else errno.EINVAL
    if args.seconds is not None and not 0 < args.seconds <= MAX_SECONDS:
        print(f"{prog}: --seconds must be > 0 and at most {MAX_SECONDS:g}, not {args.seconds!r} (EINVAL)",
              file=sys.stderr)
        return errno.EINVAL
    if args.seed is not None and args.seed < 0:
        print(f"{prog}: --seed must not be negative, not {args.seed} (EINVAL)", file=sys.stderr)
        return errno.EINVAL
    start_time = None
    if args.start_time is not None:
        try:
            start_time = parse_start_time(args.start_time)
        except ValueError as e:
            print(f"{prog}: --start-time {e} (EINVAL)", file=sys.stderr)
            return errno.EINVAL
    try:
        sc = load_scenario(args.file, seed=args.seed)
        run = ScenarioRun(sc, seconds=args.seconds, outdir=args.outdir, start_time=start_time,
                          timeline=args.timeline is not None)
        result = run.run()
        if args.map is not None or args.timeline is not None:
            _draw(args, sc.name, result, run)
    except ModuleNotFoundError as e:
        print(f"{prog}: {e.name} is missing: --map and --timeline need matplotlib "
              "(pip install 'net80211[sweep]') (EOPNOTSUPP)", file=sys.stderr)
        return errno.EOPNOTSUPP
    except OSError as e:
        code = e.errno if isinstance(e.errno, int) and 0 < e.errno < 126 else 1
        msg = e.strerror or str(e)
        if args.json:  # as every wlanctl --json error: one object
            print(json.dumps({"ok": False, "errno": code, "error": errno_name(code), "message": msg,
                              "word": args.file}, sort_keys=True), file=sys.stderr)
        else:
            print(f"{prog}: {msg} ({errno_name(code)})", file=sys.stderr)
        return code
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_text(result))
    return 0
