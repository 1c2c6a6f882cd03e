"""SAE over group 19: the IEEE 802.11 Annex J.10 test vector (as carried by
hostap's src/common/common_module_tests.c), two instances against each
other, a wrong password, lost frames, forged and malformed commits."""

from __future__ import annotations

import hmac
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net80211.rsn import (
    ApPolicy,
    Authenticator,
    Completed,
    Failed,
    GroupKeys,
    InstallPtk,
    Mfp,
    SendEapol,
    SetTimer,
    StaPolicy,
    Supplicant,
    sae,
)
from net80211.rsn.policy import Selection
from net80211.rsn.sae import (
    STATUS_ANTI_CLOGGING_TOKEN_REQUIRED,
    STATUS_SAE_HASH_TO_ELEMENT,
    Sae,
    SaeAccepted,
    SaeState,
    SendSae,
    confirm_token,
    derive_pt,
    derive_pwe,
    derive_pwe_h2e,
    make_commit,
    parse_commit,
    process_commit,
    split_token,
)
from net80211.wire.eapol import parse_eapol, parse_key_data
from net80211.wire.frame import FrameError
from net80211.wire.rsn import AKM

h = bytes.fromhex
ADDR1, ADDR2 = h("827b919dd4b9"), h("1eec49ea6488")
PASSWORD, PWID = b"mekmitasdigoat", b"psk4internet"
RAND = int("a906f61e4d3a5d4eb2965ff34cf917dd044445c878c17ca5d5b93786da9f83cf", 16)
MASK = int("4234b4fb17aa435c52fbfdebe64039b43478200e54ff7b6e07b69cad74153c15", 16)
LOCAL_COMMIT = h("1300eb3bab1964e4a0ab05925ddf3339519138bc65d6cdc0f813dd6fd4344eb4bfe44b5c21597658f4e3eddf"
                 "b4b99f25b4d6540f32ff1fd5c530c60a794448610bc6de3d92bdbbd47d935980ca6cf8988ab6630be6764c88"
                 "5ceb9793970f695217eeff0d2170736b34696e7465726e6574")
PEER_COMMIT = h("13005564f045b2ea1e566cf1dd741f70d9be35d2df5b9a5502946ee03cf8dae27e1e05b8430eb7a99e24877c"
                "e69baf3dc580e309633d6b385f83ee1c3ec3591f1a5393c06e805ddceb2fde50930dd7cfebb987c6ff9666af"
                "164eb5184d8e6662ed6aff0d2170736b34696e7465726e6574")
KCK = h("599d6f1e27548be8499dceed2feccf94818ce1c79f1b4eb3d6a53228a09bf3ed")
PMK = h("7aead86fba4c3221fc437f5f14d70d854ea5d5aac1690116793081eda4d557c5")
PMKID = h("40a09b6017cebf0072843b5352aa2b4f")
LOCAL_CONFIRM = h("010012d9d5c78c500526d36c41dbc56aedf2914cedddd7cad4a58c48f83dbde9fc77")
PEER_CONFIRM = h("010002871cf906898b8060ec184143be77b8c08a8019b13eb6d0aef0d8383dfac2fd")


def test_annex_j10_arithmetic():
    pwe = derive_pwe(PASSWORD, ADDR1, ADDR2, PWID)
    own = make_commit(pwe, RAND, MASK, PWID)
    assert own.body() == LOCAL_COMMIT
    peer = parse_commit(PEER_COMMIT)
    keys = process_commit(pwe, RAND, own, peer)
    assert (keys.kck, keys.pmk, keys.pmkid) == (KCK, PMK, PMKID)
    assert b"\x01\x00" + confirm_token(KCK, 1, own, peer) == LOCAL_CONFIRM
    assert confirm_token(KCK, 1, peer, own) == PEER_CONFIRM[2:]


def test_annex_j10_through_the_protocol_machine():
    sae = Sae(password=PASSWORD, own_addr=ADDR1, peer_addr=ADDR2, identifier=PWID)
    out = sae.start(0, rand=RAND, mask=MASK)
    assert out == [SendSae(1, 0, LOCAL_COMMIT), SetTimer(40_000_000)]
    out = sae.receive(1, 0, PEER_COMMIT, 0)
    assert out[0] == SendSae(2, 0, LOCAL_CONFIRM) and sae.state == SaeState.CONFIRMED
    out = sae.receive(2, 0, PEER_CONFIRM, 0)
    assert SaeAccepted(PMK, PMKID) in out and sae.state == SaeState.ACCEPTED


