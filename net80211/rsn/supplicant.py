"""The supplicant's side of the 4-way and group key handshakes (IEEE
802.11-2020 12.7.6, 12.7.7), after wpa_supplicant's rules:

- the replay counter of a MIC-checked frame must exceed the last accepted
  one; msg 1/4 carries no MIC, so it does not move the counter;
- one SNonce per handshake (a retransmitted msg 1/4 is answered with the
  same SNonce), a new one after each completed handshake;
- msg 3/4 must repeat msg 1/4's ANonce and carry, in encrypted key data,
  the AP's RSNE exactly as in its Beacon/Probe Response (else fail with
  reason 17), a GTK KDE, and an IGTK KDE when MFP was negotiated;
- a key already installed is never installed again (a retransmitted msg
  3/4 or group msg 1/2 is answered, not reinstalled: the KRACK fix);
- with a wrong passphrase the AP drops msg 2/4 and finally deauthenticates
  with reason 15: `deauthenticated()` then reports the likely cause.

Sans-IO: `receive(frame, now)` and `deauthenticated(reason, now)` return
actions; every dropped frame is counted in `drops` under its reason.
"""

from __future__ import annotations

import enum
import os
from collections import Counter
from collections.abc import Callable

from ..crypto.bip import igtk_len
from ..crypto.cipher import key_len
from ..wire.eapol import EapolKey, KeyData, KeyInfo, parse_key_data
from ..wire.frame import FrameError
from ..wire.mgmt import ReasonCode
from .actions import (
    Action,
    Completed,
    Failed,
    InstallGtk,
    InstallIgtk,
    InstallPtk,
    SendEapol,
    build_key_frame,
    mic_ok,
    parse_key_frame,
)
from .kdf import KeyWrapError, Ptk, derive_ptk, descriptor_version, unwrap_key_data
from .policy import Selection

__all__ = ["Supplicant", "SuppState"]

# Key Information of the messages we send, as plain ints
_MSG2 = int(KeyInfo.PAIRWISE | KeyInfo.MIC)
_MSG4 = int(KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE)
_GROUP_MSG2 = int(KeyInfo.MIC | KeyInfo.SECURE)


class SuppState(enum.Enum):
    IDLE = "idle"  # associated, no EAPOL-Key seen yet
    WAIT_MSG3 = "wait_msg3"  # msg 2/4 sent
    DONE = "done"  # PTK and GTK installed
    FAILED = "failed"


