"""Station mode (`ieee80211_sta.c`): scan, authenticate, associate, run."""

from __future__ import annotations

from typing import Any

from ic import OpMode, State

from .bss import claim_channel, leave_bss, scan_channels
from .mode import ANY, Mode, S, transitions_table
from .scan import Scanner, ScanResult


class StaMode(Mode):
    opmode = OpMode.STA
    TRANSITIONS = transitions_table(
        INIT=ANY,
        SCAN=(S.INIT, S.SCAN, S.AUTH, S.ASSOC, S.RUN, S.SLEEP),
        AUTH=(S.INIT, S.SCAN, S.AUTH, S.ASSOC, S.RUN, S.SLEEP),
        ASSOC=(S.AUTH, S.ASSOC, S.RUN, S.SLEEP),
        RUN=(S.AUTH, S.ASSOC, S.RUN, S.CSA, S.SLEEP),
        CSA=(S.RUN,),
        SLEEP=(S.RUN,),
    )

    def first_request(self, vap: Any) -> tuple[State, bool]:
        # A station does not REINIT: if it is running it reassociates.
        return (State.ASSOC if vap.state >= State.RUN else State.SCAN), False

    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        if ostate == State.SCAN and nstate != State.SCAN:
            Scanner.of(vap.ic).cancel(vap)
        if nstate == State.INIT:
            vap.bss = None
            vap.bssid = None
            leave_bss(vap)
        elif nstate == State.SCAN:
            if ostate >= State.RUN:
                leave_bss(vap)
            Scanner.of(vap.ic).start(vap, scan_channels(vap), lambda res: self.scan_done(vap, res))
        elif nstate == State.RUN:
            if vap.bss is not None:
                vap.bss_chan = vap.bss.channel
                vap.ic.bsschan = vap.bss_chan

    def select_bss(self, vap: Any, results: list[ScanResult]) -> ScanResult | None:
        """The best infrastructure BSS matching the vap's SSID and channel."""
        cands = [r for r in results if not r.ibss
                 and (not vap.ssid or r.ssid == vap.ssid)
                 and (vap.des_chan is None or r.channel == vap.des_chan)
                 and (vap.des_bssid is None or r.bssid == vap.des_bssid)]
        return max(cands, key=lambda r: (r.rssi, -r.channel.freq), default=None)

    def scan_done(self, vap: Any, results: list[ScanResult]) -> None:
        if vap.state != State.SCAN:
            return
        best = self.select_bss(vap, results)
        if best is None:
            # Nothing to join yet: keep scanning, as a FreeBSD station does.
            Scanner.of(vap.ic).start(vap, scan_channels(vap), lambda res: self.scan_done(vap, res))
            return
        if best.channel != vap.des_chan and not claim_channel(vap, best.channel):
            return
        vap.bss = best
        vap.bssid = best.bssid
        vap.new_state(State.AUTH, 0, internal=True)
