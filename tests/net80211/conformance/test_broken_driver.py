"""The matrix catches drivers that do not do what they declare."""

from __future__ import annotations

from typing import Any

from drivers.hwsim.driver import HwsimDriver
from ic import Admission, ConcurrencyError, IEEE80211Com, OpMode, Policy
from net80211.conformance import Matrix


class LaxPolicy(Policy):
    """Declares the real policy (check_mix) but lets every create and up through."""

    def __init__(self, declared: Policy) -> None:
        super().__init__(declared.combinations, declared.rules, software_iftypes=declared.software_iftypes,
                         name=declared.name)
        self.declared = declared

    def check_mix(self, ic: Any, modes: Any, channels: Any = None) -> Any:
        return self.declared.check_mix(ic, modes, channels)

    def admit(self, ic: Any, req: Any) -> Admission:
        try:
            return super().admit(ic, req)
        except ConcurrencyError:
            return Admission(req)  # the bug: accept what the policy refuses

    def check_running(self, ic: Any, vap: Any, channel: Any) -> str:
        try:
            return super().check_running(ic, vap, channel)
        except ConcurrencyError:
            return "accepted anyway"


class AcceptsAllDriver(HwsimDriver):
    """Test-only: devices whose creates ignore their declared policy."""

    name = "hwsim-accepts-all"

    def add_device(self, name: str | None = None, **params: Any) -> IEEE80211Com:
        radio = super().add_device(name, **params)
        radio.policy = LaxPolicy(radio.policy)
        return radio


class LeaksBssidDriver(HwsimDriver):
    """Test-only: programs an AP's BSSID on the medium port at create time and
    forgets to take it off when the vap is destroyed."""

    name = "hwsim-leaks-bssid"

    def add_device(self, name: str | None = None, **params: Any) -> IEEE80211Com:
        radio = super().add_device(name, **params)
        create = radio.ic_vap_create

        def ic_vap_create(*args: Any) -> Any:
            vap = create(*args)
            if vap.opmode is OpMode.HOSTAP:
                radio.port.add_bssid(vap.macaddr)
            return vap
        radio.ic_vap_create = ic_vap_create
        return radio


def test_a_device_that_accepts_what_its_policy_refuses_fails_verdict_cells() -> None:
    m = Matrix(AcceptsAllDriver, "ath", max_vaps=2, kinds=("verdict",))
    results = {r.mix: r for r in m.run()}
    sta_sta = results["sta+sta"]  # ath: one STA
    assert sta_sta.passed is False
    assert sta_sta.expected == "refused"
    assert "policy refuses the mix" in sta_sta.reason and "but the device accepted it" in sta_sta.reason
    assert "max-of-mode" in sta_sta.reason
    # Mixes the policy allows still pass: the matrix blames only the real bug.
    assert results["hostap+sta"].passed is True
    failed = {r.mix for r in results.values() if r.passed is False}
    honest = {r.mix: r for r in Matrix("hwsim:ath", max_vaps=2, kinds=("verdict",)).run()}
    assert failed == {mix for mix, r in honest.items() if r.expected != "allowed"}


def test_same_driver_honest_passes() -> None:
    results = Matrix("hwsim:ath", max_vaps=2, kinds=("verdict",)).run()
    assert all(r.passed for r in results)


def test_a_destroy_that_leaves_a_bssid_on_the_port_fails_lifecycle_cells() -> None:
    m = Matrix(LeaksBssidDriver, "default", max_vaps=1, kinds=("lifecycle",))
    results = {r.mix: r for r in m.run()}
    hostap = results["hostap"]
    assert hostap.passed is False
    assert "addrs is" in hostap.reason and "was [] when empty" in hostap.reason
    # A monitor never programs a BSSID: nothing leaks, the cell passes.
    assert results["monitor"].passed is True
