"""RSN on real vaps: the AP's authenticator and the station's supplicant over
the simulated medium, the protected data path, PMF, SAE, GTK rekeys, the
wrong-passphrase path and its back-off, the configuration words."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from ic import MS, SEC, Callout, RxInfo, Scheduler, State, TxStatus
from net80211.driver import open_driver
from net80211.input import input_all
from net80211.output import data_frame
from net80211.rsn.pmksa import PmksaCache
from net80211.scenario import ScenarioError, ScenarioRun, loads_scenario
from net80211.security import EAPOL_SNAP, auth_failure_backoff_s
from net80211.wire.mgmt import Deauth, ReasonCode, StatusCode
from net80211.wire.rsn import AKM, Cipher, RSNInfo

PASS = "secret12"


class World:
    def __init__(self, ap_sec: str = "wpa2-psk", sta_sec: str | None = None, *, ap_pass: str = PASS,
                 sta_pass: str | None = None, nsta: int = 1, ap_kw: dict | None = None,
                 sta_kw: dict | None = None) -> None:
        self.s = Scheduler()
        self.d = open_driver("hwsim", self.s, radios=1 + nsta)
        r = self.d.devices
        akw = {"security": ap_sec, "passphrase": ap_pass} if ap_sec != "open" else {}
        self.ap = r[0].create_vap("ap0", "hostap", ssid="lab", channel=6, **akw, **(ap_kw or {}))
        sta_sec = ap_sec if sta_sec is None else sta_sec
        skw = {"security": sta_sec, "passphrase": sta_pass or ap_pass} if sta_sec != "open" else {}
        self.stas = [r[1 + i].create_vap(f"sta{i}", "sta", ssid="lab", **skw, **(sta_kw or {}))
                     for i in range(nsta)]
        self.ap.up()
        for v in self.stas:
            v.up()

    @property
    def sta(self):
        return self.stas[0]

    def connect(self, within=10 * SEC) -> None:
        assert self.s.run_until(lambda: all(v.rsn.state == "completed" for v in self.stas), within), \
            [v.rsn.describe() for v in self.stas]
        self.s.run_for(20 * MS)  # msg 4/4 reaches the AP
        for n in self.ap_nodes():
            assert n.rsn is not None and n.rsn.port_open

    def ap_nodes(self):
        return list(self.ap.ic.nodes.nodes(self.ap))

    def inject(self, vap, frame: bytes) -> None:
        input_all(vap.ic, frame, RxInfo(self.s.now_ns, 2437, -40, 0, False))


def _eth(dst: bytes, src: bytes, payload: bytes = b"x" * 60) -> bytes:
    return dst + src + b"\x08\x00" + payload


def _ping_both_ways(w: World) -> None:
    ap, sta = w.ap, w.sta
    before_ap, before_sta = len(ap.netdev.rx), len(sta.netdev.rx)
    assert sta.transmit(_eth(ap.macaddr, sta.macaddr, b"up" * 30))
    assert ap.transmit(_eth(sta.macaddr, ap.macaddr, b"down" * 20))
    assert ap.transmit(_eth(b"\xff" * 6, ap.macaddr, b"bcast" * 12))
    w.s.run_for(50 * MS)
    up = list(ap.netdev.rx)[before_ap:]
    assert len(up) == 1 and up[0].endswith(b"up" * 30)
    got = list(sta.netdev.rx)[before_sta:]
    assert len(got) == 2 and got[0].endswith(b"down" * 20) and got[1].endswith(b"bcast" * 12)


@pytest.mark.parametrize(("security", "akm", "mfp"), [
    ("wpa2-psk", "PSK", False), ("wpa3-sae", "SAE", True), ("wpa2-wpa3", "SAE", True),
])
def test_handshake_then_protected_data(security, akm, mfp):
    w = World(security)
    w.connect()
    sta = w.sta.rsn.describe()
    assert sta["akm"] == akm and sta["pairwise_cipher"] == "CCMP_128" and sta["group_cipher"] == "CCMP_128"
    assert sta["mfp"] is mfp and sta["ptk"] and sta["gtk_keyid"] == 1
    assert (sta["igtk_keyid"] == 4) is mfp
    _ping_both_ways(w)
    # every data frame went encrypted and came out decrypted
    assert w.ap.rsn.stats.tx_protected >= 2 and w.sta.rsn.stats.rx_decrypted >= 2
    assert w.ap.rsn.stats.rx_decrypted >= 1 and w.ap.rsn.stats.dropped == 0 and w.sta.rsn.stats.dropped == 0
    node = w.ap_nodes()[0]
    assert node.rsn.keys.pairwise.key == w.sta.bss_node.rsn.keys.pairwise.key
    assert w.ap.describe()["security"]["handshakes"] == 1


def test_a_wpa2_station_takes_the_psk_side_of_a_transition_network():
    w = World("wpa2-wpa3", "wpa2-psk")
    w.connect()
    assert w.sta.rsn.describe()["akm"] == "PSK"
    _ping_both_ways(w)


def test_open_and_protected_do_not_mix():
    w = World("wpa2-psk", "open")
    w.s.run_for(3 * SEC)
    assert w.sta.state == State.SCAN  # an open station skips a network with Privacy set
    w2 = World("open", "wpa2-psk")
    w2.s.run_for(3 * SEC)
    assert w2.sta.state == State.SCAN and w2.sta.rsn.state == "disconnected"
    w3 = World("wpa3-sae", "wpa2-psk")  # no AKM in common: the station does not try
    w3.s.run_for(3 * SEC)
    assert w3.sta.state == State.SCAN


@pytest.mark.parametrize(("tamper", "status"), [
    (lambda ie: RSNInfo(Cipher.TKIP, ie.pairwise, ie.akms, ie.capabilities), StatusCode.INVALID_GROUP_CIPHER),
    (lambda ie: RSNInfo(ie.group_cipher, ie.pairwise, (AKM.FT_PSK,), ie.capabilities),
     StatusCode.INVALID_AKMP),
    (lambda ie: RSNInfo(ie.group_cipher, (Cipher.TKIP,), ie.akms, ie.capabilities),
     StatusCode.INVALID_PAIRWISE_CIPHER),
    (lambda ie: RSNInfo(ie.group_cipher, ie.pairwise, ie.akms, 0), StatusCode.ROBUST_MGMT_POLICY),
])
def test_negotiation_refused_with_the_status_code(tamper, status):
    w = World("wpa2-psk", ap_kw={"pmf": "required"})
    sta = w.sta
    rsn = sta.rsn
    orig = type(rsn).choose

    def choose(self, bss):
        ok = orig(self, bss)
        self.target = self.target._replace(ours=tamper(RSNInfo.parse(self.target.ours)).body())
        return ok

    type(rsn).choose = choose
    try:
        w.s.run_until(lambda: sta.sta.last_status is not None, 5 * SEC)
    finally:
        type(rsn).choose = orig
    assert sta.sta.last_status == status
    assert w.ap.rsn.counters["assoc_refused"] >= 1 and not any(n.associated for n in w.ap_nodes())


def test_wrong_passphrase_fails_with_reason_15_and_backs_off_as_wpa_supplicant():
    w = World("wpa2-psk", sta_pass="wrongpass")
    sta, s = w.sta, w.s
    assert s.run_until(lambda: sta.rsn.state == "failed", 10 * SEC)
    t1 = s.now_ns
    d = sta.rsn.describe()
    assert d["last_failure"]["reason"] == ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT
    assert "passphrase" in d["last_failure"]["why"] and d["auth_failures"] == 1
    assert sta.sta.last_reason == ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT
    ap = w.ap.rsn.describe()
    assert ap["counters"]["deauth_handshake"] == 1 and ap["last_failure"]["reason"] == 15
    assert not w.ap_nodes()
    # msg 2/4 came with a bad MIC each time and never installed a key
    assert sta.bss_node is None and w.ap.rsn.stats.rx_decrypted == 0
    # no new attempt for 10 s (first failure), then 20 s after the second
    assert not s.run_until(lambda: sta.state >= State.AUTH, auth_failure_backoff_s(1) * SEC - 1 * SEC)
    assert s.run_until(lambda: sta.rsn.auth_failures == 2, 15 * SEC)
    t2 = s.now_ns
    assert t2 - t1 >= auth_failure_backoff_s(1) * SEC
    assert not s.run_until(lambda: sta.state >= State.AUTH, auth_failure_backoff_s(2) * SEC - 1 * SEC)


def test_unprotected_and_replayed_and_forged_data_are_dropped_and_counted():
    w = World("wpa2-psk")
    w.connect()
    ap, sta = w.ap, w.sta
    sent = []
    orig = w.d.devices[1].ic_transmit

    def spy(vap, frame):
        sent.append(frame)
        return orig(vap, frame)

    w.d.devices[1].ic_transmit = spy
    assert sta.transmit(_eth(ap.macaddr, sta.macaddr))
    w.s.run_for(10 * MS)
    w.d.devices[1].ic_transmit = orig
    prot = sent[-1]
    assert prot[1] & 0x40
    n = len(ap.netdev.rx)
    st = ap.rsn.stats
    w.inject(ap, prot)  # the same frame again (no Retry bit: not a duplicate, a replay)
    assert st.rx_replay == 1
    forged = bytearray(prot)
    forged[-3] ^= 1
    forged[22] = (forged[22] + 0x10) & 0xFF  # a new sequence number
    pn = bytearray(forged)
    pn[24] = (pn[24] + 5) & 0xFF  # a fresh PN, so the MIC is what fails
    w.inject(ap, bytes(pn))
    assert st.rx_mic == 1
    snap_ip = b"\xaa\xaa\x03\x00\x00\x00\x08\x00"
    plain = data_frame(0x01, ap.macaddr, sta.macaddr, ap.macaddr, 999, snap_ip + b"y" * 40)
    w.inject(ap, plain)
    assert st.rx_unprotected == 1
    assert len(ap.netdev.rx) == n  # none delivered
    assert st.dropped == 3


def test_gtk_rekey_on_interval_and_when_a_station_leaves():
    w = World("wpa2-psk", nsta=2, ap_kw={"group_rekey": 5})
    w.connect()
    ap = w.ap
    assert ap.rsn.describe()["gtk_keyid"] == 1
    # at the rekey the new GTK is installed for receive only, until both confirm
    assert w.s.run_until(lambda: ap.rsn.group_rekeys == 1, 6 * SEC)
    assert ap.rsn.describe()["gtk_keyid"] == 1 and ap.rsn.group_pending == {v.macaddr for v in w.stas}
    w.s.run_for(1 * SEC)
    assert ap.rsn.describe()["gtk_keyid"] == 2 and ap.rsn.counters["group_rekey_interval"] == 1
    # the new GTK became the transmit key once both stations had it
    assert ap.rsn.counters["group_tx_switch"] == 1 and ap.rsn.group_pending is None
    assert all(v.rsn.table.get(2) is not None for v in w.stas)
    assert ap.rsn.counters["group_handshakes"] == 2  # group msg 2/2 from each station
    assert all(v.rsn.counters["group_handshakes"] == 1 for v in w.stas)
    # group data under the new GTK reaches both
    assert ap.transmit(_eth(b"\xff" * 6, ap.macaddr, b"after rekey"))
    w.s.run_for(20 * MS)
    assert all(list(v.netdev.rx)[-1].endswith(b"after rekey") for v in w.stas)
    # one station leaves: the GTK changes (to key id 1 again) for the other
    w.stas[1].down()
    w.s.run_for(500 * MS)
    assert ap.rsn.counters["group_rekey_leave"] == 1 and ap.rsn.describe()["gtk_keyid"] == 1
    assert w.stas[0].rsn.counters["group_handshakes"] == 2


def test_pmf_unicast_deauthentication_goes_under_the_pairwise_key():
    w = World("wpa3-sae")
    w.connect()
    ap, sta = w.ap, w.sta
    assert ap.mode.deauth_station(ap, sta.macaddr, ReasonCode.UNSPECIFIED)
    w.s.run_for(20 * MS)
    assert sta.state != State.RUN and sta.sta.last_reason == ReasonCode.UNSPECIFIED
    assert sta.rsn.stats.rx_decrypted == 1 and ap.rsn.stats.tx_protected == 1


def test_pmf_protects_deauthentication_and_ignores_a_forged_one():
    w = World("wpa3-sae")
    w.connect()
    ap, sta = w.ap, w.sta
    # a forged, unprotected deauthentication "from the AP": ignored
    forged = bytes([0xC0, 0, 0, 0]) + sta.macaddr + ap.macaddr + ap.macaddr + b"\x00\x00" + \
        Deauth(ReasonCode.UNSPECIFIED).to_bytes()
    w.inject(sta, forged)
    w.s.run_for(10 * MS)
    assert sta.state == State.RUN and sta.rsn.stats.rx_unprotected == 1
    # the station asked its AP (SA Query, protected) and the AP answered
    w.s.run_for(1 * SEC)
    assert sta.state == State.RUN
    assert sta.rsn.counters["sa_query_ok"] == 1 and ap.rsn.counters["sa_query_answered"] == 1
    # the AP going down deauthenticates everyone with a broadcast frame under
    # BIP (the IGTK's MME), then each station under its pairwise key
    ap.down()
    w.s.run_for(20 * MS)
    assert sta.state != State.RUN and sta.sta.last_reason == ReasonCode.AUTH_LEAVE
    assert sta.rsn.stats.rx_bip_ok == 1


def test_sae_anti_clogging_token():
    w = World("wpa3-sae", nsta=2)
    w.ap.rsn.anti_clogging_threshold = 0  # every commit must carry a token
    w.connect()
    c = w.ap.rsn.counters
    assert c["sae_token_request"] >= 2 and c["sae_token_ok"] >= 2 and c["sae_accepted"] >= 2


def test_sae_wrong_password_fails_in_the_confirm():
    w = World("wpa3-sae", sta_pass="not the one")
    assert w.s.run_until(lambda: w.sta.rsn.state == "failed", 10 * SEC)
    assert w.sta.rsn.sae_drops["confirm"] >= 1 and w.sta.state != State.RUN
    # at the first confirm that does not verify, as wpa_supplicant, not after retransmissions
    assert w.sta.rsn.sae_drops["confirm"] == 1
    assert "password may be wrong" in w.sta.rsn.last_failure[1]
    assert w.sta.bss_node is None or w.sta.bss_node.rsn is None or w.sta.bss_node.rsn.keys.pairwise is None
    # and it keeps the network aside for wpa_supplicant's 10 s before the next try
    t1 = w.s.now_ns
    assert w.s.run_until(lambda: w.sta.rsn.auth_failures == 2, 30 * SEC)
    assert w.s.now_ns - t1 >= auth_failure_backoff_s(1) * SEC


def _sae_seq(frame: bytes) -> int:
    """The SAE transaction of an Authentication frame (0 for another algorithm)."""
    alg, seq = int.from_bytes(frame[24:26], "little"), int.from_bytes(frame[26:28], "little")
    return seq if alg == 3 else 0


def test_sae_station_waits_for_a_slow_ap():
    """A real AP on a loaded host answers a commit hundreds of milliseconds
    late (hostapd under qemu: around a second; frames after it wait their turn).  The station waits as
    mac80211 does (2 s per transmission) instead of giving up after the
    core's 40 ms x 5, and authenticates with the late answer."""
    w = World("wpa3-sae")
    port = w.d.devices[0].port
    rx = port.rx
    late = Callout(w.s)
    delayed: list[int] = []
    queue: list[tuple] = []  # what the AP has yet to take, in order (it is slow, not reordering)

    def take() -> None:
        while queue:
            rx(*queue.pop(0))
            if queue and _sae_seq(queue[0][0]) == 1:
                late.reset(900 * MS, take)
                return

    def slow(frame, info):  # the AP takes 900 ms over each SAE commit (its password element)
        if frame[0] == 0xB0 and _sae_seq(frame) == 1:
            delayed.append(_sae_seq(frame))
            if not queue:
                late.reset(900 * MS, take)
        elif not queue:
            rx(frame, info)
            return
        queue.append((frame, info))
    port.rx = slow
    w.connect(within=15 * SEC)
    assert delayed == [1]  # one commit: no retransmission, no second attempt
    assert w.sta.rsn.auth_failures == 0 and not w.sta.rsn.sae_drops


