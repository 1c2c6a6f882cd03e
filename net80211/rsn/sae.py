"""SAE, Simultaneous Authentication of Equals (IEEE 802.11-2020 12.4), over
ECC group 19 (NIST P-256), with the password element from hunting and
pecking (12.4.4.2.2) or hash-to-element (12.4.4.2.3, the H2E of WPA3 and
6 GHz).

Pure functions for the arithmetic (`derive_pwe`, `commit`, `process_commit`,
`confirm`) and `Sae`, the sans-IO protocol instance of one peer (12.4.8.6:
Nothing, Committed, Confirmed, Accepted) that takes received SAE
Authentication frame bodies and timer events and returns actions.  The
point arithmetic comes from pycryptodome (`cryptography` exposes no raw EC
point addition); the field square roots are Python integers (P-256's prime
is 3 mod 4).

With hash-to-element the commit may carry a Rejected Groups element
(12.4.8.6.4: the groups the peer refused earlier, which the receiver
checks against its own) and takes an anti-clogging token in an
Anti-Clogging Token Container element at its end rather than after the
group (12.4.6).

Not implemented: issuing anti-clogging tokens (an AP's policy: the STA
side answers a token request), FFC groups, other ECC groups.
"""

from __future__ import annotations

import enum
import hmac
import os
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from Crypto.PublicKey.ECC import EccPoint

from ..wire.frame import FrameError
from ..wire.mgmt import StatusCode
from .actions import CancelTimer, Failed, SetTimer
from .kdf import kdf_sha256

__all__ = ["GROUP_P256", "Commit", "derive_pwe", "derive_pt", "derive_pwe_h2e", "make_commit", "parse_commit",
           "split_token", "SaeKeys", "process_commit", "confirm_token", "Sae", "SaeState", "SendSae",
           "SaeAccepted"]

GROUP_P256 = 19
# NIST P-256 (FIPS 186-4 D.1.2.3)
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = _P - 3
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_R = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_LEN = 32
_HNP_ROUNDS = 40  # k: always run this many rounds, found or not (side channels)
PASSWORD_ID_EXT = 33  # Password Identifier element: ID 255, extension 33
REJECTED_GROUPS_EXT = 92  # Rejected Groups element
TOKEN_CONTAINER_EXT = 93  # Anti-Clogging Token Container element
STATUS_SAE_HASH_TO_ELEMENT = 126  # an H2E commit says so in its status code
STATUS_ANTI_CLOGGING_TOKEN_REQUIRED = 76
_MAX_TOKEN = 256