class Supplicant:
    """One association's handshakes.  `ap_rsne` is the AP's RSN element as
    seen in its Beacon/Probe Response, `sta_rsne` the one this STA sent in
    its Association Request (both whole elements, ID and length included)."""

    def __init__(self, *, aa: bytes, spa: bytes, pmk: bytes, selection: Selection, ap_rsne: bytes,
                 sta_rsne: bytes, eapol_version: int = 1, pmkid: bytes | None = None,
                 random: Callable[[int], bytes] = os.urandom, ap_rsnxe: bytes = b"",
                 sta_rsnxe: bytes = b"") -> None:
        self.aa, self.spa, self.pmk = aa, spa, pmk
        self.sel = selection
        self.ap_rsne, self.sta_rsne = ap_rsne, sta_rsne
        # the RSN Extension elements (whole, or empty): the AP's from its
        # Beacon, which msg 3/4 must repeat; ours, sent in msg 2/4
        self.ap_rsnxe, self.sta_rsnxe = ap_rsnxe, sta_rsnxe
        self.request_replay = 0  # our own EAPOL-Key requests' replay counter
        self.eapol_version = eapol_version
        self.pmkid = pmkid  # the PMKSA's PMKID (SAE's), checked against msg 1/4's
        self._random = random
        self.state = SuppState.IDLE
        self.ptk: Ptk | None = None  # installed
        self.tptk: Ptk | None = None  # derived from the current msg 1/4
        self.anonce = b""
        self.snonce = b""
        self._renew_snonce = True
        self.rx_replay: int | None = None
        self.installed_tk: bytes | None = None
        self.installed_gtk: tuple[int, bytes] | None = None
        self.installed_igtk: tuple[int, bytes] | None = None
        self.drops: Counter[str] = Counter()
        self.failure: Failed | None = None
        self.handshakes = 0

    def _drop(self, reason: str) -> list[Action]:
        self.drops[reason] += 1
        return []

    def _send(self, info: int, replay: int, kck: bytes, *, nonce: bytes = bytes(32),
              key_data: bytes = b"") -> SendEapol:
        return SendEapol(build_key_frame(self.sel.akm, kck, info, replay=replay, nonce=nonce,
                                         key_data=key_data, version=self.eapol_version))

    def receive(self, frame: bytes, now_ns: int) -> list[Action]:
        """An EAPOL frame from the AP."""
        key = parse_key_frame(frame)
        if isinstance(key, str):
            return self._drop(key)
        if self.state == SuppState.FAILED:
            return self._drop("failed")
        if key.descriptor_version != descriptor_version(self.sel.akm):
            return self._drop("descriptor_version")
        if not key.has(KeyInfo.ACK) or key.has(KeyInfo.REQUEST):
            return self._drop("no_ack")
        if key.has(KeyInfo.MIC) and self.rx_replay is not None and key.replay_counter <= self.rx_replay:
            return self._drop("replay")
        if key.has(KeyInfo.PAIRWISE):
            if not key.has(KeyInfo.MIC):
                return self._msg1(key)
            return self._msg3(key)
        return self._group_msg1(key)

    def _msg1(self, key: EapolKey) -> list[Action]:
        if key.has(KeyInfo.INSTALL) or key.has(KeyInfo.ENCRYPTED_KEY_DATA):
            return self._drop("unexpected")
        try:
            pmkid = parse_key_data(key.key_data).pmkid
        except FrameError:
            return self._drop("malformed_key_data")
        if pmkid is not None and self.pmkid is not None and pmkid != self.pmkid:
            # the AP means another PMKSA (wpa_supplicant falls back to a
            # full authentication; here: this PMK cannot answer it)
            return self._drop("pmkid_mismatch")
        if self.rx_replay is not None and key.replay_counter <= self.rx_replay:
            return self._drop("replay")
        if self._renew_snonce or key.nonce != self.anonce:
            self.snonce = self._random(32)
            self._renew_snonce = False
        self.anonce = key.nonce
        self.tptk = derive_ptk(self.pmk, self.aa, self.spa, self.anonce, self.snonce, self.sel.akm,
                               self.sel.pairwise)
        if self.state != SuppState.DONE:  # a PTK rekey keeps the installed keys until msg 3/4
            self.state = SuppState.WAIT_MSG3
        return [self._send(_MSG2, key.replay_counter, self.tptk.kck,
                           nonce=self.snonce, key_data=self.sta_rsne + self.sta_rsnxe)]

    def _key_data(self, key: EapolKey, kek: bytes) -> KeyData | str:
        if not key.has(KeyInfo.ENCRYPTED_KEY_DATA):
            return "unencrypted_key_data"
        try:
            return parse_key_data(unwrap_key_data(kek, key.key_data))
        except KeyWrapError:
            return "key_wrap"
        except FrameError:
            return "malformed_key_data"

    def _group_keys(self, data: KeyData, key: EapolKey) -> list[Action] | str:
        """Install actions for the GTK (at the RSC of `key`, the frame that
        carried it) and IGTK in key data not yet installed, from now on
        taken as installed; or why the key data is refused."""
        gtk = data.gtk
        if gtk is None or len(gtk.key) != key_len(self.sel.group) or gtk.keyid == 0:
            return "bad_gtk"
        out: list[Action] = []
        if self.sel.mfp:
            igtk = data.igtk
            if (igtk is None or self.sel.group_mgmt is None or len(igtk.key) != igtk_len(self.sel.group_mgmt)
                    or igtk.keyid not in (4, 5)):
                return "bad_igtk"
            if self.installed_igtk != (igtk.keyid, igtk.key):
                out.append(InstallIgtk(self.sel.group_mgmt, igtk.keyid, igtk.key, igtk.ipn))
                self.installed_igtk = (igtk.keyid, igtk.key)
        if self.installed_gtk != (gtk.keyid, gtk.key):
            rsc = int.from_bytes(key.rsc[:6], "little")  # the last PN the AP used
            out.insert(0, InstallGtk(self.sel.group, gtk.keyid, gtk.key, rsc))
            self.installed_gtk = (gtk.keyid, gtk.key)
        return out

    def _msg3(self, key: EapolKey) -> list[Action]:
        if not (key.has(KeyInfo.INSTALL) and key.has(KeyInfo.SECURE)):
            return self._drop("unexpected")
        if self.tptk is None:
            return self._drop("unexpected")
        if key.nonce != self.anonce:
            return self._drop("anonce_mismatch")
        if not mic_ok(self.sel.akm, self.tptk.kck, key):
            return self._drop("mic")
        # A MIC-checked frame: from here on its replay counter is spent.
        self.rx_replay = key.replay_counter
        if key.key_length != key_len(self.sel.pairwise):
            return self._drop("key_length")
        data = self._key_data(key, self.tptk.kek)
        if isinstance(data, str):
            return self._drop(data)
        if data.rsne != self.ap_rsne or data.rsnxe != self.ap_rsnxe:
            self.state = SuppState.FAILED
            what = "RSNE" if data.rsne != self.ap_rsne else "RSNXE"
            self.failure = Failed(ReasonCode.IE_IN_4WAY_DIFFERS,
                                  f"the {what} in msg 3/4 differs from the AP's Beacon/Probe Response")
            return [self.failure]
        group = self._group_keys(data, key)
        if isinstance(group, str):
            return self._drop(group)
        out: list[Action] = [self._send(_MSG4, key.replay_counter,
                                        self.tptk.kck)]
        fresh = self.installed_tk != self.tptk.tk
        if fresh:
            out.append(InstallPtk(self.sel.pairwise, self.tptk.tk))
            self.installed_tk = self.tptk.tk
        out += group
        self.ptk = self.tptk
        self.state = SuppState.DONE
        self._renew_snonce = True
        if fresh:
            self.handshakes += 1
            out.append(Completed("4way"))
        return out

    def _group_msg1(self, key: EapolKey) -> list[Action]:
        if self.state != SuppState.DONE or self.ptk is None:
            return self._drop("unexpected")
        if not (key.has(KeyInfo.MIC) and key.has(KeyInfo.SECURE)) or key.has(KeyInfo.INSTALL):
            return self._drop("unexpected")
        if not mic_ok(self.sel.akm, self.ptk.kck, key):
            return self._drop("mic")
        self.rx_replay = key.replay_counter
        data = self._key_data(key, self.ptk.kek)
        if isinstance(data, str):
            return self._drop(data)
        group = self._group_keys(data, key)
        if isinstance(group, str):
            return self._drop(group)
        return [self._send(_GROUP_MSG2, key.replay_counter, self.ptk.kck), *group, Completed("group")]

    def request_ptk_rekey(self) -> list[Action]:
        """Ask the AP for a new PTK (an EAPOL-Key request under the current
        KCK, as wpa_supplicant does when its wpa_ptk_rekey lifetime ends)."""
        if self.state != SuppState.DONE or self.ptk is None:
            return []
        self.request_replay = max(self.request_replay, self.rx_replay or 0) + 1
        return [self._send(KeyInfo.REQUEST | KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE,
                           self.request_replay, self.ptk.kck)]

    def deauthenticated(self, reason: int, now_ns: int) -> list[Action]:
        """The AP deauthenticated us.  During the 4-way handshake after msg
        2/4 went out, the likely cause is a wrong passphrase (wpa_supplicant:
        "4-Way Handshake failed - pre-shared key may be incorrect")."""
        if self.state == SuppState.WAIT_MSG3 or (self.state == SuppState.IDLE and reason ==
                                                 ReasonCode.FOURWAY_HANDSHAKE_TIMEOUT):
            why = "4-way handshake failed: the passphrase may be wrong"
        elif self.state == SuppState.DONE:
            why = "deauthenticated"
        else:
            why = "handshake failed"
        self.state = SuppState.FAILED
        self.failure = Failed(reason, why)
        return [self.failure]