def test_sae_station_gives_up_on_a_silent_ap_as_mac80211():
    """No answer at all: three commits 2 s apart (IEEE80211_AUTH_TIMEOUT_SAE,
    IEEE80211_AUTH_MAX_TRIES), then a fresh attempt after wpa_supplicant's
    5 s authentication timeout; a silence is not a wrong password."""
    w = World("wpa3-sae")
    port = w.d.devices[0].port
    rx = port.rx
    commits: list[int] = []

    def silent(frame, info):  # the AP hears the commits and never answers
        if frame[0] == 0xB0 and _sae_seq(frame) == 1:
            commits.append(w.s.now_ns)
        else:
            rx(frame, info)
    port.rx = silent
    assert w.s.run_until(lambda: len(commits) >= 4, 10 * SEC)
    gaps = [b - a for a, b in zip(commits, commits[1:], strict=False)]
    assert gaps[:2] == [2 * SEC, 2 * SEC] and gaps[2] == 1 * SEC  # the 5 s restart, fresh instance
    assert w.sta.rsn.auth_failures == 0 and w.sta.rsn.state != "failed"


def test_same_seed_same_keys():
    def keys():
        w = World("wpa2-psk")
        w.connect()
        return w.ap_nodes()[0].rsn.keys.pairwise.key, w.ap.rsn.table.group_tx_key().key, w.s.now_ns
    assert keys() == keys()


