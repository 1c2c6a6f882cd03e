"""RSN negotiation: an AP's policy against a STA's RSN element in its
(Re)Association Request, and a STA's choice from an AP's advertised RSNE.

`ApPolicy.negotiate(sta_rsne)` returns the agreed `Selection` or a `Refusal`
carrying the status code the AP answers with (9.4.1.9; the checks in the
order hostapd's wpa_validate_wpa_ie makes them):
  unparsable RSNE                          40 INVALID_ELEMENT
  version other than 1                     44 UNSUPP_RSN_IE_VERSION
  group cipher not the AP's                41 INVALID_GROUP_CIPHER
  no AKM in common                         43 INVALID_AKMP
  no pairwise cipher in common             42 INVALID_PAIRWISE_CIPHER
  MFPR without MFPC                        45 INVALID_RSN_IE_CAP
  AP requires MFP, STA lacks MFPC          31 ROBUST_MGMT_POLICY
  STA requires MFP, AP has it disabled     31 ROBUST_MGMT_POLICY
  group management cipher not the AP's     46 CIPHER_SUITE_REJECTED
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..wire.frame import FrameError
from ..wire.mgmt import StatusCode
from ..wire.rsn import AKM, Cipher, RSNCap, RSNInfo

__all__ = ["Mfp", "ApPolicy", "Selection", "Refusal", "StaPolicy", "PAIRWISE_PREFERENCE", "AKM_PREFERENCE"]

# Strongest first, as hostapd and wpa_supplicant pick.
PAIRWISE_PREFERENCE = (Cipher.GCMP_256, Cipher.CCMP_256, Cipher.GCMP_128, Cipher.CCMP_128)
AKM_PREFERENCE = (AKM.SAE, AKM.PSK_SHA256, AKM.PSK)


class Mfp(enum.IntEnum):
    """Management frame protection (hostapd's ieee80211w)."""

    DISABLED = 0
    OPTIONAL = 1
    REQUIRED = 2


@dataclass(frozen=True, slots=True)
class Selection:
    """What both sides use for this association."""

    akm: int
    pairwise: int
    group: int
    mfp: bool
    group_mgmt: int | None  # the BIP suite when mfp


@dataclass(frozen=True, slots=True)
class Refusal:
    status: StatusCode
    why: str


def _pick(preference: tuple[int, ...], offered: tuple[int, ...]) -> int | None:
    for suite in preference:
        if suite in offered:
            return suite
    return offered[0] if offered else None


def _caps(mfp: Mfp) -> int:
    caps = 0
    if mfp >= Mfp.OPTIONAL:
        caps |= RSNCap.MFPC
    if mfp == Mfp.REQUIRED:
        caps |= RSNCap.MFPR
    return caps


@dataclass(frozen=True, slots=True)
class ApPolicy:
    """An AP's RSN configuration (hostapd's wpa_key_mgmt, rsn_pairwise,
    group_cipher, ieee80211w, group_mgmt_cipher)."""

    akms: tuple[int, ...] = (AKM.PSK,)
    pairwise: tuple[int, ...] = (Cipher.CCMP_128,)
    group: int = Cipher.CCMP_128
    mfp: Mfp = Mfp.DISABLED
    group_mgmt: int = Cipher.BIP_CMAC_128

    def rsne(self) -> RSNInfo:
        """The RSN element the AP advertises in Beacons and Probe Responses."""
        return RSNInfo(self.group, self.pairwise, self.akms, _caps(self.mfp),
                       pmkids=() if self.mfp != Mfp.DISABLED and self.group_mgmt != Cipher.BIP_CMAC_128
                       else None,
                       group_mgmt_cipher=self.group_mgmt if self.mfp != Mfp.DISABLED
                       and self.group_mgmt != Cipher.BIP_CMAC_128 else None)

    def negotiate(self, sta_rsne: bytes | RSNInfo) -> Selection | Refusal:
        """Check a STA's RSNE (its body, or parsed)."""
        if isinstance(sta_rsne, RSNInfo):
            info = sta_rsne
        else:
            try:
                info = RSNInfo.parse(sta_rsne)
            except FrameError as e:
                return Refusal(StatusCode.INVALID_ELEMENT, f"RSN element: {e}")
        if info.version != 1:
            return Refusal(StatusCode.UNSUPP_RSN_IE_VERSION, f"RSN version {info.version}")
        if info.group_cipher != self.group:
            return Refusal(StatusCode.INVALID_GROUP_CIPHER, "group cipher differs from the AP's")
        akms = tuple(a for a in info.akms if a in self.akms)
        if not akms:
            return Refusal(StatusCode.INVALID_AKMP, "no AKM suite in common")
        pairwise = tuple(c for c in info.pairwise if c in self.pairwise)
        if not pairwise:
            return Refusal(StatusCode.INVALID_PAIRWISE_CIPHER, "no pairwise cipher in common")
        if info.mfpr and not info.mfpc:
            return Refusal(StatusCode.INVALID_RSN_IE_CAP, "MFP required but not capable")
        if self.mfp == Mfp.REQUIRED and not info.mfpc:
            return Refusal(StatusCode.ROBUST_MGMT_POLICY, "the AP requires management frame protection")
        if self.mfp == Mfp.DISABLED and info.mfpr:
            return Refusal(StatusCode.ROBUST_MGMT_POLICY, "the STA requires management frame protection")
        mfp = self.mfp != Mfp.DISABLED and info.mfpc
        if mfp and info.mgmt_cipher != self.group_mgmt:
            return Refusal(StatusCode.CIPHER_SUITE_REJECTED, "group management cipher differs")
        akm = _pick(AKM_PREFERENCE, akms)
        cipher = _pick(PAIRWISE_PREFERENCE, pairwise)
        assert akm is not None and cipher is not None  # both lists are non-empty here
        return Selection(akm, cipher, self.group, mfp, self.group_mgmt if mfp else None)


@dataclass(frozen=True, slots=True)
class StaPolicy:
    """What a STA is configured to accept (wpa_supplicant's key_mgmt,
    pairwise, group, ieee80211w)."""

    akms: tuple[int, ...] = (AKM.PSK, AKM.PSK_SHA256, AKM.SAE)
    pairwise: tuple[int, ...] = PAIRWISE_PREFERENCE
    groups: tuple[int, ...] = (Cipher.CCMP_128, Cipher.CCMP_256, Cipher.GCMP_128, Cipher.GCMP_256)
    mfp: Mfp = Mfp.OPTIONAL
    group_mgmt: tuple[int, ...] = (Cipher.BIP_CMAC_128, Cipher.BIP_CMAC_256, Cipher.BIP_GMAC_128,
                                   Cipher.BIP_GMAC_256)

    def select(self, ap_rsne: bytes | RSNInfo) -> tuple[Selection, RSNInfo] | None:
        """From an AP's RSNE: the selection and the RSNE to send in the
        Association Request (exactly one pairwise cipher and one AKM), or
        None when the AP is not acceptable."""
        try:
            ap = ap_rsne if isinstance(ap_rsne, RSNInfo) else RSNInfo.parse(ap_rsne)
        except FrameError:
            return None
        if ap.version != 1 or ap.group_cipher not in self.groups:
            return None
        akm = _pick(AKM_PREFERENCE, tuple(a for a in self.akms if a in ap.akms))
        cipher = _pick(PAIRWISE_PREFERENCE, tuple(c for c in self.pairwise if c in ap.pairwise))
        if akm is None or cipher is None:
            return None
        if ap.mfpr and self.mfp == Mfp.DISABLED or self.mfp == Mfp.REQUIRED and not ap.mfpc:
            return None
        mfp = ap.mfpc and self.mfp != Mfp.DISABLED
        if mfp and ap.mgmt_cipher not in self.group_mgmt:
            return None
        caps = _caps(self.mfp) if mfp else 0
        group_mgmt = ap.mgmt_cipher if mfp else None
        explicit = group_mgmt if group_mgmt not in (None, Cipher.BIP_CMAC_128) else None
        req = RSNInfo(ap.group_cipher, (cipher,), (akm,), caps,
                      pmkids=() if explicit is not None else None, group_mgmt_cipher=explicit)
        return Selection(akm, cipher, ap.group_cipher, mfp, group_mgmt), req
