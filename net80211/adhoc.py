"""IBSS and ad-hoc demo modes (`ieee80211_adhoc.c`): join an IBSS with our
SSID if one is heard, else start one; AHDEMO sends no beacons and needs none."""

from __future__ import annotations

from typing import Any

from ic import OpMode, State

from .bss import create_bss, leave_bss, pick_channel, scan_channels
from .mode import ANY, Mode, S, transitions_table
from .scan import Scanner, ScanResult

_ADHOC_TRANSITIONS = transitions_table(
    INIT=ANY,
    SCAN=(S.INIT, S.SCAN, S.RUN),
    RUN=(S.INIT, S.SCAN, S.RUN, S.SLEEP),  # RUN->RUN is an IBSS merge
    SLEEP=(S.RUN,),
)


class IbssMode(Mode):
    opmode = OpMode.IBSS
    TRANSITIONS = _ADHOC_TRANSITIONS

    def new_bssid(self, vap: Any) -> bytes:
        """A random locally administered unicast BSSID (802.11 11.1.4)."""
        if vap.des_bssid is not None:
            return vap.des_bssid
        b = bytearray(vap.ic.rng.randbytes(6))
        b[0] = (b[0] & ~0x01) | 0x02
        return bytes(b)

    def newstate(self, vap: Any, ostate: State, nstate: State, arg: int) -> None:
        if ostate == State.SCAN and nstate != State.SCAN:
            Scanner.of(vap.ic).cancel(vap)
        if nstate == State.INIT:
            leave_bss(vap)
        elif nstate == State.SCAN:
            leave_bss(vap)
            self.start_scan(vap)
        elif nstate == State.RUN and vap.bss_chan is None:
            chan = vap.des_chan or vap.ic.bsschan or vap.ic.curchan
            vap.bss_chan = chan
            vap.ic.bsschan = chan
            vap.ic.set_curchan(chan)
            if vap.bssid is None:
                vap.bssid = self.new_bssid(vap)

    def start_scan(self, vap: Any) -> None:
        Scanner.of(vap.ic).start(vap, scan_channels(vap), lambda res: self.scan_done(vap, res))

    def scan_done(self, vap: Any, results: list[ScanResult]) -> None:
        if vap.state != State.SCAN:
            return
        peers = [r for r in results if r.ibss and r.ssid == vap.ssid]
        if peers:
            best = max(peers, key=lambda r: r.rssi)
            create_bss(vap, best.channel, best.bssid)
        else:
            create_bss(vap, vap.des_chan or pick_channel(results, scan_channels(vap)),
                       self.new_bssid(vap))


class AhdemoMode(IbssMode):
    opmode = OpMode.AHDEMO

    def new_bssid(self, vap: Any) -> bytes:
        # Ad-hoc demo mode has no BSS of its own: a zero BSSID unless one is set.
        return vap.des_bssid if vap.des_bssid is not None else bytes(6)

    def start_scan(self, vap: Any) -> None:
        if vap.des_chan is not None:
            create_bss(vap, vap.des_chan, self.new_bssid(vap))
        else:
            super().start_scan(vap)

    def scan_done(self, vap: Any, results: list[ScanResult]) -> None:
        if vap.state == State.SCAN:
            create_bss(vap, pick_channel(results, scan_channels(vap)), self.new_bssid(vap))
