"""The external medium: the driver's MAC80211_HWSIM socket, a client process, fallback, holds."""

import errno
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.hwsim.external import genl
from drivers.hwsim.external.genl import Ack, Attr, Cmd, Done, Message
from drivers.hwsim.external.server import MAX_QUEUE, WARN_QUEUE
from drivers.hwsim.kernel.rates import RC_USE_RTS_CTS
from ic import Caps
from ic.sched import MS

from .helpers import BCAST, beacon, data, mac
from .helpers import World as _World

ROOT = Path(__file__).resolve().parents[3]
REQ_ACK = genl.NLM_F_REQUEST | genl.NLM_F_ACK


def hw(i: int) -> bytes:
    return bytes([0x42, 0, 0, 0, i, 0])


class World(_World):
    """Ports with mac80211_hwsim's hardware addresses (42:...) beside their own (02:...)."""

    def add(self, **kw):
        p = super().add(**kw)
        p.hwaddr = int.from_bytes(hw(len(self.ports) - 1), "big")
        return p


class Client:
    """A genl peer inside the test; the driver serves it when `pump` polls the scheduler."""

    def __init__(self, world: World, path: str) -> None:
        self.sched = world.sched
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.inbox: list = []
        self.seq = 100

    def send(self, msg: Message | bytes) -> int:
        if isinstance(msg, Message):
            self.seq += 1
            msg.seq = self.seq
            msg = genl.encode(msg)
        self.sock.send(msg)
        return self.seq

    def pump(self, rounds: int = 50) -> None:
        for _ in range(rounds):
            n = self.sched.poll_io(0.0)
            got = False
            while True:
                try:
                    self.inbox.extend(genl.decode(self.sock.recv(65536)))
                    got = True
                except BlockingIOError:
                    break
            if not n and not got:
                return

    def request(self, msg: Message, flags: int = REQ_ACK) -> list:
        """Send and collect everything up to the answer (an ack/error or the end of a dump)."""
        msg.flags = flags
        seq = self.send(msg)
        out: list = []
        for _ in range(100):
            self.pump()
            while self.inbox:
                item = self.inbox.pop(0)
                out.append(item)
                answered = item.req_seq if isinstance(item, Ack) else getattr(item, "seq", -1)
                if answered == seq and isinstance(item, Ack | Done):
                    return out
            self.sched.poll_io(0.01)
        raise AssertionError(f"no answer to seq {seq}: {out}")

    def error(self, msg: Message) -> int:
        return self.request(msg)[-1].error

    def frames(self) -> list[Message]:
        self.pump()
        out = [m for m in self.inbox if isinstance(m, Message) and m.cmd == Cmd.FRAME]
        self.inbox = [m for m in self.inbox if m not in out]
        return out

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "medium.sock")


def registered(n: int, path: str, **kw):
    w = World(n, **kw)
    ext = w.medium.serve(path)
    c = Client(w, path)
    assert c.error(Message(Cmd.REGISTER)) == 0 and ext.registered
    c.pump()
    c.inbox.clear()  # the address announcements
    return w, ext, c


def delivery(rx: int, frame: bytes, rate: int = 0, signal: int = -40, freq: int | None = 2412) -> Message:
    return genl.delivery_msg(hw(rx), frame, rate, signal, freq)


# -- registration, family, requests that are not ours ---------------------------------------------
def test_register_is_exclusive_and_announces_existing_addresses(path):
    w = World(2)
    w.ports[1].add_addr(mac(1)[:5] + b"\x07")
    ext = w.medium.serve(path)
    a, b = Client(w, path), Client(w, path)
    assert a.error(Message(Cmd.REGISTER)) == 0
    a.pump()
    announced = {(m.attrs[Attr.ADDR_TRANSMITTER], m.attrs[Attr.ADDR_RECEIVER]) for m in a.inbox
                 if isinstance(m, Message) and m.cmd == Cmd.ADD_MAC_ADDR}
    assert announced == {(hw(0), mac(0)), (hw(1), mac(1)), (hw(1), mac(1)[:5] + b"\x07")}
    assert b.error(Message(Cmd.REGISTER)) == -errno.EBUSY
    assert a.error(Message(Cmd.REGISTER)) == -errno.EBUSY  # the kernel refuses a second REGISTER too
    assert ext.client.portid == os.getpid() and b.request(Message(Cmd.REGISTER))[-1].pid != os.getpid()


def test_register_refused_while_a_radio_has_several_channels(path):
    w = World(0)
    w.medium.add_radio(channels=2)
    w.medium.serve(path)
    c = Client(w, path)
    assert c.error(Message(Cmd.REGISTER)) == -errno.EOPNOTSUPP
    assert w.medium.external.client is None


