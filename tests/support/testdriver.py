"""A small driver for unit tests: records every driver call and transition."""

from __future__ import annotations

from typing import Any

from ic import Caps
from net80211 import IEEE80211Com, IEEE80211Vap, Scheduler, State

ALL_MODES = (Caps.STA | Caps.IBSS | Caps.HOSTAP | Caps.AHDEMO | Caps.MONITOR | Caps.MBSS
             | Caps.WDS | Caps.P2P_DEVICE | Caps.P2P_GO | Caps.P2P_CLIENT)


class RecordingVap(IEEE80211Vap):
    __slots__ = ("seen",)  # the transitions this vap's driver saw

    def iv_newstate(self, nstate: State, arg: int) -> int:
        ic = self.ic
        ic.transitions.append((self.name, self.state, nstate, self.serving))
        self.seen.append((self.state, nstate, self.serving))
        if ic.fail_next.get(self.name) == nstate:
            del ic.fail_next[self.name]
            return 5  # the hardware said no
        return super().iv_newstate(nstate, arg)


class TestCom(IEEE80211Com):
    """A device whose driver hooks record what the framework asked of them."""

    __test__ = False

    def __init__(self, sched: Scheduler, name: str = "test0", *, caps: Caps = ALL_MODES,
                 macaddr: str = "02:00:00:00:00:00", refuse: bool = False, **kw: Any) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.transitions: list[tuple[str, State, State, int | None]] = []
        self.fail_next: dict[str, State] = {}
        self.refuse = refuse
        super().__init__(sched, name, macaddr=macaddr, caps=caps, **kw)

    def ic_vap_create(self, name, unit, opmode, flags, bssid, macaddr):  # type: ignore[no-untyped-def]
        self.calls.append(("vap_create", name, unit, opmode, flags))
        if self.refuse:
            return None
        vap = RecordingVap(self, name, unit, opmode, flags, bssid)
        vap.seen = []
        vap.attach(macaddr)
        return vap

    def ic_vap_delete(self, vap: IEEE80211Vap) -> None:
        self.calls.append(("vap_delete", vap.name, vap.state))
        vap.detach()

    def ic_parent(self) -> None:
        self.calls.append(("parent", self.nrunning))

    def ic_scan_start(self) -> None:
        self.calls.append(("scan_start",))

    def ic_scan_end(self) -> None:
        self.calls.append(("scan_end",))

    def ic_set_channel(self) -> None:
        self.calls.append(("set_channel", self.curchan.ieee))