def pair(pw_a: bytes = b"wpa3 passphrase", pw_b: bytes = b"wpa3 passphrase", seed: int = 3):
    r = random.Random(seed)
    a = Sae(password=pw_a, own_addr=ADDR1, peer_addr=ADDR2, random=r.randbytes)
    b = Sae(password=pw_b, own_addr=ADDR2, peer_addr=ADDR1, random=r.randbytes)
    return a, b


def run(a, b, first_a, first_b, now=0, lose=lambda side, n: False):
    sent = {"a": 0, "b": 0}
    queue = [("b", m) for m in first_a if isinstance(m, SendSae)] + [("a", m) for m in first_b
                                                                     if isinstance(m, SendSae)]
    log = {"a": list(first_a), "b": list(first_b)}
    while queue:
        to, m = queue.pop(0)
        frm = "a" if to == "b" else "b"
        sent[frm] += 1
        if lose(frm, sent[frm]):
            continue
        out = (a if to == "a" else b).receive(m.transaction, m.status, m.body, now)
        log[to] += out
        queue += [(frm, x) for x in out if isinstance(x, SendSae)]
    return log


def test_two_peers_agree_and_feed_the_4way_handshake():
    a, b = pair()
    log = run(a, b, a.start(0), b.start(0))
    (acc_a,), (acc_b,) = [x for x in log["a"] if isinstance(x, SaeAccepted)], \
        [x for x in log["b"] if isinstance(x, SaeAccepted)]
    assert acc_a == acc_b and len(acc_a.pmk) == 32
    # the SAE PMK keys an AKM 8 4-way handshake
    ap = ApPolicy(akms=(AKM.SAE,), mfp=Mfp.REQUIRED)
    sel, req = StaPolicy().select(ap.rsne().body())
    ap_sel = ap.negotiate(req.body())
    assert isinstance(ap_sel, Selection) and ap_sel.akm == AKM.SAE
    auth = Authenticator(aa=ADDR1, spa=ADDR2, pmk=acc_a.pmk, selection=ap_sel, ap_rsne=ap.rsne().to_bytes(),
                         sta_rsne=req.to_bytes(), group=GroupKeys(ap_sel.group, ap_sel.group_mgmt),
                         pmkid=acc_a.pmkid)
    supp = Supplicant(aa=ADDR1, spa=ADDR2, pmk=acc_b.pmk, selection=sel, ap_rsne=ap.rsne().to_bytes(),
                      sta_rsne=req.to_bytes(), pmkid=acc_b.pmkid)
    m1 = [x.frame for x in auth.start(0) if isinstance(x, SendEapol)][0]
    assert parse_key_data(parse_eapol(m1)[2].key_data).pmkid == acc_a.pmkid  # as hostapd sends it
    stale = Supplicant(aa=ADDR1, spa=ADDR2, pmk=acc_b.pmk, selection=sel, ap_rsne=ap.rsne().to_bytes(),
                       sta_rsne=req.to_bytes(), pmkid=bytes(16))
    assert stale.receive(m1, 0) == [] and stale.drops == {"pmkid_mismatch": 1}
    m2 = [x.frame for x in supp.receive(m1, 0) if isinstance(x, SendEapol)][0]
    m3 = [x.frame for x in auth.receive(m2, 0) if isinstance(x, SendEapol)][0]
    s_out = supp.receive(m3, 0)
    m4 = [x.frame for x in s_out if isinstance(x, SendEapol)][0]
    a_out = auth.receive(m4, 0)
    assert [x for x in a_out if isinstance(x, InstallPtk)] == [x for x in s_out if isinstance(x, InstallPtk)]
    assert Completed("4way") in a_out


