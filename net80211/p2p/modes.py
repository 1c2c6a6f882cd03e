"""The P2P operating modes: a P2P device (discovery only, no netdev, no BSS),
a P2P GO (an AP with P2P IEs) and a P2P client (a station with P2P IEs).

Their P2P state is a `P2PState` at `vap.p2p`; a GO also has the AP state
(`vap.ap`), a client the station state (`vap.sta`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ic import OpMode, RxInfo, State
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.modes.hostap import HostapMode
from net80211.modes.sta import StaMode
from net80211.node import Node
from net80211.p2p.wire import Attr
from net80211.wire.frame import FrameError
from net80211.wire.ie import p2p_attributes
from net80211.wire.mgmt import MgmtFrame

if TYPE_CHECKING:
    from net80211.p2p.group import P2PGroup
    from net80211.vap import IEEE80211Vap


@dataclass(slots=True, eq=False)
class P2PState:
    """A P2P vap's state (`vap.p2p`)."""

    started: bool = False  # a P2P device: started by start_p2p (net80211.p2p.wdev)
    group: P2PGroup | None = None  # a GO or client: the group it serves (net80211.p2p.group)


class P2PDeviceMode(Mode):
    opmode = OpMode.P2P_DEVICE
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT, S.SCAN, S.RUN),
        RUN=(S.INIT, S.SCAN, S.RUN),
    )

    START = (State.RUN, True)
    rx_probe_req = True  # answered in the listen state by the P2P layer's registration

    def vap_setup(self, vap: IEEE80211Vap) -> None:
        vap.p2p = P2PState()

    def vap_detach(self, vap: IEEE80211Vap) -> None:
        vap.p2p = None


_SUB_ASSOC_REQ, _SUB_REASSOC_REQ, _SUB_DISASSOC, _SUB_DEAUTH = 0, 2, 10, 12


class _GroupMemberMode(Mode):
    """What a GO and a client add to their AP or station mode (it follows
    in their bases): the `P2PState` beside the mode's own state, and every
    change of state told to the vap's group."""

    def vap_setup(self, vap: IEEE80211Vap) -> None:
        super().vap_setup(vap)
        vap.p2p = P2PState()

    def vap_detach(self, vap: IEEE80211Vap) -> None:
        super().vap_detach(vap)
        vap.p2p = None

    def newstate(self, vap: IEEE80211Vap, ostate: State, nstate: State, arg: int) -> None:
        super().newstate(vap, ostate, nstate, arg)
        st = vap.p2p
        assert st is not None
        group = st.group
        if group is not None:
            group.state_changed(vap, ostate, nstate)


class P2PGoMode(_GroupMemberMode, HostapMode):
    """An AP whose vap belongs to a P2P group (net80211.p2p.group)."""

    opmode = OpMode.P2P_GO

    def recv_mgmt(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  a2: bytes | None, a3: bytes | None) -> None:
        st = vap.p2p
        assert st is not None
        if st.group is not None and subtype in (_SUB_ASSOC_REQ, _SUB_REASSOC_REQ) and a2 is not None:
            # The client's P2P IE (Capability, Device Info): its entry in the
            # Group Info of our probe responses while it stays associated
            # (wpa_supplicant's p2p_group_notif_assoc)
            try:
                attrs = dict(p2p_attributes(MgmtFrame.parse(frame).body.ies) or ())
            except (FrameError, AttributeError):
                attrs = {}  # the AP's own parsing counts and drops a malformed request
            cap, info = attrs.get(Attr.CAPABILITY), attrs.get(Attr.DEVICE_INFO)
            if cap and info and len(info) >= 17:
                st.group.clients[a2] = (cap[0], info)
            else:
                st.group.clients.pop(a2, None)
        super().recv_mgmt(vap, subtype, frame, rx, node, a2, a3)


class P2PClientMode(_GroupMemberMode, StaMode):
    """A station whose vap belongs to a P2P group."""

    opmode = OpMode.P2P_CLIENT

    def recv_mgmt(self, vap: IEEE80211Vap, subtype: int, frame: bytes, rx: RxInfo, node: Node | None,
                  a2: bytes | None, a3: bytes | None) -> None:
        st = vap.p2p
        assert st is not None
        group = st.group
        if (group is not None and subtype in (_SUB_DISASSOC, _SUB_DEAUTH) and a2 is not None
                and a2 == vap.bssid and vap.state >= State.RUN):
            # The GO ended the group: a P2P client leaves (wpa_supplicant
            # removes the group interface) instead of scanning for it again,
            # which would force the device's other vaps through INIT.
            group.lost("GO_ENDING_SESSION")
            return
        super().recv_mgmt(vap, subtype, frame, rx, node, a2, a3)
