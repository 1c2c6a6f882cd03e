"""The generic clone path: errors with their errnos, nothing left behind."""

import errno

import pytest
from support.testdriver import ALL_MODES, TestCom

from ic import Caps, Policy
from net80211 import CloneFlags, IEEE80211Com, OpMode, Scheduler, State


@pytest.fixture
def ic():
    return TestCom(Scheduler())


def assert_nothing_left(ic, name):
    assert name not in ic.names
    assert all(v.name != name for v in ic.vaps)


def test_create_sets_up_and_attaches(ic):
    vap = ic.create_vap("wlan3", "hostap", ssid="lab", channel=11, bintval=200)
    assert vap in ic.vaps and vap.ic is ic and vap.attached
    assert vap.opmode is OpMode.HOSTAP and vap.state is State.INIT and vap.unit == 3
    assert vap.ssid == b"lab" and vap.des_chan.ieee == 11 and vap.bintval == 200
    assert vap.caps == (Caps.HOSTAP)
    assert ic.calls[0] == ("vap_create", "wlan3", 3, OpMode.HOSTAP, CloneFlags(0))
    assert ic.names.get("wlan3") is vap


def test_macaddr_and_bssid(ic):
    vap = ic.create_vap("wlan0", "sta", macaddr="02:11:22:33:44:55")
    assert vap.macaddr == bytes.fromhex("021122334455")
    assert vap.flags & CloneFlags.MACADDR
    wds = ic.create_vap("wlan1", "wds", bssid="02:aa:bb:cc:dd:ee")
    assert wds.des_bssid == bytes.fromhex("02aabbccddee")


@pytest.mark.parametrize("kwargs,code,text", [
    (dict(name="wlan0", opmode=42), errno.EINVAL, "unknown operating mode"),
    (dict(name="wlan0", opmode="bogus"), errno.EINVAL, "wlanmode"),
    (dict(name="wlan0", opmode="wds"), errno.EINVAL, "wlanbssid"),
    (dict(name="wlan0", opmode="sta", macaddr="zz"), errno.EINVAL, "not a MAC address"),
    (dict(name="wlan0", opmode="sta", flags=CloneFlags.MACADDR), errno.EINVAL, "wlanaddr"),
    (dict(name="wlan0", opmode="sta", ssid="x" * 33), errno.EINVAL, "ssid"),
    (dict(name="wlan0", opmode="sta", channel=200), errno.EINVAL, "channel 200"),
    (dict(name="wlan0", opmode="sta", bintval=5), errno.EINVAL, "bintval"),
    (dict(name="wlan0", opmode="sta", colour="red"), errno.EINVAL, "unknown vap parameter 'colour'"),
    (dict(name="", opmode="sta"), errno.EINVAL, "interface name"),
    (dict(name="a" * 16, opmode="sta"), errno.EINVAL, "longer than 15"),
    (dict(name="wl an", opmode="sta"), errno.EINVAL, "only letters"),
    (dict(name="wlan0", opmode="tdma"), errno.EOPNOTSUPP, "TDMA"),
])
def test_create_errors(ic, kwargs, code, text):
    name = kwargs.pop("name")
    opmode = kwargs.pop("opmode")
    with pytest.raises(OSError) as ei:
        ic.create_vap(name, opmode, **kwargs)
    assert ei.value.errno == code and text in ei.value.strerror
    assert ic.vaps == [] and ic.calls == []
    if name:
        assert_nothing_left(ic, name)


def test_missing_capability_is_eopnotsupp():
    ic = TestCom(Scheduler(), caps=Caps.STA)
    with pytest.raises(OSError) as ei:
        ic.create_vap("wlan0", OpMode.HOSTAP)
    assert ei.value.errno == errno.EOPNOTSUPP and "hostap" in ei.value.strerror
    assert_nothing_left(ic, "wlan0")


def test_name_in_use_is_eexist_across_devices():
    s = Scheduler()
    a, b = TestCom(s, "test0"), TestCom(s, "test1", macaddr="02:00:00:00:01:00")
    a.create_vap("wlan0", "sta")
    for dev, name in ((b, "wlan0"), (a, "test1")):
        with pytest.raises(OSError) as ei:
            dev.create_vap(name, "sta")
        assert ei.value.errno == errno.EEXIST
    assert len(a.vaps) == 1 and b.vaps == []


