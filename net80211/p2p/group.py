"""P2P groups: the GO side runs a P2P_GO vap (an open BSS with SSID
`DIRECT-xy<name>`), the client side a P2P_CLIENT vap that joins it.  The
group watches its vap through the P2P modes' newstate hook and reports
wpa_supplicant's events; removing it destroys the vap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ic import SEC, Channel, OpMode, State, mac_str
from net80211.output import send_mgmt
from net80211.wire.frame import BROADCAST
from net80211.wire.mgmt import Deauth

if TYPE_CHECKING:
    from net80211.p2p.device import P2PDevice
    from net80211.p2p.peers import Peer
    from net80211.vap import IEEE80211Vap

FORMATION_TIMEOUT_NS = 15 * SEC
REASON_DEAUTH_LEAVING = 3


class P2PGroup:
    def __init__(self, dev: P2PDevice, role: str, name: str, ssid: bytes, chan: Channel, go_dev: bytes,
                 negotiated: bool) -> None:
        self.dev = dev
        self.role = role  # "GO" or "client"
        self.name = name
        self.ssid = ssid
        self.chan = chan
        self.go_dev = go_dev
        self.negotiated = negotiated
        self.vap: IEEE80211Vap | None = None
        self.up = False
        self.removed = False
        self._timer: list[Any] | None = None

    def __repr__(self) -> str:
        return f"<P2PGroup {self.name} {self.role} {self.ssid!r} ch{self.chan.ieee}>"

    @classmethod
    def start_go(cls, dev: P2PDevice, chan: Channel, ssid: bytes, *, peer: Peer | None) -> P2PGroup | None:
        g = cls(dev, "GO", dev.new_group_name(), ssid, chan, dev.address, peer is not None)
        return g._create(OpMode.P2P_GO, bssid=None)

    @classmethod
    def start_client(cls, dev: P2PDevice, chan: Channel, ssid: bytes, *, go_intf: bytes,
                     go_dev: bytes) -> P2PGroup | None:
        g = cls(dev, "client", dev.new_group_name(), ssid, chan, go_dev, True)
        return g._create(OpMode.P2P_CLIENT, bssid=go_intf)

    def _create(self, mode: OpMode, bssid: bytes | None) -> P2PGroup | None:
        dev = self.dev
        try:
            vap = dev.ic.create_vap(self.name, mode, macaddr=dev.intf_addr, bssid=bssid, ssid=self.ssid,
                                    channel=self.chan)
        except OSError as e:
            dev.emit(f"P2P-GROUP-FORMATION-FAILURE reason='{e.strerror}'")
            return None
        self.vap = vap
        st = vap.p2p
        assert st is not None  # a P2P vap carries its P2P state from setup
        st.group = self
        dev.groups[self.name] = self
        try:
            vap.up()
        except OSError as e:
            self._destroy()
            dev.emit(f"P2P-GROUP-FORMATION-FAILURE reason='{e.strerror}'")
            return None
        self._timer = dev.sched.call_later(FORMATION_TIMEOUT_NS, self._formation_timeout)
        return self

    # -- the vap's state (from the P2P modes' newstate) ---------------------------------------
    def state_changed(self, vap: IEEE80211Vap, ostate: State, nstate: State) -> None:
        if self.removed or vap is not self.vap:
            return
        if nstate == State.RUN and not self.up:
            self.up = True
            if self._timer is not None:
                self.dev.sched.cancel(self._timer)
                self._timer = None
            if self.negotiated:
                self.dev.emit("P2P-GROUP-FORMATION-SUCCESS")
            ssid = self.ssid.decode(errors="replace")
            self.dev.emit(f'P2P-GROUP-STARTED {self.name} {self.role} ssid="{ssid}" '
                          f"freq={self.chan.freq} go_dev_addr={mac_str(self.go_dev)}")
        elif self.up and nstate < State.RUN and self.role == "client":
            # Deauthenticated or the GO vanished: the group is over.
            self.dev.sched.call_later(0, self.remove, "GO_ENDING_SESSION")

    def lost(self, reason: str) -> None:
        """The client's GO went away: stop the vap now, remove the group next."""
        if self.removed or self.vap is None:
            return
        self.vap.down()
        self.dev.sched.call_later(0, self.remove, reason)

    def _formation_timeout(self) -> None:
        self._timer = None
        if not self.up and not self.removed:
            self.dev.emit("P2P-GROUP-FORMATION-FAILURE reason='timeout'")
            self.removed = True
            self._destroy()

    def remove(self, reason: str = "REQUESTED") -> None:
        """Leave/end the group: the GO tells its clients, the vap goes."""
        if self.removed:
            return
        self.removed = True
        if self._timer is not None:
            self.dev.sched.cancel(self._timer)
            self._timer = None
        vap = self.vap
        if self.role == "GO" and vap is not None and vap.state >= State.RUN:
            send_mgmt(vap, BROADCAST, Deauth(REASON_DEAUTH_LEAVING), no_ack=True)
        if self.up:
            self.dev.emit(f"P2P-GROUP-REMOVED {self.name} {self.role} reason={reason}")
        self._destroy()

    def _destroy(self) -> None:
        dev = self.dev
        dev.groups.pop(self.name, None)
        vap, self.vap = self.vap, None
        if vap is not None and vap.attached and vap.p2p is not None:
            vap.p2p.group = None
            dev.ic.destroy_vap(vap)
