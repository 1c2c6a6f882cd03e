"""The wireless-device primitives on hwsim radios, in virtual time: P2P device
start/stop, owners, remain-on-channel, mgmt-tx, frame registrations, scans."""

import errno

import pytest

from ic import MS, SEC, ConcurrencyError, OpMode, Scheduler, State
from ic.combinations import IfaceCombination, IfaceLimit
from ic.enums import IfType
from net80211.driver import open_driver
from net80211.p2p import ROC_MAX_MS, Owner, wdev_of
from net80211.wire.mgmt import Action, MgmtFrame

BCAST = b"\xff" * 6


def world(radios=2, **kw):
    s = Scheduler()
    d = open_driver("hwsim", s, radios=radios, **kw)
    return s, d


def p2pdev(radio, name):
    vap = radio.create_vap(name, OpMode.P2P_DEVICE)
    return vap, wdev_of(vap)


def public_action(sa, da=BCAST, payload=b"\x09\x50\x6f\x9a\x09\x00\x01"):
    return MgmtFrame(Action(4, payload[0], payload[1:]), da, sa, da).to_bytes()


def errno_of(fn, *a, **kw):
    with pytest.raises(OSError) as ei:
        fn(*a, **kw)
    return ei.value.errno


# -- the P2P device and its start/stop -------------------------------------------

def test_p2p_device_has_no_netdev_an_own_address_and_a_wdev_id():
    s, d = world()
    r = d.devices[0]
    sta = r.create_vap("wlan0", "sta")
    vap, wdev = p2pdev(r, "wlan1")
    assert not vap.has_netdev and sta.has_netdev
    assert getattr(vap, "netdev", None) is None
    assert vap.macaddr != sta.macaddr and vap.macaddr != r.macaddr
    assert wdev.address == vap.macaddr
    assert wdev.id >> 32 == r.idx and wdev.id & 0xFFFFFFFF >= 1
    assert wdev_of(sta).id != wdev.id
    assert wdev_of(vap) is wdev


def test_start_stop_p2p_with_cookie():
    s, d = world()
    vap, wdev = p2pdev(d.devices[0], "wlan0")
    owner = Owner("sup")
    assert not vap.running
    cookie = wdev.start_p2p(owner)
    s.run_for(10 * MS)
    assert vap.running and wdev.started and vap.p2p_started
    assert errno_of(wdev.start_p2p, owner) == errno.EBUSY
    assert errno_of(wdev.stop_p2p, cookie + 1000) == errno.ENOENT
    wdev.stop_p2p(cookie)
    s.run_for(10 * MS)
    assert not vap.running and not wdev.started
    assert [e.kind for e in owner.pop_events()] == ["p2p_stopped"]
    assert errno_of(wdev.stop_p2p, cookie) == errno.ENOENT


def test_start_p2p_only_on_a_p2p_device():
    s, d = world()
    sta = d.devices[0].create_vap("wlan0", "sta")
    assert errno_of(wdev_of(sta).start_p2p, Owner()) == errno.EOPNOTSUPP


def test_start_p2p_runs_the_concurrency_check():
    # A table with no room for a P2P device beside a STA: the device may be
    # created (it does not count until started) but not started.
    combos = [IfaceCombination([IfaceLimit(1, [IfType.STATION]), IfaceLimit(1, [IfType.AP])],
                               max_interfaces=2, num_different_channels=1),
              IfaceCombination([IfaceLimit(1, [IfType.P2P_DEVICE]), IfaceLimit(1, [IfType.AP])],
                               max_interfaces=2, num_different_channels=1)]
    s, d = world(radios=1, combinations=combos)
    r = d.devices[0]
    sta = r.create_vap("wlan0", "sta")
    sta.up()
    vap, wdev = p2pdev(r, "wlan1")
    with pytest.raises(ConcurrencyError) as ei:
        wdev.start_p2p(Owner())
    assert ei.value.errno == errno.EBUSY and "wlan1" in str(ei.value)
    assert not vap.running and not vap.p2p_started
    sta.down()
    s.run_for(10 * MS)
    wdev.start_p2p(Owner())  # alone it fits
    assert vap.running


