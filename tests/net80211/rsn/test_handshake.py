"""The 4-way and group key handshakes: an authenticator and a supplicant run
against each other in memory, against a captured handshake, and against
lost, replayed, reordered and forged frames."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net80211.crypto import Key, KeyTable, NodeKeys, protect, unprotect
from net80211.rsn import (
    ApPolicy,
    AuthConfig,
    Authenticator,
    CancelTimer,
    Completed,
    Failed,
    GroupKeys,
    InstallGtk,
    InstallIgtk,
    InstallPtk,
    Mfp,
    SendEapol,
    SetTimer,
    StaPolicy,
    Supplicant,
    pmk_from_passphrase,
)
from net80211.rsn.actions import build_key_frame
from net80211.rsn.authenticator import PtkState
from net80211.rsn.policy import Selection
from net80211.rsn.supplicant import SuppState
from net80211.wire.eapol import KeyInfo, parse_eapol
from net80211.wire.mgmt import ReasonCode
from net80211.wire.rsn import AKM, Cipher

h = bytes.fromhex
MS = 1_000_000
AA = h("020000000100")
SPA = h("020000000200")
SSID = b"net80211"


def rng(seed: int) -> Callable[[int], bytes]:
    r = random.Random(seed)
    return r.randbytes


WPA2 = ApPolicy()
ANY_STA = StaPolicy()
DEFAULTS = AuthConfig()


def make(ap: ApPolicy = WPA2, sta: StaPolicy = ANY_STA, *, ap_pass: str = "correct horse",
         sta_pass: str = "correct horse", config: AuthConfig = DEFAULTS, seed: int = 1):
    chosen = sta.select(ap.rsne().body())
    assert chosen is not None
    sel, req = chosen
    ap_sel = ap.negotiate(req.body())
    assert isinstance(ap_sel, Selection)
    group = GroupKeys(ap_sel.group, ap_sel.group_mgmt, random=rng(seed + 100))
    auth = Authenticator(aa=AA, spa=SPA, pmk=pmk_from_passphrase(ap_pass, SSID), selection=ap_sel,
                         ap_rsne=ap.rsne().to_bytes(), sta_rsne=req.to_bytes(), group=group, config=config,
                         random=rng(seed))
    supp = Supplicant(aa=AA, spa=SPA, pmk=pmk_from_passphrase(sta_pass, SSID), selection=sel,
                      ap_rsne=ap.rsne().to_bytes(), sta_rsne=req.to_bytes(), random=rng(seed + 1))
    return auth, supp, group


def frames(actions) -> list[bytes]:
    return [a.frame for a in actions if isinstance(a, SendEapol)]


def of(kind, actions) -> list:
    return [a for a in actions if isinstance(a, kind)]


def exchange(auth, supp, first, now=0, drop: Callable[[str, int], bool] = lambda side, n: False):
    """Deliver frames back and forth until nobody sends; returns every action
    of each side.  `drop(side, n)` loses the n-th frame a side sends."""
    a_log, s_log = list(first), []
    pending, sent = frames(first), {"auth": len(frames(first)), "supp": 0}
    pending = [f for i, f in enumerate(pending) if not drop("auth", i)]
    while pending:
        replies = []
        for f in pending:
            acts = supp.receive(f, now)
            s_log += acts
            for g in frames(acts):
                if not drop("supp", sent["supp"]):
                    replies.append(g)
                sent["supp"] += 1
        pending = []
        for g in replies:
            acts = auth.receive(g, now)
            a_log += acts
            for f in frames(acts):
                if not drop("auth", sent["auth"]):
                    pending.append(f)
                sent["auth"] += 1
    return a_log, s_log


CASES = {
    "wpa2-psk": (ApPolicy(), StaPolicy()),
    "psk-sha256+pmf-required": (ApPolicy(akms=(AKM.PSK_SHA256,), mfp=Mfp.REQUIRED), StaPolicy()),
    "sae-akm+gcmp-256+bip-gmac-256": (ApPolicy(akms=(AKM.SAE,), pairwise=(Cipher.GCMP_256,),
                                               group=Cipher.GCMP_256, mfp=Mfp.REQUIRED,
                                               group_mgmt=Cipher.BIP_GMAC_256), StaPolicy()),
    "psk+ccmp-256+pmf-optional": (ApPolicy(pairwise=(Cipher.CCMP_256, Cipher.CCMP_128), mfp=Mfp.OPTIONAL),
                                  StaPolicy()),
}


@pytest.mark.parametrize("case", CASES)
def test_a_full_handshake_installs_matching_keys(case):
    ap, sta = CASES[case]
    auth, supp, group = make(ap, sta)
    a_log, s_log = exchange(auth, supp, auth.start(0))
    assert auth.state == PtkState.PTKINITDONE and supp.state == SuppState.DONE
    assert of(Completed, a_log) == of(Completed, s_log) == [Completed("4way")]
    (a_ptk,), (s_ptk,) = of(InstallPtk, a_log), of(InstallPtk, s_log)
    assert a_ptk == s_ptk and a_ptk.cipher == auth.sel.pairwise
    (gtk,) = of(InstallGtk, s_log)
    assert (gtk.cipher, gtk.keyid, gtk.key, gtk.rsc) == (group.gtk.cipher, group.gtk.keyix, group.gtk.key, 0)
    igtk = of(InstallIgtk, s_log)
    if auth.sel.mfp:
        assert group.igtk is not None
        assert [(i.keyid, i.key, i.ipn) for i in igtk] == [(group.igtk.keyix, group.igtk.key, 0)]
    else:
        assert igtk == []
    assert not auth.drops and not supp.drops
    # every frame carries the AKM's Key Descriptor Version
    want = {AKM.PSK: 2, AKM.PSK_SHA256: 3, AKM.SAE: 0}[auth.sel.akm]
    for f in frames(a_log) + frames(s_log):
        assert parse_eapol(f)[2].descriptor_version == want

    # and the installed keys carry traffic both ways
    ap_table, sta_table = KeyTable(), KeyTable()
    ap_table.install(group.gtk)
    sta_table.install(Key(gtk.cipher, gtk.key, gtk.keyid), tx=False)
    ap_node = NodeKeys(Key(a_ptk.cipher, a_ptk.tk))
    sta_node = NodeKeys(Key(s_ptk.cipher, s_ptk.tk))
    up = bytes([0x08, 0x01]) + bytes(2) + AA + SPA + AA + bytes(2) + b"payload"
    assert unprotect(protect(sta_node.pairwise, up, sta_table), ap_table, ap_node).frame == up
    down = bytes([0x08, 0x02]) + bytes(2) + b"\xff" * 6 + AA + AA + bytes(2) + b"group"
    assert unprotect(protect(ap_table.group_tx_key(), down, ap_table), sta_table, sta_node).frame == down


# --- a handshake captured between a real AP and supplicant (iwd's
# unit/test-eapol.c, eapol_4way_test): WPA2-PSK, CCMP, passphrase
# "EasilyGuessedPassword", SSID "TestWPA" -----------------------------------
IWD_AA, IWD_SPA = h("24a2e1ec1704"), h("a0a8cd1c7ec9")
IWD_RSNE = h("30140100000fac040100000fac040100000fac020000")
IWD_MSG1 = h("0203005f02008a00100000000000000000"
             "c2bb57ab588f92ebbd44e811094f601c087986030c3ac749cc61d63e33832e50") + bytes(50)
IWD_MSG2 = h("0103007502010a000000000000000000003289e91565094f329a9cd54a4a090d2cf4344683bf50efee3608b6"
             "4856800e84000000000000000000000000000000000000000000000000000000000000000001c31b82ff62a3"
             "79b08dd1fc82c2f768001630140100000fac040100000fac040100000fac020000")
IWD_MSG3 = h("020300970213ca00100000000000000001c2bb57ab588f92ebbd44e811094f601c087986030c3ac749cc61d6"
             "3e33832e500000000000000000000000000000000000000000000000000000000000000000f535d91809731a"
             "1d290894705e919c8e00381918df1ef0e7696652e257938034e17038b98b4c45a923b7b6fa8c33e37bdcd47f"
             "eab11c226a2c5e38d5ad799405d610a69551d60be60a5b")
IWD_MSG4 = h("0103005f02030a00000000000000000001000000000000000000000000000000000000000000000000000000"
             "000000000000000000000000000000000000000000000000000000000000000000000000009e57a4c09bafb3"
             "375e46d386cf8727530000")
IWD_GTK = h("2e156e7c4e3df1370913edbd628e2565")
IWD_SEL = Selection(AKM.PSK, Cipher.CCMP_128, Cipher.CCMP_128, False, None)
IWD_PMK = pmk_from_passphrase("EasilyGuessedPassword", b"TestWPA")


def test_captured_frames_are_what_they_claim():
    assert len(IWD_MSG1) == 99 and len(IWD_MSG4) == 99
    assert parse_eapol(IWD_MSG3)[2].info == (KeyInfo.PAIRWISE | KeyInfo.INSTALL | KeyInfo.ACK | KeyInfo.MIC
                                             | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA | 2)


def test_the_supplicant_reproduces_a_captured_handshake():
    snonce = parse_eapol(IWD_MSG2)[2].nonce
    supp = Supplicant(aa=IWD_AA, spa=IWD_SPA, pmk=IWD_PMK, selection=IWD_SEL, ap_rsne=IWD_RSNE,
                      sta_rsne=IWD_RSNE, random=lambda n: snonce)
    assert supp.receive(IWD_MSG1, 0) == [SendEapol(IWD_MSG2)]
    out = supp.receive(IWD_MSG3, 0)
    assert out[0] == SendEapol(IWD_MSG4)
    assert of(InstallGtk, out) == [InstallGtk(Cipher.CCMP_128, 2, IWD_GTK, 0)]
    assert len(of(InstallPtk, out)) == 1 and out[-1] == Completed("4way")


def test_the_authenticator_reproduces_a_captured_handshake():
    anonce = parse_eapol(IWD_MSG1)[2].nonce
    group = GroupKeys(Cipher.CCMP_128)
    group.gtk = Key(Cipher.CCMP_128, IWD_GTK, 2)
    auth = Authenticator(aa=IWD_AA, spa=IWD_SPA, pmk=IWD_PMK, selection=IWD_SEL, ap_rsne=IWD_RSNE,
                         sta_rsne=IWD_RSNE, group=group, config=AuthConfig(first_replay_counter=0),
                         random=lambda n: anonce)
    assert frames(auth.start(0)) == [IWD_MSG1]
    assert frames(auth.receive(IWD_MSG2, 0)) == [IWD_MSG3]
    out = auth.receive(IWD_MSG4, 0)
    assert len(of(InstallPtk, out)) == 1 and Completed("4way") in out


# --- failures, retries, timeouts ---------------------------------------------
def test_a_wrong_passphrase_retries_then_deauthenticates_with_reason_15():
    auth, supp, _ = make(sta_pass="wrong horse")
    sent_at, now, actions = [], 0, auth.start(0)
    while not of(Failed, actions):
        for f in frames(actions):
            sent_at.append(now)
            for reply in frames(supp.receive(f, now)):
                assert auth.receive(reply, now) == []  # a bad MIC in msg 2/4: dropped, not answered
        (timer,) = of(SetTimer, actions)
        now = timer.at_ns
        actions = auth.timer(now)
    # hostapd: 4 transmissions of msg 1/4, 100 ms then 1 s apart, giving up 1 s after the last
    assert sent_at == [0, 100 * MS, 1100 * MS, 2100 * MS] and now == 3100 * MS
    assert of(Failed, actions)[0].reason == ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT
    assert auth.state == PtkState.DISCONNECTED and auth.drops == {"mic": 4}
    # the supplicant learns through the deauthentication
    (fail,) = supp.deauthenticated(ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT, now)
    assert fail.reason == 15 and "passphrase" in fail.why and supp.state == SuppState.FAILED
    assert not auth.start(now)  # a disconnected machine stays so


def test_a_lost_msg1_is_retransmitted_after_100_ms():
    auth, supp, _ = make()
    first = auth.start(0)
    assert of(SetTimer, first) == [SetTimer(100 * MS)]
    assert auth.timer(50 * MS) == [SetTimer(100 * MS)]  # early: nothing happens
    again = auth.timer(100 * MS)
    assert parse_eapol(frames(again)[0])[2].replay_counter == 2
    a_log, s_log = exchange(auth, supp, again, now=100 * MS)
    assert Completed("4way") in a_log and Completed("4way") in s_log


def test_a_lost_msg4_is_answered_again_without_reinstalling_keys():
    auth, supp, _ = make()
    a_log, s_log = exchange(auth, supp, auth.start(0), drop=lambda side, n: side == "supp" and n == 1)
    assert supp.state == SuppState.DONE and auth.state == PtkState.PTKINITNEGOTIATING
    assert len(of(InstallPtk, s_log)) == 1
    retry = auth.timer(100 * MS)  # msg 3/4 again, new replay counter
    a2, s2 = exchange(auth, supp, retry, now=100 * MS)
    assert frames(s2) and not of(InstallPtk, s2) and not of(InstallGtk, s2)  # the KRACK rule
    assert Completed("4way") in a2 and auth.state == PtkState.PTKINITDONE


def test_msg2_answering_an_earlier_msg1_is_accepted():
    auth, supp, _ = make()
    m1a = frames(auth.start(0))[0]
    m1b = frames(auth.timer(100 * MS))[0]
    m2a, m2b = frames(supp.receive(m1a, 0))[0], frames(supp.receive(m1b, 0))[0]
    assert parse_eapol(m2a)[2].nonce == parse_eapol(m2b)[2].nonce  # one SNonce per handshake
    assert frames(auth.receive(m2a, 0))  # msg 3/4
    assert auth.receive(m2b, 0) == [] and auth.drops == {"unexpected": 1}


def test_a_replayed_msg3_is_dropped():
    auth, supp, _ = make()
    m1 = frames(auth.start(0))[0]
    m2 = frames(supp.receive(m1, 0))[0]
    m3 = frames(auth.receive(m2, 0))[0]
    supp.receive(m3, 0)
    assert supp.receive(m3, 0) == [] and supp.drops == {"replay": 1}


def test_an_rsne_differing_from_the_association_request_fails_with_reason_17():
    ap = ApPolicy()
    auth, supp, _ = make(ap)
    auth.sta_rsne = ApPolicy(pairwise=(Cipher.GCMP_256,)).rsne().to_bytes()
    a_log, _ = exchange(auth, supp, auth.start(0))
    assert of(Failed, a_log)[0].reason == ReasonCode.IE_IN_4WAY_DIFFERS
    assert not of(InstallPtk, a_log)


def test_a_downgraded_rsne_in_msg3_fails_the_supplicant():
    # an AP (or someone between) advertising one RSNE in beacons, another in msg 3/4
    auth, supp, _ = make(ApPolicy(mfp=Mfp.OPTIONAL))
    supp.ap_rsne = ApPolicy(mfp=Mfp.REQUIRED).rsne().to_bytes()
    _, s_log = exchange(auth, supp, auth.start(0))
    assert of(Failed, s_log)[0].reason == ReasonCode.IE_IN_4WAY_DIFFERS
    assert not of(InstallPtk, s_log) and supp.state == SuppState.FAILED


def test_a_group_rekey_delivers_the_next_gtk_and_igtk():
    auth, supp, group = make(ApPolicy(mfp=Mfp.REQUIRED))
    exchange(auth, supp, auth.start(0))
    old = (group.gtk.keyix, group.igtk.keyix)
    group.gtk.tx_pn = 41  # frames went out under the old key: not the new one's RSC
    group.rekey(5 * 10**9)
    assert (group.gtk.keyix, group.igtk.keyix) == (3 - old[0], 9 - old[1])
    group.gtk.tx_pn = 7
    a_log, s_log = exchange(auth, supp, auth.rekey_group(5 * 10**9))
    assert of(InstallGtk, s_log) == [InstallGtk(group.gtk.cipher, group.gtk.keyix, group.gtk.key, 7)]
    assert [(i.keyid, i.key) for i in of(InstallIgtk, s_log)] == [(group.igtk.keyix, group.igtk.key)]
    assert Completed("group") in a_log and Completed("group") in s_log
    assert group.next_rekey_ns == 5 * 10**9 + 86400 * 10**9 and group.due(group.next_rekey_ns)


def test_an_unanswered_group_rekey_deauthenticates_with_reason_16():
    auth, supp, group = make()
    exchange(auth, supp, auth.start(0))
    group.rekey(0)
    sent_at, now, actions = [], 0, auth.rekey_group(0)
    while not of(Failed, actions):
        sent_at += [now] * len(frames(actions))
        now = of(SetTimer, actions)[0].at_ns
        actions = auth.timer(now)
    assert sent_at == [0, 500 * MS, 1500 * MS, 2500 * MS] and now == 3500 * MS
    assert of(Failed, actions)[0].reason == ReasonCode.GROUP_KEY_UPDATE_TIMEOUT


def test_ptk_rekey():
    auth, supp, _ = make(config=AuthConfig(ptk_rekey_s=3600))
    a_log, _ = exchange(auth, supp, auth.start(0))
    assert a_log[-1] == SetTimer(3600 * 10**9)
    tk1 = of(InstallPtk, a_log)[0].tk
    assert of(SetTimer, auth.timer(10**9)) == [SetTimer(3600 * 10**9)]  # stale
    a2, s2 = exchange(auth, supp, auth.timer(3600 * 10**9), now=3600 * 10**9)
    (new,) = of(InstallPtk, a2)
    assert new == of(InstallPtk, s2)[0] and new.tk != tk1
    assert auth.handshakes == supp.handshakes == 2


def test_a_supplicant_request_starts_a_ptk_rekey():
    auth, supp, _ = make()
    exchange(auth, supp, auth.start(0))
    info = KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.REQUEST | KeyInfo.SECURE
    req = build_key_frame(AKM.PSK, supp.ptk.kck, info, replay=supp.rx_replay + 1)
    a_log, s_log = exchange(auth, supp, auth.receive(req, 0))
    assert auth.handshakes == 2 and Completed("4way") in s_log


# --- forged, replayed and malformed input never installs a key -------------
def _recorded(seed: int):
    auth, supp, _ = make(ApPolicy(mfp=Mfp.REQUIRED), seed=seed)
    a_log, s_log = exchange(auth, supp, auth.start(0))
    return frames(a_log), frames(s_log)


@given(pos=st.integers(0, 10_000), xor=st.integers(1, 255))
def test_any_altered_byte_of_msg3_is_dropped(pos, xor):
    auth, supp, _ = make(ApPolicy(mfp=Mfp.REQUIRED))
    m2 = frames(supp.receive(frames(auth.start(0))[0], 0))[0]
    m3 = bytearray(frames(auth.receive(m2, 0))[0])
    m3[pos % len(m3)] ^= xor
    assert supp.receive(bytes(m3), 0) == []
    assert sum(supp.drops.values()) == 1 and supp.installed_tk is None


@given(pos=st.integers(0, 10_000), xor=st.integers(1, 255))
def test_any_altered_byte_of_msg2_is_dropped(pos, xor):
    auth, supp, _ = make()
    m2 = bytearray(frames(supp.receive(frames(auth.start(0))[0], 0))[0])
    m2[pos % len(m2)] ^= xor
    assert auth.receive(bytes(m2), 0) == [] and sum(auth.drops.values()) == 1
    assert auth.state == PtkState.PTKSTART


OTHER_SESSION = _recorded(seed=77)


@given(st.lists(st.sampled_from(OTHER_SESSION[0]) | st.binary(max_size=140), max_size=8))
def test_frames_from_another_handshake_never_install_keys_at_the_supplicant(sequence):
    auth, supp, _ = make(ApPolicy(mfp=Mfp.REQUIRED), seed=5)
    frames(auth.start(0))  # this session's msg 1/4 is lost; the attacker's frames arrive
    for f in sequence:
        out = supp.receive(f, 0)
        assert not of(InstallPtk, out) and not of(InstallGtk, out) and not of(InstallIgtk, out)
    assert supp.state != SuppState.DONE


@given(st.lists(st.sampled_from(OTHER_SESSION[1]) | st.binary(max_size=140), max_size=8))
def test_frames_from_another_handshake_never_install_keys_at_the_authenticator(sequence):
    auth, _, _ = make(ApPolicy(mfp=Mfp.REQUIRED), seed=5)
    auth.start(0)
    for f in sequence:
        out = auth.receive(f, 0)
        assert not of(InstallPtk, out) and not of(Completed, out)
        assert not frames(out)  # nothing a forged frame can make it send
    assert auth.state == PtkState.PTKSTART


@given(st.permutations(range(4)), st.integers(0, 3))
def test_out_of_order_delivery_installs_only_through_the_right_order(order, repeat):
    a_frames, s_frames = _recorded(seed=9)
    auth, supp, _ = make(ApPolicy(mfp=Mfp.REQUIRED), seed=9)
    # the AP's two messages and the STA's two, delivered in any order, one twice
    events = [("s", a_frames[0]), ("s", a_frames[1]), ("a", s_frames[0]), ("a", s_frames[1])]
    auth.start(0)
    seq = [*order, order[repeat]]
    a_installs = s_installs = 0
    for i in seq:
        side, f = events[i]
        if side == "s":
            s_installs += len(of(InstallPtk, supp.receive(f, 0)))
        else:
            a_installs += len(of(InstallPtk, auth.receive(f, 0)))

    def after(later: int, earlier: int) -> bool:
        return any(e == later and earlier in seq[:j] for j, e in enumerate(seq))

    # each side installs once at most, and only once its peer's earlier message came first
    assert s_installs == int(after(1, 0))
    assert a_installs == int(after(3, 2))


# --- a lossy, duplicating, reordering medium ------------------------------
@given(st.data())
def test_over_a_lossy_medium_the_handshake_completes_or_times_out_cleanly(data):
    auth, supp, group = make(ApPolicy(mfp=Mfp.OPTIONAL))
    queue: list[tuple[int, int, str, bytes]] = []  # (time, order, destination, frame)
    order = 0
    timer_at: int | None = None
    s_installs: list = []
    a_installs: list = []

    def emit(actions, src: str, now: int) -> None:
        nonlocal order, timer_at
        for act in actions:
            if isinstance(act, SetTimer):
                timer_at = act.at_ns
            elif isinstance(act, CancelTimer):
                timer_at = None
            elif isinstance(act, SendEapol):
                fate = data.draw(st.sampled_from(["deliver", "deliver", "drop", "twice", "late"]))
                copies = {"deliver": 1, "drop": 0, "twice": 2, "late": 1}[fate]
                delay = data.draw(st.integers(0, 1500)) * MS if fate == "late" else MS
                for _ in range(copies):
                    order += 1
                    queue.append((now + delay, order, "supp" if src == "auth" else "auth", act.frame))
            elif isinstance(act, (InstallPtk, InstallGtk, InstallIgtk)):
                (a_installs if src == "auth" else s_installs).append(act)

    emit(auth.start(0), "auth", 0)
    for _ in range(200):
        nxt = min([q[0] for q in queue] + ([timer_at] if timer_at is not None else []), default=None)
        if nxt is None:
            break
        due = sorted(q for q in queue if q[0] == nxt)
        if due:
            queue.remove(due[0])
            now, _, dst, frame = due[0]
            if dst == "supp":
                emit(supp.receive(frame, now), "supp", now)
            else:
                emit(auth.receive(frame, now), "auth", now)
        else:
            now, timer_at = nxt, None
            emit(auth.timer(now), "auth", now)
    assert auth.state in (PtkState.PTKINITDONE, PtkState.DISCONNECTED)
    s_ptks = [a for a in s_installs if isinstance(a, InstallPtk)]
    assert len(s_ptks) <= 1  # never reinstalled, whatever was duplicated or replayed
    if auth.state == PtkState.PTKINITDONE:
        assert a_installs == s_ptks and supp.state == SuppState.DONE
        gtks = [a for a in s_installs if isinstance(a, InstallGtk)]
        assert [(g.keyid, g.key) for g in gtks] == [(group.gtk.keyix, group.gtk.key)]
    else:
        assert auth.failure is not None and auth.failure.reason == ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT
        assert not a_installs
