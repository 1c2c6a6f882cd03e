"""Wi-Fi Direct over hwsim radios in virtual time: discovery, provision
discovery, GO negotiation, group formation and removal, autonomous GO."""

import errno

import pytest
from support.p2p import discover, has, setup_world

from ic import MS, SEC, OpMode, State
from ic.combinations import IfaceCombination, IfaceLimit
from ic.enums import IfType
from net80211.p2p.wire import DeviceInfo, P2PAction, Subtype, channel_list, parse_channel_list
from net80211.wire.data import build_ether


def test_find_discovers_each_other_and_fills_the_peer_table():
    s, d, (a, b), _ = setup_world()
    took = discover(s, (a, b))
    assert took < 5 * SEC
    pa = a.peers[b.address]
    assert pa.name == "dev1" and pa.listen_freq == b.listen_chan.freq
    assert pa.config_methods == 0x188 and pa.last_seen_ns > 0 and pa.level < 0
    found = has(a, "P2P-DEVICE-FOUND")
    assert len(found) == 1 and "name='dev1'" in found[0] and "pri_dev_type=1-0050F204-1" in found[0]
    assert found[0].endswith("new=1")
    a.stop_find()
    assert a.events[-1] == "P2P-FIND-STOPPED" and a.state == "idle"
    # find with a timeout stops by itself
    b.find(timeout_s=1)
    s.run_for(1100 * MS)
    assert b.events[-1] == "P2P-FIND-STOPPED"
    assert d.devices[0].roc_chan is None and d.devices[1].roc_chan is None


def test_search_uses_p2p_probe_requests_on_social_channels():
    s, d, (a, b), _ = setup_world()
    sent = []
    port = d.devices[0].port
    orig = port.transmit

    def spy(frame, rates=((0, 1),), **kw):
        if frame[0] == 0x40:
            sent.append((port.rx_freq, frame, rates))
        return orig(frame, rates, **kw)

    port.transmit = spy
    a.find()
    s.run_for(400 * MS)
    freqs = [f for f, _, _ in sent]
    assert set(freqs) == {2412, 2437, 2462}
    assert all(b"DIRECT-" in fr and b"\x50\x6f\x9a\x09" in fr for _, fr, _ in sent)
    assert all(r[0][0] >= 4 for _, _, r in sent)  # no CCK


def test_the_search_dwell_is_a_parameter_for_slow_peers():
    """search_dwell_ms: how long search stays on each social channel (a peer in an
    emulated machine answers a probe request late)."""
    from net80211.p2p.device import P2PDevice

    s, d, _, _ = setup_world(n=0)
    d.add_device()
    d.add_device()
    with pytest.raises(OSError) as e:
        P2PDevice(d.devices[0].create_vap("p2px", OpMode.P2P_DEVICE), search_dwell_ms=0)
    assert e.value.errno == errno.EINVAL
    slow = P2PDevice(d.devices[1].create_vap("p2py", OpMode.P2P_DEVICE), search_dwell_ms=200)
    slow.start()
    times = []
    port = d.devices[1].port
    orig = port.transmit

    def spy(frame, rates=((0, 1),), **kw):
        if frame[0] == 0x40:
            times.append((s.now_ns, port.rx_freq))
        return orig(frame, rates, **kw)

    port.transmit = spy
    slow.find()
    s.run_for(700 * MS)
    firsts = {}
    for t, f in times:
        firsts.setdefault(f, t)
    gaps = sorted(firsts.values())
    assert len(gaps) == 3 and all(b - a >= 200 * MS for a, b in zip(gaps, gaps[1:], strict=False))


