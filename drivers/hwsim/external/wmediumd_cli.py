"""hwsim-wmediumd: hwsim-mediumd with wmediumd's command line and control socket.

Scripts written for wmediumd (Mininet-WiFi runs `wmediumd -l 0 -s -c CFG
[-x TABLE]`) run it unchanged: the same options, messages, exit codes and
log levels, and with `-s` the run-time control API (wserver.py) on
/var/run/wmediumd.sock.  Installed as `hwsim-wmediumd`; link it into PATH
as `wmediumd` to stand in for the C daemon.

Like wmediumd it serves the kernel's mac80211_hwsim radios; `--driver PATH`
(or the environment variable WMEDIUMD_DRIVER_SOCKET, for callers that
cannot add an option) serves a driver's external-medium socket instead.
"""

from __future__ import annotations

import getopt
import io
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import Any

import libconf
import numpy as np

from ic.sched import Scheduler

from .mediumd import MediumDaemon, MediumError
from .priority import raise_priority
from .transport import Transport, open_kernel, open_unix
from .wcontrol import MAX_MEDIUMS, WmediumdControl
from .wmconfig import ConfigError
from .wserver import NOTICE, SOCKET_PATH, ControlServer

# What -V and -h say.  hostap's tests/hwsim/test_wmediumd.py runs its mesh path
# tests only for 0.3.1 and later, comparing each component on its own (0.5 would
# fail its patch >= 1): upstream wmediumd's 0.3.1 passes it, and its interface
# is what Mininet-WiFi's fork (which says 0.5) extends and this one implements.
WMEDIUMD_VERSION = "0.3.1"
DRIVER_ENV = "WMEDIUMD_DRIVER_SOCKET"
DEFAULT_LOG_LEVEL = 6
LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG = 3, 4, 5, 6, 7
GAUSS_RANDOM_DEFAULT = 1.0  # wmediumd's shadowing sample before any update (log_normal_shadowing)
NOISE_DBM = -91  # wmediumd's NOISE_LEVEL: signal-table rows are signals, the kernel wants SNRs
# The signal table gives a PER per signal and rate whatever the frame's
# length; the medium kernel's error model scales with length, so the table is
# taken to hold for frames of this many bytes.
SIGNAL_TABLE_FRAME_LEN = 1500
SIGNAL_RANGE = (-200, 100)  # dBm a signal-table row may name: bounds the table we build

HELP = """\
wmediumd v{v} - a wireless medium simulator
wmediumd [-h] [-V] [-s] [-l LOG_LVL] [-x FILE] -c FILE

  -h              print this help and exit
  -V              print version and exit

  -l LOG_LVL      set the logging level
                  LOG_LVL: RFC 5424 severity, values 0 - 7
                  >= 3: errors are logged
                  >= 5: startup msgs are logged
                  >= 6: dropped packets are logged (default)
                  == 7: all packets will be logged
  -c FILE         set input config file
  -x FILE         set input PER file
  -s              start the server on a socket
  -d              use the dynamic complex mode
                  (server only with matrices for each connection)

  hwsim-wmediumd options:
  --driver PATH          serve a driver's external-medium socket, not the kernel
                         (or ${env})
  --control-socket PATH  where -s serves the control API (default {sock})
  --seed N               seed of the medium's random generator (default 0)
"""


class Usage(Exception):
    """Print the message (if any) and the help, exit 1 (wmediumd's print_help(EXIT_FAILURE))."""


def _help(out: Any = None) -> None:
    (out or sys.stdout).write(HELP.format(v=WMEDIUMD_VERSION, env=DRIVER_ENV, sock=SOCKET_PATH))


class _Log:
    """wmediumd's w_logf: a message is printed when the level allows it."""

    def __init__(self, level: int) -> None:
        self.level = level

    def __call__(self, level: int, msg: str, stream: Any = None) -> None:
        if self.level >= level:
            out = stream or sys.stdout
            out.write(msg if msg.endswith("\n") else msg + "\n")
            out.flush()


def read_signal_table(path: str) -> tuple[int, np.ndarray]:
    """wmediumd's -x file: rows `signal_dBm per_rate0 .. per_rate11`, `#` comments.

    Returns (the lowest signal, a (rows, 12) PER array, one row per dB up).
    """
    rows: dict[int, list[float]] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    words: list[str] = []
    for line in lines:
        line = line.split("#", 1)[0]
        words.extend(line.split())
    it = iter(words)
    for w in it:
        try:
            signal = int(float(w))
            pers = [float(next(it)) for _ in range(12)]
        except StopIteration:
            raise ValueError("Not enough rate found") from None
        except (ValueError, OverflowError) as e:
            raise ValueError(f"bad number in the signal table: {e}") from None
        if not SIGNAL_RANGE[0] <= signal <= SIGNAL_RANGE[1]:
            raise ValueError(f"signal {signal} dBm is outside {SIGNAL_RANGE[0]}..{SIGNAL_RANGE[1]}")
        if not all(0.0 <= p <= 1.0 for p in pers):  # NaN fails this too
            raise ValueError(f"signal {signal}: error rates must be within [0, 1]")
        rows[signal] = pers
    if not rows:
        raise ValueError("the signal table has no rows")
    lo, hi = min(rows), max(rows)
    table = np.ones((hi - lo + 1, 12))
    for s, pers in rows.items():
        table[s - lo] = pers
    return lo, table


