"""P2P service discovery: GAS Initial Request/Response with P2P service TLVs."""

import os
import shutil
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.p2p import discover, has, setup_world

from ic import MS, SEC, mac_str
from net80211.ctl.p2p import CtrlSocket
from net80211.p2p.sd import (
    GAS_INITIAL_REQ,
    GAS_INITIAL_RESP,
    PROTO_ALL,
    PROTO_BONJOUR,
    PROTO_UPNP,
    gas_request,
    gas_response,
    parse_gas,
    req_tlv,
    resp_tlv,
    split_tlvs,
    upnp_query,
)
from net80211.wire.frame import FrameError
from net80211.wire.mgmt import Action, MgmtFrame

# _afpovertcp._tcp.local. PTR (compressed) and its RDATA, as in wpa_supplicant's README-P2P
BJ_QUERY = bytes.fromhex("0b5f6166706f766572746370c00c000c01")
BJ_RDATA = bytes.fromhex("074578616d706c65c027")
UPNP_SVC = "uuid:6859dede-8574-59ab-9332-123456789012::urn:schemas-upnp-org:service:ContentDirectory:2"


def responses(ev: str):
    return split_tlvs(bytes.fromhex(ev.split()[3]), response=True)


def test_wire_roundtrip_and_strictness():
    tlvs = req_tlv(PROTO_ALL, 1) + req_tlv(PROTO_UPNP, 2, upnp_query(0x10, "ssdp:all"))
    g = parse_gas(gas_request(7, 3, tlvs))
    assert (g.action, g.token, g.update, g.tlvs) == (GAS_INITIAL_REQ, 7, 3, tlvs)
    assert split_tlvs(tlvs, response=False) == [(0, 1, 0, b""), (2, 2, 0, b"\x10ssdp:all")]
    r = resp_tlv(PROTO_BONJOUR, 1, 0, BJ_QUERY + BJ_RDATA)
    g = parse_gas(gas_response(7, 4, r))
    assert (g.action, g.status, g.update) == (GAS_INITIAL_RESP, 0, 4)
    assert split_tlvs(g.tlvs, response=True) == [(1, 1, 0, BJ_QUERY + BJ_RDATA)]
    body = gas_request(7, 3, tlvs)
    for bad in (body[:2], body[:6], body[:-1], body[:3] + b"\x6c\x02\x00\x01" + body[7:],
                body.replace(b"\x50\x6f\x9a\x09", b"\x50\x6f\x9a\x0a")):
        with pytest.raises(FrameError):
            parse_gas(bad)
    with pytest.raises(FrameError):
        split_tlvs(b"\x05\x00\x01", response=False)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_gas_parser_fails_only_with_frame_error(data):
    for body in (data, bytes((4, 10)) + data, bytes((4, 11)) + data):
        try:
            g = parse_gas(body)
            split_tlvs(g.tlvs, response=g.action == GAS_INITIAL_RESP)
        except FrameError:
            pass


def sd_world(n=2):
    s, d, devs, _ = setup_world(n)
    discover(s, devs)
    for dv in devs:
        dv.stop_find()
    return s, d, devs


def test_query_all_services_of_a_peer():
    s, d, (a, b) = sd_world()
    a.sd.add_bonjour(BJ_QUERY, BJ_RDATA)
    a.sd.add_upnp(0x10, UPNP_SVC)
    a.listen()
    rid = b.sd.request(a.address, req_tlv(PROTO_ALL, 5))
    assert s.run_until(lambda: has(b, "P2P-SERV-DISC-RESP"), 3 * SEC), (a.events, b.events)
    req = has(a, "P2P-SERV-DISC-REQ")[0].split()
    assert req[1] == str(a.listen_chan.freq) and req[2] == mac_str(b.address) and req[5] == "02000005"
    resp = has(b, "P2P-SERV-DISC-RESP")[0]
    assert resp.split()[1:3] == [mac_str(a.address), "2"]  # two services added: update indicator 2
    assert responses(resp) == [(PROTO_BONJOUR, 5, 0, BJ_QUERY + BJ_RDATA),
                               (PROTO_UPNP, 5, 0, b"\x10" + UPNP_SVC.encode())]
    assert rid not in b.sd.requests  # a unicast request ends with its answer