@pytest.mark.parametrize(("kw", "word"), [
    ({"security": "wep"}, "security"),
    ({"security": "wpa2-psk"}, "passphrase"),
    ({"security": "wpa2-psk", "passphrase": "short"}, "passphrase"),
    ({"security": "wpa2-psk", "passphrase": PASS, "pmf": "maybe"}, "pmf"),
    ({"security": "wpa3-sae", "passphrase": PASS, "pmf": "optional"}, "pmf"),
    ({"passphrase": PASS}, "passphrase"),
])
def test_bad_security_words_are_named(kw, word):
    s = Scheduler()
    d = open_driver("hwsim", s, radios=1)
    with pytest.raises(OSError) as ei:
        d.devices[0].create_vap("wlan0", "hostap", ssid="x", channel=6, **kw)
    assert ei.value.errno == errno.EINVAL and word in str(ei.value)
    assert not d.devices[0].vaps


def test_modes_without_rsn_refuse_security():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=1)
    with pytest.raises(OSError) as ei:
        d.devices[0].create_vap("wlan0", "ibss", ssid="x", channel=6, security="wpa2-psk", passphrase=PASS)
    assert ei.value.errno in (errno.EOPNOTSUPP, errno.ENOTSUP) and "ibss" in str(ei.value)


def test_eapol_before_association_is_not_a_handshake():
    w = World("wpa2-psk")
    w.connect()
    ap, sta = w.ap, w.sta
    # an EAPOL frame in the clear from the station once its keys are in place: the
    # authenticator (in PTKINITDONE) drops it; no key changes
    key = ap.ic.nodes.nodes(ap)[0].rsn.keys.pairwise
    frame = data_frame(0x01, ap.macaddr, sta.macaddr, ap.macaddr, 77, EAPOL_SNAP + bytes(99))
    w.inject(ap, frame)
    assert ap.ic.nodes.nodes(ap)[0].rsn.keys.pairwise is key