def test_p2p_device_limit_counts_once_started():
    s, d = world(radios=1)
    r = d.devices[0]
    a, wa = p2pdev(r, "wlan0")
    b, wb = p2pdev(r, "wlan1")  # creating a second one is fine: not started
    wa.start_p2p(Owner())
    with pytest.raises(ConcurrencyError) as ei:
        wb.start_p2p(Owner())
    assert "P2P" in str(ei.value) or "p2p" in str(ei.value)


def test_owner_close_stops_what_it_started_and_drops_registrations():
    s, d = world()
    vap, wdev = p2pdev(d.devices[0], "wlan0")
    owner = Owner("sup")
    wdev.start_p2p(owner)
    wdev.register_frame(owner, b"\x04\x09")
    roc = wdev.remain_on_channel(2412, 1000, owner)
    s.run_for(5 * MS)
    assert wdev.offchan.active is not None and wdev.offchan.active.cookie == roc
    owner.close()
    s.run_for(10 * MS)
    assert not vap.running and not wdev.started
    assert len(wdev.frame_regs.regs) == 0
    assert wdev.offchan.active is None
    assert d.devices[0].roc_chan is None and d.devices[0].port.rx_freq == d.devices[0].port.freq
    # the registration is free again for someone else
    other = Owner()
    wdev.register_frame(other, b"\x04\x09")
    assert errno_of(wdev.start_p2p, owner) == errno.EINVAL  # a closed owner starts nothing


# -- frame registrations ---------------------------------------------------------

def test_overlapping_registration_is_ealready():
    s, d = world()
    vap, wdev = p2pdev(d.devices[0], "wlan0")
    a, b = Owner("a"), Owner("b")
    wdev.register_frame(a, b"\x04\x09\x50\x6f\x9a\x09")
    for match in (b"\x04", b"\x04\x09\x50\x6f\x9a\x09\x00", b"", b"\x04\x09\x50\x6f\x9a\x09"):
        assert errno_of(wdev.register_frame, b, match) == errno.EALREADY
        assert errno_of(wdev.register_frame, a, match) == errno.EALREADY
    wdev.register_frame(b, b"\x04\x0a")  # another prefix: fine
    wdev.register_frame(b, b"\x04", frame_type=0x00E0)  # another frame type: fine
    wdev.register_frame(b, b"", frame_type=0x0040)  # probe requests
    # a registration on another device does not overlap
    _, w2 = p2pdev(d.devices[1], "wlan1")
    w2.register_frame(b, b"\x04\x09")


def test_register_frame_bad_type_is_einval():
    s, d = world()
    _, wdev = p2pdev(d.devices[0], "wlan0")
    for t in (0x0008, 0x10000, -1, 0x01D0, "x"):
        assert errno_of(wdev.register_frame, Owner(), b"", t) == errno.EINVAL
    assert errno_of(wdev.register_frame, Owner(), "04") == errno.EINVAL


def test_frame_goes_to_the_newest_matching_registration_only():
    s, d = world()
    r0, r1 = d.devices
    _, w0 = p2pdev(r0, "wlan0")
    _, w1 = p2pdev(r1, "wlan1")
    tx, old, new = Owner("tx"), Owner("old"), Owner("new")
    w0.start_p2p(tx)
    w1.start_p2p(old)
    w1.register_frame(old, b"\x04\x09")
    w1.register_frame(new, b"\x04\x0a")  # newer, but another match
    s.run_for(10 * MS)
    w1.remain_on_channel(2437, 500, old)
    s.run_for(1 * MS)
    w0.mgmt_tx(public_action(w0.address, w1.address), 2437, owner=tx)
    s.run_for(100 * MS)
    got = old.pop_events("frame")
    assert len(got) == 1 and got[0].frame[24:26] == b"\x04\x09" and got[0].freq == 2437
    assert new.pop_events("frame") == []
    # once "old" is gone, a new overlapping registration takes its frames
    old.close()
    newest = Owner("newest")
    w1.register_frame(newest, b"\x04\x09\x50")
    w1.start_p2p(newest)
    s.run_for(10 * MS)
    w1.remain_on_channel(2437, 500, newest)
    s.run_for(1 * MS)
    w0.mgmt_tx(public_action(w0.address, w1.address), 2437, owner=tx)
    w0.mgmt_tx(public_action(w0.address, w1.address, b"\x0a\x01\x02"), 2437, owner=tx)
    s.run_for(100 * MS)
    assert len(newest.pop_events("frame")) == 1 and len(new.pop_events("frame")) == 1


