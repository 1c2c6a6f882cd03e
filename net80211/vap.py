"""The virtual interface (`struct ieee80211vap`).

Creation has three phases, as in ieee80211_vap(9): the driver constructs its
vap subclass (`__init__` is `ieee80211_vap_setup`), adjusts defaults and sets
up resources, then calls `attach(macaddr)` (`ieee80211_vap_attach`).
`detach()` is `ieee80211_vap_detach`.  A driver hooks state changes by
overriding `iv_newstate` and calling `super().iv_newstate(...)`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ic import (
    Caps,
    Channel,
    CloneFlags,
    IEEE80211Com,
    InvalidArgument,
    NotSupported,
    OpMode,
    RxInfo,
    State,
    mac_str,
    vap_caps,
)
from ic.vapparams import RTS_MAX, check_ssid, check_vap_params
from net80211 import output, proto
from net80211.mode import mode_for
from net80211.netdev import Netdev, make_netdev
from net80211.node import NodeTable
from net80211.scan import Scanner

if TYPE_CHECKING:
    from net80211.modes.adhoc import IbssState
    from net80211.modes.hostap import ApState
    from net80211.modes.monitor import MonitorState
    from net80211.modes.sta import StaState
    from net80211.modes.wds import WdsState
    from net80211.node import Node
    from net80211.p2p.frames import FrameRegistry
    from net80211.p2p.group import P2PGroup
    from net80211.p2p.modes import P2PState
    from net80211.p2p.wdev import WirelessDev
    from net80211.scan import ScanResult
    from net80211.security import VapRsn
    from net80211.wire.capture import Capture

# Parameters `configure` applies by setting one field: (parameter, field).
_PLAIN_PARAMS = (("maxsta", "maxsta"), ("ssid", "ssid"), ("channel", "des_chan"), ("bintval", "bintval"),
                 ("dtim_period", "dtim_period"), ("hidessid", "hidessid"), ("rtsthreshold", "rtsthreshold"))


@dataclass(slots=True, eq=False, repr=False)
class VapStats:
    """Per-vap counters."""

    transitions: int = 0
    failed_transitions: int = 0
    # Transitions a driver's iv_newstate reported done (0) without calling
    # super(): the vap did not move (net80211.proto warns, naming the class).
    swallowed_transitions: int = 0
    illegal_transitions: int = 0
    state_queue_overflows: int = 0
    scanwaits: int = 0
    rx_packets: int = 0
    rx_bytes: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    rx_dropped: int = 0
    tx_dropped: int = 0
    rx_malformed: int = 0
    policy_refusals: int = 0
    rx_frames: int = 0
    rx_mgmt: int = 0
    tx_mgmt: int = 0
    rx_dup: int = 0
    rx_multicast: int = 0
    tx_multicast: int = 0
    rx_beacons: int = 0
    rx_beacons_filtered: int = 0  # kept back by the device's beacon filter (net80211.beacon_filter)
    beacon_misses: int = 0
    fwd_packets: int = 0
    rx_unauth: int = 0
    assoc_failures: int = 0
    scan_backoffs: int = 0  # a station's scans that found nothing to join, each followed by a wait
    ps_dozes: int = 0  # an AP: times a station went to power save (net80211.power)
    tx_ps_queued: int = 0  # an AP: unicast frames held for a dozing station
    tx_ps_dropped: int = 0  # held frames dropped: queue full, expired, or the station left

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


class IEEE80211Vap:
    """One vap of a device; its operating mode is fixed for its life.

    The state of its operating mode hangs off the vap in an object of its
    own, as FreeBSD's `iv_mesh`/`iv_tdma`: `sta` (STA, P2P client), `ap`
    (HOSTAP, P2P GO), `ibss` (IBSS, AHDEMO and, until mesh is done, MBSS),
    `wds`, `mon` (MONITOR) and `p2p` (the three P2P modes); the mode makes it
    in `Mode.vap_setup` and drops it (None) in `Mode.vap_detach`.  The others
    stay None.

    Every field is declared in `__slots__`: writing any other attribute
    raises AttributeError.  A driver's vap subclass declares its own fields
    the same way (`__slots__ = ("addr_slot",)` in hwsim); a subclass without
    `__slots__` gets a `__dict__` and so takes any attribute, unchecked.
    """

    __slots__ = (
        # What the receive path reads of every frame a vap takes, first and
        # together: a slot's place is its place in the object, and in a world
        # of thousands of radios each delivery finds its vap out of the cache,
        # so these share the object's first two cache lines.
        "ic", "running", "state", "opmode", "mode", "bssid", "macaddr", "stats", "frame_regs", "rsn",
        "sta", "ap", "nstates", "des_bssid",
        # identity and configuration
        "name", "unit", "flags", "caps", "ssid",
        "des_chan", "bintval", "dtim_period", "hidessid", "dwds", "maxsta", "mgmtrate", "rtsthreshold",
        "netdev",
        # the BSS and the state machine (net80211.proto)
        "bss_chan", "bss", "aid", "attached", "detaching",
        "serving", "scanwait", "reinit", "pending_kick", "last_error", "txseq",
        # the wireless device (P2P primitives) and the beacon template cache
        "wdev", "beacon_template",
        # per-mode state (sta and ap above)
        "ibss", "wds", "mon", "p2p", "mesh",
        "__weakref__",
    )

    def __init__(self, ic: IEEE80211Com, name: str, unit: int, opmode: OpMode,
                 flags: CloneFlags = CloneFlags(0), bssid: bytes | None = None) -> None:
        self.ic = ic
        self.name = name
        self.unit = unit
        self.opmode = OpMode(opmode)
        self.flags = CloneFlags(flags)
        self.caps: Caps = vap_caps(ic.caps, self.opmode)
        self.mode = mode_for(self.opmode)
        self.state = State.INIT
        self.macaddr: bytes | None = None
        self.bssid: bytes | None = None
        self.des_bssid = bssid  # WDS peer, or a fixed BSSID to join/create
        self.ssid = b""
        self.des_chan: Channel | None = None
        self.bss_chan: Channel | None = None
        self.bss: ScanResult | None = None  # the BSS a station joined
        self.bintval = 100
        # unicast frames longer than this (FCS included) go with an RTS/CTS exchange
        # (FreeBSD's iv_rtsthreshold; the default, IEEE80211_RTS_MAX, is longer than any)
        self.rtsthreshold = RTS_MAX
        self.dtim_period = 1
        self.hidessid = False
        self.dwds = False  # dynamic WDS (IEEE80211_F_DWDS; a STA also sends 4-address, FEXT_4ADDR)
        self.running = False
        self.attached = False
        self.stats = VapStats()
        self.nstates: list[proto.StateRequest] = []
        self.serving: int | None = None
        self.scanwait = False
        self.reinit = False
        self.pending_kick = False
        self.last_error: OSError | None = None
        self.detaching = False
        self.txseq = 0
        self.netdev: Netdev | None = None
        self.aid = 0  # the AID our AP gave us (STA)
        self.maxsta = 2007  # stations an AP-like vap accepts (IEEE80211_AID_MAX)
        self.mgmtrate = 12  # management/beacon rate in 500 kb/s units (6 Mb/s)
        # The wireless device view (net80211.p2p.wdev), made on first use, and
        # its frame registrations, which the input path reads for every frame.
        self.wdev: WirelessDev | None = None
        self.frame_regs: FrameRegistry | None = None
        # Beacon elements per configuration (net80211.beacon), for beaconing modes.
        self.beacon_template: dict[tuple[Any, ...], tuple[bytes, bytes]] | None = None
        # Per-mode state: the vap's mode sets its own in vap_setup.
        self.sta: StaState | None = None
        self.ap: ApState | None = None
        self.ibss: IbssState | None = None
        self.wds: WdsState | None = None
        self.mon: MonitorState | None = None
        self.p2p: P2PState | None = None
        self.mesh: None = None  # a mesh point's (MBSS) state, once mesh is done
        # RSN state (security, keys, handshakes): set by `configure(security=...)`
        # through the mode; None while the vap is open.
        self.rsn: VapRsn | None = None
        self.mode.vap_setup(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.opmode.word} {self.state.name}>"

    # -- properties --------------------------------------------------------
    @property
    def channel(self) -> Channel | None:
        """The channel the vap operates on, or the one it is configured for."""
        return self.bss_chan if self.bss_chan is not None else self.des_chan

    @property
    def legacy_wds(self) -> bool:
        return bool(self.flags & CloneFlags.WDSLEGACY)

    @property
    def dfs(self) -> bool:
        """The vap must run a channel availability check on DFS channels."""
        return bool(self.caps & Caps.DFS)

    @property
    def has_netdev(self) -> bool:
        return self.opmode.has_netdev

    # -- per-mode state under the vap names it had before it moved -----------
    # Views for callers that read it there (tools, tests); the framework uses
    # vap.sta, vap.ap, ... directly.  A vap without that state (another mode,
    # or detached) has no such attribute, or None for an optional reference.
    def _no_state(self, what: str) -> AttributeError:
        return AttributeError(f"{self.name}: a {self.opmode.word} vap has no {what!r}")

    @property
    def bss_node(self) -> Node | None:
        """A station's AP node while associated (`vap.sta.bss_node`)."""
        return self.sta.bss_node if self.sta is not None else None

    @property
    def sta_fails(self) -> dict[bytes, int]:
        """BSSID -> when it last refused a station or timed out (`vap.sta.fails`)."""
        if self.sta is None:
            raise self._no_state("sta_fails")
        return self.sta.fails

    @property
    def last_status(self) -> int | None:
        """Status code of a station's last refused request (`vap.sta.last_status`)."""
        if self.sta is None:
            raise self._no_state("last_status")
        return self.sta.last_status

    @property
    def last_reason(self) -> int | None:
        """Reason code of a station's last deauth/disassoc (`vap.sta.last_reason`)."""
        if self.sta is None:
            raise self._no_state("last_reason")
        return self.sta.last_reason

    @property
    def inact_timeout_ns(self) -> int:
        """How long an AP's station may be silent before it is probed (`vap.ap.inact_timeout_ns`)."""
        if self.ap is None:
            raise self._no_state("inact_timeout_ns")
        return self.ap.inact_timeout_ns

    @inact_timeout_ns.setter
    def inact_timeout_ns(self, value: int) -> None:
        if self.ap is None:
            raise self._no_state("inact_timeout_ns")
        self.ap.inact_timeout_ns = value

    @property
    def atim_window(self) -> int:
        """The ATIM window an IBSS advertises, in TU (`vap.ibss.atim_window`)."""
        if self.ibss is None:
            raise self._no_state("atim_window")
        return self.ibss.atim_window

    @atim_window.setter
    def atim_window(self, value: int) -> None:
        if self.ibss is None:
            raise self._no_state("atim_window")
        self.ibss.atim_window = value

    @property
    def adhoc_stats(self) -> Counter[str]:
        """IBSS/AHDEMO counters (`vap.ibss.stats`)."""
        if self.ibss is None:
            raise self._no_state("adhoc_stats")
        return self.ibss.stats

    @property
    def wds_stats(self) -> Counter[str]:
        """WDS link counters (`vap.wds.stats`)."""
        if self.wds is None:
            raise self._no_state("wds_stats")
        return self.wds.stats

    @property
    def wds_node(self) -> Node | None:
        """A WDS vap's peer node while the link is bound (`vap.wds.node`)."""
        return self.wds.node if self.wds is not None else None

    @property
    def wds_ap(self) -> IEEE80211Vap | None:
        """The AP vap a dynamic WDS link is bound through (`vap.wds.ap`)."""
        return self.wds.ap if self.wds is not None else None

    @property
    def monitor_stats(self) -> Counter[str]:
        """Monitor counters (`vap.mon.stats`)."""
        if self.mon is None:
            raise self._no_state("monitor_stats")
        return self.mon.stats

    @property
    def pcap(self) -> Capture | None:
        """A monitor vap's open capture (`vap.mon.pcap`)."""
        return self.mon.pcap if self.mon is not None else None

    @property
    def p2p_started(self) -> bool:
        """A P2P device started by the P2P layer (`vap.p2p.started`); the
        concurrency policy counts it as running."""
        return self.p2p is not None and self.p2p.started

    @property
    def p2p_group(self) -> P2PGroup | None:
        """The P2P group a GO or client vap serves (`vap.p2p.group`)."""
        return self.p2p.group if self.p2p is not None else None

    # -- lifecycle ---------------------------------------------------------
    def attach(self, macaddr: bytes | None = None) -> None:
        """`ieee80211_vap_attach`: take the link address, join `ic.vaps`."""
        if self.attached:
            raise InvalidArgument(f"{self.name}: already attached")
        self.macaddr = bytes(macaddr) if macaddr is not None else self.ic.macaddr
        self.mode.machine.add_model(self, initial=State.INIT)
        self.ic.vaps.append(self)
        self.attached = True
        self.ic.ic_update_filter()

    def detach(self) -> None:
        """`ieee80211_vap_detach`: stop (to INIT), drain pending work, unlink."""
        if not self.attached:
            return
        self.detaching = True
        proto.stop(self)
        if (self.nstates[-1].nstate if self.nstates else self.state) != State.INIT:
            proto.new_state(self, State.INIT, -1, internal=True)
        self.ic.taskqueue.drain()
        assert self.state == State.INIT and not self.nstates, (self, self.nstates)
        self.scanwait = False
        self.ic.vaps.remove(self)
        self.mode.machine.remove_model(self)
        self.mode.vap_detach(self)
        tbl = NodeTable.peek(self.ic)
        if tbl is not None:
            tbl.flush(self)
        if self.netdev is not None:
            self.netdev.close()
        self.attached = False
        self.detaching = False
        self.ic.ic_update_filter()

    def configure(self, *, ssid: bytes | str | None = None, channel: Channel | int | None = None,
                  bintval: int | None = None, dtim_period: int | None = None,
                  hidessid: bool | None = None, maxsta: int | None = None,
                  netdev: str | None = None, netns: str | None = None, dwds: bool | None = None,
                  security: str | None = None, passphrase: str | bytes | None = None, pmf: str | None = None,
                  group_rekey: int | None = None, sae_pwe: int | None = None,
                  ptk_rekey: int | None = None, rtsthreshold: int | None = None) -> None:
        """Check and apply generic parameters (None leaves one as it is); a
        value out of range is EINVAL before anything is applied (`ic.vapparams`).

        A vap with a network side gets its netdev here: `netdev` names its
        kind (default "queue", see `netdev.make_netdev`), `netns` is passed to
        the kind's factory.  A vap without one (P2P device) refuses `netdev`.

        `security` ("open", "wpa2-psk", "wpa3-sae", "wpa2-wpa3"), `passphrase`,
        `pmf` ("disabled", "optional", "required"), `group_rekey` and
        `ptk_rekey` (seconds, 0: never) and `sae_pwe` (0 hunting and pecking,
        1 hash-to-element, 2 both) go to the mode (`Mode.set_security`): an AP or a station vap (P2P
        GO and client too) takes them, while it is down.  `rtsthreshold` (1..2346 bytes) applies
        at once, as Linux's `iw phy set rts` does."""
        given = {"ssid": ssid, "channel": channel, "bintval": bintval, "dtim_period": dtim_period,
                 "hidessid": hidessid, "maxsta": maxsta, "netdev": netdev, "netns": netns, "dwds": dwds,
                 "security": security, "passphrase": passphrase, "pmf": pmf, "group_rekey": group_rekey,
                 "sae_pwe": sae_pwe, "ptk_rekey": ptk_rekey, "rtsthreshold": rtsthreshold}
        p = check_vap_params(self.ic, self.name, {k: v for k, v in given.items() if v is not None})
        netdev, netns = p.get("netdev"), p.get("netns")
        sec = tuple(p.get(k) for k in ("security", "passphrase", "pmf", "group_rekey", "sae_pwe",
                                       "ptk_rekey"))
        if any(v is not None for v in sec):
            self.mode.set_security(self, *sec)
        if netdev is not None and not self.has_netdev:
            raise InvalidArgument(f"{self.name}: a {self.opmode.word} vap has no network interface")
        if self.has_netdev and (netdev is not None or netns is not None or self.netdev is None):
            nd = make_netdev(netdev or "queue", self, **({"netns": netns} if netns is not None else {}))
            if self.netdev is not None:
                self.netdev.close()
            self.netdev = nd
        for key, attr in _PLAIN_PARAMS:
            if key in p:
                setattr(self, attr, p[key])
        if "dwds" in p:
            self.set_dwds(p["dwds"])

    def set_ssid(self, ssid: bytes | str) -> None:
        """Set the SSID (`ifconfig wlanN ssid`): at most 32 bytes (EINVAL)."""
        self.ssid = check_ssid(self.name, ssid)

    def set_dwds(self, on: bool) -> None:
        """Dynamic WDS on or off (`ifconfig wlanN dwds`, IEEE80211_IOC_DWDS):
        an AP vap takes 4-address frames from its stations and hands them
        to the dynamic WDS vap bound to the station; a station sends
        bridged traffic (source not its own address) as 4-address frames and
        takes 4-address frames from its AP.  Only for AP and STA vaps
        (EINVAL) on a WDS-capable device (EOPNOTSUPP)."""
        if not on:
            self.dwds = False
            return
        if not self.ic.caps & Caps.WDS:
            raise NotSupported(f"{self.name}: {self.ic.name} does not support WDS (dwds)")
        if self.opmode not in (OpMode.HOSTAP, OpMode.STA):
            raise InvalidArgument(f"{self.name}: dwds is for hostap and sta vaps, not {self.opmode.word}")
        self.dwds = True

    def set_channel(self, channel: Channel | int | None) -> None:
        """Change the desired channel; a running vap is re-checked against the
        policy (EBUSY leaves it as it was) and restarted on the new channel."""
        chan = None if channel is None else self.ic.find_channel(channel)
        if self.running:
            self.ic.policy.check_running(self.ic, self, chan)
        self.des_chan = chan
        if self.running and self.state > State.INIT:
            proto.stop(self)
            proto.start(self)

    def up(self) -> None:
        """Mark the vap up and start its state machine (`ieee80211_start_locked`)."""
        proto.start(self)
        if self.netdev is not None:
            self.netdev.link_changed()

    def down(self) -> None:
        """Mark the vap down: to INIT (`ieee80211_stop_locked`)."""
        proto.stop(self)
        if self.netdev is not None:
            self.netdev.link_changed()

    def new_state(self, nstate: State | int, arg: int = -1, *, internal: bool = False) -> None:
        """Queue a state change (`ieee80211_new_state`); it runs from the device taskqueue."""
        proto.new_state(self, nstate, arg, internal=internal)

    # -- frames --------------------------------------------------------------
    def next_seq(self) -> int:
        """The next 12-bit sequence number of frames this vap sends."""
        seq = self.txseq
        self.txseq = (seq + 1) & 0xFFF
        return seq

    def input(self, frame: bytes, rx: RxInfo) -> None:
        """A frame for this vap, raw (`iv_input`); the device's input path
        (`input.input_all`) uses it for MONITOR vaps and calls `mode.recv`
        for the others.  rx_packets/rx_bytes count data delivered up."""
        self.stats.rx_frames += 1
        self.mode.input(self, frame, rx)

    # -- monitor: capture and injection (other modes: EOPNOTSUPP) ---------------
    def capture(self, dest: Any) -> None:
        """Write the frames this vap sees to a pcap file (link type 127)."""
        self.mode.capture(self, dest)

    def stop_capture(self) -> int:
        """Close the capture; how many frames it holds."""
        return self.mode.stop_capture(self)

    def inject(self, frame: bytes, *, radiotap: bool | None = None) -> bool:
        """Transmit a raw 802.11 frame (optionally behind a radiotap header)."""
        return self.mode.inject(self, frame, radiotap=radiotap)

    def transmit(self, eth: bytes) -> bool:
        """Send an Ethernet frame (the upper layer's transmit): encapsulate
        for the mode and hand to the driver; False (tx_dropped) if not sent."""
        return output.transmit(self, eth)

    def scan_results(self) -> list[dict[str, Any]]:
        """The device's scan cache as plain descriptions, strongest first."""
        sc = Scanner.peek(self.ic)
        if sc is None:
            return []
        for vap in self.ic.vaps:
            vap.mode.refresh(vap)
        now = self.ic.sched.now_ns
        return [r.summary(now) for r in sorted(sc.cache.values(), key=lambda r: -r.rssi)]

    def stations(self) -> list[dict[str, Any]]:
        """The associated stations (an AP-like vap) as node summaries."""
        tbl = NodeTable.peek(self.ic)
        if tbl is None:
            return []
        now = self.ic.sched.now_ns
        return [n.summary(now) for n in tbl.nodes(self) if n.associated]

    # -- driver hook ---------------------------------------------------------
    def iv_newstate(self, nstate: State, arg: int) -> int:
        """Perform a transition: the mode's Machine moves the state, then the
        mode does its work.  Drivers override, do their part, and call super().
        A non-zero return means the transition failed."""
        ostate = self.state
        self.mode.enter(self, nstate)
        self.mode.newstate(self, ostate, nstate, arg)
        if self.netdev is not None:
            self.netdev.link_changed()  # carrier follows RUN
        return 0

    def describe(self) -> dict[str, Any]:
        """A summary for tools and reports."""
        self.mode.refresh(self)
        return {
            "name": self.name, "device": self.ic.name, "mode": self.opmode.word,
            "state": self.state.name, "running": self.running,
            "macaddr": mac_str(self.macaddr), "bssid": mac_str(self.bssid),
            "ssid": self.ssid.decode(errors="replace"),
            "channel": self.channel.ieee if self.channel else None,
            "flags": [f.name for f in CloneFlags if f in self.flags],
            "stats": self.stats.as_dict(),
            "security": self.rsn.describe() if self.rsn is not None else {"security": "open"},
        }