def test_connect_pbc_with_stas_running_forms_a_group_and_data_passes():
    """The acceptance scenario: STA associations on channel 6 on both radios,
    discovery, connect pbc on both sides -> one GO and one client on channel
    6 (single-channel devices), data over the group, removal of the group
    tears both sides down and leaves the STAs associated."""
    s, d, (a, b), stas = setup_world(with_sta=True)
    bss_before = [(v.bssid, v.state) for v in stas]
    discover(s, (a, b))
    b.connect(a.address, "pbc", auth=True)
    a.connect(b.address, "pbc")
    # the client's group starts after its 4-way handshake, the GO's station is
    # connected once the GO has msg 4/4
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED")
                       and (has(a, "AP-STA-CONNECTED") or has(b, "AP-STA-CONNECTED")), 5 * SEC), \
        (a.events, b.events)
    (ga,), (gb,) = a.groups.values(), b.groups.values()
    roles = sorted([ga.role, gb.role])
    assert roles == ["GO", "client"]
    go, cl = (ga, gb) if ga.role == "GO" else (gb, ga)
    assert go.vap.opmode is OpMode.P2P_GO and cl.vap.opmode is OpMode.P2P_CLIENT
    assert go.chan.ieee == 6 and cl.chan.ieee == 6  # the STA's channel: one channel only
    assert go.ssid.startswith(b"DIRECT-") and cl.ssid == go.ssid
    assert cl.vap.bssid == go.vap.macaddr and cl.vap.state == State.RUN
    neg = has(a, "P2P-GO-NEG-SUCCESS")[0]
    assert "wps_method=PBC" in neg and "freq=2437" in neg
    assert a.vap.attached and a.vap.running  # the P2P device stays
    # data both ways over the group's netdevs
    nc, ng = cl.vap.netdev, go.vap.netdev
    nc.send(build_ether(go.vap.macaddr, cl.vap.macaddr, 0x0800, b"hello GO"))
    ng.send(build_ether(cl.vap.macaddr, go.vap.macaddr, 0x0800, b"hello client"))
    s.run_for(100 * MS)
    assert ng.recv()[14:] == b"hello GO"
    assert nc.recv()[14:] == b"hello client"
    # discovery still works from the P2P device
    a.find()
    s.run_for(500 * MS)
    a.stop_find()
    # removal on the GO side: both sides go
    go_dev, cl_dev = (a, b) if ga.role == "GO" else (b, a)
    go_dev.group_remove(go.name)
    assert s.run_until(lambda: not cl_dev.groups, 3 * SEC)
    s.run_for(100 * MS)
    assert has(go_dev, "P2P-GROUP-REMOVED")[0].endswith("GO reason=REQUESTED")
    assert has(cl_dev, "P2P-GROUP-REMOVED")[0].endswith("client reason=GO_ENDING_SESSION")
    for r in d.devices[:2]:
        assert [v.opmode for v in r.vaps] == [OpMode.STA, OpMode.P2P_DEVICE]
    assert [(v.bssid, v.state) for v in stas] == bss_before


def test_go_intent_decides_roles_and_both_15_fails():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    b.connect(a.address, "pbc", auth=True, go_intent=15)
    a.connect(b.address, "pbc", go_intent=0)
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED"), 5 * SEC)
    assert list(b.groups.values())[0].role == "GO" and list(a.groups.values())[0].role == "client"
    for dev in (a, b):
        for g in list(dev.groups.values()):
            g.remove()
    s.run_for(200 * MS)
    b.connect(a.address, "pbc", auth=True, go_intent=15)
    a.connect(b.address, "pbc", go_intent=15)
    assert s.run_until(lambda: has(a, "P2P-GO-NEG-FAILURE"), 5 * SEC)
    assert has(a, "P2P-GO-NEG-FAILURE")[0].startswith("P2P-GO-NEG-FAILURE status=9")
    assert has(b, "P2P-GO-NEG-FAILURE")[0].startswith("P2P-GO-NEG-FAILURE status=9")


def test_unauthorized_peer_gets_a_request_event_then_connects():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    a.connect(b.address, "pbc")
    assert s.run_until(lambda: has(b, "P2P-GO-NEG-REQUEST"), 3 * SEC)
    ev = has(b, "P2P-GO-NEG-REQUEST")[0]
    assert ev.startswith(f"P2P-GO-NEG-REQUEST {':'.join(f'{x:02x}' for x in a.address)} dev_passwd_id=4")
    s.run_for(5 * MS)
    assert a.state == "wait-peer"
    b.connect(a.address, "pbc")  # the user accepts: b initiates, a (authorized) answers
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED"), 5 * SEC)


