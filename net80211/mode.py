"""What every operating mode provides: its legal transitions as data, one
shared `transitions.Machine` that enforces them, and the mode's newstate work.

One Machine per mode, never per vap: vaps are added as models at attach and
removed at detach (a Machine costs ~250 µs and ~58 KiB; a model ~10 bytes).
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from transitions import Machine

from ic import NotSupported, OpMode, RxInfo, State, TxStatus
from net80211.input import FT_DATA, FT_MGMT, RETRY, count_malformed, qos_tid
from net80211.node import NONQOS_TID, Node, NodeTable
from net80211.output import send_mgmt
from net80211.wire.frame import FrameError, peek
from net80211.wire.mgmt import Deauth

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

log = logging.getLogger("net80211")

S = State


class _Models(list[Any]):
    """A Machine's model list that answers `vap in models` from a set of
    identities: `add_model` asks it of every vap it adds, and a scan of the
    list made building a world of N vaps of one mode cost N^2 (vaps have no
    `__eq__`, so identity is what the list compared anyway)."""

    def __init__(self) -> None:
        super().__init__()
        self._ids: set[int] = set()

    def __contains__(self, model: object) -> bool:
        return id(model) in self._ids

    def append(self, model: Any) -> None:
        super().append(model)
        self._ids.add(id(model))

    def remove(self, model: Any) -> None:
        super().remove(model)
        self._ids.discard(id(model))


class _SharedMachine(Machine):
    """A Machine that binds nothing onto its models: triggers are called on the
    Machine's events, so a model costs a list slot, not ~30 bound partials."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.models = _Models()  # transitions appends to and removes from it, and asks `in`

    def _checked_assignment(self, model: Any, name: str, func: Any) -> None:
        pass


