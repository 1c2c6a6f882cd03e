"""hwsim-mediumd's kernel mode against a fake kernel: family by name, addresses, channels, errors, bounds."""

import errno
import logging
import socket
import threading
import time

import pytest

from drivers.hwsim.external import genl
from drivers.hwsim.external.connection import WARN_BURST
from drivers.hwsim.external.genl import Attr, Cmd, Message
from drivers.hwsim.external.mediumd import MediumDaemon, MediumError
from drivers.hwsim.kernel.rates import RC_40_MHZ, RC_MCS, RC_SHORT_GI, RC_USE_RTS_CTS, RC_VHT_MCS
from ic.sched import SEC, Scheduler

from .fakekernel import FakeKernel
from .helpers import BCAST, beacon, data, mac, probe_req

# station 0 named by its radio's permanent address, station 1 by its interface address;
# radio 2 is not listed: it gets the default SNR (20 dB)
CFG = """
ifaces : { ids = [ "42:00:00:00:00:00", "02:00:00:00:01:00" ]; };
model : { type = "snr"; default_snr = 20; links = ( (0, 1, 35) ); };
"""


def hw(i: int) -> bytes:
    return bytes((0x42, 0, 0, 0, i, 0))


@pytest.fixture
def cfg(tmp_path):
    p = tmp_path / "wmediumd.cfg"
    p.write_text(CFG)
    return str(p)


def daemon_for(cfg: str, **kw) -> MediumDaemon:
    return MediumDaemon(cfg, sched=Scheduler(), **kw)


def up(cfg: str, nradios: int = 3, **kw):
    fk = FakeKernel(nradios)
    d = daemon_for(cfg, **kw)
    fk.handshake(d)
    return fk, d


def test_family_and_group_are_resolved_by_name_and_requests_count_up(cfg):
    ids = []
    for family in (0x1B, 0x2C):  # a new id at every module load
        fk = FakeKernel(3, family=family)
        d = daemon_for(cfg)
        fk.handshake(d)
        assert d.family == family and fk.registered
        assert fk.transport.groups == [fk.group]  # joined `config`
        cmds = [(m.type, m.cmd) for m in fk.requests]
        assert cmds == [(genl.GENL_ID_CTRL, genl.CTRL_CMD_GETFAMILY), (fk.family, Cmd.GET_RADIO),
                        (fk.family, Cmd.REGISTER)]
        seqs = [m.seq for m in fk.requests]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3 and 0 not in seqs
        # the dump placed every radio: 0 and 1 on their config stations, 2 on a default one
        assert {r.hw: r.station for r in d.radios.values()} == {hw(0): 0, hw(1): 1, hw(2): 2}
        ids.append(d.family)
        fk.tx(0, data(mac(1), mac(0), mac(1)))
        fk.pump(d)
        assert [m.seq for m in fk.requests[3:]] == [seqs[-1] + 1, seqs[-1] + 2]  # delivery, status
        d.close()
    assert ids[0] != ids[1]


def test_unicast_delivered_to_the_radio_s_own_address_and_acked(cfg):
    fk, d = up(cfg)
    u = data(mac(1), mac(0), mac(1))
    cookie = fk.tx(0, u, rates=((3, 2), (0, 4)))
    fk.pump(d)
    (m,) = fk.radios[1].rx
    assert m.attrs[Attr.ADDR_RECEIVER] == hw(1) and m.attrs[Attr.FRAME] == u
    assert m.attrs[Attr.FREQ] == 2412 and m.attrs[Attr.SIGNAL] == -91 + 35 and m.attrs[Attr.RX_RATE] == 3
    (st,) = fk.radios[0].status
    assert st.attrs[Attr.COOKIE] == cookie and st.attrs[Attr.FLAGS] & genl.TX_STAT_ACK
    assert st.attrs[Attr.TX_INFO] == ((3, 1), (-1, 0), (-1, 0), (-1, 0))  # one try at the first rate
    assert fk.refused == [] and fk.radios[2].rx == [] and fk.radios[0].pending == {}


def test_frames_go_only_to_radios_on_the_sender_s_channel(cfg):
    fk, d = up(cfg)
    fk.radios[0].freq = 2437  # radio 0 listens on channel 6 but has not sent anything yet
    fk.tx(1, beacon(mac(1)), freq=2437)  # radio 1 is an AP on channel 6
    fk.pump(d)
    # Radios not heard yet get the frame with an ack request: the kernel takes it on
    # its channel (radio 0: now known to be on 2437) and refuses it elsewhere (radio 2).
    assert [m.attrs[Attr.FREQ] for m in fk.radios[0].rx] == [2437] and fk.radios[2].rx == []
    assert d.radios[hw(0)].freq == 2437 and d.radios[hw(2)].freq is None
    assert d.stats["channels_learned"] == 1 and d.stats["probe_offchannel"] == 1 and d.stats["refused"] == 0
    fk.refused.clear()
    fk.tx(2, probe_req(mac(2)), freq=2412)  # radio 2 scans channel 1: nobody there
    fk.tx(2, probe_req(mac(2)), freq=2437)  # then channel 6, where the AP is
    fk.pump(d)
    assert [m.attrs[Attr.FREQ] for m in fk.radios[1].rx] == [2437]
    assert len(fk.radios[0].rx) == 2
    resp = bytes([0x50, 0, 0, 0]) + mac(2) + mac(1) + mac(1) + b"\0\0" + b"r" * 40
    fk.tx(1, resp, freq=2437)  # the probe response reaches the scanner on the scanner's channel
    fk.pump(d)
    assert [(m.attrs[Attr.FRAME], m.attrs[Attr.FREQ]) for m in fk.radios[2].rx] == [(resp, 2437)]
    assert fk.radios[1].status[-1].attrs[Attr.FLAGS] & genl.TX_STAT_ACK
    fk.tx(0, beacon(mac(0)), freq=2412)  # radio 0 moves to channel 1: the AP no longer hears it
    fk.pump(d)
    assert len(fk.radios[1].rx) == 1
    assert fk.refused == []  # every delivery matched the receiver's channel


