"""RSN, sans-IO: key derivation (`kdf`), cipher/AKM negotiation (`policy`)
and the 4-way and group key handshakes as state machines
(`authenticator`, `supplicant`) that take events and return `actions`.
Imports `net80211.wire` and `net80211.crypto` only."""

from .actions import (
    Action,
    CancelTimer,
    Completed,
    Failed,
    InstallGtk,
    InstallIgtk,
    InstallPtk,
    SendEapol,
    SetTimer,
)
from .authenticator import AuthConfig, Authenticator, GroupKeys
from .kdf import pmk_from_passphrase
from .policy import ApPolicy, Mfp, Refusal, Selection, StaPolicy
from .supplicant import Supplicant

__all__ = ["Action", "ApPolicy", "AuthConfig", "Authenticator", "CancelTimer", "Completed", "Failed",
           "GroupKeys", "InstallGtk", "InstallIgtk", "InstallPtk", "Mfp", "Refusal", "Selection", "SendEapol",
           "SetTimer", "StaPolicy", "Supplicant", "pmk_from_passphrase"]
