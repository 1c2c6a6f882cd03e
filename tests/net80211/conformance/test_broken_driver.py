"""The matrix catches drivers that do not do what they declare."""

from __future__ import annotations

import errno
import html
import json
import logging
from importlib.metadata import EntryPoint
from typing import Any

import pytest

import net80211.driver as driver_module
from drivers.example import ExampleDriver, ExampleRadio, ExampleVap
from drivers.hwsim.driver import HwsimDriver
from ic import (
    SEC,
    Admission,
    Busy,
    CloneFlags,
    ConcurrencyError,
    DriverError,
    IEEE80211Com,
    IfaceCombination,
    IfaceLimit,
    IfType,
    NotSupported,
    OpMode,
    Policy,
    Scheduler,
    State,
)
from net80211.conformance import CellResult, Matrix, cli_main
from net80211.conformance.report import Report
from net80211.driver import ENTRY_POINT_GROUP, Driver, load_driver


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


# -- the zoo: third-party-style drivers, each with one mistake the matrix names ---

class NoAttachRadio(ExampleRadio):
    """ic_vap_create takes a hardware port and forgets vap.attach()."""

    def ic_vap_create(self, name: str, unit: int, opmode: OpMode, flags: CloneFlags,
                      bssid: bytes | None, macaddr: bytes | None) -> ExampleVap:
        index = None
        if opmode is not OpMode.MONITOR:
            free = [i for i, v in enumerate(self.hw_ports) if v is None]
            if not free:
                raise Busy(f"{self.name}: both hardware ports are in use")
            index = free[0]
        vap = self.vap_class(self, name, unit, opmode, flags, bssid)
        vap.hw_port = index
        if index is not None:
            self.hw_ports[index] = vap
        return vap  # the bug: no vap.attach(...)


class NoSuperVap(ExampleVap):
    """iv_newstate tells the hardware and returns 0, never calling super()."""

    __slots__ = ()

    def iv_newstate(self, nstate: State, arg: int) -> int:
        self.hw_transitions.append((self.state, nstate))
        return 0


class NoSuperRadio(ExampleRadio):
    vap_class = NoSuperVap