@pytest.mark.parametrize("radio_is_receiver", [True, False], ids=["linux-6.1", "wmediumd-order"])
def test_add_mac_addr_of_a_silent_radio_is_learned_in_either_order(cfg, radio_is_receiver):
    fk, d = up(cfg)
    vap = bytes.fromhex("060000aa0001")
    attrs = ({Attr.ADDR_RECEIVER: hw(2), Attr.ADDR_TRANSMITTER: vap} if radio_is_receiver
             else {Attr.ADDR_TRANSMITTER: hw(2), Attr.ADDR_RECEIVER: vap})
    fk.notify(Message(Cmd.ADD_MAC_ADDR, attrs))
    fk.pump(d)
    assert d.by_addr[vap].hw == hw(2)
    fk.tx(0, data(vap, mac(0), vap))
    fk.pump(d)
    assert [m.attrs[Attr.ADDR_RECEIVER] for m in fk.radios[2].rx] == [hw(2)]
    assert fk.radios[0].status[-1].attrs[Attr.FLAGS] & genl.TX_STAT_ACK  # the medium ACKs for the vap
    fk.notify(Message(Cmd.DEL_MAC_ADDR, attrs))
    fk.tx(0, data(vap, mac(0), vap))
    fk.pump(d)
    assert vap not in d.by_addr and not fk.radios[0].status[-1].attrs[Attr.FLAGS] & genl.TX_STAT_ACK


def test_radios_created_and_removed_later_join_and_leave(cfg):
    fk, d = up(cfg, nradios=2)
    fk.radios[5] = fk_radio = type(fk.radios[0])(5, hw(5))
    fk.notify(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: 5, Attr.CHANNELS: 1, Attr.RADIO_NAME: "phy5"}))
    fk.pump(d)
    assert d.radios[hw(5)].name == "phy5" and d.radios[hw(5)].station is not None
    fk.tx(0, beacon(mac(0)))
    fk.pump(d)
    assert len(fk_radio.rx) == 1 and fk_radio.rx[0].attrs[Attr.SIGNAL] == -91 + 20  # the default link
    fk.notify(Message(Cmd.DEL_RADIO, {Attr.RADIO_ID: 5, Attr.RADIO_NAME: "phy5"}))
    fk.tx(0, beacon(mac(0)))
    fk.pump(d)
    assert hw(5) not in d.radios and len(fk_radio.rx) == 1 and fk.refused == []


def test_a_config_station_follows_the_address_that_names_it(tmp_path):
    p = tmp_path / "c.cfg"
    p.write_text('ifaces : { ids = [ "02:00:00:00:00:00", "02:12:34:56:78:9a" ]; };\n'
                 'model : { type = "snr"; default_snr = 10; links = ( (0, 1, 33) ); };')
    fk, d = up(str(p))
    assert d.radios[hw(2)].station == 3  # on a default station until ...
    fk.notify(Message(Cmd.ADD_MAC_ADDR, {Attr.ADDR_RECEIVER: hw(2),
                                         Attr.ADDR_TRANSMITTER: bytes.fromhex("02123456789a")}))
    fk.pump(d)
    assert d.radios[hw(2)].station == 1  # ... the config's address is announced for it
    fk.tx(0, beacon(mac(0)))
    fk.pump(d)
    assert [m.attrs[Attr.SIGNAL] for m in fk.radios[2].rx] == [-91 + 33]


def test_ebusy_at_register_is_fatal_with_the_reason(cfg):
    fk = FakeKernel(2, busy=True)
    d = daemon_for(cfg)
    with pytest.raises(MediumError, match="EBUSY.*another medium"):
        fk.handshake(d)


@pytest.mark.parametrize("when", ["before GETFAMILY's answer", "after REGISTER without an ack"])
def test_a_peer_closing_during_the_handshake_ends_it(cfg, when):
    fk = FakeKernel(2)
    d = daemon_for(cfg)

    def peer():
        if when.startswith("before"):
            fk.sock.recv(65536)  # the GETFAMILY, never answered
        else:
            fk.serve(lambda: any(m.cmd == Cmd.GET_RADIO for m in fk.requests))
            fk.sock.recv(65536)  # the REGISTER, never answered
        fk.close()

    t = threading.Thread(target=peer)
    t.start()
    t0 = time.monotonic()
    with pytest.raises(MediumError, match="closed the connection during the handshake"):
        d.connect(fk.transport)
    t.join()
    assert time.monotonic() - t0 < 4  # ended at once, no spin until the timeout


