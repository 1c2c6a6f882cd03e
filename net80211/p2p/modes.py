"""The P2P operating modes: a P2P device (discovery only, no netdev, no BSS),
a P2P GO (an AP with P2P IEs) and a P2P client (a station with P2P IEs)."""

from __future__ import annotations

from typing import Any

from ic import OpMode, RxInfo, State
from net80211.mode import ANY, Mode, S, transitions_table
from net80211.modes.hostap import HostapMode
from net80211.modes.sta import StaMode


class P2PDeviceMode(Mode):
    opmode = OpMode.P2P_DEVICE
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT, S.SCAN, S.RUN),
        RUN=(S.INIT, S.SCAN, S.RUN),
    )

    START = (State.RUN, True)
    rx_probe_req = True  # answered in the listen state by the P2P layer's registration

    def vap_setup(self, vap: Any) -> None:
        vap.p2p_started = False  # set by start_p2p (net80211.p2p.wdev)


_SUB_DISASSOC, _SUB_DEAUTH = 10, 12


def _tell_group(vap: Any, ostate: State, nstate: State) -> None:
    group = getattr(vap, "p2p_group", None)
    if group is not None:
        group.state_changed(vap, ostate, nstate)


class P2PGoMode(HostapMode):
    """An AP whose vap belongs to a P2P group (net80211.p2p.group)."""

    opmode = OpMode.P2P_GO

    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        super().newstate(vap, ostate, nstate, arg)
        _tell_group(vap, ostate, nstate)


class P2PClientMode(StaMode):
    """A station whose vap belongs to a P2P group."""

    opmode = OpMode.P2P_CLIENT

    def recv_mgmt(self, vap: Any, subtype: int, frame: bytes, rx: RxInfo, node: Any,
                  a2: bytes | None, a3: bytes | None) -> None:
        group = getattr(vap, "p2p_group", None)
        if (group is not None and subtype in (_SUB_DISASSOC, _SUB_DEAUTH) and a2 is not None
                and a2 == vap.bssid and vap.state >= State.RUN):
            # The GO ended the group: a P2P client leaves (wpa_supplicant
            # removes the group interface) instead of scanning for it again,
            # which would force the device's other vaps through INIT.
            group.lost("GO_ENDING_SESSION")
            return
        super().recv_mgmt(vap, subtype, frame, rx, node, a2, a3)

    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        super().newstate(vap, ostate, nstate, arg)
        _tell_group(vap, ostate, nstate)
