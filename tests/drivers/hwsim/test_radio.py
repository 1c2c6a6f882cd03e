"""HwsimRadio: the driver glue between net80211 and the medium."""

import errno

import pytest

from drivers.hwsim import HwsimDriver, HwsimMedium, HwsimRadio, hw_addr, radio_addr
from drivers.hwsim.kernel.medtypes import (
    ADDR_BSS,
    ADDR_OWN,
    FIF_BEACONS,
    FIF_PROBE_REQ,
    FIF_PROMISC,
    mac_to_int,
)
from ic import TU, Caps, Net80211Error, OpMode, Scheduler, State
from ic.sched import MS, SEC
from net80211.driver import Driver, available_drivers, load_driver, open_driver, split_spec
from net80211.wire.mgmt import Beacon, MgmtFrame


def world(n: int = 2, **kw):
    s = Scheduler()
    m = HwsimMedium(s, **kw)
    return s, m, [m.add_radio() for _ in range(n)]


def test_names_and_addresses_follow_mac80211_hwsim():
    s, m, (r0, r1) = world(2)
    assert (r0.name, r1.name) == ("hwsim0", "hwsim1")
    assert r0.macaddr == bytes.fromhex("020000000000") and r1.macaddr == bytes.fromhex("020000000100")
    assert r1.hwaddr == bytes.fromhex("420000000100") == hw_addr(radio_addr(1))
    assert radio_addr(0x1234) == bytes.fromhex("020000123400")
    assert r1.port.hwaddr == mac_to_int(r1.hwaddr)
    assert m.port_by_hwaddr(r1.hwaddr) is r1.port


def test_vaps_get_distinct_addresses_and_slots_are_reused():
    s, m, (r0,) = world(1)
    a = r0.create_vap("wlan0", "hostap")
    b = r0.create_vap("wlan1", "hostap")
    assert a.macaddr == bytes.fromhex("020000000000") and b.macaddr == bytes.fromhex("020000000001")
    assert r0.port.owns(a.macaddr) and r0.port.owns(b.macaddr)
    r0.destroy_vap(a)
    assert not r0.port.owns(bytes.fromhex("020000000000"))
    c = r0.create_vap("wlan2", "sta")
    assert c.macaddr == bytes.fromhex("020000000000")
    d = r0.create_vap("wlan3", "sta", macaddr="02:aa:bb:cc:dd:ee")
    assert d.macaddr == bytes.fromhex("02aabbccddee") and r0.port.owns(d.macaddr)


def test_refused_create_leaves_no_address_on_the_port():
    s, m, (r0,) = world(1)
    r0.create_vap("wlan0", "ibss")
    with pytest.raises(Net80211Error) as e:
        r0.create_vap("wlan1", "ibss")  # hwsim's table: one IBSS
    assert e.value.errno == errno.EBUSY
    assert [a for (a, kind) in r0.port._addrs if kind == ADDR_OWN] == [mac_to_int(r0.macaddr)]
    assert "wlan1" not in r0.names


def test_explicit_names_and_duplicates():
    s, m, _ = world(0)
    r = m.add_radio("phy7")
    assert r.name == "phy7"
    with pytest.raises(Net80211Error) as e:
        m.add_radio("phy7")
    assert e.value.errno == errno.EEXIST
    assert m.add_radio().name == "hwsim1"  # the index counts radios, as mac80211_hwsim's


def test_remove_radio_destroys_vaps_and_takes_the_port_off():
    s, m, (r0, r1) = world(2)
    v = r0.create_vap("wlan0", "hostap", ssid="x", channel=1)
    v.up()
    s.run_for(10 * MS)
    m.remove_radio(r0)
    assert not v.attached and r0.detached and not r0.port.attached
    assert r0 not in m.radios and "wlan0" not in r1.names and "hwsim0" not in r1.names
    with pytest.raises(Net80211Error) as e:
        m.remove_radio(r0)
    assert e.value.errno == errno.ENXIO


def test_port_follows_parent_and_channel():
    s, m, (r0,) = world(1)
    v = r0.create_vap("wlan0", "hostap", ssid="x", channel=11)
    assert not r0.port.started
    v.up()
    s.run_for(1 * MS)
    assert r0.port.started and r0.port.freq == 2462
    v.down()
    s.run_for(1 * MS)
    assert not r0.port.started