def test_a_status_the_kernel_no_longer_waits_for_is_counted_apart_and_rate_limited(cfg, caplog):
    """hwsim_tx_info_frame_received_nl() answers EINVAL to a cookie not among the radio's
    pending frames (dropped from a full queue, a radio gone, a frame a peer made up): counted
    as stale_cookies, logged with what it answers, never an error nor fatal."""
    fk, d = up(cfg)
    with caplog.at_level(logging.WARNING, logger="hwsim-mediumd"):
        for n in range(30):  # statuses for cookies the kernel never sent: EINVAL
            d._emit_status(d.peers[0], hw(0), 0, 1000 + n, 0, genl.pack_tx_info(()))
        d._flush()
        fk.pump(d)
    assert len(fk.refused) == 30 and d.stats["stale_cookies"] == 30
    assert d.stats["refused"] == d.stats["errors"] == 0 and not d.done
    lines = [r.getMessage() for r in caplog.records if "pending" in r.getMessage()]
    assert len(lines) == WARN_BURST
    assert "TX_INFO_FRAME 42:00:00:00:00:00 #1000" in lines[0] and "EINVAL" in lines[0]


def test_kernel_errors_are_logged_with_what_was_sent_and_rate_limited(cfg, caplog):
    fk, d = up(cfg)
    peer = d.peers[0]
    with caplog.at_level(logging.WARNING, logger="hwsim-mediumd"):
        for n in range(30):  # the kernel refuses requests of ours (as it would with a family gone)
            seq = peer.next_seq()
            peer.remember(seq, f"GET_RADIO {n}")
            fk.sock.send(genl.encode_ack(-errno.ENOENT, genl.encode(Message(Cmd.GET_RADIO, type=fk.family,
                                                                            seq=seq))))
        fk.pump(d)
    assert d.stats["refused"] == d.stats["errors"] == 30
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(lines) == WARN_BURST
    assert "refused GET_RADIO 0 (seq" in lines[0] and "ENOENT" in lines[0]


def test_answers_to_requests_never_made_and_statuses_sent_to_the_medium_are_ignored(cfg, caplog):
    """A peer may answer what we never asked (any sequence number, any errno) and send the
    medium statuses: counted as ignored, answered with nothing, never taken as refusals."""
    fk, d = up(cfg)
    fk.pump(d)
    ignored = d.stats["ignored"]
    issued = d.peers[0].seq
    with caplog.at_level(logging.WARNING, logger="hwsim-mediumd"):
        for n in range(20):
            req = genl.encode(Message(Cmd.FRAME, type=fk.family, seq=issued + 1000 + n))
            fk.sock.send(genl.encode_ack(-(errno.EINVAL, errno.ENOENT, errno.EBUSY)[n % 3], req))
            fk.sock.send(genl.encode_tx_info(fk.family, hw(0), genl.TX_STAT_ACK, 1 << 40 | n, -30,
                                             genl.pack_tx_info(((0, 1),))))
        fk.pump(d)
    assert d.stats["ignored"] == ignored + 40
    assert d.stats["refused"] == d.stats["errors"] == d.stats["stale_cookies"] == d.stats["malformed"] == 0
    assert fk.requests[-1].cmd != Cmd.TX_INFO_FRAME or fk.requests[-1].attrs[Attr.COOKIE] < 1 << 40
    assert not any(m.attrs.get(Attr.COOKIE, 0) >= 1 << 40 for m in fk.requests)  # nothing answered
    assert len([r for r in caplog.records if "ignoring" in r.getMessage()]) <= 2 * WARN_BURST


def test_a_radio_that_refuses_deliveries_is_sought_again(cfg, caplog):
    """EINVAL for a delivery: the radio is not on that channel (any more); it is sought
    again as a radio not heard yet is; never fatal."""
    fk, d = up(cfg)
    fk.tx(1, beacon(mac(1)))  # heard: its channel is known
    fk.pump(d)
    fk.radios[1].started = False  # the kernel refuses deliveries to it: EINVAL
    with caplog.at_level(logging.WARNING, logger="hwsim-mediumd"):
        for _ in range(30):
            fk.tx(0, data(mac(1), mac(0), mac(1)))
            fk.pump(d)
    assert d.stats["channels_lost"] == 1 and d.radios[hw(1)].freq is None
    # the deliveries that followed asked for an answer: counted, expected, not logged
    assert d.stats["probe_offchannel"] == len(fk.refused) - 1
    assert d.stats["refused"] == 0 and not [r for r in caplog.records if "refused" in r.getMessage()]
    fk.radios[1].started = True
    fk.pump(d, 1_100_000_000)
    fk.tx(0, data(mac(1), mac(0), mac(1)))
    fk.pump(d)
    assert len(fk.radios[1].rx) == 1 and d.radios[hw(1)].freq == 2412  # found again


def test_malformed_input_is_counted_and_other_radios_still_served(cfg, caplog):
    fk, d = up(cfg)
    bad = [
        b"\x05\0\0",  # a runt
        genl.encode(Message(Cmd.FRAME, {Attr.FRAME: b"x" * 30}, type=fk.family))[:-8],  # truncated
        genl.encode(Message(Cmd.FRAME, {Attr.ADDR_TRANSMITTER: hw(0)}, type=fk.family)),  # no FRAME/COOKIE
        genl.encode(Message(Cmd.START_PMSR, {}, type=fk.family)),  # a command no medium gets
        genl.encode(Message(Cmd.FRAME, {Attr.FLAGS: 1}, type=fk.family))[:-2] + b"\1\0",  # short u32
    ]
    with caplog.at_level(logging.WARNING, logger="hwsim-mediumd"):
        for _ in range(20):
            for b in bad:
                fk.sock.send(b)
        fk.tx(0, data(mac(1), mac(0), mac(1)))
        fk.pump(d)
    assert len(fk.radios[1].rx) == 1 and fk.radios[0].status
    assert d.stats["malformed"] >= 80
    assert len(caplog.records) <= 3 * WARN_BURST  # one line per kind, not per datagram
    # a status for a cookie nobody knows comes back from the kernel as EINVAL: counted, not fatal
    d._emit_status(d.peers[0], hw(0), 0, 999, 0, genl.pack_tx_info(()))
    d._flush()
    fk.pump(d)
    assert d.stats["stale_cookies"] == 1 and not d.done


