"""The device layer: IEEE80211Com, its vocabulary (modes, capabilities,
states), channels, the concurrency policy and its rules, and the scheduler.  Imports nothing
else of the project."""

from .admission import Admission, AdmitContext, MixVerdict, VapRequest
from .channels import ALL_CHANNELS, CHANNELS_2GHZ, CHANNELS_5GHZ, ChanFlags, Channel, find_channel
from .com import IEEE80211Com, mac_str, parse_mac
from .combinations import (
    SOFTWARE_IFTYPES,
    ChanWidth,
    DfsRegion,
    IfaceCombination,
    IfaceLimit,
    check_combinations,
    format_combinations,
    validate_combinations,
    widths_mask,
)
from .enums import (
    OPMODE_IFTYPE,
    Caps,
    CloneFlags,
    ComFlags,
    IfType,
    OpMode,
    State,
    format_wlanmode,
    parse_wlanmode,
    vap_caps,
)
from .errors import (
    AlreadyExists,
    Busy,
    ConcurrencyError,
    DriverError,
    IllegalTransition,
    InvalidArgument,
    Net80211Error,
    NoSuchDevice,
    NotSupported,
    StateQueueFull,
)
from .policy import Policy
from .rules import (
    BeaconSlots,
    BssidMask,
    FirstOnly,
    MaxChannels,
    MaxOfMode,
    NoWdsInStaMode,
    Rule,
    SingleVap,
    StaNoBeacons,
    WdsNeedsHostap,
    WdsNoBssid,
)
from .rxtx import RxInfo, TxStatus
from .sched import MS, NS, SEC, TU, US, Callout, Scheduler, TaskQueue, seconds

__all__ = [
    "ALL_CHANNELS", "CHANNELS_2GHZ", "CHANNELS_5GHZ", "Channel", "ChanFlags", "find_channel",
    "OPMODE_IFTYPE", "Caps", "CloneFlags", "ComFlags", "IfType", "OpMode", "State",
    "format_wlanmode", "parse_wlanmode", "vap_caps",
    "AlreadyExists", "Busy", "DriverError", "IllegalTransition", "InvalidArgument",
    "Net80211Error", "NoSuchDevice", "NotSupported", "StateQueueFull",
    "IEEE80211Com", "mac_str", "parse_mac", "Admission", "AdmitContext", "Policy", "VapRequest",
    "ChanWidth", "DfsRegion", "IfaceCombination", "IfaceLimit", "check_combinations",
    "format_combinations", "validate_combinations", "widths_mask", "SOFTWARE_IFTYPES", "ConcurrencyError",
    "MixVerdict", "RxInfo", "TxStatus",
    "Rule", "MaxOfMode", "FirstOnly", "SingleVap", "WdsNeedsHostap", "NoWdsInStaMode", "BeaconSlots",
    "BssidMask", "StaNoBeacons", "WdsNoBssid", "MaxChannels",
    "MS", "NS", "SEC", "TU", "US", "Callout", "Scheduler", "TaskQueue", "seconds",
]
