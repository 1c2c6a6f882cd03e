"""Load and check a TOML scenario (format: docs/scenarios.md).

Every problem is a `ScenarioError` (EINVAL) naming the file, the line and
the key (`vaps[2].mode`), raised before anything is created.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import random
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

from ic import CloneFlags, InvalidArgument, OpMode, parse_mac, parse_wlanmode
from net80211.scenario.source import SourceIndex, key_name
from net80211.scenario.spec import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_FLOWS,
    MAX_RADIOS,
    MAX_SECONDS,
    MAX_SPEED,
    MAX_UDP_RATE,
    MAX_VAPS,
    MAX_WAYPOINTS,
    MIN_MOBILITY_STEP_S,
    MIN_PING_INTERVAL_S,
    TX_POWER_DBM,
    BridgeSpec,
    CaptureSpec,
    EventSpec,
    Located,
    MobilitySpec,
    RadioSpec,
    Scenario,
    ScenarioError,
    TrafficSpec,
    VapSpec,
    read_file,
)
from net80211.security import GROUP_REKEY_S, security_config

DEFAULT_SECONDS = 10.0
DEFAULT_DRIVER = "hwsim"
DEFAULT_TRAFFIC_START_S = 1.0
# Path-loss models of the modeled medium and the parameters each takes.
PATH_LOSS_PARAMS: dict[str, tuple[str, ...]] = {
    "free_space": (),
    "log_distance": ("exponent", "xg"),
    "itu": ("n_floors", "floor_loss"),
}
LINK_MODELS = ("snr", "prob")
_PHYS = {"noise_dbm": float, "cca_dbm": float, "fading": float, "interference": bool, "freq_mhz": float}
VAP_CONFIG = ("ssid", "channel", "bintval", "dtim_period", "hidessid", "rtsthreshold")
SECURITY_CONFIG = ("security", "passphrase", "pmf", "group_rekey", "sae_pwe", "ptk_rekey")
_SECURITY_INTS = ("group_rekey", "sae_pwe", "ptk_rekey")
SECURITY_MODES = (OpMode.HOSTAP, OpMode.STA, OpMode.P2P_GO, OpMode.P2P_CLIENT)
FLAG_NAMES = {f.name.lower(): f for f in CloneFlags if f.name}
PLACEMENTS = ("grid", "random", "line")
NETDEVS = ("queue", "tap", "none")
MAX_PAYLOAD = 1472  # a 1500-byte IPv4 MTU minus the IP and UDP/ICMP headers
_TEMPLATE = re.compile(r"\{i(?:\s*(\+|-|\*|//|%)\s*(\d+))?\}")
_REQUIRED = object()
_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
               list: "an array", dict: "a table"}


class _Table:
    """One TOML table being read: typed access, unknown keys reported."""

    def __init__(self, loc: Located, path: tuple[Any, ...], data: Any) -> None:
        if not isinstance(data, dict):
            raise loc.error(path, "must be a table")
        self.loc, self.path, self.data = loc, path, data
        self.used: set[str] = set()

    def error(self, key: str | None, message: str) -> ScenarioError:
        return self.loc.error(self.path + ((key,) if key else ()), message)

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _REQUIRED) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise self.error(None, f"missing key {key!r}")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = any(isinstance(value, k) and not (isinstance(value, bool) and k in (int, float)) for k in kinds)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            want = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise self.error(key, f"must be {want}, not {value!r}")
        return value

    def number(self, key: str, default: Any = _REQUIRED, *, low: float | None = None,
               positive: bool = False, high: float | None = None) -> Any:
        v = self.get(key, float, default)
        if v is default and not self.has(key):
            return v
        if not math.isfinite(v) or (positive and v <= 0) or (low is not None and v < low) \
                or (high is not None and v > high):
            bound = "> 0" if positive else f">= {low:g}" if low is not None else ""
            if high is not None:
                bound += f"{' and ' if bound else ''}<= {high:g}"
            raise self.error(key, f"must be a finite number {bound}, not {v!r}".replace("  ", " "))
        return v

    def integer(self, key: str, default: Any = _REQUIRED, *, low: int | None = None,
                high: int | None = None) -> Any:
        v = self.get(key, int, default)
        if v is default and not self.has(key):
            return v
        if (low is not None and v < low) or (high is not None and v > high):
            raise self.error(key, f"must be within {low}..{high if high is not None else ''}, not {v}")
        return v

    def seconds_ns(self, key: str, default: float) -> int:
        return round(self.number(key, default, low=0.0, high=MAX_SECONDS) * 1_000_000_000)

    def done(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            known = ", ".join(sorted(self.used))
            raise self.error(unknown[0], f"unknown key {unknown[0]!r} (known here: {known})")


def _subst(value: Any, i: int) -> Any:
    """Expand {i}, {i+K}, {i-K}, {i*K}, {i//K}, {i%K} in a template string."""
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        op, k = m.group(1), int(m.group(2) or 0)
        if op in ("//", "%") and k == 0:
            raise ZeroDivisionError(m.group(0))
        return str({None: i, "+": i + k, "-": i - k, "*": i * k, "//": i // k if k else 0,
                    "%": i % k if k else 0}[op])
    return _TEMPLATE.sub(one, value)


def _expand(t: _Table, count_key: str = "repeat", limit: int = MAX_ENTRIES) -> list[dict[str, Any]]:
    """The entries a table stands for: itself, or `repeat` copies with {i}
    expanded; `limit` is checked before any copy is made."""
    n = t.integer(count_key, 1, low=0, high=limit)
    data = {k: v for k, v in t.data.items() if k != count_key}
    if not t.has(count_key):
        return [data]
    try:
        return [{k: _subst(v, i) for k, v in data.items()} for i in range(n)]
    except ZeroDivisionError as e:
        raise t.error(None, f"template {e} divides by zero") from None


def parse_start_time(value: Any) -> int | str:
    """A scenario's start time: "now", or a date and time with a UTC offset
    (a TOML offset date-time or an RFC 3339 string: 2026-01-01T00:00:00Z);
    UNIX nanoseconds, or "now".  ValueError says what is wrong."""
    if value == "now":
        return "now"
    when = value
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"must be \"now\" or a date and time like 2026-01-01T00:00:00Z, "
                             f"not {value!r}") from None
    if not isinstance(when, dt.datetime) or when.tzinfo is None:
        raise ValueError(f"must be \"now\" or a date and time with its UTC offset "
                         f"(2026-01-01T00:00:00Z), not {value!r}")
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    if not 0 <= ns < (1 << 32) * 1_000_000_000 - round(MAX_SECONDS * 1e9):
        raise ValueError(f"must be within 1970-01-01 and 2106 (what pcap timestamps hold), not {value!r}")
    return ns


