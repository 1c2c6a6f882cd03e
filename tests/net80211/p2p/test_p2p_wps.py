"""Wi-Fi Direct groups as real ones are: WPA2-PSK with the passphrase the GO
made up, handed to the client by WPS (push button or PIN) inside group
formation; a wrong PIN, PBC overlap, persistent groups re-invoked without
WPS; the WPS exchange as tshark dissects it."""

from __future__ import annotations

import re
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st
from support.p2p import discover, has, setup_world

from ic import MS, SEC, OpMode, State, mac_str
from net80211.rsn.kdf import pmk_from_passphrase
from net80211.wire.data import build_ether
from tests.conftest import require_tool

PI_WARN = 0x600000


def _form(s, a, b, method_a="pbc", method_b="pbc", within=10 * SEC, kw_a=None, kw_b=None):
    """a initiates, b authorized first: both sides' groups up and keyed."""
    t0 = s.now_ns
    b.connect(a.address, method_b, auth=True, **(kw_b or {}))
    a.connect(b.address, method_a, **(kw_a or {}))
    ok = s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED")
                     and (has(a, "AP-STA-CONNECTED") or has(b, "AP-STA-CONNECTED")), within)
    assert ok, (a.events, b.events)
    (ga,), (gb,) = a.groups.values(), b.groups.values()
    go, cl = (ga, gb) if ga.role == "GO" else (gb, ga)
    return go, cl, s.now_ns - t0


def _data_flows_encrypted(s, go, cl):
    sent = []
    for port in (go.dev.ic.port, cl.dev.ic.port):
        orig = port.transmit

        def spy(frame, rates=((0, 1),), _orig=orig, **k):
            if frame[0] & 0x0C == 0x08 and len(frame) > 40:
                sent.append(frame)
            return _orig(frame, rates, **k)
        port.transmit = spy
    cl.vap.netdev.send(build_ether(go.vap.macaddr, cl.vap.macaddr, 0x88B5, b"secret to the GO"))
    go.vap.netdev.send(build_ether(cl.vap.macaddr, go.vap.macaddr, 0x88B5, b"secret to the client"))
    s.run_for(100 * MS)
    assert go.vap.netdev.recv()[14:] == b"secret to the GO"
    assert cl.vap.netdev.recv()[14:] == b"secret to the client"
    assert len(sent) >= 2 and all(f[1] & 0x40 for f in sent)  # the Protected bit
    assert not any(b"secret" in f for f in sent)


def test_pbc_group_formation_gives_a_wpa2_group_with_the_gos_passphrase():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    go, cl, took = _form(s, a, b)
    go_dev, cl_dev = go.dev, cl.dev
    assert re.fullmatch(r"[A-Za-z0-9]{8}", go.passphrase)  # p2p_passphrase_len 8
    # wpa_supplicant's GO hands a P2P client the PSK (64 hex digits), not the passphrase
    assert cl.passphrase == go.psk.hex() and cl.psk == go.psk
    assert cl.vap.rsn.cfg.raw_psk == go.psk
    assert go.vap.rsn is not None and go.vap.rsn.cfg.security == "wpa2-psk"
    assert cl.vap.rsn.state == "completed" and cl.vap.rsn.hooks is cl.wps and not cl.wps.enrollee
    ssid = go.ssid.decode()
    psk = pmk_from_passphrase(go.passphrase.encode(), go.ssid).hex()
    gaddr = mac_str(go_dev.address)
    # the events a wpa_cli user waits for, in wpa_supplicant's order
    assert has(go_dev, "P2P-GROUP-STARTED") == [
        f'P2P-GROUP-STARTED {go.name} GO ssid="{ssid}" freq={go.chan.freq} passphrase="{go.passphrase}" '
        f"go_dev_addr={gaddr}"]
    assert has(cl_dev, "P2P-GROUP-STARTED") == [
        f'P2P-GROUP-STARTED {cl.name} client ssid="{ssid}" freq={go.chan.freq} psk={psk} go_dev_addr={gaddr}']
    order = [e.split()[0] for e in cl_dev.events if e.split()[0] in (
        "WPS-SUCCESS", "P2P-GROUP-FORMATION-SUCCESS", "CTRL-EVENT-CONNECTED", "P2P-GROUP-STARTED")]
    assert order == ["WPS-SUCCESS", "P2P-GROUP-FORMATION-SUCCESS", "CTRL-EVENT-CONNECTED",
                     "P2P-GROUP-STARTED"]
    order = [e.split()[0] for e in go_dev.events if e.split()[0] in (
        "WPS-REG-SUCCESS", "P2P-GROUP-FORMATION-SUCCESS", "P2P-GROUP-STARTED", "AP-STA-CONNECTED")]
    assert order == ["WPS-REG-SUCCESS", "P2P-GROUP-FORMATION-SUCCESS", "P2P-GROUP-STARTED",
                     "AP-STA-CONNECTED"]
    assert has(go_dev, "AP-STA-CONNECTED") == [
        f"AP-STA-CONNECTED {mac_str(cl.vap.macaddr)} p2p_dev_addr={mac_str(cl_dev.address)}"]
    assert go.wps.successes == 1 and not go.wps.auth.pbc_active(s.now_ns)  # the button popped out
    assert cl.wps.attempts == 1
    assert took < 3 * SEC  # negotiation, WPS, reconnection and the 4-way handshake, in virtual time
    _data_flows_encrypted(s, go, cl)


