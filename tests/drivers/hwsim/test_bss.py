"""Infrastructure BSSes over the hwsim medium: STA and HOSTAP protocol,
multi-vap radios, data path (issue 5 acceptance)."""

import pytest
from support.taps import tap_method

from ic import MS, SEC
from net80211 import State
from net80211.driver import open_driver
from net80211.input import input_all
from net80211.node import NodeTable
from net80211.wire.data import build_ether, parse_ether
from net80211.wire.mgmt import ReasonCode, StatusCode

RUN, SCAN = State.RUN, State.SCAN
ETH_ECHO = 0x88B5  # a local experimental ethertype for the ping-like exchange


def world(n, model=None, spacing=1.0, **kw):
    from ic import Scheduler

    s = Scheduler()
    d = open_driver("hwsim", s, radios=0, model=model, **kw)
    for i in range(n):
        d.add_device(position=((i % 5) * spacing, (i // 5) * spacing, 0.0))
    return s, d


def echo(vap):
    """Answer every ETH_ECHO request on `vap`'s netdev (a ping responder)."""
    got = []

    def on_rx(eth):
        dst, src, etype, payload = parse_ether(eth)
        got.append(eth)
        if etype == ETH_ECHO and payload.startswith(b"req"):
            vap.netdev.send(build_ether(src, vap.macaddr, ETH_ECHO, b"rep" + payload[3:]))

    vap.netdev.on_receive = on_rx
    return got


def ping(s, src, dst_mac, n=3, payload=b"x" * 64):
    """Send n requests from src's netdev; the replies it received."""
    replies = []

    def on_rx(eth):
        if parse_ether(eth)[3].startswith(b"rep"):
            replies.append(eth)

    src.netdev.on_receive = on_rx
    for i in range(n):
        assert src.netdev.send(build_ether(dst_mac, src.macaddr, ETH_ECHO, b"req%d" % i + payload))
        s.run_for(20 * MS)
    return replies


def bss(s, d, nsta, *, ssid="net0", channel=6, ap_kw=None, sta_kw=None):
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid=ssid, channel=channel, **(ap_kw or {}))
    ap.up()
    stas = []
    for i in range(nsta):
        sta = d.devices[1 + i].create_vap(f"wlan{i + 1}", "sta", ssid=ssid, **(sta_kw or {}))
        sta.up()
        stas.append(sta)
    return ap, stas


def test_one_ap_twenty_stas_on_the_modeled_medium():
    s, d = world(21, model="log_distance", spacing=1.5)
    ap, stas = bss(s, d, 20)
    assert s.run_until(lambda: all(v.state == RUN for v in stas), 3 * SEC)
    assert s.now_ns <= 3 * SEC
    assert sorted(v.aid for v in stas) == list(range(1, 21))
    assert {st["macaddr"] for st in ap.stations()} == {v.macaddr.hex(":") for v in stas}
    assert all(v.bssid == ap.macaddr and v.bss.ssid == b"net0" and v.bss_node.associated for v in stas)
    # ping-like traffic both ways: each STA pings the AP, the AP pings each STA
    echo(ap)
    for v in stas:
        assert len(ping(s, v, ap.macaddr, n=2)) == 2
    for v in stas:
        echo(v)
    for v in stas[:5]:
        assert len(ping(s, ap, v.macaddr, n=2)) == 2
    assert ap.stats.rx_packets >= 40 and ap.stats.tx_packets >= 40
    assert d.medium.counters["deliveries"] > 0


def test_sta_to_sta_through_the_ap_and_broadcast():
    s, d = world(4)
    ap, (a, b, c) = bss(s, d, 3)
    assert s.run_until(lambda: all(v.state == RUN for v in (a, b, c)), 3 * SEC)
    echo(b)
    assert len(ping(s, a, b.macaddr, n=3)) == 3
    assert ap.stats.fwd_packets >= 6 and ap.stats.rx_packets == 0  # relayed, not delivered up
    for v in (ap, b, c):
        v.netdev.on_receive = None
        v.netdev.rx.clear()
    a.netdev.on_receive = None
    bcast = build_ether(b"\xff" * 6, a.macaddr, 0x0806, b"who-has")
    assert a.netdev.send(bcast)
    s.run_for(50 * MS)
    assert ap.netdev.recv() == bcast and b.netdev.recv() == bcast and c.netdev.recv() == bcast
    assert a.netdev.recv() is None  # our own multicast relayed back is not delivered
    # unicast to a host the AP does not know is dropped at the AP's transmit
    assert not ap.netdev.send(build_ether(b"\x02\x99" * 3, ap.macaddr, 0x0800, b"x"))
    assert ap.stats.tx_dropped == 1


def test_sta_follows_its_aps_beacons():
    s, d = world(2)
    ap, (sta,) = bss(s, d, 1)
    assert s.run_until(lambda: sta.state == RUN, 3 * SEC)
    sta.describe()  # books up to date: the beacons the radio's filter kept back counted
    before = sta.stats.rx_beacons + sta.stats.rx_beacons_filtered
    s.run_for(5 * SEC)
    assert sta.state == RUN and sta.stats.beacon_misses == 0
    sta.describe()
    got = sta.stats.rx_beacons + sta.stats.rx_beacons_filtered - before
    assert 45 <= got <= 50  # one per 102.4 ms
    # nothing changes in this world: the radio keeps all but the first back
    assert sta.stats.rx_beacons <= 2 and sta.stats.rx_beacons_filtered >= 45
    assert sta.bss_node.rssi != 0 and sta.bss_node.inactive_ns(s.now_ns) < 110 * MS
    res = {r["bssid"]: r for r in sta.scan_results()}
    r = res[ap.macaddr.hex(":")]
    assert r["ssid"] == "net0" and r["channel"] == 6 and r["age_s"] < 0.2 and r["capinfo"] & 1


def test_ap_gone_silently_beacon_miss_and_rescan():
    s, d = world(3)
    ap, stas = bss(s, d, 2)
    assert s.run_until(lambda: all(v.state == RUN for v in stas), 3 * SEC)
    d.devices[0].port.stop()  # the AP loses power: no deauth, beacons stop
    t0 = s.now_ns
    assert s.run_until(lambda: all(v.state == SCAN for v in stas), 2 * SEC)
    # 7 beacon intervals of silence (checked each 7 intervals): 0.7..1.5 s
    assert 700 * MS <= s.now_ns - t0 <= 1500 * MS
    assert all(v.stats.beacon_misses == 1 and v.bss_node is None and v.aid == 0 for v in stas)
    d.devices[0].port.start()  # it comes back: the stations find it again
    assert s.run_until(lambda: all(v.state == RUN for v in stas), 5 * SEC)


def test_ap_down_deauths_its_stations():
    s, d = world(3)
    ap, stas = bss(s, d, 2)
    assert s.run_until(lambda: all(v.state == RUN for v in stas), 3 * SEC)
    ap.down()
    s.run_for(50 * MS)
    assert all(v.state == SCAN and v.last_reason == ReasonCode.AUTH_LEAVE for v in stas)
    assert all(v.stats.beacon_misses == 0 for v in stas)
    assert not d.devices[0].port.started  # the radio stopped after the deauths went out
    assert ap.stations() == []


def test_deauth_from_ap_sends_sta_back_to_scanning(monkeypatch):
    s, d = world(3)
    ap, (a, b) = bss(s, d, 2)
    assert s.run_until(lambda: a.state == RUN and b.state == RUN, 3 * SEC)
    seen = []
    tap_method(monkeypatch, a, "iv_newstate", lambda n, arg: seen.append(n))
    assert ap.mode.deauth_station(ap, a.macaddr, ReasonCode.UNSPECIFIED)
    s.run_for(10 * MS)
    assert a.state == SCAN and a.last_reason == ReasonCode.UNSPECIFIED and b.state == RUN
    assert len(ap.stations()) == 1
    assert s.run_until(lambda: a.state == RUN, 5 * SEC)
    assert seen[:4] == [SCAN, State.AUTH, State.ASSOC, RUN]


def test_maxsta_refuses_with_its_status_code():
    s, d = world(4)
    ap, stas = bss(s, d, 3, ap_kw={"maxsta": 2})
    s.run_for(3 * SEC)
    running = [v for v in stas if v.state == RUN]
    refused = [v for v in stas if v.state != RUN]
    assert len(running) == 2 and len(refused) == 1
    assert refused[0].last_status == StatusCode.TOOMANY and refused[0].stats.assoc_failures >= 1
    assert ap.stats.assoc_failures >= 1 and len(ap.stations()) == 2
    # a slot frees: the refused station gets in
    running[0].down()
    assert s.run_until(lambda: refused[0].state == RUN, 5 * SEC)
    assert refused[0].aid in (1, 2)


def test_refused_station_waits_out_its_backoff_without_probing():
    """Its only BSS refused it: no probe storm while that BSS is set aside,
    a new scan when the backoff ends (wpa_supplicant's way after a failure)."""
    from net80211.modes.sta import FAIL_BACKOFF_NS

    s, d = world(3)
    ap, stas = bss(s, d, 2, ap_kw={"maxsta": 1}, sta_kw={"channel": 6})  # one channel: 110 ms scans
    assert s.run_until(lambda: any(v.stats.assoc_failures for v in stas), 3 * SEC)
    refused = next(v for v in stas if v.stats.assoc_failures)
    failed_at = refused.sta_fails[ap.bssid]
    probes = []
    orig = d.medium.transmit

    def watch(port, frame, *a, **kw):
        if port is refused.ic.port and frame[0] == 0x40:  # a probe request
            probes.append(s.now_ns)
        return orig(port, frame, *a, **kw)

    d.medium.transmit = watch
    scans = refused.ic.scan.scans_started
    s.run_for(failed_at + FAIL_BACKOFF_NS - 10 * MS - s.now_ns)
    # one scan after the refusal found the BSS set aside; then silence
    assert refused.state == SCAN and refused.ic.scan.scans_started <= scans + 1
    assert not refused.ic.scan.active
    assert len(probes) <= 1 and not [t for t in probes if t > failed_at + 200 * MS]
    s.run_for(300 * MS)
    assert refused.ic.scan.scans_started > scans + 1 or refused.state != SCAN  # it tried again
    assert refused.stats.assoc_failures >= 2 or refused.state == RUN


def test_maxsta_is_checked():
    s, d = world(1)
    with pytest.raises(OSError, match="maxsta"):
        d.devices[0].create_vap("wlan0", "hostap", maxsta=0)
    assert d.devices[0].vaps == []


def test_inactive_station_is_dropped_present_one_kept():
    s, d = world(3)
    ap, (gone, idle) = bss(s, d, 2)
    ap.inact_timeout_ns = 2 * SEC
    assert s.run_until(lambda: gone.state == RUN and idle.state == RUN, 3 * SEC)
    d.devices[1].port.stop()  # the station vanishes without a word
    s.run_for(4 * SEC)
    macs = [st["macaddr"] for st in ap.stations()]
    assert macs == [idle.macaddr.hex(":")]  # the idle but present one answered the null-data probe
    assert idle.state == RUN


def test_hidden_ssid_answers_only_directed_probes():
    s, d = world(3)
    ap, (sta,) = bss(s, d, 1, ap_kw={"hidessid": True})
    wild = d.devices[2].create_vap("wlan9", "sta")  # no SSID: wildcard probes
    wild.up()
    assert s.run_until(lambda: sta.state == RUN, 3 * SEC)
    tx = ap.stats.tx_mgmt
    # a 30 ms look at channel 6 per sweep catches a beacon now and then
    assert s.run_until(lambda: wild.scan_results(), 10 * SEC)
    assert wild.state == SCAN and ap.stats.tx_mgmt == tx  # no probe response to the wildcard probes
    assert [r["ssid"] for r in wild.scan_results()] == [""]  # heard the beacon, SSID hidden


def test_duplicates_are_dropped():
    s, d = world(2)
    ap, (sta,) = bss(s, d, 1)
    assert s.run_until(lambda: sta.state == RUN, 3 * SEC)
    frames = []
    radio = d.devices[1]
    orig = radio.ic_transmit
    radio.ic_transmit = lambda vap, f: (frames.append(f), orig(vap, f))[1]
    sta.netdev.send(build_ether(ap.macaddr, sta.macaddr, 0x0800, b"once"))
    s.run_for(10 * MS)
    assert ap.netdev.recv() is not None and len(frames) == 1
    retry = bytearray(frames[0])
    retry[1] |= 0x08
    rx = type("Rx", (), {"signal": -40, "freq": 2437, "time_ns": 0, "rate_idx": 0, "retry": True})()
    input_all(d.devices[0], bytes(retry), rx)
    assert ap.netdev.recv() is None and ap.stats.rx_dup == 1
    input_all(d.devices[0], frames[0], rx)  # no Retry bit: a new frame (wrapped numbers)
    assert ap.netdev.recv() is not None and ap.stats.rx_dup == 1


def test_three_aps_on_one_radio_each_with_a_station():
    s, d = world(4)
    radio = d.devices[0]
    aps = [radio.create_vap(f"wlan{i}", "hostap", ssid=f"net{i}", channel=1) for i in range(3)]
    for ap in aps:
        ap.up()
    stas = []
    for i in range(3):
        sta = d.devices[1 + i].create_vap(f"wlan{10 + i}", "sta", ssid=f"net{i}")
        sta.up()
        stas.append(sta)
    assert s.run_until(lambda: all(v.state == RUN for v in stas), 3 * SEC)
    assert len({ap.bssid for ap in aps}) == 3
    for ap, sta in zip(aps, stas, strict=True):
        assert sta.bssid == ap.bssid == ap.macaddr and ap.macaddr[:5] == radio.macaddr[:5]
        assert [st["macaddr"] for st in ap.stations()] == [sta.macaddr.hex(":")]
        echo(ap)
        assert len(ping(s, sta, ap.macaddr, n=2)) == 2
        assert ap.stats.rx_packets == 2  # the other APs of the radio did not take them


def test_repeater_hostap_and_sta_on_one_radio():
    s, d = world(3)
    up = d.devices[0].create_vap("wlan0", "hostap", ssid="uplink", channel=11)
    up.up()
    rep = d.devices[1]
    uplink = rep.create_vap("wlan1", "sta", ssid="uplink")
    local = rep.create_vap("wlan2", "hostap", ssid="local")
    uplink.up()
    local.up()
    client = d.devices[2].create_vap("wlan3", "sta", ssid="local")
    client.up()
    assert s.run_until(lambda: uplink.state == RUN and local.state == RUN and client.state == RUN, 6 * SEC)
    assert local.channel.ieee == 11 and client.bss.channel.ieee == 11  # the AP follows its uplink
    assert uplink.bssid == up.macaddr and client.bssid == local.macaddr
    echo(up)
    assert len(ping(s, uplink, up.macaddr, n=2)) == 2
    echo(local)
    assert len(ping(s, client, local.macaddr, n=2)) == 2
    s.run_for(3 * SEC)
    assert uplink.state == RUN and client.state == RUN and uplink.stats.beacon_misses == 0


def test_node_table_reflects_association():
    s, d = world(2)
    ap, (sta,) = bss(s, d, 1)
    assert s.run_until(lambda: sta.state == RUN, 3 * SEC)
    node = NodeTable.of(d.devices[0]).find(ap, sta.macaddr)
    assert node.associated and node.aid == sta.aid and node.rates and node.last_rx_ns > 0
    sta.down()
    s.run_for(50 * MS)
    assert NodeTable.of(d.devices[0]).find(ap, sta.macaddr) is None  # its deauth reached the AP