@pytest.mark.parametrize("tlv,expect", [
    (req_tlv(PROTO_BONJOUR, 1, BJ_QUERY), [(PROTO_BONJOUR, 1, 0, BJ_QUERY + BJ_RDATA)]),
    (req_tlv(PROTO_BONJOUR, 2, b"\x01x\x00\x00\x0c\x01"), [(PROTO_BONJOUR, 2, 2, b"")]),  # not there
    (req_tlv(PROTO_UPNP, 3, upnp_query(0x10, "ssdp:all")), [(PROTO_UPNP, 3, 0, b"\x10" + UPNP_SVC.encode())]),
    (req_tlv(PROTO_UPNP, 4, upnp_query(0x10, "urn:schemas-upnp-org:service:ContentDirectory:2")),
     [(PROTO_UPNP, 4, 0, b"\x10" + UPNP_SVC.encode())]),
    (req_tlv(PROTO_UPNP, 5, upnp_query(0x20, "ssdp:all")), [(PROTO_UPNP, 5, 2, b"")]),  # other version
    (req_tlv(3, 6), [(3, 6, 1, b"")]),  # WS-Discovery: protocol not available
])
def test_specific_queries(tlv, expect):
    s, d, (a, b) = sd_world()
    a.sd.add_bonjour(BJ_QUERY, BJ_RDATA)
    a.sd.add_upnp(0x10, UPNP_SVC)
    a.listen()
    b.sd.request(a.address, tlv)
    assert s.run_until(lambda: has(b, "P2P-SERV-DISC-RESP"), 3 * SEC)
    assert responses(has(b, "P2P-SERV-DISC-RESP")[0]) == expect


def test_no_services_and_removal():
    s, d, (a, b) = sd_world()
    a.sd.add_upnp(0x10, UPNP_SVC)
    a.sd.del_upnp(0x10, UPNP_SVC)
    a.listen()
    b.sd.request(a.address, req_tlv(PROTO_ALL, 1) + req_tlv(PROTO_BONJOUR, 2))
    assert s.run_until(lambda: has(b, "P2P-SERV-DISC-RESP"), 3 * SEC)
    assert responses(has(b, "P2P-SERV-DISC-RESP")[0]) == [(0, 1, 1, b""), (1, 2, 1, b"")]
    with pytest.raises(OSError):
        a.sd.del_bonjour(BJ_QUERY)


def test_broadcast_query_reaches_every_peer_during_find_until_cancelled():
    s, d, (a, b, c) = sd_world(3)
    b.sd.add_bonjour(BJ_QUERY, BJ_RDATA)
    c.sd.add_upnp(0x10, UPNP_SVC)
    b.find()
    c.find()
    rid = a.sd.request("00:00:00:00:00:00", req_tlv(PROTO_ALL, 1))
    a.find()
    assert s.run_until(lambda: len(has(a, "P2P-SERV-DISC-RESP")) == 2, 10 * SEC), a.events
    by = {e.split()[1]: responses(e) for e in has(a, "P2P-SERV-DISC-RESP")}
    assert by[mac_str(b.address)] == [(PROTO_BONJOUR, 1, 0, BJ_QUERY + BJ_RDATA)]
    assert by[mac_str(c.address)] == [(PROTO_UPNP, 1, 0, b"\x10" + UPNP_SVC.encode())]
    s.run_for(10 * MS)
    assert a.state == "find"  # the search goes on after the queries
    assert rid in a.sd.requests  # a broadcast request lasts until cancelled
    a.sd.cancel(rid)
    assert rid not in a.sd.requests
    with pytest.raises(OSError):
        a.sd.cancel(rid)


