"""Hostile input against protected vaps: malformed, replayed, out-of-order
and forged EAPOL-Key frames, bad MICs, wrong key lengths, truncated RSN
elements in association requests and beacons.  Each is dropped and counted
with its reason; none raises, none installs or changes a key."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ic import MS, SEC, RxInfo, Scheduler
from net80211.driver import open_driver
from net80211.input import input_all
from net80211.output import data_frame
from net80211.rsn.actions import build_key_frame
from net80211.rsn.policy import ApPolicy, Refusal
from net80211.scan import ScanResult
from net80211.security import EAPOL_SNAP
from net80211.wire.eapol import KeyInfo, gtk_kde, kde
from net80211.wire.ie import RSN, SSID, IEList
from net80211.wire.mgmt import AssocReq, Auth, AuthAlgorithm
from net80211.wire.rsn import AKM

PASS = "secret12"
_TO_DS, _FROM_DS = 0x01, 0x02


class Connected:
    """One AP and one station, associated with their keys in place."""

    def __init__(self, security: str = "wpa2-psk", pmf: str | None = None) -> None:
        self.s = Scheduler()
        self.d = open_driver("hwsim", self.s, radios=2)
        kw = {"security": security, "passphrase": PASS, **({"pmf": pmf} if pmf else {})}
        self.ap = self.d.devices[0].create_vap("ap0", "hostap", ssid="lab", channel=6, **kw)
        self.sta = self.d.devices[1].create_vap("sta0", "sta", ssid="lab", **kw)
        self.ap.up()
        self.sta.up()
        assert self.s.run_until(lambda: self.sta.rsn.state == "completed", 10 * SEC)
        self.s.run_for(20 * MS)
        self.node = self.ap.ic.nodes.find(self.ap, self.sta.macaddr)
        self.seq = 100

    def rx(self, vap, frame: bytes) -> None:
        input_all(vap.ic, frame, RxInfo(self.s.now_ns, 2437, -40, 0, False))

    def eapol_to(self, vap, pdu: bytes) -> None:
        self.seq += 1
        ap, sta = self.ap, self.sta
        if vap is sta:
            f = data_frame(_FROM_DS, sta.macaddr, ap.macaddr, ap.macaddr, self.seq, EAPOL_SNAP + pdu)
        else:
            f = data_frame(_TO_DS, ap.macaddr, sta.macaddr, ap.macaddr, self.seq, EAPOL_SNAP + pdu)
        self.rx(vap, f)

    def key_state(self):
        ap_keys = self.node.rsn.keys.pairwise
        sta_node = self.sta.bss_node
        return (ap_keys, ap_keys.key, sta_node.rsn.keys.pairwise, sta_node.rsn.keys.pairwise.key,
                tuple(self.sta.rsn.table.slots),
                tuple(k.key if k else None for k in self.sta.rsn.table.slots),
                tuple(self.ap.rsn.table.slots))


MSG3 = (KeyInfo.PAIRWISE | KeyInfo.INSTALL | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE
        | KeyInfo.ENCRYPTED_KEY_DATA)
GROUP1 = KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ACK | KeyInfo.ENCRYPTED_KEY_DATA
_info = st.sampled_from([
    KeyInfo.PAIRWISE | KeyInfo.ACK,  # msg 1/4 shape
    KeyInfo.PAIRWISE | KeyInfo.MIC,  # msg 2/4 shape
    MSG3,
    KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE,  # msg 4/4
    KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ACK | KeyInfo.ENCRYPTED_KEY_DATA,  # group msg 1/2
    KeyInfo.MIC | KeyInfo.SECURE,  # group msg 2/2
    KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.REQUEST,
    KeyInfo.PAIRWISE | KeyInfo.INSTALL,  # nonsense
])
_key_data = st.one_of(
    st.just(b""),
    st.binary(max_size=80),
    # GTKs of the wrong length
    st.builds(lambda k, kid: gtk_kde(kid, k), st.binary(min_size=0, max_size=40), st.integers(0, 3)),
    st.builds(lambda t, d: kde(t, d), st.integers(0, 20), st.binary(max_size=40)),
    st.just(bytes([0x30, 0x14]) + b"\x01\x00"),  # a truncated RSNE
)


@st.composite
def eapol_frames(draw):
    info = draw(_info)
    frame = build_key_frame(AKM.PSK, draw(st.one_of(st.none(), st.binary(min_size=16, max_size=16))), info,
                            key_length=draw(st.sampled_from([0, 16, 5, 32, 0xFFFF])),
                            replay=draw(st.sampled_from([0, 1, 2, 3, 2**64 - 1])),
                            nonce=draw(st.binary(min_size=32, max_size=32)),
                            key_data=draw(_key_data), version=draw(st.sampled_from([1, 2, 3])))
    how = draw(st.sampled_from(["as is", "truncate", "flip", "garbage", "length"]))
    if how == "truncate":
        frame = frame[:draw(st.integers(0, len(frame) - 1))]
    elif how == "flip":
        i = draw(st.integers(0, len(frame) - 1))
        frame = frame[:i] + bytes([frame[i] ^ (1 << draw(st.integers(0, 7)))]) + frame[i + 1:]
    elif how == "garbage":
        frame = draw(st.binary(max_size=200))
    elif how == "length":
        frame = frame[:2] + struct.pack(">H", draw(st.integers(0, 0xFFFF))) + frame[4:]
    return frame


_SETTINGS = settings(max_examples=150, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_WORLDS: dict[str, Connected] = {}


def _world(kind: str) -> Connected:
    w = _WORLDS.get(kind)
    if w is None:
        w = _WORLDS[kind] = Connected(pmf="required" if kind == "pmf" else None)
    return w


@given(eapol_frames(), st.sampled_from(["ap", "sta"]), st.sampled_from(["plain", "pmf"]))
@_SETTINGS
def test_hostile_eapol_key_frames_never_install_a_key(pdu, side, kind):
    w = _world(kind)
    vap = w.ap if side == "ap" else w.sta
    machine = w.node.rsn.auth if side == "ap" else w.sta.bss_node.rsn.supp
    before = w.key_state()
    drops = sum(machine.drops.values())
    sent = w.sta.stats.tx_packets if side == "sta" else w.ap.stats.tx_packets
    w.eapol_to(vap, pdu)
    w.s.run_for(5 * MS)
    assert w.key_state() == before
    # dropped with a reason, or (a well-formed msg 1/4 to the station) answered
    # with a msg 2/4 and nothing else: a new handshake needs the PMK's MIC
    answered = (w.sta.stats.tx_packets if side == "sta" else w.ap.stats.tx_packets) > sent
    assert sum(machine.drops.values()) == drops + 1 or (side == "sta" and answered)
    assert w.sta.rsn.state == "completed" and w.node.associated


def test_replayed_and_out_of_order_handshake_frames_are_dropped_as_such():
    w = Connected()
    supp = w.sta.bss_node.rsn.supp
    auth = w.node.rsn.auth
    # the real msg 3/4 again (its replay counter is spent): "replay"
    msg3 = build_key_frame(AKM.PSK, supp.ptk.kck, MSG3, key_length=16,
                           replay=supp.rx_replay, nonce=supp.anonce, key_data=bytes(24))
    w.eapol_to(w.sta, msg3)
    assert supp.drops["replay"] == 1
    # a msg 4/4 out of order (the handshake is done): the authenticator drops it
    msg4 = build_key_frame(AKM.PSK, supp.ptk.kck, KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE,
                           replay=auth.replay_counter)
    n = sum(auth.drops.values())
    w.eapol_to(w.ap, msg4)
    assert sum(auth.drops.values()) == n + 1
    # a group msg 1/2 with a good replay counter but a MIC under another key: "mic"
    g = build_key_frame(AKM.PSK, bytes(16), GROUP1, replay=supp.rx_replay + 1, key_data=bytes(24))
    w.eapol_to(w.sta, g)
    assert supp.drops["mic"] == 1
    # and the data path still works
    assert w.sta.transmit(w.ap.macaddr + w.sta.macaddr + b"\x08\x00" + bytes(40))
    w.s.run_for(10 * MS)
    assert len(w.ap.netdev.rx) == 1


@given(st.binary(max_size=40))
@settings(max_examples=150, deadline=None)
def test_truncated_or_random_rsn_elements_in_association_get_the_negotiated_status(body):
    w = _world("plain")
    ap = w.ap
    mac = bytes([2, 0, 0, 0x55, 0, 1])
    hdr = lambda sub: bytes([sub << 4, 0, 0, 0]) + ap.macaddr + mac + ap.macaddr + b"\x00\x00"  # noqa: E731
    w.rx(ap, hdr(11) + Auth(AuthAlgorithm.OPEN, 1).to_bytes())
    ies = IEList([SSID(b"lab"), *( [RSN(body)] if len(body) >= 2 else [])])
    w.rx(ap, hdr(0) + AssocReq(0x11, 10, ies).to_bytes())
    node = ap.ic.nodes.find(ap, mac)
    want = ApPolicy().negotiate(body) if len(body) >= 2 else None
    ok = want is not None and not isinstance(want, Refusal)
    assert node is not None and node.associated == ok
    if not ok:
        assert node.rsn is None or node.rsn.auth is None
    w.s.run_for(1 * MS)
    ap.mode.deauth_station(ap, mac)  # the next example starts from scratch
    assert w.sta.rsn.state == "completed"


@given(st.binary(max_size=40))
@settings(max_examples=150, deadline=None)
def test_a_station_ignores_bsses_with_broken_rsn_elements(body):
    w = _world("plain")
    r = ScanResult(b"\x02" * 6, b"lab", w.ap.channel, -40, capinfo=0x11,
                   ies=IEList([SSID(b"lab"), *([RSN(body)] if len(body) >= 2 else [])]))
    got = w.sta.rsn.select(r)
    if got is not None:
        sel, req = got
        assert sel.akm in (AKM.PSK, AKM.PSK_SHA256) and req.pairwise == (sel.pairwise,)


_SAE_WORLD: list[Connected] = []


@given(st.integers(1, 4), st.sampled_from([0, 1, 76, 126, 15]), st.one_of(
    st.binary(max_size=120),
    st.builds(lambda b: b"\x13\x00" + b, st.binary(min_size=0, max_size=130)),  # group 19, then anything
))
@settings(max_examples=150, deadline=None)
def test_hostile_sae_frames_never_authenticate(seq, status, payload):
    if not _SAE_WORLD:
        _SAE_WORLD.append(Connected("wpa3-sae"))
    w = _SAE_WORLD[0]
    ap = w.ap
    mac = bytes([2, 0, 0, 0x66, 0, 1])
    frame = bytes([0xB0, 0, 0, 0]) + ap.macaddr + mac + ap.macaddr + b"\x00\x00" + \
        struct.pack("<HHH", 3, seq, status) + payload
    drops = sum(ap.rsn.sae_drops.values())
    w.rx(ap, frame)
    w.s.run_for(50 * MS)
    if status not in (0, 126) or (seq == 2 and status):
        assert sum(ap.rsn.sae_drops.values()) == drops + 1  # refused by its status, counted
    node = ap.ic.nodes.find(ap, mac)
    assert node is None or not node.authed  # no SAE without the password
    assert w.sta.rsn.state == "completed"  # the real station is untouched