SCENARIO = """\
[scenario]
seconds = 3

[radios]
names = ["r0", "r1"]

[[vaps]]
name = "ap0"
radio = "r0"
mode = "hostap"
ssid = "t"
channel = 1
{ap}

[[vaps]]
name = "sta0"
radio = "r1"
mode = "sta"
ssid = "t"
{sta}
"""


def test_a_protected_scenario_runs_and_summarises():
    sec = 'security = "wpa2-wpa3"\npassphrase = "secret12"'
    run = ScenarioRun(loads_scenario(SCENARIO.format(ap=sec, sta=sec), file="s.toml"))
    run.build()
    result = run.run()
    assert {v["state"] for v in result["vaps"]} == {"RUN"}
    assert run.vaps["sta0"].rsn.handshakes == 1 and run.vaps["sta0"].rsn.cfg.pmf.name == "OPTIONAL"


@pytest.mark.parametrize(("ap", "word"), [
    ('security = "wpa4"\npassphrase = "secret12"', "security"),
    ('security = "wpa2-psk"', "passphrase"),
    ('security = "wpa2-psk"\npassphrase = "short"', "passphrase"),
    ('security = "wpa2-psk"\npassphrase = "secret12"\npmf = "sometimes"', "pmf"),
    ('security = "wpa2-psk"\npassphrase = 12345678', "passphrase"),
])
def test_bad_security_in_a_scenario_names_the_key(ap, word):
    with pytest.raises(ScenarioError) as ei:
        loads_scenario(SCENARIO.format(ap=ap, sta=""), file="s.toml")
    text = str(ei.value)
    assert text.startswith("s.toml:") and "vaps[0]." in text and text.count("(EINVAL)") == 1
    assert word in text.split("vaps[0].", 1)[1], text


def test_p2p_go_and_client_vaps_run_the_same_handshakes():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=2)
    kw = {"security": "wpa2-psk", "passphrase": PASS}
    go = d.devices[0].create_vap("go0", "p2p-go", ssid="DIRECT-ab", channel=6, **kw)
    cli = d.devices[1].create_vap("cl0", "p2p-client", ssid="DIRECT-ab", **kw)
    go.up()
    cli.up()
    assert s.run_until(lambda: cli.rsn.state == "completed", 10 * SEC)
    s.run_for(20 * MS)
    assert cli.transmit(_eth(go.macaddr, cli.macaddr, b"p2p" * 20))
    s.run_for(20 * MS)
    assert list(go.netdev.rx)[-1].endswith(b"p2p" * 20) and go.rsn.stats.rx_decrypted == 1