def test_address_and_radio_floods_are_bounded(cfg):
    fk, d = up(cfg, max_radios=16, max_addrs=8)
    for i in range(2000):
        fk.notify(Message(Cmd.ADD_MAC_ADDR, {Attr.ADDR_RECEIVER: hw(0),
                                             Attr.ADDR_TRANSMITTER: bytes((2, 9, 0, 0, i >> 8, i & 0xFF))}))
        fk.notify(Message(Cmd.ADD_MAC_ADDR, {Attr.ADDR_RECEIVER: bytes((0x42, 7, 0, 0, i >> 8, i & 0xFF)),
                                             Attr.ADDR_TRANSMITTER: bytes((2, 7, 0, 0, i >> 8, i & 0xFF))}))
        fk.notify(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: 100 + i, Attr.CHANNELS: 1}))
        if i % 100 == 0:
            fk.pump(d, 0)
    fk.pump(d, 0)
    assert len(d.radios[hw(0)].addrs) == 8 and len(d.radios) == 16 and len(d.by_addr) <= 16 * 8
    assert d.stats["addrs_dropped"] > 1000 and d.stats["radios_dropped"] > 1000
    assert len(d.medium.ports) <= 16 + 2


def _junk(fk: FakeKernel, i: int, frame: bytes, freq: int = 2412) -> None:
    """A FRAME from a transmitter no radio has (a driver's socket may send anything)."""
    junk = bytes((0x42, 0x66, 0, 0, i >> 8, i & 0xFF))
    fk._send(genl.encode_frame(fk.family, junk, frame, genl.TX_CTL_REQ_TX_STATUS, freq,
                               genl.pack_tx_info(((0, 1),)), genl.pack_tx_info_flags(((0, 0),)), i + 1))


def test_junk_transmitters_get_no_station_and_good_traffic_is_served(cfg):
    fk, d = up(cfg)
    for i in range(3):
        fk.tx(i, beacon(mac(i)))  # every announced radio heard at its address
    fk.pump(d)
    ports, radios = len(d.medium.ports), len(d.radios)
    for i in range(2000):
        _junk(fk, i, beacon(bytes((2, 0x66, 0, 0, i >> 8, i & 0xFF))))
        if i % 200 == 0:
            fk.pump(d, 0)
    while d.stats["frames"] < 3 + 2000:  # nothing comes back to wait for: read until all are in
        d.sched.poll_io(1.0)
    fk.pump(d)
    assert len(d.radios) == radios == 3 and len(d.medium.ports) == ports
    assert d.stats["unannounced"] == 2000 and d.stats["unknown_sender"] == 2000
    assert all(len(r.rx) == 2 for r in fk.radios.values())  # the junk reached nobody
    assert fk.refused == []  # nor was it answered with a status the kernel would refuse
    fk.tx(0, data(mac(1), mac(0), mac(1)))
    fk.pump(d)
    assert len(fk.radios[1].rx) == 3 and fk.radios[0].status[-1].attrs[Attr.FLAGS] & genl.TX_STAT_ACK


def test_a_radio_with_an_address_of_its_own_is_taken_as_an_announced_one(cfg):
    # radio 2 was created with PERM_ADDR: the dump (as the kernel's) gives only its id, so the
    # daemon guesses 42:00:00:00:02:00; its first frame comes from another address
    fk, d = up(cfg)
    own = bytes.fromhex("42123456789a")
    fk.radios[2].hw = own
    fk.tx(2, beacon(own))
    fk.pump(d)
    assert d.radios[own].partner is d.radios[hw(2)] and d.radios[own].station is not None
    assert len(fk.radios[0].rx) == 1 and fk.radios[2].status  # its beacon was on the air
    _junk(fk, 1, beacon(mac(9)))  # no announced radio is left unheard: a second stranger is refused
    fk.pump(d)
    assert d.stats["unannounced"] == 1 and len(fk.radios[0].rx) == 1
    fk.notify(Message(Cmd.DEL_RADIO, {Attr.RADIO_ID: 2}))
    fk.pump(d)
    assert own not in d.radios and hw(2) not in d.radios


def test_an_announced_radio_that_refuses_every_delivery_is_put_to_sleep(cfg):
    fk, d = up(cfg)
    fk.radios[2].hw = bytes.fromhex("42123456789a")  # the guess 42:00:00:00:02:00 names nobody
    for k in range(20):
        fk.tx(0, beacon(mac(0)), freq=(2412, 2437, 2462)[k % 3])
        fk.pump(d)
        d.sched.run_for(SEC)  # the kernel's refusal of a channel is believed for a second
    guess = d.radios[hw(2)]
    assert guess.asleep and guess.station is None and d.stats["radios_asleep"] == 1
    refused = d.stats["probe_offchannel"]
    assert refused == 8  # FORGET_AFTER: then no more deliveries to it
    fk.tx(0, beacon(mac(0)))
    fk.pump(d)
    assert d.stats["probe_offchannel"] == refused
    fk.radios[2].hw = hw(2)  # it was there after all (a radio that was down): heard, it is back
    fk.tx(2, beacon(mac(2)), freq=2412)
    fk.pump(d)
    assert not guess.asleep and guess.station is not None
    fk.tx(0, beacon(mac(0)), freq=2412)
    fk.pump(d)
    assert len(fk.radios[2].rx) == 1


