"""WPS provisioning inside a Wi-Fi Direct group, as wpa_supplicant does it.

The GO runs a WPA2-PSK BSS whose passphrase it made up (`p2p_passphrase_len`
characters, 8 by default) and a WPS registrar (`GoWps`) that hands that
passphrase to the peer it negotiated with (push button restricted to that
peer, or the PIN agreed on) and to whoever `wps_pbc` / `wps_pin` lets in.
A client first joins as a WPS enrollee (`ClientWps`: no RSN element, a WPS
element, EAP-WSC M1-M8), then disconnects and joins again with the
credential: the 4-way handshake, then data.

Both are the `RsnHooks` of their vap's `VapRsn` (net80211.security)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ic import Callout, mac_str
from net80211.node import Node, NodeTable
from net80211.p2p.wire import GROUP_CAPAB_FORMATION, GROUP_CAPAB_GO, GROUP_CAPAB_PERSISTENT, Attr, client_info
from net80211.p2p.wire import DeviceInfo as P2PInfo
from net80211.wire.frame import FrameError
from net80211.wire.ie import Element, IEList, p2p_ies, wps_ies, wps_payload
from net80211.wps import attrs as wa
from net80211.wps.attrs import A, DevPw
from net80211.wps.machine import (
    PBC_PASSWORD,
    Action,
    Authorizations,
    CancelTimer,
    Credential,
    DeviceInfo,
    Enrollee,
    Event,
    Finished,
    GotCredential,
    Registrar,
    Send,
    SetTimer,
)

if TYPE_CHECKING:
    from net80211.p2p.group import P2PGroup

PASSPHRASE_LEN = 8  # wpa_supplicant's p2p_passphrase_len default
_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"  # p2p_random's set


def random_passphrase(rng: Any, n: int = PASSPHRASE_LEN) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(n))


def uuid_from_mac(mac: bytes) -> bytes:
    """The device's WPS UUID from its MAC address, as wpa_supplicant makes one
    when none is configured (a name-based, SHA-1 UUID)."""
    u = bytearray(hashlib.sha1(mac).digest()[:16])
    u[6] = (u[6] & 0x0F) | 0x50  # version 5
    u[8] = (u[8] & 0x3F) | 0x80
    return bytes(u)


def p2p_elements(group: P2PGroup, probe_resp: bool = False) -> list[Element]:
    """The P2P IE of a group member's frames.  A client's (Association
    Request): P2P Capability and P2P Device Info.  A GO's, as wpa_supplicant's
    (p2p_group.c): P2P Capability with the group's bits, then in Beacons the
    P2P Device ID, in Probe Responses the P2P Device Info and, once a client
    is associated, the P2P Group Info listing the clients: what a device
    joining the group (`p2p_connect ... join`) finds the GO and its members by."""
    dev = group.dev
    info = P2PInfo(dev.address, dev.config_methods, dev.pri_dev_type, dev.device_name)
    if group.role != "GO":
        return list(p2p_ies([(Attr.CAPABILITY, bytes((dev.dev_capab, 0))),
                             (Attr.DEVICE_INFO, info.to_bytes())]))
    gcap = GROUP_CAPAB_GO | (GROUP_CAPAB_PERSISTENT if group.persistent else 0)
    if group.negotiated and not group.formation_reported:
        gcap |= GROUP_CAPAB_FORMATION
    attrs: list[tuple[int, bytes]] = [(Attr.CAPABILITY, bytes((dev.dev_capab, gcap)))]
    if not probe_resp:
        return list(p2p_ies([*attrs, (Attr.DEVICE_ID, dev.address)]))
    attrs.append((Attr.DEVICE_INFO, info.to_bytes()))
    clients = group_clients(group)
    if clients:
        attrs.append((Attr.GROUP_INFO, b"".join(client_info(di, intf, cap) for intf, (cap, di) in clients)))
    return list(p2p_ies(attrs))


def group_clients(group: P2PGroup) -> list[tuple[bytes, tuple[int, bytes]]]:
    """A GO's clients still associated, with what their P2P IE said."""
    vap = group.vap
    if vap is None:
        return []
    table = NodeTable.of(vap.ic)
    out = []
    for intf, entry in list(group.clients.items()):
        node = table.find(vap, intf)
        if node is None or not node.associated:
            del group.clients[intf]  # gone: wpa_supplicant's p2p_group_notif_disassoc
            continue
        out.append((intf, entry))
    return out


