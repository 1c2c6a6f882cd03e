"""`wlanctl conformance`: run the matrix under pytest (pytest-xdist for
--jobs), with a progress bar, and write the reports."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

from net80211.conformance.matrix import DEFAULT_MAX_VAPS
from net80211.conformance.world import resolve

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
EXTRA = "net80211[conformance]"


def missing_requirements(jobs: int) -> list[str]:
    """What `wlanctl conformance` needs and does not find, each naming the
    extra that installs it."""
    need = [("pytest", "pytest", "")]
    if jobs > 1:
        need.append(("xdist", "pytest-xdist", " for --jobs"))
    out = []
    for module, dist, why in need:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(f"{dist} is not installed{why}: install it with pip install '{EXTRA}'")
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wlanctl conformance",
        description="Run the conformance matrix (driver x vap mix x scenario) against a driver.")
    p.add_argument("--driver", required=True, metavar="NAME[:PROFILE]",
                   help="a driver registered under the net80211.drivers entry points, e.g. hwsim:ath")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="run cells in N processes")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="run the cells in N worker processes through the sweep engine (instead of --jobs)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run the cells as Ray tasks: on the cluster at ADDRESS, else $RAY_ADDRESS, else a "
                   "local Ray")
    p.add_argument("--max-vaps", type=int, default=DEFAULT_MAX_VAPS, metavar="K",
                   help=f"largest mix of vaps on one device (default {DEFAULT_MAX_VAPS})")
    p.add_argument("--channels", default=None, metavar="C1,C2",
                   help="also try every assignment of these channels to each mix's vaps")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write a Markdown report")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("-k", dest="keyword", metavar="EXPR", help="only cells matching this pytest -k expression")
    p.add_argument("--no-progress", action="store_true", help="one character per cell instead of a bar")
    p.add_argument("--protected", action="store_true",
                   help="also run the protected cells (the behaviour cells with WPA2-PSK)")
    return p


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # argparse printed the usage
        return EXIT_OK if e.code == 0 else EXIT_ERROR
    problems = []
    if args.jobs < 1:
        problems.append(f"--jobs must be at least 1, not {args.jobs}")
    if args.workers is not None and args.workers < 1:
        problems.append(f"--workers must be at least 1, not {args.workers}")
    if args.jobs > 1 and (args.workers is not None or args.ray is not None):
        problems.append("--jobs (pytest-xdist) and --workers/--ray (the sweep engine) exclude each other")
    if args.max_vaps < 1:
        problems.append(f"--max-vaps must be at least 1, not {args.max_vaps}")
    if args.channels is not None:
        try:
            [int(c) for c in args.channels.split(",")]
        except ValueError:
            problems.append(f"--channels wants channel numbers like 1,6, not {args.channels!r}")
    try:
        resolve(args.driver)
    except (OSError, ValueError) as e:
        problems.append(str(e))
    problems += missing_requirements(args.jobs)
    if problems:
        for p in problems:
            print(f"wlanctl conformance: {p}", file=sys.stderr)
        return EXIT_ERROR

    import pytest  # an optional dependency (the conformance extra), checked above

    with tempfile.TemporaryDirectory(prefix="conformance-") as tmp:
        # An empty rootdir and ini: the matrix runs the same from any directory,
        # whatever pytest configuration the current one holds.
        ini = Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        pargs = [tmp, "-c", str(ini), "--rootdir", tmp, "-p", "net80211.conformance",
                 "-p", "no:cacheprovider", "-q", "--no-header", "-rN", "--tb=no",
                 # -p re-imports the package this module belongs to: nothing to rewrite there.
                 "-W", "ignore::pytest.PytestAssertRewriteWarning",
                 "--driver", args.driver, "--max-vaps", str(args.max_vaps)]
        if args.channels:
            pargs += ["--conformance-channels", args.channels]
        if not args.no_progress:
            pargs.append("--conformance-progress")
        if args.protected:
            pargs.append("--conformance-protected")
        for opt, value in (("--conformance-json", args.json), ("--conformance-markdown", args.markdown),
                           ("--conformance-html", args.html)):
            if value:
                pargs += [opt, str(Path(value).resolve())]
        if args.keyword:
            pargs += ["-k", args.keyword]
        if args.workers is not None:
            pargs += ["--conformance-workers", str(args.workers)]
        if args.ray is not None:
            pargs += ["--conformance-ray", args.ray] if args.ray else ["--conformance-ray"]
        if args.jobs > 1:
            pargs += ["-n", str(args.jobs)]
        else:
            pargs += ["-p", "no:xdist"]
        rc = pytest.main(pargs)
    if rc == pytest.ExitCode.OK:
        return EXIT_OK
    if rc == pytest.ExitCode.TESTS_FAILED:
        return EXIT_FAILED
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
