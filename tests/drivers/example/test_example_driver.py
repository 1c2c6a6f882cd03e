"""The example third-party driver: registry, policy, hardware ports, frames on the medium."""

from __future__ import annotations

import ast
import errno
from pathlib import Path

import pytest
from support.taps import tap_method

from drivers.example import ExampleDriver, ExampleRadio, ExampleVap
from ic import MS, SEC, CloneFlags, ConcurrencyError, InvalidArgument, NotSupported, Scheduler, State
from net80211.driver import load_driver, open_driver
from net80211.wire.frame import FrameError
from net80211.wire.mgmt import Beacon, MgmtFrame

EXAMPLE_DIR = Path(__file__).resolve().parents[3] / "drivers" / "example"


@pytest.fixture
def world():
    s = Scheduler()
    d = open_driver("example", s, radios=3)
    yield s, d
    d.close()


def test_registered_through_the_entry_point():
    assert load_driver("example") is ExampleDriver
    s = Scheduler()
    d = open_driver("example", s, radios=2)
    assert [r.name for r in d.devices] == ["ex0", "ex1"]
    assert all(isinstance(r, ExampleRadio) for r in d.devices)
    assert d.describe() == {"driver": "example", "profile": "default", "devices": ["ex0", "ex1"],
                            "medium": "perfect"}


@pytest.mark.parametrize("spec, params", [
    ("example:ath", {}), ("example", {"radios": -1}), ("example", {"model": "no-such-model"}),
    ("example", {"model": 3}),
])
def test_bad_driver_parameters_are_einval(spec, params):
    with pytest.raises(InvalidArgument) as e:
        open_driver(spec, Scheduler(), **params)
    assert e.value.errno == errno.EINVAL


def test_unknown_device_parameter_is_einval(world):
    _, d = world
    with pytest.raises(InvalidArgument, match="colour"):
        d.add_device(colour="red")
    assert len(d.devices) == 3


def test_only_public_api_is_imported():
    allowed = {"ic", "ic.policy", "ic.rules", "net80211", "net80211.beacon", "net80211.input",
               "net80211.driver", "drivers.hwsim"}
    ours = ("ic", "net80211", "drivers")
    seen = set()
    for path in EXAMPLE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] in ours:
                seen.add(node.module)
                assert node.module in allowed, (path.name, node.module)
                assert not any(a.name.startswith("_") for a in node.names), (path.name, node.module)
            elif isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] in ours for a in node.names), (path.name, node.names)
    assert {"ic", "net80211", "drivers.hwsim"} <= seen


def test_only_the_driver_module_ic_and_the_public_api_are_imported():
    """The driver contract is one module (`net80211.driver`); besides it the
    example uses `ic`, `net80211`'s public API and its hardware, the medium."""
    allowed = {"ic", "net80211", "net80211.driver", "drivers.hwsim"}
    seen = set()
    for path in EXAMPLE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                seen.add(node.module)
            elif isinstance(node, ast.Import):
                seen |= {a.name for a in node.names}
    ours = {m for m in seen if m.split(".")[0] in ("ic", "net80211", "drivers")}
    assert ours <= allowed, ours - allowed
    assert "net80211.driver" in ours


# -- the policy: two hardware ports, one beaconing vap, monitors unlimited -----------

def test_two_ports_and_unlimited_monitors(world):
    _, d = world
    radio = d.devices[0]
    ap = radio.create_vap("wlan0", "hostap", ssid="x", channel=6)
    sta = radio.create_vap("wlan1", "sta")
    mons = [radio.create_vap(f"mon{i}", "monitor") for i in range(5)]
    assert (ap.hw_port, sta.hw_port) == (0, 1)
    assert all(m.hw_port is None for m in mons)
    assert radio.hw_ports == [ap, sta]
    # the StaNoBeacons rule: the station beside the AP gets software beacon miss
    assert sta.flags & CloneFlags.NOBEACONS
    assert ap.macaddr == radio.macaddr and sta.macaddr != ap.macaddr
    with pytest.raises(ConcurrencyError, match="3 interfaces exceed total ≤ 2") as e:
        radio.create_vap("wlan2", "sta")
    assert e.value.errno == errno.EBUSY
    assert "wlan2" not in [v.name for v in radio.vaps] and radio.hw_ports == [ap, sta]


def test_one_beaconing_vap(world):
    _, d = world
    radio = d.devices[0]
    radio.create_vap("wlan0", "hostap", ssid="x")
    for mode in ("hostap", "ibss"):
        with pytest.raises(ConcurrencyError, match=r"limit #2 \{ADHOC, AP\} ≤ 1"):
            radio.create_vap("wlan1", mode)
    # a refused create leaves nothing: the name and the second port are free
    sta = radio.create_vap("wlan1", "sta")
    assert sta.hw_port == 1


