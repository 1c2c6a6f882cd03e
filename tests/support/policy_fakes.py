"""Duck-typed devices and vaps for exercising a Policy without net80211."""

from __future__ import annotations

from typing import Any

from ic import Admission, Channel, CloneFlags, OpMode, Policy, State, VapRequest

BASE_MAC = bytes.fromhex("020000000100")


class FakeVap:
    def __init__(self, req: VapRequest, adm: Admission) -> None:
        self.name = req.name
        self.opmode = req.opmode
        self.flags = req.flags
        self.macaddr = req.macaddr if req.macaddr is not None else BASE_MAC
        self.bssid = req.bssid
        self.channel: Channel | None = req.channel
        self.des_chan: Channel | None = req.channel
        self.running = False
        self.state = State.INIT
        self.p2p_started = False
        self.bintval = req.beacon_interval or 100
        self.admission = adm

    def __repr__(self) -> str:
        return f"<FakeVap {self.name} {self.opmode.word}>"


class FakeDevice:
    def __init__(self, policy: Policy, macaddr: bytes = BASE_MAC, caps: Any = None) -> None:
        self.policy = policy
        self.macaddr = macaddr
        self.caps = caps
        self.curchan = None
        self.vaps: list[FakeVap] = []
        self.name = "fake0"

    def create(self, name: str, opmode: OpMode, flags: CloneFlags | int = 0, *,
               macaddr: bytes | None = None, bssid: bytes | None = None,
               channel: Channel | None = None, bintval: int = 0) -> FakeVap:
        """The create path as IEEE80211Com runs it: admit, 'driver', commit."""
        req = VapRequest(name, opmode, CloneFlags(flags), bssid, macaddr, channel, bintval)
        adm = self.policy.admit(self, req)
        vap = FakeVap(adm.request, adm)
        self.vaps.append(vap)
        adm.commit(vap)
        return vap

    def destroy(self, vap: FakeVap) -> None:
        self.vaps.remove(vap)
        self.policy.release(self, vap)

    def up(self, vap: FakeVap, channel: Channel | None = None) -> str:
        vap.des_chan = channel
        text = self.policy.check_running(self, vap, channel)
        vap.running, vap.channel, vap.state = True, channel, State.RUN
        return text
