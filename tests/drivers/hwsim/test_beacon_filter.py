"""The radios' beacon filter (the offload Linux calls IEEE80211_VIF_BEACON_FILTER):
a station's radio keeps back the beacons of its AP that say nothing new."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.hwsim.kernel import CKernel
from drivers.hwsim.kernel.medtypes import FT_BEACON, MODELED, PERFECT, beacon_tag
from drivers.hwsim.kernel.reference import RefKernel
from ic import MS, SEC
from net80211 import State
from net80211.modes.roam import configure_roaming, roam_summary

from .test_bss import bss, world
from .test_reference import drive

RUN = State.RUN
AP = b"\x02\x00\x00\x00\x01\x00"


def _beacon(ts: int, ssid: bytes = b"net0", tim: bytes = b"\x00\x01\x00\x00",
            tail: bytes = b"\x30\x02ab") -> bytes:
    hdr = b"\x80\x00\x00\x00" + b"\xff" * 6 + AP + AP + b"\x10\x00"
    fixed = ts.to_bytes(8, "little") + (100).to_bytes(2, "little") + b"\x01\x04"
    return hdr + fixed + bytes([0, len(ssid)]) + ssid + b"\x01\x01\x8c" + bytes([5, len(tim)]) + tim + tail


def test_beacon_tag_leaves_out_the_timestamp_and_the_tim():
    a = beacon_tag(_beacon(1))
    assert a != 0
    assert beacon_tag(_beacon(2**40)) == a  # the timestamp
    assert beacon_tag(_beacon(7, tim=b"\x01\x03\x00\x02\x04")) == a  # DTIM count, dozing stations
    assert beacon_tag(_beacon(1, ssid=b"")) != a  # a hidden SSID is news
    assert beacon_tag(_beacon(1, tail=b"\x30\x02ac")) != a  # and so is an element after the TIM
    no_tim = _beacon(1).replace(b"\x05\x04\x00\x01\x00\x00", b"")
    assert beacon_tag(no_tim) == a  # without a TIM: the same elements


@given(st.binary(max_size=200))
def test_beacon_tag_takes_any_bytes(frame):
    tag = beacon_tag(frame)
    assert 0 < tag < 1 << 32


def _stream(tags, fading=0.0, bf="on", ops=None):
    """Beacons of radio 0 (addr3: the reference worlds' BSS) heard by radio 1,
    whose filter is `bf`; ops[k] changes radio 1's filter just before beacon k
    (drive() applies a frame's op to the radio after its sender)."""
    radios = [dict(freq=2412, tmp=0, group=1, filter=0, txpower=20, bss=False, bf=None),
              dict(freq=2412, tmp=0, group=1, filter=0, txpower=20, bss=True, bf=bf)]
    snr = np.array([[0.0, 30.0], [30.0, 0.0]])
    params = dict(fading=fading, cca=-82.0, interference=True)
    frames = [dict(t=k * 10_000_000, src=0, dst=-1, kind=FT_BEACON, len=100, ack=False, ac=0, rates=[(0, 1)],
                   rflags=[0] * 4, mcs=None, protect=0, stop=5, tag=tag, bfop=(ops or {}).get(k))
              for k, tag in enumerate(tags)]
    return 2, radios, snr, np.zeros((2, 2)), params, frames


def test_the_filter_keeps_back_what_repeats_and_lets_news_through():
    for kernel in (CKernel, RefKernel):
        for mode in (MODELED, PERFECT):
            _, events, counters, bf = drive(kernel(mode, 1), _stream([1, 1, 1, 2, 2, 0, 0, 1]))
            got = [e.time_ns // 10_000_000 for e in events if e.kind == 1 and e.radio == 1]
            # the first; the tag 2 one; both tag 0 ones (unknown: never kept back); the return to 1
            assert [k for k in range(8) if any(t == k for t in got)] == [0, 3, 5, 6, 7], (kernel, mode)
            assert counters["bcn_filtered"] == 3 and bf[1][0] == 3 and bf[0] == (0, 0)
            assert bf[1][1] > 0  # the time of the last one kept back


def test_turning_the_filter_on_forgets_the_last_beacon():
    # on (pass all) at 0: all pass, remembering; news only from 2; off at 4; on again at 6
    _, events, counters, _ = drive(CKernel(MODELED, 1), _stream([1] * 9, bf=None,
                                                               ops={0: "pass", 2: "on", 4: "off", 6: "on"}))
    got = sorted({e.time_ns // 10_000_000 for e in events if e.kind == 1 and e.radio == 1})
    assert got == [0, 1, 4, 5, 6]
    assert counters["bcn_filtered"] == 4  # 2, 3 (as 1 was) and 7, 8 (as 6 was)


def test_pass_all_and_other_bsses_and_fading_let_every_beacon_through():
    for bf in ("pass", "other", None):
        _, events, counters, _ = drive(CKernel(MODELED, 1), _stream([1] * 6, bf=bf))
        assert counters["bcn_filtered"] == 0 and sum(e.kind == 1 for e in events) == 6
    # fading: each beacon at another signal, so each one is news
    _, events, counters, _ = drive(CKernel(MODELED, 1), _stream([1] * 6, fading=4.0))
    assert counters["bcn_filtered"] <= 1 and sum(e.kind == 1 for e in events) >= 5


beacon_worlds = st.fixed_dictionaries({
    "n": st.integers(2, 4),
    "fading": st.sampled_from([0.0, 0.0, 1.5]),
    "bf": st.lists(st.sampled_from([None, "on", "on", "pass", "other"]), min_size=4, max_size=4),
    "bss": st.lists(st.sampled_from([True, True, False]), min_size=4, max_size=4),
    "snr": st.lists(st.sampled_from([8.0, 20.0, 35.0, 35.0]), min_size=16, max_size=16),
    "frames": st.lists(st.fixed_dictionaries({
        "t": st.integers(0, 30_000_000), "src": st.integers(0, 3), "tag": st.sampled_from([0, 1, 1, 1, 2]),
        "bfop": st.sampled_from([None] * 5 + ["off", "on", "pass"]),
        "kind": st.sampled_from([FT_BEACON] * 5 + [0]),
        "len": st.integers(30, 400)}), min_size=1, max_size=30),
})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(beacon_worlds, st.integers(0, 2**64 - 1), st.sampled_from([MODELED, PERFECT]))
def test_kernel_and_reference_filter_alike(w, seed, mode):
    n = w["n"]
    radios = [dict(freq=2412, tmp=0, group=1, filter=0, txpower=20, bss=w["bss"][i], bf=w["bf"][i])
              for i in range(n)]
    snr = np.array(w["snr"][:n * n]).reshape(n, n)
    frames = sorted(({**f, "src": f["src"] % n, "dst": -1, "ack": False, "ac": 0, "rates": [(4, 1)],
                      "rflags": [0] * 4, "mcs": None, "protect": 0, "stop": 5} for f in w["frames"]),
                    key=lambda f: f["t"])
    params = dict(fading=w["fading"], cca=-82.0, interference=True)
    world_ = (n, radios, snr, np.zeros((n, n)), params, frames)
    c = drive(CKernel(mode, seed), world_)
    assert drive(RefKernel(mode, seed), world_) == c
    assert drive(CKernel(mode, seed), world_, ahead=True) == c


# -- a station and its AP on the hwsim medium ----------------------------------------------
def _associated(model=None, filter_=True, **kw):
    s, d = world(2, model=model, spacing=5.0)
    d.devices[1].beacon_filter = filter_
    ap, (sta,) = bss(s, d, 1, **kw)
    assert s.run_until(lambda: sta.state == RUN, 3 * SEC)
    s.run_for(300 * MS)
    sta.describe()
    return s, d, ap, sta


def test_a_station_in_a_still_world_sees_only_the_beacons_that_change():
    s, d, ap, sta = _associated(model="log_distance")
    seen, kept = sta.stats.rx_beacons, sta.stats.rx_beacons_filtered
    s.run_for(10 * SEC)
    assert sta.state == RUN and sta.stats.beacon_misses == 0
    assert sta.stats.rx_beacons == seen  # nothing new to see
    sta.describe()
    assert 95 <= sta.stats.rx_beacons_filtered - kept <= 99  # but every one counted
    assert d.medium.counters["bcn_filtered"] >= 95
    # the AP hides its SSID: the next beacon is news, the ones after it are not
    ap.configure(hidessid=True)
    s.run_for(1 * SEC)
    assert sta.stats.rx_beacons == seen + 1
    # the station moves: the first beacon at the new signal is news
    d.devices[1].ic_set_position(40.0, 0.0, 0.0)
    s.run_for(3 * SEC)
    assert sta.stats.rx_beacons == seen + 2 and sta.state == RUN


def test_what_the_filter_keeps_back_still_moves_the_roaming_average():
    """The same world with and without the filter: the same average, to the
    last bit, and the same roaming."""
    out = []
    for on in (True, False):
        s, d, ap, sta = _associated(model="log_distance", filter_=on)
        d.devices[1].ic_set_position(40.0, 0.0, 0.0)
        trace = []
        for _ in range(30):
            s.run_for(250 * MS)
            trace.append(roam_summary(sta)["avg_rssi"])  # a report brings the books up to date itself
            sta.describe()
            trace.append((sta.sta.roam.avg_rssi, sta.stats.rx_beacons + sta.stats.rx_beacons_filtered,
                          sta.sta.roam.scans, sta.state))
        out.append((trace, sta.stats.rx_beacons))
    (with_bf, host_bf), (without, host) = out
    assert with_bf == without
    assert host_bf <= 3 < 70 <= host  # and the host saw a handful instead of every one


def test_the_ap_gone_is_still_a_beacon_miss():
    s, d, ap, sta = _associated()
    d.devices[0].port.stop()
    t0 = s.now_ns
    assert s.run_until(lambda: sta.state != RUN, 3 * SEC)
    assert 700 * MS <= s.now_ns - t0 <= 1500 * MS and sta.stats.beacon_misses == 1


def test_a_monitor_vap_on_the_radio_sees_every_beacon():
    s, d, ap, sta = _associated()
    mon = d.devices[1].create_vap("mon0", "monitor")
    mon.up()
    seen = sta.stats.rx_beacons
    s.run_for(2 * SEC)
    assert sta.stats.rx_beacons - seen >= 18  # the filter is off while the radio hears everything
    mon.down()
    s.run_for(200 * MS)
    seen = sta.stats.rx_beacons
    s.run_for(2 * SEC)
    assert sta.stats.rx_beacons == seen  # and back on


def test_a_weak_ap_makes_every_beacon_count_for_roaming():
    s, d, ap, sta = _associated(model="log_distance")
    seen = sta.stats.rx_beacons
    configure_roaming(sta, mode="auto", rssi_dbm=-5.0)  # everything is weak now
    s.run_for(1 * SEC)
    assert sta.stats.rx_beacons - seen >= 8
    assert sta.sta.roam.scans >= 1  # and the weak AP started a background scan


def test_a_scenario_radio_can_pass_every_beacon_up():
    from net80211.scenario import ScenarioError, ScenarioRun, scenario_from_dict

    def run(**radio):
        sc = scenario_from_dict({
            "scenario": {"name": "bf", "seconds": 3, "seed": 1},
            "radios": [{"name": "ap"}, {"name": "sta", **radio}],
            "vaps": [{"name": "wap", "radio": "ap", "mode": "hostap", "ssid": "n", "channel": 1},
                     {"name": "wsta", "radio": "sta", "mode": "sta", "ssid": "n"}]})
        out = ScenarioRun(sc).run()
        (sta,) = [v for v in out["vaps"] if v["name"] == "wsta"]
        return sta["state"], sta["stats"]["rx_beacons"], sta["stats"]["rx_beacons_filtered"]

    state, seen, kept = run()
    assert state == "RUN" and seen <= 2 and kept >= 15
    state, seen_all, none = run(beacon_filter=False)
    assert state == "RUN" and none == 0 and seen_all == seen + kept  # the same beacons, all seen
    try:
        run(beacon_filter="no")
    except ScenarioError as e:
        assert "beacon_filter" in str(e) and "true or false" in str(e)
    else:
        raise AssertionError("a string for beacon_filter was taken")
