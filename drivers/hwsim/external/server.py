"""The external medium: mac80211_hwsim's userspace-medium protocol on a UNIX socket.

`ExternalMedium` (made by `HwsimMedium.serve(path)`) listens on a
SOCK_SEQPACKET socket and speaks MAC80211_HWSIM generic netlink (genl.py)
with the semantics of REFERENCE §3.  A client that REGISTERs becomes the
medium: every frame a port transmits goes to it as FRAME and stays pending
until its TX_INFO_FRAME; the client's FRAME messages are deliveries.  When
it goes away the medium falls back to its built-in kernel.

In virtual time each pending frame holds the scheduler (`Scheduler.hold`),
so no event runs until the client has answered: a run is as deterministic
as the client's answers.  A hold expires after a real-time timeout; the
frame is then dropped and counted.

Beyond the kernel: on REGISTER the client is told (ADD_MAC_ADDR) the
addresses that already exist, so it can route unicast frames at once.
Radios created and destroyed are announced to it with NEW_RADIO and
DEL_RADIO, as the kernel does on its `config` multicast group (a UNIX
socket has no groups: the registered medium is the one listener).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ic import Caps, Net80211Error, RxInfo, TxStatus
from ic.sched import SEC, Hold, TaskQueue

from ..kernel.medtypes import (
    ADDR_BSS,
    ADDR_OWN,
    BROADCAST,
    FIF_ALLMULTI,
    FIF_BEACONS,
    FIF_PROBE_REQ,
    FIF_PROMISC,
    FT_BEACON,
    FT_PROBE_REQ,
    parse_header,
)
from . import genl
from .connection import Connection, WarnLimiter
from .genl import Attr, Cmd, GenlError, Message

if TYPE_CHECKING:
    from ..medium import HwsimMedium, MediumPort

log = logging.getLogger(__name__)

MAX_QUEUE = 200  # pending frames per radio before the oldest are dropped ...
WARN_QUEUE = 100  # ... down to this many (mac80211_hwsim's limits)
MAX_CHANNELS = 8  # CFG80211_MAX_NUM_DIFFERENT_CHANNELS
N_CUSTOM_REGDOMAINS = 2
EXT_ID_BASE = 1 << 62  # frame ids of external frames never meet the kernel's

# nl80211 interface types a NEW_RADIO may ask for (HWSIM_IFTYPE_SUPPORT_MASK) and our capabilities
_IFTYPE_CAPS = {1: Caps.IBSS | Caps.AHDEMO, 2: Caps.STA, 3: Caps.HOSTAP, 7: Caps.MBSS,
                8: Caps.P2P_CLIENT, 9: Caps.P2P_GO}
_IFTYPE_MASK = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 11)
_IFTYPE_OCB = 1 << 11
# hwsim_ciphers[]: WEP40, WEP104, TKIP, CCMP, CCMP-256, GCMP, GCMP-256, AES-CMAC, BIP-CMAC-256,
# BIP-GMAC-128, BIP-GMAC-256
_CIPHERS = frozenset((0x000FAC01, 0x000FAC05, 0x000FAC02, 0x000FAC04, 0x000FAC0A, 0x000FAC08, 0x000FAC09,
                      0x000FAC06, 0x000FAC0D, 0x000FAC0B, 0x000FAC0C))
_DELIVERY_ATTRS = (Attr.ADDR_RECEIVER, Attr.FRAME, Attr.RX_RATE, Attr.SIGNAL)
_STATUS_ATTRS = (Attr.ADDR_TRANSMITTER, Attr.FLAGS, Attr.COOKIE, Attr.SIGNAL, Attr.TX_INFO)


def _mac(value: int) -> bytes:
    return value.to_bytes(6, "big")


def hwaddr_of(port: MediumPort) -> bytes:
    """The address a port uses on the protocol: its hardware address, else
    the one mac80211_hwsim would give a radio of its index."""
    if port.hwaddr is not None:
        return _mac(port.hwaddr)
    return bytes((0x42, 0, 0, (port.index >> 8) & 0xFF, port.index & 0xFF, 0))


def accepts(port: MediumPort, frame: bytes) -> bool:
    """The port's receive filter applied to a delivered frame (mac80211 filters
    in software what the built-in kernel filters in C; same rules)."""
    hdr = parse_header(frame)
    if hdr is None:
        return False
    addr1, _, _, bssid, kind = hdr
    flt, addrs = port.filter, port._addrs
    if flt & FIF_PROMISC:
        return True
    if not (addr1 >> 40) & 1:
        return (addr1, ADDR_OWN) in addrs
    in_bss = bool(bssid) and (bssid, ADDR_BSS) in addrs
    if kind == FT_BEACON:
        return bool(flt & FIF_BEACONS) or in_bss
    if kind == FT_PROBE_REQ:
        return bool(flt & FIF_PROBE_REQ)
    return bool(flt & FIF_ALLMULTI) or bssid == BROADCAST or in_bss


class _Pending:
    __slots__ = ("port", "cookie", "frame_id", "frame", "flags", "hold")

    def __init__(self, port: MediumPort, cookie: int, frame_id: int, frame: bytes, flags: int) -> None:
        self.port = port
        self.cookie = cookie
        self.frame_id = frame_id
        self.frame = frame
        self.flags = flags
        self.hold: Hold | None = None


class ExternalMedium:
    """The listening socket, its connections and the frames the registered client owes."""

    def __init__(self, medium: HwsimMedium, path: str, *, hold_timeout_ns: int = SEC,
                 family: int = genl.FAMILY_ID) -> None:
        self.medium = medium
        self.family = family  # the id this server gives MAC80211_HWSIM; clients resolve it by name
        self.warn = WarnLimiter(medium.sched, log)
        self.sched = medium.sched
        self.path = path
        self.hold_timeout_ns = int(hold_timeout_ns)
        self.stats = medium.stats
        self.conns: dict[int, Connection] = {}
        self.client: Connection | None = None
        self._owned: dict[int, list[Any]] = {}  # portid -> radios to destroy when it closes
        self._radio_params: dict[int, dict[int, Any]] = {}  # id(radio) -> NEW_RADIO settings to report
        self._pending: dict[int, deque[_Pending]] = {}  # port index -> frames in send order
        self._by_cookie: dict[tuple[int, int], _Pending] = {}
        self._cookie: dict[int, int] = {}
        self._by_hw: dict[bytes, MediumPort] = {}  # hardware address -> port, rebuilt on a miss
        self._next_id = EXT_ID_BASE
        self._anon = 0xFFFF_F000  # portids for a second socket of one process, like netlink autobind
        self._tq = TaskQueue(self.sched, "external-medium")
        if os.path.exists(path):
            os.unlink(path)  # a stale socket of an earlier run
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(path)
        os.chmod(path, 0o600)  # the driver's owner only, as CAP_NET_ADMIN guards the kernel family
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.sched.add_reader(self.sock, self._accept)

    # -- connections --------------------------------------------------------------------
    @property
    def registered(self) -> bool:
        return self.client is not None

    @property
    def pending(self) -> int:
        return len(self._by_cookie)

    def wait_for_client(self, timeout_s: float = 5.0) -> bool:
        """Serve the socket until a client has registered (set-up, not protocol timing)."""
        deadline = time.monotonic() + timeout_s
        while self.client is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sched.poll_io(left)
        return True

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.sock.accept()
            except (BlockingIOError, OSError):
                return
            try:
                pid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
            except OSError:
                pid = 0
            if pid <= 0 or pid in self.conns:
                pid = self._anon
                self._anon -= 1
            self.conns[pid] = Connection(self.sched, sock, pid, self._datagram, self._closed)

    def close(self) -> None:
        """Stop serving: every connection closes (the built-in medium takes over)."""
        for conn in list(self.conns.values()):
            conn.close()
        self.sched.remove_reader(self.sock)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
        if self.medium._external is self:
            self.medium._external = None

    def _closed(self, conn: Connection) -> None:
        self.conns.pop(conn.portid, None)
        if conn is self.client:
            self.client = None
            kind = "modeled" if self.medium.modeled else "perfect"
            log.warning("external medium (portid %d) released its socket, "
                        "switching to the built-in %s medium", conn.portid, kind)
            self.stats["ext_released"] += 1
            for q in list(self._pending.values()):
                while q:
                    self._finish(q[0], None, "ext_released_pending")
        for radio in self._owned.pop(conn.portid, []):
            if radio in self.medium.radios:
                self.medium.remove_radio(radio)

    # -- driver side: frames out ----------------------------------------------------------------
    def transmit(self, port: MediumPort, frame: bytes, rates: tuple[tuple[int, int], ...],
                 no_ack: bool, rate_flags: tuple[int, ...] = ()) -> int:
        """Send a frame to the registered client and keep it pending; its id, or -errno.
        `rate_flags` go out in TX_INFO_FLAGS, as mac80211_hwsim sends each rate's."""
        client = self.client
        assert client is not None
        if len(frame) > genl.MAX_FRAME:
            self.stats["tx_refused"] += 1
            return -errno.EMSGSIZE
        q = self._pending.setdefault(port.index, deque())
        if len(q) >= MAX_QUEUE:
            while len(q) >= WARN_QUEUE:
                self._finish(q[0], None, "ext_queue_drops")
        cookie = self._cookie.get(port.index, 0) + 1
        self._cookie[port.index] = cookie
        self._next_id += 1
        flags = genl.TX_CTL_REQ_TX_STATUS | (genl.TX_CTL_NO_ACK if no_ack else 0)
        p = _Pending(port, cookie, self._next_id, frame, flags)
        q.append(p)
        self._by_cookie[(port.index, cookie)] = p
        p.hold = self.sched.hold(self.hold_timeout_ns, lambda: self._finish(p, None, "ext_timeouts"))
        self.stats["ext_tx"] += 1
        txi = genl.pack_tx_info(rates)
        txf = genl.pack_tx_info_flags([(i, rate_flags[k] if k < len(rate_flags) else 0)
                                       for k, (i, _) in enumerate(rates)])
        client.send(genl.encode_frame(self.family, hwaddr_of(port), frame, flags, port.rx_freq, txi, txf,
                                      cookie))
        if client.out_dropped:
            self.stats["ext_out_dropped"] = client.out_dropped
        return p.frame_id

    def _finish(self, p: _Pending, status: TxStatus | None, counter: str | None = None) -> None:
        """Take a frame off the pending list; status None means dropped, not ACKed."""
        q = self._pending[p.port.index]
        if q and q[0] is p:
            q.popleft()
        else:
            q.remove(p)
        del self._by_cookie[(p.port.index, p.cookie)]
        if p.hold is not None:
            p.hold.release()
        if counter:
            self.stats[counter] += 1
        if status is None:
            status = TxStatus(p.frame_id, self.sched.now_ns, False, 0, (), True)
        port = p.port
        if port.attached and port.tx_status is not None:
            port.tx_status(p.frame, status)

    def port_removed(self, port: MediumPort) -> None:
        """A detached port's pending frames are forgotten (it takes no status)."""
        for p in list(self._pending.get(port.index, ())):
            self._finish(p, None)

    def addr_changed(self, port: MediumPort, addr: int, added: bool) -> None:
        if self.client is not None:
            cmd = Cmd.ADD_MAC_ADDR if added else Cmd.DEL_MAC_ADDR
            self.client.send(genl.encode(Message(cmd, {Attr.ADDR_TRANSMITTER: hwaddr_of(port),
                                                       Attr.ADDR_RECEIVER: _mac(addr)}, type=self.family)))

    def radio_changed(self, radio: Any, added: bool) -> None:
        """NEW_RADIO / DEL_RADIO for the registered medium, as hwsim_mcast_new_radio() sends them."""
        if self.client is None:
            return
        if added:
            msg = self.radio_msg(radio)
            msg.cmd = Cmd.NEW_RADIO
        else:
            msg = Message(Cmd.DEL_RADIO, {Attr.RADIO_ID: radio.idx, Attr.RADIO_NAME: radio.name},
                          type=self.family)
        self.client.send(genl.encode(msg))

    def _announce_addrs(self) -> None:
        for port in self.medium.ports:
            if port.attached:
                for addr, kind in list(port._addrs):
                    if kind == ADDR_OWN:
                        self.addr_changed(port, addr, True)

    def _port(self, addr: bytes) -> MediumPort | None:
        """The port whose hardware address this is: mac80211_hwsim finds radios
        by that address alone (its rhashtable of addresses[1]), not by vap addresses."""
        port = self._by_hw.get(addr)
        if port is None or not port.attached or hwaddr_of(port) != addr:
            self._by_hw = {hwaddr_of(p): p for p in self.medium.ports if p.attached}
            port = self._by_hw.get(addr)
        return port

    # -- messages in ---------------------------------------------------------------------
    def _datagram(self, conn: Connection, data: bytes) -> None:
        if not data:  # a zero-length datagram: the kernel drops it without an answer
            self.stats["ext_malformed"] += 1
            return
        for item in genl.decode(data, self.family):
            if isinstance(item, GenlError):
                self.stats["ext_malformed"] += 1
                self.warn.warn("malformed", "portid %d sent a message that cannot be accepted: %s",
                               conn.portid, item)
                rc = self._refusal(item)
                if rc is not None:
                    conn.send(genl.encode_ack(rc, item.request, pid=conn.portid))
            elif isinstance(item, Message):
                self._request(conn, item)
            # Ack and Done are answers, never requests: nothing to do
            if conn.closed:
                return
            # Each message's consequences settle before the next one is read:
            # the order of events does not depend on how the client batches.
            self.sched.run_tasks()

    def _refusal(self, e: GenlError) -> int | None:
        """The answer the kernel gives a message its policy refuses, in the
        kernel's order: nothing for broken framing or a non-request, then
        an unknown family, an unknown command, and only then the policy."""
        if e.silent:
            return None
        if not e.flags & genl.NLM_F_REQUEST or e.type < genl.NLMSG_MIN_TYPE:
            return 0 if e.flags & genl.NLM_F_ACK else None
        if e.type == self.family:
            dump = e.flags & genl.NLM_F_DUMP == genl.NLM_F_DUMP
            if e.cmd not in genl.OPS or (dump and not genl.OPS[e.cmd] & genl.GENL_CMD_CAP_DUMP):
                return -errno.EOPNOTSUPP
        elif e.type == genl.GENL_ID_CTRL:
            if e.cmd != genl.CTRL_CMD_GETFAMILY:
                return -errno.EOPNOTSUPP
        else:
            return -errno.ENOENT
        return -(e.errno or errno.EINVAL)

    def _request(self, conn: Connection, msg: Message) -> None:
        if not msg.flags & genl.NLM_F_REQUEST or msg.type < genl.NLMSG_MIN_TYPE:
            rc: int | None = 0  # not a request, or a control message: only acked on demand
        else:
            try:
                rc = self._dispatch(conn, msg)
            except GenlError as e:
                rc = -(e.errno or errno.EINVAL)
            except Net80211Error as e:
                rc = -(e.errno or errno.EINVAL)
            except (ValueError, TypeError) as e:  # a value the radio code refuses
                log.debug("portid %d: %s", conn.portid, e)
                rc = -errno.EINVAL
        if rc is None:
            return  # a dump ends with NLMSG_DONE, not an ack
        if rc < 0:
            self.stats["ext_errors"] += 1
        if rc != 0 or msg.flags & genl.NLM_F_ACK:
            conn.send(genl.encode_ack(rc, msg.raw, pid=conn.portid))
        if msg.cmd == Cmd.REGISTER and msg.type == self.family and rc == 0:
            self._announce_addrs()

    def _dispatch(self, conn: Connection, msg: Message) -> int | None:
        if msg.type == genl.GENL_ID_CTRL:
            return self._ctrl(conn, msg)
        if msg.type != self.family:
            return -errno.ENOENT
        dump = msg.flags & genl.NLM_F_DUMP == genl.NLM_F_DUMP
        if dump and msg.cmd != Cmd.GET_RADIO:
            return -errno.EOPNOTSUPP
        handlers: dict[int, Callable[[Connection, Message], int | None]] = {
            Cmd.REGISTER: self._register, Cmd.FRAME: self._delivery,
            Cmd.TX_INFO_FRAME: self._tx_info, Cmd.NEW_RADIO: self._new_radio,
            Cmd.DEL_RADIO: self._del_radio, Cmd.GET_RADIO: self._get_radio}
        handler = handlers.get(msg.cmd)
        if handler is None:
            return -errno.EOPNOTSUPP
        return handler(conn, msg)

    def _ctrl(self, conn: Connection, msg: Message) -> int | None:
        if msg.cmd != genl.CTRL_CMD_GETFAMILY:
            return -errno.EOPNOTSUPP
        # the config group's id: the next one after the family's, as nlctrl hands them out
        reply = genl.newfamily_msg(family=self.family, groups={genl.CONFIG_GROUP: self.family + 1},
                                   seq=msg.seq, pid=conn.portid)
        if msg.flags & genl.NLM_F_DUMP == genl.NLM_F_DUMP:
            reply.flags = genl.NLM_F_MULTI
            conn.send(genl.encode(reply))
            conn.send(genl.encode_done(msg.seq, conn.portid))
            return None
        # ctrl_getfamily(): the name wins over the id; neither is EINVAL
        name = msg.get(genl.CTRL_ATTR_FAMILY_NAME)
        if name is not None:
            found = name == genl.FAMILY_NAME
        elif genl.CTRL_ATTR_FAMILY_ID in msg.attrs:
            found = msg.attrs[genl.CTRL_ATTR_FAMILY_ID] == self.family
        else:
            return -errno.EINVAL
        if not found:
            return -errno.ENOENT
        conn.send(genl.encode(reply))
        return 0

    def _register(self, conn: Connection, msg: Message) -> int:
        # the kernel's order: the channel check first, then the busy check
        if any(getattr(r, "nchannels", 1) > 1 for r in self.medium.radios):
            return -errno.EOPNOTSUPP
        if self.client is not None:
            return -errno.EBUSY
        self.client = conn
        self.stats["ext_registered"] += 1
        log.info("external medium registered (portid %d)", conn.portid)
        return 0

    def _delivery(self, conn: Connection, msg: Message) -> int:
        a = msg.attrs
        if conn is not self.client:
            return -errno.EINVAL
        if not all(k in a for k in _DELIVERY_ATTRS):
            return -errno.EINVAL
        frame = a[Attr.FRAME]
        if not genl.MIN_FRAME <= len(frame) <= genl.MAX_FRAME:
            return -errno.EINVAL
        port = self._port(a[Attr.ADDR_RECEIVER])
        if port is None:
            return -errno.EINVAL
        freq = a.get(Attr.FREQ)
        if freq is None:
            freq = port.rx_freq
        elif freq != port.freq and freq != port._tmp_freq:
            self.stats["ext_rx_offchannel"] += 1
            return -errno.EINVAL
        rate = a[Attr.RX_RATE]
        if rate >= (8 if freq >= 5000 else 12):
            self.stats["ext_rx_bad_rate"] += 1
            return -errno.EINVAL
        if not port.started or port.rx is None:
            self.stats["rx_unclaimed"] += 1
            return -errno.EINVAL  # the kernel's answer for a radio that is not started
        if not accepts(port, frame):
            self.stats["ext_rx_filtered"] += 1
            return 0
        self.stats["rx"] += 1
        self.stats["ext_rx"] += 1
        port.rx(frame, RxInfo(self.sched.now_ns, freq, a[Attr.SIGNAL], rate, bool(frame[1] & 0x08)))
        return 0

    def _tx_info(self, conn: Connection, msg: Message) -> int:
        a = msg.attrs
        if conn is not self.client:
            return -errno.EINVAL
        if not all(k in a for k in _STATUS_ATTRS):
            return -errno.EINVAL
        port = self._port(a[Attr.ADDR_TRANSMITTER])
        p = None if port is None else self._by_cookie.get((port.index, a[Attr.COOKIE]))
        if p is None:
            self.stats["ext_unknown_cookie"] += 1
            self.warn.warn("unknown cookie", "portid %d: a status for a frame not pending (cookie %d of %s)",
                           conn.portid, a[Attr.COOKIE], a[Attr.ADDR_TRANSMITTER].hex(":"))
            return -errno.EINVAL
        flags = a[Attr.FLAGS]
        acked = bool(flags & genl.TX_STAT_ACK) and not flags & genl.TX_CTL_NO_ACK
        tried = []
        for idx, count in a[Attr.TX_INFO]:
            if idx < 0:
                break
            if count:
                tried.append((idx, count))
        self.stats["tx_status"] += 1
        self._finish(p, TxStatus(p.frame_id, self.sched.now_ns, acked, a[Attr.SIGNAL] if acked else 0,
                                 tuple(tried), False))
        return 0

    # -- radios over the socket -------------------------------------------------------------
    def _find_radio(self, msg: Message) -> Any:
        if Attr.RADIO_ID in msg.attrs:
            match = [r for r in self.medium.radios if r.idx == msg.attrs[Attr.RADIO_ID]]
        elif Attr.RADIO_NAME in msg.attrs:
            match = [r for r in self.medium.radios if r.name == msg.attrs[Attr.RADIO_NAME]]
        else:
            raise GenlError(errno.EINVAL, "RADIO_ID or RADIO_NAME is required")
        if not match:
            raise GenlError(errno.ENODEV, "no such radio")
        return match[0]

    def _new_radio(self, conn: Connection, msg: Message) -> int:
        a = msg.attrs
        channels = a.get(Attr.CHANNELS, 1)
        if not 1 <= channels <= MAX_CHANNELS:
            return -errno.EINVAL
        if a.get(Attr.REG_CUSTOM_REG, 0) >= N_CUSTOM_REGDOMAINS:
            return -errno.EINVAL
        ciphers = a.get(Attr.CIPHER_SUPPORT)
        if isinstance(ciphers, bytes):
            return -errno.EINVAL  # hwsim_new_radio_nl(): not a whole number of u32 suites
        if ciphers is not None and len(ciphers) > len(_CIPHERS):
            return -errno.E2BIG
        if ciphers is not None and not set(ciphers) <= _CIPHERS:
            return -errno.EINVAL
        if Attr.MLO_SUPPORT in a or Attr.PMSR_SUPPORT in a or Attr.MULTI_RADIO in a:
            return -errno.EOPNOTSUPP  # no multi-link, ranging or multi-radio model here
        kw: dict[str, Any] = {"channels": channels, "p2p_device": Attr.SUPPORT_P2P_DEVICE in a}
        perm = a.get(Attr.PERM_ADDR)
        if perm is not None:
            if perm[0] & 1 or perm == bytes(6):
                return -errno.EINVAL  # not a valid unicast source address
            if any(r.macaddr == perm for r in self.medium.radios):
                return -errno.EEXIST
            kw["perm_addr"] = perm
        if Attr.IFTYPE_SUPPORT in a:
            types = a[Attr.IFTYPE_SUPPORT]
            if types & ~_IFTYPE_MASK:
                return -errno.EINVAL
            if types & _IFTYPE_OCB:
                return -errno.EOPNOTSUPP  # net80211 has no OCB mode
            caps = Caps.MONITOR | (Caps.P2P_DEVICE if kw["p2p_device"] else Caps(0))
            for bit, c in _IFTYPE_CAPS.items():
                if types & (1 << bit):
                    caps |= c
            kw["caps"] = caps
        radio = self.medium.add_radio(a.get(Attr.RADIO_NAME), **kw)
        self._radio_params[id(radio)] = {k: a[k] for k in (Attr.REG_HINT_ALPHA2, Attr.REG_CUSTOM_REG,
                                                           Attr.REG_STRICT_REG, Attr.USE_CHANCTX) if k in a}
        if Attr.DESTROY_RADIO_ON_CLOSE in a:
            self._owned.setdefault(conn.portid, []).append(radio)
        log.info("portid %d created radio %s (id %d)", conn.portid, radio.name, radio.idx)
        return int(radio.idx)  # the kernel returns the id in the ack's error field

    def _del_radio(self, conn: Connection, msg: Message) -> int:
        radio = self._find_radio(msg)
        self.medium.remove_radio(radio)
        self._radio_params.pop(id(radio), None)
        return 0

    def radio_msg(self, radio: Any, *, seq: int = 0, pid: int = 0, flags: int = 0) -> Message:
        """GET_RADIO's answer for one radio, attributes in append_radio_msg()'s order."""
        extra = self._radio_params.get(id(radio), {})
        attrs: dict[int, Any] = {Attr.RADIO_ID: radio.idx, Attr.CHANNELS: radio.nchannels}
        for k in (Attr.REG_HINT_ALPHA2, Attr.REG_CUSTOM_REG, Attr.REG_STRICT_REG):
            if k in extra:
                attrs[k] = extra[k]
        if radio.p2p_device:
            attrs[Attr.SUPPORT_P2P_DEVICE] = True
        if Attr.USE_CHANCTX in extra:
            attrs[Attr.USE_CHANCTX] = True
        attrs[Attr.RADIO_NAME] = radio.name
        return Message(Cmd.GET_RADIO, attrs, type=self.family, seq=seq, pid=pid, flags=flags)

    def _get_radio(self, conn: Connection, msg: Message) -> int | None:
        if msg.flags & genl.NLM_F_DUMP == genl.NLM_F_DUMP:
            for r in list(self.medium.radios):
                reply = self.radio_msg(r, seq=msg.seq, pid=conn.portid, flags=genl.NLM_F_MULTI)
                conn.send(genl.encode(reply))
            conn.send(genl.encode_done(msg.seq, conn.portid))
            return None
        if Attr.RADIO_ID not in msg.attrs:
            return -errno.EINVAL
        radio = self._find_radio(Message(msg.cmd, {Attr.RADIO_ID: msg.attrs[Attr.RADIO_ID]}))
        conn.send(genl.encode(self.radio_msg(radio, seq=msg.seq, pid=conn.portid)))
        return 0


__all__ = ["ExternalMedium", "Connection", "accepts", "hwaddr_of"]  # Connection: its old home