def test_pin_group_formation_display_and_keypad():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    pin = a.connect(b.address, "pin", auth=True)  # a shows a PIN (wpa_cli p2p_connect <b> pin auth)
    assert pin is not None and len(pin) == 8
    b.connect(a.address, pin, pin_mode="keypad")  # b's user types it
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED")
                       and (has(a, "AP-STA-CONNECTED") or has(b, "AP-STA-CONNECTED")), 10 * SEC), \
        (a.events, b.events)
    assert any("wps_method=Display" in e for e in has(a, "P2P-GO-NEG-SUCCESS"))
    assert any("wps_method=Keypad" in e for e in has(b, "P2P-GO-NEG-SUCCESS"))
    (ga,), (gb,) = a.groups.values(), b.groups.values()
    go, cl = (ga, gb) if ga.role == "GO" else (gb, ga)
    assert "WPS-SUCCESS" in cl.dev.events and go.wps.auth.pins == {}  # the PIN is spent
    _data_flows_encrypted(s, go, cl)


def test_a_wrong_pin_fails_with_the_event_and_no_group_is_left():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    b.connect(a.address, "12345670", pin_mode="display", auth=True, go_intent=15)  # b: the GO
    a.connect(b.address, "99995670", go_intent=0)  # a typed the first half wrong
    assert s.run_until(lambda: has(a, "P2P-GROUP-FORMATION-FAILURE"), 10 * SEC), (a.events, b.events)
    assert "WPS-FAIL msg=8 config_error=18" in a.events  # at M4: the registrar's R-Hash1 does not verify
    assert "WPS-FAIL msg=8 config_error=18" in b.events  # the registrar reads the enrollee's NACK
    assert not has(a, "P2P-GROUP-STARTED") and not a.groups and not has(b, "P2P-GROUP-STARTED")
    (g,) = b.groups.values()
    assert g.wps.failures == 1 and g.wps.successes == 0
    # the GO gives up when formation times out (wpa_supplicant's 15 s)
    assert s.run_until(lambda: not b.groups, 20 * SEC)
    assert has(b, "P2P-GROUP-FORMATION-FAILURE")


def test_a_wrong_second_half_fails_at_m6():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    b.connect(a.address, "12345670", pin_mode="display", auth=True, go_intent=15)
    a.connect(b.address, "12349999", go_intent=0)
    assert s.run_until(lambda: has(a, "P2P-GROUP-FORMATION-FAILURE"), 10 * SEC)
    assert "WPS-FAIL msg=10 config_error=18" in a.events and not a.groups


