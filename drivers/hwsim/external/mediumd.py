"""hwsim-mediumd: a standalone modeled medium for mac80211_hwsim radios, like wmediumd.

It loads a wmediumd config file into the modeled C kernel, runs it in real
time, and serves every radio of the Linux kernel's MAC80211_HWSIM family
(a generic-netlink socket, the default) or of a driver's external-medium
UNIX socket (`-s`): it resolves the family and its `config` multicast group
by name, dumps the radios, REGISTERs, and answers every FRAME with the
deliveries and the TX_INFO_FRAME status the medium decides.

Radios are matched to the config's stations by any address they are known
by: the permanent address (42:...) and the interface address (02:...) of
a radio, every address announced with ADD_MAC_ADDR, and the transmitter
address of its frames.  A radio the config does not list gets a station of
its own with the config's default link (the perfect link for path-loss
models).  A radio listens on the channel of its last frame; one not heard
yet is tried on the channels of frames for it, one at a time, until the
kernel takes a delivery (see `_try_channel`).
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
from collections import OrderedDict
from typing import Any

from ic import RxInfo, TxStatus
from ic.sched import MS, SEC, Scheduler, TaskQueue

from ..kernel.medtypes import FIF_ALLMULTI, FIF_BEACONS, FIF_PROBE_REQ
from ..medium import MediumPort, medium_from_config
from . import genl
from .connection import Connection, WarnLimiter, hung_up
from .genl import Ack, Attr, Cmd, Done, GenlError, Message
from .stations import MAX_ADDRS, MAX_RADIOS, Radio, Stations, default_hwaddr
from .transport import Transport, open_kernel, open_unix
from .wcontrol import WmediumdControl
from .wmconfig import DEFAULT_TX_POWER, ConfigError
from .wserver import ControlServer

log = logging.getLogger("hwsim-mediumd")

CONNECT_TIMEOUT_S = 5.0
MAX_INFLIGHT = 8192  # frames in the medium awaiting their status; beyond, answered unsent
FLUSH_BYTES = 32 << 10  # messages to the kernel go out together, in one datagram, up to this size
TRY_CHANNEL_NS = 100 * MS  # how long a radio not heard yet is tried on one channel without an answer
REFUSED_CHANNEL_NS = SEC  # how long a channel the kernel said a radio is not on is not tried again
MAX_EARLY = 4096  # messages of the family kept while the handshake is still under way
SENT_MEMORY = 4096  # requests remembered by sequence number, to say what an error answers


def _errname(code: int) -> str:
    """The kernel's name of an errno (EOPNOTSUPP, which Python calls ENOTSUP)."""
    return "EOPNOTSUPP" if code == errno.EOPNOTSUPP else errno.errorcode.get(code, str(code))


class MediumError(RuntimeError):
    """The kernel or driver refused us or could not be reached."""


