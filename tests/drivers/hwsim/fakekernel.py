"""The Linux kernel's side of MAC80211_HWSIM on a socketpair, for testing hwsim-mediumd's kernel mode.

It answers as nlctrl and mac80211_hwsim.c do: GETFAMILY with the family's
id (a new one per instance, as per module load), ops and the `config`
group; GET_RADIO dumps; REGISTER (EBUSY when another medium is
registered); deliveries checked like hwsim_cloned_frame_received_nl()
(receiver = a radio's hardware address, its channel, a started radio,
a rate of the band) and statuses like hwsim_tx_info_frame_received_nl()
(the cookie of a pending frame).  Errors go back as NLMSG_ERROR; acks only
when asked.
"""

from __future__ import annotations

import errno
import itertools
import socket
import threading
from dataclasses import dataclass, field

from drivers.hwsim.external import genl
from drivers.hwsim.external.genl import Ack, Attr, Cmd, GenlError, Message
from drivers.hwsim.external.transport import KernelTransport, Transport

_ids = itertools.count(0x17)


@dataclass
class FakeRadio:
    radio_id: int
    hw: bytes
    freq: int = 2412
    started: bool = True
    cookie: int = 0
    pending: dict[int, bytes] = field(default_factory=dict)
    rx: list[Message] = field(default_factory=list)
    status: list[Message] = field(default_factory=list)

    @property
    def iface(self) -> bytes:
        return bytes((self.hw[0] & ~0x40,)) + self.hw[1:]


