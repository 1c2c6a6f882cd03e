"""Turn a loaded `Scenario` into a world (a driver from the registry, its
radios, vaps, hosts on their netdevs, flows, captures) and run it in virtual
time.  `run_scenario` returns the summary as a JSON-ready dict."""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
import time
from pathlib import Path
from typing import Any

from ic import SEC, CloneFlags, NotSupported, Scheduler, State, parse_mac
from net80211.driver import Driver, open_driver
from net80211.modes.roam import configure_roaming
from net80211.scenario.bridge import Bridge
from net80211.scenario.mobility import Mover
from net80211.scenario.spec import MAX_SECONDS, Scenario, ScenarioError, VapSpec
from net80211.scenario.summary import pcap_frames, radio_summary, vap_summary
from net80211.scenario.traffic import Host, PingFlow, UdpFlow, _Flow, host_summary
from net80211.wire.outfile import check_dir, ensure_dir

# The collector's young-generation threshold while a world runs (Python's is 700).
RUN_GC_THRESHOLD = 100_000


class ScenarioRun:
    """One run of a scenario: build the world, run it, report."""

    def __init__(self, scenario: Scenario, *, seconds: float | None = None,
                 outdir: Path | None = None, start_time: int | str | None = None,
                 timeline: bool = False) -> None:
        self.sc = scenario
        self.seconds = scenario.seconds if seconds is None else seconds
        if not 0 < self.seconds <= MAX_SECONDS:
            raise ScenarioError(f"seconds must be within (0, {MAX_SECONDS:g}], not {self.seconds!r}")
        self.outdir = Path(outdir) if outdir is not None else Path()
        # Served to an external medium, the world runs in real time: the daemon does,
        # and so do the kernel's radios it may share the air with.
        when = scenario.start_time if start_time is None else start_time
        epoch = time.time_ns() if when == "now" else when
        assert not isinstance(epoch, str)  # "now" is the only word parse_start_time gives
        self.sched = Scheduler(realtime=scenario.external is not None, epoch_ns=epoch)
        self.driver: Driver | None = None
        self.vaps: dict[str, Any] = {}  # name -> vap (kept after destroy, for the summary)
        self.destroyed: set[str] = set()
        self.hosts: dict[str, Host] = {}
        self.bridges: list[Bridge] = []
        self.movers: list[Mover] = []
        self.flows: list[_Flow] = []
        self.captures: list[tuple[Any, Any, Path]] = []  # (spec, owner, path)
        self.captures_open: list[Any] = []  # owners whose stop_capture is still due
        self.created: list[Path] = []  # capture files this run made
        self.wall_s = 0.0
        self._by_name: dict[str, Any] = {}
        # Virtual time (ns) each vap first reached RUN (a station: associated).
        self.run_at: dict[str, int] = {}
        # Every state transition as (ns, vap, old state, new state), when asked for.
        self.timeline: list[tuple[int, str, str, str]] | None = [] if timeline else None

    # -- building ----------------------------------------------------------------
    def _wrap(self, path: tuple[Any, ...], e: OSError) -> ScenarioError:
        if isinstance(e, ScenarioError):
            return e
        msg = getattr(e, "strerror", None) or str(e)
        return self.sc.error(path, msg, e.errno or None)

    def build(self) -> None:
        # Building makes next to no cyclic garbage (5 objects for 5,500
        # radios), yet every full collection the allocations trigger walks
        # all that is built so far: a cost that grows faster than the world.
        # The collector rests until the world stands.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._build()
        finally:
            if enabled:
                gc.enable()

    def _build(self) -> None:
        sc = self.sc
        seed = sc.medium_seed if sc.medium_seed is not None else sc.seed
        params: dict[str, Any] = {"radios": 0, "seed": seed}
        if sc.model is not None:
            params["model"] = sc.model
        ext = sc.external
        if ext is not None:
            params.update(medium_socket=ext["socket"], first_radio=ext["first_radio"])
        try:
            self.driver = driver = open_driver(sc.driver, self.sched, **params)
        except OSError as e:
            where = ("medium", "socket") if ext is not None else ("medium",) if sc.model is not None \
                else ("scenario", "driver")
            raise self._wrap(where, e) from None
        try:
            for r in sc.radios:
                try:
                    driver.add_device(r.name, **r.params)
                except OSError as e:
                    raise self._wrap(r.where, e) from None
            for dev in driver.devices:
                dev.state_watch = self._state_changed
            if ext is not None:
                self._await_medium(driver, ext)
            for v in sc.vaps:
                self._create_vap(v)
            bridged = {m for b in sc.bridges for m in b.vaps}
            for v in sc.vaps:
                vap = self.vaps[v.name]
                if (v.has_netdev and getattr(vap, "netdev", None) is not None and v.ip is not None
                        and v.name not in bridged):
                    self.hosts[v.name] = Host(self.sched, vap, v.ip)
            for b in sc.bridges:
                try:
                    br = Bridge(b.name, b.mac, [self.vaps[m] for m in b.vaps])
                except OSError as e:
                    raise self._wrap(b.where + ("vaps",), e) from None
                self.bridges.append(br)
                self.hosts[b.name] = Host(self.sched, None, b.ip, name=b.name, mac=b.mac, link=br.link)
            for m in sc.mobility:
                dev = self._device(m.radio)
                try:
                    dev.ic_set_position(*(dev.ic_get_position() or (0.0, 0.0, 0.0)))
                except OSError as e:
                    raise self._wrap(m.where + ("radio",), e) from None
                self.movers.append(Mover(self.sched, dev, m))
            for c in sc.captures:
                self._start_capture(c)
            for v in sc.vaps:
                if v.up:
                    if v.start_ns:
                        self.sched.call_at(v.start_ns, self.vaps[v.name].up)
                    else:
                        self.vaps[v.name].up()
            for ev in sc.events:
                self.sched.call_at(ev.at_ns, self._event, ev.vap, ev.action)
            for n, t in enumerate(sc.traffic, 1):
                src = self._host(t.where + ("from",), t.src)
                dst = self._host(t.where + ("to",), t.dst)
                if t.kind == "ping":
                    self.flows.append(PingFlow(n, src, dst, count=t.count, interval_ns=t.interval_ns,
                                               size=t.size, start_ns=t.start_ns))
                else:
                    self.flows.append(UdpFlow(n, src, dst, rate=t.rate, size=t.size,
                                              duration_ns=t.duration_ns, start_ns=t.start_ns, port=t.port))
        except BaseException:
            # Nothing half-made stays: the devices go, and so do the capture
            # files this run created.
            self.close(quiet=True)
            for p in self.created:
                with contextlib.suppress(OSError):
                    if p.is_file() and not p.is_symlink():
                        p.unlink()
            raise

    def _state_changed(self, vap: Any, ostate: int, nstate: int) -> None:
        now = self.sched.now_ns
        if nstate == State.RUN and vap.name not in self.run_at:
            self.run_at[vap.name] = now
        if self.timeline is not None and ostate != nstate:
            self.timeline.append((now, vap.name, State(ostate).name, State(nstate).name))

    def _await_medium(self, driver: Driver, ext: dict[str, Any]) -> None:
        """Serve the socket until the medium daemon registers (set-up: nothing
        runs before, so no vap comes up on the built-in medium)."""
        deadline = time.monotonic() + ext["wait_s"]
        while not driver.external_medium():
            left = deadline - time.monotonic()
            if left <= 0:
                raise self.sc.error(("medium", "socket"), f"no external medium registered on {ext['socket']} "
                                    f"within {ext['wait_s']:g} s (start hwsim-mediumd -s {ext['socket']})")
            self.sched.poll_io(min(left, 0.1))

    def _host(self, path: tuple[Any, ...], name: str) -> Host:
        if name not in self.hosts:
            raise self.sc.error(path, f"vap {name!r} has no netdev (its driver gave it none)")
        return self.hosts[name]

    def _peer_addr(self, v: VapSpec, value: str) -> bytes:
        """wlanbssid: a MAC address, or "@vap" for another vap's address."""
        if not value.startswith("@"):
            return parse_mac(value, "wlanbssid")
        name = value[1:]
        if name in self.vaps:
            return self.vaps[name].macaddr
        other = next((o for o in self.sc.vaps if o.name == name), None)
        if other is None:
            raise self.sc.error(v.where + ("wlanbssid",), f"no vap named {name!r}")
        if other.wlanaddr is None:
            raise self.sc.error(v.where + ("wlanbssid",),
                                f"{name} is created later and has no wlanaddr; "
                                "give it one or create it first")
        return parse_mac(other.wlanaddr, "wlanaddr")

    def _create_vap(self, v: VapSpec) -> None:
        assert self.driver is not None
        kw: dict[str, Any] = dict(v.config)
        flags = CloneFlags(0)
        for f in v.flags:
            flags |= CloneFlags[f.upper()]
        kw["flags"] = flags
        try:
            if v.wlanbssid is not None:
                kw["bssid"] = self._peer_addr(v, v.wlanbssid)
            if v.wlanaddr is not None:
                kw["macaddr"] = v.wlanaddr
            if v.netdev is not None:
                kw["netdev"] = v.netdev
            self.vaps[v.name] = self._device(v.radio).create_vap(v.name, v.mode, **kw)
            if v.roaming:
                configure_roaming(self.vaps[v.name], **v.roaming)
        except OSError as e:
            raise self._wrap(v.where, e) from None

    def _device(self, name: str) -> Any:
        """driver.device(name) through an index: that walks the device list,
        and a world of 10,000 radios would walk it 10,000 times."""
        assert self.driver is not None
        if len(self._by_name) != len(self.driver.devices):
            self._by_name = {d.name: d for d in self.driver.devices}
        dev = self._by_name.get(name)
        return dev if dev is not None else self.driver.device(name)

    def _capture_path(self, c: Any) -> Path:
        """Where a capture goes: inside --outdir, through no symlink, in
        directories made here (0755) or already ours."""
        rel = Path(c.file)
        if rel.is_absolute() or ".." in rel.parts:
            raise self.sc.error(c.where + ("file",), f"{c.file!r} must be a relative path inside the "
                                "output directory (no leading / and no ..)")
        path = self.outdir
        try:
            # --outdir itself is the user's choice (it may be a symlink);
            # below it, nothing is followed.
            if path.exists():
                check_dir(path)
            else:
                ensure_dir(path, 0o755)
            for part in rel.parts[:-1]:
                path = path / part
                ensure_dir(path, 0o755)
        except OSError as e:
            raise self._wrap(c.where + ("file",), e) from None
        return path / rel.name

    def _start_capture(self, c: Any) -> None:
        assert self.driver is not None
        path = self._capture_path(c)
        if not os.path.lexists(path):
            self.created.append(path)  # removed again if the build fails
        owner = self.driver if c.source == "medium" else self.vaps[c.source]
        if not callable(getattr(owner, "capture", None)):
            raise self.sc.error(c.where, f"{c.source} cannot capture", NotSupported.default_errno)
        try:
            owner.capture(str(path))
        except OSError as e:
            raise self._wrap(c.where + ("file",), e) from None
        self.captures.append((c, owner, path))
        self.captures_open.append(owner)

    def _event(self, name: str, action: str) -> None:
        vap = self.vaps[name]
        if name in self.destroyed:
            return
        if action == "up":
            vap.up()
        elif action == "down":
            vap.down()
        else:
            vap.ic.destroy_vap(vap)
            self.destroyed.add(name)

    # -- running -------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Build (if not yet), run for the scenario's time, report, tear down."""
        t0 = time.perf_counter()
        try:
            if self.driver is None:
                self.build()
            # The world just built lives as long as the run: out of the
            # collector's sight, a full collection (there are several in a
            # big run) walks only what the run allocates, not every node,
            # vap and timer of 11,000 radios each time.
            gc.freeze()
            # What a run allocates is nearly all freed by reference counting
            # (frames, receive records, timer entries); a young collection
            # every 700 survivors mostly walks timers still pending, and
            # promotes them into full collections.  A hundred thousand keeps
            # what cyclic garbage there is to a few MB.
            thresholds = gc.get_threshold()
            gc.set_threshold(RUN_GC_THRESHOLD, *thresholds[1:])
            try:
                self.sched.run_for(round(self.seconds * SEC))
                result = self.summary()
            finally:
                gc.set_threshold(*thresholds)
                gc.unfreeze()
        except BaseException:
            self.close(quiet=True)
            raise
        self.close()
        for entry in result["captures"]:
            entry["frames"] = pcap_frames(Path(entry["path"]))
        self.wall_s = time.perf_counter() - t0
        result["wall_s"] = round(self.wall_s, 6)
        return result

    def summary(self) -> dict[str, Any]:
        sc, driver = self.sc, self.driver
        assert driver is not None
        specs = {v.name: v for v in sc.vaps}
        vaps = []
        for name, vap in self.vaps.items():
            d = vap_summary(vap, destroyed=name in self.destroyed)
            host = self.hosts.get(name)
            if host is not None:
                d["host"] = host_summary(host)
            d["radio"] = specs[name].radio
            at = self.run_at.get(name)
            d["run_at_s"] = None if at is None else at / SEC
            vaps.append(d)
        return {
            "scenario": sc.name, "file": sc.file, "driver": sc.driver,
            "medium_model": "external" if sc.external is not None else "perfect" if sc.model is None
            else sc.model.get("path_loss", sc.model["kind"]),
            "seed": sc.seed, "start_time": _iso(self.sched.epoch_ns),
            "virtual_s": self.sched.now_ns / SEC, "wall_s": None,
            "noise_dbm": driver.describe().get("noise_dbm"),
            "events_run": self.sched.events_run,
            "radios": [radio_summary(d, r.position) for d, r in zip(driver.devices, sc.radios, strict=False)],
            "mobility": [m.summary() for m in self.movers],
            "bridges": [{**b.summary(), "host": host_summary(self.hosts[b.name])} for b in self.bridges],
            "vaps": vaps,
            "traffic": [f.result() for f in self.flows],
            "medium": dict(sorted(driver.counters().items())),
            "captures": [{"source": c.source, "file": c.file, "path": str(p.absolute())}
                         for c, _, p in self.captures],
        }

    def close(self, quiet: bool = False) -> None:
        """Stop captures (flushing their files) and remove every device.  The
        first capture whose file failed (a full disk) is raised, naming its
        key and file, after everything is closed; `quiet` drops it (an
        error is already on its way)."""
        captures, self.captures_open = self.captures_open, []
        failed: ScenarioError | None = None
        for owner in captures:
            try:
                owner.stop_capture()
            except OSError as e:
                spec = next((c for c, o, _ in self.captures if o is owner), None)
                if failed is None and spec is not None:
                    failed = self._wrap(spec.where + ("file",), e)
        if self.driver is not None:
            # Oldest first: the device, radio and state-machine model lists
            # drop each by list.remove, which finds the oldest at once; newest
            # first (driver.close) costs a walk per device, N² in all.
            for dev in list(self.driver.devices):
                self.driver.remove_device(dev)
            self.driver.close()
        if failed is not None and not quiet:
            raise failed


def _iso(ns: int) -> str:
    """UNIX ns as an RFC 3339 date and time in UTC (µs, as pcap keeps it)."""
    t = datetime.datetime.fromtimestamp(ns // 1000 / 1e6, tz=datetime.UTC)
    return t.isoformat(timespec="microseconds").replace("+00:00", "Z")


def run_scenario(scenario: Scenario, *, seconds: float | None = None, outdir: Path | None = None,
                 start_time: int | str | None = None) -> dict[str, Any]:
    """Run a loaded scenario in virtual time; the summary as a dict (see
    docs/scenarios.md).  `start_time` (UNIX ns or "now") overrides the
    file's `scenario.start_time`."""
    return ScenarioRun(scenario, seconds=seconds, outdir=outdir, start_time=start_time).run()