class Mode:
    """Base of the per-mode objects; one instance per opmode, shared by its vaps."""

    opmode: ClassVar[OpMode]
    # Legal transitions: destination -> the states it may be entered from.
    TRANSITIONS: ClassVar[dict[State, frozenset[State]]]
    # What `ieee80211_start_locked` requests at start: (state, REINIT first).
    # Most modes scan after REINIT; MONITOR, WDS and the P2P device go to RUN.
    START: ClassVar[tuple[State, bool]] = (State.SCAN, True)
    # What group-addressed management a vap of this mode wants from the
    # device's input path (input.py): every beacon (an IBSS merging), and
    # probe requests (modes that answer them).
    rx_all_beacons: ClassVar[bool] = False
    rx_probe_req: ClassVar[bool] = False

    def __init__(self) -> None:
        self.states = frozenset(self.TRANSITIONS) | frozenset().union(*self.TRANSITIONS.values())
        self._legal = frozenset((src, dst) for dst, srcs in self.TRANSITIONS.items() for src in srcs)
        self.machine = _SharedMachine(
            model=[],
            states=sorted(self.states),
            transitions=[
                {"trigger": dst.name, "source": sorted(srcs), "dest": dst}
                for dst, srcs in self.TRANSITIONS.items()
            ],
            initial=State.INIT,
            auto_transitions=False,
            name=f"{self.opmode.word}: ",
        )

    @property
    def name(self) -> str:
        return self.opmode.word

    def legal(self, ostate: State, nstate: State) -> bool:
        return (ostate, nstate) in self._legal

    def enter(self, vap: IEEE80211Vap, nstate: State) -> None:
        """Move `vap` to `nstate` through the mode's Machine (which re-checks legality)."""
        self.machine.events[nstate.name].trigger(vap)

    # -- hooks a mode overrides ------------------------------------------
    def vap_setup(self, vap: IEEE80211Vap) -> None:
        """At `ieee80211_vap_setup` time: make the mode's per-vap state
        object and hang it off its slot (`vap.sta`, `vap.ap`, ...)."""

    def vap_detach(self, vap: IEEE80211Vap) -> None:
        """Undo `vap_setup` at detach: stop the state's timers, set its slot to None."""

    def set_security(self, vap: IEEE80211Vap, security: str | None, passphrase: str | bytes | None,
                     pmf: str | None, group_rekey: int | None, sae_pwe: int | None = None,
                     ptk_rekey: int | None = None) -> None:
        """Protect the vap (`vap.rsn`): modes with RSN (AP, STA) override;
        the others take "open" only."""
        if (security not in (None, "open") or passphrase is not None or pmf is not None
                or group_rekey is not None or sae_pwe is not None or ptk_rekey is not None):
            raise NotSupported(f"{vap.name}: a {self.name} vap has no RSN security "
                               "(security, passphrase, pmf)")

    def deauth_node(self, vap: IEEE80211Vap, node: Node, reason: int) -> None:
        """Deauthenticate a peer with `reason` and forget it (a handshake
        that failed); AP and STA modes do their own bookkeeping."""
        send_mgmt(vap, node.macaddr, Deauth(reason))
        NodeTable.of(vap.ic).remove(node)

    def sae_done(self, vap: IEEE80211Vap, ok: bool) -> None:
        """A station's SAE authentication ended (accepted or failed)."""

    def link_lost(self, vap: IEEE80211Vap, reason: int) -> None:
        """A station's association is gone without a frame that says so
        (an SA Query went unanswered): the station modes leave the BSS."""

    def association_lost(self, vap: IEEE80211Vap, node: Node) -> None:
        """An AP's view: the peer's association is gone without a frame that
        says so (our SA Query went unanswered); the AP modes forget it, the
        peer stays authenticated so its next request succeeds."""

    def first_request(self, vap: IEEE80211Vap) -> tuple[State, bool]:
        """State requested when the vap starts, and whether to REINIT through INIT first."""
        return self.START

    def newstate(self, vap: IEEE80211Vap, ostate: State, nstate: State, arg: int) -> None:
        """The mode's work for a transition; `vap.state` is already `nstate`."""

    def refresh(self, vap: IEEE80211Vap) -> None:
        """Bring what the device did for `vap` without the host (beacons its
        filter kept back) into the vap's counters and tables, before they are
        read."""

    def input(self, vap: IEEE80211Vap, frame: bytes, rx: RxInfo) -> None:
        """A received frame for `vap` (the mode's `iv_input`), raw bytes.

        The device's input path calls `recv` with the header already peeked;
        this entry point (MONITOR overrides it) peeks itself."""
        try:
            ftype, sub, _a1, a2, a3, seq, flags = peek(frame)
        except FrameError:
            count_malformed(vap)
            return
        self.recv(vap, frame, rx, ftype, sub, a2, a3, seq, flags)

    def recv(self, vap: IEEE80211Vap, frame: bytes, rx: RxInfo, ftype: int, sub: int,
             a2: bytes | None, a3: bytes | None, seq: int | None, flags: int) -> None:
        """A frame the input path accepted for `vap`: find the sender's node,
        refresh its RSSI and activity, drop duplicates (unicast frames with
        the Retry bit and the last sequence number of their TID), then hand
        it to `recv_mgmt`/`recv_data`.  A FrameError from those is counted
        as malformed."""
        node = None
        tbl = NodeTable.peek(vap.ic)
        if tbl is not None and a2 is not None:
            node = tbl.find(vap, a2)
            if node is not None:
                node.rssi = rx.signal
                node.last_rx_ns = vap.ic.sched.now_ns
                if seq is not None and not frame[4] & 1:
                    tid = qos_tid(frame, flags) if ftype == FT_DATA and sub & 8 else NONQOS_TID
                    if node.is_dup(seq, bool(flags & RETRY), tid):
                        vap.stats.rx_dup += 1
                        return
        rsn = vap.rsn
        if rsn is not None:
            # A protected vap: decrypt and check before the mode sees it
            # (EAPOL frames end in the handshake here).
            if ftype == FT_DATA:
                got = rsn.rx_data(frame, sub, flags, node)
                if got is None:
                    return
                frame, flags = got, flags & ~0x40
            elif ftype == FT_MGMT and (sub == 10 or sub == 12 or sub == 13 or flags & 0x40):
                got = rsn.rx_mgmt(frame, node)
                if got is None:
                    return
                frame, flags = got, flags & ~0x40
        try:
            if ftype == FT_MGMT:
                vap.stats.rx_mgmt += 1
                self.recv_mgmt(vap, sub, frame, rx, node, a2, a3)
            elif ftype == FT_DATA:
                self.recv_data(vap, sub, frame, rx, node, flags)
        except FrameError:
            count_malformed(vap)

    def recv_mgmt(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  a2: bytes | None, a3: bytes | None) -> None:
        """A management frame for `vap` (`iv_recv_mgmt`); `node` is the
        sender's node if it has one.  Parse with `MgmtFrame.parse(frame)`."""

    def recv_data(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  flags: int) -> None:
        """A data frame for `vap`; modes decapsulate with `output.deliver`."""
        vap.stats.rx_dropped += 1

    def encap(self, vap: IEEE80211Vap, eth: bytes) -> tuple[bytes, Node | None] | None:
        """802.3 -> 802.11 for this mode: (frame bytes, receiver node or None),
        or None to drop (no data path, unknown destination...).  See
        `output.data_frame` and `output.snap_body`."""
        return None

    def scan_done(self, vap: IEEE80211Vap, results: list[Any]) -> None:
        """A scan this vap started finished with these results."""

    def accepts(self, vap: IEEE80211Vap, a1: bytes, a2: bytes) -> bool:
        """Whether a 4-address frame from `a2` to `a1` belongs to this vap's
        link (WDS); the input path asks WDS vaps only."""
        return False

    def tx_done(self, vap: IEEE80211Vap, frame: bytes, status: TxStatus) -> None:
        """A data frame this vap sent was acknowledged (a station learns the
        rate that reaches its AP).  Default: nothing."""

    def tx_seen(self, vap: IEEE80211Vap, frame: bytes, status: TxStatus) -> None:
        """A frame the device sent is done (monitor vaps capture it)."""

    # Capture and injection belong to monitor vaps (`monitor.py`).
    def capture(self, vap: IEEE80211Vap, dest: Any) -> None:
        raise NotSupported(f"{vap.name}: a {self.name} vap does not capture; use a monitor vap")

    def stop_capture(self, vap: IEEE80211Vap) -> int:
        raise NotSupported(f"{vap.name}: a {self.name} vap does not capture; use a monitor vap")

    def inject(self, vap: IEEE80211Vap, frame: bytes, *, radiotap: bool | None = None) -> bool:
        raise NotSupported(f"{vap.name}: only a monitor vap injects raw frames")


