"""Monitor vaps: promiscuous reception, tx monitoring, injection, capture."""

from __future__ import annotations

import errno
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ic import MS, SEC, NotSupported, RxInfo, Scheduler, State
from net80211.driver import open_driver
from net80211.wire.capture import RATES_2GHZ, rate_500k, rate_index
from net80211.wire.data import DataFrame, llc_snap_encap
from net80211.wire.frame import BROADCAST
from net80211.wire.pcap import LINKTYPE_RADIOTAP, read_pcap
from net80211.wire.radiotap import TX_FLAG_NOACK, Radiotap, RTFlags, fcs, parse_tx_radiotap

A = bytes.fromhex("020000000a00")
B = bytes.fromhex("020000000b00")


def world(n: int = 3, **kw):
    s = Scheduler()
    return s, open_driver("hwsim", s, radios=n, **kw)


def data(a1: bytes, a2: bytes, a3: bytes, payload: bytes = b"x" * 40, seq: int = 0) -> bytes:
    return DataFrame(a1, a2, a3, llc_snap_encap(0x88B5, payload), seq=seq).to_bytes()


def test_monitor_receives_every_frame_on_its_channel_including_unicast_for_others():
    s, d = world(3)
    r0, r1, r2 = d.devices
    mon = r2.create_vap("mon0", "monitor", channel=6)
    mon.up()
    inj = r0.create_vap("mon1", "monitor", channel=6)
    inj.up()
    s.run_for(10 * MS)
    assert mon.state == State.RUN and inj.state == State.RUN
    # Unicast frames for a radio that does not exist, for radio 1, broadcast.
    frames = [data(A, r0.macaddr, B, seq=1), data(r1.macaddr, r0.macaddr, B, seq=2),
              data(BROADCAST, r0.macaddr, B, seq=3)]
    for f in frames:
        assert inj.inject(f)
    s.run_for(100 * MS)
    c = d.medium.counters
    assert c["frames"] == 3
    assert mon.stats.rx_packets == 3 and mon.monitor_stats["rx_data"] == 3
    # The injecting radio's own monitor sees its frames when they complete.
    assert inj.monitor_stats["tx_seen"] == 3 and inj.monitor_stats["injected"] == 3
    assert inj.stats.tx_packets == 3


def test_monitor_on_another_channel_hears_nothing():
    s, d = world(2)
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid="x", channel=1)
    ap.up()
    mon = d.devices[1].create_vap("mon0", "monitor", channel=11)
    mon.up()
    s.run_for(1 * SEC)
    assert d.medium.counters["frames"] >= 9
    assert mon.stats.rx_packets == 0


def test_monitor_makes_radio_promiscuous_only_while_running():
    from drivers.hwsim.kernel.medtypes import FIF_PROMISC

    s, d = world(1)
    r = d.devices[0]
    mon = r.create_vap("mon0", "monitor")
    assert not r.port.filter & FIF_PROMISC
    mon.up()
    s.run_for(1 * MS)
    assert r.port.filter & FIF_PROMISC
    mon.down()
    s.run_for(1 * MS)
    assert not r.port.filter & FIF_PROMISC


def test_inject_radiotap_honours_fcs_rate_noack_and_retries():
    s, d = world(2)
    inj = d.devices[0].create_vap("mon0", "monitor", channel=1)
    inj.up()
    s.run_for(1 * MS)
    sent = []
    orig = d.devices[0].ic_raw_xmit
    d.devices[0].ic_raw_xmit = lambda vap, f, p=None: (sent.append((f, p)), orig(vap, f, p))[1]
    mpdu = data(A, d.devices[0].macaddr, B)
    # Flags(FCS) + Rate(48 = 24 Mb/s) + TX flags(NOACK) + data retries(2): hand-built.
    present = (1 << 1) | (1 << 2) | (1 << 15) | (1 << 17)
    hdr = struct.pack("<BBHI", 0, 0, 0, present) + bytes([RTFlags.FCS, 48]) + struct.pack("<H", TX_FLAG_NOACK)
    hdr += bytes([2])
    hdr = hdr[:2] + struct.pack("<H", len(hdr)) + hdr[4:]
    assert parse_tx_radiotap(hdr + mpdu).tx_flags == TX_FLAG_NOACK
    assert inj.inject(hdr + mpdu + fcs(mpdu))
    frame, params = sent[-1]
    assert frame == mpdu
    assert params == {"no_ack": True, "rates": ((rate_index(2412, 48), 3),)}
    # A radiotap header from our own builder, without FCS: the MPDU goes out as is.
    assert inj.inject(Radiotap(flags=0, rate=2).wrap(mpdu))
    assert sent[-1] == (mpdu, {"rates": ((0, 1),)})
    # Bare 802.11 frames need no radiotap.
    assert inj.inject(mpdu, radiotap=False)
    assert sent[-1] == (mpdu, {})


def test_inject_refusals_have_errnos():
    s, d = world(2)
    inj = d.devices[0].create_vap("mon0", "monitor", channel=1)
    with pytest.raises(OSError) as e:
        inj.inject(data(A, B, B))
    assert e.value.errno == errno.ENETDOWN
    inj.up()
    s.run_for(1 * MS)
    with pytest.raises(OSError) as e:
        inj.inject(b"\x08\x00" + bytes(8))  # a data frame cut inside its header
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        inj.inject(Radiotap(rate=3).wrap(data(A, B, B)))  # 1.5 Mb/s exists nowhere
    assert e.value.errno == errno.EINVAL and "rate" in str(e.value)
    with pytest.raises(OSError) as e:
        inj.inject(data(A, B, B, payload=b"z" * 3000))
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        inj.inject("not bytes")  # type: ignore[arg-type]
    assert e.value.errno == errno.EINVAL
    # Counted: not running, truncated, bad rate, too long (a non-bytes argument is a caller bug).
    assert inj.monitor_stats["inject_errors"] == 4
    sta = d.devices[1].create_vap("wlan1", "sta", ssid="x")
    with pytest.raises(NotSupported):
        sta.inject(data(A, B, B))
    with pytest.raises(NotSupported):
        sta.capture("/dev/null")