class MediumDaemon:
    """One modeled world answering one kernel or driver."""

    def __init__(self, config: str, *, seed: int = 0, sched: Scheduler | None = None,
                 max_radios: int = MAX_RADIOS, max_addrs: int = MAX_ADDRS) -> None:
        self.sched = sched or Scheduler(realtime=True)
        self.medium = medium_from_config(config, self.sched, seed=seed)
        self.warn = WarnLimiter(self.sched, log)
        self.stats: dict[str, int] = {"frames": 0, "deliveries": 0, "statuses": 0, "unknown_sender": 0,
                                      "errors": 0, "refused": 0, "malformed": 0, "radios_dropped": 0,
                                      "addrs_dropped": 0, "overload_drops": 0, "rx_no_radio": 0,
                                      "out_dropped": 0, "probe_offchannel": 0, "channels_learned": 0,
                                      "overruns": 0, "ignored": 0}
        self.stations = Stations(self.medium, self._setup_port, self.stats, self.warn.warn,
                                 max_radios=max_radios, max_addrs=max_addrs)
        self.ports = self.stations.ports  # by station
        self.radios = self.stations.radios  # hw -> radio
        self.by_addr = self.stations.by_addr  # learned address -> radio
        self.bound = self.stations.bound  # station -> radio
        self.unheard = self.stations.unheard  # stations whose radio's channel is not known yet
        self.frames: dict[int, tuple[bytes, int, int]] = {}  # frame id -> (hw, cookie, flags)
        self.family = 0
        self.transport: Transport | None = None
        self.conn: Connection | None = None
        self.done = False
        self.exit_reason = ""
        self._seq = 0
        self._sent: OrderedDict[int, str | tuple[str, bytes, int]] = OrderedDict()
        self._refused_ch: dict[tuple[int, int], int] = {}  # (station, MHz) -> when the kernel refused it
        self._probes: OrderedDict[int, tuple[Radio, int]] = OrderedDict()  # seq -> (radio, freq) asked to ack
        self._early: list[Message] = []
        self._obuf: list[bytes] = []
        self._olen = 0
        self._flush_pending = False
        # a task, not a timed event: the messages of one event leave together right after it
        self._outq = TaskQueue(self.sched, "mediumd-out")
        self.control: ControlServer | None = None  # wmediumd's run-time control API, when served

    def _setup_port(self, p: MediumPort, i: int) -> None:
        # Group frames reach every station (the kernel filters like mac80211 does);
        # unicast only the owner, whose ACK the medium models.
        p.filter = FIF_ALLMULTI | FIF_BEACONS | FIF_PROBE_REQ
        p.rx = lambda frame, info, i=i: self._rx(i, frame, info)
        p.tx_status = self._status

    # -- wmediumd's run-time control API (wserver, wcontrol) ---------------------------------
    def add_station(self, hwaddr: bytes) -> MediumPort:
        """A station for `hwaddr` as if the config named it (wmediumd's ADD)."""
        return self.stations.add_named(hwaddr, tx_power_dbm=round(DEFAULT_TX_POWER))

    def remove_station(self, port: MediumPort) -> None:
        """Take a station off the medium (wmediumd's DEL): its radio hears and sends nothing."""
        self.stations.remove_named(port)

    def serve_control(self, path: str) -> ControlServer:
        """Serve wmediumd's run-time control API on `path`."""
        # wmediumd's station ids are the config's; default stations are not among them
        ctl = WmediumdControl(self, self.ports[: self.stations.n_config])
        self.control = ControlServer(self.sched, path, ctl.handle)
        return self.control

    # -- connection ------------------------------------------------------------------------
    def connect(self, transport: Transport, *, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        """Resolve the family by name, join `config`, dump the radios, REGISTER
        (blocking: there is nothing else to do yet)."""
        self.transport = transport
        self.stations.radio_is_receiver = transport.radio_is_receiver
        sock = transport.sock
        sock.settimeout(timeout_s)
        try:
            seq = self._request(genl.getfamily_msg(), "GETFAMILY MAC80211_HWSIM", direct=True)
            reply = self._expect(seq, reply_type=genl.GENL_ID_CTRL)
            if reply is None or genl.CTRL_ATTR_FAMILY_ID not in reply.attrs:
                raise MediumError(f"{transport.name}: nlctrl named no MAC80211_HWSIM family id")
            self.family = reply.attrs[genl.CTRL_ATTR_FAMILY_ID]
            groups = reply.get(genl.CTRL_ATTR_MCAST_GROUPS, {})
            if transport.kind == "kernel":
                if genl.CONFIG_GROUP in groups:
                    transport.join(groups[genl.CONFIG_GROUP])
                else:
                    log.warning("%s: MAC80211_HWSIM has no '%s' group: radios created later go unseen",
                                transport.name, genl.CONFIG_GROUP)
            seq = self._request(Message(Cmd.GET_RADIO, type=self.family,
                                        flags=genl.NLM_F_REQUEST | genl.NLM_F_DUMP), "GET_RADIO dump",
                                direct=True)
            for m in self._expect_dump(seq):
                self.stations.radio_msg(m)
            seq = self._request(Message(Cmd.REGISTER, type=self.family,
                                        flags=genl.NLM_F_REQUEST | genl.NLM_F_ACK), "REGISTER", direct=True)
            self._expect(seq)
        except TimeoutError:
            transport.close()
            raise MediumError(f"{transport.name}: no answer within {timeout_s:g} s") from None
        except MediumError:
            transport.close()
            raise
        except OSError as e:
            transport.close()
            raise MediumError(f"{transport.name}: {e.strerror or e}") from None
        self.conn = Connection(self.sched, sock, transport.portid, self._datagram, self._closed)
        log.info("registered with %s as the medium of its radios (family id %d, %d radios, %d stations)",
                 transport.name, self.family, len(self.radios), self.stations.n_config)
        early, self._early = self._early, []
        for m in early:
            self._message(m)
        self._flush()

    def _recv(self) -> bytes:
        assert self.transport is not None
        while True:
            data = self.transport.sock.recv(65536)
            if data:
                return data
            if hung_up(self.transport.sock):
                # the end: a peer gone during the handshake must not make us spin
                raise MediumError(f"{self.transport.name} closed the connection during the handshake")
            self.stats["malformed"] += 1  # a zero-length datagram

    def _expect(self, seq: int, *, reply_type: int | None = None) -> Message | None:
        """Wait for the answer to request `seq`: its ack (and a reply of `reply_type`)."""
        reply = None
        while True:
            for item in genl.decode(self._recv(), self.family or -1):
                if isinstance(item, Ack) and item.req_seq == seq:
                    if item.error < 0:
                        self._refused_fatal(seq, -item.error)
                    return reply
                if isinstance(item, Message) and reply_type is not None and item.type == reply_type \
                        and item.seq == seq:
                    reply = item
                elif isinstance(item, Message) and item.type == self.family and self.family:
                    self._stash(item)  # a frame or announcement before we run: handled once we do

    def _expect_dump(self, seq: int) -> list[Message]:
        out: list[Message] = []
        while True:
            for item in genl.decode(self._recv(), self.family):
                if isinstance(item, Done) and item.seq == seq:
                    return out
                if isinstance(item, Ack) and item.req_seq == seq:
                    if item.error < 0:  # a medium without dumps: radios are learned from traffic
                        log.info("GET_RADIO dump refused: %s", os.strerror(-item.error))
                        return out
                    return out
                if isinstance(item, Message) and item.type == self.family:
                    if item.seq == seq and item.cmd == Cmd.GET_RADIO:
                        out.append(item)
                    else:
                        self._stash(item)

    def _stash(self, msg: Message) -> None:
        if len(self._early) < MAX_EARLY:
            self._early.append(msg)
        else:
            self.stats["malformed"] += 1  # a flood during the handshake: counted, not kept

    def _refused_fatal(self, seq: int, code: int) -> None:
        what = self._describe(seq)
        name = self.transport.name if self.transport else "the medium socket"
        if code == errno.EBUSY:
            raise MediumError(f"{name} refused {what}: {os.strerror(code)} (EBUSY): another medium "
                              "(wmediumd or another hwsim-mediumd) is registered in this network namespace")
        hint = ""
        if "REGISTER" in what and code == errno.EOPNOTSUPP:
            hint = ": a radio has more than one channel (channels > 1), which no medium can serve"
        elif "REGISTER" in what and code == errno.EPERM:
            hint = ": registering needs CAP_NET_ADMIN"
        code_name = _errname(code)
        raise MediumError(f"{name} refused {what}: {os.strerror(code)} ({code_name}){hint}")

    def _closed(self, conn: Connection) -> None:
        self.exit_reason = ("the kernel closed the socket" if self._kernel
                            else "the driver closed the medium socket")
        log.info("%s", self.exit_reason)
        self.done = True
        self.sched.stop()

    @property
    def _kernel(self) -> bool:
        return self.transport is not None and self.transport.kind == "kernel"

    def run(self) -> None:
        while not self.done:
            self.sched.run_for(SEC)

    def close(self) -> None:
        """Leave: the kernel (or driver) falls back to its built-in perfect medium."""
        self._flush()
        if self.conn is not None:
            self.conn.on_close = lambda c: None
            self.conn.close()
        elif self.transport is not None:
            self.transport.close()
        if self.transport is not None:
            who = "the kernel falls back to its perfect medium" if self._kernel \
                else "the driver falls back to its built-in medium"
            log.info("medium released: %s", who)

    # -- requests to the kernel ---------------------------------------------------------------
    def _describe(self, seq: int) -> str:
        what = self._sent.get(seq)
        if what is None:
            return f"request seq {seq}"
        if isinstance(what, tuple):
            cmd, hw, n = what
            return f"{cmd} {hw.hex(':')} #{n} (seq {seq})"
        return f"{what} (seq {seq})"

    def _next_seq(self, what: str) -> int:
        self._seq = self._seq + 1 if self._seq < 0xFFFF_FFFF else 1
        self._sent[self._seq] = what
        if len(self._sent) > SENT_MEMORY:
            self._sent.popitem(last=False)
        return self._seq

    def _request(self, msg: Message, what: str, *, direct: bool = False) -> int:
        msg.seq = self._next_seq(what)
        data = genl.encode(msg)
        if direct:
            assert self.transport is not None
            self.transport.sock.send(data)
        else:
            self._emit(data)
        return msg.seq

    def _emit(self, data: bytes) -> None:
        """Queue one message; they leave together at the end of this instant
        (or when the datagram is full)."""
        if self._olen + len(data) > FLUSH_BYTES:
            self._flush()
        self._obuf.append(data)
        self._olen += len(data)
        if not self._flush_pending:
            self._flush_pending = True
            self._outq.enqueue(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        if not self._obuf:
            return
        data = b"".join(self._obuf)
        self._obuf.clear()
        self._olen = 0
        if self.conn is not None and not self.conn.closed:
            self.conn.send(data)
            self.stats["out_dropped"] = self.conn.out_dropped

    # -- from the kernel ------------------------------------------------------------------------
    def _datagram(self, conn: Connection, data: bytes) -> None:
        if not data:
            self.stats["malformed"] += 1
            self.warn.warn("empty", "empty datagram from %s", self.transport.name if self.transport else "?")
            return
        for item in genl.decode(data, self.family):
            if isinstance(item, Message):
                if item.type == self.family:
                    self._message(item)
                else:
                    self._ignored(f"type {item.type}", "ignoring a message of type %d", item.type)
            elif isinstance(item, Ack):
                probe = self._probes.pop(item.req_seq, None) if self._probes else None
                if probe is not None:
                    self._probed(probe[0], probe[1], item.error)
                elif item.error < 0:
                    self._kernel_error(item)
                else:
                    self._ignored("ack", "ignoring an answer to nothing we asked (seq %d)", item.req_seq)
            elif isinstance(item, Done):
                self._ignored("done", "ignoring the end of a dump we did not ask for")
            elif isinstance(item, GenlError):
                self.stats["malformed"] += 1
                self.warn.warn("malformed", "malformed message from %s: %s",
                               self.transport.name if self.transport else "?", item)
        self.stats["out_dropped"] = conn.out_dropped
        if conn.overruns != self.stats["overruns"]:  # the kernel dropped messages we were too slow for
            self.stats["overruns"] = conn.overruns
            self.warn.warn("overrun", "%s dropped messages for us (ENOBUFS): %d times so far",
                           self.transport.name if self.transport else "?", conn.overruns)

    def _ignored(self, key: str, fmt: str, *args: Any) -> None:
        """A well-formed message that answers or asks nothing of ours: counted, not acted on."""
        self.stats["ignored"] += 1
        self.warn.warn(key, fmt + " from %s", *args, self.transport.name if self.transport else "?")

    def _try_channel(self, freq: int, addr1: bytes) -> None:
        """Radios not heard yet listen where a frame for them (group-addressed
        or to one of their addresses) is, one channel at a time: the kernel's
        answer to the delivery says whether the radio is there (then it is
        known) or not (then the next such frame's channel is tried).  A
        channel without an answer is given up after TRY_CHANNEL_NS."""
        now = self.sched.now_ns
        unheard, refused = self.unheard, self._refused_ch
        group = bool(addr1[0] & 1) if addr1 else True
        for st, tried in unheard.items():
            if not group and not self.ports[st].owns(addr1):
                continue  # a frame for another radio says nothing of where this one is
            if tried is None or (tried[0] != freq and now - tried[1] >= TRY_CHANNEL_NS):
                when = refused.get((st, freq))
                if when is not None and now - when < REFUSED_CHANNEL_NS:
                    continue  # the kernel said it is not there, a moment ago
                unheard[st] = (freq, now)
                port = self.ports[st]
                if port.freq != freq:
                    port.freq = freq

    def _probed(self, r: Radio, freq: int, error: int) -> None:
        """The answer to a delivery to a radio whose channel we did not know."""
        if error < 0:
            self.stats["probe_offchannel"] += 1  # not its channel: the kernel's own check, expected
            st = r.station
            tried = self.unheard.get(st) if st is not None else None
            if st is not None and tried is not None and tried[0] == freq:
                self.unheard[st] = None  # try the channel of the next frame
                if len(self._refused_ch) >= SENT_MEMORY:
                    self._refused_ch.clear()
                self._refused_ch[(st, freq)] = self.sched.now_ns
        elif r.freq is None and r.station is not None and self.radios.get(r.hw) is r:
            r.freq = freq  # it took the frame: it listens there
            self.unheard.pop(r.station, None)
            self.ports[r.station].freq = freq
            self.stats["channels_learned"] += 1

    def _kernel_error(self, a: Ack) -> None:
        code = -a.error
        self.stats["refused"] += 1
        self.stats["errors"] += 1
        key = f"refused {_errname(code)}"
        what = self._describe(a.req_seq)
        self.warn.warn(key, "%s refused %s: %s (%s)", self.transport.name if self.transport else "the peer",
                       what, os.strerror(code), _errname(code))

    def _message(self, msg: Message) -> None:
        cmd = msg.cmd
        if cmd == Cmd.FRAME:
            self._frame(msg)
        elif cmd == Cmd.ADD_MAC_ADDR or cmd == Cmd.DEL_MAC_ADDR:
            self.stations.mac_addr(msg, cmd == Cmd.ADD_MAC_ADDR)
        elif cmd == Cmd.NEW_RADIO:
            self.stations.radio_msg(msg)
        elif cmd == Cmd.DEL_RADIO:
            rid = msg.get(Attr.RADIO_ID)
            for r in [r for r in self.radios.values() if r.radio_id == rid and rid is not None]:
                log.info("radio %s (%s) removed", r.hw.hex(":"), r.name or rid)
                self.stations.remove(r)
        else:
            self.stats["malformed"] += 1
            self.warn.warn(f"command {cmd}", "ignoring command %d from %s", cmd,
                           self.transport.name if self.transport else "?")

    def _frame(self, msg: Message) -> None:
        a = msg.attrs
        hw, frame = a.get(Attr.ADDR_TRANSMITTER), a.get(Attr.FRAME)
        if hw is None or frame is None or Attr.COOKIE not in a:
            self.stats["malformed"] += 1
            self.warn.warn("frame without attributes", "FRAME without TRANSMITTER, FRAME or COOKIE from %s",
                           self.transport.name if self.transport else "?")
            return
        flags, cookie = a.get(Attr.FLAGS, 0), a[Attr.COOKIE]
        self.stats["frames"] += 1
        r = self.radios.get(hw)
        if r is None or not r.confirmed:
            r = self.stations.radio(hw)
        rates = []
        for idx, count in a.get(Attr.TX_INFO, genl.NO_RATES):
            if idx < 0:
                break
            rates.append((idx, max(count, 1)))
        fid = -errno.ENODEV
        if r is not None and r.station is not None and len(self.frames) < MAX_INFLIGHT:
            if len(frame) >= 16:
                self.stations.learn(r, frame[10:16])  # addr2: a vap address we may not have been told of
            port = self.ports[r.station]
            freq = a.get(Attr.FREQ)
            if freq:
                if r.freq != freq:
                    r.freq = freq
                    self.unheard.pop(r.station, None)
                    port.freq = freq
                if self.unheard:
                    self._try_channel(freq, frame[4:10])
            fid = port.transmit(frame, rates or ((0, 1),), no_ack=bool(flags & genl.TX_CTL_NO_ACK))
        elif r is None or r.station is None:
            self.stats["unknown_sender"] += 1
        else:
            self.stats["overload_drops"] += 1
            self.warn.warn("overload", "%d frames in the medium: answering a frame of %s unsent",
                           MAX_INFLIGHT, hw.hex(":"))
        if fid < 0:
            # Answer anyway: the radio keeps the frame pending until it has a status.
            self._emit_status(hw, flags, cookie, 0, genl.pack_tx_info(tuple((i, 0) for i, _ in rates)))
        else:
            self.frames[fid] = (hw, cookie, flags)

    # -- to the kernel ---------------------------------------------------------------------------
    def _emit_status(self, hw: bytes, flags: int, cookie: int, signal: int, txi: bytes) -> None:
        self._seq = self._seq + 1 if self._seq < 0xFFFF_FFFF else 1
        self._remember(self._seq, "TX_INFO_FRAME", hw, cookie)
        self._emit(genl.encode_tx_info(self.family, hw, flags, cookie, signal, txi, seq=self._seq))

    def _remember(self, seq: int, cmd: str, hw: bytes, n: int) -> None:
        # what a later error names: the text is made only if one comes
        sent = self._sent
        sent[seq] = (cmd, hw, n)
        if len(sent) > SENT_MEMORY:
            sent.popitem(last=False)

    def _rx(self, station: int, frame: bytes, info: RxInfo) -> None:
        r = self.bound.get(station)
        if r is None:
            self.stats["rx_no_radio"] += 1
            return
        self.stats["deliveries"] += 1
        self._seq = self._seq + 1 if self._seq < 0xFFFF_FFFF else 1
        self._remember(self._seq, "FRAME to", r.hw, len(frame))
        flags = genl.NLM_F_REQUEST
        if r.freq is None:
            # Its channel is unknown: the kernel's answer (ack or EINVAL for another
            # channel) tells us, so later frames go to it only on its own channel.
            flags |= genl.NLM_F_ACK
            self._probes[self._seq] = (r, info.freq)
            if len(self._probes) > SENT_MEMORY:
                self._probes.popitem(last=False)
        self._emit(genl.encode_delivery(self.family, r.hw, frame, info.rate_idx, info.signal, info.freq,
                                        seq=self._seq, flags=flags))

    def _status(self, frame: bytes, st: TxStatus) -> None:
        entry = self.frames.pop(st.frame_id, None)
        if entry is None:
            return
        hw, cookie, flags = entry
        if st.acked:
            flags |= genl.TX_STAT_ACK
        self.stats["statuses"] += 1
        self._emit_status(hw, flags, cookie, st.ack_signal if st.acked else 0, genl.pack_tx_info(st.rates))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hwsim-mediumd", description=__doc__.split("\n\n")[0])
    ap.add_argument("-c", "--config", required=True, help="wmediumd configuration file")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("-s", "--socket",
                       help="serve a driver's external-medium UNIX socket instead of the kernel")
    where.add_argument("--kernel", action="store_true",
                       help="serve the Linux kernel's mac80211_hwsim radios over generic netlink "
                            "(the default)")
    ap.add_argument("--netns", metavar="NAME",
                    help="serve the radios of network namespace NAME (kernel mode)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the medium's random generator")
    ap.add_argument("--control", metavar="PATH",
                    help="serve wmediumd's run-time control API on this UNIX stream socket")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.netns and args.socket:
        ap.error("--netns applies to the kernel, not to a driver's socket")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="hwsim-mediumd: %(message)s")
    try:
        daemon = MediumDaemon(args.config, seed=args.seed)
        if args.socket:
            try:
                transport = open_unix(args.socket)
            except OSError as e:
                raise MediumError(f"{args.socket}: {e.strerror or e}") from None
        else:
            try:
                transport = open_kernel(args.netns)
            except OSError as e:
                where_ = f" in {args.netns}" if args.netns else ""
                why = e.strerror or e
                raise MediumError(f"cannot open a generic netlink socket{where_}: {why}") from None
        daemon.connect(transport)
        if args.control:
            daemon.serve_control(args.control)
    except MediumError as e:
        msg = str(e)
        if not args.socket and "MAC80211_HWSIM" in msg and "No such file" in msg:
            msg += " (is mac80211_hwsim loaded?)"
        print(f"hwsim-mediumd: {msg}", file=sys.stderr)
        return 1
    except (OSError, ConfigError) as e:
        print(f"hwsim-mediumd: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # interrupted during the handshake: nothing registered yet
        return 130

    def stop(signum: int, frame: Any) -> None:
        daemon.exit_reason = signal.Signals(signum).name
        daemon.done = True
        daemon.sched.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    daemon.run()
    if daemon.control is not None:
        daemon.control.close()
    daemon.close()
    log.info("done (%s): %s", daemon.exit_reason, ", ".join(f"{k} {v}" for k, v in daemon.stats.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["MediumDaemon", "MediumError", "Radio", "WarnLimiter", "default_hwaddr", "main"]
