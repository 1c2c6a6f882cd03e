"""The authenticator's side of the 4-way and group key handshakes (IEEE
802.11-2020 12.7.6, 12.7.7), one `Authenticator` per associated STA, and
`GroupKeys`, the GTK/IGTK state of a BSS that all of them share.

Sans-IO: `start(now)`, `receive(frame, now)`, `timer(now)`,
`rekey_ptk(now)` and `rekey_group(now)` return actions (see `actions`).
Retries and timeouts follow hostapd's wpa_auth defaults: 4 EAPOL-Key
transmissions per message (dot11RSNAConfigPairwiseUpdateCount and
GroupUpdateCount), the first retransmission after 100 ms (500 ms for the
group message), then 1000 ms; giving up deauthenticates with reason 15
(4-way handshake timeout) or 16 (group key update timeout).  A msg 2/4 with
a bad MIC (a wrong passphrase) is counted and dropped; the retries then run
out.  GTK rekey every 86400 s (hostapd's default for CCMP), PTK rekey off
unless configured.
"""

from __future__ import annotations

import enum
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..crypto.bip import igtk_len
from ..crypto.cipher import key_len
from ..crypto.keys import Key
from ..wire.eapol import (
    EapolKey,
    KeyInfo,
    gtk_kde,
    igtk_kde,
    pad_key_data,
    parse_key_data,
    pmkid_kde,
)
from ..wire.frame import FrameError
from ..wire.mgmt import ReasonCode
from .actions import (
    Action,
    CancelTimer,
    Completed,
    Failed,
    InstallPtk,
    SendEapol,
    SetTimer,
    build_key_frame,
    mic_ok,
    parse_key_frame,
)
from .kdf import Ptk, derive_ptk, descriptor_version, wrap_key_data
from .policy import Selection

__all__ = ["AuthConfig", "GroupKeys", "Authenticator", "PtkState", "GroupState"]

_MS = 1_000_000
_S = 1_000_000_000
# Key Information of the messages we send, as plain ints (IntFlag's | builds
# a new flag object each time)
_MSG1 = int(KeyInfo.PAIRWISE | KeyInfo.ACK)
_MSG3 = int(KeyInfo.PAIRWISE | KeyInfo.INSTALL | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE
            | KeyInfo.ENCRYPTED_KEY_DATA)
