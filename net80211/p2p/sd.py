"""P2P service discovery: GAS Initial Request/Response public action frames
carrying an ANQP vendor-specific element (Wi-Fi Alliance OUI, P2P type) with
service request/response TLVs, as wpa_supplicant's P2P_SERV_DISC_* and
P2P_SERVICE_* commands use them.

Request TLV:  length (2, LE; what follows), protocol type, transaction id, query.
Response TLV: length (2, LE), protocol type, transaction id, status, data.
Protocols: 0 all, 1 Bonjour, 2 UPnP.  Bonjour data is query || RDATA;
UPnP data is the version octet and the services, comma separated.

Responses must fit one GAS Initial Response (no comeback fragmentation):
TLVs that would not fit are left out.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ic import InvalidArgument, NoSuchDevice, mac_str, parse_mac
from net80211.p2p.wire import DEV_CAPAB_SD, P2P_OUI_TYPE
from net80211.wire.frame import FrameError
from net80211.wire.ie import OUI_WFA
from net80211.wire.mgmt import Action, MgmtFrame

if TYPE_CHECKING:
    from net80211.p2p.device import P2PDevice
    from net80211.p2p.peers import Peer

CAT_PUBLIC, GAS_INITIAL_REQ, GAS_INITIAL_RESP = 4, 10, 11
GAS_PREFIXES = (bytes((CAT_PUBLIC, GAS_INITIAL_REQ)), bytes((CAT_PUBLIC, GAS_INITIAL_RESP)))
EID_ADV_PROTO, ADV_PROTO_ANQP = 108, 0
ANQP_VENDOR = 0xDDDD
PROTO_ALL, PROTO_BONJOUR, PROTO_UPNP = 0, 1, 2
SD_SUCCESS, SD_PROTO_NOT_AVAILABLE, SD_INFO_NOT_AVAILABLE, SD_BAD_REQUEST = 0, 1, 2, 3
GAS_WAIT_MS = 300  # how long a request waits on the peer's channel for its answer
MAX_QUERY_RESPONSE = 1400  # what one GAS Initial Response carries here
BROADCAST_ADDR = b"\x00" * 6
_ids = itertools.count(1)


# -- wire ------------------------------------------------------------------------------------
def _anqp_vendor(update: int, tlvs: bytes) -> bytes:
    payload = OUI_WFA + bytes((P2P_OUI_TYPE,)) + struct.pack("<H", update) + tlvs
    return struct.pack("<HH", ANQP_VENDOR, len(payload)) + payload


def _parse_anqp_vendor(data: bytes) -> tuple[int, bytes]:
    if len(data) < 4:
        raise FrameError("ANQP element header truncated")
    info, n = struct.unpack("<HH", data[:4])
    if info != ANQP_VENDOR or 4 + n > len(data) or n < 6:
        raise FrameError("not a complete ANQP vendor-specific element")
    body = data[4:4 + n]
    if body[:3] != OUI_WFA or body[3] != P2P_OUI_TYPE:
        raise FrameError("ANQP vendor element is not P2P service discovery")
    return struct.unpack("<H", body[4:6])[0], body[6:]


def gas_request(token: int, update: int, tlvs: bytes) -> bytes:
    """The action body of a GAS Initial Request with P2P service request TLVs."""
    q = _anqp_vendor(update, tlvs)
    return (bytes((CAT_PUBLIC, GAS_INITIAL_REQ, token, EID_ADV_PROTO, 2, 0, ADV_PROTO_ANQP))
            + struct.pack("<H", len(q)) + q)


def gas_response(token: int, update: int, tlvs: bytes, status: int = 0) -> bytes:
    q = _anqp_vendor(update, tlvs)
    return (bytes((CAT_PUBLIC, GAS_INITIAL_RESP, token)) + struct.pack("<HH", status, 0)
            + bytes((EID_ADV_PROTO, 2, 0, ADV_PROTO_ANQP)) + struct.pack("<H", len(q)) + q)


@dataclass
class Gas:
    action: int  # GAS_INITIAL_REQ or GAS_INITIAL_RESP
    token: int
    status: int
    update: int
    tlvs: bytes


def parse_gas(body: bytes) -> Gas:
    """Parse a GAS Initial Request/Response action body (category first)."""
    if len(body) < 3 or body[0] != CAT_PUBLIC or body[1] not in (GAS_INITIAL_REQ, GAS_INITIAL_RESP):
        raise FrameError("not a GAS initial request/response")
    action, token, i, status = body[1], body[2], 3, 0
    if action == GAS_INITIAL_RESP:
        if len(body) < 7:
            raise FrameError("GAS initial response truncated")
        status, _delay = struct.unpack("<HH", body[3:7])
        i = 7
    if len(body) < i + 2 or body[i] != EID_ADV_PROTO or len(body) < i + 2 + body[i + 1]:
        raise FrameError("GAS frame without an advertisement protocol element")
    ap = body[i + 2:i + 2 + body[i + 1]]
    if len(ap) < 2 or ap[1] != ADV_PROTO_ANQP:
        raise FrameError("GAS advertisement protocol is not ANQP")
    i += 2 + body[i + 1]
    if len(body) < i + 2:
        raise FrameError("GAS query length missing")
    (n,) = struct.unpack("<H", body[i:i + 2])
    query = body[i + 2:i + 2 + n]
    if len(query) != n:
        raise FrameError("GAS query truncated")
    if action == GAS_INITIAL_RESP and status != 0 and n == 0:
        return Gas(action, token, status, 0, b"")
    update, tlvs = _parse_anqp_vendor(query)
    return Gas(action, token, status, update, tlvs)


def split_tlvs(data: bytes, response: bool) -> list[tuple[int, int, int, bytes]]:
    """(protocol, transaction id, status, data) of each TLV; status 0 for requests."""
    out, i, head = [], 0, 3 if response else 2
    while i < len(data):
        if i + 2 > len(data):
            raise FrameError("service TLV length truncated")
        (n,) = struct.unpack("<H", data[i:i + 2])
        tlv = data[i + 2:i + 2 + n]
        if len(tlv) != n or n < head:
            raise FrameError("service TLV overruns its frame or is too short")
        out.append((tlv[0], tlv[1], tlv[2] if response else 0, tlv[head:]))
        i += 2 + n
    return out


def resp_tlv(proto: int, trans: int, status: int, data: bytes = b"") -> bytes:
    return struct.pack("<H", 3 + len(data)) + bytes((proto, trans, status)) + data


def req_tlv(proto: int, trans: int, query: bytes = b"") -> bytes:
    return struct.pack("<H", 2 + len(query)) + bytes((proto, trans)) + query


def upnp_query(version: int, st: str) -> bytes:
    return bytes((version,)) + st.encode()


# -- the service discovery of one P2P device -----------------------------------------------------
class ServiceDiscovery:
    def __init__(self, dev: P2PDevice) -> None:
        self.dev = dev
        self.bonjour: dict[bytes, bytes] = {}  # query -> RDATA
        self.upnp: list[tuple[int, str]] = []  # (version, service)
        self.update = 0  # service update indicator
        self.external = False  # P2P_SERV_DISC_EXTERNAL: the client answers requests
        self.requests: dict[int, dict[str, Any]] = {}  # id -> {"addr", "tlvs", "done": set of peers}
        self.queue: list[tuple[Peer, int]] = []
        self._resume_find = False
        self._kick_timer: list[Any] | None = None

    # -- local services --------------------------------------------------------------------------
    def add_bonjour(self, query: bytes, rdata: bytes) -> None:
        self.bonjour[bytes(query)] = bytes(rdata)
        self.update += 1

    def del_bonjour(self, query: bytes) -> None:
        if self.bonjour.pop(bytes(query), None) is None:
            raise NoSuchDevice(f"no bonjour service {query.hex()}")
        self.update += 1

    def add_upnp(self, version: int, service: str) -> None:
        if not 0 <= version <= 255:
            raise InvalidArgument(f"UPnP version {version} is not one octet")
        if (version, service) not in self.upnp:
            self.upnp.append((version, service))
            self.update += 1

    def del_upnp(self, version: int, service: str) -> None:
        try:
            self.upnp.remove((version, service))
        except ValueError:
            raise NoSuchDevice(f"no UPnP service {version} {service}") from None
        self.update += 1

    def flush(self) -> None:
        self.bonjour.clear()
        self.upnp.clear()
        self.update += 1

    # -- answering ---------------------------------------------------------------------------------
    def answer(self, tlvs: bytes) -> bytes:
        """The response TLVs to request TLVs, from the local services."""
        out = bytearray()
        for proto, trans, _, query in split_tlvs(tlvs, response=False):
            for t in self._answer_one(proto, trans, query):
                if len(out) + len(t) > MAX_QUERY_RESPONSE:
                    return bytes(out)
                out += t
        return bytes(out)

    def _answer_one(self, proto: int, trans: int, query: bytes) -> list[bytes]:
        if proto == PROTO_ALL:
            if query:
                return [resp_tlv(proto, trans, SD_BAD_REQUEST)]
            found = self._bonjour(trans, b"") + self._upnp(trans, b"")
            return found or [resp_tlv(proto, trans, SD_PROTO_NOT_AVAILABLE)]
        if proto == PROTO_BONJOUR:
            if not self.bonjour:
                return [resp_tlv(proto, trans, SD_PROTO_NOT_AVAILABLE)]
            return self._bonjour(trans, query) or [resp_tlv(proto, trans, SD_INFO_NOT_AVAILABLE)]
        if proto == PROTO_UPNP:
            if not self.upnp:
                return [resp_tlv(proto, trans, SD_PROTO_NOT_AVAILABLE)]
            return self._upnp(trans, query) or [resp_tlv(proto, trans, SD_INFO_NOT_AVAILABLE)]
        return [resp_tlv(proto, trans, SD_PROTO_NOT_AVAILABLE)]

    def _bonjour(self, trans: int, query: bytes) -> list[bytes]:
        return [resp_tlv(PROTO_BONJOUR, trans, SD_SUCCESS, q + r) for q, r in self.bonjour.items()
                if not query or q == query]

    def _upnp(self, trans: int, query: bytes) -> list[bytes]:
        out = []
        st = query[1:].decode(errors="replace") if query else ""
        for version in sorted({v for v, _ in self.upnp}):
            if query and query[0] != version:
                continue
            match = [s for v, s in self.upnp if v == version and (st in ("", "ssdp:all") or st in s)]
            if match:
                data = bytes((version,)) + ",".join(match).encode()
                out.append(resp_tlv(PROTO_UPNP, trans, SD_SUCCESS, data))
        return out

    def rx(self, frame: bytes, freq: int) -> None:
        """A GAS frame for this device (FrameError if malformed)."""
        f = MgmtFrame.parse(frame)
        gas = parse_gas(frame[24:])
        dev = self.dev
        sa = f.addr2
        if gas.action == GAS_INITIAL_REQ:
            split_tlvs(gas.tlvs, response=False)  # malformed requests are dropped, not answered
            dev.emit(f"P2P-SERV-DISC-REQ {freq} {mac_str(sa)} {gas.token} {gas.update} {gas.tlvs.hex()}")
            if not self.external:
                self.respond(freq, sa, gas.token, self.answer(gas.tlvs))
            return
        p = dev.take_answer(sa, "gas", gas.token)
        if p is None:
            return
        if gas.status == 0:
            split_tlvs(gas.tlvs, response=True)
            dev.emit(f"P2P-SERV-DISC-RESP {mac_str(sa)} {gas.update} {gas.tlvs.hex()}")
        self._finished(p)

    def respond(self, freq: int, addr: bytes, token: int, tlvs: bytes) -> None:
        """Send a GAS Initial Response (also P2P_SERV_DISC_RESP for external answers)."""
        dev = self.dev
        body = gas_response(token, self.update, tlvs)
        frame = MgmtFrame(Action(body[0], body[1], body[2:]), addr, dev.address, addr).to_bytes()
        dev.wdev.mgmt_tx(frame, freq, no_cck=True, owner=dev.owner)

    # -- asking ------------------------------------------------------------------------------------
    def request(self, addr: bytes | str, tlvs: bytes) -> int:
        """P2P_SERV_DISC_REQ: query one peer, or every SD-capable peer found
        (00:00:00:00:00:00) until cancelled; the request id."""
        addr = parse_mac(addr, "peer address")
        split_tlvs(tlvs, response=False)  # FrameError -> the caller's FAIL
        if not tlvs:
            raise InvalidArgument("a service discovery request needs at least one TLV")
        if addr != BROADCAST_ADDR and addr not in self.dev.peers:
            raise NoSuchDevice(f"{mac_str(addr)}: unknown peer (run a find first)")
        rid = next(_ids)
        self.requests[rid] = {"addr": addr, "tlvs": bytes(tlvs), "done": set()}
        for peer in list(self.dev.peers.values()):
            self.peer_found(peer)
        return rid

    def cancel(self, rid: int) -> None:
        """P2P_SERV_DISC_CANCEL_REQ."""
        if self.requests.pop(rid, None) is None:
            raise NoSuchDevice(f"no service discovery request {rid:x}")
        self.queue = [(p, r) for p, r in self.queue if r != rid]

    def peer_found(self, peer: Peer) -> None:
        """Queue the requests this peer should get."""
        for rid, r in self.requests.items():
            if peer.addr in r["done"] or any(q[0] is peer and q[1] == rid for q in self.queue):
                continue
            if r["addr"] == peer.addr or (r["addr"] == BROADCAST_ADDR and peer.dev_capab & DEV_CAPAB_SD):
                self.queue.append((peer, rid))
        if self.queue and self._kick_timer is None:
            # Not from inside the frame/scan handling that found the peer.
            self._kick_timer = self.dev.sched.call_later(0, self.kick)

    def kick(self) -> None:
        dev = self.dev
        self._kick_timer = None
        if not dev.started or not self.queue or dev.pending is not None \
                or dev.state not in ("idle", "find", "listen") or dev.neg.session is not None:
            return
        peer, rid = self.queue.pop(0)
        r = self.requests.get(rid)
        if r is None:
            self.kick()
            return
        r["done"].add(peer.addr)
        self._resume_find = self._resume_find or dev.state == "find"

        token = dev.next_token()

        def build() -> tuple[int, bytes]:
            # Resends keep the dialog token: a late (external) answer still matches.
            body = gas_request(token, self.update, r["tlvs"])
            return token, MgmtFrame(Action(body[0], body[1], body[2:]), peer.addr, dev.address,
                                    peer.addr).to_bytes()

        dev.reach(peer, build, "gas", lambda *x: None, lambda why: self._failed(rid), state="sd", tries=10,
                  wait_ms=GAS_WAIT_MS, rid=rid)

    def _failed(self, rid: int) -> None:
        self._finished({"rid": rid})

    def _finished(self, p: dict[str, Any]) -> None:
        r = self.requests.get(p.get("rid", -1))
        if r is not None and r["addr"] != BROADCAST_ADDR:
            del self.requests[p["rid"]]  # a unicast request is done once answered (or given up)
        if self.queue:
            self.dev.sched.call_later(0, self.kick)
        elif self._resume_find:
            self._resume_find = False
            self.dev.sched.call_later(0, self._resume)

    def _resume(self) -> None:
        if self.dev.started and self.dev.state == "idle" and self.dev.pending is None:
            self.dev.find()
