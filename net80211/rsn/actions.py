"""What the handshake machines ask of their owner, and the EAPOL-Key frame
helpers both sides share.

The machines never send, install or read a clock: each event returns a
list of actions, in order: send these EAPOL frames, install these keys, arm
the one timer at this time, report completion or failure.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from ..wire.eapol import MIC_OFFSET, EapolKey, parse_eapol
from ..wire.frame import FrameError
from .kdf import descriptor_version, eapol_mic

__all__ = ["SendEapol", "InstallPtk", "InstallGtk", "InstallIgtk", "SetTimer", "CancelTimer", "Completed",
           "Failed", "Action", "build_key_frame", "mic_ok", "parse_key_frame", "MIC_LEN"]

MIC_LEN = 16  # AKMs 2, 6 and 8


@dataclass(frozen=True, slots=True)
class SendEapol:
    """Send this EAPOL PDU to the peer (the owner adds the 802.11 and
    LLC/SNAP headers, ethertype 0x888E)."""

    frame: bytes


@dataclass(frozen=True, slots=True)
class InstallPtk:
    cipher: int
    tk: bytes
    keyix: int = 0

    def __repr__(self) -> str:
        return f"InstallPtk(cipher={self.cipher:#010x}, keyix={self.keyix})"


@dataclass(frozen=True, slots=True)
class InstallGtk:
    cipher: int
    keyid: int
    key: bytes
    rsc: int  # the last PN the authenticator used: accept PN > rsc
    tx: bool = False

    def __repr__(self) -> str:
        return f"InstallGtk(cipher={self.cipher:#010x}, keyid={self.keyid}, rsc={self.rsc})"


@dataclass(frozen=True, slots=True)
class InstallIgtk:
    cipher: int
    keyid: int
    key: bytes
    ipn: int

    def __repr__(self) -> str:
        return f"InstallIgtk(cipher={self.cipher:#010x}, keyid={self.keyid}, ipn={self.ipn})"


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Call `timer(now)` at `at_ns` (replaces any timer armed before)."""

    at_ns: int


@dataclass(frozen=True, slots=True)
class CancelTimer:
    pass


@dataclass(frozen=True, slots=True)
class Completed:
    what: str  # "4way" or "group"


@dataclass(frozen=True, slots=True)
class Failed:
    """The handshake gave up.  On the authenticator: deauthenticate the STA
    with `reason`.  On the supplicant: the reason it saw or inferred."""

    reason: int
    why: str


Action = SendEapol | InstallPtk | InstallGtk | InstallIgtk | SetTimer | CancelTimer | Completed | Failed


def build_key_frame(akm: int, kck: bytes | None, key_info: int, *, key_length: int = 0, replay: int = 0,
                    nonce: bytes = bytes(32), rsc: int = 0, key_data: bytes = b"", version: int = 2) -> bytes:
    """An EAPOL-Key frame with the AKM's descriptor version in Key Info and,
    when `kck` is given, its MIC."""
    key = EapolKey(int(key_info) | int(descriptor_version(akm)), key_length, replay, nonce,
                   rsc=rsc.to_bytes(8, "little"), mic=bytes(MIC_LEN), key_data=key_data, version=version)
    frame = key.to_bytes()
    if kck is None:
        return frame
    # the MIC goes over the frame with a zero MIC, then into its place
    return frame[:MIC_OFFSET] + eapol_mic(akm, kck, frame) + frame[MIC_OFFSET + MIC_LEN:]


def mic_ok(akm: int, kck: bytes, key: EapolKey) -> bool:
    return hmac.compare_digest(eapol_mic(akm, kck, key.mic_input()), key.mic)


def parse_key_frame(frame: bytes) -> EapolKey | str:
    """The EAPOL-Key frame in an EAPOL PDU from the peer, or why either
    machine drops it ("malformed", "not_key")."""
    try:
        _, _, key = parse_eapol(frame, MIC_LEN)
    except FrameError:
        return "malformed"
    return key if isinstance(key, EapolKey) else "not_key"