class PairTransport(KernelTransport):
    """The daemon's end of the pair, behaving as a generic-netlink socket."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock, "the fake kernel")

    @property
    def portid(self) -> int:
        return 4242

    def join(self, group: int) -> None:
        self.groups.append(group)


class FakeKernel:
    """kind="kernel": the kernel's generic-netlink socket; kind="unix": a
    driver's external-medium socket (`hwsim-mediumd -s`), which has no
    multicast groups and names the radio of ADD_MAC_ADDR by its TRANSMITTER."""

    def __init__(self, nradios: int = 3, *, family: int | None = None, busy: bool = False,
                 kind: str = "kernel") -> None:
        self.family = family if family is not None else next(_ids)
        self.group = self.family + 0x40
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(5)
        self.transport: Transport = (PairTransport(theirs) if kind == "kernel"
                                     else Transport(theirs, "the fake driver"))
        self.radios = {i: FakeRadio(i, bytes((0x42, 0, 0, 0, i, 0))) for i in range(nradios)}
        self.registered = busy  # another medium holds the registration
        self.requests: list[Message] = []  # every request the daemon sent, in order
        self.refused: list[tuple[int, int]] = []  # (seq, errno)
        self.closed = False
        self.daemon = None  # set once the handshake is done: sends then never block on it

    # -- the kernel's answers ----------------------------------------------------------
    def radio(self, hw: bytes) -> FakeRadio | None:
        return next((r for r in self.radios.values() if r.hw == hw), None)

    def _send(self, data: bytes) -> None:
        while self.daemon is not None:
            try:
                self.sock.send(data)
                return
            except BlockingIOError:  # the daemon's socket is full: let it read (and answer what it sent)
                self.daemon.sched.poll_io(0)
                self._drain()
        self.sock.send(data)

    def _drain(self) -> bool:
        got = False
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return got
            if not data:
                return got
            got = True
            self.handle(data)

    def _answer(self, msg: Message, rc: int) -> None:
        if rc < 0:
            self.refused.append((msg.seq, -rc))
        if rc or msg.flags & genl.NLM_F_ACK:
            self._send(genl.encode_ack(rc, msg.raw, pid=4242))

    def handle(self, data: bytes) -> None:
        for item in genl.decode(data, self.family):
            if isinstance(item, GenlError):
                if not item.silent:
                    self._send(genl.encode_ack(-item.errno, item.request, pid=4242))
                continue
            if not isinstance(item, Message):
                continue
            self.requests.append(item)
            self._answer(item, self._dispatch(item))

    def _dispatch(self, m: Message) -> int:
        if m.type == genl.GENL_ID_CTRL:
            if m.get(genl.CTRL_ATTR_FAMILY_NAME) != genl.FAMILY_NAME:
                return -errno.ENOENT
            self._send(genl.encode(genl.newfamily_msg(family=self.family, groups={"config": self.group},
                                                      seq=m.seq, pid=4242)))
            return 0
        if m.type != self.family:
            return -errno.ENOENT
        if m.cmd == Cmd.GET_RADIO and m.flags & genl.NLM_F_DUMP == genl.NLM_F_DUMP:
            for r in self.radios.values():
                attrs = {Attr.RADIO_ID: r.radio_id, Attr.CHANNELS: 1, Attr.RADIO_NAME: f"phy{r.radio_id}"}
                self._send(genl.encode(Message(Cmd.GET_RADIO, attrs, type=self.family, seq=m.seq, pid=4242,
                                               flags=genl.NLM_F_MULTI)))
            self._send(genl.encode_done(m.seq, 4242))
            m.flags &= ~genl.NLM_F_ACK  # a dump ends with DONE
            return 0
        if m.cmd == Cmd.REGISTER:
            if self.registered:
                return -errno.EBUSY
            self.registered = True
            return 0
        if m.cmd == Cmd.FRAME:
            return self._delivery(m)
        if m.cmd == Cmd.TX_INFO_FRAME:
            return self._status(m)
        return -errno.EOPNOTSUPP

    def _delivery(self, m: Message) -> int:
        a = m.attrs
        if not all(k in a for k in (Attr.ADDR_RECEIVER, Attr.FRAME, Attr.RX_RATE, Attr.SIGNAL)):
            return -errno.EINVAL
        if not genl.MIN_FRAME <= len(a[Attr.FRAME]) <= genl.MAX_FRAME:
            return -errno.EINVAL
        r = self.radio(a[Attr.ADDR_RECEIVER])
        if r is None or not r.started:
            return -errno.EINVAL
        if Attr.FREQ in a and a[Attr.FREQ] != r.freq:
            return -errno.EINVAL
        if a[Attr.RX_RATE] >= (8 if r.freq >= 5000 else 12):
            return -errno.EINVAL
        r.rx.append(m)
        return 0

    def _status(self, m: Message) -> int:
        a = m.attrs
        if not all(k in a for k in (Attr.ADDR_TRANSMITTER, Attr.FLAGS, Attr.COOKIE, Attr.SIGNAL,
                                    Attr.TX_INFO)):
            return -errno.EINVAL
        r = self.radio(a[Attr.ADDR_TRANSMITTER])
        if r is None or r.pending.pop(a[Attr.COOKIE], None) is None:
            return -errno.EINVAL
        r.status.append(m)
        return 0

    # -- driving ------------------------------------------------------------------------
    def serve(self, until) -> None:
        """Answer requests until until() is true (the daemon's blocking handshake runs beside it)."""
        while not until():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return
            if not data:
                return
            self.handle(data)

    def handshake(self, daemon) -> None:
        t = threading.Thread(target=self.serve,
                             args=(lambda: any(m.cmd == Cmd.REGISTER for m in self.requests),))
        t.start()
        try:
            daemon.connect(self.transport)
        finally:
            t.join()
        self.daemon = daemon
        self.sock.setblocking(False)

    def pump(self, daemon, ns: int = 5_000_000) -> None:
        """Let the daemon run `ns` of virtual time, then answer what it sent."""
        for _ in range(50):
            for _ in range(1000):  # the daemon reads in turns: until it has read everything sent
                if not daemon.sched.poll_io(0):
                    break
            daemon.sched.run_for(ns)
            if not self._drain():
                break

    def tx(self, radio_id: int, frame: bytes, *, freq: int | None = None, rates=((0, 1),),
           flags: int = genl.TX_CTL_REQ_TX_STATUS, rate_flags: tuple[int, ...] = ()) -> int:
        """The radio transmits: FRAME to the medium with a new cookie, pending until its status
        (`rate_flags`: each rate's hwsim_tx_rate_flags, as TX_INFO_FLAGS carries them)."""
        r = self.radios[radio_id]
        if freq is not None:
            r.freq = freq
        r.cookie += 1
        r.pending[r.cookie] = frame
        self._send(genl.encode_frame(self.family, r.hw, frame, flags, r.freq, genl.pack_tx_info(rates),
                                     genl.pack_tx_info_flags([(i, rate_flags[k] if k < len(rate_flags) else 0)
                                                              for k, (i, _) in enumerate(rates)]), r.cookie))
        return r.cookie

    def notify(self, msg: Message) -> None:
        """A message of the kernel's own (ADD_MAC_ADDR, NEW_RADIO on `config`, ...)."""
        msg.type = self.family
        self._send(genl.encode(msg))

    def close(self) -> None:
        self.sock.close()


__all__ = ["Ack", "FakeKernel", "FakeRadio", "PairTransport"]
