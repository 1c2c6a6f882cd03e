"""`wlanctl conformance`: run the matrix under pytest (pytest-xdist for
--jobs), with a progress bar on a terminal, and write the reports.

Exit status: 0 when every cell passed, 1 when a cell failed, otherwise the
errno of what was wrong with the command (EINVAL 22 for a usage error or an
unknown profile, ENXIO 6 for an unknown driver), as every wlanctl command."""

from __future__ import annotations

import argparse
import errno
import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

from ic.errors import errno_name
from net80211.conformance.matrix import DEFAULT_MAX_VAPS
from net80211.conformance.world import resolve

EXIT_OK, EXIT_FAILED = 0, 1
EXIT_ERROR = errno.EINVAL  # a usage error; other errors exit with their own errno
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
    p.add_argument("--progress", action="store_true",
                   help="draw the progress bar even when the output is not a terminal")
    return p


class _QuietWorkers:
    """pytest-xdist writes "bringing up nodes..." when its workers start and
    again when they have collected, off a terminal too; the matrix has its
    own progress.  Its reporter is blocked (-p no:terminaldistreporter) and
    the session's direct call silenced."""

    def pytest_sessionstart(self, session: Any) -> None:
        dsession = session.config.pluginmanager.get_plugin("dsession")
        trdist = getattr(dsession, "trdist", None)
        if trdist is not None and hasattr(trdist, "ensure_show_status"):
            trdist.ensure_show_status = lambda: None


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # argparse printed the usage
        return EXIT_OK if e.code == 0 else EXIT_ERROR
    problems: list[tuple[str, int]] = []
    if args.jobs < 1:
        problems.append((f"--jobs must be at least 1, not {args.jobs}", errno.EINVAL))
    if args.workers is not None and args.workers < 1:
        problems.append((f"--workers must be at least 1, not {args.workers}", errno.EINVAL))
    if args.jobs > 1 and (args.workers is not None or args.ray is not None):
        problems.append(("--jobs (pytest-xdist) and --workers/--ray (the sweep engine) exclude each other",
                         errno.EINVAL))
    if args.max_vaps < 1:
        problems.append((f"--max-vaps must be at least 1, not {args.max_vaps}", errno.EINVAL))
    if args.channels is not None:
        try:
            [int(c) for c in args.channels.split(",")]
        except ValueError:
            problems.append((f"--channels wants channel numbers like 1,6, not {args.channels!r}",
                             errno.EINVAL))
    try:
        resolve(args.driver)
    except OSError as e:
        problems.append((e.strerror or str(e), e.errno or errno.EINVAL))
    except ValueError as e:
        problems.append((str(e), errno.EINVAL))
    # A missing optional dependency: as a missing module of the CLI (EOPNOTSUPP).
    problems += [(text, errno.EOPNOTSUPP) for text in missing_requirements(args.jobs)]
    if problems:
        for text, code in problems:
            print(f"wlanctl conformance: {text} ({errno_name(code)})", file=sys.stderr)
        code = problems[0][1]
        return code if 0 < code < 126 else EXIT_ERROR

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
        # The bar redraws one line with \r: on a terminal only, unless asked for.
        if args.progress or (not args.no_progress and sys.stdout.isatty()):
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
            # Without xdist's status reporter: its "bringing up nodes..." line
            # came twice into the output, beside the matrix's own progress.
            pargs += ["-n", str(args.jobs), "-p", "no:terminaldistreporter"]
        else:
            pargs += ["-p", "no:xdist"]
        rc = pytest.main(pargs, plugins=[_QuietWorkers()])
    if rc == pytest.ExitCode.OK:
        return EXIT_OK
    if rc == pytest.ExitCode.TESTS_FAILED:
        return EXIT_FAILED
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