def test_family_resolution_and_other_families(path):
    w = World(1)
    w.medium.serve(path)
    c = Client(w, path)
    rep = c.request(genl.getfamily_msg())
    assert rep[0].type == genl.GENL_ID_CTRL and rep[0].get(genl.CTRL_ATTR_FAMILY_ID) == genl.FAMILY_ID
    assert rep[0].seq == rep[1].req_seq and rep[1].error == 0
    assert c.error(genl.getfamily_msg("nl80211")) == -errno.ENOENT
    dump = c.request(genl.getfamily_msg(), flags=genl.NLM_F_REQUEST | genl.NLM_F_DUMP)
    assert isinstance(dump[-1], Done) and dump[0].flags == genl.NLM_F_MULTI
    assert c.error(Message(1, type=0x33)) == -errno.ENOENT  # no such family
    for cmd in (Cmd.UNSPEC, Cmd.ADD_MAC_ADDR, Cmd.DEL_MAC_ADDR, Cmd.START_PMSR, Cmd.REPORT_PMSR, 42):
        assert c.error(Message(cmd)) == -errno.EOPNOTSUPP
    assert c.error(Message(genl.CTRL_CMD_NEWFAMILY, type=genl.GENL_ID_CTRL)) == -errno.EOPNOTSUPP
    # a dump of a command without one
    assert c.request(Message(Cmd.REGISTER), flags=genl.NLM_F_REQUEST | genl.NLM_F_DUMP | genl.NLM_F_ACK
                     )[-1].error == -errno.EOPNOTSUPP
    # not a request: ignored, as netlink_rcv_skb does, so only the NOOP's ack comes back
    c.send(genl.encode(Message(Cmd.REGISTER, flags=0)))
    assert [type(x) for x in c.request(Message(0, type=genl.NLMSG_NOOP))] == [Ack]
    assert not w.medium.external.registered


# -- frames to the medium ----------------------------------------------------------------------------
def test_transmitted_frames_go_to_the_client_with_cookies_per_radio(path):
    w, ext, c = registered(3, path)
    w.ports[2].set_offchannel(2437)
    u = data(mac(1), mac(0), mac(1))
    b = data(BCAST, mac(0), BCAST)
    fids = [w.ports[0].transmit(u, rates=((7, 2), (3, 4))), w.ports[0].transmit(b, no_ack=False),
            w.ports[1].transmit(u, rate_flags=(RC_USE_RTS_CTS,)), w.ports[2].transmit(b)]
    assert all(f > 0 for f in fids) and ext.pending == 4
    f = c.frames()
    assert [(m.attrs[Attr.ADDR_TRANSMITTER], m.attrs[Attr.COOKIE]) for m in f] == [
        (hw(0), 1), (hw(0), 2), (hw(1), 1), (hw(2), 1)]
    m = f[0].attrs
    assert m[Attr.FRAME] == u and m[Attr.FREQ] == 2412
    assert m[Attr.FLAGS] == genl.TX_CTL_REQ_TX_STATUS
    assert m[Attr.TX_INFO] == ((7, 2), (3, 4), (-1, 0), (-1, 0))
    assert m[Attr.TX_INFO_FLAGS] == ((7, 0), (3, 0), (-1, 0), (-1, 0))
    assert f[1].attrs[Attr.FLAGS] == genl.TX_CTL_REQ_TX_STATUS | genl.TX_CTL_NO_ACK  # group-addressed
    assert f[2].attrs[Attr.TX_INFO_FLAGS][0] == (0, RC_USE_RTS_CTS)  # a rate's flags, as the kernel's
    assert f[3].attrs[Attr.FREQ] == 2437  # a radio off channel sends on its temporary channel
    assert list(f[0].attrs) == [Attr.ADDR_TRANSMITTER, Attr.FRAME, Attr.FLAGS, Attr.FREQ, Attr.TX_INFO,
                                Attr.TX_INFO_FLAGS, Attr.COOKIE]  # the kernel's order
    assert w.medium.counters["frames"] == 0  # nothing went through the built-in kernel


def test_addresses_are_announced_as_they_come_and_go(path):
    w, ext, c = registered(1, path)
    extra = bytes.fromhex("020000000001")
    w.ports[0].add_addr(extra)
    w.ports[0].add_addr(extra)  # a second user of the same address: no second message
    w.ports[0].add_bssid(extra)  # BSSIDs are not the radio's own addresses
    w.ports[0].del_addr(extra)
    w.ports[0].del_addr(extra)
    c.pump()
    assert [(m.cmd, m.attrs) for m in c.inbox] == [
        (Cmd.ADD_MAC_ADDR, {Attr.ADDR_TRANSMITTER: hw(0), Attr.ADDR_RECEIVER: extra}),
        (Cmd.DEL_MAC_ADDR, {Attr.ADDR_TRANSMITTER: hw(0), Attr.ADDR_RECEIVER: extra})]