def test_rate_tables():
    assert [rate_500k(2412, i) for i in range(12)] == list(RATES_2GHZ)
    assert rate_500k(5180, 0) == 12 and rate_500k(5180, 7) == 108 and rate_500k(5180, 8) is None
    assert rate_index(5180, 2) is None and rate_index(5180, 108) == 7 and rate_index(2412, 11) == 2
    assert rate_500k(2412, -1) is None


def test_monitor_capture_records_rx_info(tmp_path):
    s, d = world(2)
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid="cap", channel=6)
    ap.up()
    mon = d.devices[1].create_vap("mon0", "monitor", channel=6)
    mon.up()
    d.devices[1].tsf_offset_us = 5_000_000
    path = tmp_path / "mon.pcap"
    s.run_for(10 * MS)
    mon.capture(path)
    s.run_for(1 * SEC)
    n = mon.stop_capture()
    assert n == mon.stats.rx_packets >= 9
    assert mon.stop_capture() == 0
    linktype, recs = read_pcap(path)
    assert linktype == LINKTYPE_RADIOTAP
    recs = list(recs)
    assert len(recs) == n
    for ts_ns, pkt, _orig in recs:
        rt, length = Radiotap.parse(pkt)
        assert rt.channel_freq == 2437 and rt.dbm_antsignal == -30 and rt.rate == 12  # 6 Mb/s: mgmtrate
        # The record's time is the world's epoch (a wall-clock date) plus virtual time.
        assert rt.tsft == (ts_ns - s.epoch_ns) // 1000 + 5_000_000
        assert pkt[length] == 0x80  # beacons


def test_detach_closes_capture(tmp_path):
    s, d = world(1)
    mon = d.devices[0].create_vap("mon0", "monitor")
    mon.up()
    mon.capture(tmp_path / "x.pcap")
    d.devices[0].destroy_vap(mon)
    assert mon.pcap is None
    assert list(read_pcap(tmp_path / "x.pcap")[1]) == []


def test_capture_to_bad_path_names_it():
    s, d = world(1)
    mon = d.devices[0].create_vap("mon0", "monitor")
    with pytest.raises(OSError) as e:
        mon.capture("/nonexistent/dir/x.pcap")
    assert e.value.errno == errno.ENOENT and "/nonexistent/dir/x.pcap" in str(e.value)
    with pytest.raises(OSError) as e:
        d.capture("/nonexistent/dir/y.pcap")
    assert e.value.errno == errno.ENOENT


def test_medium_capture_once_per_transmission(tmp_path):
    s, d = world(3, model="log_distance")
    for i, r in enumerate(d.devices):
        r.port.move_to((i * 5.0, 0.0))
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid="m", channel=11)
    ap.up()
    inj = d.devices[1].create_vap("mon0", "monitor", channel=1)
    inj.up()
    d.devices[1].tsf_offset_us = 777
    s.run_for(1 * MS)
    path = tmp_path / "medium.pcap"
    d.capture(path)
    before = d.medium.counters["frames"]
    # Unicast to nobody: the medium retries it, the capture shows it once.
    inj.inject(data(A, d.devices[1].macaddr, B))
    s.run_for(1 * SEC)
    n = d.stop_capture()
    c = d.medium.counters
    assert c["retries"] > 0
    assert n == c["frames"] - before
    recs = list(read_pcap(path)[1])
    assert len(recs) == n
    freqs = set()
    for ts_ns, pkt, _ in recs:
        rt, length = Radiotap.parse(pkt)
        freqs.add(rt.channel_freq)
        assert rt.dbm_antsignal is None and rt.rate is not None
        if pkt[length] == 0x08:
            assert rt.tsft == (ts_ns - s.epoch_ns) // 1000 + 777 and rt.channel_freq == 2412
        else:
            assert rt.tsft == (ts_ns - s.epoch_ns) // 1000 + d.devices[0].tsf_offset_us \
                and rt.channel_freq == 2462
    assert freqs == {2412, 2462}
    d.close()


def test_driver_base_has_no_capture():
    from net80211.driver import Driver

    class Plain(Driver):
        name = "plain"

        def add_device(self, name=None, **params):
            raise NotImplementedError

        def remove_device(self, device):
            raise NotImplementedError

    drv = Plain(Scheduler())
    with pytest.raises(NotSupported):
        drv.capture("/dev/null")
    with pytest.raises(NotSupported):
        drv.stop_capture()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(min_size=0, max_size=120), max_size=8))
def test_fuzzed_frames_never_crash_a_monitor(frames):
    s, d = world(2)
    mon = d.devices[1].create_vap("mon0", "monitor")
    mon.up()
    inj = d.devices[0].create_vap("mon1", "monitor")
    inj.up()
    s.run_for(1 * MS)
    for f in frames:
        try:
            inj.inject(f)
        except OSError as e:
            assert e.errno == errno.EINVAL
        # The receive path too, straight from the driver's side.
        d.devices[1]._rx(f, RxInfo(s.now_ns, 2412, -40, 0, False))
    s.run_for(100 * MS)
