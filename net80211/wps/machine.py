"""The WPS registration protocol (M1-M8) as two sans-IO machines over
EAP-WSC: the `Enrollee` (EAP peer, on the station that wants a network)
and the `Registrar` (the EAP server's side, on the AP that hands out its
credential), with the registrar's `Authorizations` (push-button walk time,
PBC sessions for overlap detection, PINs).

Each machine takes EAPOL frames (`receive(pdu, now)`) and timer expiries
and returns actions in order: `Send(pdu)` (an EAPOL frame to the peer),
`SetTimer(at_ns)` / `CancelTimer()`, `Event(text)` (wpa_supplicant's and
hostapd's event lines), `GotCredential` (the enrollee's result), `Finished`
(the exchange ended: success or not, with the config error).

Nothing reads a clock or draws randomness it was not given.  A frame that
does not parse, is not expected now, or fails a check (nonce, Authenticator,
Key Wrap Authenticator) is dropped into `drops` and changes nothing; only a
credential out of a verified M8 is ever reported.
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from net80211.wire.frame import FrameError
from net80211.wps import attrs as wa
from net80211.wps.attrs import A, ConfigError, DevPw, Msg
from net80211.wps.crypto import NONCE_LEN, DhKey, SessionKeys, WpsCryptoError
from net80211.wps.eap import (
    EAP_FAILURE,
    EAP_REQUEST,
    EAP_RESPONSE,
    EAP_TYPE_EXPANDED,
    EAP_TYPE_IDENTITY,
    EAPOL_EAP,
    EAPOL_START,
    ENROLLEE_IDENTITY,
    FLAG_LF,
    FLAG_MF,
    FRAGMENT_SIZE,
    MAX_MESSAGE,
    Eap,
    Op,
    eapol,
    parse_eapol,
    wsc,
)

SEC = 1_000_000_000
WALK_TIME_NS = 120 * SEC  # PBC: the walk time and the monitor time of overlap detection
RETRANS_NS = 1 * SEC  # the registrar resends an unanswered request after this
RETRANS_MAX = 4
PBC_PASSWORD = b"00000000"

Random = Callable[[int], bytes]


# -- actions -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Send:
    pdu: bytes


@dataclass(frozen=True, slots=True)
class SetTimer:
    at_ns: int


@dataclass(frozen=True, slots=True)
class CancelTimer:
    pass


@dataclass(frozen=True, slots=True)
class Event:
    text: str


@dataclass(frozen=True, slots=True)
class Credential:
    ssid: bytes
    auth_type: int
    encr_type: int
    key: bytes
    mac: bytes


@dataclass(frozen=True, slots=True)
class GotCredential:
    cred: Credential


@dataclass(frozen=True, slots=True)
class Finished:
    success: bool
    msg: int = 0  # the message the exchange failed at (hostapd's WPS-FAIL msg=)
    config_error: int = 0


Action = Send | SetTimer | CancelTimer | Event | GotCredential | Finished


@dataclass(slots=True)
class DeviceInfo:
    """What a WPS device says of itself in M1/M2."""

    uuid: bytes
    mac: bytes
    name: str = "net80211"
    manufacturer: str = "net80211"
    model_name: str = "hwsim"
    model_number: str = "1"
    serial: str = "0"
    pri_dev_type: bytes = b"\x00\x01\x00\x50\xf2\x04\x00\x01"
    config_methods: int = wa.CM_DISPLAY | wa.CM_VIRT_PBC | wa.CM_KEYPAD
    rf_bands: int = wa.RF_24GHZ

    def attrs(self) -> list[tuple[int, bytes]]:
        return [(A.MANUFACTURER, self.manufacturer.encode()[:64]),
                (A.MODEL_NAME, self.model_name.encode()[:32]),
                (A.MODEL_NUMBER, self.model_number.encode()[:32]),
                (A.SERIAL_NUMBER, self.serial.encode()[:32]),
                (A.PRIMARY_DEV_TYPE, self.pri_dev_type), (A.DEV_NAME, self.name.encode()[:32]),
                (A.RF_BANDS, bytes((self.rf_bands,)))]


def uuid_str(u: bytes) -> str:
    h = u.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _head(msg: Msg) -> list[tuple[int, bytes]]:
    return [(A.VERSION, bytes((wa.VERSION1,))), (A.MSG_TYPE, bytes((msg,)))]


def _ext() -> tuple[int, bytes]:
    return (A.VENDOR_EXT, wa.version2_ext())


def _with_auth(keys: SessionKeys, prev: bytes, attrs: list[tuple[int, bytes]]) -> bytes:
    body = wa.build(attrs)
    return body + wa.tlv(A.AUTHENTICATOR, keys.authenticator(prev, body))


class _Machine:
    """What both sides share: the session keys, the messages for the next
    Authenticator, the drop counters, the outcome, and EAP-WSC fragmentation
    (a message longer than `fragment_size` goes in parts flagged MF, the
    first with LF and the whole length; each part is answered by a
    FRAG_ACK before the next goes, as hostapd's and wpa_supplicant's
    eap_wsc do)."""

    def __init__(self, dev: DeviceInfo, random: Random, fragment_size: int = FRAGMENT_SIZE) -> None:
        if not 1 <= fragment_size <= MAX_MESSAGE:
            raise ValueError(f"fragment_size {fragment_size} is not in 1..{MAX_MESSAGE}")
        self.dev = dev
        self.random = random
        self.fragment_size = fragment_size
        self.tx_op = 0
        self.tx_rest = b""  # what is left of a message going out in fragments
        self.rx_op = 0
        self.rx_total = 0
        self.rx_buf: bytearray | None = None  # a message coming in fragments
        self.drops: Counter[str] = Counter()
        self.keys: SessionKeys | None = None
        self.dh: DhKey | None = None
        self.pk_e = b""
        self.pk_r = b""
        self.n_e = b""
        self.n_r = b""
        self.mac_e = b""
        self.uuid_e = b""
        self.psk1 = b""
        self.psk2 = b""
        self.last_in = b""  # the peer's last message, for the next Authenticator
        self.last_out = b""
        self.done = False
        self.state = "idle"

    def _drop(self, why: str) -> list[Action]:
        self.drops[why] += 1
        return []

    def _first_part(self, code: int, ident: int, op: int, msg: bytes) -> Eap:
        """The EAP packet that carries `msg`, or its first fragment (the rest
        waits for the peer's FRAG_ACK)."""
        if len(msg) <= self.fragment_size:
            self.tx_rest = b""
            return wsc(code, ident, op, msg)
        self.tx_op, self.tx_rest = op, msg[self.fragment_size:]
        return Eap(code, ident, EAP_TYPE_EXPANDED, msg[:self.fragment_size], op, FLAG_MF | FLAG_LF, len(msg))

    def _next_part(self, code: int, ident: int) -> Eap | None:
        """The next fragment, once the peer acknowledged the last one."""
        if not self.tx_rest:
            return None
        part, self.tx_rest = self.tx_rest[:self.fragment_size], self.tx_rest[self.fragment_size:]
        return Eap(code, ident, EAP_TYPE_EXPANDED, part, self.tx_op, FLAG_MF if self.tx_rest else 0)

    def _reassemble(self, eap: Eap) -> Eap | str | None:
        """The whole message `eap` ends (eap itself when it is not a
        fragment), None while more fragments are due (the caller answers
        FRAG_ACK), or why it is dropped (which also forgets a partial one)."""
        if self.rx_buf is None:
            if not eap.flags & FLAG_MF:
                if eap.flags & FLAG_LF and eap.total != len(eap.data):
                    return "fragment_length"
                return eap
            if not eap.flags & FLAG_LF:
                return "fragment_no_length"
            if eap.total > MAX_MESSAGE or eap.total <= len(eap.data):
                return "fragment_length"
            self.rx_op, self.rx_total, self.rx_buf = eap.op or 0, eap.total, bytearray(eap.data)
            return None
        buf = self.rx_buf
        buf += eap.data
        if eap.flags & FLAG_LF or eap.op != self.rx_op:
            self.rx_buf = None
            return "fragment_unexpected"
        more = bool(eap.flags & FLAG_MF)
        if len(buf) > self.rx_total or (len(buf) == self.rx_total) == more:
            self.rx_buf = None
            return "fragment_length"
        if more:
            return None
        self.rx_buf = None
        return Eap(eap.code, eap.ident, EAP_TYPE_EXPANDED, bytes(buf), self.rx_op)

    def _derive(self, password: bytes) -> None:
        assert self.dh is not None
        dhkey = self.dh.shared(self.pk_r if self.pk_e == self.dh.public else self.pk_e)
        self.keys = SessionKeys(dhkey, self.n_e, self.mac_e, self.n_r)
        self.psk1, self.psk2 = self.keys.psk_halves(password)

    def _check(self, msg: bytes, nonce_attr: int, nonce: bytes) -> list[tuple[int, bytes]] | str:
        """The attributes of an authenticated message, or why it is dropped."""
        try:
            attrs = wa.parse(msg)
            if wa.need(attrs, nonce_attr) != nonce:
                return "nonce"
            assert self.keys is not None
            self.keys.check_authenticator(self.last_out, msg)
        except FrameError:
            return "malformed"
        except WpsCryptoError:
            return "authenticator"
        return attrs

    def _decrypt(self, attrs: list[tuple[int, bytes]]) -> list[tuple[int, bytes]] | str:
        assert self.keys is not None
        try:
            return self.keys.decrypt(wa.need(attrs, A.ENCR_SETTINGS))
        except FrameError:
            return "malformed"
        except WpsCryptoError:
            return "key_wrap"

    def _proves(self, msg: bytes, own_attr: int, own_nonce: bytes, nonce_attr: int, hash_: bytes,
                psk: bytes) -> bool | str:
        """M4..M7's secret nonce against the hash the peer committed to: True
        if the peer knows this password half, False if not, or why the
        message is dropped (unauthenticated, undecryptable, malformed)."""
        got = self._check(msg, own_attr, own_nonce)
        if isinstance(got, str):
            return got
        plain = self._decrypt(got)
        if isinstance(plain, str):
            return plain
        snonce = wa.get(plain, nonce_attr)
        if snonce is None:
            return "malformed"
        self.last_in = msg
        assert self.keys is not None
        return hmac.compare_digest(self.keys.hash(snonce, psk, self.pk_e, self.pk_r), hash_)

    def _encrypted(self, prev: bytes, msg: Msg, peer_nonce: tuple[int, bytes],
                   settings: list[tuple[int, bytes]]) -> bytes:
        """M5..M8: the peer's nonce and `settings` in Encrypted Settings, with
        the Authenticator over `prev` (the peer's last message) and this one."""
        assert self.keys is not None
        enc = self.keys.encrypt(settings, self.random(16))
        return _with_auth(self.keys, prev, [*_head(msg), peer_nonce, (A.ENCR_SETTINGS, enc), _ext()])


# -- the enrollee -------------------------------------------------------------------------
class Enrollee(_Machine):
    """The EAP peer that gets a network credential.  `password` is the
    device password: PBC_PASSWORD with DevPw.PUSHBUTTON, else the PIN."""

    def __init__(self, dev: DeviceInfo, password: bytes, pw_id: int, random: Random,
                 eapol_version: int = 1, fragment_size: int = FRAGMENT_SIZE) -> None:
        super().__init__(dev, random, fragment_size)
        self.password = password
        self.pw_id = pw_id
        self.version = eapol_version
        self.mac_e = dev.mac
        self.uuid_e = dev.uuid
        self.n_e = random(NONCE_LEN)
        self.es1 = random(16)
        self.es2 = random(16)
        self.r_hash1 = b""
        self.r_hash2 = b""
        self.last_ident: int | None = None
        self.last_resp = b""
        self.cred: Credential | None = None
        self.fail: tuple[int, int] | None = None  # (msg, config_error) once failed
        self.m2d_error: int | None = None

    def start(self) -> list[Action]:
        """Associated: EAPOL-Start (the authenticator may have sent its request already)."""
        self.state = "start"
        return [Send(eapol(EAPOL_START, version=self.version))]

    def _respond(self, ident: int, eap: Eap) -> list[Action]:
        self.last_ident = ident
        self.last_resp = eapol(EAPOL_EAP, eap.to_bytes(), self.version)
        return [Send(self.last_resp)]

    def _msg(self, ident: int, op: int, msg: bytes) -> list[Action]:
        if op == Op.MSG:
            self.last_out = msg
        return self._respond(ident, self._first_part(EAP_RESPONSE, ident, op, msg))

    def receive(self, pdu: bytes, now: int = 0) -> list[Action]:
        if self.done:
            return self._drop("after_end")
        try:
            _v, ptype, body = parse_eapol(pdu)
            if ptype != EAPOL_EAP:
                return self._drop("eapol_type")
            eap = Eap.parse(body)
        except FrameError:
            return self._drop("malformed")
        if eap.code == EAP_FAILURE:
            return self._failure()
        if eap.code != EAP_REQUEST:
            return self._drop("eap_code")
        if eap.ident == self.last_ident and self.last_resp:
            self.drops["retransmitted"] += 1  # our answer was lost: the same answer again
            return [Send(self.last_resp)]
        if eap.type == EAP_TYPE_IDENTITY:
            ident = Eap(EAP_RESPONSE, eap.ident, EAP_TYPE_IDENTITY, ENROLLEE_IDENTITY)
            return self._respond(eap.ident, ident)
        if eap.type != EAP_TYPE_EXPANDED:
            return self._drop("eap_type")
        if eap.op == Op.FRAG_ACK:
            part = self._next_part(EAP_RESPONSE, eap.ident)
            return self._drop("unexpected") if part is None else self._respond(eap.ident, part)
        whole = self._reassemble(eap)
        if whole is None:
            return self._respond(eap.ident, wsc(EAP_RESPONSE, eap.ident, Op.FRAG_ACK))
        if isinstance(whole, str):
            return self._drop(whole)
        eap = whole
        if eap.op == Op.START:
            if self.state not in ("start", "m2"):
                return self._drop("unexpected")
            return self._m1(eap.ident)
        if eap.op == Op.NACK:
            return self._nacked(eap.ident)
        if eap.op != Op.MSG:
            return self._drop("unexpected")
        try:
            attrs = wa.parse(eap.data)
            mtype = wa.need(attrs, A.MSG_TYPE)[0]
        except FrameError:
            return self._drop("malformed")
        handlers: dict[tuple[str, int], Callable[[int, bytes], list[Action]]] = {
            ("m2", Msg.M2): self._m2, ("m2", Msg.M2D): self._m2d, ("m4", Msg.M4): self._m4,
            ("m6", Msg.M6): self._m6, ("m8", Msg.M8): self._m8}
        handler = handlers.get((self.state, mtype))
        if handler is None:
            return self._drop("unexpected")
        return handler(eap.ident, eap.data)

    def _m1(self, ident: int) -> list[Action]:
        if self.dh is None:
            self.dh = DhKey(self.random)
        self.pk_e = self.dh.public
        d = self.dev
        msg = wa.build([*_head(Msg.M1), (A.UUID_E, self.uuid_e), (A.MAC_ADDR, self.mac_e),
                        (A.ENROLLEE_NONCE, self.n_e), (A.PUBLIC_KEY, self.pk_e),
                        (A.AUTH_TYPE_FLAGS, (wa.AUTH_OPEN | wa.AUTH_WPA2PSK).to_bytes(2, "big")),
                        (A.ENCR_TYPE_FLAGS, (wa.ENCR_NONE | wa.ENCR_AES).to_bytes(2, "big")),
                        (A.CONN_TYPE_FLAGS, bytes((wa.CONN_ESS,))),
                        (A.CONFIG_METHODS, d.config_methods.to_bytes(2, "big")),
                        (A.WPS_STATE, bytes((wa.WPS_STATE_NOT_CONFIGURED,))), *d.attrs()[:4],
                        d.attrs()[4], d.attrs()[5], d.attrs()[6], (A.ASSOC_STATE, b"\x00\x00"),
                        (A.DEV_PASSWORD_ID, self.pw_id.to_bytes(2, "big")), (A.CONFIG_ERROR, b"\x00\x00"),
                        (A.OS_VERSION, b"\x80\x00\x00\x00"), _ext()])
        self.state = "m2"
        return self._msg(ident, Op.MSG, msg)

    def _m2(self, ident: int, msg: bytes) -> list[Action]:
        try:
            attrs = wa.parse(msg)
            if wa.need(attrs, A.ENROLLEE_NONCE) != self.n_e:
                return self._drop("nonce")
            n_r, pk_r = wa.need(attrs, A.REGISTRAR_NONCE), wa.need(attrs, A.PUBLIC_KEY)
            wa.need(attrs, A.UUID_R)
        except FrameError:
            return self._drop("malformed")
        self.n_r, self.pk_r = n_r, pk_r
        try:
            self._derive(self.password)
            assert self.keys is not None
            self.keys.check_authenticator(self.last_out, msg)
        except WpsCryptoError:
            self.keys = None
            return self._drop("authenticator")
        self.last_in = msg
        keys = self.keys
        h1 = keys.hash(self.es1, self.psk1, self.pk_e, self.pk_r)
        h2 = keys.hash(self.es2, self.psk2, self.pk_e, self.pk_r)
        m3 = _with_auth(keys, msg, [*_head(Msg.M3), (A.REGISTRAR_NONCE, self.n_r), (A.E_HASH1, h1),
                                    (A.E_HASH2, h2), _ext()])
        self.state = "m4"
        return self._msg(ident, Op.MSG, m3)

    def _m2d(self, ident: int, msg: bytes) -> list[Action]:
        try:
            attrs = wa.parse(msg)
            if wa.need(attrs, A.ENROLLEE_NONCE) != self.n_e:
                return self._drop("nonce")
            err = wa.u16(wa.get(attrs, A.CONFIG_ERROR) or b"\x00\x00")
        except FrameError:
            return self._drop("malformed")
        # An M2D is not authenticated: it only ends this attempt (as
        # wpa_supplicant, which reports it and waits for the EAP failure).
        self.m2d_error = err
        self.state = "m2d"
        msg_ack = wa.build([*_head(Msg.ACK), (A.ENROLLEE_NONCE, self.n_e),
                            (A.REGISTRAR_NONCE, wa.need(attrs, A.REGISTRAR_NONCE)), _ext()])
        return [Event(f"WPS-M2D dev_password_id={self.pw_id} config_error={err}"),
                *self._msg(ident, Op.ACK, msg_ack)]

    def _secret_msg(self, ident: int, msg: bytes, nonce_attr: int, hash_: bytes, psk: bytes,
                    fail_msg: Msg) -> tuple[list[Action], bool]:
        proved = self._proves(msg, A.ENROLLEE_NONCE, self.n_e, nonce_attr, hash_, psk)
        if isinstance(proved, str):
            return self._drop(proved), False
        if not proved:
            # the registrar does not know our password (half): NACK
            return self._fail_nack(ident, fail_msg, ConfigError.DEV_PASSWORD_AUTH_FAILURE), False
        return [], True

    def _m4(self, ident: int, msg: bytes) -> list[Action]:
        try:
            attrs = wa.parse(msg)
            self.r_hash1, self.r_hash2 = wa.need(attrs, A.R_HASH1), wa.need(attrs, A.R_HASH2)
        except FrameError:
            return self._drop("malformed")
        out, ok = self._secret_msg(ident, msg, A.R_SNONCE1, self.r_hash1, self.psk1, Msg.M4)
        if not ok:
            return out
        m5 = self._encrypted(msg, Msg.M5, (A.REGISTRAR_NONCE, self.n_r), [(A.E_SNONCE1, self.es1)])
        self.state = "m6"
        return self._msg(ident, Op.MSG, m5)

    def _m6(self, ident: int, msg: bytes) -> list[Action]:
        out, ok = self._secret_msg(ident, msg, A.R_SNONCE2, self.r_hash2, self.psk2, Msg.M6)
        if not ok:
            return out
        m7 = self._encrypted(msg, Msg.M7, (A.REGISTRAR_NONCE, self.n_r), [(A.E_SNONCE2, self.es2)])
        self.state = "m8"
        return self._msg(ident, Op.MSG, m7)

    def _m8(self, ident: int, msg: bytes) -> list[Action]:
        got = self._check(msg, A.ENROLLEE_NONCE, self.n_e)
        if isinstance(got, str):
            return self._drop(got)
        plain = self._decrypt(got)
        if isinstance(plain, str):
            return self._drop(plain)
        cred = None
        try:
            for t, v in plain:
                if t == A.CREDENTIAL:
                    cred = parse_credential(v)
                    break
        except FrameError:
            return self._drop("credential")
        if cred is None:
            return self._drop("credential")
        self.cred = cred
        self.state = "done"
        done = wa.build([*_head(Msg.DONE), (A.ENROLLEE_NONCE, self.n_e), (A.REGISTRAR_NONCE, self.n_r),
                         _ext()])
        return [GotCredential(cred), Event("WPS-CRED-RECEIVED"), *self._msg(ident, Op.DONE, done),
                Event("WPS-SUCCESS")]

    def _fail_nack(self, ident: int, at: Msg, err: int) -> list[Action]:
        self.fail = (int(at), int(err))
        self.state = "nack"
        nack = wa.build([*_head(Msg.NACK), (A.ENROLLEE_NONCE, self.n_e), (A.REGISTRAR_NONCE, self.n_r),
                         (A.CONFIG_ERROR, int(err).to_bytes(2, "big")), _ext()])
        return [Event(f"WPS-FAIL msg={int(at)} config_error={int(err)}"), *self._msg(ident, Op.NACK, nack)]

    def _nacked(self, ident: int) -> list[Action]:
        if self.state in ("idle", "start", "done", "nack"):
            return self._drop("unexpected")
        at = {"m2": Msg.M2, "m4": Msg.M4, "m6": Msg.M6, "m8": Msg.M8}.get(self.state, Msg.M2)
        return self._fail_nack(ident, at, ConfigError.NO_ERROR)

    def _failure(self) -> list[Action]:
        """EAP-Failure: the normal end of WPS (after WSC_Done), else a failure."""
        if self.state == "idle":
            return self._drop("unexpected")
        self.done = True
        if self.cred is not None:
            return [Finished(True)]
        out: list[Action] = []
        if self.fail is None:
            if self.m2d_error is not None:
                self.fail = (int(Msg.M2D), self.m2d_error)
            else:
                at = {"start": 0, "m2": Msg.M2, "m4": Msg.M4, "m6": Msg.M6, "m8": Msg.M8}.get(self.state, 0)
                self.fail = (int(at), 0)
            out.append(Event(f"WPS-FAIL msg={self.fail[0]} config_error={self.fail[1]}"))
        return [*out, Finished(False, *self.fail)]


def parse_credential(body: bytes) -> Credential:
    attrs = wa.parse(body)
    ssid = wa.need(attrs, A.SSID)
    auth = wa.u16(wa.need(attrs, A.AUTH_TYPE))
    encr = wa.u16(wa.need(attrs, A.ENCR_TYPE))
    key = wa.get(attrs, A.NETWORK_KEY) or b""
    mac = wa.need(attrs, A.MAC_ADDR)
    if auth == wa.AUTH_WPA2PSK:
        if encr != wa.ENCR_AES:
            raise FrameError("WPA2-PSK credential without AES")
        hexkey = len(key) == 64 and all(c in b"0123456789abcdefABCDEF" for c in key)
        if not (8 <= len(key) <= 63 and all(32 <= c < 127 for c in key)) and not hexkey:
            raise FrameError("network key is neither a passphrase nor a PSK")
    elif auth != wa.AUTH_OPEN or encr != wa.ENCR_NONE:
        raise FrameError(f"credential auth 0x{auth:04x} encr 0x{encr:04x} not supported")
    return Credential(ssid, auth, encr, key, mac)


def credential_attr(c: Credential) -> bytes:
    return wa.build([(A.NETWORK_INDEX, b"\x01"), (A.SSID, c.ssid),
                     (A.AUTH_TYPE, c.auth_type.to_bytes(2, "big")),
                     (A.ENCR_TYPE, c.encr_type.to_bytes(2, "big")), (A.NETWORK_KEY, c.key),
                     (A.MAC_ADDR, c.mac)])


# -- the registrar's authorizations --------------------------------------------------------
@dataclass
class Authorizations:
    """What an AP's registrar accepts (hostapd's wps_registrar): the push
    button (active for the walk time), PINs for any or one enrollee (by
    UUID-E or MAC address), and the PBC sessions heard for overlap
    detection (probe requests and M1s with the push-button password id
    within the monitor time)."""

    pbc_until_ns: int | None = None
    pbc_only: bytes | None = None  # a P2P GO authorizes its negotiated peer's address only
    pins: dict[bytes, bytes] = field(default_factory=dict)  # b"any", a UUID-E or a MAC -> PIN
    sessions: dict[bytes, tuple[bytes, int]] = field(default_factory=dict)  # UUID-E -> (MAC, when)
    overlaps: int = 0

    def push_button(self, now: int, only: bytes | None = None) -> bool:
        """Activate PBC for the walk time; False (not started) if sessions overlap now."""
        if self.overlap(now, None, None):
            self.overlaps += 1
            return False
        self.pbc_until_ns = now + WALK_TIME_NS
        self.pbc_only = only
        return True

    def pbc_active(self, now: int) -> bool:
        return self.pbc_until_ns is not None and now < self.pbc_until_ns

    def pbc_session(self, uuid_e: bytes, mac: bytes, now: int) -> None:
        """A PBC enrollee was heard (hostapd's wps_registrar_probe_req_rx)."""
        self.sessions[uuid_e] = (mac, now)
        if len(self.sessions) > 64:  # hearing many keeps only the newest
            oldest = min(self.sessions, key=lambda u: self.sessions[u][1])
            del self.sessions[oldest]

    def overlap(self, now: int, uuid_e: bytes | None, mac: bytes | None) -> bool:
        """More than one PBC enrollee within the monitor time (counting the
        one asking, `uuid_e`, once)."""
        live = {u for u, (m, t) in self.sessions.items() if now - t <= WALK_TIME_NS}
        if uuid_e is not None:
            live.add(uuid_e)
            # the same device under another UUID (a new M1 after a restart)
            live -= {u for u in live if u != uuid_e and self.sessions.get(u, (b"", 0))[0] == mac}
        return len(live) > 1

    def add_pin(self, pin: bytes, who: bytes = b"any") -> None:
        self.pins[who] = pin

    def password_for(self, uuid_e: bytes, mac: bytes, pw_id: int, now: int) -> tuple[bytes | None, int]:
        """The device password for this enrollee, or (None, config error)."""
        if pw_id == DevPw.PUSHBUTTON:
            if not self.pbc_active(now) or (self.pbc_only is not None and self.pbc_only != mac):
                return None, ConfigError.NO_ERROR
            if self.overlap(now, uuid_e, mac):
                self.overlaps += 1
                return None, ConfigError.MULTIPLE_PBC_DETECTED
            return PBC_PASSWORD, 0
        for who in (uuid_e, mac, b"any"):
            pin = self.pins.get(who)
            if pin is not None:
                return pin, 0
        return None, ConfigError.NO_ERROR

    def used(self, uuid_e: bytes, mac: bytes, pw_id: int) -> None:
        """A registration succeeded: the button pops out, the PIN is spent."""
        if pw_id == DevPw.PUSHBUTTON:
            self.pbc_until_ns = None
            self.pbc_only = None
            self.sessions.pop(uuid_e, None)
        else:
            for who in (uuid_e, mac, b"any"):
                if self.pins.pop(who, None) is not None:
                    break


# -- the registrar ------------------------------------------------------------------------------
class Registrar(_Machine):
    """The registrar's side of one enrollee's exchange (EAP server)."""

    def __init__(self, dev: DeviceInfo, auth: Authorizations, credential: Credential, random: Random,
                 now: int = 0, fragment_size: int = FRAGMENT_SIZE) -> None:
        super().__init__(dev, random, fragment_size)
        self.auth = auth
        self.cred = credential
        self.n_r = random(NONCE_LEN)
        self.rs1 = random(16)
        self.rs2 = random(16)
        self.e_hash1 = b""
        self.e_hash2 = b""
        self.ident = random(1)[0]
        self.last_req = b""
        self.tries = 0
        self.pw_id = 0
        self.password: bytes | None = None
        self.result: Finished | None = None
        self.version = 2

    def start(self, now: int) -> list[Action]:
        """The station associated for WPS: EAP-Request/Identity."""
        self.state = "identity"
        return self._request(Eap(EAP_REQUEST, self._next_ident(), EAP_TYPE_IDENTITY), now)

    def _next_ident(self) -> int:
        self.ident = (self.ident + 1) & 0xFF
        return self.ident

    def _request(self, eap: Eap, now: int) -> list[Action]:
        self.last_req = eapol(EAPOL_EAP, eap.to_bytes(), self.version)
        self.tries = 1
        return [Send(self.last_req), SetTimer(now + RETRANS_NS)]

    def _wsc(self, op: int, msg: bytes, now: int) -> list[Action]:
        if op == Op.MSG:
            self.last_out = msg
        return self._request(self._first_part(EAP_REQUEST, self._next_ident(), op, msg), now)

    def timer(self, now: int) -> list[Action]:
        if self.done or not self.last_req:
            return []
        if self.tries > RETRANS_MAX:
            return self._end(False, 0, ConfigError.MSG_TIMEOUT, "timeout")
        self.tries += 1
        return [Send(self.last_req), SetTimer(now + RETRANS_NS)]

    def _end(self, ok: bool, at: int, err: int, why: str = "") -> list[Action]:
        self.done = True
        self.state = "done" if ok else "failed"
        self.result = Finished(ok, at, err)
        out: list[Action] = [CancelTimer(),
                             Send(eapol(EAPOL_EAP, Eap(EAP_FAILURE, self.ident).to_bytes(), self.version))]
        if ok:
            out.append(Event(f"WPS-REG-SUCCESS {self.mac_e.hex(':')} {uuid_str(self.uuid_e)}"))
        elif why != "m2d":
            out.append(Event(f"WPS-FAIL msg={at} config_error={err}"))
        out.append(self.result)
        return out

    def receive(self, pdu: bytes, now: int = 0) -> list[Action]:
        if self.done:
            return self._drop("after_end")
        try:
            version, ptype, body = parse_eapol(pdu)
        except FrameError:
            return self._drop("malformed")
        if ptype == EAPOL_START:
            if self.state != "identity":
                return self._drop("unexpected")
            return self.start(now)
        if ptype != EAPOL_EAP:
            return self._drop("eapol_type")
        try:
            eap = Eap.parse(body)
        except FrameError:
            return self._drop("malformed")
        if eap.code != EAP_RESPONSE:
            return self._drop("eap_code")
        if eap.ident != self.ident:
            return self._drop("stale")
        if eap.type == EAP_TYPE_IDENTITY:
            if self.state != "identity":
                return self._drop("unexpected")
            if eap.data != ENROLLEE_IDENTITY:
                return self._drop("identity")
            self.state = "m1"
            return self._wsc(Op.START, b"", now)
        if eap.type != EAP_TYPE_EXPANDED:
            return self._drop("eap_type")
        if eap.op == Op.FRAG_ACK:
            if not self.tx_rest:
                return self._drop("unexpected")
            part = self._next_part(EAP_REQUEST, self._next_ident())
            assert part is not None
            return self._request(part, now)
        whole = self._reassemble(eap)
        if whole is None:
            return self._request(wsc(EAP_REQUEST, self._next_ident(), Op.FRAG_ACK), now)
        if isinstance(whole, str):
            return self._drop(whole)
        eap = whole
        if eap.op == Op.NACK:
            return self._nack(eap.data)
        if eap.op == Op.ACK:
            if self.state != "m2d":
                return self._drop("unexpected")
            return self._end(False, Msg.M2D, self.m2d_err, "m2d")
        if eap.op == Op.DONE:
            if self.state != "done_wait":
                return self._drop("unexpected")
            try:
                attrs = wa.parse(eap.data)
                if (wa.need(attrs, A.REGISTRAR_NONCE) != self.n_r
                        or wa.need(attrs, A.ENROLLEE_NONCE) != self.n_e):
                    return self._drop("nonce")
            except FrameError:
                return self._drop("malformed")
            self.auth.used(self.uuid_e, self.mac_e, self.pw_id)
            return self._end(True, 0, 0)
        if eap.op != Op.MSG:
            return self._drop("unexpected")
        try:
            mtype = wa.need(wa.parse(eap.data), A.MSG_TYPE)[0]
        except FrameError:
            return self._drop("malformed")
        handlers: dict[tuple[str, int], Callable[[bytes, int], list[Action]]] = {
            ("m1", Msg.M1): self._m1, ("m3", Msg.M3): self._m3,
            ("m5", Msg.M5): self._m5, ("m7", Msg.M7): self._m7}
        handler = handlers.get((self.state, mtype))
        if handler is None:
            return self._drop("unexpected")
        return handler(eap.data, now)

    m2d_err = 0

    def _m1(self, msg: bytes, now: int) -> list[Action]:
        try:
            attrs = wa.parse(msg)
            uuid_e, mac = wa.need(attrs, A.UUID_E), wa.need(attrs, A.MAC_ADDR)
            n_e, pk_e = wa.need(attrs, A.ENROLLEE_NONCE), wa.need(attrs, A.PUBLIC_KEY)
            pw_id = wa.u16(wa.need(attrs, A.DEV_PASSWORD_ID))
        except FrameError:
            return self._drop("malformed")
        self.uuid_e, self.mac_e, self.n_e, self.pk_e, self.pw_id = uuid_e, mac, n_e, pk_e, pw_id
        self.last_in = msg
        if pw_id == DevPw.PUSHBUTTON:
            self.auth.pbc_session(uuid_e, mac, now)
        password, err = self.auth.password_for(uuid_e, mac, pw_id, now)
        if password is None:
            # M2D: we cannot register this enrollee now (no button pressed, no
            # PIN, or PBC overlap); it ends this attempt
            self.m2d_err = err
            self.state = "m2d"
            m2d = wa.build([*_head(Msg.M2D), (A.ENROLLEE_NONCE, n_e), (A.REGISTRAR_NONCE, self.n_r),
                            (A.UUID_R, self.dev.uuid), *self._caps(),
                            (A.CONFIG_ERROR, int(err).to_bytes(2, "big")), _ext()])
            out: list[Action] = []
            if err == ConfigError.MULTIPLE_PBC_DETECTED:
                out += [Event("WPS-OVERLAP-DETECTED"),
                        Event(f"WPS-FAIL msg={int(Msg.M1)} config_error={err}")]
            return [*out, *self._wsc(Op.MSG, m2d, now)]
        self.password = password
        self.dh = DhKey(self.random)
        self.pk_r = self.dh.public
        try:
            self._derive(password)
        except WpsCryptoError:
            self.dh = None
            return self._drop("public_key")
        assert self.keys is not None
        m2 = _with_auth(self.keys, msg, [
            *_head(Msg.M2), (A.ENROLLEE_NONCE, n_e), (A.REGISTRAR_NONCE, self.n_r), (A.UUID_R, self.dev.uuid),
            (A.PUBLIC_KEY, self.pk_r), *self._caps(), (A.ASSOC_STATE, b"\x00\x00"),
            (A.CONFIG_ERROR, b"\x00\x00"), (A.DEV_PASSWORD_ID, pw_id.to_bytes(2, "big")),
            (A.OS_VERSION, b"\x80\x00\x00\x00"), _ext()])
        self.state = "m3"
        return self._wsc(Op.MSG, m2, now)

    def _caps(self) -> list[tuple[int, bytes]]:
        d = self.dev
        return [(A.AUTH_TYPE_FLAGS, (wa.AUTH_OPEN | wa.AUTH_WPA2PSK).to_bytes(2, "big")),
                (A.ENCR_TYPE_FLAGS, (wa.ENCR_NONE | wa.ENCR_AES).to_bytes(2, "big")),
                (A.CONN_TYPE_FLAGS, bytes((wa.CONN_ESS,))),
                (A.CONFIG_METHODS, d.config_methods.to_bytes(2, "big")),
                *d.attrs()]

    def _m3(self, msg: bytes, now: int) -> list[Action]:
        got = self._check(msg, A.REGISTRAR_NONCE, self.n_r)
        if isinstance(got, str):
            return self._drop(got)
        try:
            self.e_hash1, self.e_hash2 = wa.need(got, A.E_HASH1), wa.need(got, A.E_HASH2)
        except FrameError:
            return self._drop("malformed")
        self.last_in = msg
        keys = self.keys
        assert keys is not None
        rh1 = keys.hash(self.rs1, self.psk1, self.pk_e, self.pk_r)
        rh2 = keys.hash(self.rs2, self.psk2, self.pk_e, self.pk_r)
        enc = keys.encrypt([(A.R_SNONCE1, self.rs1)], self.random(16))
        m4 = _with_auth(keys, msg, [*_head(Msg.M4), (A.ENROLLEE_NONCE, self.n_e), (A.R_HASH1, rh1),
                                    (A.R_HASH2, rh2), (A.ENCR_SETTINGS, enc), _ext()])
        self.state = "m5"
        return self._wsc(Op.MSG, m4, now)

    def _secret(self, msg: bytes, nonce_attr: int, e_hash: bytes, psk: bytes, at: Msg,
                now: int) -> tuple[list[Action], bool]:
        proved = self._proves(msg, A.REGISTRAR_NONCE, self.n_r, nonce_attr, e_hash, psk)
        if isinstance(proved, str):
            return self._drop(proved), False
        if not proved:
            # the enrollee does not know the password: NACK, then fail
            self.state = "nack"
            self.fail_at = (int(at), int(ConfigError.DEV_PASSWORD_AUTH_FAILURE))
            nack = wa.build([*_head(Msg.NACK), (A.ENROLLEE_NONCE, self.n_e), (A.REGISTRAR_NONCE, self.n_r),
                             (A.CONFIG_ERROR, int(ConfigError.DEV_PASSWORD_AUTH_FAILURE).to_bytes(2, "big")),
                             _ext()])
            return self._wsc(Op.NACK, nack, now), False
        return [], True

    fail_at: tuple[int, int] | None = None

    def _m5(self, msg: bytes, now: int) -> list[Action]:
        out, ok = self._secret(msg, A.E_SNONCE1, self.e_hash1, self.psk1, Msg.M5, now)
        if not ok:
            return out
        m6 = self._encrypted(msg, Msg.M6, (A.ENROLLEE_NONCE, self.n_e), [(A.R_SNONCE2, self.rs2)])
        self.state = "m7"
        return self._wsc(Op.MSG, m6, now)

    def _m7(self, msg: bytes, now: int) -> list[Action]:
        out, ok = self._secret(msg, A.E_SNONCE2, self.e_hash2, self.psk2, Msg.M7, now)
        if not ok:
            return out
        cred = Credential(self.cred.ssid, self.cred.auth_type, self.cred.encr_type, self.cred.key, self.mac_e)
        m8 = self._encrypted(msg, Msg.M8, (A.ENROLLEE_NONCE, self.n_e),
                             [(A.CREDENTIAL, credential_attr(cred))])
        self.state = "done_wait"
        return self._wsc(Op.MSG, m8, now)

    def _nack(self, data: bytes) -> list[Action]:
        try:
            attrs = wa.parse(data)
            if wa.need(attrs, A.REGISTRAR_NONCE) != self.n_r:
                return self._drop("nonce")
            err = wa.u16(wa.get(attrs, A.CONFIG_ERROR) or b"\x00\x00")
        except FrameError:
            return self._drop("malformed")
        if self.fail_at is not None:
            return self._end(False, *self.fail_at)
        # the enrollee gave up: at the message we sent last (hostapd's mapping)
        at = {"m3": Msg.M2, "m5": Msg.M4, "m7": Msg.M6, "done_wait": Msg.M8}.get(self.state, Msg.M2)
        return self._end(False, int(at), err)