def test_pending_cap_drops_the_oldest_down_to_100(path):
    w, ext, c = registered(1, path)
    f = data(BCAST, mac(0), BCAST)
    ids = [w.ports[0].transmit(f) for _ in range(MAX_QUEUE)]
    assert ext.pending == MAX_QUEUE and w.status[0] == []
    ids.append(w.ports[0].transmit(f))
    dropped = MAX_QUEUE - WARN_QUEUE + 1
    assert ext.pending == WARN_QUEUE
    assert [st.frame_id for _, st in w.status[0]] == ids[:dropped]
    assert all(st.dropped and not st.acked for _, st in w.status[0])
    assert w.medium.counters["ext_queue_drops"] == dropped
    # the client answering a dropped frame is told it is unknown
    stale = genl.tx_info_msg(hw(0), genl.TX_STAT_ACK, 1, -30, genl.NO_RATES)
    assert c.error(stale) == -errno.EINVAL and w.medium.counters["ext_unknown_cookie"] == 1


# -- deliveries and statuses from the medium ------------------------------------------------------------
def test_deliveries_reach_the_port_with_the_medium_s_rate_and_signal(path):
    w, ext, c = registered(3, path)
    u = data(mac(1), mac(0), mac(1))
    retried = bytearray(u)
    retried[1] |= 0x08
    assert c.error(delivery(1, u, rate=5, signal=-67)) == 0
    assert c.error(delivery(1, bytes(retried), freq=None)) == 0  # no FREQ: the receiver's channel
    assert c.error(delivery(2, u)) == 0  # not for port 2: its filter drops it, no error
    # the kernel finds the receiver by its hardware address only, not by a vap's address
    assert c.error(genl.delivery_msg(mac(1), u, 0, -50, 2412)) == -errno.EINVAL
    assert [(f, tuple(i)) for f, i in w.rx[1]] == [(u, (0, 2412, -67, 5, False)),
                                                   (bytes(retried), (0, 2412, -40, 0, True))]
    assert w.rx[2] == [] and w.medium.counters["ext_rx_filtered"] == 1


def test_delivery_validation_errors(path):
    w, ext, c = registered(2, path)
    u = data(mac(1), mac(0), mac(1))
    full = delivery(1, u).attrs
    for missing in (Attr.ADDR_RECEIVER, Attr.FRAME, Attr.RX_RATE, Attr.SIGNAL):
        attrs = {k: v for k, v in full.items() if k != missing}
        assert c.error(Message(Cmd.FRAME, attrs)) == -errno.EINVAL, missing
    assert c.error(delivery(1, u[:23])) == -errno.EINVAL  # shorter than a 3-address header
    assert c.error(delivery(1, u[:24])) == 0
    assert c.error(delivery(1, u + bytes(2304 - len(u)))) == 0
    assert c.error(delivery(1, u + bytes(2305 - len(u)))) == -errno.ERANGE  # the policy's maximum
    assert c.error(delivery(7, u)) == -errno.EINVAL  # no such receiver
    assert c.error(delivery(1, u, rate=11)) == 0
    assert c.error(delivery(1, u, rate=12)) == -errno.EINVAL  # 2.4 GHz has 12 rates
    assert c.error(delivery(1, u, freq=2437)) == -errno.EINVAL  # not the receiver's channel
    w.ports[1].set_offchannel(2437)
    assert c.error(delivery(1, u, freq=2437)) == 0  # its temporary channel
    w.ports[1].set_offchannel(None)
    w.ports[1].freq = 5180
    assert c.error(delivery(1, u, rate=8, freq=5180)) == -errno.EINVAL  # 5 GHz has 8
    assert c.error(delivery(1, u, rate=7, freq=5180)) == 0
    counters = w.medium.counters
    assert counters["ext_rx_offchannel"] == 1 and counters["ext_rx_bad_rate"] == 2
    assert len(w.rx[1]) == 5
    other = Client(w, path)  # only the registered medium may deliver
    assert other.error(delivery(1, u)) == -errno.EINVAL
    assert len(w.rx[1]) == 5


def test_status_validation_and_ack_semantics(path):
    w, ext, c = registered(2, path)
    u = data(mac(1), mac(0), mac(1))
    fids = [w.ports[0].transmit(u) for _ in range(4)]
    full = genl.tx_info_msg(hw(0), genl.TX_STAT_ACK, 1, -35, ((0, 2), (3, 1), (-1, 0), (-1, 0))).attrs
    for missing in full:
        attrs = {k: v for k, v in full.items() if k != missing}
        assert c.error(Message(Cmd.TX_INFO_FRAME, attrs)) == -errno.EINVAL, missing
    assert c.error(genl.tx_info_msg(hw(0), genl.TX_STAT_ACK, 99, -35, genl.NO_RATES)) == -errno.EINVAL
    assert c.error(genl.tx_info_msg(hw(1), genl.TX_STAT_ACK, 1, -35, genl.NO_RATES)) == -errno.EINVAL
    assert c.error(Message(Cmd.TX_INFO_FRAME, full)) == 0
    assert c.error(genl.tx_info_msg(hw(0), genl.TX_STAT_ACK | genl.TX_CTL_NO_ACK, 2, -35, ((1, 1),))) == 0
    assert c.error(genl.tx_info_msg(hw(0), genl.TX_CTL_REQ_TX_STATUS, 4, -35, ((0, 4), (-1, 9)))) == 0
    assert c.error(Message(Cmd.TX_INFO_FRAME, full)) == -errno.EINVAL  # answered already
    got = {st.frame_id: (st.acked, st.ack_signal, st.rates, st.dropped) for _, st in w.status[0]}
    assert got == {fids[0]: (True, -35, ((0, 2), (3, 1)), False),
                   fids[1]: (False, 0, ((1, 1),), False),
                   fids[3]: (False, 0, ((0, 4),), False)}
    assert ext.pending == 1