def _invited_pair(n=3):
    s, d, devs, _ = setup_world(n)
    go_dev = devs[0]
    g = go_dev.group_add(freq=2462)
    assert s.run_until(lambda: g.up, 1 * SEC)
    assert has(go_dev, "P2P-GROUP-STARTED")[0].endswith(f'passphrase="{g.passphrase}" '
                                                        f"go_dev_addr={mac_str(go_dev.address)}")
    discover(s, devs)
    for x in devs[1:]:
        x.listen()
        go_dev.invite(g.name, x.address)
        assert s.run_until(lambda x=x: has(x, "P2P-INVITATION-RECEIVED"), 3 * SEC)
    return s, devs, g


def test_pbc_overlap_within_the_walk_time_refuses_the_second_enrollee():
    s, (a, b, c), g = _invited_pair()
    assert g.wps.push_button() and "WPS-PBC-ACTIVE" in a.events
    b.connect(a.address, "pbc", join=True)
    # b's M1 reached the registrar (a PBC session), then b went away mid-exchange
    assert s.run_until(lambda: g.wps.auth.sessions, 3 * SEC)
    for name in list(b.groups):
        b.group_remove(name)
    s.run_for(100 * MS)
    assert g.wps.successes == 0
    c.connect(a.address, "pbc", join=True)  # a second button pressed within the walk time
    assert s.run_until(lambda: has(c, "P2P-GROUP-FORMATION-FAILURE"), 5 * SEC), c.events
    assert "WPS-OVERLAP-DETECTED" in a.events and "WPS-FAIL msg=4 config_error=12" in a.events
    assert "WPS-M2D dev_password_id=4 config_error=12" in c.events and not c.groups
    assert g.wps.auth.overlaps == 1 and g.wps.successes == 0
    # two PBC enrollees within the monitor time: pressing the button again is refused
    assert g.wps.push_button() is False and a.events[-1] == "WPS-OVERLAP-DETECTED"
    # ... until the walk time has passed; then c gets in
    s.run_for(121 * SEC)
    assert g.wps.push_button()
    c.listen()
    a.invite(g.name, c.address)
    assert s.run_until(lambda: len(has(c, "P2P-INVITATION-RECEIVED")) == 2, 3 * SEC)
    c.connect(a.address, "pbc", join=True)
    assert s.run_until(lambda: has(c, "P2P-GROUP-STARTED"), 5 * SEC), c.events[-5:]
    assert g.wps.successes == 1


def test_the_walk_time_ends_push_button():
    s, (a, b), g = _invited_pair(2)
    assert g.wps.push_button()
    s.run_for(121 * SEC)  # nobody came within the walk time
    b.connect(a.address, "pbc", join=True)
    assert s.run_until(lambda: has(b, "P2P-GROUP-FORMATION-FAILURE"), 5 * SEC)
    assert "WPS-M2D dev_password_id=4 config_error=0" in b.events and not b.groups


def test_persistent_group_is_stored_listed_and_reinvoked_without_wps():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    go, cl, _ = _form(s, a, b, kw_a={"persistent": True, "go_intent": 15}, kw_b={"persistent": True})
    assert go.dev is a
    assert has(a, "P2P-GROUP-STARTED")[0].endswith(" [PERSISTENT]")
    assert has(b, "P2P-GROUP-STARTED")[0].endswith(" [PERSISTENT]")
    (na,), (nb,) = a.persistent.networks.values(), b.persistent.networks.values()
    assert (na.role, nb.role) == ("GO", "client") and na.passphrase == go.passphrase
    assert nb.passphrase == go.psk.hex()  # the client keeps the PSK it got
    assert a.persistent.list_networks() == (
        f"network id / ssid / bssid / flags\n0\t{go.ssid.decode()}\t{mac_str(a.address)}\t[P2P-PERSISTENT]\n")
    ssid = go.ssid
    a.group_remove(go.name)
    assert s.run_until(lambda: not a.groups and not b.groups, 3 * SEC)
    wps_before = b.events.count("WPS-SUCCESS")
    n_started = len(has(b, "P2P-GROUP-STARTED"))
    # re-invoked: the invitee accepts (persistent_reconnect), both start with
    # the stored passphrase; no WPS this time
    b.persistent_reconnect = True
    b.listen()
    a.invite_persistent(na.id, b.address)
    assert s.run_until(lambda: len(has(b, "P2P-GROUP-STARTED")) > n_started and has(a, "AP-STA-CONNECTED")
                       and len(has(a, "AP-STA-CONNECTED")) == 2, 10 * SEC), (a.events[-6:], b.events[-6:])
    assert "P2P-INVITATION-RESULT status=0" in a.events
    assert b.events.count("WPS-SUCCESS") == wps_before
    (g2,), (c2,) = a.groups.values(), b.groups.values()
    assert g2.ssid == c2.ssid == ssid and g2.passphrase == na.passphrase and c2.psk == g2.psk
    assert has(b, "P2P-GROUP-STARTED")[-1].endswith(" [PERSISTENT]") and g2.wps.successes == 0
    _data_flows_encrypted(s, g2, c2)


