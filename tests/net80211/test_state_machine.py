"""new_state's queue and the multi-vap scheduling rules (REFERENCE §1)."""

import errno

import pytest
from support.testdriver import ALL_MODES, TestCom

from ic import SEC, Caps, ComFlags
from net80211 import MS, NSTATE_QUEUE_MAX, OpMode, Scanner, ScanResult, Scheduler, State
from net80211.mode import _SharedMachine

S = State


@pytest.fixture
def ic():
    return TestCom(Scheduler())


def run(ic, ns=50 * MS):
    ic.sched.run_for(ns)


def seen(ic, name):
    """The (from, to) transitions the driver saw for one vap."""
    return [(o, n) for v, o, n, _ in ic.transitions if v == name]


def bring_sta_to_run(ic, sta, chan=6):
    """Let a scanning STA find a BSS and walk AUTH -> ASSOC -> RUN."""
    Scanner.of(ic).add_result(ScanResult(b"\x02ap\x00\x00\x01", sta.ssid, ic.find_channel(chan), -40))
    assert ic.sched.run_until(lambda: sta.state == S.AUTH, 5 * SEC)
    sta.new_state(S.ASSOC)
    sta.new_state(S.RUN)
    run(ic, MS)
    assert sta.state == S.RUN


def test_new_state_is_deferred_to_the_taskqueue(ic):
    vap = ic.create_vap("wlan0", "sta")
    vap.new_state(S.AUTH)
    assert vap.state == S.INIT and len(vap.nstates) == 1 and len(ic.taskqueue) == 1
    ic.taskqueue.drain()
    assert vap.state == S.AUTH and vap.nstates == []


def test_illegal_transition_refused_and_counted(ic):
    vap = ic.create_vap("wlan0", "monitor")
    with pytest.raises(OSError) as ei:
        vap.new_state(S.SCAN)
    assert ei.value.errno == errno.EINVAL and "monitor vap cannot go from INIT to SCAN" in ei.value.strerror
    sta = ic.create_vap("wlan1", "sta")
    with pytest.raises(OSError, match="INIT to RUN"):
        sta.new_state(S.RUN)
    assert vap.stats.illegal_transitions == 1 and sta.stats.illegal_transitions == 1
    assert vap.state == S.INIT and sta.nstates == []


def test_legality_follows_the_queue(ic):
    sta = ic.create_vap("wlan0", "sta")
    sta.new_state(S.AUTH)
    sta.new_state(S.ASSOC)  # legal after the queued AUTH
    sta.new_state(S.RUN)
    run(ic, MS)
    assert seen(ic, "wlan0") == [(S.INIT, S.AUTH), (S.AUTH, S.ASSOC), (S.ASSOC, S.RUN)]


def test_illegal_at_run_time_is_dropped_and_counted(ic):
    sta = ic.create_vap("wlan0", "sta")
    ic.fail_next["wlan0"] = S.AUTH  # the driver fails INIT -> AUTH
    sta.new_state(S.AUTH)
    sta.new_state(S.ASSOC)  # legal when asked, illegal from INIT when it runs
    run(ic, MS)
    assert sta.state == S.INIT
    assert sta.stats.failed_transitions == 1 and sta.stats.illegal_transitions == 1
    assert seen(ic, "wlan0") == [(S.INIT, S.AUTH)]


