"""Shared helpers of the Wi-Fi Direct tests: radios with P2P devices in virtual time."""

from ic import SEC, OpMode, Scheduler, State
from net80211.driver import open_driver
from net80211.p2p.device import P2PDevice


def setup_world(n=2, with_sta=False, radio_kw=None):
    radio_kw = radio_kw or {}
    """n radios with a P2P device each; with_sta: each also runs a STA
    associated to its own AP on channel 6 (APs on extra radios)."""
    s = Scheduler()
    d = open_driver("hwsim", s, radios=0)
    radios = [d.add_device(**radio_kw.get(i, {})) for i in range(n)]
    stas = []
    if with_sta:
        for i, r in enumerate(radios):
            apr = d.add_device()
            ap = apr.create_vap(f"ap{i}", "hostap", ssid=f"home{i}".encode(), channel=6)
            ap.up()
            sta = r.create_vap(f"sta{i}", "sta", ssid=f"home{i}".encode())
            sta.up()
            stas.append(sta)
        assert s.run_until(lambda: all(v.state == State.RUN for v in stas), 5 * SEC)
    devs = []
    for i, r in enumerate(radios):
        v = r.create_vap(f"p2p{i}", OpMode.P2P_DEVICE)
        p = P2PDevice(v, device_name=f"dev{i}")
        p.start()
        devs.append(p)
    return s, d, devs, stas


def has(dev, prefix):
    return [e for e in dev.events if e.startswith(prefix)]


def discover(s, devs, within=5 * SEC):
    for p in devs:
        p.find()
    t0 = s.now_ns
    ok = s.run_until(lambda: all(len(p.peers) == len(devs) - 1 for p in devs), within)
    assert ok, [p.events for p in devs]
    return s.now_ns - t0
