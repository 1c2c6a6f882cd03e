"""Random create/destroy/up/down/new_state sequences keep the framework's invariants."""

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from support.testdriver import TestCom

from ic import MS, IllegalTransition, StateQueueFull
from net80211 import OpMode, Scanner, ScanResult, Scheduler, State

NAMES = [f"wlan{i}" for i in range(5)]
MODES = [OpMode.STA, OpMode.HOSTAP, OpMode.IBSS, OpMode.MONITOR, OpMode.WDS, OpMode.P2P_DEVICE,
         OpMode.AHDEMO]


class VapMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.ic = TestCom(Scheduler(), channels=None)
        self.live = {}  # name -> vap
        self.dead = []

    @rule(name=st.sampled_from(NAMES), mode=st.sampled_from(MODES), chan=st.sampled_from([None, 1, 6]))
    def create(self, name, mode, chan):
        kw = {"bssid": "02:00:00:00:07:00"} if mode is OpMode.WDS else {}
        if name in self.live:
            try:
                self.ic.create_vap(name, mode, **kw)
            except OSError as e:
                assert e.errno == 17  # EEXIST
            else:
                raise AssertionError("duplicate name accepted")
            return
        self.live[name] = self.ic.create_vap(name, mode, channel=chan, ssid="s", **kw)

    @rule(name=st.sampled_from(NAMES))
    def destroy(self, name):
        vap = self.live.pop(name, None)
        if vap is not None:
            self.ic.destroy_vap(vap)
            self.dead.append(vap)

    @rule(name=st.sampled_from(NAMES), up=st.booleans())
    def updown(self, name, up):
        vap = self.live.get(name)
        if vap is not None:
            vap.up() if up else vap.down()

    @rule(name=st.sampled_from(NAMES), state=st.sampled_from(list(State)))
    def new_state(self, name, state):
        vap = self.live.get(name)
        if vap is None:
            return
        before = len(vap.nstates)
        try:
            vap.new_state(state)
        except (IllegalTransition, StateQueueFull):
            assert len(vap.nstates) == before

    @rule(chan=st.sampled_from([1, 6]))
    def beacon_heard(self, chan):
        Scanner.of(self.ic).add_result(
            ScanResult(b"\x02\x00\x00\x00\x09\x00", b"s", self.ic.find_channel(chan), -40))

    @rule(ms=st.integers(0, 400))
    def run(self, ms):
        self.ic.sched.run_for(ms * MS)
        assert len(self.ic.taskqueue) == 0

    @invariant()
    def device_consistent(self):
        ic = self.ic
        assert sorted(v.name for v in ic.vaps) == sorted(self.live)
        assert set(ic.vaps) == set(self.live.values())
        assert ic.nrunning == sum(v.running for v in ic.vaps)
        assert all(v.attached for v in ic.vaps)
        owner = Scanner.of(ic).owner
        assert owner is None or owner in ic.vaps

    @invariant()
    def detached_vaps_are_init(self):
        for v in self.dead:
            assert v.state == State.INIT and not v.attached and not v.nstates and not v.running

    @invariant()
    def driver_saw_legal_ordered_transitions(self):
        for v in list(self.live.values()) + self.dead:
            prev, last_seq = State.INIT, 0
            for o, n, seq in v.seen:
                assert o == prev, (v, v.seen)
                assert v.mode.legal(o, n), (v, o, n)
                assert seq is not None and seq >= last_seq
                prev, last_seq = n, seq
            assert prev == v.state


VapMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
test_vap_machine = VapMachine.TestCase
