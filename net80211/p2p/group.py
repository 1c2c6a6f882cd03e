"""P2P groups: the GO side runs a P2P_GO vap (a WPA2-PSK BSS with SSID
`DIRECT-xy<name>` and a passphrase of its own making), the client side a
P2P_CLIENT vap that gets the passphrase by WPS and joins with it
(net80211.p2p.provision).  The group watches its vap through the P2P modes'
newstate hook and its RSN hooks, and reports wpa_supplicant's events;
removing it destroys the vap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ic import MS, Channel, OpMode, State, mac_str
from net80211.output import send_mgmt
from net80211.p2p.provision import ClientWps, GoWps, random_passphrase
from net80211.security import apply_security, network_psk, provisioning
from net80211.wire.frame import BROADCAST
from net80211.wire.mgmt import Deauth
from net80211.wps.attrs import AUTH_WPA2PSK
from net80211.wps.machine import Credential

if TYPE_CHECKING:
    from net80211.p2p.device import P2PDevice
    from net80211.p2p.peers import Peer
    from net80211.vap import IEEE80211Vap

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
        self.persistent = False
        # the network key once known: a GO's passphrase (made up), a client's
        # PSK in 64 hexadecimal digits (as WPS hands it), or a stored one
        self.passphrase = ""
        self.wps: GoWps | ClientWps | None = None
        self.members: dict[bytes, bytes] = {}  # a GO: interface address -> P2P device address
        # a GO: interface address -> (device capability, P2P Device Info) from the association
        self.clients: dict[bytes, tuple[int, bytes]] = {}
        self.formation_reported = False
        self._timer: list[Any] | None = None

    def __repr__(self) -> str:
        return f"<P2PGroup {self.name} {self.role} {self.ssid!r} ch{self.chan.ieee}>"

    @classmethod
    def start_go(cls, dev: P2PDevice, chan: Channel, ssid: bytes, *, peer: Peer | None,
                 method: str | None = None, peer_intf: bytes | None = None, passphrase: str | None = None,
                 persistent: bool = False) -> P2PGroup | None:
        """A GO: its passphrase (made up unless a persistent group's is
        given); with a negotiated peer, the registrar authorizes it (`method`
        "pbc": the push button for that peer only; else the PIN)."""
        g = cls(dev, "GO", dev.new_group_name(), ssid, chan, dev.address, peer is not None)
        g.persistent = persistent
        g.passphrase = passphrase or random_passphrase(dev.rng, dev.passphrase_len)
        wps = g.wps = GoWps(g, g.passphrase)
        if peer is not None and peer_intf is not None:
            g.members[peer_intf] = peer.addr
        if g._create(OpMode.P2P_GO, bssid=None) is None:
            return None
        if method == "pbc":
            wps.push_button(only=peer_intf)
        elif method is not None:
            wps.add_pin(method)
        return g

    @classmethod
    def start_client(cls, dev: P2PDevice, chan: Channel, ssid: bytes, *, go_intf: bytes,
                     go_dev: bytes, method: str = "pbc", passphrase: str | None = None,
                     persistent: bool = False) -> P2PGroup | None:
        """A client: WPS with `method` ("pbc" or the PIN) first, unless the
        passphrase is known (a persistent group re-invoked)."""
        g = cls(dev, "client", dev.new_group_name(), ssid, chan, go_dev, True)
        g.persistent = persistent
        g.wps = ClientWps(g, method)
        if passphrase is not None:
            g.passphrase = passphrase
            g.wps.provisioning = False
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
            self._secure(vap)
            vap.up()
        except OSError as e:
            self._destroy()
            dev.emit(f"P2P-GROUP-FORMATION-FAILURE reason='{e.strerror}'")
            return None
        self._timer = dev.sched.call_later(dev.formation_timeout_ns, self._formation_timeout)
        return self

    def _secure(self, vap: IEEE80211Vap) -> None:
        """WPA2-PSK with the passphrase when it is known, else a WPS enrollee."""
        assert self.wps is not None
        if self.passphrase:
            apply_security(vap, "wpa2-psk", self.passphrase, None, None)
            assert vap.rsn is not None
            vap.rsn.hooks = self.wps
        else:
            provisioning(vap, self.wps)

    def member_dev(self, intf: bytes) -> bytes:
        """A client's P2P device address: the negotiated peer's, else what its
        association's P2P Device Info said (a device that joined)."""
        if intf in self.members:
            return self.members[intf]
        client = self.clients.get(intf)
        return client[1][:6] if client is not None else intf

    @property
    def psk(self) -> bytes:
        key = self.passphrase
        if len(key) == 64 and all(c in "0123456789abcdefABCDEF" for c in key):
            return bytes.fromhex(key)
        return network_psk(key.encode(), self.ssid)

    # -- the vap's state (from the P2P modes' newstate) ---------------------------------------
    def state_changed(self, vap: IEEE80211Vap, ostate: State, nstate: State) -> None:
        if self.removed or vap is not self.vap:
            return
        if nstate == State.RUN and not self.up and self.role == "GO" and not self.negotiated:
            # an autonomous GO (or a persistent group re-invoked): no
            # provisioning step, the group is up with its BSS
            self._started()
        elif self.up and nstate < State.RUN and self.role == "client":
            # Deauthenticated or the GO vanished: the group is over.
            self.dev.sched.call_later(0, self.remove, "GO_ENDING_SESSION")

    def _started(self) -> None:
        self.up = True
        if self._timer is not None:
            self.dev.sched.cancel(self._timer)
            self._timer = None
        ssid = self.ssid.decode(errors="replace")
        key = f'passphrase="{self.passphrase}"' if self.role == "GO" else f"psk={self.psk.hex()}"
        self.dev.emit(f'P2P-GROUP-STARTED {self.name} {self.role} ssid="{ssid}" freq={self.chan.freq} '
                      f"{key} go_dev_addr={mac_str(self.go_dev)}{' [PERSISTENT]' if self.persistent else ''}")
        if self.persistent:
            self.dev.persistent.remember(self)

    def _formation_success(self) -> None:
        if self.negotiated and not self.formation_reported:
            self.formation_reported = True
            if self._timer is not None:
                self.dev.sched.cancel(self._timer)
                self._timer = None
            self.dev.emit("P2P-GROUP-FORMATION-SUCCESS")

    def provisioned(self, intf: bytes) -> None:
        """A GO's registrar gave the credential to `intf`: a negotiated
        group is formed (wpa_supplicant's wpas_group_formation_completed)."""
        self._formation_success()
        if not self.up:
            self._started()

    def reconnect(self, cred: Credential) -> None:
        """A client got the credential: leave, take it, join again."""
        vap = self.vap
        if self.removed or vap is None:
            return
        key = cred.key.decode(errors="replace")
        if cred.auth_type != AUTH_WPA2PSK or not 8 <= len(key) <= 64 or cred.ssid != self.ssid:
            self.formation_failed("the credential is not this group's WPA2-PSK key")
            return
        self.passphrase = key
        self._formation_success()
        vap.down()
        try:
            self._secure(vap)
        except OSError as e:
            self.formation_failed(e.strerror or str(e))
            return
        self.dev.sched.call_later(0, self._up_again)

    def _up_again(self) -> None:
        """Up again once the vap has gone down (its INIT may still be queued)."""
        vap = self.vap
        if self.removed or vap is None or vap.running:
            return
        if vap.state != State.INIT or vap.nstates:
            self.dev.sched.call_later(MS, self._up_again)
            return
        try:
            vap.up()
        except OSError as e:
            self.formation_failed(e.strerror or str(e))

    def connected(self) -> None:
        """A client's 4-way handshake completed: the group is up."""
        if self.removed or self.up or self.vap is None:
            return
        bssid = self.vap.bssid or b"\0" * 6
        self.dev.emit(f"CTRL-EVENT-CONNECTED - Connection to {mac_str(bssid)} completed [id=0 id_str=]")
        self._started()

    def formation_failed(self, why: str) -> None:
        if self.removed:
            return
        self.dev.emit(f"P2P-GROUP-FORMATION-FAILURE reason='{why}'")
        self.removed = True
        if self._timer is not None:
            self.dev.sched.cancel(self._timer)
            self._timer = None
        self._destroy()

    def lost(self, reason: str) -> None:
        """The client's GO went away: stop the vap now, remove the group next."""
        if self.removed or self.vap is None:
            return
        self.vap.down()
        self.dev.sched.call_later(0, self.remove, reason)

    def _formation_timeout(self) -> None:
        self._timer = None
        if self.removed:
            return
        if not self.up or (self.negotiated and not self.formation_reported):
            self.formation_failed("timeout")

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