def test_a_kernel_that_stops_reading_costs_bounded_memory(cfg):
    fk, d = up(cfg)
    d.conn.max_out = 32 * 1024
    fk.transport.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    fk.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    frame = data(BCAST, mac(0), BCAST, b"z" * 1400)
    for i in range(300):
        fk.tx(i % 3, frame)
        d.sched.poll_io(0)
        d.sched.run_for(5_000_000)  # the kernel's side never reads
    assert d.conn.out_bytes <= 32 * 1024 and d.stats["out_dropped"] > 0


def test_a_closed_kernel_socket_ends_the_run(cfg, caplog):
    fk, d = up(cfg)
    fk.close()
    with caplog.at_level(logging.INFO, logger="hwsim-mediumd"):
        d.sched.poll_io(0.1)
        d.close()
    assert d.done and "the kernel closed the socket" in caplog.text
    assert "the kernel falls back to its perfect medium" in caplog.text


def test_errno_when_no_family(cfg):
    fk = FakeKernel(1)
    d = daemon_for(cfg)

    def peer():  # a kernel without mac80211_hwsim: nlctrl answers ENOENT to the name
        data = fk.sock.recv(65536)
        req = genl.decode(data)[0]
        fk.sock.send(genl.encode_ack(-errno.ENOENT, req.raw))

    t = threading.Thread(target=peer)
    t.start()
    with pytest.raises(MediumError, match="GETFAMILY MAC80211_HWSIM.*ENOENT"):
        d.connect(fk.transport)
    t.join()


def test_the_codec_reads_the_real_kernel_s_nlctrl():
    """The host's own nlctrl (present in every Linux kernel) answers our GETFAMILY
    with ops and groups our codec parses; an absent family is ENOENT."""
    from drivers.hwsim.external.transport import open_kernel

    try:
        t = open_kernel()
    except OSError as e:
        pytest.skip(f"no generic netlink here: {e}")
    try:
        t.sock.settimeout(5)
        t.sock.send(genl.encode(genl.getfamily_msg("nlctrl", seq=5)))
        reply, ack = genl.decode(t.sock.recv(65536)) + genl.decode(t.sock.recv(65536))
        assert reply.seq == 5 and reply.get(genl.CTRL_ATTR_FAMILY_ID) == genl.GENL_ID_CTRL
        assert "notify" in reply.get(genl.CTRL_ATTR_MCAST_GROUPS)
        assert (genl.CTRL_CMD_GETFAMILY, reply.get(genl.CTRL_ATTR_OPS)[0][1]) in reply.get(genl.CTRL_ATTR_OPS)
        assert ack.error == 0 and ack.req_seq == 5 and ack.flags & genl.NLM_F_CAPPED
        t.join(reply.get(genl.CTRL_ATTR_MCAST_GROUPS)["notify"])  # how the daemon joins `config`
        t.sock.send(genl.encode(genl.getfamily_msg("NO_SUCH_FAM", seq=6)))
        (err,) = genl.decode(t.sock.recv(65536))
        assert err.error == -errno.ENOENT and err.req_seq == 6 and t.portid > 0
        # a name of 16 characters has no NUL within GENL_NAMSIZ: the kernel and our policy both say EINVAL
        long = genl.encode(genl.getfamily_msg("NO_SUCH_FAMILY_X", seq=7))
        t.sock.send(long)
        (err,) = genl.decode(t.sock.recv(65536))
        (ours,) = genl.decode(long)
        assert err.error == -errno.EINVAL and isinstance(ours, genl.GenlError) and ours.errno == errno.EINVAL
    finally:
        t.close()