def test_unsupported_modes_are_eopnotsupp(world):
    _, d = world
    for mode, bssid in (("wds", "02:00:00:00:00:09"), ("mesh", None), ("p2p-device", None), ("tdma", None)):
        with pytest.raises(NotSupported) as e:
            d.devices[0].create_vap("wlan0", mode, bssid=bssid)
        assert e.value.errno == errno.EOPNOTSUPP
    assert d.devices[0].vaps == []


def test_check_mix_agrees_with_create(world):
    _, d = world
    radio = d.devices[0]
    assert radio.check_mix(["hostap", "sta", "monitor", "monitor"]).allowed
    with pytest.raises(ConcurrencyError):
        radio.check_mix(["hostap", "ibss"])
    with pytest.raises(ConcurrencyError):
        radio.check_mix(["sta", "sta"], [1, 6])  # one channel only


def test_destroy_gives_the_port_back(world):
    _, d = world
    radio = d.devices[0]
    a = radio.create_vap("wlan0", "sta")
    b = radio.create_vap("wlan1", "sta")
    radio.destroy_vap(a)
    assert radio.hw_ports == [None, b] and a.hw_port is None
    c = radio.create_vap("wlan2", "hostap", ssid="x")
    assert c.hw_port == 0 and c.macaddr == radio.macaddr


# -- the driver hooks and the medium ----------------------------------------------

def _beacons(frames):
    out = []
    for f in frames:
        try:
            m = MgmtFrame.parse(f)
        except FrameError:
            continue
        if isinstance(m.body, Beacon):
            out.append(m)
    return out


def test_ap_beacons_reach_a_monitor_on_another_radio(world, monkeypatch):
    s, d = world
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid="exnet", channel=6)
    mon = d.devices[1].create_vap("mon0", "monitor", channel=6)
    deaf = d.devices[2].create_vap("mon1", "monitor", channel=1)
    heard: list[bytes] = []
    tap_method(monkeypatch, mon, "input", lambda frame, rx: heard.append(frame))
    for v in (ap, mon, deaf):
        v.up()
    s.run_for(1 * SEC)
    assert ap.state == mon.state == State.RUN
    beacons = _beacons(heard)
    # one beacon per 102.4 ms TBTT after the AP reached RUN
    assert 8 <= len(beacons) <= 10
    assert all(b.addr3 == ap.macaddr for b in beacons)
    assert d.devices[0].stats["beacons"] == len(beacons)
    assert deaf.stats.rx_packets == 0  # channel 1 hears nothing of channel 6


def test_driver_sees_every_transition_once_in_order(world):
    s, d = world
    radio = d.devices[0]
    ap = radio.create_vap("wlan0", "hostap", ssid="x", channel=11)
    mon = radio.create_vap("mon0", "monitor")
    ap.up()
    mon.up()
    s.run_for(200 * MS)
    ap.down()
    mon.down()
    s.run_for(10 * MS)
    assert ap.hw_transitions == [(State.INIT, State.SCAN), (State.SCAN, State.RUN), (State.RUN, State.INIT)]
    assert mon.hw_transitions == [(State.INIT, State.RUN), (State.RUN, State.INIT)]
    assert mon.channel is None and ap.stats.transitions == 3
    assert not radio.port.started  # ic_parent took the hardware down with the last vap


def test_nobeacons_vap_sends_no_beacons(world):
    s, d = world
    radio = d.devices[0]
    ap = radio.create_vap("wlan0", "hostap", ssid="x", channel=6, flags=CloneFlags.NOBEACONS)
    ap.up()
    s.run_for(1 * SEC)
    assert ap.state == State.RUN and radio.stats["beacons"] == 0


def test_close_detaches_everything():
    s = Scheduler()
    d = open_driver("example", s, radios=2)
    d.devices[0].create_vap("wlan0", "hostap", ssid="x").up()
    s.run_for(100 * MS)
    medium = d.medium
    d.close()
    assert d.devices == [] and not any(p.attached for p in medium.ports)
    d2 = ExampleDriver(s, radios=1)  # the names came back
    assert d2.devices[0].create_vap("wlan0", "sta").name == "wlan0"


def test_same_seed_same_run():
    def run(seed):
        s = Scheduler()
        d = open_driver("example", s, radios=2, model="log_distance", seed=seed)
        d.devices[0].create_vap("wlan0", "hostap", ssid="x", channel=1).up()
        d.devices[1].create_vap("mon0", "monitor", channel=1).up()
        s.run_for(2 * SEC)
        return dict(d.medium.counters), d.devices[1].vaps[0].stats.rx_packets
    assert run(3) == run(3)


def test_vap_class_is_the_drivers(world):
    _, d = world
    assert isinstance(d.devices[0].create_vap("wlan0", "sta"), ExampleVap)
