"""hwsim-mediumd: a standalone modeled medium for mac80211_hwsim radios, like wmediumd.

It loads a wmediumd config file into the modeled C kernel, runs it in real
time, and serves every radio of the Linux kernel's MAC80211_HWSIM family
(a generic-netlink socket, the default), of drivers' external-medium UNIX
sockets (`-s`, repeatable), or of both in one world (`--kernel -s ...`):
for each (a peer, peer.py) it resolves the family and its `config`
multicast group by name, dumps the radios, REGISTERs, and answers every
FRAME with the deliveries and the TX_INFO_FRAME status the medium decides,
each message encoded for the peer that receives it.  Radios are keyed by
(peer, hardware address): mac80211_hwsim and the hwsim driver number
their radios alike.

Radios are matched to the config's stations by any address they are known
by: the permanent address (42:...) and the interface address (02:...) of
a radio, every address announced with ADD_MAC_ADDR, and the transmitter
address of its frames.  A radio the config does not list gets a station of
its own with the config's default link (the perfect link for path-loss
models).  A radio listens on the channel of its last frame; one not heard
yet is tried on the channels of frames for it, one at a time, until the
kernel takes a delivery (see `_try_channel`).

Each peer gets its share of the daemon and no more (peer.py): its turn at
reading, its share of the frames in the medium and of the radio table,
and nothing built for it while it does not read; a peer that floods
saturates its own radios' airtime and queues, not the others'.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import random
import signal
import sys
from typing import Any

from ic import RxInfo, TxStatus
from ic.sched import MS, SEC, Scheduler

from ..kernel import CKernel
from ..kernel.medtypes import FIF_ALLMULTI, FIF_BEACONS, FIF_PROBE_REQ
from ..medium import MediumPort, medium_from_config
from . import genl
from .connection import READ_BUDGET, RECV_BATCH, SLOW_COST, Connection, WarnLimiter, hung_up
from .fastout import FastOutput
from .fastpath import FastConnection, FastInput, put_mark
from .genl import Ack, Attr, Cmd, Done, GenlError, Message
from .peer import SENT_MEMORY, Peer
from .priority import REALTIME_PRIORITY, raise_priority
from .stations import MAX_ADDRS, MAX_RADIOS, Radio, Stations, default_hwaddr
from .transport import Transport, open_kernel, open_unix
from .wcontrol import WmediumdControl
from .wmconfig import DEFAULT_TX_POWER, ConfigError
from .wserver import ControlServer

log = logging.getLogger("hwsim-mediumd")

CONNECT_TIMEOUT_S = 5.0
MAX_INFLIGHT = 8192  # frames in the medium awaiting a status, shared by the peers; beyond, answered unsent
TRY_CHANNEL_NS = 100 * MS  # how long a radio not heard yet is tried on one channel without an answer
REFUSED_CHANNEL_NS = SEC  # how long a channel the kernel said a radio is not on is not tried again
# Deliveries and statuses due within this of the wall clock leave at once, with everything else
# due by then, rather than after a sleep of their own: a sleep lasts a millisecond at least (more
# in an emulated VM), a frame's airtime a fraction of one.
PACE_SLACK_NS = MS
SLOT_NS = 9_000  # aSlotTime (OFDM)
DELAY_SLOTS = 2 * 15  # 2 * aCWmin: the random delay before a beacon (or a frame that would
                      # start with another), in slots


_ONE_TRY = ((0, 1),)  # a frame without a rate chain: one try at the lowest rate
_NO_TX_INFO = genl.pack_tx_info(()) + genl.pack_tx_info_flags(())
# TX_INFO and TX_INFO_FLAGS bytes -> the chain and its rate flags (a medium sees few)
_RATES: dict[bytes, tuple[tuple[tuple[int, int], ...], tuple[int, ...]]] = {}


def _rate_chain(txi: bytes) -> tuple[tuple[int, int], ...]:
    """TX_INFO's {s8 idx; u8 count} entries (`txi`'s first 8 bytes) up to the first
    idx < 0 (a count of 0 taken as 1)."""
    out = []
    for k in range(0, min(len(txi), 8) & ~1, 2):
        idx = txi[k] - 256 if txi[k] > 127 else txi[k]
        if idx < 0:
            break
        out.append((idx, max(txi[k + 1], 1)))
    return tuple(out) or _ONE_TRY


def _rate_flags(txi: bytes, n: int) -> tuple[int, ...]:
    """The hwsim_tx_rate_flags of the chain's first n entries, from TX_INFO_FLAGS'
    {s8 idx; u16 flags} entries (`txi`'s bytes 8..19; absent: 0): MCS, VHT MCS,
    channel width, short guard interval (kernel/rates.py)."""
    txf = txi[8:20]
    return tuple(txf[3 * k + 1] | txf[3 * k + 2] << 8 if 3 * k + 3 <= len(txf) else 0 for k in range(n))


def _errname(code: int) -> str:
    """The kernel's name of an errno (EOPNOTSUPP, which Python calls ENOTSUP)."""
    return "EOPNOTSUPP" if code == errno.EOPNOTSUPP else errno.errorcode.get(code, str(code))


class MediumError(RuntimeError):
    """The kernel or driver refused us or could not be reached."""


class MediumDaemon:
    """One modeled world answering the kernel, drivers' sockets, or both."""

    def __init__(self, config: str, *, seed: int = 0, sched: Scheduler | None = None,
                 max_radios: int = MAX_RADIOS, max_addrs: int = MAX_ADDRS, fast: bool = True) -> None:
        self.sched = sched or Scheduler(realtime=True, early_ns=PACE_SLACK_NS)
        self._rng = random.Random(seed)  # the delays before beacons and simultaneous frames
        # when the last frame went on the medium, and whose: shared with the C path
        self._put_mark = put_mark()
        self._held: dict[int, int] = {}  # station -> when its delayed frame goes on the medium
        self.medium = medium_from_config(config, self.sched, seed=seed)
        # The C input path (fastpath.py) for the frames of steady radios; False: Python
        # alone, the reference it is tested against.
        self.fast = fast and isinstance(self.medium._k, CKernel)
        self._steady: list[FastInput] = []  # each peer's steady transmitters, when fast
        # The C output path (fastout.py) for the deliveries and statuses of the frames the C
        # input path took; stations tell it when they change.
        self._out: FastOutput | None = None
        if self.fast:
            assert isinstance(self.medium._k, CKernel)
            self._out = FastOutput(self, self.medium._k)
            self.medium.event_sink = self._out.run
        self.warn = WarnLimiter(self.sched, log)
        self.stats: dict[str, int] = {"frames": 0, "deliveries": 0, "statuses": 0, "unknown_sender": 0,
                                      "errors": 0, "refused": 0, "malformed": 0, "radios_dropped": 0,
                                      "addrs_dropped": 0, "overload_drops": 0, "rx_no_radio": 0,
                                      "out_dropped": 0, "probe_offchannel": 0, "channels_learned": 0,
                                      "overruns": 0, "address_clashes": 0, "channels_lost": 0, "ignored": 0,
                                      "unannounced": 0, "radios_asleep": 0, "stale_cookies": 0,
                                      "queue_full": 0, "rx_dropped": 0}
        self.stations = Stations(self.medium, self._setup_port, self.stats, self.warn.warn,
                                 max_radios=max_radios, max_addrs=max_addrs)
        self.ports = self.stations.ports  # by station
        self.stations.changed = self._touch
        self.bound = self.stations.bound  # station -> radio
        self.unheard = self.stations.unheard  # stations whose radio's channel is not known yet
        self.frames: dict[int, tuple[Peer, bytes, int, int]] = {}  # frame id -> (peer, hw, cookie, flags)
        self.peers: list[Peer] = []  # the kernel and drivers served, in the order connected
        self.done = False
        self.exit_reason = ""
        self._refused_ch: dict[tuple[int, int], int] = {}  # (station, MHz) -> when the kernel refused it
        self.control: ControlServer | None = None  # wmediumd's run-time control API, when served

    # The first peer's view, for a daemon serving one kernel or driver.
    @property
    def transport(self) -> Transport | None:
        return self.peers[0].transport if self.peers else None

    @property
    def conn(self) -> Connection | None:
        return self.peers[0].conn if self.peers else None

    @property
    def family(self) -> int:
        return self.peers[0].family if self.peers else 0

    @property
    def radios(self) -> dict[bytes, Radio]:
        """The first peer's radios by hardware address."""
        return {hw: r for (p, hw), r in self.stations.radios.items() if p == 0}

    @property
    def by_addr(self) -> dict[bytes, Radio]:
        return {a: r for (p, a), r in self.stations.by_addr.items() if p == 0}

    def _setup_port(self, p: MediumPort, i: int) -> None:
        # Group frames reach every station (the kernel filters like mac80211 does);
        # unicast only the owner, whose ACK the medium models.
        p.filter = FIF_ALLMULTI | FIF_BEACONS | FIF_PROBE_REQ
        p.rx = lambda frame, info, i=i: self._rx(i, frame, info)
        p.tx_status = self._status

    # -- wmediumd's run-time control API (wserver, wcontrol) ---------------------------------
    def add_station(self, hwaddr: bytes) -> MediumPort:
        """A station for `hwaddr` as if the config named it (wmediumd's ADD)."""
        self._unsteady()
        port = self.stations.add_named(hwaddr, tx_power_dbm=round(DEFAULT_TX_POWER))
        if self._out is not None:
            self._out.touch_all()
        return port

    def remove_station(self, port: MediumPort) -> None:
        """Take a station off the medium (wmediumd's DEL): its radio hears and sends nothing."""
        self._unsteady()
        self.stations.remove_named(port)
        if self._out is not None:
            self._out.touch_all()

    def serve_control(self, path: str) -> ControlServer:
        """Serve wmediumd's run-time control API on `path`."""
        # wmediumd's station ids are the config's; default stations are not among them
        # Its requests reach the kernel's links directly, which the C path reads as they are;
        # adding or removing a station goes through add_station/remove_station below.
        ctl = WmediumdControl(self, self.ports[: self.stations.n_config])
        self.control = ControlServer(self.sched, path, ctl.handle)
        return self.control

    # -- connection ------------------------------------------------------------------------
    def connect(self, transport: Transport, *, timeout_s: float = CONNECT_TIMEOUT_S) -> Peer:
        """Resolve the family by name, join `config`, dump the radios, REGISTER
        (blocking: a peer is only served once it has answered).  Called once
        per kernel or driver; their radios share the one medium."""
        peer = Peer(len(self.peers), transport, self.sched)
        self.stations.radio_is_receiver[peer.index] = transport.radio_is_receiver
        sock = transport.sock
        sock.settimeout(timeout_s)
        try:
            seq = peer.request(genl.getfamily_msg(), "GETFAMILY MAC80211_HWSIM", direct=True)
            reply = self._expect(peer, seq, reply_type=genl.GENL_ID_CTRL)
            if reply is None or genl.CTRL_ATTR_FAMILY_ID not in reply.attrs:
                raise MediumError(f"{transport.name}: nlctrl named no MAC80211_HWSIM family id")
            peer.family = reply.attrs[genl.CTRL_ATTR_FAMILY_ID]
            groups = reply.get(genl.CTRL_ATTR_MCAST_GROUPS, {})
            if transport.kind == "kernel":
                if genl.CONFIG_GROUP in groups:
                    transport.join(groups[genl.CONFIG_GROUP])
                else:
                    log.warning("%s: MAC80211_HWSIM has no '%s' group: radios created later go unseen",
                                transport.name, genl.CONFIG_GROUP)
            seq = peer.request(Message(Cmd.GET_RADIO, type=peer.family,
                                       flags=genl.NLM_F_REQUEST | genl.NLM_F_DUMP), "GET_RADIO dump",
                               direct=True)
            dump = self._expect_dump(peer, seq)
            if dump is None:
                self.stations.unannouncing.add(peer.index)
                dump = []
            seq = peer.request(Message(Cmd.REGISTER, type=peer.family,
                                       flags=genl.NLM_F_REQUEST | genl.NLM_F_ACK), "REGISTER", direct=True)
            self._expect(peer, seq)
        except TimeoutError:
            transport.close()
            raise MediumError(f"{transport.name}: no answer within {timeout_s:g} s") from None
        except MediumError:
            transport.close()
            raise
        except OSError as e:
            transport.close()
            raise MediumError(f"{transport.name}: {e.strerror or e}") from None
        # Only a registered peer's radios join the medium: a refused one leaves nothing behind.
        self.peers.append(peer)
        self._share()
        for m in dump:
            self.stations.radio_msg(m, peer.index)
        self._unsteady()
        if self._out is not None:
            if self._out.peer(peer.index, peer.family):
                peer.recall = lambda seq, i=peer.index, out=self._out: out.recall(i, seq)
            self._out.touch_all()
        if self.fast:
            steady = FastInput(self.medium._k.raw_handles(), self._put_mark)
            self._steady.append(steady)
            peer.conn = FastConnection(self.sched, sock, transport.portid,
                                       lambda c, data: self._datagram(peer, data),
                                       lambda c: self._closed(peer), daemon=self, peer=peer, fast=steady)
        else:
            peer.conn = Connection(self.sched, sock, transport.portid,
                                   lambda c, data: self._datagram(peer, data), lambda c: self._closed(peer))
        self._share()  # its connection's reading budget
        n = sum(1 for p, _ in self.stations.radios if p == peer.index)
        log.info("registered with %s as the medium of its radios (family id %d, %d radios, %d stations)",
                 transport.name, peer.family, n, self.stations.n_config)
        early, peer.early = peer.early, []
        for m in early:
            self._message(peer, m)
        peer.flush()
        return peer

    def _recv(self, peer: Peer) -> bytes:
        sock = peer.transport.sock
        while True:
            data = sock.recv(65536)
            if data:
                return data
            if hung_up(sock):
                # the end: a peer gone during the handshake must not make us spin
                raise MediumError(f"{peer.name} closed the connection during the handshake")
            self.stats["malformed"] += 1  # a zero-length datagram

    def _expect(self, peer: Peer, seq: int, *, reply_type: int | None = None) -> Message | None:
        """Wait for the answer to request `seq`: its ack (and a reply of `reply_type`)."""
        reply = None
        while True:
            for item in genl.decode(self._recv(peer), peer.family or -1):
                if isinstance(item, Ack) and item.req_seq == seq:
                    if item.error < 0:
                        self._refused_fatal(peer, seq, -item.error)
                    return reply
                if isinstance(item, Message) and reply_type is not None and item.type == reply_type \
                        and item.seq == seq:
                    reply = item
                elif isinstance(item, Message) and item.type == peer.family and peer.family:
                    self._stash(peer, item)  # a frame or announcement before we run: handled once we do

    def _expect_dump(self, peer: Peer, seq: int) -> list[Message] | None:
        """The radios the peer announces; None when it has no dump (then they are learned from traffic)."""
        out: list[Message] = []
        while True:
            for item in genl.decode(self._recv(peer), peer.family):
                if isinstance(item, Done) and item.seq == seq:
                    return out
                if isinstance(item, Ack) and item.req_seq == seq:
                    if item.error < 0:  # a medium without dumps: radios are learned from traffic
                        log.info("GET_RADIO dump refused: %s (radios are learned from their frames)",
                                 os.strerror(-item.error))
                        return None
                    return out
                if isinstance(item, Message) and item.type == peer.family:
                    if item.seq == seq and item.cmd == Cmd.GET_RADIO:
                        out.append(item)
                    else:
                        self._stash(peer, item)

    def _stash(self, peer: Peer, msg: Message) -> None:
        if not peer.stash(msg):
            self.stats["malformed"] += 1  # a flood during the handshake: counted, not kept

    def _refused_fatal(self, peer: Peer, seq: int, code: int) -> None:
        what = peer.describe(seq)
        name = peer.name
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

    def _share(self) -> None:
        """Each live peer's share of the frames in the medium and of the radio table."""
        live = [p for p in self.peers if not p.closed]
        for p in live:
            p.quota = MAX_INFLIGHT // len(live)
            if p.conn is not None:
                # alone, a peer reads as much in a turn as it ever did: nobody waits for its turn
                p.conn.read_budget = READ_BUDGET if len(live) > 1 else SLOW_COST * RECV_BATCH
        self.stations.quota = max(self.stations.max_radios // max(len(live), 1), 1)

    @property
    def frames_in_medium(self) -> int:
        """Frames in the medium awaiting their status, in Python's table or in C's."""
        return len(self.frames) + (len(self._out) if self._out is not None else 0)

    def _touch(self, station: int, r: Radio) -> None:
        """Radio `r` was bound to `station` or unbound from it, or its channel was learned
        or lost (the answers to our requests change radios only through here)."""
        if self._out is not None:
            self._out.touch(station)
        if self._steady and r.peer < len(self._steady):
            self._steady[r.peer].forget(r.hw)

    def _unsteady(self) -> None:
        """Forget every steady transmitter: something only Python follows is happening."""
        for steady in self._steady:
            steady.forget()

    def _closed(self, peer: Peer) -> None:
        self._unsteady()
        if self._out is not None:
            self._out.touch_all()
        peer.closed = True
        reason = "the kernel closed the socket" if peer.is_kernel else f"the driver closed {peer.name}"
        log.info("%s", reason)
        # Its frames in the medium are answered to nobody; its radios leave the world.
        for fid in [fid for fid, e in self.frames.items() if e[0] is peer]:
            del self.frames[fid]
        peer.inflight = 0
        self.stations.remove_peer(peer.index)
        self._share()
        if all(p.closed for p in self.peers):
            self.exit_reason = reason
            self.done = True
            self.sched.stop()

    def run(self) -> None:
        while not self.done:
            self.sched.run_for(SEC)

    def close(self) -> None:
        """Leave: the kernel (or driver) falls back to its built-in perfect medium."""
        frames = self.medium.stop_capture()  # flush a --pcap capture
        if frames:
            log.info("captured %d frames", frames)
        for peer in self.peers:
            peer.close()
            who = "the kernel falls back to its perfect medium" if peer.is_kernel \
                else f"the driver of {peer.name} falls back to its built-in medium"
            log.info("medium released: %s", who)
        self._count_out_dropped()
        if len(self.peers) > 1:
            for peer in self.peers:
                log.info("peer %d (%s): %s", peer.index, peer.name,
                         ", ".join(f"{k} {v}" for k, v in peer.counters().items()))
        fast = sum(p.conn.fast_frames for p in self.peers if isinstance(p.conn, FastConnection))
        if self.fast:
            log.info("%d of %d frames took the C path", fast, self.stats["frames"])
        if self._out is not None:
            log.info("%d of %d deliveries and %d of %d statuses took the C path", self._out.deliveries,
                     self.stats["deliveries"], self._out.statuses, self.stats["statuses"])
        counters = self.medium.counters
        if counters.get("rts") or counters.get("cts"):
            log.info("the medium sent %d RTS and %d CTS frames (rates flagged for RTS/CTS or CTS-to-self)",
                     counters["rts"], counters["cts"])

    def _flush(self) -> None:
        for peer in self.peers:
            peer.flush()

    # -- from the kernel or a driver --------------------------------------------------------------
    def _count_out_dropped(self) -> None:
        self.stats["out_dropped"] = sum(p.conn.out_dropped for p in self.peers if p.conn is not None)

    def _datagram(self, peer: Peer, data: bytes) -> int:
        """Handle one datagram of `peer`; what it cost of the peer's turn at reading."""
        # The hot path: one FRAME as mac80211_hwsim builds it, read without building a message.
        f = genl.kernel_frame_fields(data, peer.family)
        if f is not None:
            if self._steady:
                # Its transmitter is no longer steady; `_tx` forgets the others when it
                # changes anything of theirs, and says whether this one is again.
                self._steady[peer.index].forget(f[0])
            self.stats["frames"] += 1
            self._tx(peer, *f)
            if peer.conn is not None and peer.conn.out_dropped:
                self._count_out_dropped()
            return 1
        if not data:
            self.stats["malformed"] += 1
            self.warn.warn("empty", "empty datagram from %s", peer.name)
            return 1
        items = genl.decode(data, peer.family)
        for item in items:
            if isinstance(item, Message):
                if self._steady:
                    self._unsteady()  # any other message may change any radio
                if item.type == peer.family:
                    self._message(peer, item)
                else:
                    self._ignored(peer, f"type {item.type}", "ignoring a message of type %d", item.type)
            elif isinstance(item, Ack):
                probe = peer.probes.pop(item.req_seq, None) if peer.probes else None
                if probe is not None:
                    self._probed(probe[0], probe[1], item.error)
                elif item.error < 0:
                    self._kernel_error(peer, item)
                else:
                    self._ignored(peer, "ack", "ignoring an answer to nothing we asked (seq %d)",
                                  item.req_seq)
            elif isinstance(item, Done):
                self._ignored(peer, "done", "ignoring the end of a dump we did not ask for")
            elif isinstance(item, GenlError):
                self.stats["malformed"] += 1
                self.warn.warn("malformed", "malformed message from %s: %s", peer.name, item)
        conn = peer.conn
        if conn is None:
            return SLOW_COST * len(items)
        if conn.out_dropped:
            self._count_out_dropped()
        if conn.overruns and peer.index == 0 and conn.overruns != self.stats["overruns"]:
            # the kernel dropped messages we were too slow for
            self.stats["overruns"] = conn.overruns
            self.warn.warn("overrun", "%s dropped messages for us (ENOBUFS): %d times so far",
                           peer.name, conn.overruns)
        return SLOW_COST * len(items)

    def _ignored(self, peer: Peer, key: str, fmt: str, *args: Any) -> None:
        """A well-formed message that answers or asks nothing of ours: counted, not acted on."""
        self.stats["ignored"] += 1
        self.warn.warn(key, fmt + " from %s", *args, peer.name)

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
        r.unanswered = 0
        if error < 0:
            self.stats["probe_offchannel"] += 1  # not its channel: the kernel's own check, expected
            self.stations.refused(r)
            st = r.station
            tried = self.unheard.get(st) if st is not None else None
            if st is not None and tried is not None and tried[0] == freq:
                self.unheard[st] = None  # try the channel of the next frame
                if len(self._refused_ch) >= SENT_MEMORY:
                    self._refused_ch.clear()
                self._refused_ch[(st, freq)] = self.sched.now_ns
        elif r.freq is None and r.station is not None and self.stations.radios.get((r.peer, r.hw)) is r:
            if not r.confirmed:
                self.stations.confirm(r)  # the address is right: the peer took a delivery to it
            r.freq = freq  # it took the frame: it listens there
            self._touch(r.station, r)
            self.unheard.pop(r.station, None)
            self.ports[r.station].freq = freq
            self.stats["channels_learned"] += 1

    def _kernel_error(self, peer: Peer, a: Ack) -> None:
        code = -a.error
        sent = peer.what(a.req_seq)
        if sent is None and not peer.issued(a.req_seq):
            self._ignored(peer, "error", "ignoring an error answering nothing we asked (seq %d)", a.req_seq)
            return
        if code == errno.EINVAL and isinstance(sent, tuple) and sent[0] == "TX_INFO_FRAME":
            # hwsim_tx_info_frame_received_nl(): the cookie is not among the radio's pending
            # frames.  It dropped the frame (its queue was full: 200, down to 100), the radio
            # went, or the frame was never one of its own (a peer may send any cookie).
            self.stats["stale_cookies"] += 1
            self.warn.warn("stale cookie", "%s had no frame pending for %s: a status it no longer "
                           "waited for (EINVAL)", peer.name, peer.describe(a.req_seq))
            return
        if code == errno.EINVAL and isinstance(sent, tuple) and sent[0] == "FRAME to":
            r = self.stations.radios.get((peer.index, sent[1]))
            if r is not None and r.station is not None:
                if r.freq is None:
                    self.stats["probe_offchannel"] += 1  # sent before we knew it had gone
                    self.stations.refused(r)
                    return
                # Not on the channel we thought: it left without a word (a scan, a
                # P2P listen, remain-on-channel, a radio stopped).  Seek it again.
                st, freq = r.station, r.freq
                r.freq = None
                self._touch(st, r)
                self.unheard[st] = None
                if len(self._refused_ch) >= SENT_MEMORY:
                    self._refused_ch.clear()
                self._refused_ch[(st, freq)] = self.sched.now_ns
                self.stats["channels_lost"] += 1
                return
        self.stats["refused"] += 1
        self.stats["errors"] += 1
        key = f"refused {_errname(code)}"
        self.warn.warn(key, "%s refused %s: %s (%s)", peer.name, peer.describe(a.req_seq),
                       os.strerror(code), _errname(code))

    def _message(self, peer: Peer, msg: Message) -> None:
        cmd = msg.cmd
        if cmd == Cmd.FRAME:
            self._frame(peer, msg)
        elif cmd == Cmd.ADD_MAC_ADDR or cmd == Cmd.DEL_MAC_ADDR:
            self.stations.mac_addr(msg, cmd == Cmd.ADD_MAC_ADDR, peer.index)
        elif cmd == Cmd.NEW_RADIO:
            self.stations.radio_msg(msg, peer.index)
        elif cmd == Cmd.DEL_RADIO:
            rid = msg.get(Attr.RADIO_ID)
            for r in [r for (p, _), r in self.stations.radios.items()
                      if p == peer.index and r.radio_id == rid and rid is not None]:
                log.info("radio %s (%s) of %s removed", r.hw.hex(":"), r.name or rid, peer.name)
                self.stations.remove(r)
        elif cmd == Cmd.TX_INFO_FRAME:
            # a status is the medium's to send: the kernel never sends one, and wmediumd
            # ignores it; no answer (a userspace medium acks nothing)
            self._ignored(peer, "status", "ignoring a TX_INFO_FRAME (cookie %s): statuses are the medium's",
                          msg.get(Attr.COOKIE))
        else:
            self.stats["malformed"] += 1
            self.warn.warn(f"command {cmd}", "ignoring command %d from %s", cmd, peer.name)

    def _frame(self, peer: Peer, msg: Message) -> None:
        a = msg.attrs
        hw, frame = a.get(Attr.ADDR_TRANSMITTER), a.get(Attr.FRAME)
        if hw is None or frame is None or Attr.COOKIE not in a:
            self.stats["malformed"] += 1
            self.warn.warn("frame without attributes", "FRAME without TRANSMITTER, FRAME or COOKIE from %s",
                           peer.name)
            return
        self.stats["frames"] += 1
        txi, txf = a.get(Attr.TX_INFO), a.get(Attr.TX_INFO_FLAGS)
        self._tx(peer, hw, frame, a.get(Attr.FLAGS, 0), a.get(Attr.FREQ) or 0,
                 genl.pack_tx_info(txi if txi is not None else ()) + genl.pack_tx_info_flags(txf or ()),
                 a[Attr.COOKIE])

    def _tx(self, peer: Peer, hw: bytes, frame: bytes, flags: int, freq: int, txi: bytes,
            cookie: int) -> None:
        """A radio's frame (`txi`: TX_INFO's 8 bytes, then TX_INFO_FLAGS' 12) onto the medium;
        its status comes back later."""
        r = self.stations.radios.get((peer.index, hw))
        if r is None or not r.confirmed:
            if self._steady:
                self._unsteady()  # a radio new or confirmed now may take another's station
            r = self.stations.radio(hw, peer=peer.index)
            if r is None:
                self.stats["unknown_sender"] += 1
                if self.stations.unannounced:
                    # No radio of the peer's has this address (stations.py): not answered,
                    # as the kernel would refuse a status for it (EINVAL).
                    return
                # a radio the tables have no room for: answered unsent, so it never waits
                self._answer_unsent(peer, hw, flags, cookie, txi)
                return
        chain = _RATES.get(txi)
        if chain is None:
            if len(_RATES) >= 1024:
                _RATES.clear()
            rates = _rate_chain(txi)
            chain = _RATES[txi] = (rates, () if rates is _ONE_TRY else _rate_flags(txi, len(rates)))
        rates, rflags = chain
        fid = -errno.ENODEV
        peer.stats["frames"] += 1
        if r.station is not None and peer.inflight < peer.quota:
            if len(frame) >= 16:
                addr2 = frame[10:16]
                if addr2 not in r.addrs:
                    if self._steady and addr2 != r.hw:
                        self._unsteady()  # an address learned may move a station to this radio
                    self.stations.learn(r, addr2)  # a vap address we may not have been told of
            port = self.ports[r.station]
            if freq:
                if r.freq != freq:
                    r.freq = freq
                    self._touch(r.station, r)
                    self.unheard.pop(r.station, None)
                    port.freq = freq
                if self.unheard:
                    self._try_channel(freq, frame[4:10])
            now = self.sched.now_ns
            at = max(now, self._held.get(r.station, now))  # a radio's frames go in order
            if frame[0] == 0x80:
                # A beacon: mac80211_hwsim sends each exactly at TBTT, and radios that share
                # a beacon interval (mesh, IBSS, APs) share TBTTs, so theirs would all start
                # at once and be lost to each other (half duplex).  Beacon generation waits a
                # random delay of 0..2*aCWmin slots first (IEEE 802.11 11.1.3.3), after which
                # the medium's carrier sense orders them.
                at = max(at, now + self._rng.randrange(DELAY_SLOTS + 1) * SLOT_NS)
            elif at == now and (pm := self._put_mark).any and pm.ns == now and pm.station != port.index:
                # Another radio's frame went on the medium at this very instant: frames read
                # in one go by a daemon running late were sent apart by the kernel, and started
                # together they would meet head-on where the later one's radio would have
                # heard the earlier.  A random backoff orders them as carrier sense would.
                # (A radio's own frames queue behind each other in the medium.)
                at = now + self._rng.randrange(1, DELAY_SLOTS + 1) * SLOT_NS
            peer.inflight += 1  # its share counts a frame from now, held back or not
            put = False
            if at > now:
                self._held[r.station] = at
                self.sched.call_at(at, self._put, peer, port, hw, frame, rates, rflags, flags, cookie)
            else:
                put = self._put(peer, port, hw, frame, rates, rflags, flags, cookie)
            fid = 0  # on the medium, or answered unsent
            if freq and frame[0] & 0xFC == 0x40 and frame[4] & 1:
                # A probe request to all: the radio scans (or a P2P device searches) and will
                # leave this channel, to listen on another without a word.  Its channel
                # is unknown again once the answers have had their time (_try_channel).
                # (One to a single address is a station checking on its AP, which stays.)
                r.freq = None
                self._touch(r.station, r)
                self.unheard[r.station] = (freq, self.sched.now_ns)
            elif put and self._steady:
                # on the medium as it came: the C path may take this radio's next frames
                self._mark_steady(peer, r, port, freq, frame)
        elif r.station is None:
            self.stats["unknown_sender"] += 1  # its station removed, or asleep (stations.py)
        else:
            # its share of the frames in the medium is taken: dropped as a full TX queue drops
            self.stats["overload_drops"] += 1
            peer.stats["queue_full"] += 1
            self.warn.warn(f"overload {peer.index}", "%s has %d frames in the medium, its share: "
                           "answering a frame of %s unsent", peer.name, peer.quota, hw.hex(":"))
        if fid < 0:
            # Answer anyway: the radio keeps the frame pending until it has a status.
            self._answer_unsent(peer, hw, flags, cookie, txi)

    def _put(self, peer: Peer, port: MediumPort, hw: bytes, frame: bytes,
             rates: tuple[tuple[int, int], ...], rflags: tuple[int, ...], flags: int, cookie: int) -> bool:
        """The frame onto the medium, its status to come; answered unsent if the medium refuses it.
        Whether the medium took it."""
        if peer.closed:
            return False  # held back, and its driver has gone meanwhile
        fid = port.transmit(frame, rates, no_ack=bool(flags & genl.TX_CTL_NO_ACK), rate_flags=rflags)
        if fid < 0:
            peer.inflight -= 1
            if fid == -errno.ENOBUFS:  # the radio's queue in the medium is full (the kernel's bound)
                self.stats["queue_full"] += 1
                peer.stats["queue_full"] += 1
            self._emit_status(peer, hw, flags, cookie, 0, genl.pack_tx_info(tuple((i, 0) for i, _ in rates
                                                                                 if rates is not _ONE_TRY)))
            return False
        pm = self._put_mark
        pm.ns, pm.station, pm.any = self.sched.now_ns, port.index, 1
        out = self._out
        if out is not None and out.store(fid, frame, len(frame), port.index, peer.index, hw, cookie, flags):
            del self.medium._frames[fid]  # C keeps it: its deliveries and status take the C run too
        else:
            self.frames[fid] = (peer, hw, cookie, flags)
        return True

    def _mark_steady(self, peer: Peer, r: Radio, port: MediumPort, freq: int, frame: bytes) -> None:
        """After `_tx` took a frame of radio `r`: if its next ones need nothing of Python
        (known and bound, heard on this channel, the frame's
        transmitter address one of its own, no capture), let the C path take them."""
        if (freq and r.freq == freq and r.confirmed and len(frame) >= 24
                and self.medium._capture is None and self.stations.radios.get((peer.index, r.hw)) is r
                and (frame[10:16] == r.hw or frame[10:16] in r.addrs)):
            self._steady[peer.index].add(r.hw, port.index, freq, port.rx_freq, [r.hw, *sorted(r.addrs)])

    def _answer_unsent(self, peer: Peer, hw: bytes, flags: int, cookie: int, txi: bytes) -> None:
        """A status for a frame the medium did not take: no try at any rate of its chain."""
        rates = _rate_chain(txi)
        self._emit_status(peer, hw, flags, cookie, 0, genl.pack_tx_info(tuple((i, 0) for i, _ in rates
                                                                             if rates is not _ONE_TRY)))

    # -- to the kernel or a driver: each message in the receiving peer's family ---------------------
    def _emit_status(self, peer: Peer, hw: bytes, flags: int, cookie: int, signal: int, txi: bytes) -> None:
        if peer.congested:  # it does not read: the status would be dropped unread; not built
            peer.stats["status_dropped"] += 1
            return
        seq = peer.next_seq()
        peer.remember(seq, ("TX_INFO_FRAME", hw, cookie))
        peer.emit(genl.encode_tx_info(peer.family, hw, flags, cookie, signal, txi, seq=seq))

    def _rx(self, station: int, frame: bytes, info: RxInfo) -> None:
        r = self.bound.get(station)
        if r is None:
            self.stats["rx_no_radio"] += 1
            return
        peer = self.peers[r.peer]
        if peer.closed:
            self.stats["rx_no_radio"] += 1
            return
        if peer.behind:
            # it does not keep up: a delivery this late is stale, and the rest of its bound is kept
            # for statuses (a radio whose status is lost waits for it); not built, so its backlog
            # costs nobody the time
            self.stats["rx_dropped"] += 1
            peer.stats["rx_dropped"] += 1
            if r.freq is None:
                self.stations.asked(r)  # it would have asked: the peer answers nothing it does not read
            return
        self.stats["deliveries"] += 1
        peer.stats["deliveries"] += 1
        seq = peer.next_seq()
        peer.remember(seq, ("FRAME to", r.hw, len(frame)))
        flags = genl.NLM_F_REQUEST
        if r.freq is None:
            # Its channel is unknown: the kernel's answer (ack or EINVAL for another
            # channel) tells us, so later frames go to it only on its own channel.
            flags |= genl.NLM_F_ACK
            peer.probe(seq, r, info.freq)
            self.stations.asked(r)
        peer.emit(genl.encode_delivery(peer.family, r.hw, frame, info.rate_idx, info.signal, info.freq,
                                       seq=seq, flags=flags))

    def _status(self, frame: bytes, st: TxStatus) -> None:
        entry = self.frames.pop(st.frame_id, None)
        if entry is None:
            return
        peer, hw, cookie, flags = entry
        peer.inflight -= 1
        peer.stats["statuses"] += 1
        if st.acked:
            flags |= genl.TX_STAT_ACK
        self.stats["statuses"] += 1
        signal = st.ack_signal if st.acked else 0
        self._emit_status(peer, hw, flags, cookie, signal, genl.pack_tx_info(st.rates))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hwsim-mediumd", description=__doc__.split("\n\n")[0])
    ap.add_argument("-c", "--config", required=True, help="wmediumd configuration file")
    ap.add_argument("-s", "--socket", action="append", default=[], metavar="PATH",
                    help="serve a driver's external-medium UNIX socket (repeatable); "
                         "instead of the kernel unless --kernel is given too")
    ap.add_argument("--kernel", action="store_true",
                    help="serve the Linux kernel's mac80211_hwsim radios over generic netlink "
                         "(the default without -s; with -s, in the same medium)")
    ap.add_argument("--netns", metavar="NAME",
                    help="serve the radios of network namespace NAME (kernel mode)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the medium's random generator")
    ap.add_argument("--control", metavar="PATH",
                    help="serve wmediumd's run-time control API on this UNIX stream socket")
    ap.add_argument("--pcap", metavar="PATH",
                    help="write every frame on the medium, of every peer's radios, to this pcap file")
    ap.add_argument("--no-realtime", action="store_true",
                    help="keep normal scheduling in kernel mode (by default the daemon asks for "
                         f"SCHED_FIFO {REALTIME_PRIORITY}: the real radios' frames wait for it)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    kernel = args.kernel or not args.socket
    if args.netns and not kernel:
        ap.error("--netns applies to the kernel, not to a driver's socket (add --kernel to serve both)")
    if len(set(args.socket)) != len(args.socket):
        ap.error("a driver's socket is named twice")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="hwsim-mediumd: %(message)s")
    daemon: MediumDaemon | None = None
    try:
        daemon = MediumDaemon(args.config, seed=args.seed)
        if args.pcap:
            daemon.medium.capture(args.pcap)  # before any peer: a path that cannot be used fails at once
        if kernel:
            try:
                kt = open_kernel(args.netns)
            except OSError as e:
                where_ = f" in {args.netns}" if args.netns else ""
                why = e.strerror or e
                raise MediumError(f"cannot open a generic netlink socket{where_}: {why}") from None
            daemon.connect(kt)
        for path in args.socket:
            try:
                ut = open_unix(path)
            except OSError as e:
                raise MediumError(f"{path}: {e.strerror or e}") from None
            daemon.connect(ut)
        if args.control:
            daemon.serve_control(args.control)
    except MediumError as e:
        msg = str(e)
        if kernel and "MAC80211_HWSIM" in msg and "No such file" in msg:
            msg += " (is mac80211_hwsim loaded?)"
        print(f"hwsim-mediumd: {msg}", file=sys.stderr)
        if daemon is not None:
            daemon.close()  # those already registered fall back to their own medium
        return 1
    except (OSError, ConfigError) as e:
        print(f"hwsim-mediumd: {e}", file=sys.stderr)
        if daemon is not None:
            daemon.close()
        return 1
    except KeyboardInterrupt:  # interrupted during the handshake
        if daemon is not None:
            daemon.close()
        return 130

    def stop(signum: int, frame: Any) -> None:
        daemon.exit_reason = signal.Signals(signum).name
        daemon.done = True
        daemon.sched.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if kernel and not args.no_realtime:
        log.info("%s", raise_priority())
    daemon.run()
    if daemon.control is not None:
        daemon.control.close()
    daemon.close()
    log.info("done (%s): %s", daemon.exit_reason, ", ".join(f"{k} {v}" for k, v in daemon.stats.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["MediumDaemon", "MediumError", "Radio", "WarnLimiter", "default_hwaddr", "main"]
