"""Mesh point mode (`ieee80211_mesh.c`), the BSS-level life cycle only:
create the MBSS on the desired channel or a least-congested one."""

from __future__ import annotations

from ic import OpMode
from net80211.mode import ANY, S, transitions_table
from net80211.modes.adhoc import AhdemoMode


class MbssMode(AhdemoMode):
    opmode = OpMode.MBSS
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT, S.SCAN, S.RUN),
        RUN=(S.INIT, S.SCAN, S.RUN),
    )

    def new_bssid(self, vap):  # type: ignore[no-untyped-def]
        # A mesh point's BSSID is its own address.
        return vap.macaddr