def test_separate_worlds_have_separate_names():
    TestCom(Scheduler()).create_vap("wlan0", "sta")
    TestCom(Scheduler()).create_vap("wlan0", "sta")


def test_driver_returning_nothing_is_eio():
    ic = TestCom(Scheduler(), refuse=True)
    with pytest.raises(OSError) as ei:
        ic.create_vap("wlan0", "sta")
    assert ei.value.errno == errno.EIO and "refused" in ei.value.strerror
    assert_nothing_left(ic, "wlan0")


class _AttachThenFail(TestCom):
    def ic_vap_create(self, *args):
        super().ic_vap_create(*args)
        raise RuntimeError("firmware crashed")


def test_driver_failing_after_attach_leaves_nothing():
    ic = _AttachThenFail(Scheduler())
    with pytest.raises(RuntimeError):
        ic.create_vap("wlan0", "hostap")
    assert_nothing_left(ic, "wlan0")
    assert ic.vaps == []


class _Reserving(Policy):
    def __init__(self):
        self.reserved, self.released = [], []

    def admit(self, ic, request):
        policy = self
        from ic import Admission

        class A(Admission):
            def abort(self):
                policy.released.append(request.name)

            def commit(self, vap):
                policy.reserved.append(vap.name)
        return A(request)


def test_policy_reservation_given_back_when_driver_refuses():
    pol = _Reserving()
    ic = TestCom(Scheduler(), refuse=True, policy=pol)
    with pytest.raises(OSError):
        ic.create_vap("wlan0", "sta")
    assert pol.released == ["wlan0"] and pol.reserved == []


def test_destroy_goes_through_driver_and_frees_name(ic):
    vap = ic.create_vap("wlan0", "sta")
    vap.up()
    ic.sched.run_for(1_000_000)
    ic.destroy_vap(vap)
    assert ("vap_delete", "wlan0", State.SCAN) in ic.calls
    assert vap.state is State.INIT and not vap.attached and vap.nstates == []
    assert [(o, n) for _, o, n, _ in ic.transitions] == [(State.INIT, State.SCAN), (State.SCAN, State.INIT)]
    assert_nothing_left(ic, "wlan0")
    ic.create_vap("wlan0", "hostap")  # the name is free again


def test_destroy_foreign_vap_is_enxio(ic):
    other = TestCom(ic.sched, "test9", macaddr="02:00:00:00:09:00")
    vap = other.create_vap("wlan0", "sta")
    with pytest.raises(OSError) as ei:
        ic.destroy_vap(vap)
    assert ei.value.errno == errno.ENXIO and vap.attached


def test_device_detach_destroys_every_vap_through_driver(ic):
    names = ["wlan0", "wlan1", "wlan2"]
    for n, m in zip(names, ["hostap", "sta", "monitor"], strict=True):
        ic.create_vap(n, m).up()
    ic.sched.run_for(100_000_000)
    ic.detach()
    deleted = [c[1] for c in ic.calls if c[0] == "vap_delete"]
    assert sorted(deleted) == names
    assert ic.vaps == [] and ic.nrunning == 0 and "test0" not in ic.names
    assert ic.calls[-1] == ("parent", 0)
    with pytest.raises(OSError) as ei:
        ic.create_vap("wlan0", "sta")
    assert ei.value.errno == errno.ENXIO


def test_abstract_driver_hook_names_the_class():
    class Lazy(IEEE80211Com):
        pass
    ic = Lazy(Scheduler(), "lazy0", macaddr="02:00:00:00:00:01", caps=ALL_MODES)
    with pytest.raises(NotImplementedError, match="Lazy must implement ic_vap_create"):
        ic.create_vap("wlan0", "sta")
    assert "wlan0" not in ic.names


def test_destroy_with_a_pending_scan_that_would_create_a_bss(ic):
    # Found by the stateful test: SCAN queued on a down AP with a fixed
    # channel creates its BSS (queues RUN) while detach drains.
    vap = ic.create_vap("wlan0", "hostap", channel=1)
    vap.new_state(State.SCAN)
    ic.destroy_vap(vap)
    assert vap.state is State.INIT and not vap.attached and vap.nstates == []