_GROUP_MSG1 = int(KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """hostapd's defaults (wpa_auth.c, config.c).  The GTK rekey interval
    belongs to the BSS: `GroupKeys(rekey_s=...)`."""

    pairwise_update_count: int = 4
    group_update_count: int = 4
    timeout_first_ms: int = 100
    timeout_first_group_ms: int = 500
    timeout_subseq_ms: int = 1000
    ptk_rekey_s: int | None = None
    eapol_version: int = 2
    first_replay_counter: int = 1


class GroupKeys:
    """A BSS's group keys (hostapd's wpa_group): the GTK alternates between
    key ids 1 and 2, the IGTK between 4 and 5.  The keys are
    `crypto.keys.Key` objects: the vap installs these very objects in its
    KeyTable, so the RSC sent in EAPOL-Key frames is the live transmit PN."""

    def __init__(self, group_cipher: int, group_mgmt: int | None = None, *, now_ns: int = 0,
                 rekey_s: int | None = 86400, random: Callable[[int], bytes] = os.urandom) -> None:
        self.group_cipher = group_cipher
        self.group_mgmt = group_mgmt
        self.rekey_s = rekey_s
        self._random = random
        self.gtk: Key = Key(group_cipher, random(key_len(group_cipher)), 1)
        self.igtk: Key | None = (Key(group_mgmt, random(igtk_len(group_mgmt)), 4)
                                 if group_mgmt is not None else None)
        self.next_rekey_ns: int | None = now_ns + rekey_s * _S if rekey_s else None

    def due(self, now_ns: int) -> bool:
        return self.next_rekey_ns is not None and now_ns >= self.next_rekey_ns

    def rekey(self, now_ns: int) -> None:
        """New GTK (and IGTK) under the other key id; the caller installs
        them and runs `Authenticator.rekey_group` for every STA."""
        self.gtk = Key(self.group_cipher, self._random(key_len(self.group_cipher)), 3 - self.gtk.keyix)
        if self.igtk is not None and self.group_mgmt is not None:
            self.igtk = Key(self.group_mgmt, self._random(igtk_len(self.group_mgmt)), 9 - self.igtk.keyix)
        if self.rekey_s:
            self.next_rekey_ns = now_ns + self.rekey_s * _S

    def key_data(self) -> bytes:
        """GTK KDE (and IGTK KDE) for msg 3/4 and group msg 1/2."""
        data = gtk_kde(self.gtk.keyix, self.gtk.key, tx=False)
        if self.igtk is not None:
            data += igtk_kde(self.igtk.keyix, self.igtk.tx_pn, self.igtk.key)
        return data


class PtkState(enum.Enum):
    INITIALIZE = "initialize"
    PTKSTART = "ptkstart"  # msg 1/4 sent, waiting for msg 2/4
    PTKINITNEGOTIATING = "ptkinitnegotiating"  # msg 3/4 sent, waiting for msg 4/4
    PTKINITDONE = "ptkinitdone"
    DISCONNECTED = "disconnected"


class GroupState(enum.Enum):
    IDLE = "idle"
    REKEYNEGOTIATING = "rekeynegotiating"


class Authenticator:
    """One STA's handshakes.  `sta_rsne` and `ap_rsne` are whole RSN
    elements (ID and length included): the STA's from its (Re)Association
    Request, which msg 2/4 must repeat byte for byte, and the AP's, sent in
    msg 3/4."""

    def __init__(self, *, aa: bytes, spa: bytes, pmk: bytes, selection: Selection, ap_rsne: bytes,
                 sta_rsne: bytes, group: GroupKeys, config: AuthConfig = AuthConfig(),
                 pmkid: bytes | None = None, random: Callable[[int], bytes] = os.urandom,
                 ap_rsnxe: bytes = b"", sta_rsnxe: bytes = b"") -> None:
        self.aa, self.spa, self.pmk = aa, spa, pmk
        self.sel = selection
        self.ap_rsne, self.sta_rsne = ap_rsne, sta_rsne
        # RSN Extension elements (whole, or empty): ours goes in msg 3/4 after
        # the RSNE; the STA's msg 2/4 must repeat its association's (SAE
        # hash-to-element's downgrade protection)
        self.ap_rsnxe, self.sta_rsnxe = ap_rsnxe, sta_rsnxe
        self.group = group
        self.config = config
        self.pmkid = pmkid  # sent in msg 1/4 (hostapd does for SAE and PMKSA caching)
        self._random = random
        self.state = PtkState.INITIALIZE
        self.group_state = GroupState.IDLE
        self.ptk: Ptk | None = None
        self.anonce = b""
        self.replay_counter = config.first_replay_counter - 1
        self._sent: list[int] = []  # replay counters of the message now being retried
        self._timeout_ctr = 0
        self._group_ctr = 0
        self._retry_at: int | None = None
        self._ptk_rekey_at: int | None = None
        self.drops: Counter[str] = Counter()
        self.failure: Failed | None = None
        self.handshakes = 0

    # -- helpers ---------------------------------------------------------
    def _next_replay(self) -> int:
        self.replay_counter += 1
        return self.replay_counter

    def _frame(self, info: int, *, key_length: int = 0, nonce: bytes = bytes(32), rsc: int = 0,
               key_data: bytes = b"", mic: bool = True) -> tuple[bytes, int]:
        replay = self._next_replay()
        kck = self.ptk.kck if mic and self.ptk is not None else None
        frame = build_key_frame(self.sel.akm, kck, info, key_length=key_length, replay=replay, nonce=nonce,
                                rsc=rsc, key_data=key_data, version=self.config.eapol_version)
        return frame, replay

    def _timer_actions(self) -> list[Action]:
        when = [t for t in (self._retry_at, self._ptk_rekey_at) if t is not None]
        return [SetTimer(min(when))] if when else [CancelTimer()]

    def _arm_retry(self, now_ns: int, first_ms: int, ctr: int) -> None:
        ms = first_ms if ctr == 1 else self.config.timeout_subseq_ms
        self._retry_at = now_ns + ms * _MS

    def _fail(self, reason: int, why: str) -> list[Action]:
        self.state = PtkState.DISCONNECTED
        self.group_state = GroupState.IDLE
        self._retry_at = self._ptk_rekey_at = None
        self.failure = Failed(reason, why)
        return [CancelTimer(), self.failure]

    def _drop(self, reason: str) -> list[Action]:
        self.drops[reason] += 1
        return []

    # -- the 4-way handshake --------------------------------------------
    def start(self, now_ns: int) -> list[Action]:
        """After (re)association: send msg 1/4."""
        if self.state == PtkState.DISCONNECTED:
            return []
        self.anonce = self._random(32)
        self._timeout_ctr = 0
        self._sent = []
        return self._ptkstart(now_ns)

    def _ptkstart(self, now_ns: int) -> list[Action]:
        self.state = PtkState.PTKSTART
        self._timeout_ctr += 1
        if self._timeout_ctr > self.config.pairwise_update_count:
            return self._fail(ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT, "4-way handshake: no valid msg 2/4")
        frame, replay = self._frame(_MSG1, key_length=key_len(self.sel.pairwise),
                                    nonce=self.anonce, mic=False,
                                    key_data=pmkid_kde(self.pmkid) if self.pmkid is not None else b"")
        self._sent.append(replay)
        self._arm_retry(now_ns, self.config.timeout_first_ms, self._timeout_ctr)
        return [SendEapol(frame), *self._timer_actions()]

    def _msg3(self, now_ns: int) -> list[Action]:
        self.state = PtkState.PTKINITNEGOTIATING
        self._timeout_ctr += 1
        if self._timeout_ctr > self.config.pairwise_update_count:
            return self._fail(ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT, "4-way handshake: no valid msg 4/4")
        assert self.ptk is not None
        data = pad_key_data(self.ap_rsne + self.ap_rsnxe + self.group.key_data())
        frame, replay = self._frame(_MSG3, key_length=key_len(self.sel.pairwise), nonce=self.anonce,
                                    rsc=self.group.gtk.tx_pn, key_data=wrap_key_data(self.ptk.kek, data))
        # msg 4/4 may answer any msg 3/4 of this round (a retransmission
        # crossing the STA's reply)
        self._sent = [*self._sent, replay] if self._timeout_ctr > 1 else [replay]
        self._arm_retry(now_ns, self.config.timeout_first_ms, self._timeout_ctr)
        return [SendEapol(frame), *self._timer_actions()]

    def msg1_acked(self, replay: int, now_ns: int) -> list[Action]:
        """The STA acknowledged msg 1/4 (the frame with this replay
        counter): wait the longer timeout for msg 2/4, as hostapd does on
        the TX status of the first msg 1/4 (wpa_auth_eapol_key_tx_status:
        a busy or slow supplicant gets a second before the retry)."""
        if (self.state != PtkState.PTKSTART or self._timeout_ctr != 1 or replay != self.replay_counter
                or self._retry_at is None):
            return []
        self._retry_at = max(self._retry_at, now_ns + self.config.timeout_subseq_ms * _MS)
        return self._timer_actions()

    def timer(self, now_ns: int) -> list[Action]:
        """The timer fired; a stale one (its time not reached) does nothing."""
        out: list[Action] = []
        if self._retry_at is not None and now_ns >= self._retry_at:
            self._retry_at = None
            if self.state == PtkState.PTKSTART:
                out += self._ptkstart(now_ns)
            elif self.state == PtkState.PTKINITNEGOTIATING:
                out += self._msg3(now_ns)
            elif self.group_state == GroupState.REKEYNEGOTIATING:
                out += self._group_msg1(now_ns)
        if (self.state == PtkState.PTKINITDONE and self._ptk_rekey_at is not None
                and now_ns >= self._ptk_rekey_at):
            out += self.rekey_ptk(now_ns)
        return out or self._timer_actions()

    def rekey_ptk(self, now_ns: int) -> list[Action]:
        """A new 4-way handshake on an established association."""
        if self.state != PtkState.PTKINITDONE:
            return []
        self._ptk_rekey_at = None
        self.group_state = GroupState.IDLE
        return self.start(now_ns)

    def receive(self, frame: bytes, now_ns: int) -> list[Action]:
        """An EAPOL frame from the STA."""
        key = parse_key_frame(frame)
        if isinstance(key, str):
            return self._drop(key)
        if self.state in (PtkState.INITIALIZE, PtkState.DISCONNECTED):
            return self._drop("no_handshake")
        if key.descriptor_version != descriptor_version(self.sel.akm):
            return self._drop("descriptor_version")
        if key.has(KeyInfo.ACK):
            return self._drop("ack_set")
        if not key.has(KeyInfo.MIC):
            return self._drop("no_mic")
        if key.has(KeyInfo.REQUEST):
            return self._request(key, now_ns)
        if key.has(KeyInfo.PAIRWISE):
            if self.state == PtkState.PTKSTART:
                return self._msg2(key, now_ns)
            if self.state == PtkState.PTKINITNEGOTIATING:
                return self._msg4(key, now_ns)
            return self._drop("unexpected")
        if self.group_state == GroupState.REKEYNEGOTIATING:
            return self._group_msg2(key, now_ns)
        return self._drop("unexpected")

    def _msg2(self, key: EapolKey, now_ns: int) -> list[Action]:
        if key.has(KeyInfo.SECURE) or key.has(KeyInfo.INSTALL):
            return self._drop("unexpected")
        if key.replay_counter not in self._sent:
            return self._drop("replay")
        ptk = derive_ptk(self.pmk, self.aa, self.spa, self.anonce, key.nonce, self.sel.akm, self.sel.pairwise)
        if not mic_ok(self.sel.akm, ptk.kck, key):
            # hostapd: "invalid MIC in msg 2/4"; keep waiting, the retries decide
            return self._drop("mic")
        try:
            kd = parse_key_data(key.key_data)
        except FrameError:
            return self._drop("malformed_key_data")
        if kd.rsne != self.sta_rsne:
            return self._fail(ReasonCode.IE_IN_4WAY_DIFFERS, "RSNE in msg 2/4 differs from the association's")
        if kd.rsnxe != self.sta_rsnxe:
            # hostapd: "RSNXE from (Re)AssocReq did not match the one in
            # EAPOL-Key msg 2/4": the frame is discarded, the retries decide
            return self._drop("rsnxe_mismatch")
        self.ptk = ptk
        self._timeout_ctr = 0
        return self._msg3(now_ns)

    def _msg4(self, key: EapolKey, now_ns: int) -> list[Action]:
        assert self.ptk is not None
        if not key.has(KeyInfo.SECURE):
            return self._drop("unexpected")  # e.g. a retransmitted msg 2/4
        if key.replay_counter not in self._sent:
            return self._drop("replay")
        if not mic_ok(self.sel.akm, self.ptk.kck, key):
            return self._drop("mic")
        self.state = PtkState.PTKINITDONE
        self._retry_at = None
        self._sent = []
        self.handshakes += 1
        if self.config.ptk_rekey_s:
            self._ptk_rekey_at = now_ns + self.config.ptk_rekey_s * _S
        return [InstallPtk(self.sel.pairwise, self.ptk.tk), Completed("4way"), *self._timer_actions()]

    def _request(self, key: EapolKey, now_ns: int) -> list[Action]:
        # A STA asking for a new PTK (or reporting a MIC failure): valid
        # only under the current PTK and with a fresh replay counter.
        if self.ptk is None or self.state != PtkState.PTKINITDONE:
            return self._drop("unexpected")
        if not mic_ok(self.sel.akm, self.ptk.kck, key):
            return self._drop("mic")
        if key.has(KeyInfo.PAIRWISE) and not key.has(KeyInfo.ERROR):
            return self.rekey_ptk(now_ns)
        return self._drop("request_ignored")

    # -- the group key handshake ----------------------------------------
    def rekey_group(self, now_ns: int) -> list[Action]:
        """Deliver the GroupKeys' current GTK/IGTK (after `GroupKeys.rekey`)."""
        if self.state != PtkState.PTKINITDONE:
            return []
        self._group_ctr = 0
        return self._group_msg1(now_ns)

    def _group_msg1(self, now_ns: int) -> list[Action]:
        self.group_state = GroupState.REKEYNEGOTIATING
        self._group_ctr += 1
        if self._group_ctr > self.config.group_update_count:
            return self._fail(ReasonCode.GROUP_KEY_UPDATE_TIMEOUT, "group key handshake: no valid msg 2/2")
        assert self.ptk is not None
        frame, replay = self._frame(_GROUP_MSG1, rsc=self.group.gtk.tx_pn,
                                    key_data=wrap_key_data(self.ptk.kek, pad_key_data(self.group.key_data())))
        self._sent = [*self._sent, replay] if self._group_ctr > 1 else [replay]
        self._arm_retry(now_ns, self.config.timeout_first_group_ms, self._group_ctr)
        return [SendEapol(frame), *self._timer_actions()]

    def _group_msg2(self, key: EapolKey, now_ns: int) -> list[Action]:
        assert self.ptk is not None
        if not key.has(KeyInfo.SECURE):
            return self._drop("unexpected")
        if key.replay_counter not in self._sent:
            return self._drop("replay")
        if not mic_ok(self.sel.akm, self.ptk.kck, key):
            return self._drop("mic")
        self.group_state = GroupState.IDLE
        self._retry_at = None
        self._sent = []
        return [Completed("group"), *self._timer_actions()]