def test_a_wrong_password_fails_the_confirm_then_gives_up():
    a, b = pair(pw_b=b"another passphrase")
    log = run(a, b, a.start(0), b.start(0))
    assert not [x for x in log["a"] + log["b"] if isinstance(x, SaeAccepted)]
    assert a.drops["confirm"] == 1 and b.drops["confirm"] == 1
    now, out = 0, []
    while not [x for x in out if isinstance(x, Failed)]:
        now += 40_000_000
        out = a.timer(now)
    assert a.state == SaeState.FAILED and now == 6 * 40_000_000  # five retransmissions, then give up


def test_a_lost_confirm_is_retransmitted_and_answered():
    a, b = pair()
    run(a, b, a.start(0), b.start(0), lose=lambda side, n: side == "a" and n == 2)
    assert a.state == SaeState.ACCEPTED and b.state == SaeState.CONFIRMED
    (confirm, _) = b.timer(40_000_000)
    assert confirm.transaction == 2 and confirm.body[:2] == b"\x02\x00"  # send-confirm counts up
    (answer,) = a.receive(2, 0, confirm.body, 40_000_000)
    assert answer.body[:2] == b"\xff\xff"
    assert a.receive(2, 0, confirm.body, 40_000_000) == [] and a.drops["replay"] == 1
    out = b.receive(2, 0, answer.body, 40_000_000)
    assert b.state == SaeState.ACCEPTED and [x for x in out if isinstance(x, SaeAccepted)]


def test_a_reflected_commit_is_dropped():
    a, _ = pair()
    (commit, _timer) = a.start(0)
    assert a.receive(1, 0, commit.body, 0) == [] and a.drops["reflection"] == 1


@pytest.mark.parametrize("body", [
    b"", h("1400") + bytes(96),  # group 20 is not supported
    h("1300") + bytes(96),  # scalar 0
    h("1300") + (5).to_bytes(32, "big") + (1).to_bytes(32, "big") + (2).to_bytes(32, "big"),  # off the curve
    PEER_COMMIT[:-3],  # identifier element cut short
])
def test_malformed_commits(body):
    with pytest.raises(FrameError):
        parse_commit(body)
    a, _ = pair()
    a.start(0)
    assert a.receive(1, 0, body, 0) == [] and a.drops["malformed"] == 1


@given(st.binary(max_size=140), st.integers(0, 3))
def test_arbitrary_bodies_never_accept(body, transaction):
    a, _ = pair()
    a.start(0)
    out = a.receive(transaction, 0, body, 0)
    assert not [x for x in out if isinstance(x, SaeAccepted)]


# --- hash-to-element: the J.10 H2E vector (as in iwd's unit/test-sae.c) ----
H2E_SSID = b"byteme"
H2E_MAC1, H2E_MAC2 = h("00095b66ec1e"), h("000b6bd90246")


def xy(point) -> str:
    return int(point.x).to_bytes(32, "big").hex() + int(point.y).to_bytes(32, "big").hex()


def test_hash_to_element_intermediate_values():
    prk = hmac.digest(H2E_SSID, PASSWORD + PWID, "sha256")
    assert prk == h("3bd53fe9223dc0280fbfce17d7a3564064e20f48c6ec72246ce367b5569a22af")
    okm1 = sae._hkdf_expand(prk, b"SAE Hash to Element u1 P1", 48)
    assert okm1 == h("a5044469ab16f25b6abf1e0e37a36b56f50be73369053df8db87989a6b66fd1a"
                     "491f1cdacbd07931620f83008ffc0ecc")
    u1 = int.from_bytes(okm1, "big") % sae._P
    assert u1 == int("dc941bc3c6a2b4948b6c61d55590ecb1f0c51c4b1bebaff677e593698d5a53c6", 16)
    assert xy(sae._sswu(u1)) == ("a07c260764a13445ff8cd97c5acc644e7119bde51bad42583eed6f4109639e6b"
                                 "3bdc8df0d32337936c74df604933a454142251c53c576c0351b28deaf9428d7e")
    u2 = int.from_bytes(sae._hkdf_expand(prk, b"SAE Hash to Element u2 P2", 48), "big") % sae._P
    assert xy(sae._sswu(u2)) == ("72cd2a967a837fea5051f0133db46227775ba09f7b6dfb99ae7a8ef22c7d34a0"
                                 "864390d797d352b368d311af515bde116fe54459fec867ee18a8a1619ca3ff59")