def test_queue_is_bounded_fifo(ic):
    sta = ic.create_vap("wlan0", "sta")
    for i in range(NSTATE_QUEUE_MAX):
        sta.new_state(S.AUTH if i % 2 == 0 else S.SCAN)
    with pytest.raises(OSError) as ei:
        sta.new_state(S.AUTH)
    assert ei.value.errno == errno.ENOBUFS and sta.stats.state_queue_overflows == 1
    ic.taskqueue.drain()
    assert [n for _, n in seen(ic, "wlan0")] == [S.AUTH, S.SCAN] * (NSTATE_QUEUE_MAX // 2)


def test_parent_up_down_counting(ic):
    a, b = ic.create_vap("wlan0", "hostap", channel=1), ic.create_vap("wlan1", "monitor")
    a.up()
    b.up()
    run(ic)
    assert [c for c in ic.calls if c[0] == "parent"] == [("parent", 2)]
    assert ic.nrunning == 2 and a.state == S.RUN and b.state == S.RUN
    a.down()
    run(ic)
    assert [c for c in ic.calls if c[0] == "parent"] == [("parent", 2)]
    b.down()
    b.down()  # already down: nothing
    run(ic)
    assert [c for c in ic.calls if c[0] == "parent"] == [("parent", 2), ("parent", 0)]
    assert ic.nrunning == 0 and a.state == b.state == S.INIT


def test_first_bring_up_per_mode(ic):
    sta = ic.create_vap("wlan0", "sta")
    mon = ic.create_vap("wlan1", "monitor")
    wds = ic.create_vap("wlan2", "wds", bssid="02:00:00:00:07:00")
    for v in (sta, mon, wds):
        v.up()
    run(ic)
    assert seen(ic, "wlan0") == [(S.INIT, S.SCAN)]
    assert seen(ic, "wlan1") == [(S.INIT, S.RUN)]
    assert seen(ic, "wlan2") == [(S.INIT, S.RUN)]
    assert ic.flags & ComFlags.SCAN and Scanner.of(ic).owner is sta


def test_one_scan_per_device_and_scanwait(ic):
    s1, s2 = ic.create_vap("wlan0", "sta", ssid="a"), ic.create_vap("wlan1", "sta", ssid="a")
    s1.up()
    run(ic)
    s2.up()
    run(ic)
    assert s1.state == S.SCAN and s2.state == S.INIT and s2.scanwait and s2.stats.scanwaits == 1
    bring_sta_to_run(ic, s1)
    run(ic, MS)
    # s1 reaching RUN wakes s2, which (a station) still scans.
    assert s2.state == S.SCAN and not s2.scanwait
    assert seen(ic, "wlan1") == [(S.INIT, S.SCAN)]


def test_waiters_resume_when_the_scanner_gives_up(ic):
    s1, s2 = ic.create_vap("wlan0", "sta"), ic.create_vap("wlan1", "sta")
    s1.up()
    run(ic)
    s2.up()
    run(ic)
    assert s2.scanwait
    s1.down()
    run(ic)
    assert s2.state == S.SCAN and Scanner.of(ic).owner is s2


def test_non_sta_joins_the_running_channel_without_scanning(ic):
    ap1 = ic.create_vap("wlan0", "hostap", channel=11)
    ap1.up()
    run(ic)
    ap2 = ic.create_vap("wlan1", "hostap")
    ap2.up()
    run(ic)
    assert seen(ic, "wlan1") == [(S.INIT, S.RUN)]
    assert ap2.channel == ap1.channel and ap2.channel.ieee == 11 and ap2.bssid == ap2.macaddr


def test_sta_scans_even_when_another_vap_runs(ic):
    ap = ic.create_vap("wlan0", "hostap", channel=6)
    ap.up()
    run(ic)
    sta = ic.create_vap("wlan1", "sta")
    sta.up()
    run(ic)
    assert sta.state == S.SCAN and ap.state == S.RUN


def test_hostap_without_channel_scans_then_picks_least_congested(ic):
    ic2 = TestCom(Scheduler(), channels=[c for c in ic.channels if c.ieee in (1, 6, 11)])
    sc = Scanner.of(ic2)
    ap = ic2.create_vap("wlan0", "hostap")
    ap.up()
    run(ic2, MS)
    assert ap.state == S.SCAN and ic2.flags & ComFlags.SCAN
    for i, ch in enumerate((1, 1, 11)):
        sc.add_result(ScanResult(bytes([2, 0, 0, 0, 0, i]), b"x", ic2.find_channel(ch), -50))
    assert ic2.sched.run_until(lambda: ap.state == S.RUN, SEC)
    assert ap.channel.ieee == 6 and not ic2.flags & ComFlags.SCAN
    assert ("scan_start",) in ic2.calls and ("scan_end",) in ic2.calls


def test_reinit_drives_init_first(ic):
    mon = ic.create_vap("wlan0", "monitor")
    mon.new_state(S.RUN)  # running state while the interface is down
    run(ic, MS)
    mon.up()
    run(ic, MS)
    assert seen(ic, "wlan0") == [(S.INIT, S.RUN), (S.RUN, S.INIT), (S.INIT, S.RUN)]


def test_forced_scan_moves_others_to_init_first_and_wakes_them(ic):
    sta = ic.create_vap("wlan0", "sta", ssid="up")
    sta.up()
    run(ic)
    bring_sta_to_run(ic, sta, chan=6)
    ap = ic.create_vap("wlan1", "hostap")
    ap.up()
    run(ic)
    assert ap.state == S.RUN and ap.channel.ieee == 6
    ic.transitions.clear()
    sta.new_state(S.SCAN)  # beacon miss
    run(ic, MS)
    assert [(v, o, n) for v, o, n, _ in ic.transitions] == [
        ("wlan1", S.RUN, S.INIT), ("wlan0", S.RUN, S.SCAN)]
    assert ap.scanwait and ap.state == S.INIT
    bring_sta_to_run(ic, sta, chan=6)
    run(ic, MS)
    assert ap.state == S.RUN and not ap.scanwait


def test_legacy_wds_waits_for_a_scanning_vap(ic):
    sta = ic.create_vap("wlan0", "sta", ssid="x")
    sta.up()
    run(ic)
    wds = ic.create_vap("wlan1", "wds", bssid="02:00:00:00:07:00", flags=0x4)
    wds.up()
    run(ic)
    assert wds.state == S.INIT and wds.scanwait
    bring_sta_to_run(ic, sta, chan=3)
    run(ic, MS)
    assert wds.state == S.RUN and wds.channel.ieee == 3 and wds.bssid == wds.des_bssid


@pytest.mark.parametrize("dfs_cap,expect_cac", [(True, True), (False, False)])
def test_dfs_channel_needs_cac(dfs_cap, expect_cac):
    caps = ALL_MODES | (Caps.DFS if dfs_cap else 0)
    ic = TestCom(Scheduler(), caps=caps)
    ap = ic.create_vap("wlan0", "hostap", channel=52)
    ap.up()
    run(ic)
    if not expect_cac:
        assert ap.state == S.RUN
        return
    assert ap.state == S.CAC and seen(ic, "wlan0") == [(S.INIT, S.SCAN), (S.SCAN, S.CAC)]
    ic.sched.run_for(59 * SEC)
    assert ap.state == S.CAC
    ic.sched.run_for(2 * SEC)
    assert ap.state == S.RUN and ap.channel in ic.cac_done
    ap.down()
    ap.up()
    run(ic)
    assert ap.state == S.RUN  # CAC already done for this channel


def test_ibss_creates_or_joins(ic):
    a = ic.create_vap("wlan0", "ibss", ssid="mesh", channel=1)
    a.up()
    assert ic.sched.run_until(lambda: a.state == S.RUN, SEC)
    assert a.bssid[0] & 0x02 and not a.bssid[0] & 0x01
    other = TestCom(Scheduler(), "test1", macaddr="02:00:00:00:01:00")
    b = other.create_vap("wlan0", "adhoc", ssid="mesh")
    b.up()
    run(other, MS)
    Scanner.of(other).add_result(ScanResult(a.bssid, b"mesh", a.channel, -60, ibss=True))
    assert other.sched.run_until(lambda: b.state == S.RUN, 5 * SEC)
    assert b.bssid == a.bssid and b.channel == a.channel


def test_p2p_device_and_modes(ic):
    dev = ic.create_vap("p2p-dev-0", OpMode.P2P_DEVICE)
    go = ic.create_vap("p2p0", "p2p-go", channel=6)
    assert not dev.has_netdev and go.has_netdev
    dev.up()
    go.up()
    run(ic)
    assert dev.state == S.RUN and go.state == S.RUN and go.bssid == go.macaddr


def test_set_channel_restarts_a_running_vap(ic):
    ap = ic.create_vap("wlan0", "hostap", channel=1)
    ap.up()
    run(ic)
    ap.set_channel(11)
    run(ic)
    assert ap.state == S.RUN and ap.channel.ieee == 11
    assert seen(ic, "wlan0") == [(S.INIT, S.SCAN), (S.SCAN, S.RUN),
                                 (S.RUN, S.INIT), (S.INIT, S.SCAN), (S.SCAN, S.RUN)]


def test_a_modes_machine_holds_its_vaps_by_identity():
    """The Machine shared by a mode's vaps answers membership from a set kept
    beside its model list (adding a vap must not scan every other one)."""
    a, b = TestCom(Scheduler()), TestCom(Scheduler())
    va, vb = a.create_vap("wlan0", "sta"), b.create_vap("wlan0", "sta")
    models = va.mode.machine.models
    assert vb.mode.machine.models is models
    assert va in models and vb in models
    n = len(models)
    va.mode.machine.add_model(va)  # already there: nothing added
    assert len(models) == n
    a.destroy_vap(va)
    assert va not in models and vb in models and len(models) == n - 1
    assert models.count(vb) == 1


def test_adding_a_model_compares_it_with_no_other():
    """transitions' add_model asks `model in machine.models` each time: as a
    list scan that is N^2 over a world's vaps; the shared Machine's set answers
    without comparing (a model's __eq__ is never called)."""
    class Probe:
        compared = 0

        def __eq__(self, other: object) -> bool:
            Probe.compared += 1
            return self is other

        __hash__ = object.__hash__

    m = _SharedMachine(model=[], states=["a"], initial="a", auto_transitions=False)
    probes = [Probe() for _ in range(20)]
    for p in probes:
        m.add_model(p)
    m.add_model(probes[7])
    assert Probe.compared == 0 and m.models == probes
    m.remove_model(probes[7])
    assert probes[7] not in m.models and probes[8] in m.models and len(m.models) == 19