def test_external_answers_and_the_control_socket():
    s, d, (a, b) = sd_world()
    tmp = tempfile.mkdtemp(prefix="p2ps", dir="/tmp")
    try:
        ca = CtrlSocket(a, os.path.join(tmp, "a"), s)
        cb = CtrlSocket(b, os.path.join(tmp, "b"), s)
        assert ca.handle(f"P2P_SERVICE_ADD bonjour {BJ_QUERY.hex()} {BJ_RDATA.hex()}") == "OK\n"
        assert ca.handle(f"P2P_SERVICE_ADD upnp 10 {UPNP_SVC}") == "OK\n"
        assert a.sd.bonjour == {BJ_QUERY: BJ_RDATA} and a.sd.upnp == [(0x10, UPNP_SVC)]
        assert ca.handle(f"P2P_SERVICE_DEL upnp 10 {UPNP_SVC}") == "OK\n" and not a.sd.upnp
        assert ca.handle("P2P_SERVICE_UPDATE") == "OK\n" and a.sd.update == 4
        assert ca.handle("P2P_SERV_DISC_EXTERNAL 1") == "OK\n"
        assert ca.handle("P2P_LISTEN") == "OK\n"
        rid = cb.handle(f"P2P_SERV_DISC_REQ {mac_str(a.address)} upnp 10 ssdp:all")
        assert int(rid, 16) in b.sd.requests
        assert s.run_until(lambda: has(a, "P2P-SERV-DISC-REQ"), 3 * SEC)
        ev = has(a, "P2P-SERV-DISC-REQ")[0].split()
        s.run_for(1_000_000)
        assert not has(b, "P2P-SERV-DISC-RESP")  # external: the client answers
        answer = resp_tlv(PROTO_UPNP, 1, 0, b"\x10urn:x").hex()
        assert ca.handle(f"P2P_SERV_DISC_RESP {ev[1]} {ev[2]} {ev[3]} {answer}") == "OK\n"
        assert s.run_until(lambda: has(b, "P2P-SERV-DISC-RESP"), 3 * SEC)
        assert responses(has(b, "P2P-SERV-DISC-RESP")[0]) == [(PROTO_UPNP, 1, 0, b"\x10urn:x")]
        rid2 = cb.handle("P2P_SERV_DISC_REQ 00:00:00:00:00:00 02000001").strip()
        assert cb.handle(f"P2P_SERV_DISC_CANCEL_REQ {rid2}") == "OK\n"
        assert cb.handle(f"P2P_SERV_DISC_CANCEL_REQ {rid2}") == "FAIL\n"
        assert ca.handle("P2P_SERVICE_FLUSH") == "OK\n" and not a.sd.bonjour
        ca.close()
        cb.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_malformed_gas_frames_are_counted():
    s, d, (a, b) = sd_world()
    before = a.vap.stats.rx_malformed
    for body in (bytes((4, 10, 1)), gas_request(1, 0, b"\x09\x00\x01"), gas_response(1, 0, b"\x01")):
        f = MgmtFrame(Action(body[0], body[1], body[2:]), a.address, b.address, a.address).to_bytes()
        a._rx(f, 2412, -30)
    assert a.vap.stats.rx_malformed == before + 2  # the unsolicited response is ignored before parsing TLVs
    assert not has(a, "P2P-SERV-DISC")


def test_close_with_queries_and_joins_due_is_clean():
    s, d, (a, b) = sd_world()
    b.listen()
    a.sd.request(b.address, req_tlv(PROTO_ALL, 1))  # its kick is due on the next tick
    a.inv.authorized.add(b.address)
    a.close()
    s.run_for(500 * MS)  # nothing runs on the closed device
    assert not a.groups and a.pending is None and not has(a, "P2P-SERV-DISC-RESP")
