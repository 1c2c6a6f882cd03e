"""WDS mode (`ieee80211_wds.c`): a 4-address link to one peer (`wlanbssid`),
on the channel the device's running BSS uses."""

from __future__ import annotations

from typing import Any

from ic import OpMode, State

from .bss import leave_bss, running_channel
from .mode import ANY, Mode, S, transitions_table


class WdsMode(Mode):
    opmode = OpMode.WDS
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT,),
        RUN=(S.INIT, S.SCAN, S.RUN),
    )

    START = (State.RUN, True)

    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        if nstate == State.INIT:
            leave_bss(vap)
        elif nstate == State.RUN:
            chan = running_channel(vap) or vap.des_chan or vap.ic.curchan
            vap.bss_chan = chan
            vap.bssid = vap.des_bssid