def _is_square(v: int) -> bool:
    return pow(v, (_P - 1) // 2, _P) == 1


def derive_pwe(password: bytes, addr1: bytes, addr2: bytes, identifier: bytes | None = None) -> EccPoint:
    """The password element by hunting and pecking (12.4.4.2.2): pwd-seed =
    HMAC-SHA256(max(A1,A2) || min(A1,A2), password [|| identifier] ||
    counter); pwd-value = KDF-256(pwd-seed, "SAE Hunting and Pecking", p);
    the first x with a square x^3+ax+b wins, y's parity from pwd-seed.  All
    40 rounds always run."""
    key = max(addr1, addr2) + min(addr1, addr2)
    prime = _P.to_bytes(_LEN, "big")
    found: tuple[int, int] | None = None
    counter = 1
    while counter <= _HNP_ROUNDS or found is None:
        if counter > 255:
            raise ValueError("no password element found")
        seed = hmac.digest(key, password + (identifier or b"") + bytes([counter]), "sha256")
        x = int.from_bytes(kdf_sha256(seed, b"SAE Hunting and Pecking", prime, 256), "big")
        if x < _P and found is None:
            rhs = (x * x * x + _A * x + _B) % _P
            if _is_square(rhs):
                found = (x, seed[-1] & 1)
        counter += 1
    x, parity = found
    y = pow((x * x * x + _A * x + _B) % _P, (_P + 1) // 4, _P)
    if y & 1 != parity:
        y = _P - y
    return EccPoint(x, y, "p256")


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes([i]), "sha256")
        out += block
        i += 1
    return out[:length]


_SSWU_Z = _P - 10  # z = -10 for P-256 (RFC 9380 8.2, 802.11 table 12-1)


def _sswu(u: int) -> EccPoint:
    """Simplified SWU map of a field element to the curve (12.4.4.2.3)."""
    z, a, b, p = _SSWU_Z, _A, _B, _P
    m = (z * z * pow(u, 4, p) + z * u * u) % p
    t = pow(m, p - 2, p)  # 1/m, 0 when m = 0
    x1 = b * pow(z * a, p - 2, p) % p if m == 0 else (-b * pow(a, p - 2, p) * (1 + t)) % p
    gx1 = (x1 * x1 * x1 + a * x1 + b) % p
    x2 = z * u * u * x1 % p
    gx2 = (x2 * x2 * x2 + a * x2 + b) % p
    x, v = (x1, gx1) if _is_square(gx1) else (x2, gx2)
    y = pow(v, (p + 1) // 4, p)
    if (u & 1) != (y & 1):
        y = p - y
    return EccPoint(x, y, "p256")


@lru_cache(maxsize=64)
def derive_pt(ssid: bytes, password: bytes, identifier: bytes | None = None) -> EccPoint:
    """The password's PT, per SSID, for hash-to-element (12.4.4.2.3):
    pwd-seed = HKDF-Extract(SSID, password [|| identifier]); u1, u2 from
    HKDF-Expand with "SAE Hash to Element u1 P1"/"... u2 P2" (48 octets, mod
    p); PT = SSWU(u1) + SSWU(u2).  Kept per SSID and password, as hostapd
    and wpa_supplicant keep the PT of a network (it does not depend on the
    peers' addresses)."""
    seed = hmac.digest(ssid, password + (identifier or b""), "sha256")
    points = []
    for label in (b"SAE Hash to Element u1 P1", b"SAE Hash to Element u2 P2"):
        u = int.from_bytes(_hkdf_expand(seed, label, _LEN + _LEN // 2), "big") % _P
        points.append(_sswu(u))
    return points[0] + points[1]


def derive_pwe_h2e(pt: EccPoint, addr1: bytes, addr2: bytes) -> EccPoint:
    """PWE = val * PT, val = (HKDF-Extract(0^32, max(A1,A2) || min(A1,A2))
    mod (r - 1)) + 1."""
    val = hmac.digest(bytes(32), max(addr1, addr2) + min(addr1, addr2), "sha256")
    return pt * (int.from_bytes(val, "big") % (_R - 1) + 1)


def _point_bytes(p: EccPoint) -> bytes:
    return int(p.x).to_bytes(_LEN, "big") + int(p.y).to_bytes(_LEN, "big")


def _ext(ext_id: int, data: bytes) -> bytes:
    return bytes([255, len(data) + 1, ext_id]) + data


@dataclass(frozen=True, slots=True)
class Commit:
    """An SAE Commit body's fields (after algorithm, sequence, status).
    `h2e`: the hash-to-element layout (a token in its container element at
    the end, a Rejected Groups element allowed)."""

    group: int
    scalar: int
    element: EccPoint
    identifier: bytes | None = None
    token: bytes | None = None
    rejected_groups: tuple[int, ...] | None = None
    h2e: bool = False

    def body(self) -> bytes:
        token = self.token or b""
        out = struct.pack("<H", self.group) + (b"" if self.h2e else token) + self.scalar.to_bytes(_LEN, "big")
        out += _point_bytes(self.element)
        if self.identifier is not None:
            out += _ext(PASSWORD_ID_EXT, self.identifier)
        if self.h2e and self.rejected_groups:
            out += _ext(REJECTED_GROUPS_EXT, b"".join(struct.pack("<H", g) for g in self.rejected_groups))
        if self.h2e and token:
            out += _ext(TOKEN_CONTAINER_EXT, token)
        return out


def make_commit(pwe: EccPoint, rand: int, mask: int, identifier: bytes | None = None, *,
                h2e: bool = False) -> Commit:
    """scalar = (rand + mask) mod r, element = -(mask * PWE) (12.4.5.3)."""
    scalar = (rand + mask) % _R
    if scalar < 2:
        raise ValueError("degenerate commit scalar: draw rand and mask again")
    return Commit(GROUP_P256, scalar, -(pwe * mask), identifier, h2e=h2e)


def _ext_elements(rest: bytes) -> list[tuple[int, bytes]]:
    """The extension elements after a commit's element: (extension id, data)."""
    out = []
    pos = 0
    while pos < len(rest):
        if (len(rest) - pos < 3 or rest[pos] != 255 or rest[pos + 1] < 1
                or pos + 2 + rest[pos + 1] > len(rest)):
            raise FrameError("trailing bytes after the SAE commit element")
        end = pos + 2 + rest[pos + 1]
        out.append((rest[pos + 2], rest[pos + 3:end]))
        pos = end
    return out


def split_token(body: bytes, h2e: bool, token_len: int) -> tuple[bytes, bytes | None]:
    """A commit body without its anti-clogging token, and the token (None
    if it has none): after the group with hunting and pecking (`token_len`
    bytes, an AP's own length), in the container element at the end with
    hash-to-element."""
    if not h2e:
        if len(body) >= 2 + token_len + 3 * _LEN:
            return body[:2] + body[2 + token_len:], body[2:2 + token_len]
        return body, None
    rest = body[2 + 3 * _LEN:]
    try:
        elements = _ext_elements(rest)
    except FrameError:
        return body, None
    if elements and elements[-1][0] == TOKEN_CONTAINER_EXT:
        token = elements[-1][1]
        return body[:len(body) - len(token) - 3], token
    return body, None


def parse_commit(body: bytes, *, h2e: bool = False) -> Commit:
    """Read a peer's Commit body; FrameError for anything malformed or an
    invalid scalar or element (12.4.5.4).  With `h2e` a Rejected Groups and
    a token container element may follow the element."""
    if len(body) < 2:
        raise FrameError("SAE commit without a group")
    group = struct.unpack_from("<H", body)[0]
    if group != GROUP_P256:
        raise FrameError(f"SAE group {group} is not supported")
    if len(body) < 2 + 3 * _LEN:
        raise FrameError("SAE commit too short for group 19")
    scalar = int.from_bytes(body[2:2 + _LEN], "big")
    if not 1 < scalar < _R:
        raise FrameError("SAE commit scalar out of range")
    x = int.from_bytes(body[2 + _LEN:2 + 2 * _LEN], "big")
    y = int.from_bytes(body[2 + 2 * _LEN:2 + 3 * _LEN], "big")
    if x >= _P or y >= _P:
        raise FrameError("SAE commit element coordinate out of range")
    try:
        element = EccPoint(x, y, "p256")
    except ValueError:
        raise FrameError("SAE commit element is not on the curve") from None
    identifier = token = None
    rejected: tuple[int, ...] | None = None
    # the order is fixed: identifier, rejected groups, token container
    allowed = [PASSWORD_ID_EXT, *((REJECTED_GROUPS_EXT, TOKEN_CONTAINER_EXT) if h2e else ())]
    for ext_id, data in _ext_elements(body[2 + 3 * _LEN:]):
        if ext_id not in allowed:
            raise FrameError(f"unexpected element (extension {ext_id}) in the SAE commit")
        allowed = allowed[allowed.index(ext_id) + 1:]
        if ext_id == PASSWORD_ID_EXT:
            identifier = data
        elif ext_id == REJECTED_GROUPS_EXT:
            if not data or len(data) % 2:
                raise FrameError("malformed Rejected Groups element")
            rejected = struct.unpack(f"<{len(data) // 2}H", data)
        else:
            token = data
    return Commit(group, scalar, element, identifier, token, rejected, h2e)


@dataclass(frozen=True, slots=True)
class SaeKeys:
    kck: bytes
    pmk: bytes
    pmkid: bytes

    def __repr__(self) -> str:
        return f"SaeKeys(pmkid={self.pmkid.hex()})"


def process_commit(pwe: EccPoint, rand: int, own: Commit, peer: Commit) -> SaeKeys:
    """K = rand * (peer-scalar * PWE + peer-element); keyseed =
    HMAC-SHA256(0^32, K.x); KCK || PMK = KDF-512(keyseed, "SAE KCK and PMK",
    (own-scalar + peer-scalar) mod r); PMKID from the same sum (12.4.5.4)."""
    k_point = (pwe * peer.scalar + peer.element) * rand
    if k_point.is_point_at_infinity():
        raise ValueError("SAE shared secret is the point at infinity")
    keyseed = hmac.digest(bytes(32), int(k_point.x).to_bytes(_LEN, "big"), "sha256")
    total = ((own.scalar + peer.scalar) % _R).to_bytes(_LEN, "big")
    raw = kdf_sha256(keyseed, b"SAE KCK and PMK", total, 512)
    return SaeKeys(raw[:32], raw[32:], total[:16])


def confirm_token(kck: bytes, send_confirm: int, first: Commit, second: Commit) -> bytes:
    """CN(KCK, send-confirm, commit-scalar, COMMIT-ELEMENT, peer-commit-scalar,
    PEER-COMMIT-ELEMENT) with HMAC-SHA256: `first` is the sender's own
    commit (12.4.5.5)."""
    data = (struct.pack("<H", send_confirm) + first.scalar.to_bytes(_LEN, "big") + _point_bytes(first.element)
            + second.scalar.to_bytes(_LEN, "big") + _point_bytes(second.element))
    return hmac.digest(kck, data, "sha256")


# -- the protocol instance ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class SendSae:
    """Send an Authentication frame: algorithm 3 (SAE), this transaction
    sequence number (1 commit, 2 confirm), status, and body."""

    transaction: int
    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class SaeAccepted:
    pmk: bytes
    pmkid: bytes

    def __repr__(self) -> str:
        return f"SaeAccepted(pmkid={self.pmkid.hex()})"


class SaeState(enum.Enum):
    NOTHING = "nothing"
    COMMITTED = "committed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    FAILED = "failed"


SaeAction = SendSae | SaeAccepted | SetTimer | CancelTimer | Failed


class Sae:
    """One SAE peer instance.  Both sides run the same machine (SAE is
    symmetric): `start(now)` sends a commit, `receive(transaction, status,
    body, now)` takes the peer's frames, `timer(now)` retransmits.  Retries
    by default: dot11RSNASAERetransPeriod 40 ms, dot11RSNASAESync 5 (hostapd's
    mesh peers); an infrastructure station waits as mac80211 does
    (`retrans_ms=2000, sync_max=2`: net80211.security's SAE_RETRANS_MS)."""

    RETRANS_MS = 40
    SYNC_MAX = 5

    def __init__(self, *, password: bytes, own_addr: bytes, peer_addr: bytes, identifier: bytes | None = None,
                 ssid: bytes | None = None, random: Callable[[int], bytes] = os.urandom,
                 retrans_ms: int | None = None, sync_max: int | None = None) -> None:
        """With `ssid`, the password element comes from hash-to-element (its
        PT per SSID) and commits carry status 126; else hunting and pecking.
        `retrans_ms` / `sync_max` override the retransmission period and the
        number of retransmissions before giving up."""
        self.retrans_ms = self.RETRANS_MS if retrans_ms is None else retrans_ms
        self.sync_max = self.SYNC_MAX if sync_max is None else sync_max
        self.identifier = identifier
        self.h2e = ssid is not None
        if ssid is not None:
            self.pwe = derive_pwe_h2e(derive_pt(ssid, password, identifier), own_addr, peer_addr)
        else:
            self.pwe = derive_pwe(password, own_addr, peer_addr, identifier)
        self._random = random
        self.state = SaeState.NOTHING
        self.send_confirm = 0
        self.peer_send_confirm = -1
        self.sync = 0
        self.rand = 0
        self.own: Commit | None = None
        self.peer: Commit | None = None
        self.keys: SaeKeys | None = None
        self._retry_at: int | None = None
        self.drops: Counter[str] = Counter()

    def _scalar(self) -> int:
        while True:
            v = int.from_bytes(self._random(_LEN), "big")
            if 1 < v < _R:
                return v

    def _commit_action(self) -> SendSae:
        assert self.own is not None
        return SendSae(1, STATUS_SAE_HASH_TO_ELEMENT if self.h2e else StatusCode.SUCCESS, self.own.body())

    def _confirm_action(self) -> SendSae:
        assert self.keys is not None and self.own is not None and self.peer is not None
        token = confirm_token(self.keys.kck, self.send_confirm, self.own, self.peer)
        return SendSae(2, StatusCode.SUCCESS, struct.pack("<H", self.send_confirm) + token)

    def _arm(self, now_ns: int) -> SetTimer:
        self._retry_at = now_ns + self.retrans_ms * 1_000_000
        return SetTimer(self._retry_at)

    def _fail(self, why: str) -> list[SaeAction]:
        self.state = SaeState.FAILED
        self._retry_at = None
        return [CancelTimer(), Failed(StatusCode.UNSPECIFIED, why)]

    def abandon(self, why: str) -> list[SaeAction]:
        """Give up this exchange (the owner's decision, e.g. a station whose
        peer's confirm did not verify, as wpa_supplicant does)."""
        return self._fail(why)

    def start(self, now_ns: int, *, rand: int | None = None, mask: int | None = None) -> list[SaeAction]:
        """Send our commit (`rand`/`mask` only for test vectors)."""
        self.rand = self._scalar() if rand is None else rand
        self.own = make_commit(self.pwe, self.rand, self._scalar() if mask is None else mask, self.identifier,
                               h2e=self.h2e)
        self.state = SaeState.COMMITTED
        return [self._commit_action(), self._arm(now_ns)]

    def timer(self, now_ns: int) -> list[SaeAction]:
        if self._retry_at is None or now_ns < self._retry_at:
            return []
        self.sync += 1
        if self.sync > self.sync_max:
            return self._fail("SAE: no answer from the peer")
        if self.state == SaeState.COMMITTED:
            return [self._commit_action(), self._arm(now_ns)]
        if self.state == SaeState.CONFIRMED:
            self.send_confirm += 1
            return [self._confirm_action(), self._arm(now_ns)]
        return []

    def receive(self, transaction: int, status: int, body: bytes, now_ns: int) -> list[SaeAction]:
        """An SAE Authentication frame from the peer (its algorithm checked
        by the caller)."""
        if self.state in (SaeState.NOTHING, SaeState.FAILED):
            self.drops["no_instance"] += 1
            return []
        if transaction == 1 and status == STATUS_ANTI_CLOGGING_TOKEN_REQUIRED:
            return self._on_token_request(body, now_ns)
        want = STATUS_SAE_HASH_TO_ELEMENT if self.h2e and transaction == 1 else StatusCode.SUCCESS
        if status != want:
            self.drops["status"] += 1  # a refusal, or the other password element method
            return []
        if transaction == 1:
            return self._on_commit(body, now_ns)
        if transaction == 2:
            return self._on_confirm(body, now_ns)
        self.drops["transaction"] += 1
        return []

    def _on_token_request(self, body: bytes, now_ns: int) -> list[SaeAction]:
        """A busy AP asks for its anti-clogging token back (12.4.6): send the
        same commit again with the token after the group.  Only while no
        peer commit was taken; the retry budget still applies."""
        if self.state != SaeState.COMMITTED or self.own is None:
            self.drops["unexpected"] += 1
            return []
        if len(body) < 3 or struct.unpack_from("<H", body)[0] != GROUP_P256 or len(body) - 2 > _MAX_TOKEN:
            self.drops["malformed"] += 1
            return []
        token = body[2:]
        if self.h2e:
            # hash-to-element: the token comes (and goes back) in its container element
            try:
                elements = _ext_elements(token)
            except FrameError:
                elements = []
            if len(elements) != 1 or elements[0][0] != TOKEN_CONTAINER_EXT or not elements[0][1]:
                self.drops["malformed"] += 1
                return []
            token = elements[0][1]
        self.sync += 1
        if self.sync > self.sync_max:
            return self._fail("SAE: the AP keeps asking for anti-clogging tokens")
        self.own = Commit(self.own.group, self.own.scalar, self.own.element, self.own.identifier, token,
                          self.own.rejected_groups, self.h2e)
        return [self._commit_action(), self._arm(now_ns)]

    def _on_commit(self, body: bytes, now_ns: int) -> list[SaeAction]:
        assert self.own is not None
        try:
            peer = parse_commit(body, h2e=self.h2e)
        except FrameError:
            self.drops["malformed"] += 1
            return []
        if peer.rejected_groups is not None and GROUP_P256 in peer.rejected_groups:
            # the peer says we refused a group we do support: someone in
            # between did (a downgrade); refuse, as hostapd does
            self.drops["rejected_groups"] += 1
            return [SendSae(1, StatusCode.UNSPECIFIED, b""),
                    *self._fail("SAE: the peer's Rejected Groups names a group we support")]
        if peer.scalar == self.own.scalar and peer.element == self.own.element:
            self.drops["reflection"] += 1  # our own commit sent back
            return []
        if self.state == SaeState.COMMITTED:
            if peer.identifier != self.identifier:
                self.drops["identifier"] += 1
                return []
            try:
                self.keys = process_commit(self.pwe, self.rand, self.own, peer)
            except ValueError:
                self.drops["malformed"] += 1
                return []
            self.peer = peer
            self.state = SaeState.CONFIRMED
            self.send_confirm += 1  # counted before each confirm: the first carries 1
            return [self._confirm_action(), self._arm(now_ns)]
        if self.state == SaeState.CONFIRMED and self.peer is not None and peer.scalar == self.peer.scalar:
            # the peer did not get our commit/confirm: both again (12.4.8.6.5)
            self.sync += 1
            if self.sync > self.sync_max:
                return self._fail("SAE: too many resynchronizations")
            self.send_confirm += 1
            return [self._commit_action(), self._confirm_action(), self._arm(now_ns)]
        self.drops["unexpected"] += 1
        return []

    def _on_confirm(self, body: bytes, now_ns: int) -> list[SaeAction]:
        if self.state not in (SaeState.CONFIRMED, SaeState.ACCEPTED) or self.keys is None \
                or self.own is None or self.peer is None:
            self.drops["unexpected"] += 1
            return []
        if len(body) != 2 + 32:
            self.drops["malformed"] += 1
            return []
        peer_sc = struct.unpack_from("<H", body)[0]
        want = confirm_token(self.keys.kck, peer_sc, self.peer, self.own)
        if not hmac.compare_digest(want, body[2:]):
            self.drops["confirm"] += 1  # a wrong password shows here
            return []
        if self.state == SaeState.ACCEPTED:
            # the peer lost our confirm and sent its own again: answer once
            # per new send-confirm, ours at 0xFFFF (12.4.8.6.6)
            if peer_sc <= self.peer_send_confirm:
                self.drops["replay"] += 1
                return []
            self.peer_send_confirm = peer_sc
            self.send_confirm = 0xFFFF
            return [self._confirm_action()]
        self.peer_send_confirm = peer_sc
        self.state = SaeState.ACCEPTED
        self._retry_at = None
        return [CancelTimer(), SaeAccepted(self.keys.pmk, self.keys.pmkid)]