# -- remain on channel -------------------------------------------------------------

def test_roc_duration_limits_and_bad_channel():
    s, d = world()
    _, wdev = p2pdev(d.devices[0], "wlan0")
    o = Owner()
    assert errno_of(wdev.remain_on_channel, 2412, 100, o) == errno.ENETDOWN  # not started
    wdev.start_p2p(o)
    for dur in (0, 9, ROC_MAX_MS + 1, -5, 10.5, True):
        assert errno_of(wdev.remain_on_channel, 2412, dur, o) == errno.EINVAL
    assert errno_of(wdev.remain_on_channel, 2413, 100, o) == errno.EINVAL
    assert errno_of(wdev.remain_on_channel, 6, 100, o) == errno.EINVAL  # MHz, not a channel number
    wdev.remain_on_channel(2412, 10, o)
    wdev.remain_on_channel(2412, ROC_MAX_MS, o)
    assert errno_of(wdev.cancel_remain_on_channel, 123456789) == errno.ENOENT


def test_roc_events_ready_expired_cancelled_in_virtual_time():
    s, d = world()
    r = d.devices[0]
    _, wdev = p2pdev(r, "wlan0")
    o = Owner()
    wdev.start_p2p(o)
    s.run_for(1 * MS)
    t0 = s.now_ns
    c1 = wdev.remain_on_channel(2462, 100, o)
    c2 = wdev.remain_on_channel(2412, 50, o)  # queued behind c1
    s.run_for(1 * MS)
    ev = o.pop_events()
    assert [(e.kind, e.cookie, e.freq) for e in ev] == [("roc_ready", c1, 2462)]
    assert r.port.rx_freq == 2462
    s.run_for(99 * MS)
    ev = o.pop_events()
    assert [(e.kind, e.cookie, e.cancelled) for e in ev] == [
        ("roc_done", c1, False), ("roc_ready", c2, False)]
    assert s.now_ns - t0 == 100 * MS and r.port.rx_freq == 2412
    wdev.cancel_remain_on_channel(c2)
    ev = o.pop_events()
    assert [(e.kind, e.cookie, e.cancelled) for e in ev] == [("roc_done", c2, True)]
    assert r.port.rx_freq == r.port.freq and r.roc_chan is None
    assert errno_of(wdev.cancel_remain_on_channel, c2) == errno.ENOENT
    # a queued one can be cancelled before it starts
    c3 = wdev.remain_on_channel(2412, 100, o)
    c4 = wdev.remain_on_channel(2437, 100, o)
    wdev.cancel_remain_on_channel(c4)
    s.run_for(200 * MS)
    kinds = [(e.kind, e.cookie) for e in o.pop_events()]
    assert kinds == [("roc_done", c4), ("roc_ready", c3), ("roc_done", c3)]  # ready comes once there


def test_roc_really_leaves_the_operating_channel():
    """An AP on channel 6 hears its neighbour's frames every 20 ms, except while
    its radio remains on channel 1 for the P2P device; its beacons pause too."""
    s, d = world()
    r0, r1 = d.devices
    ap0 = r0.create_vap("wlan0", "hostap", ssid=b"net0", channel=6)
    ap0.up()
    ap1 = r1.create_vap("wlan1", "hostap", ssid=b"net1", channel=6)
    ap1.up()
    _, wdev = p2pdev(r1, "wlan2")
    o, tx = Owner(), Owner()
    wdev.start_p2p(o)
    heard, acks = [], []
    orig = r1.port.rx

    def rx(frame, info):
        if frame[10:16] == ap0.macaddr and frame[4:10] == ap1.macaddr:
            heard.append(s.now_ns)
        orig(frame, info)

    r1.port.rx = rx
    tx.on_event = lambda e: e.kind == "tx_status" and acks.append((s.now_ns, e.ack))

    def send():
        wdev_of(ap0).mgmt_tx(public_action(ap0.macaddr, ap1.macaddr), owner=tx)
        s.call_later(20 * MS, send)

    s.run_for(200 * MS)
    send()
    s.run_for(1 * SEC)
    assert len(heard) >= 49
    t0 = s.now_ns
    beacons = r1.stats["beacons"]
    wdev.remain_on_channel(2412, 1000, o)
    s.run_for(1 * SEC)
    assert [t for t in heard if t0 < t < t0 + 1000 * MS] == []
    assert not any(ack for t, ack in acks if t0 < t < t0 + 1000 * MS)
    assert r1.stats["beacons"] == beacons  # no TBTT while away
    s.run_for(1 * SEC)
    assert len([t for t in heard if t >= t0 + 1000 * MS]) >= 49
    assert r1.stats["beacons"] >= beacons + 9