class OverPermissiveRadio(ExampleRadio):
    """Declares three hardware ports in its policy; the hardware has two."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.policy = Policy([IfaceCombination(
            limits=(IfaceLimit(3, [IfType.STATION]), IfaceLimit(1, [IfType.AP, IfType.ADHOC])),
            max_interfaces=3, num_different_channels=1)], name="too-generous")


class LeakyRadio(ExampleRadio):
    """Programs an AP's BSSID register when it creates the vap, and its
    ic_vap_delete forgets to clear it."""

    def ic_vap_create(self, name: str, unit: int, opmode: OpMode, flags: CloneFlags,
                      bssid: bytes | None, macaddr: bytes | None) -> ExampleVap:
        vap = super().ic_vap_create(name, unit, opmode, flags, bssid, macaddr)
        if opmode is OpMode.HOSTAP:
            self.port.add_bssid(vap.macaddr)
        return vap


class LeakyRadioWithoutDescribe(LeakyRadio):
    """The same leak, on a device whose describe() shows no hardware state."""

    def describe(self) -> dict[str, Any]:
        return {"name": self.name}


def _zoo(radio: type[ExampleRadio], *, capture: bool = True) -> type[ExampleDriver]:
    attrs: dict[str, Any] = {"name": f"example-{radio.__name__}", "radio_class": radio}
    if not capture:
        def no_capture(self: Driver, dest: Any) -> None:
            raise NotSupported(f"driver {self.name} has no medium-wide capture")
        attrs["capture"] = no_capture
    return type(f"Zoo{radio.__name__}", (ExampleDriver,), attrs)


def _cells(driver: type[Driver], profile: str = "default", k: int = 2, **kw: Any) -> dict[str, CellResult]:
    return {f"{r.mix}::{r.kind}": r for r in Matrix(driver, profile, max_vaps=k, **kw).run()}


def test_zoo_a_vap_not_attached_is_released_and_named() -> None:
    s = Scheduler()
    d = _zoo(NoAttachRadio)(s, radios=1)
    radio = d.devices[0]
    for _ in range(2):  # the second create fails the same way: no misleading EBUSY
        with pytest.raises(DriverError) as ei:
            radio.create_vap("wlan0", "sta")
        assert ei.value.errno == errno.EIO
        assert "NoAttachRadio.ic_vap_create returned wlan0 without attaching it" in str(ei.value)
        assert radio.hw_ports == [None, None] and radio.vaps == [] and "wlan0" not in radio.names
    d.close()
    cells = _cells(_zoo(NoAttachRadio), k=1, kinds=("verdict",))
    assert all(c.passed is False for c in cells.values())
    assert "ic_vap_create returned wlan0 without attaching it" in cells["sta::verdict"].reason


def test_zoo_an_iv_newstate_without_super_is_named(caplog: pytest.LogCaptureFixture) -> None:
    s = Scheduler()
    d = _zoo(NoSuperRadio)(s, radios=1)
    vap = d.devices[0].create_vap("wlan0", "hostap", ssid="x")
    with caplog.at_level(logging.WARNING, logger="net80211"):
        vap.up()
        s.run_for(SEC)
    assert vap.state == State.INIT and vap.stats.swallowed_transitions >= 1
    assert "NoSuperVap.iv_newstate returned 0 without calling super().iv_newstate()" in caplog.text
    d.close()
    cells = _cells(_zoo(NoSuperRadio), k=1, kinds=("lifecycle", "behaviour"))
    for key in ("hostap::lifecycle", "hostap::behaviour", "sta::behaviour"):
        assert cells[key].passed is False, key
        assert "NoSuperVap.iv_newstate returned 0 without calling super().iv_newstate()" in cells[key].reason


def test_zoo_a_policy_that_allows_more_than_the_hardware_fails_verdict_cells() -> None:
    cells = _cells(_zoo(OverPermissiveRadio), k=3, kinds=("verdict",))
    bad = cells["sta+sta+sta::verdict"]
    assert bad.passed is False
    assert "create wlan2 failed with" in bad.reason and "both hardware ports are in use" in bad.reason
    assert "instead of following the policy" in bad.reason
    assert cells["sta+sta::verdict"].passed is True


def test_zoo_a_leaked_bssid_register_fails_lifecycle_cells() -> None:
    cells = _cells(_zoo(LeakyRadio), k=1, kinds=("lifecycle",))
    hostap = cells["hostap::lifecycle"]
    assert hostap.passed is False
    assert "ex0: addrs is" in hostap.reason and "was [] when empty" in hostap.reason
    assert cells["monitor::lifecycle"].passed is True  # a monitor programs no BSSID


def test_zoo_without_describe_the_leak_is_not_covered_never_passed() -> None:
    cells = _cells(_zoo(LeakyRadioWithoutDescribe), k=1)
    hostap = cells["hostap::lifecycle"]
    assert hostap.passed is None and hostap.status == "not covered"
    assert "LeakyRadioWithoutDescribe.describe() of ex0 shows none of addrs, started, filter, beacons" \
        in hostap.reason
    # Every cell compares hardware state after a destroy: none may pass without it.
    assert not [key for key, c in cells.items() if c.passed is True]


def test_zoo_without_a_medium_capture_beacon_checks_are_not_covered() -> None:
    cells = _cells(_zoo(ExampleRadio, capture=False), k=1, kinds=("behaviour",))
    hostap = cells["hostap::behaviour"]
    assert hostap.passed is None
    assert ("beacons of wlan0 (hostap) on the medium: driver example-ExampleRadio has no medium-wide "
            "capture (Driver.capture)") in hostap.reason
    assert "checked: hostap" in hostap.reason
    assert cells["sta::behaviour"].passed is True  # nothing of a STA needs the medium's capture
    # The bundled example has the capture: the same cell passes.
    assert _cells(ExampleDriver, k=1, kinds=("behaviour",))["hostap::behaviour"].passed is True


class BadBaseAddressDriver(HwsimDriver):
    """ath-like radios whose permanent address has BSSID-index bits set."""

    name = "hwsim-bad-base"

    def add_device(self, name: str | None = None, **params: Any) -> IEEE80211Com:
        params.setdefault("perm_addr", bytes((0x0E, 0, 0, 0, len(self.devices), 0)))
        return super().add_device(name, **params)


def test_zoo_a_bad_base_address_is_refused_with_the_reason() -> None:
    cells = _cells(BadBaseAddressDriver, "ath", k=2, kinds=("verdict",))
    two = cells["hostap+hostap::verdict"]
    assert two.passed is True and two.expected == "refused"
    assert any("base address 0e:00:00:00:00:00 has bits 0x0c of its first byte set" in line
               for line in two.log), two.log
    # On a good base address the same mix runs (each AP with its own BSSID).
    assert _cells(HwsimDriver, "ath", k=2, kinds=("verdict",))["hostap+hostap::verdict"].expected == "allowed"


def test_zoo_a_driver_that_fails_to_load_is_named(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    broken = EntryPoint(name="broken", value="no_such_package_for_net80211:Driver", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(driver_module, "available_drivers", lambda: {"broken": broken})
    with pytest.raises(DriverError) as ei:
        load_driver("broken")
    text = str(ei.value)
    assert text.startswith("driver 'broken' failed to load: entry point broken = "
                           "no_such_package_for_net80211:Driver (net80211.drivers): ModuleNotFoundError")
    assert cli_main(["--driver", "broken"]) == errno.EIO  # the errno rule: the driver failed
    err = capsys.readouterr().err
    assert "wlanctl conformance: driver 'broken' failed to load" in err and "Traceback" not in err


def test_zoo_every_report_format_shows_the_cells_not_covered_with_their_reason() -> None:
    cells = Matrix(_zoo(LeakyRadioWithoutDescribe), max_vaps=1, kinds=("lifecycle",)).run()
    rep = Report("example-LeakyRadioWithoutDescribe", "default", cells, 1)
    why = "LeakyRadioWithoutDescribe.describe() of ex0 shows none of addrs, started, filter, beacons"
    assert rep.totals()["passed"] == 0 and rep.totals()["not_covered"] == len(cells) == 4
    table = rep.table()
    assert "0 passed, 0 failed, 4 not covered" in table
    assert sum(line.startswith("NOT COVERED ") and why in line for line in table.splitlines()) == 4
    data = json.loads(rep.to_json())
    assert {c["status"] for c in data["cells"]} == {"not covered"}
    assert all(why in c["reason"] for c in data["cells"])
    md = rep.markdown()
    assert md.count(f"lifecycle: not covered: not checked: hardware state as new after destroy: {why}") == 4
    page = rep.html()
    assert page.count('<td class="not-covered">') == 4 and page.count(html.escape(why)) == 4
    assert '<td class="pass"' not in page