def test_persistent_invitation_without_persistent_reconnect_asks_the_user():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    go, cl, _ = _form(s, a, b, kw_a={"persistent": True, "go_intent": 15}, kw_b={"persistent": True})
    a.group_remove(go.name)
    assert s.run_until(lambda: not b.groups, 3 * SEC)
    b.listen()
    a.invite_persistent(0, b.address)
    assert s.run_until(lambda: has(a, "P2P-INVITATION-RESULT"), 5 * SEC)
    assert has(a, "P2P-INVITATION-RESULT")[-1] == "P2P-INVITATION-RESULT status=1"
    got = has(b, "P2P-INVITATION-RECEIVED")[-1]
    assert got.startswith(f"P2P-INVITATION-RECEIVED sa={mac_str(a.address)} persistent=0 freq=")
    assert not a.groups and not b.groups


def test_a_group_is_persistent_only_when_both_ask():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    _form(s, a, b, kw_a={"persistent": True})
    assert not a.persistent.networks and not b.persistent.networks
    assert not any(e.endswith("[PERSISTENT]") for e in has(a, "P2P-GROUP-STARTED"))


def test_same_seed_same_run():
    def run():
        s, d, (a, b), _ = setup_world()
        discover(s, (a, b))
        go, cl, took = _form(s, a, b)
        return go.passphrase, took, a.events, b.events
    assert run() == run()


def test_the_client_vap_is_a_p2p_client_with_rsn_state_of_its_own():
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    go, cl, _ = _form(s, a, b)
    assert cl.vap.opmode is OpMode.P2P_CLIENT and cl.vap.state == State.RUN
    desc = cl.vap.describe()["security"]
    assert desc["security"] == "wpa2-psk" and desc["state"] == "completed" and desc["akm"]
    assert go.vap.describe()["security"]["counters"]["wps_assoc"] == 1


# -- tshark -------------------------------------------------------------------------------
def test_tshark_dissects_the_wps_exchange_without_warnings(tmp_path):
    exe = require_tool("tshark")
    s, d, (a, b), _ = setup_world()
    mon = d.add_device().create_vap("mon0", "monitor", channel=6)
    mon.up()
    s.run_for(1 * MS)
    path = tmp_path / "wps.pcap"
    mon.capture(path)
    discover(s, (a, b))
    go, cl, _ = _form(s, a, b, kw_a={"freq": 2437}, kw_b={"freq": 2437})
    assert go.chan.freq == 2437
    _data_flows_encrypted(s, go, cl)
    mon.stop_capture()
    fields = ("frame.number", "frame.protocols", "eap.code", "eap.type", "wps.message_type",
              "eap.ext.vendor_id",
              "_ws.expert.severity", "_ws.expert.message", "_ws.malformed", "wlan.fc.protected",
              "wps.network_key", "data.data")
    args = [exe, "-n", "-r", str(path), "-o", "wlan.enable_decryption:TRUE",
            "-o", f'uat:80211_keys:"wpa-pwd","{go.passphrase}:{go.ssid.decode()}"',
            "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=;",
            *[x for f in fields for x in ("-e", f)]]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [dict(zip(fields, ln.split("|"), strict=True)) for ln in proc.stdout.splitlines()]
    assert not [r for r in rows if r["_ws.malformed"]]
    eap = [r for r in rows if r["eap.code"]]
    # the WSC messages: M1..M8 (0x04..0x0c) and Done (0x0f) in order
    types = [int(t, 16) for r in eap for t in r["wps.message_type"].split(";") if t]
    assert types == [4, 5, 7, 8, 9, 10, 11, 12, 15], types
    codes = [r["eap.code"] for r in eap]
    assert codes[-1] == "4"  # EAP-Failure ends WPS
    bad = [(r["frame.number"], r["_ws.expert.message"]) for r in eap
           if any(int(v) >= PI_WARN for v in r["_ws.expert.severity"].split(";") if v)]
    assert not bad
    kinds = [(r["eap.code"], r["eap.type"]) for r in eap]
    first_wsc = kinds.index(("1", "254"))
    # Identity first: the GO's request (again if the client's EAPOL-Start crossed it,
    # as hostapd restarts on one) and the client's answer, then WSC_Start
    assert kinds[0] == ("1", "1") and kinds[first_wsc - 1] == ("2", "1")
    assert set(kinds[:first_wsc]) == {("1", "1"), ("2", "1")}
    # the credential is inside the Encrypted Settings: not readable in M8
    assert not any(r["wps.network_key"] for r in rows)
    # the data after the reconnection decrypts with the passphrase WPS delivered
    prot = [r for r in rows if r["wlan.fc.protected"] == "1" and r["data.data"]]
    payloads = {bytes.fromhex(r["data.data"])[-20:] for r in prot}
    assert any(p.endswith(b"secret to the GO") for p in payloads), payloads
    assert any(p.endswith(b"secret to the client") for p in payloads)


