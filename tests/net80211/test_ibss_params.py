"""The IBSS Parameter Set (ATIM window) in IBSS beacons and probe responses."""

from __future__ import annotations

from support.taps import tap_method

from ic import SEC, TU, Scheduler, State
from net80211.driver import open_driver
from net80211.wire.ie import SSID, TIM, DSParams, IBSSParams, SupportedRates
from net80211.wire.mgmt import Beacon, MgmtFrame, ProbeResp


def heard(monkeypatch):
    s = Scheduler()
    d = open_driver("hwsim", s, radios=3)
    mon = d.devices[2].create_vap("mon0", "monitor", channel=6)
    frames: list[bytes] = []
    tap_method(monkeypatch, mon, "input", lambda f, rx: frames.append(f))
    mon.up()
    return s, d, frames


def bodies(frames, kind, sender):
    out = []
    for f in frames:
        if f[0] in (0x80, 0x50) and f[10:16] == sender:
            mf = MgmtFrame.parse(f)
            if isinstance(mf.body, kind):
                out.append(mf.body)
    return out


def test_ibss_beacons_and_probe_responses_carry_the_atim_window(monkeypatch):
    s, d, frames = heard(monkeypatch)
    v = d.devices[0].create_vap("wlan0", "ibss", ssid="adhoc", channel=6)
    v.atim_window = 0
    v.up()
    sta = d.devices[1].create_vap("wlan1", "sta", ssid="adhoc")  # probes for it (never joins an IBSS)
    sta.up()
    s.run_for(1 * SEC)
    assert v.state == State.RUN
    beacons = bodies(frames, Beacon, v.macaddr)
    resps = bodies(frames, ProbeResp, v.macaddr)
    assert len(beacons) >= 5 and resps
    for b in beacons + resps:
        assert b.ies.atim_window == 0
        kinds = [type(e) for e in b.ies]
        # Standard order: SSID, Supported Rates, DS Parameter Set, IBSS Parameter Set; no TIM in an IBSS.
        assert kinds[:4] == [SSID, SupportedRates, DSParams, IBSSParams] and TIM not in kinds
    # A configured window is what goes out (the beacon template follows it).
    v.atim_window = 10
    n = len(frames)
    s.run_for(3 * 100 * TU)  # three beacon intervals
    assert {b.ies.atim_window for b in bodies(frames[n:], Beacon, v.macaddr)} == {10}


def test_an_ap_advertises_no_ibss_parameter_set(monkeypatch):
    s, d, frames = heard(monkeypatch)
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid="infra", channel=6)
    ap.up()
    s.run_for(5 * 100 * TU)
    beacons = bodies(frames, Beacon, ap.macaddr)
    assert beacons and all(b.ies.atim_window is None and b.ies.get(TIM) is not None for b in beacons)
