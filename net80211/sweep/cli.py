"""`wlanctl sweep FILE --out DIR [--workers N] [--ray [ADDRESS]]`: run a
scenario over parameter axes (docs/scenarios.md, "Sweeps").

Exit status: 0 when every run of the plan succeeded, 1 when some failed
(each recorded with its error in results.jsonl), 2 for a usage error,
otherwise the errno of the failure (EINVAL 22 for a bad sweep file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ic.errors import errno_name
from net80211.sweep.engine import choose_backend
from net80211.sweep.runner import REPORT, RESULTS, TABLE, run_sweep
from net80211.sweep.spec import load_sweep

NEEDS = "ray, matplotlib and tqdm (pip install 'net80211[sweep]')"


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Run a scenario over parameter axes (a TOML sweep "
                                "file), one run per cell and replicate, into DIR/results.jsonl, "
                                "DIR/results.csv and DIR/report.html.  A rerun over the same DIR runs "
                                "only what is missing.")
    p.add_argument("file", metavar="FILE", help="sweep file (TOML)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: the cores); "
                   "with Ray, the CPUs of a local Ray")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run the runs as Ray tasks: on the cluster at ADDRESS, else $RAY_ADDRESS, "
                   "else a local Ray (RAY_ADDRESS alone selects Ray too)")
    p.add_argument("--no-report", action="store_true", help="no report.html")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress bar (default: when stderr is a terminal)")
    return p


def cli_main(argv: list[str], prog: str = "wlanctl sweep") -> int:
    try:
        args = _parser(prog).parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        backend = choose_backend(args.workers, args.ray)
    except ValueError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    try:
        sweep = load_sweep(args.file)
        outcome = run_sweep(sweep, args.out, backend, progress=args.progress, report=not args.no_report)
    except ModuleNotFoundError as e:
        print(f"{prog}: {e.name} is missing: a sweep needs {NEEDS}", file=sys.stderr)
        return 1
    except OSError as e:
        code = e.errno if isinstance(e.errno, int) and 0 < e.errno < 126 else 1
        print(f"{prog}: {e.strerror or e} ({errno_name(code)})", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; the runs finished so far are in {args.out / RESULTS} "
              "(run again to go on)", file=sys.stderr)
        return 130
    files = ", ".join(str(args.out / f) for f in (RESULTS, TABLE) + (() if args.no_report else (REPORT,)))
    print(f"sweep: {outcome.runs} runs ({outcome.ran} run now, {outcome.skipped} already done), "
          f"{outcome.failed} failed, {outcome.wall_s:.2f} s on {outcome.backend}: {files}")
    return 1 if outcome.failed else 0
