"""The WPS registration protocol: an enrollee and a registrar run against
each other in memory (push button, PIN, wrong PIN halves, M2D, PBC overlap,
retransmission and timeout), and against malformed, forged and replayed
messages."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from net80211.wire.frame import FrameError
from net80211.wps import (
    PBC_PASSWORD,
    WALK_TIME_NS,
    Authorizations,
    CancelTimer,
    Credential,
    DeviceInfo,
    Enrollee,
    Event,
    Finished,
    GotCredential,
    Registrar,
    Send,
    SetTimer,
)
from net80211.wps import attrs as wa
from net80211.wps.attrs import A, DevPw, Msg
from net80211.wps.crypto import DhKey, SessionKeys, WpsCryptoError
from net80211.wps.eap import Eap, eapol, parse_eapol

CRED = Credential(b"DIRECT-ab-dev", wa.AUTH_WPA2PSK, wa.ENCR_AES, b"Xy3kLm9q", b"\0" * 6)
E_MAC, R_MAC = b"\x02\x00\x00\x00\x01\x00", b"\x06\x00\x00\x00\x00\x00"
SEC = 1_000_000_000


class Run:
    """One exchange; `tamper(to, pdu)` may replace what goes to "enrollee" or "registrar"."""

    def __init__(self, seed: int = 1, pin: bytes | None = None, reg_pin: bytes | None = None,
                 pbc: bool = True, auth: Authorizations | None = None, now: int = 0,
                 uuid: bytes | None = None, reg_frag: int = 1398, enr_frag: int = 1398) -> None:
        r = random.Random(seed)
        self.auth = auth if auth is not None else Authorizations()
        if auth is None:
            if pbc:
                assert self.auth.push_button(now)
            elif reg_pin is not None:
                self.auth.add_pin(reg_pin)
        self.reg = Registrar(DeviceInfo(r.randbytes(16), R_MAC), self.auth, CRED, r.randbytes, now,
                             fragment_size=reg_frag)
        pw, pw_id = (PBC_PASSWORD, DevPw.PUSHBUTTON) if pbc else (pin or b"", DevPw.DEFAULT)
        self.enr = Enrollee(DeviceInfo(uuid or r.randbytes(16), E_MAC), pw, pw_id, r.randbytes,
                            fragment_size=enr_frag)
        self.now = now
        self.events: list[tuple[str, object]] = []
        self.log: list[tuple[str, bytes]] = []

    def go(self, tamper: Callable[[str, bytes], list[bytes]] | None = None, steps: int = 60) -> Run:
        to_reg = [a.pdu for a in self.enr.start() if isinstance(a, Send)]
        to_enr = self._acts("R", self.reg.start(self.now))
        for _ in range(steps):
            nxt_e: list[bytes] = []
            nxt_r: list[bytes] = []
            for p in to_enr:
                for q in (tamper("enrollee", p) if tamper else [p]):
                    self.log.append(("enrollee", q))
                    nxt_r += self._acts("E", self.enr.receive(q, self.now))
            for p in to_reg:
                for q in (tamper("registrar", p) if tamper else [p]):
                    self.log.append(("registrar", q))
                    nxt_e += self._acts("R", self.reg.receive(q, self.now))
            to_enr, to_reg = nxt_e, nxt_r
            if not to_enr and not to_reg:
                break
        return self

    def _acts(self, who: str, acts: list) -> list[bytes]:
        out = []
        for a in acts:
            if isinstance(a, Send):
                out.append(a.pdu)
            elif not isinstance(a, (SetTimer, CancelTimer)):
                self.events.append((who, a))
        return out

    def texts(self, who: str) -> list[str]:
        return [a.text for w, a in self.events if w == who and isinstance(a, Event)]

    def finished(self, who: str) -> Finished | None:
        return next((a for w, a in self.events if w == who and isinstance(a, Finished)), None)

    def creds(self) -> list[Credential]:
        return [a.cred for w, a in self.events if isinstance(a, GotCredential)]


def test_pin_checksum_and_validity():
    assert wa.pin_valid("12345670") and not wa.pin_valid("12345671")
    assert wa.pin_valid("1234") and not wa.pin_valid("123") and not wa.pin_valid("1234567a")
    assert all(wa.pin_valid(f"{n:07d}{wa.pin_checksum(n)}") for n in (0, 1, 4_999_999, 9_999_999))


def test_both_sides_derive_the_same_keys_and_a_tampered_message_fails_its_authenticator():
    r = random.Random(3)
    a, b = DhKey(r.randbytes), DhKey(r.randbytes)
    n1, n2 = r.randbytes(16), r.randbytes(16)
    ka = SessionKeys(a.shared(b.public), n1, E_MAC, n2)
    kb = SessionKeys(b.shared(a.public), n1, E_MAC, n2)
    assert (ka.auth_key, ka.key_wrap_key, ka.emsk) == (kb.auth_key, kb.key_wrap_key, kb.emsk)
    assert len(ka.auth_key) == 32 and len(ka.key_wrap_key) == 16 and len(ka.emsk) == 32
    body = wa.build([(A.VERSION, b"\x10"), (A.MSG_TYPE, b"\x07")])
    msg = body + wa.tlv(A.AUTHENTICATOR, ka.authenticator(b"prev", body))
    kb.check_authenticator(b"prev", msg)
    with pytest.raises(WpsCryptoError):
        kb.check_authenticator(b"prev", msg[:5] + b"\x08" + msg[6:])
    with pytest.raises(WpsCryptoError):
        a.shared(b"\x00" * 191 + b"\x01")  # 1 is no public key
    enc = ka.encrypt([(A.E_SNONCE1, b"s" * 16)], b"i" * 16)
    assert kb.decrypt(enc) == [(A.E_SNONCE1, b"s" * 16)]
    with pytest.raises(WpsCryptoError):
        kb.decrypt(enc[:-1] + bytes((enc[-1] ^ 1,)))


def test_push_button_registration_delivers_the_credential_and_the_button_pops_out():
    run = Run().go()
    assert run.creds() == [Credential(CRED.ssid, CRED.auth_type, CRED.encr_type, CRED.key, E_MAC)]
    assert run.texts("E") == ["WPS-CRED-RECEIVED", "WPS-SUCCESS"]
    assert run.texts("R")[0].startswith(f"WPS-REG-SUCCESS {E_MAC.hex(':')} ")
    assert run.finished("E") == Finished(True) and run.finished("R") == Finished(True)
    assert not run.auth.pbc_active(0)
    # the exchange: Identity, WSC_Start, M1..M8, Done, then the EAP-Failure
    kinds = []
    for _to, pdu in run.log:
        eap = Eap.parse(parse_eapol(pdu)[2]) if parse_eapol(pdu)[1] == 0 else None
        if eap is not None and eap.op == 4:
            kinds.append(Msg(wa.need(wa.parse(eap.data), A.MSG_TYPE)[0]).name)
    assert kinds == ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8"]
    assert Eap.parse(parse_eapol(run.log[-1][1])[2]).code == 4


def test_pin_registration_and_a_spent_pin():
    run = Run(pbc=False, pin=b"12345670", reg_pin=b"12345670").go()
    assert run.creds() and run.finished("R").success
    assert run.auth.pins == {}


@pytest.mark.parametrize(("reg_pin", "msg"), [(b"99995670", Msg.M4), (b"12349999", Msg.M6)])
def test_a_wrong_pin_half_fails_at_m4_or_m6_with_config_error_18(reg_pin, msg):
    run = Run(pbc=False, pin=b"12345670", reg_pin=reg_pin).go()
    assert run.creds() == []
    want = f"WPS-FAIL msg={int(msg)} config_error=18"
    assert run.texts("E") == [want] and run.texts("R") == [want]
    assert run.finished("E") == Finished(False, int(msg), 18)


def test_the_registrar_checks_the_enrollees_hashes_too():
    # an enrollee that skips its R-Hash check (a hostile one) is caught at M5
    run = Run(pbc=False, pin=b"12345670", reg_pin=b"99995670")
    run.enr.psk1 = b""
    orig = run.enr._secret_msg

    def lenient(ident, msg, nonce_attr, hash_, psk, fail_msg):
        out, ok = orig(ident, msg, nonce_attr, hash_, psk, fail_msg)
        return ([], True) if not ok and any(isinstance(a, Event) for a in out) else (out, ok)

    run.enr._secret_msg = lenient
    run.enr.state = run.enr.state
    run.go()
    assert run.creds() == []
    assert "WPS-FAIL msg=9 config_error=18" in run.texts("R")


def test_no_authorization_answers_m2d():
    run = Run(pbc=False, pin=b"12345670", reg_pin=None).go()
    assert run.creds() == [] and run.texts("E")[0] == "WPS-M2D dev_password_id=0 config_error=0"
    assert run.finished("E") == Finished(False, int(Msg.M2D), 0)


def test_pbc_overlap_within_the_walk_time_refuses_with_config_error_12():
    auth = Authorizations()
    auth.pbc_session(b"u" * 16, b"\x02\x00\x00\x00\x09\x00", 0)  # two enrollees pressed:
    auth.pbc_session(b"w" * 16, b"\x02\x00\x00\x00\x0a\x00", 0)
    assert auth.push_button(10 * SEC) is False and auth.overlaps == 1  # hostapd refuses to start
    auth.sessions.clear()
    assert auth.push_button(10 * SEC)
    auth.pbc_session(b"u" * 16, b"\x02\x00\x00\x00\x09\x00", 11 * SEC)
    run = Run(auth=auth, now=20 * SEC).go()
    assert run.creds() == []
    assert run.texts("R")[:2] == ["WPS-OVERLAP-DETECTED", "WPS-FAIL msg=4 config_error=12"]
    assert "WPS-M2D dev_password_id=4 config_error=12" in run.texts("E")
    assert run.finished("E") == Finished(False, int(Msg.M2D), 12)


def test_a_pbc_session_older_than_the_walk_time_is_no_overlap():
    auth = Authorizations()
    auth.pbc_session(b"u" * 16, b"\x02\x00\x00\x00\x09\x00", 0)
    now = WALK_TIME_NS + 1
    assert auth.push_button(now)
    assert Run(auth=auth, now=now).go().creds()
    # the same enrollee seen twice (probe request, then M1) is one session
    auth2 = Authorizations()
    assert auth2.push_button(0)
    auth2.pbc_session(b"v" * 16, E_MAC, 0)
    assert Run(auth=auth2, uuid=b"v" * 16).go().creds()


def test_the_walk_time_ends_pbc():
    auth = Authorizations()
    assert auth.push_button(0)
    assert not auth.pbc_active(WALK_TIME_NS)
    run = Run(auth=auth, now=WALK_TIME_NS).go()
    assert run.creds() == [] and run.finished("E").config_error == 0


def test_the_registrar_retransmits_then_times_out():
    run = Run()
    acts = run.reg.start(0)
    first = next(a.pdu for a in acts if isinstance(a, Send))
    t = next(a.at_ns for a in acts if isinstance(a, SetTimer))
    sent = []
    for _ in range(10):
        acts = run.reg.timer(t)
        sent += [a.pdu for a in acts if isinstance(a, Send)]
        nxt = [a.at_ns for a in acts if isinstance(a, SetTimer)]
        if not nxt:
            break
        t = nxt[0]
    assert sent[:4] == [first] * 4
    assert run.reg.result == Finished(False, 0, 16)


def test_a_lost_response_is_answered_again():
    run = Run()
    dropped = []

    def lose_m3_once(to, pdu):
        if to == "registrar" and not dropped and b"\x10\x22\x00\x01\x07" in pdu:
            dropped.append(pdu)
            return []
        return [pdu]

    run.go(lose_m3_once)
    assert not run.creds()  # stalled: the registrar resends M2 on its timer
    m2 = run.reg.timer(run.reg.tries and 10 * SEC)
    again = run.enr.receive(next(a.pdu for a in m2 if isinstance(a, Send)))
    assert [a.pdu for a in again if isinstance(a, Send)] == dropped
    assert run.enr.drops["retransmitted"] == 1


# -- fragmentation -----------------------------------------------------------------------------
def _wsc_packets(run: Run, to: str) -> list[Eap]:
    return [e for t, pdu in run.log if t == to and parse_eapol(pdu)[1] == 0
            for e in [Eap.parse(parse_eapol(pdu)[2])] if e.op is not None]


@settings(max_examples=15, deadline=None)
@given(st.integers(16, 1500), st.integers(16, 1500))
def test_messages_longer_than_the_fragment_size_go_in_parts_and_the_exchange_succeeds(reg_frag, enr_frag):
    run = Run(reg_frag=reg_frag, enr_frag=enr_frag).go(steps=5000)
    assert run.creds() == [Credential(CRED.ssid, CRED.auth_type, CRED.encr_type, CRED.key, E_MAC)]
    assert run.finished("E") == Finished(True) and run.finished("R") == Finished(True)
    for to, size in (("enrollee", reg_frag), ("registrar", enr_frag)):
        sent = _wsc_packets(run, to)
        assert all(len(e.data) <= size for e in sent)
        firsts = [e for e in sent if e.flags & 0x02]
        assert all(e.flags & 0x01 and e.total > size for e in firsts)  # LF only on a first part
    whole = Run().go()  # the same exchange without fragments drops the same (the EAPOL-Start race)
    assert (run.enr.drops, run.reg.drops) == (whole.enr.drops, whole.reg.drops)


def test_each_fragment_is_acknowledged_before_the_next_goes():
    run = Run(reg_frag=200, enr_frag=150).go(steps=500)
    assert run.finished("E") == Finished(True)
    to_reg = _wsc_packets(run, "registrar")
    first = next(e for e in to_reg if e.op == 4)
    n = -(-first.total // 150)
    m1_parts = [e for e in to_reg if e.op == 4][:n]
    assert n >= 3 and [e.flags for e in m1_parts] == [0x03] + [0x01] * (n - 2) + [0x00]
    assert sum(len(e.data) for e in m1_parts) == first.total
    # between two parts, exactly one FRAG_ACK went the other way
    log = [(t, Eap.parse(parse_eapol(p)[2]).op) for t, p in run.log if parse_eapol(p)[1] == 0]
    i = log.index(("registrar", 4))
    assert log[i:i + 2 * n - 1] == [("registrar", 4), ("enrollee", 6)] * (n - 1) + [("registrar", 4)]
    frag_acks_from_reg = [e for e in _wsc_packets(run, "enrollee") if e.op == 6]
    frag_acks_from_enr = [e for e in to_reg if e.op == 6]
    assert frag_acks_from_reg and frag_acks_from_enr
    # a registrar's FRAG_ACK is a new request; the enrollee's answers the request's identifier
    assert all(e.code == 1 for e in frag_acks_from_reg) and all(e.code == 2 for e in frag_acks_from_enr)


def _first_m2_part(run: Run) -> Eap:
    return next(e for e in _wsc_packets(run, "enrollee") if e.op == 4 and e.flags & 0x02)


@pytest.mark.parametrize("bad,why", [
    (lambda e: Eap(e.code, e.ident, e.type, e.data, e.op, 0x01), "fragment_no_length"),
    (lambda e: Eap(e.code, e.ident, e.type, e.data, e.op, 0x03, 50001), "fragment_length"),
    (lambda e: Eap(e.code, e.ident, e.type, e.data, e.op, 0x03, len(e.data)), "fragment_length"),
    (lambda e: Eap(e.code, e.ident, e.type, e.data, e.op, 0x02, len(e.data) + 1), "fragment_length"),
])
def test_a_malformed_first_fragment_is_dropped_with_its_reason(bad, why):
    ref = Run(reg_frag=300).go(steps=500)
    part = _first_m2_part(ref)
    run = Run(reg_frag=300)
    seen: list[bytes] = []

    def tamper(to, pdu):
        if to == "enrollee" and parse_eapol(pdu)[1] == 0 and not seen:
            e = Eap.parse(parse_eapol(pdu)[2])
            if e.op == 4 and e.flags & 0x02:
                seen.append(pdu)
                return [eapol(0, bad(e).to_bytes(), pdu[0])]
        return [pdu]

    run.go(tamper, steps=500)
    assert seen and part.total > 300
    assert run.enr.drops[why] == 1 and not run.creds()


def test_a_continuation_that_overruns_or_changes_op_forgets_the_partial_message():
    for mutate, why in ((lambda e: Eap(e.code, e.ident, e.type, e.data + b"x" * 400, e.op, e.flags),
                         "fragment_length"),
                        (lambda e: Eap(e.code, e.ident, e.type, e.data, 2, e.flags), "fragment_unexpected"),
                        (lambda e: Eap(e.code, e.ident, e.type, e.data, e.op, e.flags | 0x02, 999),
                         "fragment_unexpected")):
        run = Run(reg_frag=300)
        done: list[int] = []

        def tamper(to, pdu, mutate=mutate, done=done, run=run):
            if to == "enrollee" and parse_eapol(pdu)[1] == 0 and not done:
                e = Eap.parse(parse_eapol(pdu)[2])
                if e.op == 4 and not e.flags & 0x02 and run.enr.rx_buf is not None:
                    done.append(1)
                    return [eapol(0, mutate(e).to_bytes(), pdu[0])]
            return [pdu]

        run.go(tamper, steps=500)
        assert done and run.enr.drops[why] == 1 and run.enr.rx_buf is None and not run.creds()


def test_a_frag_ack_with_nothing_pending_is_dropped():
    run = Run().go()
    fresh = Run()
    fresh.enr.start()
    ack = Eap(1, 7, 254, b"", 6, 0)
    assert fresh.enr.receive(b"\x01\x00" + len(ack.to_bytes()).to_bytes(2, "big") + ack.to_bytes()) == []
    assert fresh.enr.drops["unexpected"] == 1
    assert run.finished("R") == Finished(True)
    with pytest.raises(ValueError, match="fragment_size 0"):
        Registrar(DeviceInfo(b"u" * 16, R_MAC), Authorizations(), CRED, random.Random(1).randbytes,
                  fragment_size=0)


# -- hostile input --------------------------------------------------------------------------
@given(st.binary(max_size=600))
def test_the_tlv_parser_takes_anything_without_crashing(buf):
    try:
        attrs = wa.parse(buf)
    except FrameError:
        return
    assert wa.build(attrs) == buf


@given(st.lists(st.tuples(st.sampled_from(list(A)), st.binary(max_size=40)), max_size=12))
def test_the_tlv_parser_checks_sizes(items):
    buf = wa.build(items)
    try:
        attrs = wa.parse(buf)
    except FrameError:
        assert any(t in wa.FIXED and len(v) != wa.FIXED[t] or
                   t in wa.BOUNDED and not wa.BOUNDED[t][0] <= len(v) <= wa.BOUNDED[t][1] for t, v in items)
        return
    assert attrs == [(int(t), v) for t, v in items]


GOOD = Run(seed=7).go()
GOOD_CRED = GOOD.creds()[0]


@settings(max_examples=60, deadline=None)
@given(step=st.integers(0, 40), pos=st.integers(0, 700), xor=st.integers(1, 255),
       mode=st.sampled_from(["flip", "replace", "junk", "truncate", "replay"]), junk=st.binary(max_size=300))
def test_hostile_messages_never_crash_and_never_install_a_forged_credential(step, pos, xor, mode, junk):
    seen = [0]
    history: list[bytes] = []

    def tamper(to, pdu):
        seen[0] += 1
        history.append(pdu)
        if seen[0] - 1 != step:
            return [pdu]
        if mode == "flip":
            i = pos % len(pdu)
            bad = pdu[:i] + bytes((pdu[i] ^ xor,)) + pdu[i + 1:]
        elif mode == "replace":
            bad = junk
        elif mode == "junk":
            bad = pdu[:4 + pos % 30] + junk
        elif mode == "truncate":
            bad = pdu[:pos % len(pdu)]
        else:
            bad = history[pos % len(history)]
        return [bad, pdu]  # the forged frame first, then the real one

    run = Run(seed=7).go(tamper)
    for c in run.creds():
        assert c == GOOD_CRED  # the registrar's credential or nothing
    drops = sum(run.enr.drops.values()) + sum(run.reg.drops.values())
    assert drops or run.finished("E") is not None or run.finished("R") is not None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=6), st.sampled_from(["m2", "m4", "m6", "m8"]))
def test_random_m_messages_at_every_state_are_dropped_and_counted(msgs, state):
    run = Run(seed=9)
    run.enr.start()
    run.enr.state = state
    run.enr.n_r = b"r" * 16
    for i, m in enumerate(msgs):
        eap = Eap(1, i + 1, 254, m, 4).to_bytes()
        acts = run.enr.receive(b"\x02\x00" + len(eap).to_bytes(2, "big") + eap)
        assert not any(isinstance(a, GotCredential) for a in acts)
    assert sum(run.enr.drops.values()) == len(msgs)