# -- radios over the socket ---------------------------------------------------------------------------
def test_new_get_del_radio(path):
    w = World(0)
    w.medium.add_radio()
    w.medium.serve(path)
    c = Client(w, path)
    sta_ap = (1 << 2) | (1 << 3)  # NL80211_IFTYPE_STATION, _AP
    ack = c.request(Message(Cmd.NEW_RADIO, {Attr.RADIO_NAME: "ext0", Attr.SUPPORT_P2P_DEVICE: True,
                                            Attr.REG_HINT_ALPHA2: "DE", Attr.IFTYPE_SUPPORT: sta_ap}))
    assert len(ack) == 1 and ack[0].error == 1  # the new radio's id, in the ack's error field
    radio = w.medium.radio("ext0")
    assert radio.idx == 1 and radio.p2p_device
    assert radio.caps & Caps.STA and radio.caps & Caps.HOSTAP and not radio.caps & Caps.IBSS
    rep = c.request(Message(Cmd.GET_RADIO, {Attr.RADIO_ID: 1}))
    assert rep[0].cmd == Cmd.GET_RADIO and rep[0].seq == c.seq and rep[1].error == 0
    assert rep[0].attrs == {Attr.RADIO_ID: 1, Attr.CHANNELS: 1, Attr.REG_HINT_ALPHA2: "DE",
                            Attr.SUPPORT_P2P_DEVICE: True, Attr.RADIO_NAME: "ext0"}
    assert list(rep[0].attrs)[-1] == Attr.RADIO_NAME
    dump = c.request(Message(Cmd.GET_RADIO), flags=genl.NLM_F_REQUEST | genl.NLM_F_DUMP)
    assert [m.attrs[Attr.RADIO_NAME] for m in dump[:-1]] == ["hwsim0", "ext0"] and isinstance(dump[-1], Done)
    assert c.error(Message(Cmd.GET_RADIO)) == -errno.EINVAL
    assert c.error(Message(Cmd.GET_RADIO, {Attr.RADIO_ID: 9})) == -errno.ENODEV
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.RADIO_NAME: "ext0"})) == -errno.EEXIST
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.CHANNELS: 0})) == -errno.EINVAL
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.CHANNELS: 9})) == -errno.EINVAL
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.PERM_ADDR: bytes.fromhex("030000000000")})) == -errno.EINVAL
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.PERM_ADDR: bytes.fromhex("020000000000")})) == -errno.EEXIST
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.REG_CUSTOM_REG: 2})) == -errno.EINVAL
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.IFTYPE_SUPPORT: 1 << 6})) == -errno.EINVAL
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.MLO_SUPPORT: True})) == -errno.EOPNOTSUPP
    assert [r.name for r in w.medium.radios] == ["hwsim0", "ext0"]
    assert c.error(Message(Cmd.DEL_RADIO)) == -errno.EINVAL
    assert c.error(Message(Cmd.DEL_RADIO, {Attr.RADIO_NAME: "ext0"})) == 0
    assert c.error(Message(Cmd.DEL_RADIO, {Attr.RADIO_NAME: "ext0"})) == -errno.ENODEV
    assert c.error(Message(Cmd.DEL_RADIO, {Attr.RADIO_ID: 0})) == 0
    assert w.medium.radios == [] and not any(p.attached for p in w.medium.ports)


def test_radios_destroyed_on_close_and_multichannel_radio_blocks_register(path):
    w = World(0)
    w.medium.serve(path)
    c = Client(w, path)
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.DESTROY_RADIO_ON_CLOSE: True, Attr.CHANNELS: 2})) == 0
    assert c.error(Message(Cmd.NEW_RADIO, {})) == 1
    assert c.error(Message(Cmd.REGISTER)) == -errno.EOPNOTSUPP
    assert w.medium.radio("hwsim0").nchannels == 2
    c.close()
    Client(w, path).pump()
    assert [r.name for r in w.medium.radios] == ["hwsim1"]