def test_roc_on_hostap_vaps_too():
    s, d = world()
    ap = d.devices[0].create_vap("wlan0", "hostap", ssid=b"n", channel=6)
    o = Owner()
    assert errno_of(wdev_of(ap).remain_on_channel, 2412, 20, o) == errno.ENETDOWN
    ap.up()
    s.run_for(200 * MS)
    for v in (ap,):
        c = wdev_of(v).remain_on_channel(2412, 20, o)
        s.run_for(30 * MS)
        assert [(e.kind, e.cookie) for e in o.pop_events()] == [("roc_ready", c), ("roc_done", c)]
    mon = d.devices[0].create_vap("wlan2", "monitor")
    assert errno_of(wdev_of, mon) == errno.EOPNOTSUPP


# -- mgmt tx ----------------------------------------------------------------------------

def test_mgmt_tx_checks():
    s, d = world()
    _, wdev = p2pdev(d.devices[0], "wlan0")
    o = Owner()
    frame = public_action(wdev.address)
    assert errno_of(wdev.mgmt_tx, frame, 2412, owner=o) == errno.ENETDOWN
    wdev.start_p2p(o)
    # a P2P device: Public Action only
    non_public = MgmtFrame(Action(127, None, b"\x00\x11\x22\x01"), BCAST, wdev.address, BCAST).to_bytes()
    assert errno_of(wdev.mgmt_tx, non_public, 2412, owner=o) == errno.EOPNOTSUPP
    spectrum = MgmtFrame(Action(0, 4, b""), BCAST, wdev.address, BCAST).to_bytes()
    assert errno_of(wdev.mgmt_tx, spectrum, 2412, owner=o) == errno.EOPNOTSUPP
    auth = bytes([0xB0, 0, 0, 0]) + BCAST + wdev.address + BCAST + b"\0\0" + b"\0" * 6
    assert errno_of(wdev.mgmt_tx, auth, 2412, owner=o) == errno.EOPNOTSUPP
    # SA must be ours
    assert errno_of(wdev.mgmt_tx, public_action(b"\x02\x11\x22\x33\x44\x55"), 2412, owner=o) == errno.EINVAL
    # frequency mandatory on a P2P device, and a real one
    assert errno_of(wdev.mgmt_tx, frame, None, owner=o) == errno.EINVAL
    assert errno_of(wdev.mgmt_tx, frame, 2411, owner=o) == errno.EINVAL
    assert errno_of(wdev.mgmt_tx, frame, 2412, wait_ms=ROC_MAX_MS + 1, owner=o) == errno.EINVAL
    assert errno_of(wdev.mgmt_tx, frame, 2412, wait_ms=-1, owner=o) == errno.EINVAL
    assert errno_of(wdev.mgmt_tx, b"\x08\x00" + b"\0" * 30, 2412, owner=o) == errno.EINVAL  # data
    assert errno_of(wdev.mgmt_tx, b"\xd0\x00", 2412, owner=o) == errno.EINVAL  # short
    assert errno_of(wdev.mgmt_tx_cancel_wait, 999999) == errno.ENOENT