def transitions_table(**dst_sources: tuple[State, ...]) -> dict[State, frozenset[State]]:
    """Build a TRANSITIONS table from keyword arguments `DEST=(sources...)`."""
    return {State[d]: frozenset(srcs) for d, srcs in dst_sources.items()}


ANY = tuple(State)


# -- the registry -------------------------------------------------------------------------
# Where each operating mode's class lives, as data: the vap needs `mode_for`
# only, so it does not import every mode module (P2P included), and a mode
# module is loaded the first time a vap of its mode is made.
MODE_CLASSES: dict[OpMode, str] = {
    OpMode.STA: "net80211.modes.sta:StaMode",
    OpMode.HOSTAP: "net80211.modes.hostap:HostapMode",
    OpMode.IBSS: "net80211.modes.adhoc:IbssMode",
    OpMode.AHDEMO: "net80211.modes.adhoc:AhdemoMode",
    OpMode.WDS: "net80211.modes.wds:WdsMode",
    OpMode.MONITOR: "net80211.modes.monitor:MonitorMode",
    OpMode.MBSS: "net80211.modes.mbss:MbssMode",
    OpMode.P2P_DEVICE: "net80211.p2p.modes:P2PDeviceMode",
    OpMode.P2P_GO: "net80211.p2p.modes:P2PGoMode",
    OpMode.P2P_CLIENT: "net80211.p2p.modes:P2PClientMode",
}
_INSTANCES: dict[OpMode, Mode] = {}


def mode_class(opmode: OpMode) -> type[Mode]:
    """The Mode subclass of `opmode`, its module imported on first use."""
    module, _, name = MODE_CLASSES[opmode].partition(":")
    cls = getattr(importlib.import_module(module), name)
    if not (isinstance(cls, type) and issubclass(cls, Mode) and cls.opmode is opmode):
        raise TypeError(f"{MODE_CLASSES[opmode]} is not the Mode of {opmode.word}")
    return cls


def mode_for(opmode: OpMode) -> Mode:
    """The shared mode object (and Machine) of `opmode`, made on first use."""
    mode = _INSTANCES.get(opmode)
    if mode is None:
        mode = _INSTANCES[opmode] = mode_class(opmode)()
    return mode