def _point(t: _Table, key: str, value: Any) -> tuple[float, float, float]:
    if (not isinstance(value, list) or not 2 <= len(value) <= 3
            or not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
                       for x in value)):
        raise t.error(key, f"a position is [x, y] or [x, y, z] in metres, not {value!r}")
    p = [float(x) for x in value] + [0.0] * (3 - len(value))
    return p[0], p[1], p[2]


def _place(t: _Table, n: int, seed: int, group: int) -> list[tuple[float, float, float]]:
    """Positions of a radio group: explicit, or a placement in an area."""
    if t.has("positions"):
        pts = t.get("positions", list)
        if len(pts) != n:
            raise t.error("positions", f"has {len(pts)} positions for {n} radios")
        for other in ("placement", "position"):
            if t.has(other):
                raise t.error(other, "give either positions or a placement, not both")
        return [_point(t, "positions", p) for p in pts]
    ox, oy, oz = _point(t, "origin", t.get("origin", list, [0.0, 0.0]))
    if t.has("position"):
        if t.has("placement"):
            raise t.error("placement", "give either position or a placement, not both")
        return [_point(t, "position", t.get("position", list))] * n
    placement = t.get("placement", str, None)
    if placement is None:
        return [(ox, oy, oz)] * n
    if placement not in PLACEMENTS:
        raise t.error("placement", f"unknown placement {placement!r} (one of {', '.join(PLACEMENTS)})")
    area = t.get("area", list, None)
    if area is not None:
        w, h, _ = _point(t, "area", area)
        if w < 0 or h < 0:
            raise t.error("area", "width and height must not be negative")
    spacing = t.number("spacing", 10.0, low=0.0)
    if placement == "random":
        if area is None:
            raise t.error("area", "random placement needs an area = [width, height] in metres")
        rng = random.Random(f"{t.integer('seed', seed)}/{group}")
        return [(ox + rng.uniform(0, w), oy + rng.uniform(0, h), oz) for _ in range(n)]
    t.integer("seed", seed)  # accepted for every placement; only random uses it
    if placement == "line":
        step = (w / n if area is not None and n else spacing)
        return [(ox + k * step, oy, oz) for k in range(n)]
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    if area is not None:
        dx, dy = w / cols, h / rows
        return [(ox + (k % cols + 0.5) * dx, oy + (k // cols + 0.5) * dy, oz) for k in range(n)]
    return [(ox + (k % cols) * spacing, oy + (k // cols) * spacing, oz) for k in range(n)]


def _radios(loc: Located, raw: Any, driver: str, seed: int) -> list[RadioSpec]:
    if raw is None:
        raise loc.error(("radios",), "a scenario needs radios (a [radios] table or [[radios]] groups)")
    groups = [(("radios",), raw)] if isinstance(raw, dict) else \
        [(("radios", k), g) for k, g in enumerate(raw)] if isinstance(raw, list) else None
    if groups is None:
        raise loc.error(("radios",), "must be a table or an array of tables")
    out: list[RadioSpec] = []
    names: set[str] = set()
    for gi, (path, data) in enumerate(groups):
        t = _Table(loc, path, data)
        names_list = t.get("names", list, None)
        n = t.integer("count", len(names_list) if names_list is not None else
                      len(t.data["positions"]) if isinstance(t.data.get("positions"), list) else 1,
                      low=0, high=MAX_RADIOS - len(out))
        if names_list is not None:
            if len(names_list) != n or not all(isinstance(x, str) for x in names_list):
                raise t.error("names", f"must be {n} strings, one per radio")
            if t.has("name"):
                raise t.error("name", "give either names or a name template, not both")
        template = t.get("name", str, None)
        params: dict[str, Any] = {}
        for key, kind in (("profile", str), ("channels", int), ("p2p_device", bool), ("beacon_filter", bool)):
            if t.has(key):
                params[key] = t.get(key, kind)
        if t.has("tx_power_dbm"):
            params["tx_power_dbm"] = t.integer("tx_power_dbm", low=TX_POWER_DBM[0], high=TX_POWER_DBM[1])
        if t.has("channels"):
            t.integer("channels", low=1, high=64)
        positions = _place(t, n, seed, gi)
        t.done()
        for k in range(n):
            name = names_list[k] if names_list is not None else \
                _subst(template, k) if template is not None else f"{driver}{len(out)}"
            if name in names:
                key = "names" if names_list is not None else "name"
                raise t.error(key, f"radio name {name!r} is used twice")
            names.add(name)
            out.append(RadioSpec(name, path, dict(params, position=positions[k]), positions[k]))
    if not out:
        raise loc.error(("radios",), "a scenario needs at least one radio")
    return out


DEFAULT_EXTERNAL_WAIT_S = 30.0  # how long a run waits for the external medium to register


def _external(t: _Table) -> dict[str, Any] | None:
    """`socket`, `first_radio`, `wait`: the world served to an external medium daemon."""
    socket = t.get("socket", str, None)
    if socket is None:
        for key in ("first_radio", "wait"):
            if t.has(key):
                raise t.error(key, "only with socket (an external medium)")
        return None
    if not socket:
        raise t.error("socket", "an external medium's socket is a path")
    return {"socket": socket, "first_radio": t.integer("first_radio", 0, low=0, high=0xFFFF),
            "wait_s": t.number("wait", DEFAULT_EXTERNAL_WAIT_S, positive=True, high=MAX_SECONDS)}


def _medium(loc: Located, raw: Any,
            radio_index: dict[str, int]) -> tuple[Any, int | None, dict[str, Any] | None]:
    t = _Table(loc, ("medium",), raw if raw is not None else {})
    model = t.get("model", str, "perfect")
    mseed = t.integer("seed", None)
    external = _external(t)
    if model == "perfect":
        t.done()
        return None, mseed, external
    if external is not None:
        raise t.error("model", "an external medium models the air itself: leave model perfect with socket")
    if model not in PATH_LOSS_PARAMS and model not in LINK_MODELS:
        known = ", ".join(("perfect", *PATH_LOSS_PARAMS, *LINK_MODELS))
        raise t.error("model", f"unknown medium model {model!r} (one of {known})")
    spec: dict[str, Any] = {}
    for key, kind in _PHYS.items():
        if t.has(key):
            spec[key] = t.get(key, kind)
    if model in PATH_LOSS_PARAMS:
        params = _Table(loc, ("medium", "params"), t.get("params", dict, {}))
        values = {k: params.number(k) for k in PATH_LOSS_PARAMS[model] if params.has(k)}
        params.done()
        spec.update(kind="path_loss", path_loss=model, params=values)
        if t.has("link_floor_db"):
            # Pairs weaker than this SNR get no link at all (the driver's
            # default, -10 dB); above 0 dB it would cut links that decode.
            spec["link_floor_db"] = t.number("link_floor_db", high=0.0)
        if t.has("links"):
            raise t.error("links", f"links are for the snr and prob models, not {model}")
    else:
        if t.has("link_floor_db"):
            raise t.error("link_floor_db", f"the link floor is for path-loss models, not {model}")
        spec["kind"] = model
        spec["default_snr"] = t.number("default_snr", 30.0)
        if model == "prob":
            spec["default_prob"] = t.number("default_prob", 0.0, low=0.0)
        links: dict[tuple[int, int], float] = {}
        for k, entry in enumerate(t.get("links", list, [])):
            lt = _Table(loc, ("medium", "links", k), entry)
            a, b = lt.get("a", str), lt.get("b", str)
            for key, name in (("a", a), ("b", b)):
                if name not in radio_index:
                    raise lt.error(key, f"no radio named {name!r}")
            value = lt.number("snr") if model == "snr" else lt.number("loss", low=0.0)
            if model == "prob" and value > 1.0:
                raise lt.error("loss", f"a loss probability is within [0, 1], not {value}")
            lt.done()
            links[(radio_index[a], radio_index[b])] = value
        spec["links"] = links
    if spec.get("default_prob", 0.0) > 1.0:
        raise t.error("default_prob", "a loss probability is within [0, 1]")
    t.done()
    return spec, mseed, None


def _security(t: _Table, spec: VapSpec, opmode: OpMode, name: str) -> None:
    """security / passphrase / pmf / group_rekey / sae_pwe / ptk_rekey: checked here, with the
    word that is wrong named, so a bad file fails before anything runs."""
    given = {k: t.get(k, int if k in _SECURITY_INTS else str) for k in SECURITY_CONFIG if t.has(k)}
    if not given:
        return
    if opmode not in SECURITY_MODES and given.get("security", "open") != "open":
        raise t.error("security", f"a {opmode.word} vap has no RSN security "
                      "(hostap, sta, p2p-go, p2p-client)")
    try:
        security_config(name, given.get("security"), given.get("passphrase"), given.get("pmf"),
                        given.get("group_rekey", GROUP_REKEY_S), given.get("sae_pwe"), given.get("ptk_rekey"))
    except InvalidArgument as e:
        text = e.strerror or str(e)
        said = text.split(":", 1)[-1][:20]  # "<name>: pmf must be ...": the word comes first
        key = next((k for k in ("pmf", "passphrase", "group_rekey", "sae_pwe", "ptk_rekey", "security")
                    if k in said), "security")
        raise t.error(key if key in given else "security", text) from None
    spec.config.update(given)


def _flags(t: _Table) -> list[str]:
    raw = t.get("flags", (list, str), [])
    words = [w.strip() for w in raw.split(",")] if isinstance(raw, str) else raw
    out = []
    for w in words:
        if not isinstance(w, str) or w.lower() not in FLAG_NAMES:
            raise t.error("flags", f"unknown clone flag {w!r} (one of {', '.join(FLAG_NAMES)})")
        out.append(w.lower())
    return out


def _vaps(loc: Located, raw: Any, radio_names: list[str], seed: int) -> list[VapSpec]:
    if not isinstance(raw, list):
        raise loc.error(("vaps",), "must be an array of tables ([[vaps]])")
    out: list[VapSpec] = []
    seen: set[str] = set()
    known = set(radio_names)  # a list's `in` made loading 11,000 vaps quadratic (0.7 s)
    for k, data in enumerate(raw):
        path = ("vaps", k)
        for entry in _expand(_Table(loc, path, data), limit=MAX_VAPS - len(out)):
            t = _Table(loc, path, entry)
            mode = t.get("mode", str)
            try:
                opmode, _ = parse_wlanmode(mode)
            except ValueError as e:
                raise t.error("mode", str(e)) from None
            radio = t.get("radio", (str, int))
            if isinstance(radio, int) or radio.isdigit():
                if not 0 <= int(radio) < len(radio_names):
                    raise t.error("radio", f"no radio number {radio} (there are {len(radio_names)})")
                radio = radio_names[int(radio)]
            elif radio not in known:
                raise t.error("radio", f"no radio named {radio!r}")
            name = t.get("name", str, f"wlan{len(out)}")
            if name in seen:
                raise t.error("name", f"vap name {name!r} is used twice")
            seen.add(name)
            spec = VapSpec(name, radio, mode, path)
            spec.flags = _flags(t)
            spec.wlanbssid = t.get("wlanbssid", str, None)
            spec.wlanaddr = t.get("wlanaddr", str, None)
            for key in VAP_CONFIG:
                if t.has(key):
                    kind = bool if key == "hidessid" else str if key == "ssid" else int
                    spec.config[key] = t.get(key, kind)
            _security(t, spec, opmode, name)
            spec.netdev = t.get("netdev", str, None)
            if spec.netdev not in (None, *NETDEVS):
                raise t.error("netdev", f"unknown netdev {spec.netdev!r} (one of {', '.join(NETDEVS)})")
            if t.has("ip"):
                try:
                    spec.ip = ipaddress.IPv4Address(t.get("ip", str)).packed
                except ValueError as e:
                    raise t.error("ip", str(e)) from None
            spec.start_ns = t.seconds_ns("start", 0.0)
            jitter_ns = t.seconds_ns("start_jitter", 0.0)
            if jitter_ns:
                # Devices are not switched on at the same nanosecond; the draw
                # depends on the seed and the vap's name only, not on file order.
                spec.start_ns += random.Random(f"{seed}/start/{name}").randrange(jitter_ns + 1)
            spec.up = t.get("up", bool, True)
            if t.has("roaming"):
                spec.roaming["mode"] = t.get("roaming", str)
                if spec.roaming["mode"] not in ("auto", "manual"):
                    raise t.error("roaming", f"must be \"auto\" or \"manual\", not {spec.roaming['mode']!r}")
            if t.has("roam_rssi"):
                spec.roaming["rssi_dbm"] = t.number("roam_rssi", low=-120.0, high=0.0)
            if t.has("roam_rate"):
                spec.roaming["rate_mbps"] = t.number("roam_rate", low=0.0, high=1000.0)
            if spec.roaming and opmode is not OpMode.STA:
                raise t.error(next(k for k in ("roaming", "roam_rssi", "roam_rate") if t.has(k)),
                              f"roaming is a station's setting, not a {mode} vap's")
            t.done()
            # A monitor vap's interface carries radiotap frames, not IP traffic.
            spec.has_netdev = opmode.has_netdev and opmode is not OpMode.MONITOR and spec.netdev != "none"
            if opmode is OpMode.WDS and spec.wlanbssid is None:
                raise t.error("wlanbssid", "a wds vap needs its peer's address (wlanbssid)")
            out.append(spec)
    # Addresses for hosts without one: 10.0.0.1, 10.0.0.2, ... in vap order.
    used = {v.ip for v in out if v.ip is not None}
    nxt = int(ipaddress.IPv4Address("10.0.0.1"))
    for v in out:
        if v.ip is None and v.has_netdev:
            while ipaddress.IPv4Address(nxt).packed in used:
                nxt += 1
            v.ip = ipaddress.IPv4Address(nxt).packed
            nxt += 1
    ips: dict[bytes, str] = {}
    for v in out:
        if v.ip is not None:
            if v.ip in ips:
                addr = ipaddress.IPv4Address(v.ip)
                raise loc.error(v.where + ("ip",), f"address {addr} is also {ips[v.ip]}'s")
            ips[v.ip] = v.name
    return out


MOBILITY_MODELS = ("waypoints", "random_waypoint")


def _mobility(loc: Located, raw: Any, radio_names: list[str], seed: int) -> list[MobilitySpec]:
    if not isinstance(raw, list):
        raise loc.error(("mobility",), "must be an array of tables ([[mobility]])")
    out: list[MobilitySpec] = []
    moving: set[str] = set()
    known = set(radio_names)
    for k, data in enumerate(raw):
        path = ("mobility", k)
        for entry in _expand(_Table(loc, path, data), limit=MAX_RADIOS - len(out)):
            t = _Table(loc, path, entry)
            radio = t.get("radio", str)
            if radio not in known:
                raise t.error("radio", f"no radio named {radio!r}")
            if radio in moving:
                raise t.error("radio", f"radio {radio!r} already has a mobility model")
            moving.add(radio)
            model = t.get("model", str)
            if model not in MOBILITY_MODELS:
                raise t.error("model", f"unknown mobility model {model!r} ({' or '.join(MOBILITY_MODELS)})")
            spec = MobilitySpec(radio, model, path)
            spec.start_ns = t.seconds_ns("start", 0.0)
            spec.pause_ns = t.seconds_ns("pause", 0.0)
            spec.step_ns = round(t.number("step", 0.1, low=MIN_MOBILITY_STEP_S, high=MAX_SECONDS) * 1e9)
            speed = t.get("speed", (float, list), _REQUIRED)
            if isinstance(speed, list):
                if (len(speed) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                               for v in speed)):
                    raise t.error("speed", f"a speed range is [min, max] in m/s, not {speed!r}")
                lo, hi = float(speed[0]), float(speed[1])
            else:
                lo = hi = speed
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi <= MAX_SPEED):
                raise t.error("speed", f"must be > 0 and at most {MAX_SPEED:g} m/s (min <= max), "
                              f"not {speed!r}")
            spec.speed = (lo, hi)
            if model == "waypoints":
                pts = t.get("waypoints", list)
                if not 1 <= len(pts) <= MAX_WAYPOINTS:
                    raise t.error("waypoints", f"must hold 1..{MAX_WAYPOINTS} points, not {len(pts)}")
                spec.waypoints = tuple(_point(t, "waypoints", p) for p in pts)
                spec.loop = t.get("loop", bool, False)
            else:
                area = t.get("area", list)
                if (len(area) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                              and math.isfinite(v) and v > 0 for v in area)):
                    raise t.error("area", f"an area is [width, height] in metres, both > 0, not {area!r}")
                spec.area = (float(area[0]), float(area[1]))
                ox, oy, _ = _point(t, "origin", t.get("origin", list, [0, 0]))
                spec.origin = (ox, oy)
                spec.seed = f"{t.integer('seed', seed, low=0)}/mobility/{radio}"
            t.done()
            out.append(spec)
    return out


def _bridges(loc: Located, raw: Any, vaps: list[VapSpec]) -> list[BridgeSpec]:
    if not isinstance(raw, list):
        raise loc.error(("bridges",), "must be an array of tables ([[bridges]])")
    by_name = {v.name: v for v in vaps}
    out: list[BridgeSpec] = []
    bridged: dict[str, str] = {}
    ips = {v.ip: v.name for v in vaps if v.ip is not None}
    nxt = int(ipaddress.IPv4Address("10.0.0.1"))
    for k, data in enumerate(raw):
        path = ("bridges", k)
        t = _Table(loc, path, data)
        name = t.get("name", str)
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,14}", name):
            raise t.error("name", f"{name!r} is not a valid interface name")
        if name in by_name or any(b.name == name for b in out):
            raise t.error("name", f"{name!r} is already the name of a vap or bridge")
        members = t.get("vaps", list)
        if not members or not all(isinstance(m, str) for m in members):
            raise t.error("vaps", "must be a non-empty array of vap names")
        for m in members:
            if m not in by_name:
                raise t.error("vaps", f"no vap named {m!r}")
            if not by_name[m].has_netdev or by_name[m].netdev == "tap":
                raise t.error("vaps", f"vap {m!r} has no in-process netdev to bridge")
            if m in bridged:
                raise t.error("vaps", f"vap {m!r} is already on bridge {bridged[m]!r}")
            bridged[m] = name
        spec = BridgeSpec(name, list(members), path)
        if t.has("ip"):
            try:
                spec.ip = ipaddress.IPv4Address(t.get("ip", str)).packed
            except ValueError as e:
                raise t.error("ip", str(e)) from None
            if spec.ip in ips:
                raise t.error("ip", f"address {ipaddress.IPv4Address(spec.ip)} is also {ips[spec.ip]}'s")
        else:
            while ipaddress.IPv4Address(nxt).packed in ips:
                nxt += 1
            spec.ip = ipaddress.IPv4Address(nxt).packed
        ips[spec.ip] = name
        mac = t.get("mac", str, f"02:62:72:00:00:{len(out):02x}")
        try:
            spec.mac = parse_mac(mac, "mac")
        except (ValueError, InvalidArgument) as e:
            raise t.error("mac", str(e)) from None
        if spec.mac[0] & 1:
            raise t.error("mac", f"{mac} is a group address")
        t.done()
        out.append(spec)
    return out


def _traffic(loc: Located, raw: Any, vaps: dict[str, VapSpec],
             bridges: list[BridgeSpec] | None = None) -> list[TrafficSpec]:
    if not isinstance(raw, list):
        raise loc.error(("traffic",), "must be an array of tables ([[traffic]])")
    out: list[TrafficSpec] = []
    for k, data in enumerate(raw):
        path = ("traffic", k)
        for entry in _expand(_Table(loc, path, data), limit=MAX_FLOWS - len(out)):
            t = _Table(loc, path, entry)
            kind = t.get("type", str)
            if kind not in ("ping", "udp"):
                raise t.error("type", f"unknown traffic type {kind!r} (ping or udp)")
            ends = []
            on_bridge = {m: b.name for b in bridges or () for m in b.vaps}
            bridge_names = {b.name for b in bridges or ()}
            for key in ("from", "to"):
                name = t.get(key, str)
                if name in bridge_names:
                    ends.append(name)
                    continue
                if name not in vaps:
                    raise t.error(key, f"no vap or bridge named {name!r}")
                if not vaps[name].has_netdev:
                    raise t.error(key, f"vap {name!r} ({vaps[name].mode}) has no netdev to carry traffic")
                if name in on_bridge:
                    raise t.error(key, f"vap {name!r} is a port of bridge {on_bridge[name]!r}: "
                                  "traffic goes to the bridge")
                ends.append(name)
            if ends[0] == ends[1]:
                raise t.error("to", "a flow needs two different vaps")
            start = t.seconds_ns("start", DEFAULT_TRAFFIC_START_S)
            if kind == "ping":
                size = t.integer("size", 56, low=0, high=MAX_PAYLOAD)
                spec = TrafficSpec(kind, ends[0], ends[1], path, start, size,
                                   count=t.integer("count", 5, low=1),
                                   interval_ns=round(t.number("interval", 1.0, low=MIN_PING_INTERVAL_S,
                                                              high=MAX_SECONDS) * 1e9))
            else:
                size = t.integer("size", 512, low=0, high=MAX_PAYLOAD)
                spec = TrafficSpec(kind, ends[0], ends[1], path, start, size,
                                   rate=t.number("rate", positive=True, high=MAX_UDP_RATE),
                                   duration_ns=t.seconds_ns("duration", 1.0),
                                   port=t.integer("port", 0, low=1, high=65535) if t.has("port") else 0)
            t.done()
            out.append(spec)
    return out


def _captures(loc: Located, raw: Any, vaps: dict[str, VapSpec]) -> list[CaptureSpec]:
    if not isinstance(raw, list):
        raise loc.error(("captures",), "must be an array of tables ([[captures]])")
    out: list[CaptureSpec] = []
    for k, data in enumerate(raw):
        t = _Table(loc, ("captures", k), data)
        file = t.get("file", str)
        if not file:
            raise t.error("file", "must name a file")
        medium = t.get("medium", bool, False)
        vap = t.get("vap", str, None)
        if medium == (vap is not None):
            raise t.error(None, "a capture is either medium = true or vap = NAME")
        if vap is not None:
            if vap not in vaps:
                raise t.error("vap", f"no vap named {vap!r}")
            if parse_wlanmode(vaps[vap].mode)[0] is not OpMode.MONITOR:
                raise t.error("vap", f"vap {vap!r} is {vaps[vap].mode}; captures come from monitor vaps")
        t.done()
        p = PurePosixPath(file)
        if p.is_absolute() or ".." in p.parts:
            raise t.error("file", f"{file!r} must be a relative path inside the output directory "
                          "(no leading / and no ..)")
        same = next((c for c in out if PurePosixPath(c.file) == p), None)
        if same is not None:
            raise t.error("file", f"{file!r} is also {key_name(same.where)}'s file")
        out.append(CaptureSpec("medium" if medium else vap, file, ("captures", k)))
    return out


def _events(loc: Located, raw: Any, vaps: dict[str, VapSpec]) -> list[EventSpec]:
    if not isinstance(raw, list):
        raise loc.error(("events",), "must be an array of tables ([[events]])")
    out = []
    for k, data in enumerate(raw):
        t = _Table(loc, ("events", k), data)
        at = t.seconds_ns("at", 0.0)
        vap = t.get("vap", str)
        if vap not in vaps:
            raise t.error("vap", f"no vap named {vap!r}")
        action = t.get("action", str)
        if action not in ("up", "down", "destroy"):
            raise t.error("action", f"unknown action {action!r} (up, down or destroy)")
        t.done()
        out.append(EventSpec(at, vap, action, ("events", k)))
    out.sort(key=lambda e: e.at_ns)  # stable: same time keeps file order
    return out


def scenario_from_dict(data: dict[str, Any], *, file: str | None = None, source: SourceIndex | None = None,
                       seed: int | None = None) -> Scenario:
    """Check a parsed scenario; `seed` overrides the file's."""
    loc = Located(file, source or SourceIndex())
    top = _Table(loc, (), data)
    head = _Table(loc, ("scenario",), top.get("scenario", dict, {}))
    name = head.get("name", str, Path(file).stem if file else "scenario")
    seconds = head.number("seconds", DEFAULT_SECONDS, positive=True, high=MAX_SECONDS)
    file_seed = head.integer("seed", 0, low=0)
    driver = head.get("driver", str, DEFAULT_DRIVER)
    start_time: int | str | None = None
    if head.has("start_time"):
        try:
            start_time = parse_start_time(head.get("start_time", (str, dt.datetime)))
        except ValueError as e:
            raise head.error("start_time", str(e)) from None
    head.done()
    seed = file_seed if seed is None else seed
    driver_name = driver.partition(":")[0] or DEFAULT_DRIVER
    radios = _radios(loc, top.get("radios", (dict, list), None), driver_name, seed)
    index = {r.name: k for k, r in enumerate(radios)}
    model, mseed, external = _medium(loc, top.get("medium", dict, None), index)
    vaps = _vaps(loc, top.get("vaps", list, []), [r.name for r in radios], seed)
    by_name = {v.name: v for v in vaps}
    mobility = _mobility(loc, top.get("mobility", list, []), [r.name for r in radios], seed)
    bridges = _bridges(loc, top.get("bridges", list, []), vaps)
    traffic = _traffic(loc, top.get("traffic", list, []), by_name, bridges)
    captures = _captures(loc, top.get("captures", list, []), by_name)
    events = _events(loc, top.get("events", list, []), by_name)
    top.done()
    # UDP ports: a flow without one takes the next free port on its receiver.
    taken = {(t.dst, t.port) for t in traffic if t.kind == "udp" and t.port}
    for t in traffic:
        if t.kind == "udp" and not t.port:
            p = 5001
            while (t.dst, p) in taken:
                p += 1
            t.port = p
            taken.add((t.dst, p))
    seen_ports: set[tuple[str, int]] = set()
    for t in traffic:
        if t.kind == "udp":
            if (t.dst, t.port) in seen_ports:
                raise loc.error(t.where + ("port",), f"{t.dst} already receives a flow on UDP port {t.port}")
            seen_ports.add((t.dst, t.port))
    return Scenario(name, file, driver, seed, seconds, model, mseed, radios, vaps, traffic, captures, events,
                    loc, external, start_time, mobility, bridges)


def loads_scenario(text: str, *, file: str | None = None, seed: int | None = None) -> Scenario:
    """Parse and check scenario text (TOML)."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(f"{len(text)} characters is over the {MAX_FILE_BYTES}-byte limit", file=file)
    deep = _too_deep(text)
    if deep is not None:
        raise ScenarioError(f"tables and arrays nested deeper than {MAX_DEPTH}", file=file, line=deep)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ScenarioError("tables and arrays nested too deeply", file=file) from None
    except tomllib.TOMLDecodeError as e:
        # tomllib's message ends with "(at line N, column M)"
        m = re.search(r"at line (\d+)", str(e))
        raise ScenarioError(f"not valid TOML: {e}", file=file, line=int(m.group(1)) if m else None) from None
    return scenario_from_dict(data, file=file, source=SourceIndex(text), seed=seed)


def _too_deep(text: str) -> int | None:
    """The line where brackets and braces first nest deeper than MAX_DEPTH
    (strings and comments skipped), or None.  Checked before tomllib, which
    recurses once per level."""
    depth, line, quote, comment = 0, 1, "", False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            comment = False
            if quote in ('"', "'"):
                quote = ""  # a basic string ends at the line (the parser reports it)
        elif comment:
            pass
        elif quote:
            if quote in ('"', '"""') and ch == "\\":
                i += 1
            elif text.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif ch == "#":
            comment = True
        elif ch in "\"'":
            quote = text[i:i + 3] if text.startswith(ch * 3, i) else ch
            i += len(quote) - 1
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def load_scenario(path: str | Path, *, seed: int | None = None) -> Scenario:
    """Read, parse and check a scenario file."""
    return loads_scenario(read_file(path, "scenario"), file=str(path), seed=seed)