# -- hostile EAP-WSC at the vaps ------------------------------------------------------------------
def _hostile(pdus_to_go, pdus_to_client):
    from net80211.output import FROM_DS, TO_DS, data_frame
    from net80211.security import EAPOL_SNAP

    s, (a, b), g = _invited_pair(2)
    assert g.wps.push_button()
    b.connect(a.address, "pbc", join=True)
    assert s.run_until(lambda: g.wps.sessions, 3 * SEC)  # b associated for WPS: EAP runs
    (cl,) = b.groups.values()
    go_vap, cl_vap = g.vap, cl.vap
    node = go_vap.ic.nodes.find(go_vap, cl_vap.macaddr)
    assert node is not None and node.rsn.wps
    for pdu in pdus_to_go:
        f = data_frame(TO_DS, go_vap.macaddr, cl_vap.macaddr, go_vap.macaddr, 1, EAPOL_SNAP + pdu)
        go_vap.rsn.rx_data(f, 0, TO_DS, node)
    bss = cl_vap.sta.bss_node
    for pdu in pdus_to_client:
        if bss is None or bss.rsn is None:
            break
        f = data_frame(FROM_DS, cl_vap.macaddr, go_vap.macaddr, go_vap.macaddr, 1, EAPOL_SNAP + pdu)
        cl_vap.rsn.rx_data(f, 0, FROM_DS, bss)
    s.run_for(5 * SEC)
    return s, a, b, g, cl


def _wsc(code, ident, op, msg):
    from net80211.wps.eap import Eap

    eap = Eap(code, ident, 254, msg, op).to_bytes()
    return b"\x02\x00" + len(eap).to_bytes(2, "big") + eap


@settings(max_examples=15, deadline=None)
@given(st.lists(st.binary(max_size=120) | st.builds(_wsc, st.sampled_from([1, 2, 3, 4]), st.integers(0, 255),
                                                     st.integers(1, 6), st.binary(max_size=300)), max_size=6),
       st.lists(st.binary(max_size=120) | st.builds(_wsc, st.sampled_from([1, 2, 3, 4]), st.integers(0, 255),
                                                     st.integers(1, 6), st.binary(max_size=300)), max_size=6))
def test_hostile_eap_wsc_at_the_vaps_is_dropped_and_never_installs_a_credential(to_go, to_client):
    s, a, b, g, cl = _hostile(to_go, to_client)
    # nothing crashed; whatever got through, a credential is the GO's or none
    if cl.wps.cred is not None:
        assert cl.wps.cred.key == g.psk.hex().encode() and cl.wps.cred.ssid == g.ssid
    if cl.passphrase:
        assert cl.psk == g.psk
    reg_drops = sum(sum(r.drops.values()) for r, _ in g.wps.sessions.values())
    # the GO's registrar dropped what it got, or the exchange ended: done, failed at the
    # GO, or failed at the client (an EAP-Failure is unauthenticated: a hostile one ends
    # the client's attempt, as with wpa_supplicant, and the GO's session with it)
    client_failed = any(e.startswith("WPS-FAIL") for e in b.events)
    assert reg_drops or g.wps.successes or g.wps.failures or client_failed or not to_go


