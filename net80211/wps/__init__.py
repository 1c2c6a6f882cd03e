"""Wi-Fi Simple Configuration (WPS): the attribute codec, the key
hierarchy, EAP-WSC framing and the registrar and enrollee machines (sans-IO;
see docs/wps.md)."""

from net80211.wps.machine import (
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

__all__ = ["PBC_PASSWORD", "WALK_TIME_NS", "Authorizations", "CancelTimer", "Credential", "DeviceInfo",
           "Enrollee", "Event", "Finished", "GotCredential", "Registrar", "Send", "SetTimer"]
