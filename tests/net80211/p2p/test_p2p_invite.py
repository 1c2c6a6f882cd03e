"""Invitation to an active P2P group: the invited device joins as a client."""

import errno
import os
import shutil
import tempfile

import pytest
from support.p2p import discover, has, setup_world

from ic import MS, SEC, OpMode, State, mac_str
from net80211.ctl.p2p import CtrlSocket
from net80211.p2p.wire import Attr, P2PAction, Subtype, chan_attr
from net80211.wire.data import build_ether
from net80211.wire.mgmt import Action, MgmtFrame


def go_with_peer(n=2):
    s, d, devs, _ = setup_world(n)
    a = devs[0]
    g = a.group_add(freq=2462)
    assert s.run_until(lambda: g.up, 1 * SEC)
    discover(s, devs)
    return s, d, devs, g


def test_invitation_received_then_join():
    s, d, (a, b), g = go_with_peer()
    b.listen()
    a.invite(g.name, b.address)
    assert s.run_until(lambda: has(a, "P2P-INVITATION-RESULT"), 3 * SEC), (a.events, b.events)
    assert has(a, "P2P-INVITATION-RESULT") == ["P2P-INVITATION-RESULT status=1"]  # ask the user
    assert has(b, "P2P-INVITATION-RECEIVED") == [
        f"P2P-INVITATION-RECEIVED sa={mac_str(a.address)} go_dev_addr={mac_str(a.address)} "
        f"bssid={mac_str(g.vap.macaddr)} unknown-network"]
    assert not b.groups
    # the group is WPA2-PSK: the GO's user presses its button (wpa_cli wps_pbc on
    # the group interface), the invited user accepts: join with WPS, then the credential
    assert g.wps.push_button()
    b.connect(a.address, "pbc", join=True)
    assert s.run_until(lambda: has(b, "P2P-GROUP-STARTED") and has(a, "AP-STA-CONNECTED"), 3 * SEC), b.events
    (cl,) = b.groups.values()
    assert cl.role == "client" and cl.vap.opmode is OpMode.P2P_CLIENT and cl.vap.state == State.RUN
    assert cl.vap.bssid == g.vap.macaddr and cl.ssid == g.ssid and cl.chan.freq == 2462
    assert cl.psk == g.psk and "WPS-SUCCESS" in b.events
    assert has(b, "P2P-GROUP-STARTED")[0].endswith(
        f"freq=2462 psk={g.psk.hex()} go_dev_addr={mac_str(a.address)}")
    cl.vap.netdev.send(build_ether(g.vap.macaddr, cl.vap.macaddr, 0x0800, b"joined"))
    s.run_for(50 * MS)
    assert g.vap.netdev.recv()[14:] == b"joined"
    # the GO ends the group: the invited client leaves too
    a.group_remove(g.name)
    assert s.run_until(lambda: not b.groups, 2 * SEC)


def test_authorized_invitation_joins_at_once_and_a_client_can_invite():
    s, d, (a, b, c), g = go_with_peer(3)
    assert g.wps.push_button()
    b.connect(a.address, "pbc", join=True, auth=True)
    b.listen()
    a.invite(g.name, b.address)
    assert s.run_until(lambda: b.groups and all(x.up for x in b.groups.values()), 3 * SEC), b.events
    assert "P2P-INVITATION-RESULT status=0" in a.events
    assert not has(b, "P2P-INVITATION-RECEIVED")
    # b, a client of a's group, invites c: c joins a's group, with a PIN the GO takes
    g.wps.add_pin("12345670")
    c.connect(b.address, "12345670", join=True, auth=True)
    c.listen()
    (bg,) = b.groups.values()
    b.invite(bg.name, c.address)
    assert s.run_until(lambda: c.groups and all(x.up for x in c.groups.values()), 3 * SEC), c.events
    (cg,) = c.groups.values()
    assert cg.go_dev == a.address and cg.vap.bssid == g.vap.macaddr
    assert "P2P-INVITATION-RESULT status=0" in b.events


def test_invite_errors():
    s, d, (a, b), g = go_with_peer()
    for args, code in (((g.name, "02:99:99:99:99:99"), errno.ENXIO), (("p2p-none", b.address), errno.ENXIO),
                       ((g.name, "zz"), errno.EINVAL)):
        with pytest.raises(OSError) as ei:
            a.invite(*args)
        assert ei.value.errno == code
    with pytest.raises(OSError) as ei:
        b.connect(a.address, "pbc", join=True)  # no invitation: the group is unknown
    assert ei.value.errno == errno.EOPNOTSUPP


@pytest.mark.parametrize("attrs,status", [
    ({Attr.INVITATION_FLAGS: b"\x00"}, 4),  # no group id
    ({Attr.INVITATION_FLAGS: b"\x01", Attr.GROUP_ID: b"\x02" * 6 + b"DIRECT-xy"}, 8),  # persistent
    ({Attr.INVITATION_FLAGS: b"\x00", Attr.GROUP_ID: b"\x02" * 6 + b"DIRECT-xy",
      Attr.OPERATING_CHANNEL: chan_attr(6), Attr.GROUP_BSSID: b"\x06" * 6}, 1),
])
def test_invitation_request_statuses(attrs, status):
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    b.listen()
    s.run_for(20 * MS)
    sent = []
    orig = b.wdev.mgmt_tx
    b.wdev.mgmt_tx = lambda frame, *x, **kw: (sent.append(frame), orig(frame, *x, **kw))[1]
    req = P2PAction(Subtype.INVITATION_REQ, 9, attrs).to_body()
    f = MgmtFrame(Action(req[0], req[1], req[2:]), b.address, a.address, b.address).to_bytes()
    b._rx(f, b.listen_chan.freq, -30)
    resp = P2PAction.parse_body(sent[-1][24:])
    assert resp.subtype == Subtype.INVITATION_RESP and resp.token == 9
    assert resp.attrs[Attr.STATUS] == bytes((status,))
    assert bool(has(b, "P2P-INVITATION-RECEIVED")) == (status == 1)


def test_p2p_invite_over_the_control_socket():
    s, d, (a, b), g = go_with_peer()
    tmp = tempfile.mkdtemp(prefix="p2pi", dir="/tmp")
    try:
        ca = CtrlSocket(a, os.path.join(tmp, "a"), s)
        cb = CtrlSocket(b, os.path.join(tmp, "b"), s)
        assert cb.handle("P2P_LISTEN") == "OK\n"
        for bad in (f"P2P_INVITE peer={mac_str(b.address)}",
                    f"P2P_INVITE group=nope peer={mac_str(b.address)}",
                    f"P2P_INVITE persistent=0 peer={mac_str(b.address)}",
                    f"P2P_INVITE group={g.name} peer={mac_str(b.address)} freq=2412"):
            assert ca.handle(bad) == "FAIL\n", bad
        assert ca.handle(f"P2P_INVITE group={g.name} peer={mac_str(b.address)} freq=2462") == "OK\n"
        assert s.run_until(lambda: has(b, "P2P-INVITATION-RECEIVED"), 3 * SEC)
        assert ca.handle("WPS_PBC") == "OK\n"
        assert "WPS-PBC-ACTIVE" in a.events
        assert cb.handle(f"P2P_CONNECT {mac_str(a.address)} pbc join") == "OK\n"
        assert s.run_until(lambda: has(b, "P2P-GROUP-STARTED"), 3 * SEC)
        ca.close()
        cb.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
