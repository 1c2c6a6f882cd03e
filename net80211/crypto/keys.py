"""Keys as the data path holds them: one `Key` per installed key with its
transmit packet number and per-TID receive counters; a vap's `KeyTable`
(group keys 0-3, IGTKs 4-5, the default transmit keys) and a node's
`NodeKeys` (its pairwise key); `CryptoStats`, the drop counters.

These are plain state objects for a vap and a node to own (FreeBSD's
`iv_nw_keys[]` and `ni_ucastkey`); the work on frames is in `datapath`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..wire.rsn import Cipher
from .bip import igtk_len
from .cipher import PN_MAX, CryptoError, key_len

__all__ = ["Key", "KeyTable", "NodeKeys", "CryptoStats", "MGMT_TID", "GROUP_KEYS", "IGTK_KEYS"]

# Receive counters: one per TID (0-15) and one for robust management frames
# protected by the pairwise key (12.5.3.4.4: a separate replay counter).
MGMT_TID = 16
_NCOUNTERS = 17
GROUP_KEYS = range(0, 4)
IGTK_KEYS = range(4, 6)
_BIP_SUITES = (Cipher.BIP_CMAC_128, Cipher.BIP_CMAC_256, Cipher.BIP_GMAC_128, Cipher.BIP_GMAC_256)


@dataclass(slots=True, eq=False)
class Key:
    """An installed key.  `tx_pn` is the last PN (or IPN) sent, so the next
    frame carries tx_pn + 1; `rx_pn[tid]` the last accepted, -1 before any."""

    cipher: int
    key: bytes = field(repr=False)
    keyix: int = 0
    tx_pn: int = 0
    rx_pn: list[int] = field(default_factory=lambda: [-1] * _NCOUNTERS)

    def __post_init__(self) -> None:
        want = igtk_len(self.cipher) if self.is_bip else key_len(self.cipher)
        if len(self.key) != want:
            raise CryptoError("cipher", f"{Cipher(self.cipher).name} takes a {want}-byte key")
        if not 0 <= self.keyix <= 5:
            raise CryptoError("cipher", "key index is 0..5")

    @property
    def is_bip(self) -> bool:
        return self.cipher in _BIP_SUITES

    def next_pn(self) -> int:
        """Reserve the next transmit PN; a key whose PN space is used up
        must be replaced, never wrapped (12.5.3.4.4)."""
        if self.tx_pn >= PN_MAX:
            raise CryptoError("pn_exhausted", "packet number space exhausted: rekey")
        self.tx_pn += 1
        return self.tx_pn

    def set_rsc(self, rsc: int) -> None:
        """Start the receive counters at a received RSC/IPN: the last
        sequence number the sender used."""
        self.rx_pn = [rsc] * _NCOUNTERS

    def is_replay(self, pn: int, tid: int) -> bool:
        return pn <= self.rx_pn[tid]

    def accept(self, pn: int, tid: int) -> None:
        self.rx_pn[tid] = pn


@dataclass(slots=True)
class CryptoStats:
    """Per-vap counters.  Every dropped frame lands in exactly one of the
    rx_* drop counters, named after `CryptoError.reason`."""

    tx_protected: int = 0
    tx_no_key: int = 0
    tx_pn_exhausted: int = 0
    rx_decrypted: int = 0
    rx_bip_ok: int = 0
    rx_malformed: int = 0
    rx_mic: int = 0
    rx_replay: int = 0
    rx_no_key: int = 0
    rx_unprotected: int = 0
    rx_cipher: int = 0

    def drop(self, reason: str) -> None:
        name = f"rx_{reason}"
        setattr(self, name, getattr(self, name) + 1)

    @property
    def dropped(self) -> int:
        return (self.rx_malformed + self.rx_mic + self.rx_replay + self.rx_no_key + self.rx_unprotected
                + self.rx_cipher)


@dataclass(slots=True)
class KeyTable:
    """A vap's group keys: slots 0-3 GTKs, 4-5 IGTKs."""

    slots: list[Key | None] = field(default_factory=lambda: [None] * 6)
    tx_group: int | None = None
    tx_igtk: int | None = None
    stats: CryptoStats = field(default_factory=CryptoStats)

    def install(self, key: Key, *, tx: bool = True) -> None:
        if key.is_bip != (key.keyix in IGTK_KEYS):
            raise CryptoError("cipher", "IGTKs go in slots 4-5 and GTKs in 0-3")
        self.slots[key.keyix] = key
        if tx:
            if key.is_bip:
                self.tx_igtk = key.keyix
            else:
                self.tx_group = key.keyix

    def delete(self, keyix: int) -> None:
        self.slots[keyix] = None
        if self.tx_group == keyix:
            self.tx_group = None
        if self.tx_igtk == keyix:
            self.tx_igtk = None

    def get(self, keyix: int) -> Key | None:
        return self.slots[keyix] if 0 <= keyix < len(self.slots) else None

    def group_tx_key(self) -> Key | None:
        return None if self.tx_group is None else self.slots[self.tx_group]

    def igtk_tx_key(self) -> Key | None:
        return None if self.tx_igtk is None else self.slots[self.tx_igtk]


@dataclass(slots=True)
class NodeKeys:
    """A node's pairwise key (key id 0; Extended Key ID's 0/1 switch-over is
    not modelled) and whether management frames to it are protected."""

    pairwise: Key | None = None
    mfp: bool = False

    def install(self, key: Key) -> None:
        if key.is_bip or key.keyix not in (0, 1):
            raise CryptoError("cipher", "a pairwise key is a data cipher with key id 0 or 1")
        self.pairwise = key

    def delete(self) -> None:
        self.pairwise = None