def device_info(group: P2PGroup, mac: bytes) -> DeviceInfo:
    dev = group.dev
    return DeviceInfo(uuid=dev.wps_uuid, mac=mac, name=dev.device_name, pri_dev_type=dev.pri_dev_type)


class GoWps:
    """The registrar of a GO vap."""

    enrollee = False

    def __init__(self, group: P2PGroup, passphrase: str) -> None:
        self.group = group
        self.passphrase = passphrase
        self.auth = Authorizations()
        self.sessions: dict[bytes, tuple[Registrar, Callout]] = {}
        self.successes = 0
        self.failures = 0

    @property
    def dev(self) -> Any:
        return self.group.dev

    def _now(self) -> int:
        return int(self.dev.sched.now_ns)

    # -- authorizations (wpa_cli wps_pbc / wps_pin on the group interface) ----------------------------
    def push_button(self, only: bytes | None = None) -> bool:
        ok = self.auth.push_button(self._now(), only)
        self.dev.emit("WPS-PBC-ACTIVE" if ok else "WPS-OVERLAP-DETECTED")
        return ok

    def add_pin(self, pin: str, who: bytes = b"any") -> None:
        self.auth.add_pin(pin.encode(), who)

    # -- RsnHooks -------------------------------------------------------------------------------------------
    def wps_assoc(self, node: Node, ies: IEList) -> bool:
        try:
            blob = wps_payload(ies)
            if blob is None:
                return False
            wa.parse(blob)
        except FrameError:
            return False
        return True

    def wps_start(self, node: Node, request_waiting: bool = False) -> None:
        vap = self.group.vap
        assert vap is not None and vap.macaddr is not None
        # wpa_supplicant's GO hands a P2P client the PSK, not the passphrase
        # ("Use PSK format for Network Key"): 64 hexadecimal digits
        cred = Credential(self.group.ssid, wa.AUTH_WPA2PSK, wa.ENCR_AES, self.group.psk.hex().encode(),
                          b"\0" * 6)
        old = self.sessions.pop(node.macaddr, None)
        if old is not None:
            old[1].stop()
        reg = Registrar(device_info(self.group, vap.macaddr), self.auth, cred, self.dev.rng.randbytes,
                        self._now())
        self.sessions[node.macaddr] = (reg, Callout(self.dev.sched))
        self._run(node, reg.start(self._now()))

    def wps_eapol(self, node: Node, pdu: bytes) -> None:
        s = self.sessions.get(node.macaddr)
        if s is None:
            return
        self._run(node, s[0].receive(pdu, self._now()))

    def wps_left(self, node: Node) -> None:
        s = self.sessions.pop(node.macaddr, None)
        if s is not None:
            s[1].stop()

    def keyed(self, node: Node) -> None:
        peer = self.group.member_dev(node.macaddr)
        self.dev.emit(f"AP-STA-CONNECTED {mac_str(node.macaddr)} p2p_dev_addr={mac_str(peer)}")

    def elements(self, probe_resp: bool = False) -> list[Element]:
        """The WPS element of the GO's Beacons and Probe Responses: configured,
        and a selected registrar while the button is pressed or a PIN waits;
        then the GO's P2P IE for that frame."""
        now = self._now()
        attrs: list[tuple[int, bytes]] = [(A.VERSION, bytes((wa.VERSION1,))),
                                          (A.WPS_STATE, bytes((wa.WPS_STATE_CONFIGURED,)))]
        if self.auth.pbc_active(now) or self.auth.pins:
            pw = DevPw.PUSHBUTTON if self.auth.pbc_active(now) else DevPw.DEFAULT
            cm = wa.CM_VIRT_PBC if pw == DevPw.PUSHBUTTON else wa.CM_DISPLAY | wa.CM_KEYPAD
            attrs += [(A.SELECTED_REGISTRAR, b"\x01"), (A.DEV_PASSWORD_ID, int(pw).to_bytes(2, "big")),
                      (A.SEL_REG_CONFIG_METHODS, cm.to_bytes(2, "big"))]
        attrs.append((A.VENDOR_EXT, wa.version2_ext()))
        return [*wps_ies(wa.build(attrs)), *p2p_elements(self.group, probe_resp)]

    # -- the registrar's actions -----------------------------------------------------------------
    def _run(self, node: Node, acts: list[Action]) -> None:
        vap = self.group.vap
        s = self.sessions.get(node.macaddr)
        if vap is None or vap.rsn is None or s is None:
            return
        reg, timer = s
        for a in acts:
            if isinstance(a, Send):
                vap.rsn.send_eapol(node, a.pdu)
            elif isinstance(a, SetTimer):
                timer.reset(max(0, a.at_ns - self._now()), self._timer, node)
            elif isinstance(a, CancelTimer):
                timer.stop()
            elif isinstance(a, Event):
                self.dev.emit(a.text)
            elif isinstance(a, Finished):
                if a.success:
                    self.successes += 1
                    self.group.provisioned(node.macaddr)
                else:
                    self.failures += 1

    def _timer(self, node: Node) -> None:
        s = self.sessions.get(node.macaddr)
        if s is not None:
            self._run(node, s[0].timer(self._now()))


