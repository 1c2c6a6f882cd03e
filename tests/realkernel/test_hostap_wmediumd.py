"""hostap's own wmediumd tests (tests/hwsim/test_wmediumd.py) pass with hwsim-wmediumd as
`wmediumd`: hostap's run-tests.py runs them in the VM, unchanged, and each must PASS.

test_wmediumd.py starts `wmediumd -c CFG` itself, waits for its `REGISTER SENT!`
line and SIGTERMs it; `wmediumd -V` must say 0.3.1 or later for the mesh tests.
They cover the old config form (ifaces.links SNRs) under an open AP and a scan,
and the probability model's links under 802.11s: a path through a relay where
two stations cannot hear each other (path_simple), the path request's TTL
over four hops (path_ttl), and a root announcing itself with RANN (path_rann).

Collected only when NET80211_HOSTAP_SRC names a hostap tree with its hwsim
tests (see support/realkernel/hostap.py: no Debian package carries them).
"""

from __future__ import annotations

import pytest
from conftest import require
from support.realkernel import Vm, VmResult, hostap

pytestmark = pytest.mark.realkernel

TESTS = ["wmediumd_simple", "wmediumd_path_simple", "wmediumd_path_ttl", "wmediumd_path_rann",
         "wmediumd_scan_only_one"]


@pytest.fixture(scope="module")
def suite(vm: Vm) -> VmResult:
    try:
        src = hostap.source()
        hostap.build(src)
        hostap.precompile_project()
    except hostap.HostapUnavailable as e:
        require(False, str(e))
        raise
    # stop.sh unloads the module the VM booted with; start.sh loads it with the suite's options.
    return vm.run(hostap.job(src, TESTS), radios=0, timeout_s=3600).check()


@pytest.mark.parametrize("name", TESTS)
def test_hostap_wmediumd_test_passes(suite: VmResult, name: str) -> None:
    verdicts = hostap.results(suite.text("run-tests.txt"))
    log = suite.files.get(f"hwsim-logs/{name}.log", b"").decode(errors="replace")
    why = f"{name}: {verdicts.get(name)}\n{suite.text('run-tests.txt')}\n{log[-4000:]}"
    assert verdicts.get(name) == "PASS", why
