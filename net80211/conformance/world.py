"""One simulated world per cell: the driver under test (resolved through the
`net80211.drivers` entry points, or a Driver class given directly), its
first device (the device under test) and peer devices on the same medium.

Also what "nothing left behind" means for a device: `snapshot` records the
vaps, their names, the running count and the hardware state a driver shows
in `describe()`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ic import SEC, Caps, IEEE80211Com, InvalidArgument, Scheduler
from net80211.driver import Driver, load_driver, split_spec

# Keys of a device's describe() that show hardware state a vap can leave
# behind: the addresses programmed in the hardware (own and BSSIDs), whether
# it runs, its receive filter, armed beacon timers.  A device that shows none
# of them cannot be checked for leftovers: the cells say "not covered".
HW_KEYS = ("addrs", "started", "filter", "beacons")


@dataclass(frozen=True)
class DriverRef:
    """A driver to test: its registered name (or class) and profile."""

    name: str
    profile: str
    cls: type[Driver]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> str:
        return f"{self.name}:{self.profile}"

    def open(self, sched: Scheduler, radios: int) -> Driver:
        return self.cls(sched, profile=self.profile, radios=radios, **self.params)


def resolve(driver: str | type[Driver], profile: str | None = None,
            params: dict[str, Any] | None = None) -> DriverRef:
    """'name[:profile]' through the entry points, or a Driver class as is."""
    if isinstance(driver, str):
        name, prof = split_spec(driver)
        if profile is not None and ":" in driver and profile != prof:
            raise InvalidArgument(f"driver {driver!r}: profile given twice ({profile!r})")
        cls = load_driver(name)
        profile = profile or prof
    elif isinstance(driver, type) and issubclass(driver, Driver):
        cls, name = driver, getattr(driver, "name", driver.__name__)
        profile = profile or "default"
    else:
        raise InvalidArgument(f"driver must be a 'name[:profile]' string or a Driver class, not {driver!r}")
    if profile not in cls.profiles:
        known = ", ".join(cls.profiles)
        raise InvalidArgument(f"driver {name} has no profile {profile!r} (profiles: {known})")
    return DriverRef(name, profile, cls, dict(params or {}))


class World:
    """A scheduler, the driver under test with `radios` devices, and a log."""

    def __init__(self, ref: DriverRef, radios: int = 1, seed: int = 0) -> None:
        self.sched = Scheduler()
        self.driver = ref.open(self.sched, radios)
        if len(self.driver.devices) < radios:
            raise InvalidArgument(f"driver {ref.spec} made {len(self.driver.devices)} devices, not {radios}")
        self.dut: IEEE80211Com = self.driver.devices[0]
        self.peers: list[IEEE80211Com] = list(self.driver.devices[1:radios])
        self.lines: list[str] = []

    def log(self, text: str) -> None:
        self.lines.append(f"{self.sched.now_ns / SEC:10.6f} {text}")

    def run_for(self, ns: int) -> None:
        self.sched.run_for(ns)

    def run_until(self, cond: Callable[[], bool], limit_ns: int, step_ns: int = SEC // 20) -> bool:
        """Advance virtual time in steps until `cond()` holds or `limit_ns` passed."""
        end = self.sched.now_ns + limit_ns
        while not cond():
            if self.sched.now_ns >= end:
                return False
            self.sched.run_for(min(step_ns, end - self.sched.now_ns))
        return True

    def close(self) -> None:
        self.driver.close()


def device_caps(ref: DriverRef) -> tuple[Caps, Any]:
    """The capabilities and policy of a fresh device of this driver."""
    w = World(ref, 1)
    try:
        return w.dut.caps, w.dut.policy
    finally:
        w.close()


def hw_unchecked(ic: IEEE80211Com) -> str | None:
    """Why the hardware state of `ic` cannot be compared, or None if it can."""
    d = ic.describe()
    if any(k in d for k in HW_KEYS):
        return None
    return (f"hardware state as new after destroy: {type(ic).__name__}.describe() of {ic.name} shows none "
            f"of {', '.join(HW_KEYS)}")


def snapshot(ic: IEEE80211Com) -> dict[str, Any]:
    """What a vap could leave behind on a device."""
    d = ic.describe()
    desc = {k: d[k] for k in HW_KEYS if k in d}
    return {
        "vaps": [v.name for v in ic.vaps],
        "nrunning": ic.nrunning,
        "hw": desc,
    }


def leftovers(ic: IEEE80211Com, names: list[str], empty: dict[str, Any],
              vaps: Sequence[Any] = ()) -> list[str]:
    """What differs from an empty device `empty` (a snapshot), naming each
    problem; `vaps` are the destroyed vaps, whose netdevs must be closed."""
    problems = []
    open_nd = [v.name for v in vaps if getattr(v, "netdev", None) is not None and not v.netdev.closed]
    if open_nd:
        problems.append(f"netdevs of destroyed vaps still open: {', '.join(open_nd)}")
    if ic.vaps:
        problems.append(f"vaps left on {ic.name}: {', '.join(v.name for v in ic.vaps)}")
    if ic.nrunning:
        problems.append(f"{ic.name}: nrunning is {ic.nrunning}, not 0")
    held = [n for n in names if n in ic.names]
    if held:
        problems.append(f"names still claimed: {', '.join(held)}")
    now = snapshot(ic)["hw"]
    for key, was in empty["hw"].items():
        if now.get(key) != was:
            problems.append(f"{ic.name}: {key} is {now.get(key)!r}, was {was!r} when empty")
    return problems
