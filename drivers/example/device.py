"""The example radio (`IEEE80211Com`) and its vap (`IEEE80211Vap`).

The radio owns one port of a `HwsimMedium` and programs it the way a real
driver programs its hardware: own addresses, BSSIDs and the receive filter
from its vaps, the channel from `curchan`, start/stop from `ic_parent`, and a
beacon timer per beaconing vap.  Received frames go to net80211's input path.
"""

from __future__ import annotations

from typing import Any

from drivers.hwsim import FIF_BEACONS, FIF_PROBE_REQ, FIF_PROMISC, HwsimMedium
from ic import CHANNELS_2GHZ, Busy, CloneFlags, ComFlags, OpMode, State
from net80211 import IEEE80211Com, IEEE80211Vap
from net80211.driver import BeaconTimer, RxInfo, TxStatus, beacon_frame, input_all, tx_complete

from .policy import EXAMPLE_CAPS, HW_PORTS, example_policy

DEFAULT_RATES = ((0, 4),)  # 1 Mb/s, 4 tries: what management frames use


class ExampleVap(IEEE80211Vap):
    """A vap on one of the device's hardware ports (`hw_port`; None for monitor)."""

    # A driver declares the fields it adds to a vap (IEEE80211Vap declares its own).
    __slots__ = ("hw_port", "hw_transitions")
    ic: ExampleRadio  # an example vap lives on an example radio

    def __init__(self, ic: ExampleRadio, name: str, unit: int, opmode: OpMode,
                 flags: CloneFlags, bssid: bytes | None) -> None:
        super().__init__(ic, name, unit, opmode, flags, bssid)  # ieee80211_vap_setup
        self.hw_port: int | None = None
        self.hw_transitions: list[tuple[State, State]] = []  # what the "hardware" was told

    def iv_newstate(self, nstate: State, arg: int) -> int:
        radio = self.ic
        ostate = self.state
        if nstate < State.RUN:
            radio.beacons.stop(self)  # before net80211 leaves the BSS
        rc = super().iv_newstate(nstate, arg)
        if rc:
            return rc
        self.hw_transitions.append((ostate, nstate))
        # net80211 has now chosen the BSSID (a station from its scan).
        radio.program_bssid(self)
        if nstate == State.RUN and self.opmode.beacons and not self.flags & CloneFlags.NOBEACONS:
            radio.beacons.start(self)
        radio.ic_update_filter()
        return 0


