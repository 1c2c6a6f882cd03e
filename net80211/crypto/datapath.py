"""Protect and unprotect frames against a vap's `KeyTable` and a node's
`NodeKeys`: key selection, packet numbers, per-TID replay checks and the
drop counters.  No I/O: frames in, frames (or a drop reason) out.

Receive rules (12.5.3.4.4, 12.5.4.4, 12.6.8):
- unicast data and unicast robust management frames use the node's
  pairwise key; the management frames have their own replay counter;
- group-addressed data uses the GTK named by the frame's key id;
- group-addressed robust management frames carry an MME checked with the
  IGTK it names (replay: the IPN, per key);
- with protection required, a data frame or robust management frame that
  arrives unprotected is dropped ('unprotected').
"""

from __future__ import annotations

from typing import NamedTuple

from . import bip, cipher
from .cipher import CryptoError
from .keys import IGTK_KEYS, MGMT_TID, Key, KeyTable, NodeKeys

__all__ = ["RxResult", "protect", "protect_group_mgmt", "unprotect", "is_robust_mgmt"]

# Management subtypes that are robust when MFP is in use (12.6.8): deauth,
# disassoc, and action frames outside the categories listed below.
_DISASSOC, _DEAUTH, _ACTION, _ACTION_NOACK = 0xA, 0xC, 0xD, 0xE
_NOT_ROBUST_CATEGORIES = {4, 7, 11, 15, 20, 22, 127}  # table 9-51 "Robust: No"


def is_robust_mgmt(frame: bytes) -> bool:
    if len(frame) < 24 or (frame[0] >> 2) & 3 != 0:
        return False
    subtype = frame[0] >> 4
    if subtype in (_DISASSOC, _DEAUTH):
        return True
    if subtype in (_ACTION, _ACTION_NOACK):
        body = 24 + (4 if frame[1] & 0x80 else 0)
        return len(frame) > body and frame[body] not in _NOT_ROBUST_CATEGORIES
    return False


def _is_group(frame: bytes) -> bool:
    return bool(frame[4] & 1)


class RxResult(NamedTuple):
    """A received frame: `frame` (plaintext, Protected bit clear) when
    accepted, else None and `reason` (the counter it went to).  A tuple:
    one is made per received protected frame."""

    frame: bytes | None
    reason: str | None = None
    pn: int | None = None
    keyid: int | None = None

    @property
    def ok(self) -> bool:
        return self.frame is not None


def _next_pn(key: Key | None, table: KeyTable) -> int | None:
    """The PN to send under with `key`; None (counted) when there is no key
    or its PNs ran out."""
    if key is None:
        table.stats.tx_no_key += 1
        return None
    try:
        return key.next_pn()
    except CryptoError:
        table.stats.tx_pn_exhausted += 1
        return None


def protect(key: Key | None, frame: bytes, table: KeyTable) -> bytes | None:
    """Encrypt with `key` (a pairwise key or the group transmit key) under
    its next PN; None (counted) when there is no key or its PNs ran out."""
    pn = _next_pn(key, table)
    if key is None or pn is None:
        return None
    out = cipher.encap(key.cipher, key.key, frame, pn, key.keyix & 3)
    table.stats.tx_protected += 1
    return out


def protect_group_mgmt(table: KeyTable, frame: bytes) -> bytes | None:
    """Append an MME to a group-addressed robust management frame (None,
    counted, as `protect`)."""
    key = table.igtk_tx_key()
    ipn = _next_pn(key, table)
    if key is None or ipn is None:
        return None
    table.stats.tx_protected += 1
    return bip.protect(key.cipher, key.key, frame, ipn, key.keyix)


def _drop(table: KeyTable, reason: str, pn: int | None = None, keyid: int | None = None) -> RxResult:
    table.stats.drop(reason)
    return RxResult(None, reason, pn, keyid)


def unprotect(frame: bytes, table: KeyTable, node: NodeKeys | None, *, require: bool = True) -> RxResult:
    """Check and decrypt one received MPDU.  `require`: the BSS runs RSN,
    so unprotected data is refused (EAPOL frames are let through by the
    caller before it asks here)."""
    frame = bytes(frame)
    try:
        hdr = cipher.parse_header(frame)
    except CryptoError as e:
        return _drop(table, e.reason)
    group = _is_group(frame)
    robust = hdr.is_mgmt and is_robust_mgmt(frame)
    mfp = node is not None and node.mfp
    if hdr.is_mgmt and group and robust and (mfp or table.igtk_tx_key() is not None):
        return _unprotect_bip(frame, table)
    if not hdr.fc & cipher.PROTECTED:
        if hdr.is_mgmt and not (robust and mfp):
            return RxResult(frame)
        if hdr.is_data and not require:
            return RxResult(frame)
        return _drop(table, "unprotected")
    if len(frame) < hdr.length + cipher.HDR_LEN:
        return _drop(table, "malformed")
    try:
        pn, keyid = cipher.parse_cipher_header(frame[hdr.length:hdr.length + cipher.HDR_LEN])
    except CryptoError as e:
        return _drop(table, e.reason)
    if group and hdr.is_data:
        key = table.get(keyid)
    else:
        key = node.pairwise if node is not None else None
        if key is not None and keyid != key.keyix & 3:
            key = None
    if key is None or key.is_bip:
        return _drop(table, "no_key", pn, keyid)
    tid = MGMT_TID if hdr.is_mgmt else hdr.tid
    if key.is_replay(pn, tid):
        return _drop(table, "replay", pn, keyid)
    try:
        plain, _, _ = cipher.decap(key.cipher, key.key, frame, hdr)
    except CryptoError as e:
        return _drop(table, e.reason, pn, keyid)
    key.accept(pn, tid)
    table.stats.rx_decrypted += 1
    return RxResult(plain, None, pn, keyid)


def _unprotect_bip(frame: bytes, table: KeyTable) -> RxResult:
    # The IGTK's suite decides the MME's length: look at the key id both
    # installed IGTKs would read.
    for keyix in IGTK_KEYS:
        key = table.get(keyix)
        if key is None:
            continue
        try:
            keyid, ipn, _ = bip.parse_mme(key.cipher, frame)
        except CryptoError:
            continue
        key = table.get(keyid) if keyid in IGTK_KEYS else None
        if key is None:
            return _drop(table, "no_key", ipn, keyid)
        if key.is_replay(ipn, 0):
            return _drop(table, "replay", ipn, keyid)
        try:
            plain, _, _ = bip.verify(key.cipher, key.key, frame)
        except CryptoError as e:
            return _drop(table, e.reason, ipn, keyid)
        key.accept(ipn, 0)
        table.stats.rx_bip_ok += 1
        return RxResult(plain, None, ipn, keyid)
    return _drop(table, "unprotected" if any(table.get(k) for k in IGTK_KEYS) else "no_key")