def test_device_that_cannot_be_go_beside_a_sta_refuses_with_a_reason():
    # radio 1 (b): STA, P2P client and P2P device only: no GO beside its STA
    combos = [IfaceCombination([IfaceLimit(1, [IfType.STATION]), IfaceLimit(1, [IfType.P2P_CLIENT]),
                                IfaceLimit(1, [IfType.P2P_DEVICE])], max_interfaces=3,
                               num_different_channels=1)]
    s, d, (a, b), stas = setup_world(with_sta=True, radio_kw={1: {"combinations": combos}})
    discover(s, (a, b))
    b.connect(a.address, "pbc", auth=True, go_intent=15)  # b would have to be GO
    a.connect(b.address, "pbc", go_intent=3)
    assert s.run_until(lambda: has(a, "P2P-GO-NEG-FAILURE"), 5 * SEC)
    fb = has(b, "P2P-GO-NEG-FAILURE")[0]
    assert fb.startswith("P2P-GO-NEG-FAILURE status=5")
    assert "cannot be GO" in fb and "P2P_GO is in no limit" in fb
    assert has(a, "P2P-GO-NEG-FAILURE")[0].startswith("P2P-GO-NEG-FAILURE status=5")
    assert not a.groups and not b.groups
    # as a client it can take part
    b.connect(a.address, "pbc", auth=True, go_intent=0)
    a.connect(b.address, "pbc", go_intent=15)
    assert s.run_until(lambda: has(b, "P2P-GROUP-STARTED"), 5 * SEC)
    assert list(b.groups.values())[0].role == "client"
    assert all(v.state == State.RUN for v in stas)


def test_autonomous_go_and_removal():
    s, d, (a, b), _ = setup_world()
    g = a.group_add(freq=2462)
    s.run_for(300 * MS)
    started = has(a, "P2P-GROUP-STARTED")
    assert started and " GO " in started[0] and "freq=2462" in started[0]
    assert not has(a, "P2P-GROUP-FORMATION-SUCCESS")  # nothing was negotiated
    assert g.vap.state == State.RUN and g.vap.ssid.startswith(b"DIRECT-")
    with pytest.raises(OSError) as ei:
        a.group_remove("p2p-nope-0")
    assert ei.value.errno == errno.ENXIO
    a.group_remove(g.name)
    s.run_for(100 * MS)
    assert not a.groups and g.vap is None
    assert [v.opmode for v in d.devices[0].vaps] == [OpMode.P2P_DEVICE]
    with pytest.raises(OSError) as ei:
        a.group_add(freq=2411)
    assert ei.value.errno == errno.EINVAL


@pytest.mark.parametrize("method,req_ev,resp_ev", [
    ("pbc", "P2P-PROV-DISC-PBC-REQ", "P2P-PROV-DISC-PBC-RESP"),
    ("display", "P2P-PROV-DISC-ENTER-PIN", "P2P-PROV-DISC-SHOW-PIN"),
    ("keypad", "P2P-PROV-DISC-SHOW-PIN", "P2P-PROV-DISC-ENTER-PIN"),
])
def test_provision_discovery(method, req_ev, resp_ev):
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    b.listen()
    a.prov_disc(b.address, method)
    assert s.run_until(lambda: has(a, resp_ev), 3 * SEC), (a.events, b.events)
    assert has(b, req_ev) and "name='dev0'" in has(b, req_ev)[0]
    if resp_ev == "P2P-PROV-DISC-SHOW-PIN":
        pin = has(a, resp_ev)[0].split()[2]
        assert len(pin) == 8 and pin.isdigit()


def test_unknown_peer_and_bad_arguments():
    s, d, (a, b), _ = setup_world()
    nobody = "02:99:99:99:99:99"
    for fn in (lambda: a.connect(nobody, "pbc"), lambda: a.prov_disc(nobody, "pbc")):
        with pytest.raises(OSError) as ei:
            fn()
        assert ei.value.errno == errno.ENXIO
    discover(s, (a, b))
    for kw in ({"go_intent": 16}, {"method": "wave"}, {"freq": 1234}):
        args = {"method": "pbc", **kw}
        with pytest.raises(OSError) as ei:
            a.connect(b.address, args.pop("method"), **args)
        assert ei.value.errno == errno.EINVAL
    with pytest.raises(OSError) as ei:
        a.connect(b.address, "pbc", join=True)
    assert ei.value.errno == errno.EOPNOTSUPP


