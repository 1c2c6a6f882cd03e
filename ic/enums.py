"""The vocabulary shared by every layer: operating modes, capabilities, clone
flags, nl80211 interface types and 802.11 states (FreeBSD values)."""

from __future__ import annotations

import enum


class OpMode(enum.IntEnum):
    """Operating mode of a vap (`enum ieee80211_opmode`, P2P modes appended)."""

    IBSS = 0
    STA = 1
    WDS = 2
    AHDEMO = 3
    HOSTAP = 4
    MONITOR = 5
    MBSS = 6
    P2P_DEVICE = 7
    P2P_GO = 8
    P2P_CLIENT = 9

    @property
    def word(self) -> str:
        """The canonical ifconfig `wlanmode` word for this mode."""
        return _MODE_WORDS[self]

    @property
    def iftype(self) -> IfType:
        return OPMODE_IFTYPE[self]

    @property
    def cap(self) -> Caps:
        """The device capability bit that makes this mode available."""
        return MODE_CAPS[self]

    @property
    def has_netdev(self) -> bool:
        """A P2P device is a wireless device without a network interface."""
        return self is not OpMode.P2P_DEVICE

    @property
    def sta_like(self) -> bool:
        """Modes that join someone else's BSS (scan before RUN)."""
        return self in (OpMode.STA, OpMode.P2P_CLIENT)

    @property
    def ap_like(self) -> bool:
        return self in (OpMode.HOSTAP, OpMode.P2P_GO)

    @property
    def beacons(self) -> bool:
        """Modes that transmit beacons and so need a beacon slot."""
        return self in (OpMode.HOSTAP, OpMode.IBSS, OpMode.MBSS, OpMode.P2P_GO)


class IfType(enum.IntEnum):
    """`enum nl80211_iftype`."""

    UNSPECIFIED = 0
    ADHOC = 1
    STATION = 2
    AP = 3
    AP_VLAN = 4
    WDS = 5
    MONITOR = 6
    MESH_POINT = 7
    P2P_CLIENT = 8
    P2P_GO = 9
    P2P_DEVICE = 10
    OCB = 11
    NAN = 12

    @property
    def label(self) -> str:
        """The name `iw list` prints for this type."""
        return _IFTYPE_LABELS[self]


class Caps(enum.IntFlag):
    """Device capabilities (`IEEE80211_C_*`, FreeBSD bit values).

    FreeBSD has no P2P bits; ours sit above bit 31 so they can never collide
    with a FreeBSD capability word.
    """

    STA = 0x00000001
    ENCAP8023 = 0x00000002
    FF = 0x00000040
    TURBOP = 0x00000080
    IBSS = 0x00000100
    PMGT = 0x00000200
    HOSTAP = 0x00000400
    AHDEMO = 0x00000800
    SWRETRY = 0x00001000
    TXPMGT = 0x00002000
    SHSLOT = 0x00004000
    SHPREAMBLE = 0x00008000
    MONITOR = 0x00010000
    DFS = 0x00020000
    MBSS = 0x00040000
    SWSLEEP = 0x00080000
    SWAMSDUTX = 0x00100000
    UAPSD = 0x00200000
    WPA1 = 0x00800000
    WPA2 = 0x01000000
    BURST = 0x02000000
    WME = 0x04000000
    WDS = 0x08000000
    BGSCAN = 0x20000000
    TXFRAG = 0x40000000
    TDMA = 0x80000000
    P2P_DEVICE = 1 << 32
    P2P_GO = 1 << 33
    P2P_CLIENT = 1 << 34


class CloneFlags(enum.IntFlag):
    """`struct ieee80211_clone_params` flags."""

    BSSID = 0x1
    NOBEACONS = 0x2
    WDSLEGACY = 0x4
    MACADDR = 0x8
    TDMA = 0x10


class ComFlags(enum.IntFlag):
    """Device-wide flags (`ic_flags`); only those the framework acts on."""

    SCAN = 0x00800000
    BGSCAN = 0x08000000


class State(enum.IntEnum):
    """802.11 state machine states (`enum ieee80211_state`); `>= RUN` is running."""

    INIT = 0
    SCAN = 1
    AUTH = 2
    ASSOC = 3
    CAC = 4
    RUN = 5
    CSA = 6
    SLEEP = 7


MODE_CAPS: dict[OpMode, Caps] = {
    OpMode.IBSS: Caps.IBSS,
    OpMode.STA: Caps.STA,
    OpMode.WDS: Caps.WDS,
    OpMode.AHDEMO: Caps.AHDEMO,
    OpMode.HOSTAP: Caps.HOSTAP,
    OpMode.MONITOR: Caps.MONITOR,
    OpMode.MBSS: Caps.MBSS,
    OpMode.P2P_DEVICE: Caps.P2P_DEVICE,
    OpMode.P2P_GO: Caps.P2P_GO,
    OpMode.P2P_CLIENT: Caps.P2P_CLIENT,
}