def test_hash_to_element_pt_and_pwe():
    pt = derive_pt(H2E_SSID, PASSWORD, PWID)
    assert xy(pt) == ("b6e38c98750c684b5d17c3d8c9a4100b39931279187ca6cced5f37ef46ddfa97"
                      "5687e972e50f73e3898861e7edad21bea7d5f622df88243bb804920ae8e647fa")
    pwe = derive_pwe_h2e(pt, H2E_MAC1, H2E_MAC2)
    assert xy(pwe) == ("c93049b9e64000f848201649e999f2b5c22dea69b5632c9df4d633b8aa1f6c1e"
                       "73634e94b53d82e7383a8d258199d9dc1a5ee8269d060382ccbf33e614ff59a0")
    assert derive_pwe_h2e(pt, H2E_MAC2, H2E_MAC1) == pwe  # symmetric in the addresses


def test_two_h2e_peers_agree_and_refuse_a_hunting_and_pecking_commit():
    r = random.Random(11)
    a = Sae(password=b"wpa3 h2e", own_addr=ADDR1, peer_addr=ADDR2, ssid=b"net80211", random=r.randbytes)
    b = Sae(password=b"wpa3 h2e", own_addr=ADDR2, peer_addr=ADDR1, ssid=b"net80211", random=r.randbytes)
    first_a, first_b = a.start(0), b.start(0)
    assert first_a[0].status == STATUS_SAE_HASH_TO_ELEMENT
    log = run(a, b, first_a, first_b)
    accepted = [x for x in log["a"] + log["b"] if isinstance(x, SaeAccepted)]
    assert len(accepted) == 2 and accepted[0] == accepted[1]
    legacy = Sae(password=b"wpa3 h2e", own_addr=ADDR1, peer_addr=ADDR2, random=r.randbytes)
    c = Sae(password=b"wpa3 h2e", own_addr=ADDR2, peer_addr=ADDR1, ssid=b"net80211", random=r.randbytes)
    c.start(0)
    (commit, _) = legacy.start(0)
    assert c.receive(1, commit.status, commit.body, 0) == [] and c.drops["status"] == 1


@given(st.data())
def test_over_a_lossy_medium_sae_agrees_or_gives_up(data):
    a, b = pair(seed=data.draw(st.integers(0, 3)))
    peers = {"a": a, "b": b}
    timers: dict[str, int | None] = {"a": None, "b": None}
    queue: list[tuple[int, int, str, SendSae]] = []
    order = 0
    accepted: dict[str, list[SaeAccepted]] = {"a": [], "b": []}

    def emit(src: str, actions, now: int) -> None:
        nonlocal order
        for act in actions:
            if isinstance(act, SetTimer):
                timers[src] = act.at_ns
            elif isinstance(act, SendSae):
                fate = data.draw(st.sampled_from(["deliver", "deliver", "drop", "twice", "late"]))
                delay = data.draw(st.integers(0, 120)) * 1_000_000 if fate == "late" else 1_000_000
                for _ in range({"deliver": 1, "drop": 0, "twice": 2, "late": 1}[fate]):
                    order += 1
                    queue.append((now + delay, order, "b" if src == "a" else "a", act))
            elif isinstance(act, SaeAccepted):
                accepted[src].append(act)
            elif isinstance(act, Failed):
                timers[src] = None

    emit("a", a.start(0), 0)
    emit("b", b.start(0), 0)
    for _ in range(300):
        times = [q[0] for q in queue] + [t for t in timers.values() if t is not None]
        if not times:
            break
        now = min(times)
        due = sorted(q for q in queue if q[0] == now)
        if due:
            queue.remove(due[0])
            _, _, dst, m = due[0]
            emit(dst, peers[dst].receive(m.transaction, m.status, m.body, now), now)
        else:
            side = next(s for s, t in timers.items() if t == now)
            timers[side] = None
            emit(side, peers[side].timer(now), now)
    assert all(len(v) <= 1 for v in accepted.values())  # accepted once at most
    if accepted["a"] and accepted["b"]:
        assert accepted["a"] == accepted["b"]
    for side, peer in peers.items():
        assert peer.state in (SaeState.ACCEPTED, SaeState.FAILED, SaeState.CONFIRMED)
        assert (peer.state == SaeState.ACCEPTED) == bool(accepted[side])