def test_malformed_p2p_frames_are_counted_not_fatal():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    bad = [b"\x04\x09\x50\x6f\x9a\x09\x00",  # no token
           b"\x04\x09\x50\x6f\x9a\x09\x00\x01\xdd\x05\x50\x6f\x9a\x09\x0d",  # attribute header cut
           # a device info attribute too short to hold one
           b"\x04\x09\x50\x6f\x9a\x09\x00\x01\xdd\x09\x50\x6f\x9a\x09\x0d\x03\x00\x01\x02\x03"]
    from net80211.wire.mgmt import Action, MgmtFrame
    before = a.vap.stats.rx_malformed
    for body in bad:
        f = MgmtFrame(Action(body[0], body[1], body[2:]), a.address, b.address, a.address).to_bytes()
        a._rx(f, 2412, -30)
    assert a.vap.stats.rx_malformed == before + 3


def test_wire_roundtrip():
    di = DeviceInfo(b"\x02" * 6, 0x188, b"\x00\x01\x00\x50\xf2\x04\x00\x01", "laptop")
    assert DeviceInfo.parse(di.to_bytes()) == di
    act = P2PAction(Subtype.GO_NEG_REQ, 7, {13: di.to_bytes(), 4: b"\x0f"}, wps=b"\x10\x12\x00\x02\x00\x04")
    back = P2PAction.parse_body(act.to_body())
    assert back == act
    assert parse_channel_list(channel_list([1, 6, 11, 36, 40])) == [1, 6, 11, 36, 40]


def test_a_peer_that_answers_the_go_negotiation_request_late_is_still_heard():
    """As wpa_supplicant, the initiator stays 500 ms on the peer's channel after
    its GO Negotiation Request: a peer in an emulated machine answers some
    hundreds of milliseconds late, and a new request (a new dialog token)
    would make its answer stale every time."""
    s, d, (a, b), _ = setup_world()
    a.listen_chan, b.listen_chan = a._chan(6), b._chan(1)  # away from the peer between tries
    discover(s, (a, b))
    slow = b.handlers[Subtype.GO_NEG_REQ]
    b.handlers[Subtype.GO_NEG_REQ] = lambda act, sa, freq: s.call_later(300 * MS, slow, act, sa, freq)
    b.connect(a.address, "pbc", auth=True, go_intent=15)
    a.connect(b.address, "pbc", go_intent=0)
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED"), 10 * SEC), \
        (a.events, b.events)
    assert has(a, "P2P-GO-NEG-SUCCESS role=client") and has(b, "P2P-GO-NEG-SUCCESS role=GO")