# -- fallback and virtual time --------------------------------------------------------------------------
def test_disconnect_falls_back_to_the_built_in_medium(path, caplog):
    w, ext, c = registered(2, path)
    u = data(mac(1), mac(0), mac(1))
    pending = [w.ports[0].transmit(u) for _ in range(3)]
    assert ext.pending == 3
    c.close()
    with caplog.at_level(logging.WARNING, logger="drivers.hwsim.external.server"):
        w.run(1 * MS)
    assert "released its socket, switching to the built-in perfect medium" in caplog.text
    statuses = [(st.frame_id, st.acked, st.dropped) for _, st in w.status[0]]
    assert statuses == [(f, False, True) for f in pending]
    assert not ext.registered and ext.pending == 0 and w.medium.counters["ext_released_pending"] == 3
    assert w.rx[1] == []
    later = w.ports[0].transmit(u)
    w.run(1 * MS)
    assert len(w.rx[1]) == 1 and w.rx[1][0][1].signal == -30  # the perfect medium's -50 + 20 dBm
    assert w.status[0][-1][1].frame_id == later and w.status[0][-1][1].acked
    assert w.medium.counters["frames"] == 1
    # another medium may register now
    c2 = Client(w, path)
    assert c2.error(Message(Cmd.REGISTER)) == 0


def test_a_silent_medium_times_out_and_time_moves_on(path):
    w = World(2)
    ext = w.medium.serve(path, hold_timeout_ns=0)
    c = Client(w, path)
    assert c.error(Message(Cmd.REGISTER)) == 0
    ran = []
    w.sched.call_later(1 * MS, lambda: ran.append(w.sched.now_ns))
    fid = w.ports[0].transmit(data(BCAST, mac(0), BCAST))
    w.run(2 * MS)
    assert ran == [1 * MS] and ext.pending == 0 and w.medium.counters["ext_timeouts"] == 1
    assert [(st.frame_id, st.dropped) for _, st in w.status[0]] == [(fid, True)]


def test_virtual_time_waits_for_the_status(path):
    """A client thread answers late in real time; virtual time must not move meanwhile."""
    import threading

    w = World(2)
    w.medium.serve(path)
    c = Client(w, path)
    assert c.error(Message(Cmd.REGISTER)) == 0
    c.pump()
    c.sock.settimeout(30)  # blocking for the thread, never forever

    def medium():
        for m in iter(lambda: genl.decode(c.sock.recv(65536)), None):
            for f in m:
                if isinstance(f, Message) and f.cmd == Cmd.FRAME:
                    c.sock.send(genl.encode(delivery(1, f.attrs[Attr.FRAME], signal=-44)))
                    c.sock.send(genl.encode(genl.tx_info_msg(hw(0), f.attrs[Attr.FLAGS], f.attrs[Attr.COOKIE],
                                                             0, f.attrs[Attr.TX_INFO])))
                    return

    t = threading.Thread(target=medium)
    seen = []
    w.sched.call_later(0, lambda: w.ports[0].transmit(data(BCAST, mac(0), BCAST)))
    w.sched.call_later(1, lambda: seen.append((w.sched.now_ns, len(w.rx[1]), len(w.status[0]))))
    t.start()
    w.run(1 * MS)
    t.join()
    assert seen == [(1, 1, 1)]
    assert w.rx[1][0][1].time_ns == 0 and w.status[0][0][1].time_ns == 0


# -- a real client process: hwsim-mediumd ------------------------------------------------------------------
WMCFG = """
ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00" ]; };
model : { type = "snr"; default_snr = 40; links = ( (0, 1, 35), (0, 2, 25), (1, 2, 30) ); };
"""


def mediumd(tmp_path, path, cfg=WMCFG):
    conf = tmp_path / "wmediumd.cfg"
    conf.write_text(cfg)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "drivers.hwsim.external.mediumd", "-c", str(conf),
                             "-s", path], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def scenario(tmp_path, path):
    """Timed traffic among three ports through hwsim-mediumd; everything observed."""
    w = World(3)
    ext = w.medium.serve(path)
    proc = mediumd(tmp_path, path)
    try:
        assert ext.wait_for_client(30), proc.stdout.read() if proc.poll() is not None else "no client"
        log = []
        for k in range(6):
            src, dst = k % 3, (k + 1) % 3
            w.sched.call_at(k * MS, lambda s=src, d=dst: log.append(
                ("tx", w.sched.now_ns, w.ports[s].transmit(data(mac(d), mac(s), mac(d))) > 0)))
            w.sched.call_at(k * MS + 500_000, lambda s=src: log.append(
                ("tx", w.sched.now_ns, w.ports[s].transmit(beacon(mac(s))) > 0)))
        w.ports[2].filter = 0x2  # hears beacons
        w.run(10 * MS)
        return log, w.trace(), ext
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out


def test_round_trip_through_hwsim_mediumd(tmp_path, path):
    log, (rx, status), ext = scenario(tmp_path, path)
    assert all(ok for _, _, ok in log)
    # unicast: 0->1 at SNR 35, 1->2 at 30, 2->0 at 25 (noise -91 dBm), each ACKed
    uni = {i: [(f[10:16], info) for f, info in rx[i] if f[0] == 0x08] for i in range(3)}
    assert [info[2] for _, info in uni[1]] == [-56, -56]
    assert [info[2] for _, info in uni[2]] == [-61, -61]
    assert [info[2] for _, info in uni[0]] == [-66, -66]
    assert all(info[0] in (0, 1 * MS, 2 * MS, 3 * MS, 4 * MS, 5 * MS) for i in uni for _, info in uni[i])
    acked = [st for i in status for f, st in status[i] if f[0] == 0x08]
    assert len(acked) == 6 and all(st[2] for st in acked)  # acked
    # beacons: port 2 listens for them, the others do not
    assert len([f for f, _ in rx[2] if f[0] == 0x80]) == 4 and not [f for f, _ in rx[1] if f[0] == 0x80]
    assert ext.pending == 0 and ext.medium.counters["ext_tx"] == 12