def test_the_gos_beacons_and_probe_responses_carry_the_p2p_ie_wpa_supplicant_expects():
    """A GO's Beacon: P2P Capability (group owner) and P2P Device ID; its Probe
    Response: P2P Capability, P2P Device Info and, once a client is
    associated, P2P Group Info with one client info descriptor per client
    (device and interface address, capability, device info): what
    wpa_supplicant's `p2p_connect <dev> pbc join` and its peer table read."""
    from net80211.beacon import beacon_frame, probe_resp_frame
    from net80211.p2p.wire import GROUP_CAPAB_GO, Attr, DeviceInfo, parse_group_info
    from net80211.wire.ie import p2p_attributes
    from net80211.wire.mgmt import MgmtFrame

    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    go, cl, _ = _form(s, a, b, kw_a={"go_intent": 15}, kw_b={"go_intent": 0})
    assert go.dev is a

    def p2p_of(frame):
        return dict(p2p_attributes(MgmtFrame.parse(frame).body.ies))

    beacon = p2p_of(beacon_frame(go.vap, 0))
    assert beacon[Attr.DEVICE_ID] == a.address and beacon[Attr.CAPABILITY][1] & GROUP_CAPAB_GO
    assert Attr.DEVICE_INFO not in beacon and Attr.GROUP_INFO not in beacon
    resp = p2p_of(probe_resp_frame(go.vap, b"\x02" * 6, 0))
    assert resp[Attr.CAPABILITY][1] & GROUP_CAPAB_GO
    assert DeviceInfo.parse(resp[Attr.DEVICE_INFO]).addr == a.address
    ((intf, capab, info),) = parse_group_info(resp[Attr.GROUP_INFO])
    assert intf == cl.vap.macaddr and info.addr == b.address and info.name == "dev1"
    assert capab == b.dev_capab and info.config_methods == b.config_methods
    # the client leaves: no longer listed
    cl.remove()
    s.run_for(200 * MS)
    assert Attr.GROUP_INFO not in p2p_of(probe_resp_frame(go.vap, b"\x02" * 6, 0))


def test_group_info_parsing_refuses_truncated_descriptors():
    import pytest as _pytest

    from net80211.p2p.wire import DeviceInfo, client_info, parse_group_info
    from net80211.wire.frame import FrameError

    di = DeviceInfo(b"\x02" * 6, 0x188, bytes(8), "peer").to_bytes()
    blob = client_info(di, b"\x06" * 6, 0x25)
    assert parse_group_info(blob + blob)[1][0] == b"\x06" * 6
    for bad in (blob[:-1], blob[:5], b"\x05abcde"):
        with _pytest.raises(FrameError):
            parse_group_info(bad)


def test_a_device_joining_an_autonomous_go_is_reported_by_its_p2p_device_address():
    """AP-STA-CONNECTED names a joined client's P2P device address from the P2P
    Device Info of its association (wpa_supplicant's p2p_dev_addr=), not its
    interface address."""
    s, d, (a, b), _ = setup_world()
    g = a.group_add()
    s.run_for(300 * MS)
    discover(s, (a, b))
    g.wps.push_button()
    b.connect(a.address, "pbc", join=True, auth=True)
    b.listen()
    a.invite(g.name, b.address)
    assert s.run_until(lambda: has(a, "AP-STA-CONNECTED") and has(b, "P2P-GROUP-STARTED"), 10 * SEC), \
        (a.events, b.events)
    (cl,) = b.groups.values()
    assert has(a, "AP-STA-CONNECTED")[0] == \
        f"AP-STA-CONNECTED {mac_str(cl.vap.macaddr)} p2p_dev_addr={mac_str(b.address)}"
