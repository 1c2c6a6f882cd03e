"""Suite-wide helpers.

In CI (CI=true) a test that needs root, a TAP device or an external tool must
run: `require()` fails the test there instead of skipping it.
"""

from __future__ import annotations

import logging
import os
import shutil

import pytest
from hypothesis import settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# No wall-clock limit on a property test: hypothesis's per-example deadline
# fails a correct test when the machine is busy (a shared 2-core runner).
settings.register_profile("net80211", deadline=None)
settings.load_profile("net80211")


def require(condition: bool, why: str) -> None:
    """Skip (locally) or fail (in CI) when a test's precondition is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI requires this test to run, but {why}")
    pytest.skip(why)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed")
    return path  # type: ignore[return-value]


def require_root() -> None:
    require(os.geteuid() == 0, "this test needs root")


@pytest.fixture(scope="session")
def ray_local():
    """A local Ray of two CPUs, started once per test process (each xdist
    worker that needs one starts its own); the sweep engine finds it
    running and leaves it running."""
    try:
        import ray
    except ImportError:
        require(False, "ray is not installed (pip install -e '.[test]')")
    from net80211.sweep.engine import ray_init

    os.environ.pop("RAY_ADDRESS", None)
    # Through ray_init: this process's signal handlers stay the test runner's.
    ray_init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(autouse=True)
def _process_logging_restored():
    """A command run in-process (hwsim-mediumd, hwsim-wmediumd, wlanctl serve)
    sets up the process's logging: a handler on the test's captured stream
    and a root level.  Both go again after the test, so a later test's
    daemon thread does not log into a closed stream."""
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in _CLI_LOGGERS}
    yield
    for h in list(root.handlers):
        if h not in before and type(h) is logging.StreamHandler:  # not pytest's own (subclasses)
            root.removeHandler(h)
    root.setLevel(level)
    for name, lv in levels.items():
        logging.getLogger(name).setLevel(lv)


_CLI_LOGGERS = ("net80211.ctl", "net80211.state")  # levels `wlanctl serve` sets