def test_same_run_twice_gives_the_same_events(tmp_path, path):
    first = scenario(tmp_path, path)[:2]
    second = scenario(tmp_path, path + "2")[:2]
    assert first == second


def test_hwsim_mediumd_says_why_it_cannot_register(tmp_path, path):
    w = World(1)
    w.medium.serve(path)
    c = Client(w, path)
    assert c.error(Message(Cmd.REGISTER)) == 0
    proc = mediumd(tmp_path, path)
    while proc.poll() is None:
        w.sched.poll_io(0.05)
    assert proc.returncode == 1 and "Device or resource busy" in proc.stdout.read()
    assert subprocess.run([sys.executable, "-m", "drivers.hwsim.external.mediumd", "-h"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.startswith("usage")


# -- fuzz ----------------------------------------------------------------------------------------------------
SEEDS = [genl.encode(m) for m in (
    delivery(1, data(mac(1), mac(0), mac(1))),
    genl.tx_info_msg(hw(0), genl.TX_STAT_ACK, 1, -30, genl.NO_RATES),
    Message(Cmd.GET_RADIO, {Attr.RADIO_ID: 0}, flags=genl.NLM_F_REQUEST),
    Message(Cmd.DEL_RADIO, {Attr.RADIO_NAME: "nope"}, flags=genl.NLM_F_REQUEST),
    genl.getfamily_msg(),
)]


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("fuzz") / "m.sock")
    w = World(2)
    w.medium.add_radio()
    ext = w.medium.serve(path)
    c = Client(w, path)
    assert c.error(Message(Cmd.REGISTER)) == 0
    return w, ext, c


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=120),
                 st.tuples(st.sampled_from(SEEDS),
                           st.lists(st.tuples(st.integers(0, 120), st.integers(0, 255)),
                                    min_size=1, max_size=4))
                 .map(lambda t: bytes(_flip(t[0], t[1])))))
def test_malformed_messages_are_answered_never_crash(fuzz_world, data_):
    w, ext, c = fuzz_world
    c.inbox.clear()
    malformed0 = ext.stats["ext_malformed"]
    c.send(data_)  # an empty datagram too: counted, not taken for the end of the connection
    answer = c.request(Message(0, type=genl.NLMSG_NOOP))  # the server still serves
    *before, sentinel = answer
    assert isinstance(sentinel, Ack) and sentinel.error == 0
    for item in before:
        # errors, acks, NEW_RADIO ids, replies: never anything undecodable
        assert isinstance(item, Ack | Message | Done), item
    assert ext.client is not None
    if not data_:
        assert ext.stats["ext_malformed"] == malformed0 + 1


def _flip(raw: bytes, flips) -> bytearray:
    b = bytearray(raw)
    for pos, val in flips:
        if pos < len(b):
            b[pos] = val
    return b


@settings(max_examples=150, deadline=None)
@given(flt=st.integers(0, 15), own=st.booleans(), bss=st.sampled_from([None, 1, 2]),
       kind=st.sampled_from(["data", "beacon", "probe", "mcast"]), to=st.sampled_from([1, 2, "bcast"]))
def test_software_filter_matches_the_kernel_filter(flt, own, bss, kind, to):
    """Deliveries from an external medium pass the same receive filter the C kernel applies."""
    from drivers.hwsim.external.server import accepts

    w = World(2)
    rx = w.ports[1]
    rx.filter = flt
    if not own:
        rx.del_addr(mac(1))
    if bss is not None:
        rx.add_bssid(mac(bss))
    a1 = BCAST if to == "bcast" else mac(to)
    if kind == "data":
        f = data(a1, mac(0), mac(2))
    elif kind == "mcast":
        f = data(b"\x01\x00\x5e\0\0\1", mac(0), mac(bss or 2))
    elif kind == "beacon":
        f = beacon(mac(2))
    else:
        f = bytes([0x40, 0, 0, 0]) + BCAST + mac(0) + BCAST + b"\0\0" + b"\0\0"
    w.ports[0].transmit(f)
    w.run(1000)
    assert bool(w.rx[1]) == accepts(rx, f)