def test_a_token_request_is_answered_with_the_same_commit_and_the_token():
    a, b = pair()
    (commit, _) = a.start(0)
    token = bytes(range(32))
    (again, timer) = a.receive(1, STATUS_ANTI_CLOGGING_TOKEN_REQUIRED, b"\x13\x00" + token, 10)
    assert again.body == commit.body[:2] + token + commit.body[2:] and timer == SetTimer(10 + 40_000_000)
    assert a.receive(1, STATUS_ANTI_CLOGGING_TOKEN_REQUIRED, b"\x14\x00" + token, 10) == []
    assert a.drops["malformed"] == 1
    # the peer's commit, once taken, ends the token exchange
    b.start(0)
    peer_commit = b.own.body()
    a.receive(1, 0, peer_commit, 20)
    assert a.receive(1, STATUS_ANTI_CLOGGING_TOKEN_REQUIRED, b"\x13\x00" + token, 30) == []
    assert a.drops["unexpected"] == 1


def _h2e_pair() -> tuple[Sae, Sae]:
    rng = iter(range(1, 10_000))
    rand = lambda n: next(rng).to_bytes(n, "big")  # noqa: E731
    a = Sae(password=PASSWORD, own_addr=ADDR1, peer_addr=ADDR2, ssid=b"lab", random=rand)
    b = Sae(password=PASSWORD, own_addr=ADDR2, peer_addr=ADDR1, ssid=b"lab", random=rand)
    return a, b


def test_h2e_token_request_and_answer_use_the_container_element():
    a, _ = _h2e_pair()
    (commit, _) = a.start(0)
    assert commit.status == STATUS_SAE_HASH_TO_ELEMENT
    token = bytes(range(32))
    container = bytes((255, 33, 93)) + token
    (again, _) = a.receive(1, STATUS_ANTI_CLOGGING_TOKEN_REQUIRED, b"\x13\x00" + container, 10)
    # the token goes at the end, in its container, not after the group
    assert again.body == commit.body + container
    assert split_token(again.body, True, 32) == (commit.body, token)
    assert parse_commit(again.body, h2e=True).token == token
    # a bare token (the hunting-and-pecking layout) is malformed for H2E
    assert a.receive(1, STATUS_ANTI_CLOGGING_TOKEN_REQUIRED, b"\x13\x00" + token, 20) == []
    assert a.drops["malformed"] == 1
    with pytest.raises(FrameError):
        parse_commit(again.body)  # a container without H2E


def test_h2e_commit_naming_a_supported_group_as_rejected_is_refused():
    a, b = _h2e_pair()
    a.start(0)
    b.start(0)
    own = b.own
    forged = sae.Commit(own.group, own.scalar, own.element, rejected_groups=(20, 19), h2e=True)
    parsed = parse_commit(forged.body(), h2e=True)
    assert parsed.rejected_groups == (20, 19)
    out = a.receive(1, STATUS_SAE_HASH_TO_ELEMENT, forged.body(), 5)
    assert out[0] == SendSae(1, 1, b"") and a.state == SaeState.FAILED and a.drops["rejected_groups"] == 1
    # groups we do not support may be named: the exchange goes on
    a2, b2 = _h2e_pair()
    a2.start(0)
    b2.start(0)
    ok = sae.Commit(b2.own.group, b2.own.scalar, b2.own.element, rejected_groups=(20,), h2e=True)
    assert a2.receive(1, STATUS_SAE_HASH_TO_ELEMENT, ok.body(), 5)[0].transaction == 2
    # elements out of order or a malformed list are malformed commits
    with pytest.raises(FrameError):
        parse_commit(own.body() + bytes((255, 2, 92, 19)), h2e=True)


def test_hunting_and_pecking_refuses_h2e_commits_and_the_other_way():
    a, b = _h2e_pair()
    a.start(0)
    hnp = Sae(password=PASSWORD, own_addr=ADDR2, peer_addr=ADDR1)
    (c, _) = hnp.start(0)
    assert a.receive(1, c.status, c.body, 1) == [] and a.drops["status"] == 1
