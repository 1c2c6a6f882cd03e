"""hwsim-mediumd: a standalone medium for a driver's external-medium socket, like wmediumd.

It loads a wmediumd config file into the modeled C kernel (one station per
`ifaces.ids` entry), runs it in real time, connects to the socket a driver
serves (`HwsimMedium.serve`), resolves MAC80211_HWSIM, REGISTERs and then
answers every FRAME with the deliveries and the TX_INFO_FRAME status the
kernel decides.

Stations are matched to the driver's radios as wmediumd does: by the
address a radio announces (ADD_MAC_ADDR) or the transmitter address of
its frames.  A station's channel is the frequency of its last frame;
stations never heard yet listen wherever traffic is.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import sys
from typing import Any

from ic import RxInfo, TxStatus
from ic.sched import SEC, Scheduler

from ..kernel.medtypes import FIF_ALLMULTI, FIF_BEACONS, FIF_PROBE_REQ, mac_to_int
from ..medium import MediumPort, medium_from_config
from . import genl
from .genl import Ack, Attr, Cmd, GenlError, Message
from .server import Connection
from .wcontrol import WmediumdControl
from .wmconfig import DEFAULT_TX_POWER, ConfigError
from .wserver import ControlServer

log = logging.getLogger("hwsim-mediumd")

CONNECT_TIMEOUT_S = 5.0


class MediumError(RuntimeError):
    """The driver refused us or could not be reached."""


class MediumDaemon:
    """One modeled world answering one driver."""

    def __init__(self, config: str, *, seed: int = 0, sched: Scheduler | None = None) -> None:
        self.sched = sched or Scheduler(realtime=True)
        self.medium = medium_from_config(config, self.sched, seed=seed)
        self.ports = [p for p in self.medium.ports if p.attached]
        self.ids = {p.hwaddr: i for i, p in enumerate(self.ports)}  # config address -> station
        self.station_of_hw: dict[bytes, int] = {}
        self.hw_of_station: dict[int, bytes] = {}
        self.heard: set[int] = set()
        self.extra: dict[int, int] = {}  # address -> station, learned from ADD_MAC_ADDR
        self.frames: dict[int, tuple[bytes, int, int]] = {}  # frame id -> (hwaddr, cookie, flags)
        self.family = genl.FAMILY_ID
        self.conn: Connection | None = None
        self.done = False
        self.stats: dict[str, int] = {"frames": 0, "deliveries": 0, "statuses": 0, "unknown_sender": 0,
                                      "errors": 0}
        for i, p in enumerate(self.ports):
            self._wire(i, p)
        self.control: Any = None  # wserver.ControlServer when serving wmediumd's control API

    def _wire(self, i: int, p: MediumPort) -> None:
        # Group frames reach every station (the driver filters like mac80211 does);
        # unicast only the owner, whose ACK the kernel models.
        p.filter = FIF_ALLMULTI | FIF_BEACONS | FIF_PROBE_REQ
        p.rx = lambda frame, info, i=i: self._rx(i, frame, info)
        p.tx_status = self._status

    # -- stations added and removed while running (wmediumd's control API) ---------------------
    def add_station(self, hwaddr: bytes) -> MediumPort:
        """A new station for `hwaddr`, where a new config entry would have put it."""
        i = len(self.ports)
        p = self.medium.add_port(f"wm{i}", hwaddr=hwaddr, addrs=[hwaddr],
                                 tx_power_dbm=round(DEFAULT_TX_POWER))
        self.ports.append(p)
        self.ids[mac_to_int(hwaddr)] = i
        self._wire(i, p)
        return p

    def remove_station(self, port: MediumPort) -> None:
        """Take a station off the medium: its frames and frames to it go nowhere."""
        i = self.ports.index(port)
        self.medium.remove_port(port)
        if self.ids.get(port.hwaddr or -1) == i:
            del self.ids[port.hwaddr or -1]
        for hw in [hw for hw, st in self.station_of_hw.items() if st == i]:
            del self.station_of_hw[hw]
        self.hw_of_station.pop(i, None)
        for a in [a for a, st in self.extra.items() if st == i]:
            del self.extra[a]

    def serve_control(self, path: str) -> Any:
        """Serve wmediumd's run-time control API on `path` (wserver)."""
        ctl = WmediumdControl(self, self.ports)
        self.control = ControlServer(self.sched, path, ctl.handle)
        return self.control

    # -- connection --------------------------------------------------------------------------
    def connect(self, path: str) -> None:
        """Resolve the family and REGISTER (blocking: nothing else to do yet)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.settimeout(CONNECT_TIMEOUT_S)
        try:
            sock.connect(path)
            sock.send(genl.encode(genl.getfamily_msg(seq=1)))
            self.family = self._expect(sock, 1, want_reply=True)
            reg = Message(Cmd.REGISTER, type=self.family, flags=genl.NLM_F_REQUEST | genl.NLM_F_ACK, seq=2)
            sock.send(genl.encode(reg))
            self._expect(sock, 2, want_reply=False)
        except OSError as e:
            sock.close()
            raise MediumError(f"{path}: {e.strerror or e}") from None
        self.conn = Connection(self.sched, sock, 0, self._datagram, self._closed)
        log.info("registered with %s as its medium (%d stations)", path, len(self.ports))

    def _expect(self, sock: socket.socket, seq: int, *, want_reply: bool) -> int:
        family = self.family
        while True:
            for item in genl.decode(sock.recv(genl.MAX_FRAME * 4), self.family):
                if isinstance(item, Ack) and item.req_seq == seq:
                    if item.error < 0:
                        raise MediumError(f"request refused: {os.strerror(-item.error)}")
                    return family
                if isinstance(item, Message) and want_reply and item.type == genl.GENL_ID_CTRL:
                    family = item.get(genl.CTRL_ATTR_FAMILY_ID, family)
                # anything else (an early ADD_MAC_ADDR) is handled once we run
                elif isinstance(item, Message) and item.type == family:
                    self._message(item)

    def _closed(self, conn: Connection) -> None:
        log.info("the driver closed the medium socket")
        self.done = True
        self.sched.stop()

    def run(self) -> None:
        while not self.done:
            self.sched.run_for(SEC)

    # -- from the driver ---------------------------------------------------------------------
    def _datagram(self, conn: Connection, data: bytes) -> None:
        for item in genl.decode(data, self.family):
            if isinstance(item, Message):
                self._message(item)
            elif isinstance(item, Ack) and item.error < 0:
                self.stats["errors"] += 1
                log.debug("driver refused a message (seq %d): %s", item.req_seq, os.strerror(-item.error))
            elif isinstance(item, GenlError):
                self.stats["errors"] += 1
                log.warning("malformed message from the driver: %s", item)

    def _message(self, msg: Message) -> None:
        a = msg.attrs
        if msg.cmd == Cmd.FRAME and Attr.ADDR_TRANSMITTER in a and Attr.FRAME in a:
            self._frame(msg)
        elif msg.cmd in (Cmd.ADD_MAC_ADDR, Cmd.DEL_MAC_ADDR) and Attr.ADDR_RECEIVER in a:
            add = msg.cmd == Cmd.ADD_MAC_ADDR
            self._mac_addr(a.get(Attr.ADDR_TRANSMITTER, b""), a[Attr.ADDR_RECEIVER], add)

    def _learn(self, hw: bytes, station: int) -> None:
        self.station_of_hw[hw] = station
        self.hw_of_station[station] = hw

    def _mac_addr(self, hw: bytes, addr: bytes, add: bool) -> None:
        a = mac_to_int(addr)
        if a in self.ids:
            if add:
                self._learn(hw, self.ids[a])
            return
        st = self.station_of_hw.get(hw)
        if add and st is not None and a not in self.extra:
            self.extra[a] = st
            self.ports[st].add_addr(a)
        elif not add and a in self.extra:
            self.ports[self.extra.pop(a)].del_addr(a)

    def _station(self, hw: bytes, frame: bytes) -> int | None:
        st = self.station_of_hw.get(hw)
        if st is None:
            st = self.ids.get(mac_to_int(hw))
            if st is None and len(frame) >= 16:
                st = self.ids.get(mac_to_int(frame[10:16]))
            if st is not None:
                self._learn(hw, st)
        return st

    def _frame(self, msg: Message) -> None:
        a = msg.attrs
        hw, frame = a[Attr.ADDR_TRANSMITTER], a[Attr.FRAME]
        flags, cookie = a.get(Attr.FLAGS, 0), a.get(Attr.COOKIE, 0)
        tx_info = a.get(Attr.TX_INFO, genl.NO_RATES)
        self.stats["frames"] += 1
        st = self._station(hw, frame)
        rates = []
        for idx, count in tx_info:
            if idx < 0:
                break
            rates.append((idx, max(count, 1)))
        fid = -errno.ENODEV
        if st is not None:
            port = self.ports[st]
            freq = a.get(Attr.FREQ)
            if freq:
                self.heard.add(st)
                if port.freq != freq:
                    port.freq = freq
                for i, p in enumerate(self.ports):
                    if i not in self.heard and p.freq != freq:
                        p.freq = freq
            fid = port.transmit(frame, rates or ((0, 1),), no_ack=bool(flags & genl.TX_CTL_NO_ACK))
        else:
            self.stats["unknown_sender"] += 1
            log.debug("no station for transmitter %s", hw.hex(":"))
        if fid < 0:
            # Answer anyway: the driver holds its clock until every frame has a status.
            self._send(genl.tx_info_msg(hw, flags, cookie, 0, [(i, 0) for i, _ in rates]))
        else:
            self.frames[fid] = (hw, cookie, flags)

    # -- to the driver -----------------------------------------------------------------------
    def _send(self, msg: Message) -> None:
        if self.conn is not None:
            msg.type = self.family
            self.conn.send(genl.encode(msg))

    def _rx(self, station: int, frame: bytes, info: RxInfo) -> None:
        hw = self.hw_of_station.get(station) or self.ports[station].hwaddr.to_bytes(6, "big")
        self.stats["deliveries"] += 1
        self._send(genl.delivery_msg(hw, frame, info.rate_idx, info.signal, info.freq))

    def _status(self, frame: bytes, st: TxStatus) -> None:
        entry = self.frames.pop(st.frame_id, None)
        if entry is None:
            return
        hw, cookie, flags = entry
        if st.acked:
            flags |= genl.TX_STAT_ACK
        self.stats["statuses"] += 1
        self._send(genl.tx_info_msg(hw, flags, cookie, st.ack_signal, list(st.rates)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hwsim-mediumd", description=__doc__.split("\n\n")[0])
    ap.add_argument("-c", "--config", required=True, help="wmediumd configuration file")
    ap.add_argument("-s", "--socket", required=True, help="the driver's external-medium socket")
    ap.add_argument("--seed", type=int, default=0, help="seed of the medium's random generator")
    ap.add_argument("--control", metavar="PATH",
                    help="serve wmediumd's run-time control API on this UNIX stream socket")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="hwsim-mediumd: %(message)s")
    try:
        daemon = MediumDaemon(args.config, seed=args.seed)
        daemon.connect(args.socket)
        if args.control:
            daemon.serve_control(args.control)
    except (OSError, ConfigError, MediumError) as e:
        print(f"hwsim-mediumd: {e}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: Any) -> None:
        daemon.done = True
        daemon.sched.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    daemon.run()
    if daemon.control is not None:
        daemon.control.close()
    log.info("done: %s", ", ".join(f"{k} {v}" for k, v in daemon.stats.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