def test_a_station_associates_and_exchanges_data_through_hwsim_mediumd(tmp_path, path):
    from ic import SEC, Scheduler
    from net80211 import State
    from net80211.driver import open_driver
    from net80211.wire.data import build_ether, parse_ether

    s = Scheduler()
    d = open_driver("hwsim", s, radios=2)
    ext = d.medium.serve(path)
    proc = mediumd(tmp_path, path)
    try:
        assert ext.wait_for_client(30)
        ap = d.devices[0].create_vap("wlan0", "hostap", ssid="net0", channel=6)
        sta = d.devices[1].create_vap("wlan1", "sta", ssid="net0")
        ap.up()
        sta.up()
        assert s.run_until(lambda: sta.state == State.RUN, 5 * SEC)
        got = []
        ap.netdev.on_receive = got.append
        assert sta.netdev.send(build_ether(ap.macaddr, sta.macaddr, 0x88B5, b"over the external medium"))
        s.run_for(50 * MS)
        assert [parse_ether(e)[3] for e in got] == [b"over the external medium"]
        c = d.medium.counters
        assert c["frames"] == 0 and c["ext_rx"] > 0 and c.get("ext_timeouts", 0) == 0  # all went outside
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_closing_the_server_falls_back_and_frees_the_path(path):
    w, ext, c = registered(2, path)
    fid = w.ports[0].transmit(data(mac(1), mac(0), mac(1)))
    ext.close()
    assert w.medium.external is None and not os.path.exists(path)
    assert [(st.frame_id, st.dropped) for _, st in w.status[0]] == [(fid, True)]
    w.ports[0].transmit(data(mac(1), mac(0), mac(1)))
    w.run(1 * MS)
    assert len(w.rx[1]) == 1 and w.medium.counters["frames"] == 1
    assert w.medium.serve(path).path == path  # may serve again


def test_driver_parameter_serves_an_external_medium_and_close_removes_it(path):
    from ic import Scheduler
    from net80211.driver import open_driver

    s = Scheduler()
    d = open_driver("hwsim", s, radios=2, medium_socket=path)
    vap = d.devices[1].create_vap("wlan0", "sta")
    assert os.path.exists(path) and d.describe()["medium_socket"] == path
    c = Client(type("W", (), {"sched": s})(), path)
    assert c.error(Message(Cmd.REGISTER)) == 0 and d.medium.external.registered
    c.pump()
    announced = {(m.attrs[Attr.ADDR_TRANSMITTER], m.attrs[Attr.ADDR_RECEIVER]) for m in c.inbox
                 if isinstance(m, Message) and m.cmd == Cmd.ADD_MAC_ADDR}
    assert announced == {(d.devices[1].hwaddr, vap.macaddr)}
    c.close()
    d.close()
    assert not os.path.exists(path) and d.medium.external is None
    with pytest.raises(OSError):
        open_driver("hwsim", s, radios=1, medium_socket="/nonexistent-dir/x.sock")


# -- the kernel's policy and order of answers ----------------------------------------------------------
def _raw(mtype: int, flags: int, seq: int, payload: bytes) -> bytes:
    import struct

    return struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq, 0) + payload


def _nla(t: int, payload: bytes) -> bytes:
    import struct

    raw = struct.pack("=HH", 4 + len(payload), t) + payload
    return raw + bytes(-len(raw) % 4)


def test_answers_follow_the_kernel_s_order_and_policy(path):
    w, ext, c = registered(2, path)
    u = data(mac(1), mac(0), mac(1))
    short_rate = _nla(Attr.RX_RATE, b"\1")
    # an unknown command is EOPNOTSUPP before its attributes are looked at
    c.send(_raw(genl.FAMILY_ID, REQ_ACK, 1, bytes([Cmd.ADD_MAC_ADDR, 1, 0, 0]) + short_rate))
    # a known one with a short u32 is the policy's ERANGE; an unknown family ENOENT
    c.send(_raw(genl.FAMILY_ID, REQ_ACK, 2, bytes([Cmd.FRAME, 1, 0, 0]) + short_rate))
    c.send(_raw(0x55, REQ_ACK, 3, bytes([Cmd.FRAME, 1, 0, 0]) + short_rate))
    # broken framing: nothing at all comes back, as from netlink_rcv_skb()
    c.send(b"\x40\0\0\0" + bytes(12))
    # an 8-byte receiver and a u64 rate pass the policy (first bytes read)
    import struct

    long_attrs = (_nla(Attr.ADDR_RECEIVER, hw(1) + b"\xee\xee") + _nla(Attr.FRAME, u)
                  + _nla(Attr.RX_RATE, struct.pack("=Q", 5)) + _nla(Attr.SIGNAL, struct.pack("=i", -50)))
    c.send(_raw(genl.FAMILY_ID, REQ_ACK, 4, bytes([Cmd.FRAME, 1, 0, 0]) + long_attrs))
    got = []
    for _ in range(100):
        c.pump()
        got = [(m.req_seq, m.error) for m in c.inbox if isinstance(m, Ack)]
        if len(got) >= 4:
            break
    assert got == [(1, -errno.EOPNOTSUPP), (2, -errno.ERANGE), (3, -errno.ENOENT), (4, 0)]
    assert [(f, i.rate_idx, i.signal) for f, i in w.rx[1]] == [(u, 5, -50)]
    assert w.medium.counters["ext_malformed"] == 3


