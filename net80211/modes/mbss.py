"""Mesh point mode (`ieee80211_mesh.c`), the BSS-level life cycle only:
create the MBSS on the desired channel or a least-congested one.

Built on AHDEMO, so a mesh vap keeps that mode's state (`vap.ibss`);
`vap.mesh` is for the mesh state (peering, paths) once it is done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ic import OpMode
from net80211.mode import ANY, S, transitions_table
from net80211.modes.adhoc import AhdemoMode

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap


class MbssMode(AhdemoMode):
    opmode = OpMode.MBSS
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT, S.SCAN, S.RUN),
        RUN=(S.INIT, S.SCAN, S.RUN),
    )

    def new_bssid(self, vap: IEEE80211Vap) -> bytes:
        # A mesh point's BSSID is its own address.
        assert vap.macaddr is not None  # set at attach
        return vap.macaddr
