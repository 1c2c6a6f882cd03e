"""Monitor mode (`ieee80211_monitor.c`): receive everything on the channel."""

from __future__ import annotations

from typing import Any

from ic import OpMode, State

from .bss import leave_bss, running_channel
from .mode import ANY, Mode, S, transitions_table


class MonitorMode(Mode):
    opmode = OpMode.MONITOR
    TRANSITIONS = transitions_table(INIT=ANY, RUN=(S.INIT, S.RUN))

    START = (State.RUN, True)

    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        if nstate == State.INIT:
            leave_bss(vap)
        elif nstate == State.RUN:
            chan = running_channel(vap)
            if chan is None:
                chan = vap.des_chan or vap.ic.curchan
                vap.ic.set_curchan(chan)
            vap.bss_chan = chan
