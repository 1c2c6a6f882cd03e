"""net80211: vaps, the 802.11 state machine, operating modes and scanning on
top of the `ic` device layer.  Re-exports the vocabulary so that
`from net80211 import OpMode, State` works."""

from ic import (
    MS,
    SEC,
    TU,
    US,
    AlreadyExists,
    Busy,
    Callout,
    Caps,
    Channel,
    CloneFlags,
    ComFlags,
    ConcurrencyError,
    DriverError,
    IEEE80211Com,
    IfType,
    IllegalTransition,
    InvalidArgument,
    Net80211Error,
    NoSuchDevice,
    NotSupported,
    OpMode,
    Scheduler,
    State,
    StateQueueFull,
    TaskQueue,
    mac_str,
    parse_mac,
    seconds,
)
from net80211.proto import NSTATE_QUEUE_MAX
from net80211.scan import Scanner, ScanResult
from net80211.vap import IEEE80211Vap, VapStats

__all__ = [
    "MS", "SEC", "TU", "US", "AlreadyExists", "Busy", "Callout", "Caps", "Channel", "CloneFlags",
    "ComFlags", "ConcurrencyError", "DriverError", "IfType", "IllegalTransition", "InvalidArgument",
    "Net80211Error",
    "NoSuchDevice", "NotSupported", "OpMode", "Scheduler", "State", "StateQueueFull", "TaskQueue",
    "seconds", "IEEE80211Com", "mac_str", "parse_mac", "NSTATE_QUEUE_MAX", "Scanner", "ScanResult",
    "IEEE80211Vap", "VapStats",
]