def kernel_per_table(signal_min: int, table: np.ndarray) -> tuple[np.ndarray, float]:
    """The signal table as the kernel's (12, k) log(1 - Pu) table at 1 dB steps of SNR.

    Below the table nothing is received, above it nothing is lost (as wmediumd).
    """
    snr_min = signal_min - NOISE_DBM
    k = max(snr_min + len(table), 1) + 1  # one column past the last row: PER 0
    per = np.ones((k, 12))
    for snr in range(k):
        i = snr - snr_min
        if i >= len(table):
            per[snr] = 0.0
        elif i >= 0:
            per[snr] = table[i]
    with np.errstate(divide="ignore"):
        lg = np.log1p(-np.minimum(per, 1.0)) / (8.0 * SIGNAL_TABLE_FRAME_LEN)
    return np.ascontiguousarray(np.maximum(lg, -700.0).T), 1.0


def load(config: str, *, seed: int = 0,
         sched: Scheduler | None = None) -> tuple[MediumDaemon, WmediumdControl]:
    """The daemon of a wmediumd config and its control API, with what Mininet-WiFi's
    configs add: `ifaces.medium_array` (station indices of medium 1, 2, ...) and
    the log_normal_shadowing model's initial shadowing."""
    daemon = MediumDaemon(config, seed=seed, sched=sched)
    with open(config, encoding="utf-8") as f:
        cfg = libconf.load(io.StringIO(f.read()))  # parsed once already: no syntax errors here
    ctl = WmediumdControl(daemon, daemon.ports)
    mdl = cfg.get("model", {})
    if isinstance(mdl, dict) and mdl.get("model_name") == "log_normal_shadowing":
        for p in ctl.stations:
            p.shadowing_db = GAUSS_RANDOM_DEFAULT
    ifaces = cfg.get("ifaces", {})
    for m, ids in enumerate(ifaces.get("medium_array", ()) if isinstance(ifaces, dict) else (), start=1):
        try:
            members = [int(i) for i in ids]
        except (TypeError, ValueError):
            raise ConfigError("ifaces.medium_array: lists of interface indices") from None
        for i in members:
            if not 0 <= i < len(ctl.stations):
                raise ConfigError(f"ifaces.medium_array names no interface {i}")
            if ctl.set_medium(ctl.stations[i], m) != 0:
                raise ConfigError(f"ifaces.medium_array: more than {MAX_MEDIUMS} mediums")
    return daemon, ctl


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    prog = os.path.basename(sys.argv[0]) if argv is None else "wmediumd"
    try:
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # stdout may be replaced by a stream without it (caught below)
    except (AttributeError, io.UnsupportedOperation):
        pass
    try:
        return _run(prog, args)
    except Usage as u:
        if str(u):
            print(str(u))
        _help()
        return 1