def test_a_repeated_go_negotiation_request_is_answered_with_the_same_group():
    """wpa_supplicant repeats its GO Negotiation Request with the same dialog
    token when no response came within its wait, and takes whichever response
    arrives next; the responder that will be GO names the same group (SSID,
    channel) in every response, or the initiator joins an SSID nobody runs."""
    from net80211.p2p.wire import WPS_DEV_PASSWORD_ID, Attr, chan_attr, wps_tlv

    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    a.connect(b.address, "pbc", auth=True, go_intent=15)
    sent = []
    orig = a.wdev.mgmt_tx

    def spy(frame, freq, **kw):
        sent.append(frame)
        return orig(frame, freq, **kw)

    a.wdev.mgmt_tx = spy
    req = P2PAction(Subtype.GO_NEG_REQ, 145, dict([
        *b.device_info_attrs(), (Attr.GO_INTENT, bytes((0 << 1 | 1,))), (Attr.CONFIG_TIMEOUT, b"\x64\x0a"),
        (Attr.LISTEN_CHANNEL, chan_attr(b.listen_chan.ieee)), (Attr.INTENDED_INTERFACE_ADDR, b.intf_addr),
        (Attr.CHANNEL_LIST, channel_list([1, 6, 11])), (Attr.OPERATING_CHANNEL, chan_attr(6))]),
        wps=wps_tlv(WPS_DEV_PASSWORD_ID, (4).to_bytes(2, "big")))
    frame = b.action_frame(a.address, req)
    for _ in range(3):
        a._rx(frame, a.listen_chan.freq, -40)
        s.run_for(20 * MS)
    resps = [P2PAction.parse_body(f[24:]) for f in sent if f[0] == 0xD0]
    resps = [r for r in resps if r.subtype == Subtype.GO_NEG_RESP]
    assert len(resps) == 3 and all(r.token == 145 for r in resps)
    gids = {r.attrs[Attr.GROUP_ID] for r in resps}
    chans = {r.attrs[Attr.OPERATING_CHANNEL] for r in resps}
    assert len(gids) == 1 and len(chans) == 1, (gids, chans)
    # the confirmation of any of them starts that group
    conf = P2PAction(Subtype.GO_NEG_CONF, 145, {
        Attr.STATUS: b"\x00", Attr.CHANNEL_LIST: channel_list([1, 6, 11]),
        Attr.OPERATING_CHANNEL: resps[0].attrs[Attr.OPERATING_CHANNEL]})
    a._rx(b.action_frame(a.address, conf), a.listen_chan.freq, -40)
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") or a.groups, SEC)
    (g,) = a.groups.values()
    assert g.role == "GO" and a.address + g.ssid == gids.pop()


def test_a_response_later_than_the_wait_still_answers_the_negotiation():
    """The initiator keeps one dialog token over its tries (as wpa_supplicant):
    a peer slower than the 500 ms wait and the listen after it answers an
    earlier try while the initiator is on that channel again, and that answer
    is taken; with a new token per try every answer would be stale."""
    s, d, (a, b), _ = setup_world()
    a.listen_chan, b.listen_chan = a._chan(1), b._chan(1)
    discover(s, (a, b))
    slow = b.handlers[Subtype.GO_NEG_REQ]
    b.handlers[Subtype.GO_NEG_REQ] = lambda act, sa, freq: s.call_later(900 * MS, slow, act, sa, freq)
    b.connect(a.address, "pbc", auth=True, go_intent=7)
    a.connect(b.address, "pbc", go_intent=7)  # equal intents: the tie breaker decides
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED"), 10 * SEC), \
        (a.events, b.events)
    (ga,), (gb,) = a.groups.values(), b.groups.values()
    assert sorted([ga.role, gb.role]) == ["GO", "client"] and ga.ssid == gb.ssid


def test_the_group_formation_timeout_is_a_parameter_for_slow_peers():
    """formation_timeout_s: how long a negotiated group may take to be
    provisioned and keyed (15 s by default; a peer in a starved emulated
    machine takes longer) before P2P-GROUP-FORMATION-FAILURE."""
    from net80211.p2p.device import P2PDevice
    from net80211.p2p.group import P2PGroup

    s, d, _, _ = setup_world(n=0)
    radios = [d.add_device() for _ in range(2)]
    with pytest.raises(OSError) as e:
        P2PDevice(radios[0].create_vap("p2px", OpMode.P2P_DEVICE), formation_timeout_s=0)
    assert e.value.errno == errno.EINVAL
    for r, timeout, name in ((radios[0], None, "p2pa"), (radios[1], 40, "p2pb")):
        dev = P2PDevice(r.create_vap(name, OpMode.P2P_DEVICE),
                        **({} if timeout is None else {"formation_timeout_s": timeout}))
        dev.start()
        # a client of a GO that never answers: formation cannot complete
        P2PGroup.start_client(dev, dev._chan(6), b"DIRECT-xynobody", go_intf=b"\x06" * 6, go_dev=b"\x02" * 6)
        t0 = s.now_ns
        assert s.run_until(lambda dev=dev: has(dev, "P2P-GROUP-FORMATION-FAILURE"), 60 * SEC)
        took = s.now_ns - t0
        assert (15 * SEC <= took < 16 * SEC) if timeout is None else (40 * SEC <= took < 41 * SEC), took
        assert not dev.groups