def test_mgmt_tx_status_ack_and_wait():
    s, d = world()
    _, w0 = p2pdev(d.devices[0], "wlan0")
    _, w1 = p2pdev(d.devices[1], "wlan1")
    o0, o1 = Owner(), Owner()
    w0.start_p2p(o0)
    w1.start_p2p(o1)
    w1.register_frame(o1, b"\x04\x09")
    s.run_for(1 * MS)
    # the peer is not on 2462: no ACK
    c = w0.mgmt_tx(public_action(w0.address, w1.address), 2462, owner=o0)
    s.run_for(50 * MS)
    st = o0.pop_events("tx_status")
    assert [(e.cookie, e.ack) for e in st] == [(c, False)]
    # the peer listens there: ACKed, delivered; a 200 ms wait keeps us on channel
    w1.remain_on_channel(2412, 1000, o1)
    s.run_for(1 * MS)
    t0 = s.now_ns
    c = w0.mgmt_tx(public_action(w0.address, w1.address), 2412, wait_ms=200, owner=o0)
    s.run_for(20 * MS)
    assert [(e.cookie, e.ack) for e in o0.pop_events("tx_status")] == [(c, True)]
    assert len(o1.pop_events("frame")) == 1
    assert d.devices[0].port.rx_freq == 2412
    # the peer answers within our wait: we hear it
    w0.register_frame(o0, b"\x04\x09")
    w1.mgmt_tx(public_action(w1.address, w0.address), 2412, owner=o1)
    s.run_for(10 * MS)
    assert len(o0.pop_events("frame")) == 1
    s.run_until(lambda: any(e.kind == "tx_wait_done" for e in o0.events), 1 * SEC)
    done = o0.pop_events("tx_wait_done")
    assert [(e.cookie, e.cancelled) for e in done] == [(c, False)]
    assert s.now_ns - t0 == 200 * MS
    assert d.devices[0].roc_chan is None
    # cancel a wait early; dont_wait_for_ack gives no cookie and no status
    c = w0.mgmt_tx(public_action(w0.address, w1.address), 2412, wait_ms=500, owner=o0)
    s.run_for(5 * MS)
    w0.mgmt_tx_cancel_wait(c)
    assert [(e.cookie, e.cancelled) for e in o0.pop_events("tx_wait_done")] == [(c, True)]
    assert d.devices[0].roc_chan is None
    assert [e.cookie for e in o0.pop_events("tx_status")] == [c]
    o1.pop_events()
    assert w0.mgmt_tx(public_action(w0.address, w1.address), 2412, dont_wait_for_ack=True, owner=o0) is None
    s.run_for(50 * MS)
    assert o0.pop_events("tx_status") == []
    assert len(o1.pop_events("frame")) == 1


def test_mgmt_tx_no_cck_uses_ofdm_rate():
    s, d = world()
    _, w0 = p2pdev(d.devices[0], "wlan0")
    o = Owner()
    w0.start_p2p(o)
    seen = []
    orig = d.medium.transmit

    def spy(port, frame, rates, **kw):
        if frame[0] == 0xD0:
            seen.append(tuple(rates))
        return orig(port, frame, rates, **kw)

    d.medium.transmit = spy
    w0.mgmt_tx(public_action(w0.address), 2412, no_cck=True, owner=o)
    w0.mgmt_tx(public_action(w0.address), 2412, owner=o)
    s.run_for(50 * MS)
    assert [r[0][0] for r in seen] == [4, 0], seen


def test_owner_close_cancels_pending_waits():
    s, d = world()
    _, w0 = p2pdev(d.devices[0], "wlan0")
    keep, o = Owner(), Owner()
    w0.start_p2p(keep)
    s.run_for(1 * MS)
    w0.mgmt_tx(public_action(w0.address), 2412, wait_ms=1000, owner=o)
    s.run_for(5 * MS)
    assert d.devices[0].roc_chan is not None
    o.close()
    assert d.devices[0].roc_chan is None and w0.offchan.active is None
    assert w0._waits == {}


def test_mgmt_tx_on_sta_and_ap_vaps():
    s, d = world()
    r0, r1 = d.devices
    ap = r0.create_vap("wlan0", "hostap", ssid=b"n", channel=6)
    ap.up()
    _, w1 = p2pdev(r1, "wlan1")
    o = Owner()
    w1.start_p2p(o)
    w1.register_frame(o, b"\x04")
    s.run_for(200 * MS)
    wap = wdev_of(ap)
    # on its operating channel without a frequency; any action category
    w1.remain_on_channel(2437, 100, o)
    s.run_for(1 * MS)
    c = wap.mgmt_tx(public_action(ap.macaddr, w1.address), owner=o)
    s.run_for(20 * MS)
    assert [(e.cookie, e.ack) for e in o.pop_events("tx_status")] == [(c, True)]
    assert len(o.pop_events("frame")) == 1
    # off its channel: goes and comes back
    w1.remain_on_channel(2412, 100, o)
    s.run_for(150 * MS)
    assert errno_of(wap.mgmt_tx, public_action(b"\x02\x99\x00\x00\x00\x01"), 2412, owner=o) == errno.EINVAL
    w1.remain_on_channel(2412, 100, o)
    s.run_for(1 * MS)
    c = wap.mgmt_tx(public_action(ap.macaddr, w1.address), 2412, wait_ms=30, owner=o)
    s.run_for(60 * MS)
    assert [(e.cookie, e.ack) for e in o.pop_events("tx_status")] == [(c, True)]
    assert r0.port.rx_freq == 2437


