"""Access-point mode (`ieee80211_hostap.c`): create a BSS on a fixed or
least-congested channel, with a channel availability check on DFS channels."""

from __future__ import annotations

from typing import Any

from ic import SEC, Callout, OpMode, State

from .bss import create_bss, leave_bss, pick_channel, running_channel, scan_channels
from .mode import ANY, Mode, S, transitions_table
from .scan import Scanner, ScanResult

CAC_TIME_NS = 60 * SEC  # 802.11h channel availability check


class HostapMode(Mode):
    opmode = OpMode.HOSTAP
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT, S.CAC, S.RUN, S.CSA),
        CAC=(S.INIT, S.SCAN, S.CSA),
        RUN=(S.INIT, S.SCAN, S.CAC, S.CSA, S.RUN),
        CSA=(S.RUN,),
    )

    def vap_setup(self, vap: Any) -> None:
        vap.cac_timer = None

    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        if ostate == State.SCAN and nstate != State.SCAN:
            Scanner.of(vap.ic).cancel(vap)
        if ostate == State.CAC and vap.cac_timer is not None:
            vap.cac_timer.stop()
        if nstate == State.INIT:
            leave_bss(vap)
        elif nstate == State.SCAN:
            leave_bss(vap)
            if vap.des_chan is not None:
                create_bss(vap, vap.des_chan, vap.macaddr)
            else:
                Scanner.of(vap.ic).start(vap, scan_channels(vap),
                                         lambda res: self.scan_done(vap, res), active=False)
        elif nstate == State.CAC:
            if vap.cac_timer is None:
                vap.cac_timer = Callout(vap.ic.sched)
            vap.cac_timer.reset(CAC_TIME_NS, self._cac_done, vap)
        elif nstate == State.RUN:
            if vap.bss_chan is None:
                # Joined the channel a running vap chose (INIT->SCAN became RUN).
                chan = running_channel(vap) or vap.des_chan or vap.ic.curchan
                vap.bss_chan = chan
                vap.ic.bsschan = chan
                vap.ic.set_curchan(chan)
            vap.bssid = vap.macaddr

    def _cac_done(self, vap: Any) -> None:
        if vap.state == State.CAC and vap.bss_chan is not None:
            vap.ic.cac_done.add(vap.bss_chan)
            vap.new_state(State.RUN, 0, internal=True)

    def scan_done(self, vap: Any, results: list[ScanResult]) -> None:
        if vap.state == State.SCAN:
            create_bss(vap, pick_channel(results, scan_channels(vap)), vap.macaddr)