def test_sa_query_unanswered_means_the_ap_lost_the_association():
    w = World("wpa3-sae")
    w.connect()
    ap, sta = w.ap, w.sta
    # the AP forgets the station without a word (as a reboot would) and then
    # tells it, unprotected, that it is not associated
    ap.ic.nodes.remove(w.ap_nodes()[0])
    forged = bytes([0xC0, 0, 0, 0]) + sta.macaddr + ap.macaddr + ap.macaddr + b"\x00\x00" + \
        Deauth(ReasonCode.NOT_ASSOCED).to_bytes()
    w.inject(sta, forged)
    t0 = w.s.now_ns
    assert w.s.run_until(lambda: sta.state != State.RUN, 2 * SEC)
    assert w.s.now_ns - t0 >= 1 * SEC  # the SA Query's timeout, not the frame, ended it
    assert sta.rsn.counters["sa_query_timeout"] == 1 and sta.rsn.counters["sa_query_ok"] == 0
    w.connect(within=20 * SEC)  # and it joins again


def test_a_protected_station_roams_with_a_handshake_at_each_ap():
    text = (Path(__file__).resolve().parents[2] / "examples" / "roaming.toml").read_text()
    sec = 'ssid = "campus"\nsecurity = "wpa2-psk"\npassphrase = "secret12"\n'
    text = text.replace('ssid = "campus"\n', sec)
    run = ScenarioRun(loads_scenario(text, file="roaming.toml"))
    run.build()
    result = run.run()
    sta = next(v for v in result["vaps"] if v["name"] == "sta0")
    assert sta["roaming"]["roams"] == 2 and len(sta["roaming"]["associations"]) == 3
    assert run.vaps["sta0"].rsn.handshakes == 3  # a fresh PTK with each AP
    for f in result["traffic"]:
        assert f["received"] >= 0.95 * f["sent"], f  # data kept flowing, protected
    assert all(run.vaps[f"bss{i}"].rsn.stats.rx_decrypted > 0 for i in range(3))


def test_the_ap_starts_the_handshake_once_its_association_response_is_acknowledged(monkeypatch):
    """hostapd's handle_assoc_cb: no msg 1/4 to a station that did not
    acknowledge its Association Response.  A station that got the response
    (its ACK lost) waits for msg 1/4 in vain and gives up after
    wpa_supplicant's 10 s authentication timeout: it deauthenticates (reason
    3), keeps the BSS aside for its back-off, then joins."""
    from net80211.modes import hostap

    lost: list[int] = []

    def ack_lost_once(vap, da, body, *, on_status=None, **kw):
        if on_status is not None and not lost and body.subtype == 1:
            lost.append(vap.ic.sched.now_ns)

            def as_lost(frame, st):
                on_status(frame, st._replace(acked=False))
            return send(vap, da, body, on_status=as_lost, **kw)
        return send(vap, da, body, on_status=on_status, **kw)

    send = hostap.send_mgmt
    monkeypatch.setattr(hostap, "send_mgmt", ack_lost_once)
    w = World("wpa2-psk")
    assert w.s.run_until(lambda: w.sta.state == State.RUN, 10 * SEC) and lost
    w.s.run_for(9 * SEC)
    # the AP never sent msg 1/4; the station still waits
    assert w.sta.rsn.state == "4way_handshake" and w.sta.rsn.counters.get("eapol_rx", 0) == 0
    assert w.sta.rsn.handshakes == 0
    assert w.s.run_until(lambda: w.sta.rsn.state == "failed", 2 * SEC)
    assert w.sta.rsn.last_failure == (3, "authentication timed out")
    assert w.sta.rsn.counters["auth_timeouts"] == 1
    assert 10 * SEC <= w.s.now_ns - lost[0] < 10 * SEC + 100 * MS
    # back-off, then a new association whose response is acknowledged: the handshake runs
    assert w.s.run_until(lambda: w.sta.rsn.state == "completed", 60 * SEC)
    assert w.sta.rsn.handshakes == 1


def test_msg1_that_overtakes_the_association_is_held_not_lost(monkeypatch):
    """The AP's msg 1/4 can arrive before the station has moved to RUN (a
    real hostapd's, through a slow medium); the station holds it
    (wpa_supplicant's pending EAPOL) and the 4-way handshake completes at
    once instead of after the AP's 1 s retransmission.  Our AP waits for
    the ACK of its Association Response, so here it is made to start at once."""
    from net80211.modes import hostap

    def send_now(vap, da, body, *, on_status=None, **kw):
        ok = send(vap, da, body, **kw)
        if on_status is not None:
            on_status(b"", TxStatus(0, vap.ic.sched.now_ns, True, 0, (), False))
        return ok

    send = hostap.send_mgmt
    monkeypatch.setattr(hostap, "send_mgmt", send_now)
    w = World("wpa2-psk")
    assert w.s.run_until(lambda: w.sta.state == State.RUN, 10 * SEC)
    t_run = w.s.now_ns
    assert w.s.run_until(lambda: w.sta.rsn.state == "completed", 10 * SEC)
    assert w.s.now_ns - t_run < 100 * MS
    assert w.sta.rsn.counters["eapol_early"] == 1
    assert w.sta.rsn.early_eapol is None  # taken by the handshake


# -- SAE hash-to-element (sae_pwe) -------------------------------------------------
def _rsnxe_of(frame_ies) -> bytes | None:
    el = next((e for e in frame_ies if e.eid == 244), None)
    return None if el is None else el.body()