def test_scan_on_a_p2p_device_finds_probe_responders():
    s, d = world()
    r0, r1 = d.devices
    ap = r1.create_vap("wlan1", "hostap", ssid=b"net1", channel=11)
    ap.up()
    _, w0 = p2pdev(r0, "wlan0")
    o = Owner()
    w0.start_p2p(o)
    s.run_for(200 * MS)
    # answer probe requests on channel 11 by hand (the AP mode may or may not)
    sent = []
    orig = r0.port.transmit

    def spy(frame, rates=((0, 1),), **kw):
        sent.append((frame, r0.port.rx_freq))
        return orig(frame, rates, **kw)

    r0.port.transmit = spy
    c = w0.scan(o, [2412, 2437, 2462], ssids=[b"DIRECT-"], dwell_ms=20)
    assert errno_of(w0.scan, o) == errno.EBUSY
    s.run_for(100 * MS)
    done = o.pop_events("scan_done")
    assert len(done) == 1 and done[0].cookie == c and not done[0].cancelled
    probes = [(f, freq) for f, freq in sent if f[0] == 0x40]
    assert [freq for _, freq in probes] == [2412, 2437, 2462]
    assert all(b"DIRECT-" in f for f, _ in probes)
    assert r0.port.rx_freq == r0.port.freq and r0.roc_chan is None
    # abort
    w0.scan(o, [2412, 2437], dwell_ms=50)
    s.run_for(10 * MS)
    w0.abort_scan()
    assert [e.cancelled for e in o.pop_events("scan_done")] == [True]
    assert r0.roc_chan is None


def test_roc_mgmt_tx_and_scan_on_sta_and_group_vaps():
    """An associated STA, a P2P GO and a P2P client take the same primitives;
    the STA keeps its association across the time away."""
    from net80211.p2p.device import P2PDevice

    s, d = world()
    r0, r1 = d.devices
    ap = r0.create_vap("wlan0", "hostap", ssid=b"n", channel=6)
    ap.up()
    sta = r1.create_vap("wlan1", "sta", ssid=b"n")
    sta.up()
    assert s.run_until(lambda: sta.state == State.RUN, 3 * SEC)
    o = Owner()
    w = wdev_of(sta)
    c = w.remain_on_channel(2412, 300, o)
    s.run_for(400 * MS)
    assert [(e.kind, e.cookie) for e in o.pop_events()] == [("roc_ready", c), ("roc_done", c)]
    c = w.mgmt_tx(public_action(sta.macaddr, ap.macaddr), owner=o)  # on its channel, to its AP
    s.run_for(20 * MS)
    assert [(e.cookie, e.ack) for e in o.pop_events("tx_status")] == [(c, True)]
    c = w.scan(o, [2437], ssids=[b"n"], dwell_ms=40)
    s.run_for(100 * MS)
    done = o.pop_events("scan_done")
    assert [r.bssid for r in done[0].results] == [ap.macaddr]
    s.run_for(2 * SEC)
    assert sta.state == State.RUN and sta.bssid == ap.macaddr
    # group vaps
    pa = P2PDevice(r0.create_vap("wlan2", OpMode.P2P_DEVICE), device_name="a")
    pa.start()
    g = pa.group_add(freq=2437)
    s.run_for(200 * MS)
    wg = wdev_of(g.vap)
    c = wg.remain_on_channel(2462, 50, o)
    s.run_for(60 * MS)
    assert [(e.kind, e.cookie) for e in o.pop_events()] == [("roc_ready", c), ("roc_done", c)]
    c = wg.mgmt_tx(public_action(g.vap.macaddr), 2412, wait_ms=20, owner=o)
    s.run_for(60 * MS)
    assert [e.kind for e in o.pop_events()] == ["tx_status", "tx_wait_done"]