ALL_MODE_CAPS = Caps(0)
for _c in MODE_CAPS.values():
    ALL_MODE_CAPS |= _c

OPMODE_IFTYPE: dict[OpMode, IfType] = {
    OpMode.IBSS: IfType.ADHOC,
    OpMode.AHDEMO: IfType.ADHOC,
    OpMode.STA: IfType.STATION,
    OpMode.HOSTAP: IfType.AP,
    OpMode.WDS: IfType.WDS,
    OpMode.MONITOR: IfType.MONITOR,
    OpMode.MBSS: IfType.MESH_POINT,
    OpMode.P2P_CLIENT: IfType.P2P_CLIENT,
    OpMode.P2P_GO: IfType.P2P_GO,
    OpMode.P2P_DEVICE: IfType.P2P_DEVICE,
}

_MODE_WORDS = {
    OpMode.IBSS: "ibss",
    OpMode.STA: "sta",
    OpMode.WDS: "wds",
    OpMode.AHDEMO: "ahdemo",
    OpMode.HOSTAP: "hostap",
    OpMode.MONITOR: "monitor",
    OpMode.MBSS: "mesh",
    OpMode.P2P_DEVICE: "p2p-device",
    OpMode.P2P_GO: "p2p-go",
    OpMode.P2P_CLIENT: "p2p-client",
}

_IFTYPE_LABELS = {
    IfType.UNSPECIFIED: "unspecified",
    IfType.ADHOC: "IBSS",
    IfType.STATION: "managed",
    IfType.AP: "AP",
    IfType.AP_VLAN: "AP/VLAN",
    IfType.WDS: "WDS",
    IfType.MONITOR: "monitor",
    IfType.MESH_POINT: "mesh point",
    IfType.P2P_CLIENT: "P2P-client",
    IfType.P2P_GO: "P2P-GO",
    IfType.P2P_DEVICE: "P2P-device",
    IfType.OCB: "outside context of a BSS",
    IfType.NAN: "NAN",
}

# ifconfig's set80211clone_wlanmode: checked in this order, each word matching
# as a case-insensitive prefix of the argument (`iseq`), so "hostap" matches
# "host" and "adhoc-demo" is tested before "adhoc".  Our P2P words are exact.
_WLANMODE_PREFIXES: tuple[tuple[str, OpMode, CloneFlags], ...] = (
    ("sta", OpMode.STA, CloneFlags(0)),
    ("ahdemo", OpMode.AHDEMO, CloneFlags(0)),
    ("adhoc-demo", OpMode.AHDEMO, CloneFlags(0)),
    ("ibss", OpMode.IBSS, CloneFlags(0)),
    ("adhoc", OpMode.IBSS, CloneFlags(0)),
    ("ap", OpMode.HOSTAP, CloneFlags(0)),
    ("host", OpMode.HOSTAP, CloneFlags(0)),
    ("wds", OpMode.WDS, CloneFlags(0)),
    ("monitor", OpMode.MONITOR, CloneFlags(0)),
    ("tdma", OpMode.AHDEMO, CloneFlags.TDMA),
    ("mesh", OpMode.MBSS, CloneFlags(0)),
    ("mp", OpMode.MBSS, CloneFlags(0)),
)
_P2P_WORDS = {
    "p2p-device": OpMode.P2P_DEVICE,
    "p2p-go": OpMode.P2P_GO,
    "p2p-client": OpMode.P2P_CLIENT,
}


def parse_wlanmode(word: str) -> tuple[OpMode, CloneFlags]:
    """Parse an ifconfig `wlanmode` word into a mode and the clone flags it implies.

    Raises ValueError naming the word when it is not a mode.
    """
    w = word.strip().lower()
    if w in _P2P_WORDS:
        return _P2P_WORDS[w], CloneFlags(0)
    if w and not w.startswith("p2p"):
        for prefix, mode, flags in _WLANMODE_PREFIXES:
            if w.startswith(prefix):
                return mode, flags
    raise ValueError(f"unknown wlanmode {word!r}")


def format_wlanmode(mode: OpMode, flags: CloneFlags = CloneFlags(0)) -> str:
    """The word `parse_wlanmode` maps back to (mode, flags)."""
    if mode is OpMode.AHDEMO and flags & CloneFlags.TDMA:
        return "tdma"
    return _MODE_WORDS[OpMode(mode)]


def vap_caps(device_caps: Caps, mode: OpMode) -> Caps:
    """A vap's capabilities: the device's, minus every mode bit, plus its own."""
    return Caps((device_caps & ~ALL_MODE_CAPS) | MODE_CAPS[mode])