class ExampleRadio(IEEE80211Com[ExampleVap]):
    """A two-port radio on a medium port of its own."""

    vap_class: type[ExampleVap] = ExampleVap  # what ic_vap_create constructs

    def __init__(self, medium: HwsimMedium, name: str, *, macaddr: bytes | str,
                 position: tuple[float, ...] = (0.0, 0.0, 0.0), tx_power_dbm: int = 20) -> None:
        super().__init__(medium.sched, name, macaddr=macaddr, caps=EXAMPLE_CAPS,
                         channels=CHANNELS_2GHZ, policy=example_policy())  # ieee80211_ifattach
        self.medium = medium
        self.port = medium.add_port(name, hwaddr=self.macaddr, freq=self.curchan.freq,
                                    position=position, tx_power_dbm=tx_power_dbm, started=False)
        self.port.rx = self._rx
        self.rx_cache = medium.rx_cache  # one header parse per transmission, not per receiver
        self.port.tx_status = self._tx_status
        self.hw_ports: list[ExampleVap | None] = [None] * HW_PORTS
        self._own: dict[int, bytes] = {}  # id(vap) -> address given to the port
        self._bssids: dict[int, bytes] = {}  # id(vap) -> BSSID given to the port
        self.beacons = BeaconTimer(self, self._beacon)  # the hardware beacon timer

    # -- vaps ----------------------------------------------------------------------
    def port_address(self, index: int) -> bytes:
        """Port 0 uses the device address; port 1 a locally administered variant."""
        if index == 0:
            return self.macaddr
        return bytes((self.macaddr[0] | 0x02 | (index << 2), *self.macaddr[1:]))

    def ic_vap_create(self, name: str, unit: int, opmode: OpMode, flags: CloneFlags,
                      bssid: bytes | None, macaddr: bytes | None) -> ExampleVap:
        index = None
        if opmode is not OpMode.MONITOR:
            # The policy admits at most HW_PORTS such vaps; this is the hardware's word.
            free = [i for i, v in enumerate(self.hw_ports) if v is None]
            if not free:
                raise Busy(f"{self.name}: both hardware ports are in use")
            index = free[0]
        vap = self.vap_class(self, name, unit, opmode, flags, bssid)  # phase 1
        vap.hw_port = index  # phase 2: driver resources
        if index is not None:
            self.hw_ports[index] = vap
        if macaddr is None:
            macaddr = self.port_address(index or 0)
        vap.attach(macaddr)  # phase 3: ieee80211_vap_attach
        return vap

    def ic_vap_delete(self, vap: ExampleVap) -> None:
        vap.detach()  # to INIT through iv_newstate, then unlinked
        self.beacons.stop(vap)
        self.program_bssid(vap, None)
        if vap.hw_port is not None:
            self.hw_ports[vap.hw_port] = None
            vap.hw_port = None
        self.ic_update_filter()

    def detach(self) -> None:
        super().detach()  # ieee80211_ifdetach: every vap through ic_vap_delete
        if self.port.attached:
            self.medium.remove_port(self.port)

    # -- hardware state ------------------------------------------------------------
    def ic_parent(self) -> None:
        if self.nrunning > 0:
            self.port.start(self.curchan.freq)
        else:
            self.port.stop()

    def ic_set_channel(self) -> None:
        self.port.freq = self.curchan.freq

    def ic_scan_start(self) -> None:
        self.ic_update_filter()

    def ic_scan_end(self) -> None:
        self.ic_update_filter()

    def ic_update_filter(self) -> None:
        port = self.port
        if not port.attached:
            return
        want = {id(v): v.macaddr for v in self.vaps if v.macaddr is not None}
        for key, addr in list(self._own.items()):
            if want.get(key) != addr:
                port.del_addr(addr)
                del self._own[key]
        for key, addr in want.items():
            if key not in self._own:
                port.add_addr(addr)
                self._own[key] = addr
        flt = FIF_BEACONS if self.flags & ComFlags.SCAN else 0
        for v in self.vaps:
            if not v.running:
                continue
            if v.opmode is OpMode.MONITOR:
                flt |= FIF_PROMISC
            elif v.opmode in (OpMode.HOSTAP, OpMode.IBSS):
                flt |= FIF_PROBE_REQ
                if v.opmode is OpMode.IBSS:
                    flt |= FIF_BEACONS  # hear older IBSSes of our SSID
        if flt != port.filter:
            port.filter = flt

    def program_bssid(self, vap: IEEE80211Vap, bssid: bytes | None | bool = True) -> None:
        """Tell the port which BSS's group frames and beacons the vap wants."""
        if isinstance(bssid, bool):  # True: what the vap's state says
            bssid = vap.bssid if vap.state > State.SCAN else None
        old = self._bssids.get(id(vap))
        if old == bssid:
            return
        if old is not None:
            self.port.del_bssid(old)
            del self._bssids[id(vap)]
        if bssid is not None:
            self.port.add_bssid(bssid)
            self._bssids[id(vap)] = bssid

    def describe(self) -> dict[str, Any]:
        """The device for tools, with the hardware state the conformance
        matrix compares before and after a vap's life (`addrs`, `started`,
        `filter`, `beacons`: what a destroyed vap must not leave programmed)."""
        return {"name": self.name, "driver": "example", "macaddr": _mac(self.macaddr),
                "channel": self.curchan.ieee, "freq": self.port.freq,
                "vaps": [v.name for v in self.vaps],
                "hw_ports": [None if v is None else v.name for v in self.hw_ports],
                "addrs": self.port.addresses(), "started": self.port.started, "filter": self.port.filter,
                "beacons": self.beacons.armed, "stats": dict(self.stats)}

    # -- transmit and receive ------------------------------------------------------
    def ic_raw_xmit(self, vap: IEEE80211Vap, frame: bytes, params: dict[str, Any] | None = None) -> bool:
        p = params or {}
        return self._send(frame, p.get("rates", DEFAULT_RATES), p.get("no_ack", False))

    def ic_transmit(self, vap: IEEE80211Vap, frame: bytes) -> bool:
        return self._send(frame, DEFAULT_RATES, False)

    def _send(self, frame: bytes, rates: tuple[tuple[int, int], ...], no_ack: bool) -> bool:
        if self.port.transmit(frame, rates, no_ack=no_ack) < 0:
            self.stats["tx_failed"] += 1
            return False
        self.stats["tx"] += 1
        return True

    def _rx(self, frame: bytes, rx: RxInfo) -> None:
        self.stats["rx"] += 1
        input_all(self, frame, rx)

    def _tx_status(self, frame: bytes, status: TxStatus) -> None:
        tx_complete(self, frame, status)

    # -- the beacon timer ----------------------------------------------------------
    def _beacon(self, vap: IEEE80211Vap) -> None:
        """A TBTT of `vap`: send its beacon unless the port is down or scanning."""
        if self.port.started and not self.flags & ComFlags.SCAN:
            self.stats["beacons"] += 1
            self._send(beacon_frame(vap, self.ic_get_tsf()), ((0, 1),), True)


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)