def test_filter_flags_follow_the_running_modes():
    s, m, (r0,) = world(1)
    ap = r0.create_vap("wlan0", "hostap", ssid="x", channel=1)
    mon = r0.create_vap("mon0", "monitor")
    assert r0.port.filter == 0
    ap.up()
    s.run_for(1 * MS)
    assert r0.port.filter & FIF_PROBE_REQ and not r0.port.filter & FIF_PROMISC
    mon.up()
    s.run_for(1 * MS)
    assert r0.port.filter & FIF_PROMISC
    mon.down()
    ap.down()
    s.run_for(1 * MS)
    assert r0.port.filter == 0


def test_scanning_opens_the_beacon_filter():
    s, m, (r0,) = world(1)
    sta = r0.create_vap("wlan0", "sta", ssid="none")
    sta.up()
    s.run_for(5 * MS)
    assert sta.state == State.SCAN and r0.port.filter & FIF_BEACONS
    sta.down()
    s.run_for(5 * MS)
    assert not r0.port.filter & FIF_BEACONS


def test_ap_beacons_at_each_tbtt_with_its_bssid_registered():
    s, m, (r0, r1) = world(2)
    heard = []
    r1.port.rx = lambda f, rx: heard.append((rx.time_ns, f))
    r1.port.start(2437)
    r1.port.filter = FIF_BEACONS
    ap = r0.create_vap("wlan0", "hostap", ssid="net0", channel=6, bintval=100)
    ap.up()
    s.run_for(1 * SEC)
    assert (mac_to_int(ap.macaddr), ADDR_BSS) in r0.port._addrs
    times = [t for t, _ in heard]
    # Each radio's TSF starts at its own random offset (radios power up at
    # different moments): the TBTTs are aligned on r0's TSF, not on time 0.
    assert len(times) in (9, 10)  # one per 102.4 ms within the second
    assert all(b - a == 100 * TU for a, b in zip(times, times[1:], strict=False))
    assert all((t // 1000 + r0.tsf_offset_us) % (100 * TU // 1000) < 1000 for t in times)  # plus airtime
    f = MgmtFrame.parse(heard[0][1])
    assert isinstance(f.body, Beacon) and f.body.ies.ssid == b"net0" and f.addr3 == ap.macaddr
    assert f.body.ies.channel == 6 and f.body.interval == 100
    assert [MgmtFrame.parse(x).seq for _, x in heard[:3]] == [0, 1, 2]
    ap.down()
    s.run_for(1 * SEC)
    assert len(heard) == len(times) and (mac_to_int(ap.macaddr), ADDR_BSS) not in r0.port._addrs


def test_ap_beacons_go_at_the_vaps_management_rate():
    # 6 Mb/s (rate index 4), as probe responses and the IBSS beacon: at 1 Mb/s
    # a beacon takes 1.1 ms and a hundred APs fill one channel with them.
    s, m, (r0, r1) = world(2)
    rates = []
    r1.port.rx = lambda f, rx: rates.append(rx.rate_idx)
    r1.port.start(2437)
    r1.port.filter = FIF_BEACONS
    ap = r0.create_vap("wlan0", "hostap", ssid="net0", channel=6)
    ap.up()
    s.run_for(SEC // 2)
    assert ap.mgmtrate == 12 and rates and set(rates) == {4}
    ap.mgmtrate = 2  # 1 Mb/s
    s.run_for(SEC // 2)
    assert rates[-1] == 0


def test_hidden_ssid_beacons_carry_an_empty_ssid():
    s, m, (r0, r1) = world(2)
    heard = []
    r1.port.rx = lambda f, rx: heard.append(f)
    r1.port.start(2412)
    r1.port.filter = FIF_BEACONS
    r0.create_vap("wlan0", "hostap", ssid="secret", channel=1, hidessid=True).up()
    s.run_for(300 * MS)
    assert heard and all(MgmtFrame.parse(f).body.ies.ssid == b"" for f in heard)


def test_monitor_vap_has_no_beacons_and_sta_has_no_beacons():
    s, m, (r0,) = world(1)
    mon = r0.create_vap("mon0", "monitor")
    mon.up()
    s.run_for(1 * SEC)
    assert mon.state == State.RUN and r0.stats["beacons"] == 0


def test_profiles_shape_caps_and_policy():
    s, m, _ = world(0)
    ath = m.add_radio(profile="ath")
    assert ath.caps & Caps.TDMA and not ath.caps & Caps.P2P_DEVICE and ath.policy.name == "ath"
    single = m.add_radio(profile="single")
    single.create_vap("wlan0", "sta")
    with pytest.raises(Net80211Error) as e:
        single.create_vap("wlan1", "monitor")
    assert e.value.errno == errno.EBUSY
    with pytest.raises(Net80211Error) as e:
        m.add_radio(profile="nope")
    assert e.value.errno == errno.EINVAL and "nope" in str(e.value)
    nop2p = m.add_radio(p2p_device=False)
    assert not nop2p.caps & Caps.P2P_DEVICE
    with pytest.raises(Net80211Error) as e:
        nop2p.create_vap("p2p0", OpMode.P2P_DEVICE)
    assert e.value.errno == errno.EOPNOTSUPP


def test_bad_radio_parameters_are_refused_without_a_trace():
    s, m, _ = world(0)
    with pytest.raises(Net80211Error) as e:
        m.add_radio(channels=0)
    assert e.value.errno == errno.EINVAL
    with pytest.raises(Net80211Error) as e:
        m.add_radio(perm_addr="zz")
    assert e.value.errno == errno.EINVAL
    assert m.radios == [] and m.ports == []


def test_driver_entry_point_resolves_hwsim_with_profiles():
    assert "hwsim" in available_drivers()
    assert load_driver("hwsim") is HwsimDriver and issubclass(HwsimDriver, Driver)
    assert split_spec("hwsim:ath") == ("hwsim", "ath") and split_spec("hwsim") == ("hwsim", "default")
    s = Scheduler()
    d = open_driver("hwsim:run", s, radios=3, seed=4)
    assert [r.name for r in d.devices] == ["hwsim0", "hwsim1", "hwsim2"]
    assert all(isinstance(r, HwsimRadio) and r.policy.name == "run" for r in d.devices)
    extra = d.add_device("hw9", channels=2)
    assert extra.nchannels == 2 and d.device("hw9") is extra
    d.remove_device(extra)
    assert extra.detached and extra not in d.devices
    d.close()
    assert d.devices == [] and d.medium.radios == []


def test_driver_errors_name_what_was_wrong():
    s = Scheduler()
    for spec, kw, err, word in [("nosuch", {}, errno.ENXIO, "nosuch"),
                                ("hwsim:nosuch", {}, errno.EINVAL, "nosuch"),
                                ("hwsim", {"bogus": 1}, errno.EINVAL, "bogus"),
                                ("hwsim", {"radios": -1}, errno.EINVAL, "radios"),
                                ("hwsim", {"model": 3}, errno.EINVAL, "model"),
                                (":x", {}, errno.EINVAL, "driver")]:
        with pytest.raises(Net80211Error) as e:
            open_driver(spec, s, **kw)
        assert e.value.errno == err and word in str(e.value), (spec, kw)


def test_modeled_driver_uses_the_model():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=2, model={"kind": "path_loss", "path_loss": "free_space"})
    assert d.medium.modeled and d.describe()["medium"] == "modeled"
    assert open_driver("hwsim", s, radios=0, model="perfect").medium.modeled is False


def test_malformed_received_frames_are_counted_and_dropped():
    s, m, (r0, r1) = world(2)
    v = r1.create_vap("mon0", "monitor")
    v.up()
    s.run_for(1 * MS)
    from net80211.input import input_all

    rx = type("Rx", (), {"freq": 2412, "signal": -30, "rate_idx": 0, "time_ns": 0})()
    assert input_all(r1, b"\x01\x02\x03", rx) == 0 and r1.stats["rx_malformed"] == 1
    assert input_all(r1, b"\xd4\x00" + bytes(8), rx) == 1  # an ACK reaches the monitor


def test_the_header_cache_is_shared_by_one_mediums_radios_only():
    """One transmission reaches each radio as the same bytes object: radios of a
    medium parse its header once; another world (scheduler) has its own cache."""
    import net80211.input

    s1, m1, (r0, r1) = world(2)
    s2, m2, (r2,) = world(1)
    assert r0.rx_cache is r1.rx_cache is m1.rx_cache
    assert r2.rx_cache is m2.rx_cache and r2.rx_cache is not r0.rx_cache
    assert not hasattr(net80211.input, "_last")
    ap = r0.create_vap("wlan0", "hostap", ssid="x", channel=1)
    mon = r1.create_vap("mon0", "monitor", channel=1)
    ap.up()
    mon.up()
    s1.run_for(300 * MS)
    assert mon.stats.rx_frames > 0 and m1.rx_cache.frame is not None and m2.rx_cache.frame is None