def test_getfamily_by_name_or_id_with_ops_and_groups(path):
    w = World(1)
    w.medium.serve(path)
    c = Client(w, path)
    rep = c.request(genl.getfamily_msg())
    assert rep[0].get(genl.CTRL_ATTR_OPS) == tuple(genl.OPS.items())
    assert rep[0].get(genl.CTRL_ATTR_MCAST_GROUPS) == {"config": genl.FAMILY_ID + 1}
    by_id = c.request(Message(genl.CTRL_CMD_GETFAMILY, {genl.CTRL_ATTR_FAMILY_ID: genl.FAMILY_ID},
                              type=genl.GENL_ID_CTRL, version=2))
    assert by_id[0].get(genl.CTRL_ATTR_FAMILY_NAME) == genl.FAMILY_NAME
    # the name wins over the id; neither is EINVAL
    assert c.error(Message(genl.CTRL_CMD_GETFAMILY, {genl.CTRL_ATTR_FAMILY_NAME: "nl80211",
                                                     genl.CTRL_ATTR_FAMILY_ID: genl.FAMILY_ID},
                           type=genl.GENL_ID_CTRL)) == -errno.ENOENT
    assert c.error(Message(genl.CTRL_CMD_GETFAMILY, type=genl.GENL_ID_CTRL)) == -errno.EINVAL


def test_pyroute2_resolves_the_family_over_the_unix_socket(path):
    """A pyroute2 client parses our nlctrl answer like the kernel's (ops, groups)."""
    from pyroute2.netlink import NLM_F_ACK, NLM_F_REQUEST, ctrlmsg

    w = World(1)
    w.medium.serve(path)
    c = Client(w, path)
    m = ctrlmsg()
    m["cmd"], m["version"] = genl.CTRL_CMD_GETFAMILY, 2
    m["attrs"] = [("CTRL_ATTR_FAMILY_NAME", "MAC80211_HWSIM")]
    m["header"] = {"type": genl.GENL_ID_CTRL, "flags": NLM_F_REQUEST | NLM_F_ACK, "sequence_number": 9}
    m.encode()
    c.sock.send(bytes(m.data))
    raw = b""
    for _ in range(100):
        w.sched.poll_io(0.01)
        try:
            raw = c.sock.recv(65536)
            break
        except BlockingIOError:
            pass
    r = ctrlmsg(bytearray(raw))
    r.decode()
    assert r.get_attr("CTRL_ATTR_FAMILY_ID") == genl.FAMILY_ID
    groups = r.get_attr("CTRL_ATTR_MCAST_GROUPS")
    assert [g.get_attr("CTRL_ATTR_MCAST_GRP_NAME") for g in groups] == ["config"]
    assert len(r.get_attr("CTRL_ATTR_OPS")) == len(genl.OPS)


def test_new_radio_checks_cipher_suites_like_the_kernel(path):
    w = World(0)
    w.medium.serve(path)
    c = Client(w, path)
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.CIPHER_SUPPORT: bytes(6)})) == -errno.EINVAL
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.CIPHER_SUPPORT: (0x000FAC04,) * 12})) == -errno.E2BIG
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.CIPHER_SUPPORT: (0x00ABCDEF,)})) == -errno.EINVAL
    assert c.error(Message(Cmd.NEW_RADIO, {Attr.CIPHER_SUPPORT: (0x000FAC04, 0x000FAC02)})) == 0


def test_a_client_that_stops_reading_costs_bounded_memory(path):
    w, ext, c = registered(2, path)
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ext.client.max_out = 64 * 1024
    f = data(BCAST, mac(0), BCAST) + bytes(1000)
    for _ in range(2000):  # never read by the client; the pending cap drops the oldest as the kernel does
        w.ports[0].transmit(f)
        w.sched.poll_io(0)
    assert ext.client.out_bytes <= 64 * 1024 and ext.client.out_dropped > 0
    assert w.medium.counters["ext_out_dropped"] == ext.client.out_dropped
    assert ext.pending <= MAX_QUEUE


def test_a_client_s_bad_messages_are_logged_a_few_times_then_counted(path, caplog):
    from drivers.hwsim.external.connection import WARN_BURST

    w, ext, c = registered(2, path)
    with caplog.at_level(logging.WARNING, logger="drivers.hwsim.external.server"):
        for cookie in range(50):
            assert c.error(genl.tx_info_msg(hw(0), 0, 1000 + cookie, 0, genl.NO_RATES)) == -errno.EINVAL
        for _ in range(50):
            c.send(_raw(genl.FAMILY_ID, REQ_ACK, 9, bytes([Cmd.FRAME, 1, 0, 0]) + _nla(Attr.FLAGS, b"\1")))
        c.pump()
    lines = [r.getMessage() for r in caplog.records]
    assert len([m for m in lines if "not pending" in m]) == WARN_BURST
    assert len([m for m in lines if "cannot be accepted" in m]) == WARN_BURST
    assert w.medium.counters["ext_unknown_cookie"] == 50 and w.medium.counters["ext_malformed"] == 50
    assert c.error(Message(0, type=genl.NLMSG_NOOP)) == 0  # still serving