class ClientWps:
    """The enrollee of a client vap; after the credential, its hooks report
    the connection (the 4-way handshake done)."""

    def __init__(self, group: P2PGroup, method: str) -> None:
        self.group = group
        self.method = method  # "pbc" or a PIN
        self.machine: Enrollee | None = None
        self.cred: Credential | None = None
        self.provisioning = True
        self.attempts = 0

    @property
    def enrollee(self) -> bool:
        return self.provisioning

    @property
    def dev(self) -> Any:
        return self.group.dev

    def wps_assoc(self, node: Node, ies: IEList) -> bool:
        return False

    def wps_start(self, node: Node, request_waiting: bool = False) -> None:
        vap = self.group.vap
        assert vap is not None and vap.macaddr is not None
        self.attempts += 1
        pbc = self.method == "pbc"
        password = PBC_PASSWORD if pbc else self.method.encode()
        self.machine = Enrollee(device_info(self.group, vap.macaddr), password,
                                DevPw.PUSHBUTTON if pbc else DevPw.DEFAULT, self.dev.rng.randbytes)
        start = self.machine.start()
        if not request_waiting:  # the registrar's request is here already: no EAPOL-Start
            self._run(node, start)

    def wps_eapol(self, node: Node, pdu: bytes) -> None:
        if self.machine is not None:
            self._run(node, self.machine.receive(pdu, int(self.dev.sched.now_ns)))

    def wps_left(self, node: Node) -> None:
        pass

    def keyed(self, node: Node) -> None:
        self.group.connected()

    def elements(self, probe_resp: bool = False) -> list[Element]:
        """A client's Association Request elements: while provisioning a WPS
        element (request type: enrollee); always the P2P IE (a GO matches the
        enrollee's P2P Device Address against the peer it negotiated with)."""
        wps = wps_ies(wa.build([(A.VERSION, bytes((wa.VERSION1,))), (A.REQUEST_TYPE, b"\x01"),
                                (A.VENDOR_EXT, wa.version2_ext())])) if self.provisioning else []
        return [*wps, *p2p_elements(self.group)]

    def _run(self, node: Node, acts: list[Action]) -> None:
        vap = self.group.vap
        if vap is None or vap.rsn is None:
            return
        for a in acts:
            if isinstance(a, Send):
                vap.rsn.send_eapol(node, a.pdu)
            elif isinstance(a, Event):
                self.dev.emit(a.text)
            elif isinstance(a, GotCredential):
                self.cred = a.cred
            elif isinstance(a, Finished):
                self.provisioning = False
                if a.success and self.cred is not None:
                    # wpa_supplicant: leave the provisioning association (the
                    # vap going down deauthenticates), join again with the credential
                    self.dev.sched.call_later(0, self.group.reconnect, self.cred)
                else:
                    self.dev.sched.call_later(0, self.group.formation_failed,
                                              f"WPS failed at msg={a.msg} config_error={a.config_error}")
