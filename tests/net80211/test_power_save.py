"""Power save at the AP (net80211.power): a station that sets the Power
Management bit has its unicast frames held, announced in the TIM, and sent
when it clears the bit; a station's background scan tells its AP before
the radio leaves the channel and again when it is back, so downlink
traffic waits instead of being lost."""

from __future__ import annotations

import pytest

from ic import MS, SEC, Scheduler, State
from net80211.driver import open_driver
from net80211.modes.sta import StaMode
from net80211.output import FC_NULL, TO_DS, data_frame, send_raw
from net80211.power import PS_EXPIRE_NS, PS_MAX_QUEUE
from net80211.scan import Scanner
from net80211.wire.ie import TIM, IEList
from net80211.wire.pcap import read_pcap
from net80211.wire.radiotap import parse_radiotap_frame

PM = 0x10


class World:
    def __init__(self, **sec: str) -> None:
        self.s = Scheduler()
        self.d = open_driver("hwsim", self.s, radios=2)
        r = self.d.devices
        self.ap = r[0].create_vap("ap0", "hostap", ssid="ps", channel=1, **sec)
        self.sta = r[1].create_vap("sta0", "sta", ssid="ps", **sec)
        self.ap.up()
        self.sta.up()
        assert self.s.run_until(lambda: self.sta.state == State.RUN and (
            self.sta.rsn is None or self.sta.rsn.state == "completed"), 10 * SEC)
        self.s.run_for(50 * MS)

    def node(self):
        return self.ap.ic.nodes.find(self.ap, self.sta.macaddr)

    def pm(self, on: bool) -> None:
        """The station says it dozes (or wakes) with a null data frame."""
        sta = self.sta
        frame = data_frame(TO_DS | (PM if on else 0), sta.bssid, sta.macaddr, sta.bssid, sta.next_seq(), b"",
                           subtype_fc=FC_NULL)
        assert send_raw(sta, frame)
        self.s.run_for(5 * MS)

    def down(self, n: int, tag: bytes = b"d") -> None:
        for i in range(n):
            eth = self.sta.macaddr + self.ap.macaddr + b"\x08\x00" + tag + i.to_bytes(2, "big") + b"x" * 50
            self.ap.transmit(eth)

    def got(self) -> list[bytes]:
        return list(self.sta.netdev.rx)

    def beacon_tims(self, tmp_path, seconds: float = 0.3) -> list[TIM]:
        path = tmp_path / "b.pcap"
        self.d.capture(str(path))
        self.s.run_for(int(seconds * SEC))
        self.d.stop_capture()
        out = []
        for _ts, rec, _ in read_pcap(str(path))[1]:
            f = parse_radiotap_frame(rec)[1]
            if f[0] == 0x80 and f[10:16] == self.ap.macaddr:
                tim = IEList.parse(f[36:]).get(TIM)
                assert tim is not None
                out.append(tim)
        return out


@pytest.mark.parametrize("sec", [{}, {"security": "wpa2-psk", "passphrase": "secret12"}],
                         ids=["open", "wpa2"])
def test_frames_for_a_dozing_station_are_held_announced_and_sent_when_it_wakes(sec, tmp_path):
    w = World(**sec)
    aid = w.node().aid
    before = len(w.got())
    w.pm(True)
    assert w.node().psq is not None and w.ap.stats.ps_dozes == 1
    w.down(3)
    w.s.run_for(20 * MS)
    assert len(w.got()) == before  # held, although the station could hear them
    assert w.ap.stats.tx_ps_queued == 3 and len(w.node().psq) == 3
    (st,) = w.ap.stations()
    assert st["dozing"] and st["ps_held"] == 3
    tims = w.beacon_tims(tmp_path)
    assert tims and all(t.has_aid(aid) for t in tims)
    w.pm(False)
    got = w.got()[before:]
    assert [g[15:17] for g in got] == [b"\x00\x00", b"\x00\x01", b"\x00\x02"]  # all, in order
    assert w.node().psq is None and w.ap.stats.tx_ps_dropped == 0
    assert not w.ap.stations()[0]["dozing"]
    assert not any(t.has_aid(aid) for t in w.beacon_tims(tmp_path))
    if w.sta.rsn is not None:  # held unencrypted, protected when they went: all decrypt, none replayed
        c = w.sta.rsn.describe()["crypto"]
        assert c["rx_decrypted"] >= 3 and c["rx_replay"] == c["rx_mic"] == 0, c


def test_the_queue_is_bounded_its_frames_expire_and_a_station_that_leaves_drops_them():
    w = World()
    w.pm(True)
    w.down(PS_MAX_QUEUE + 6)
    assert w.ap.stats.tx_ps_queued == PS_MAX_QUEUE and w.ap.stats.tx_ps_dropped == 6
    w.s.run_for(PS_EXPIRE_NS)
    w.down(1, b"n")  # the old ones expired: the new one takes a place
    assert len(w.node().psq) == 1 and w.ap.stats.tx_ps_dropped == 6 + PS_MAX_QUEUE
    w.down(2, b"m")
    w.sta.down()  # deauthenticates: the AP forgets the station and what it held for it
    w.s.run_for(50 * MS)
    assert w.node() is None and w.ap.stats.tx_ps_dropped == 6 + PS_MAX_QUEUE + 3


def _bgscan(w: World, monkeypatch, *, tell_ap: bool) -> tuple[int, int, list[bytes]]:
    """A background scan of channels 1, 6, 11 with downlink every 5 ms: the
    datagrams sent, received, and the station's null frames on the air."""
    if not tell_ap:
        monkeypatch.setattr(StaMode, "scan_leave_home", lambda self, vap, done: False)
        monkeypatch.setattr(StaMode, "scan_back_home", lambda self, vap: None)
    sc = Scanner.of(w.sta.ic)
    chans = [c for c in w.sta.ic.channels if c.ieee in (1, 6, 11) and not c.is_dfs]
    done: list[int] = []
    nulls: list[bytes] = []
    orig = w.sta.ic.ic_raw_xmit

    def spy(vap, frame, params=None):
        if frame[0] == FC_NULL:
            nulls.append(frame)
        return orig(vap, frame, params)

    monkeypatch.setattr(w.sta.ic, "ic_raw_xmit", spy)
    before = len(w.got())
    assert sc.start(w.sta, chans, lambda res: done.append(1), home_ns=100 * MS)
    sent = 0
    while not done:
        w.down(1, b"s")
        sent += 1
        w.s.run_for(5 * MS)
    w.s.run_for(100 * MS)
    return sent, len(w.got()) - before, nulls


def test_a_background_scan_loses_no_downlink_frame(monkeypatch):
    w = World()
    sent, got, nulls = _bgscan(w, monkeypatch, tell_ap=True)
    assert got == sent and w.ap.stats.tx_ps_queued > 0 and w.ap.stats.tx_ps_dropped == 0
    # one excursion per channel: null data with the bit before leaving, without it on return
    assert [f[1] & PM for f in nulls] == [PM, 0] * 3
    assert w.ap.stats.ps_dozes == 3 and w.node().psq is None


def test_without_telling_the_ap_a_background_scan_loses_downlink_frames(monkeypatch):
    w = World()
    sent, got, nulls = _bgscan(w, monkeypatch, tell_ap=False)
    assert not nulls and w.ap.stats.tx_ps_queued == 0
    assert got < sent  # what the AP sent while the radio was away is gone