def _sae_statuses(w: World) -> list[tuple[int, int]]:
    """(transaction, status) of every SAE Authentication frame the medium carried."""
    return [(_sae_seq(f), int.from_bytes(f[28:30], "little")) for f in w.frames
            if f[0] == 0xB0 and _sae_seq(f)]


def _capture(w: World) -> None:
    """Keep every frame a radio of the world receives, in `w.frames`."""
    w.frames = []
    for dev in w.d.devices:
        port = dev.port

        def rx(frame, info, _orig=port.rx):
            w.frames.append(bytes(frame))
            _orig(frame, info)
        port.rx = rx


@pytest.mark.parametrize(("ap_pwe", "sta_pwe", "h2e"), [(1, 1, True), (2, 2, True), (2, 1, True),
                                                        (1, 2, True), (2, 0, False), (0, 2, False),
                                                        (0, 0, False)])
def test_sae_password_element_method_follows_sae_pwe(ap_pwe, sta_pwe, h2e):
    w = World("wpa3-sae", ap_kw={"sae_pwe": ap_pwe}, sta_kw={"sae_pwe": sta_pwe})
    _capture(w)
    w.connect()
    from net80211.beacon import beacon_frame
    from net80211.wire.ie import IEList
    beacon_ies = IEList.parse(beacon_frame(w.ap, 0)[36:])
    # the AP advertises H2E in its RSNXE (bit 5) exactly when its sae_pwe enables it
    assert _rsnxe_of(beacon_ies) == (b"\x20" if ap_pwe else None)
    commits = [st for seq, st in _sae_statuses(w) if seq == 1]
    assert commits and set(commits) == {126 if h2e else 0}
    assert w.sta.rsn.describe()["sae_h2e"] is h2e
    node = w.ap_nodes()[0]
    # the station's RSNXE (H2E enabled) reached the AP and was repeated in msg 2/4
    assert node.rsn.sta_rsnxe == (b"\xf4\x01\x20" if sta_pwe else b"")
    assert not node.rsn.auth.drops
    _ping_both_ways(w)


def test_h2e_only_ap_drops_hunting_and_pecking_commits():
    w = World("wpa3-sae", ap_kw={"sae_pwe": 1}, sta_kw={"sae_pwe": 0})
    w.s.run_for(8 * SEC)
    assert w.sta.state != State.RUN and w.sta.rsn.state != "completed"
    assert w.ap.rsn.sae_drops["pwe_method"] >= 1 and w.ap.rsn.counters["sae_accepted"] == 0


def test_h2e_only_station_skips_an_ap_without_h2e():
    w = World("wpa3-sae", ap_kw={"sae_pwe": 0}, sta_kw={"sae_pwe": 1})
    w.s.run_for(4 * SEC)
    assert w.sta.state == State.SCAN and w.ap.rsn.counters["sae_accepted"] == 0
    # in a transition network it takes the PSK side instead
    w2 = World("wpa2-wpa3", ap_kw={"sae_pwe": 0}, sta_kw={"sae_pwe": 1})
    w2.connect()
    assert w2.sta.rsn.describe()["akm"] == "PSK"


def test_h2e_anti_clogging_token_goes_in_its_container():
    w = World("wpa3-sae", nsta=2, ap_kw={"sae_pwe": 1}, sta_kw={"sae_pwe": 1})
    w.ap.rsn.anti_clogging_threshold = 0
    _capture(w)
    w.connect()
    c = w.ap.rsn.counters
    assert c["sae_token_request"] >= 2 and c["sae_token_ok"] >= 2
    requests = [f for f in w.frames if f[0] == 0xB0 and _sae_seq(f) == 1
                and int.from_bytes(f[28:30], "little") == 76]
    # group 19, then the Anti-Clogging Token Container element (255, len, 93)
    assert requests and all(f[30:32] == b"\x13\x00" and f[32] == 255 and f[34] == 93 for f in requests)


def test_h2e_rsnxe_downgrade_is_caught_in_msg3():
    """The station saw no RSNXE (stripped by someone in between) but msg 3/4
    carries the AP's: the 4-way handshake fails with reason 17."""
    w = World("wpa3-sae", ap_kw={"sae_pwe": 2}, sta_kw={"sae_pwe": 2})
    rsn = w.sta.rsn
    orig = type(rsn).choose

    def choose(self, bss):
        ok = orig(self, bss)
        self.target = self.target._replace(ap_rsnxe=b"", h2e=False)
        return ok

    type(rsn).choose = choose
    try:
        assert w.s.run_until(lambda: rsn.last_failure is not None, 5 * SEC)
    finally:
        type(rsn).choose = orig
    assert rsn.last_failure[0] == ReasonCode.IE_IN_4WAY_DIFFERS and "RSNXE" in rsn.last_failure[1]


@pytest.mark.parametrize("kw", [{"sae_pwe": 3}, {"sae_pwe": "1"}])
def test_bad_sae_pwe_is_named(kw):
    s = Scheduler()
    d = open_driver("hwsim", s, radios=1)
    with pytest.raises(OSError) as ei:
        d.devices[0].create_vap("wlan0", "hostap", ssid="x", channel=6, security="wpa3-sae", passphrase=PASS,
                                **kw)
    assert ei.value.errno == errno.EINVAL and "sae_pwe" in str(ei.value)
    with pytest.raises(OSError) as ei:
        d.devices[0].create_vap("wlan1", "hostap", ssid="x", channel=6, security="wpa2-psk", passphrase=PASS,
                                sae_pwe=1)
    assert ei.value.errno == errno.EINVAL and "sae_pwe" in str(ei.value)