def test_command_line_says_what_is_missing(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    cfg = tmp_path / "c.cfg"
    cfg.write_text(CFG)
    run = [sys.executable, "-m", "drivers.hwsim.external.mediumd"]
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    helptext = subprocess.run(run + ["-h"], capture_output=True, text=True, env=env).stdout
    assert "--kernel" in helptext and "--netns" in helptext and "--socket" in helptext
    bad = subprocess.run(run + ["-c", str(cfg), "-s", "/x", "--netns", "a"], capture_output=True, text=True,
                         env=env)
    assert bad.returncode == 2 and "--netns applies to the kernel" in bad.stderr
    gone = subprocess.run(run + ["-c", str(cfg), "-s", str(tmp_path / "none.sock")], capture_output=True,
                          text=True, env=env)
    assert gone.returncode == 1 and "none.sock" in gone.stderr


def test_over_a_driver_s_socket_radios_added_later_are_served(cfg, tmp_path):
    """UNIX-socket mode: the driver announces NEW_RADIO/DEL_RADIO to its registered
    medium as the kernel does on `config`; the daemon (real time, its own thread) serves the new radio."""
    from drivers.hwsim.external.transport import open_unix
    from ic import SEC, State
    from net80211.driver import open_driver

    s = Scheduler()
    drv = open_driver("hwsim", s, radios=2)
    path = str(tmp_path / "m.sock")
    ext = drv.medium.serve(path)
    d = MediumDaemon(cfg)

    def daemon():
        d.connect(open_unix(path))
        d.run()

    t = threading.Thread(target=daemon)
    t.start()
    try:
        assert ext.wait_for_client(10)
        late = drv.medium.add_radio("late")
        s.poll_io(0)
        deadline = time.monotonic() + 10
        while late.hwaddr not in d.radios and time.monotonic() < deadline:
            s.poll_io(0.01)
        r = d.radios[late.hwaddr]
        assert r.name == "late" and r.station is not None
        ap = drv.devices[0].create_vap("wlan0", "hostap", ssid="late", channel=1)
        sta = late.create_vap("wlan9", "sta", ssid="late")
        ap.up()
        sta.up()
        assert s.run_until(lambda: sta.state == State.RUN, 5 * SEC)
        assert d.stats["refused"] == 0 and drv.medium.counters.get("ext_timeouts", 0) == 0
        drv.medium.remove_radio(late)
        deadline = time.monotonic() + 10
        while late.hwaddr in d.radios and time.monotonic() < deadline:
            s.poll_io(0.01)
        assert late.hwaddr not in d.radios
    finally:
        d.done = True
        d.sched.stop()
        t.join(10)
        ext.close()


def test_a_namespace_is_entered_for_the_socket_and_left_again():
    """--netns opens the socket inside the namespace (here our own, by path) and returns."""
    import os

    from drivers.hwsim.external.transport import open_kernel

    before = os.readlink("/proc/self/ns/net")
    try:
        t = open_kernel("/proc/self/ns/net")
    except OSError as e:
        pytest.skip(f"cannot enter a network namespace here: {e}")
    try:
        assert t.portid > 0 and "netns /proc/self/ns/net" in t.name
        assert os.readlink("/proc/self/ns/net") == before
    finally:
        t.close()
    with pytest.raises(OSError):
        open_kernel("no-such-namespace-hwsim-test")
    assert os.readlink("/proc/self/ns/net") == before


@pytest.mark.parametrize("close_at", [genl.CTRL_CMD_GETFAMILY, Cmd.REGISTER],
                         ids=["at-GETFAMILY", "at-REGISTER"])
def test_the_daemon_process_exits_when_the_driver_closes_during_the_handshake(cfg, tmp_path, close_at):
    """Issue #19: hwsim-mediumd span at 100% CPU when the driver closed before
    answering GETFAMILY or after REGISTER without an ack.  Now it exits at once, saying why."""
    import subprocess
    import sys
    from pathlib import Path

    path = str(tmp_path / "drv.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(20)
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[3]), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-m", "drivers.hwsim.external.mediumd", "-c", cfg, "-s", path],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        conn, _ = srv.accept()
        conn.settimeout(20)
        while True:  # a driver that answers until the step it dies at
            (m,) = genl.decode(conn.recv(65536))
            if m.cmd == close_at:
                conn.close()
                break
            if m.type == genl.GENL_ID_CTRL:
                conn.send(genl.encode(genl.newfamily_msg(seq=m.seq)))
                conn.send(genl.encode_ack(0, m.raw))
            else:  # the GET_RADIO dump: no radios
                conn.send(genl.encode_done(m.seq, 0))
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        srv.close()
    # exited within the 10 s above (a spinning daemon never does) and said why
    assert proc.returncode == 1 and "closed the connection during the handshake" in out


def test_a_radio_not_heard_yet_is_found_on_its_channel_among_several(cfg):
    """Traffic on two channels at once: a silent radio is tried on one channel at a
    time (not retuned by every frame, which lost the frames of its own channel), a
    channel the kernel refused is not tried again at once, and once found it
    receives every frame of its channel and none of the other."""
    fk, d = up(cfg)
    fk.radios[2].freq = 2437  # silent, on channel 6
    fk.tx(1, beacon(mac(1)), freq=2437)  # both in the air together: channel 6 first ...
    fk.tx(0, beacon(mac(0)), freq=2412)  # ... then channel 1
    fk.pump(d)
    assert [m.attrs[Attr.FREQ] for m in fk.radios[2].rx] == [2437] and d.radios[hw(2)].freq == 2437
    fk.radios[2].rx.clear()
    fk.radios[3] = type(fk.radios[0])(3, hw(3), freq=2437)  # another silent radio on channel 6
    fk.notify(Message(Cmd.NEW_RADIO, {Attr.RADIO_ID: 3, Attr.RADIO_NAME: "phy3"}))
    for _ in range(2):  # channel 1 first: refused once, then left alone
        fk.tx(0, beacon(mac(0)), freq=2412)
        fk.tx(1, beacon(mac(1)), freq=2437)
        fk.pump(d)
    assert d.radios[hw(3)].freq == 2437 and [m.attrs[Attr.FREQ] for m in fk.radios[3].rx] == [2437]
    assert d.stats["probe_offchannel"] == 1
    assert [m.attrs[Attr.FREQ] for m in fk.radios[2].rx] == [2437, 2437] and d.stats["refused"] == 0


def test_a_radio_that_scanned_is_found_where_it_listens_next(cfg):
    """After a probe request a radio leaves its channel without a word (a scan, a P2P
    search followed by listen): its answers still reach it, then it is sought again."""
    fk, d = up(cfg)
    fk.tx(2, probe_req(mac(2)), freq=2412)
    resp = bytes([0x50, 0, 0, 0]) + mac(2) + mac(1) + mac(1) + b"\0\0" + b"r" * 40
    fk.tx(1, resp, freq=2412)  # the answer on the channel of the request
    fk.pump(d)
    assert [m.attrs[Attr.FRAME] for m in fk.radios[2].rx] == [resp]
    fk.radios[2].freq = 2437  # it goes to listen on channel 6, silently
    fk.radios[2].rx.clear()
    fk.pump(d, 200_000_000)  # past the time the answers have
    for _ in range(3):
        fk.tx(0, beacon(mac(0)), freq=2412)  # the kernel refuses it on channel 1: sought again ...
        fk.tx(1, beacon(mac(1)), freq=2437)  # ... and found on channel 6
        fk.pump(d)
    assert [m.attrs[Attr.FREQ] for m in fk.radios[2].rx] == [2437, 2437] and d.radios[hw(2)].freq == 2437
    assert d.stats["channels_lost"] == 1 and d.stats["channels_learned"] >= 1
    assert d.stats["refused"] == 0  # expected answers, not logged as refusals


def test_a_probe_request_to_its_ap_is_not_a_scan(cfg):
    """mac80211 checks on a silent AP with a probe request to the AP alone: the station stays
    on its channel, so deliveries to it need not ask where it is."""
    fk, d = up(cfg)
    fk.tx(2, data(mac(1), mac(2), mac(1)), freq=2412)
    fk.pump(d)
    assert d.radios[hw(2)].freq == 2412
    fk.tx(2, bytes([0x40, 0, 0, 0]) + mac(1) + mac(2) + mac(1) + b"\0\0" + b"\0\0", freq=2412)
    fk.pump(d)
    r = d.radios[hw(2)]
    assert r.freq == 2412 and r.station not in d.unheard
    fk.tx(2, probe_req(mac(2)), freq=2412)  # to all: a scan
    fk.pump(d)
    assert d.radios[hw(2)].freq is None


def test_frames_for_other_radios_do_not_retune_a_silent_one(cfg):
    fk, d = up(cfg)
    fk.radios[2].freq = 2437
    fk.tx(0, data(mac(1), mac(0), mac(1)), freq=2412)  # unicast for radio 1 on channel 1: nothing for radio 2
    fk.tx(1, beacon(mac(1)), freq=2437)
    fk.pump(d)
    assert [m.attrs[Attr.FREQ] for m in fk.radios[2].rx] == [2437] and d.radios[hw(2)].freq == 2437
    assert d.stats["probe_offchannel"] == 0


def test_a_netlink_overrun_is_counted_and_reading_goes_on():
    """recv() failing with ENOBUFS (the kernel dropped messages for a slow reader) is not the end."""
    from drivers.hwsim.external.connection import Connection

    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

    class Overrun(socket.socket):
        first = True

        def recv(self, n, *args):
            if self.first:
                self.first = False
                raise OSError(errno.ENOBUFS, "No buffer space available")
            return super().recv(n, *args)

    sock = Overrun(fileno=a.detach())
    sched = Scheduler()
    got, closed = [], []
    conn = Connection(sched, sock, 1, lambda c, d: got.append(d), closed.append)
    b.send(b"one")
    b.close()
    sched.poll_io(0.1)
    assert got == [b"one"] and conn.overruns == 1 and closed == [conn]


def test_a_register_refused_for_a_multichannel_radio_is_explained(cfg, tmp_path):
    from drivers.hwsim.external.transport import open_unix

    from .helpers import World

    w = World(0)
    w.medium.add_radio(channels=2)
    path = str(tmp_path / "m.sock")
    w.medium.serve(path)
    d = daemon_for(cfg)
    err = []

    def connect():
        try:
            d.connect(open_unix(path))
        except MediumError as e:
            err.append(str(e))

    t = threading.Thread(target=connect)
    t.start()
    while t.is_alive():
        w.sched.poll_io(0.01)
    assert len(err) == 1 and "EOPNOTSUPP" in err[0] and "more than one channel" in err[0]


def test_a_radio_the_table_has_no_room_for_is_answered_unsent(cfg):
    fk, d = up(cfg, max_radios=2)  # radios 0 and 1 fit; radio 2, announced too, does not
    assert hw(2) not in d.radios and d.stats["radios_dropped"] == 1
    cookie = fk.tx(2, beacon(mac(2)), rates=((4, 2),))
    fk.pump(d)
    (st,) = fk.radios[2].status  # never left waiting for its status
    assert st.attrs[Attr.COOKIE] == cookie and st.attrs[Attr.TX_INFO][0] == (4, 0)
    assert fk.radios[0].rx == [] and fk.refused == []


def test_beacons_sent_at_one_tbtt_reach_every_neighbour(tmp_path):
    # hostap's mesh path test: 1 and 2 hear 0 but not each other.  mac80211_hwsim sends the
    # beacons of radios sharing a beacon interval at the same instant; without the random
    # delay before each, all three start at once and each is deaf (transmitting) to the others.
    p = tmp_path / "mesh.cfg"
    p.write_text('ifaces : { ids = [ "02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00" ]; };\n'
                 'model : { type = "prob"; links = ( (0, 1, 0.0), (0, 2, 0.0), (1, 2, 1.0) ); };\n')
    fk, d = up(str(p))
    rounds = 20
    for _ in range(rounds):
        for i in range(3):
            fk.tx(i, beacon(mac(i)), freq=2462, flags=genl.TX_CTL_NO_ACK | genl.TX_CTL_REQ_TX_STATUS)
        fk.pump(d, 100_000_000)
    heard = {i: [m.attrs[Attr.FRAME][10:16] for m in fk.radios[i].rx] for i in range(3)}
    assert heard[1].count(mac(0)) >= rounds * 3 // 4 and heard[2].count(mac(0)) >= rounds * 3 // 4
    assert heard[0].count(mac(1)) >= rounds // 2 and heard[0].count(mac(2)) >= rounds // 2
    assert mac(2) not in heard[1] and mac(1) not in heard[2]
    assert all(len(fk.radios[i].status) == rounds for i in range(3))  # every beacon answered


def test_frames_read_together_do_not_start_together_and_a_radio_s_stay_in_order(cfg):
    # hostap's wmediumd_simple: the AP's broadcast and the station's ADDBA response, sent
    # by the kernel a millisecond apart, reached a late daemon in one read; started at
    # the same instant, the station (transmitting) lost the broadcast.
    fk, d = up(cfg)
    lost = 0
    for n in range(20):
        bc = data(BCAST, mac(0), mac(0), body=bytes([n]) * 40)
        fk.tx(0, bc, flags=genl.TX_CTL_NO_ACK | genl.TX_CTL_REQ_TX_STATUS)
        fk.tx(1, data(mac(0), mac(1), mac(0)))
        fk.pump(d, 100_000_000)
        lost += bc not in [m.attrs[Attr.FRAME] for m in fk.radios[1].rx]
    assert lost <= 2
    assert len(fk.radios[0].rx) == 20  # the station's frames reach the AP too
    # a beacon delayed before it goes out keeps what the radio sent after it (the
    # broadcast frames mac80211 buffers for the DTIM beacon) behind it
    for n in range(10):
        bc = data(BCAST, mac(0), mac(0), body=bytes([100 + n]) * 40)
        fk.tx(0, beacon(mac(0)))
        fk.tx(0, bc, flags=genl.TX_CTL_NO_ACK | genl.TX_CTL_REQ_TX_STATUS)
        fk.pump(d, 100_000_000)
        got = [m.attrs[Attr.FRAME] for m in fk.radios[1].rx[-2:]]
        assert got[0][0] == 0x80 and got[1] == bc


def _first_delivery_ns(cfg: str, rates, rate_flags) -> tuple[int, Message, Message]:
    """Virtual time from a 1500-byte frame's FRAME to its delivery; the delivery and the status."""
    fk, d = up(cfg)
    t0 = d.sched.now_ns
    fk.tx(0, data(mac(1), mac(0), mac(1), b"x" * 1476), rates=rates, rate_flags=rate_flags)
    while not fk.radios[1].rx:
        fk.pump(d, 4_000)
        assert d.sched.now_ns - t0 < 10_000_000, "never delivered"
    t = d.sched.now_ns - t0
    fk.pump(d)
    (rx,), (st,) = fk.radios[1].rx, fk.radios[0].status
    d.close()
    return t, rx, st


def test_ht_and_vht_frames_take_their_mcs_airtime_and_receivers_get_a_legacy_rate(cfg):
    """TX_INFO_FLAGS names HT/VHT MCS rates: the medium sends at them (MCS 15 is no legacy
    rate: read without its flags it would be refused), and tells the receiver a legacy rate
    of its band, the only kind mac80211_hwsim takes in RX_RATE."""
    legacy, rx, st = _first_delivery_ns(cfg, ((11, 1),), ())
    assert rx.attrs[Attr.RX_RATE] == 11
    ht, rx, st = _first_delivery_ns(cfg, ((15, 2), (0, 1)), (RC_MCS | RC_40_MHZ | RC_SHORT_GI, 0))
    assert rx.attrs[Attr.RX_RATE] == 11  # 64-QAM 5/6: told as 54 Mb/s
    assert st.attrs[Attr.FLAGS] & genl.TX_STAT_ACK and st.attrs[Attr.TX_INFO][0] == (15, 1)
    # 1500 bytes: 244 us at 54 Mb/s, 84 us at HT40 2x2 MCS 15 with the short GI
    assert 120_000 <= legacy - ht <= 200_000
    # no such rate: MCS 32 (HT) and MCS 10 (VHT) are answered unsent, nothing delivered
    fk, d = up(cfg)
    fk.tx(0, data(mac(1), mac(0), mac(1)), rates=((32, 2),), rate_flags=(RC_MCS,))
    fk.tx(0, data(mac(1), mac(0), mac(1)), rates=((0x0A, 2),), rate_flags=(RC_VHT_MCS,))
    fk.pump(d)
    assert fk.radios[1].rx == [] and len(fk.radios[0].status) == 2 and fk.refused == []
    assert all(not s.attrs[Attr.FLAGS] & genl.TX_STAT_ACK for s in fk.radios[0].status)
    d.close()


def test_a_rate_that_asks_for_rts_cts_gets_the_exchange(cfg):
    """mac80211 flags a frame above its RTS threshold (USE_RTS_CTS in TX_INFO_FLAGS): the
    medium runs RTS, SIFS, CTS, SIFS first (at 24 Mb/s for a 54 Mb/s frame), so the frame
    arrives 88 us later than without, and its status is still one try at its rate."""
    plain, _, _ = _first_delivery_ns(cfg, ((11, 1),), ())
    rts, rx, st = _first_delivery_ns(cfg, ((11, 1),), (RC_USE_RTS_CTS,))
    assert 84_000 <= rts - plain <= 92_000, rts - plain  # the pump's steps are 4 us
    assert rx.attrs[Attr.RX_RATE] == 11
    assert st.attrs[Attr.FLAGS] & genl.TX_STAT_ACK and st.attrs[Attr.TX_INFO][0] == (11, 1)