def _run(prog: str, args: list[str]) -> int:
    if not args:
        sys.stderr.write("This program needs arguments....\n\n")
        raise Usage()
    try:
        opts, rest = getopt.gnu_getopt(args, "hVc:l:x:sd", ["driver=", "control-socket=", "seed="])
    except getopt.GetoptError as e:
        if len(e.opt) > 1:
            sys.stderr.write(f"{prog}: unrecognized option '--{e.opt}'\n")
        elif e.msg.endswith("requires argument"):
            sys.stderr.write(f"{prog}: option requires an argument -- '{e.opt}'\n")
        else:
            sys.stderr.write(f"{prog}: invalid option -- '{e.opt}'\n")
        raise Usage(f"wmediumd: Error - No such option: `{e.opt}'\n") from None
    config = per_file = None
    driver = os.environ.get(DRIVER_ENV) or None
    control_path = SOCKET_PATH
    level, seed, server, dynamic = DEFAULT_LOG_LEVEL, 0, False, False
    for o, v in opts:
        if o == "-h":
            _help()
            sys.exit(0)
        elif o == "-V":
            print(f"wmediumd v{WMEDIUMD_VERSION} - a wireless medium simulator for mac80211_hwsim")
            sys.exit(0)
        elif o == "-c":
            config = v
        elif o == "-x":
            print(f"Input packet error rate file: {v}")
            per_file = v
        elif o == "-l":
            m = re.match(r"\s*\+?(\d+)", v)  # strtoul: leading digits count
            if m is None or int(m.group(1)) > 7:
                raise Usage(f"wmediumd: Error - Invalid RFC 5424 severity level: {v}\n")
            level = int(m.group(1))
        elif o == "-d":
            dynamic = True
        elif o == "-s":
            server = True
        elif o == "--driver":
            driver = v
        elif o == "--control-socket":
            control_path = v
        elif o == "--seed":
            try:
                seed = int(v)
            except ValueError:
                raise Usage(f"{prog}: --seed needs a number, not {v!r}") from None
    if rest:
        raise Usage()
    logf = _Log(level)
    if dynamic:
        if config:
            raise Usage(f"{prog}: cannot use dynamic complex mode with config file")
        if not server:
            raise Usage(f"{prog}: dynamic complex mode requires the server option")
        logf(LOG_ERR, f"{prog}: the dynamic complex mode (-d) is not supported; give a config file",
             sys.stderr)
        return 1
    if not config:
        raise Usage(f"{prog}: config file must be supplied")
    logf(LOG_NOTICE, f"Input configuration file: {config}")
    logging.basicConfig(stream=sys.stdout, format="%(message)s", level=_py_level(level), force=True)
    return _serve(prog, config, per_file, driver, control_path if server else None, seed, logf)


def _py_level(level: int) -> int:
    # syslog severities onto logging's levels; NOTICE (5) is wserver's extra level.
    return {7: logging.DEBUG, 6: logging.INFO, 5: NOTICE, 4: logging.WARNING,
            3: logging.ERROR}.get(level, logging.CRITICAL + 1)


def _serve(prog: str, config: str, per_file: str | None, driver: str | None, control_path: str | None,
           seed: int, logf: _Log) -> int:
    try:
        daemon, ctl = load(config, seed=seed)
    except (OSError, ConfigError) as e:
        logf(LOG_ERR, f"Error loading file {config}: {getattr(e, 'strerror', None) or e}", sys.stderr)
        return 1
    logf(LOG_NOTICE, f"#_if = {len(ctl.stations)}")
    for i, p in enumerate(ctl.stations):
        logf(LOG_NOTICE, f"Added station {i}: {(p.hwaddr or 0).to_bytes(6, 'big').hex(':')}")
    if per_file is not None and ctl.kind == "prob":
        logf(LOG_ERR, "per_file and error_probs could not be used at the same time", sys.stderr)
        return 1
    if per_file is not None:
        # wmediumd opens the -x name with "ax" appended (its 802.11ax table)
        path = per_file + "ax" if os.path.exists(per_file + "ax") else per_file
        try:
            lo, table = read_signal_table(path)
        except OSError as e:
            logf(LOG_ERR, f"fopen failed {e.strerror}", sys.stderr)
            return 1
        except ValueError as e:
            logf(LOG_ERR, str(e), sys.stderr)
            return 1
        daemon.medium.set_per_table(*kernel_per_table(lo, table))
    if control_path is not None:
        # Bound before registering (wmediumd binds after): a client that
        # connects early is queued, not refused.
        try:
            daemon.control = ControlServer(daemon.sched, control_path, ctl.handle)
        except OSError as e:
            logf(LOG_ERR, f"W_SRV: Bind failed: {e.strerror or e}", sys.stderr)
            return 1
    try:
        daemon.connect(_transport(driver))
    except MediumError as e:
        logf(LOG_ERR, f"Error connecting to {'the driver' if driver else 'the kernel'}: {e}", sys.stderr)
        _stop_server(daemon, announce=False)
        return 1
    logf(LOG_NOTICE, "REGISTER SENT!")

    def stop(signum: int, frame: Any) -> None:
        daemon.done = True
        daemon.sched.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not driver:
        # as hwsim-mediumd does in kernel mode; wmediumd's output has no line for it
        logf(LOG_DEBUG, raise_priority(), sys.stdout)
    daemon.run()
    _stop_server(daemon, announce=True)
    daemon.close()  # the kernel's radios fall back to its perfect medium; the counters are logged
    return 0


def _transport(driver: str | None) -> Transport:
    """The driver's socket if one is named, else the kernel's generic netlink."""
    try:
        return open_unix(driver) if driver else open_kernel()
    except OSError as e:
        raise MediumError(f"{driver or 'generic netlink'}: {e.strerror or e}") from None


def _stop_server(daemon: MediumDaemon, *, announce: bool) -> None:
    if daemon.control is not None:
        daemon.control.close()
        if announce:
            print("\nW_SRV: shutting down wserver")


if __name__ == "__main__":
    sys.exit(main())