def test_sae_pwe_and_ptk_rekey_in_a_scenario():
    ap = 'security = "wpa3-sae"\npassphrase = "secret12"\nsae_pwe = 1\nptk_rekey = 1'
    sta = 'security = "wpa3-sae"\npassphrase = "secret12"\nsae_pwe = 2'
    run = ScenarioRun(loads_scenario(SCENARIO.format(ap=ap, sta=sta), file="s.toml"))
    run.build()
    apv, stav = run.vaps["ap0"], run.vaps["sta0"]
    assert apv.rsn.cfg.sae_pwe == 1 and apv.rsn.cfg.ptk_rekey_s == 1 and stav.rsn.cfg.sae_pwe == 2
    stav_rsn = stav.rsn
    run.run()
    assert stav_rsn.handshakes >= 2 and stav_rsn.counters["ptk_rekeys"] >= 1
    for bad, word in (("sae_pwe = 7", "sae_pwe"), ("ptk_rekey = -2", "ptk_rekey")):
        with pytest.raises(ScenarioError) as ei:
            text = SCENARIO.format(ap=ap.replace(bad.split()[0] + " = 1", bad), sta=sta)
            loads_scenario(text, file="s.toml")
        assert word in str(ei.value).split("vaps[0].", 1)[1]


# -- PTK rekey (ptk_rekey) -----------------------------------------------------------
@pytest.mark.parametrize("security", ["wpa2-psk", "wpa3-sae"])
def test_ptk_rekey_on_interval_keeps_data_flowing(security):
    w = World(security, ap_kw={"ptk_rekey": 2})
    w.connect()
    node = w.ap_nodes()[0]
    tk0 = node.rsn.keys.pairwise.key
    _ping_both_ways(w)
    # traffic every 100 ms across two rekeys
    sent = got = 0
    t_end = w.s.now_ns + 5 * SEC
    while w.s.now_ns < t_end:
        before = len(w.ap.netdev.rx)
        assert w.sta.transmit(_eth(w.ap.macaddr, w.sta.macaddr, b"tick" * 10))
        sent += 1
        w.s.run_for(100 * MS)
        got += len(w.ap.netdev.rx) - before
    ap_rsn, sta_rsn = w.ap.rsn, w.sta.rsn
    assert ap_rsn.counters["ptk_rekeys"] == 2 and sta_rsn.counters["ptk_rekeys"] == 2
    assert ap_rsn.handshakes == 3 and sta_rsn.describe()["handshakes"] == 3
    assert ap_rsn.describe()["ptk_rekey"] == 2
    assert node.rsn.keys.pairwise.key != tk0
    assert node.rsn.keys.pairwise.key == w.sta.bss_node.rsn.keys.pairwise.key
    assert w.sta.state == State.RUN and node.associated
    assert got == sent  # nothing lost to the rekeys at this pace
    _ping_both_ways(w)


def test_station_ptk_rekey_asks_the_ap():
    w = World("wpa2-psk", sta_kw={"ptk_rekey": 1})
    w.connect()
    w.s.run_for(2500 * MS)
    assert w.sta.rsn.counters["ptk_rekey_requests"] == 2
    assert w.ap.rsn.counters["ptk_rekeys"] == 2 and w.sta.rsn.counters["ptk_rekeys"] == 2
    _ping_both_ways(w)


def test_bad_ptk_rekey_is_named():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=1)
    with pytest.raises(OSError) as ei:
        d.devices[0].create_vap("wlan0", "hostap", ssid="x", channel=6, security="wpa2-psk", passphrase=PASS,
                                ptk_rekey=-1)
    assert ei.value.errno == errno.EINVAL and "ptk_rekey" in str(ei.value)


# -- the AP's SA Query (an MFP station asking to associate again) ----------------------
def _assoc_responses(w: World) -> list[tuple[int, bytes]]:
    """(status, elements) of the Association Responses the station received."""
    return [(int.from_bytes(f[26:28], "little"), f[30:]) for f in w.frames if f[0] in (0x10, 0x30)]


def test_mfp_station_that_lost_its_state_comes_back_after_the_ap_sa_query():
    """The station forgets its association without a word (a reboot): its new
    request is refused with status 30 and the comeback time while the AP's
    SA Query goes unanswered; after it, the request succeeds."""
    w = World("wpa3-sae")
    w.connect()
    ap, sta = w.ap, w.sta
    _capture(w)
    sta.rsn.pmksa = PmksaCache()  # a reboot: nothing cached either
    sta.new_state(State.SCAN, 0)  # keys and association dropped, no frame sent
    w.s.run_until(lambda: ap.rsn.counters["assoc_refused_sa_query"] >= 1, 5 * SEC)
    t0 = w.s.now_ns
    node = w.ap_nodes()[0]
    assert node.associated and node.rsn.sa_query is not None  # still held while the query runs
    w.connect(within=10 * SEC)
    resp = _assoc_responses(w)
    assert resp[0][0] == StatusCode.REFUSED_TEMPORARILY and resp[-1][0] == StatusCode.SUCCESS
    from net80211.wire.ie import TIMEOUT_ASSOC_COMEBACK, IEList, timeout_interval_of
    comeback = timeout_interval_of(IEList.parse(resp[0][1]), TIMEOUT_ASSOC_COMEBACK)
    assert comeback == 1000  # hostapd's assoc_sa_query_max_timeout, in TU
    c = ap.rsn.counters
    assert c["sa_query_started"] == 1 and c["sa_query_timeout"] == 1 and c["sa_query_ok"] == 0
    assert c["sae_accepted"] == 2 and c["pmksa_cache_used"] == 0  # a full SAE while the AP held it
    assert sta.rsn.counters["assoc_comebacks"] == 1
    # the station came back once the query (1000 TU) was over, not before
    assert w.s.now_ns - t0 >= 1000 * 1_024_000
    # four SA Query requests went: the first and retries every 201 TU within 1000 TU
    queries = [f for f in w.frames if f[0] == 0xD0 and f[4:10] == sta.macaddr]
    assert len(queries) == 5
    _ping_both_ways(w)


