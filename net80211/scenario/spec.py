"""The scenario's parts after loading: plain dataclasses, already checked."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ic import Net80211Error
from net80211.scenario.source import SourceIndex, key_name

# Limits a scenario is checked against before anything is built
# (docs/scenarios.md, "Limits"): beyond them a file is refused with EINVAL.
MAX_SECONDS = 1_000_000.0  # virtual seconds of a run, and of any time in the file
# A world of 11,000 radios (1,000 APs, 10,000 stations) runs in about 0.7 GB
# (tests/bench/bench_scenario.py --deployment density): 16 Ki radios stays
# within a few GB.
MAX_RADIOS = 16384
MAX_VAPS = 32768
MAX_FLOWS = 8192  # traffic entries after repeat
MAX_ENTRIES = 65536  # entries of any one array after repeat, checked before expanding
MIN_PING_INTERVAL_S = 0.001
MAX_UDP_RATE = 100_000.0  # datagrams per second of one flow
TX_POWER_DBM = (-100, 100)
MAX_FILE_BYTES = 4 << 20
MAX_DEPTH = 32  # nesting of tables and arrays
MAX_WAYPOINTS = 4096  # points of one radio's walk
MAX_SPEED = 1000.0  # m/s of a moving radio
MIN_MOBILITY_STEP_S = 0.001  # how often a moving radio's position is updated, at most


class ScenarioError(Net80211Error):
    """A scenario the runner cannot use: names the file, line and key.

    Carries the errno of the cause (EINVAL for the file itself, EBUSY,
    EOPNOTSUPP, ... when a device refused what the scenario asked for).
    """

    default_errno = errno.EINVAL

    def __init__(self, message: str, code: int | None = None, *, file: str | None = None,
                 line: int | None = None, key: str | None = None) -> None:
        self.file, self.line, self.key = file, line, key
        where = ":".join(str(x) for x in (file, line) if x is not None)
        text = f"{key}: {message}" if key else message
        super().__init__(f"{where}: {text}" if where else text, code)


def read_file(path: str | Path, what: str) -> str:
    """The text of a scenario or sweep file (`what` names it in errors): a
    ScenarioError naming the file if it is over MAX_FILE_BYTES, unreadable
    or not UTF-8."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"larger than the {MAX_FILE_BYTES}-byte limit", file=str(path))
        return p.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"cannot read {what}: {e.strerror}", e.errno, file=str(path)) from None
    except UnicodeDecodeError as e:
        raise ScenarioError(f"not UTF-8 text: {e}", file=str(path)) from None


class Located:
    """Turns a key path into a located ScenarioError."""

    def __init__(self, file: str | None, source: SourceIndex) -> None:
        self.file = file
        self.source = source

    def error(self, path: tuple[Any, ...], message: str, code: int | None = None) -> ScenarioError:
        return ScenarioError(message, code, file=self.file, line=self.source.line(path),
                             key=key_name(path) or None)


@dataclass
class RadioSpec:
    name: str
    where: tuple[Any, ...]
    params: dict[str, Any]  # for Driver.add_device: profile, position, tx_power_dbm, channels, ...
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass
class VapSpec:
    name: str
    radio: str
    mode: str
    where: tuple[Any, ...]
    flags: list[str] = field(default_factory=list)
    wlanbssid: str | None = None  # a MAC address or "@vapname"
    wlanaddr: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # create_vap parameters (ssid, channel, ...)
    netdev: str | None = None  # None: the vap's default
    has_netdev: bool = False  # its mode has a network side and netdev is not "none"
    ip: bytes | None = None
    start_ns: int = 0
    up: bool = True
    roaming: dict[str, Any] = field(default_factory=dict)  # a station's roaming, roam_rssi, roam_rate


@dataclass
class TrafficSpec:
    kind: str  # "ping" | "udp"
    src: str
    dst: str
    where: tuple[Any, ...]
    start_ns: int
    size: int
    count: int = 0
    interval_ns: int = 0
    rate: float = 0.0
    duration_ns: int = 0
    port: int = 0


@dataclass
class CaptureSpec:
    source: str  # "medium" or a vap name
    file: str
    where: tuple[Any, ...]


@dataclass
class EventSpec:
    at_ns: int
    vap: str
    action: str  # "up" | "down" | "destroy"
    where: tuple[Any, ...]


Point = tuple[float, float, float]


@dataclass
class MobilitySpec:
    """One radio's mobility, as loaded."""

    radio: str
    model: str  # "waypoints" | "random_waypoint"
    where: tuple[Any, ...]
    start_ns: int = 0
    step_ns: int = 100_000_000
    pause_ns: int = 0
    speed: tuple[float, float] = (1.0, 1.0)  # m/s: fixed (min == max) or drawn per leg
    waypoints: tuple[Point, ...] = ()
    loop: bool = False
    area: tuple[float, float] = (0.0, 0.0)
    origin: tuple[float, float] = (0.0, 0.0)
    seed: str = ""


@dataclass
class BridgeSpec:
    """A learning bridge joining vaps' network sides, with a host of its own."""

    name: str
    vaps: list[str]
    where: tuple[Any, ...]
    ip: bytes = b""
    mac: bytes = b""


@dataclass
class Scenario:
    """A loaded scenario; `run_scenario` turns it into a world and runs it."""

    name: str
    file: str | None
    driver: str
    seed: int
    seconds: float
    model: Any  # None (perfect) or a model table for the driver
    medium_seed: int | None
    radios: list[RadioSpec]
    vaps: list[VapSpec]
    traffic: list[TrafficSpec]
    captures: list[CaptureSpec]
    events: list[EventSpec]
    locate: Located
    # [medium] socket: an external medium (hwsim-mediumd) carries the frames; the run is then
    # in real time.  {"socket": path, "first_radio": n, "wait_s": s} or None.
    external: dict[str, Any] | None = None
    # [scenario] start_time: the wall-clock date (UNIX ns) virtual time 0
    # stands for in capture files, "now" for the run's start, None for the
    # scheduler's fixed default (ic.sched.VIRTUAL_EPOCH_NS).
    start_time: int | str | None = None
    mobility: list[MobilitySpec] = field(default_factory=list)
    bridges: list[BridgeSpec] = field(default_factory=list)

    def error(self, path: tuple[Any, ...], message: str, code: int | None = None) -> ScenarioError:
        return self.locate.error(path, message, code)