def test_forged_association_request_for_an_mfp_station_is_refused_and_the_station_answers():
    w = World("wpa3-sae")
    w.connect()
    ap, sta = w.ap, w.sta
    from net80211.wire.ie import SSID, IEList
    from net80211.wire.mgmt import AssocReq
    body = AssocReq(0x0411, 10, IEList([SSID(b"lab"), sta.rsn.assoc_element()])).to_bytes()
    forged = bytes([0x00, 0, 0, 0]) + ap.macaddr + sta.macaddr + ap.macaddr + b"\x00\x00" + body
    w.inject(ap, forged)
    w.s.run_for(2 * SEC)
    c = ap.rsn.counters
    assert c["assoc_refused_sa_query"] == 1 and c["sa_query_ok"] == 1 and c["sa_query_timeout"] == 0
    assert sta.rsn.counters["sa_query_answered"] == 1
    node = w.ap_nodes()[0]
    assert node.associated and node.rsn.port_open and sta.state == State.RUN
    _ping_both_ways(w)


def test_a_station_without_mfp_reassociates_at_once():
    w = World("wpa2-psk")
    w.connect()
    w.sta.new_state(State.SCAN, 0)
    w.connect()
    assert w.ap.rsn.counters["assoc_refused_sa_query"] == 0


# -- PMKSA caching -----------------------------------------------------------------------
def _sae_frames(w: World) -> int:
    return sum(1 for f in w.frames if f[0] == 0xB0 and _sae_seq(f))


def test_sae_station_that_comes_back_uses_its_cached_pmksa():
    w = World("wpa3-sae")
    w.connect()
    ap, sta = w.ap, w.sta
    first_tk = w.ap_nodes()[0].rsn.keys.pairwise.key
    pmkid = w.ap_nodes()[0].rsn.pmkid
    assert [e.pmkid for e in ap.rsn.pmksa.entries()] == [pmkid] == [e.pmkid for e in sta.rsn.pmksa.entries()]
    sta.down()
    w.s.run_for(2 * SEC)
    assert not w.ap_nodes()
    _capture(w)
    sta.up()
    w.connect()
    # no SAE: Open System authentication, the PMKID in the RSNE, then msg 1/4 naming it
    assert _sae_frames(w) == 0
    assert ap.rsn.counters["sae_accepted"] == 1 and ap.rsn.counters["pmksa_cache_used"] == 1
    assert sta.rsn.counters["pmksa_cache_used"] == 1
    node = w.ap_nodes()[0]
    assert RSNInfo.parse(node.rsn.sta_rsne[2:]).pmkids == (pmkid,) and node.rsn.pmkid == pmkid
    assert node.rsn.keys.pairwise.key != first_tk  # a fresh PTK from the same PMK
    _ping_both_ways(w)


def test_an_expired_pmksa_means_a_full_sae_again():
    w = World("wpa3-sae")
    w.ap.rsn.pmksa.lifetime_s = w.sta.rsn.pmksa.lifetime_s = 5
    w.connect()
    w.sta.down()
    w.s.run_for(6 * SEC)
    _capture(w)
    w.sta.up()
    w.connect()
    assert _sae_frames(w) >= 4 and w.ap.rsn.counters["sae_accepted"] == 2
    assert w.ap.rsn.counters["pmksa_cache_used"] == 0 and w.sta.rsn.pmksa.expired == 1


def test_an_ap_without_the_pmksa_refuses_with_53_and_the_station_runs_sae_at_once():
    w = World("wpa3-sae")
    w.connect()
    w.sta.down()
    w.s.run_for(1 * SEC)
    w.ap.rsn.pmksa = PmksaCache()  # the AP forgot (a restart of its daemon)
    _capture(w)
    w.sta.up()
    t0 = w.s.now_ns
    w.connect()
    assert [st for st, _ in _assoc_responses(w)] == [StatusCode.INVALID_PMKID, StatusCode.SUCCESS]
    assert w.sta.rsn.counters["pmksa_refused"] == 1 and w.ap.rsn.counters["pmksa_miss"] == 1
    assert w.ap.rsn.counters["sae_accepted"] == 2 and w.s.now_ns - t0 < 2 * SEC  # no back-off
    assert len(w.sta.rsn.pmksa) == 1  # the new SAE's
    _ping_both_ways(w)


def test_psk_keeps_no_pmksa_and_ignores_a_pmkid():
    w = World("wpa2-psk")
    rsn = w.sta.rsn
    orig = type(rsn).choose

    def choose(self, bss):
        ok = orig(self, bss)
        mine = RSNInfo.parse(self.target.ours)
        self.target = self.target._replace(ours=RSNInfo(mine.group_cipher, mine.pairwise, mine.akms,
                                                        mine.capabilities, pmkids=(b"\x11" * 16,)).body())
        return ok

    type(rsn).choose = choose
    try:
        w.connect()
    finally:
        type(rsn).choose = orig
    assert len(w.ap.rsn.pmksa) == 0 and len(w.sta.rsn.pmksa) == 0
    assert w.ap_nodes()[0].rsn.pmkid is None  # msg 1/4 without a PMKID, as hostapd for PSK
    _ping_both_ways(w)
