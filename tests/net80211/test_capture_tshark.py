"""Captures of a running scenario, decoded by the real tshark: no malformed
packets, the expected frame types, and the monitor's view matching the
medium's counters."""

from __future__ import annotations

from collections import Counter

from support.tshark import tshark_fields as _tshark

from ic import MS, SEC, CloneFlags, Scheduler
from net80211.driver import open_driver
from tests.conftest import require_tool

# Wireshark's wlan.fc.type_subtype values.
BEACON, PROBE_REQ, PROBE_RESP, DATA = 0x08, 0x04, 0x05, 0x20
AUTH, ASSOC_REQ, ASSOC_RESP = 0x0B, 0x00, 0x01
ACK = 0x1D


def _scenario(tmp_path):
    """Two APs, a station associating to one and exchanging data, a 3-node
    IBSS (probes, probe responses, beacons, data), a legacy WDS link
    (4-address data), and a monitor on the station's radio."""
    s = Scheduler()
    d = open_driver("hwsim", s, radios=6)
    r = d.devices
    d.capture(tmp_path / "medium.pcap")
    mon = r[5].create_vap("mon0", "monitor", channel=6)
    mon.up()
    s.run_for(1 * MS)
    mon.capture(tmp_path / "mon.pcap")
    ap0 = r[0].create_vap("ap0", "hostap", ssid="net0", channel=6)
    ap1 = r[1].create_vap("ap1", "hostap", ssid="net1", channel=6)
    for v in (ap0, ap1):
        v.up()
    s.run_for(300 * MS)
    sta = r[5].create_vap("sta0", "sta", ssid="net0", channel=6)  # beside the monitor
    sta.up()
    ibss = [r[i].create_vap(f"ad{i}", "ibss", ssid="adhoc", channel=6) for i in (2, 3, 4)]
    for v in ibss[:2]:
        v.up()
    s.run_for(500 * MS)
    ibss[2].up()  # a latecomer: its probe requests get answered
    s.run_for(500 * MS)
    w0 = r[0].create_vap("wds0", "wds", bssid=ap1.macaddr, flags=CloneFlags.WDSLEGACY)
    w1 = r[1].create_vap("wds1", "wds", bssid=ap0.macaddr, flags=CloneFlags.WDSLEGACY)
    w0.up()
    w1.up()
    s.run_for(10 * MS)
    h1, h2 = bytes.fromhex("0a0000000001"), bytes.fromhex("0a0000000002")
    for i in range(5):
        w0.netdev.send(h2 + h1 + b"\x88\xb5" + bytes(60 + i))
        ibss[0].netdev.send(ibss[1].macaddr + ibss[0].macaddr + b"\x88\xb5" + bytes(40 + i))
        ibss[2].netdev.send(b"\xff" * 6 + ibss[2].macaddr + b"\x88\xb6" + bytes(48))
        sta.netdev.send(h1 + sta.macaddr + b"\x88\xb5" + bytes(30 + i))
        ap0.netdev.send(sta.macaddr + h1 + b"\x88\xb5" + bytes(30 + i))
        s.run_for(50 * MS)
    s.run_for(1 * SEC)
    assert sta.state.name == "RUN" and sta.bssid == ap0.macaddr
    return s, d, mon


def test_tshark_decodes_monitor_and_medium_captures(tmp_path):
    require_tool("tshark")
    s, d, mon = _scenario(tmp_path)
    n_mon = mon.stop_capture()
    n_med = d.stop_capture()
    fields = ("frame.number", "_ws.malformed", "wlan.fc.type_subtype", "radiotap.channel.freq",
              "radiotap.dbm_antsignal", "wlan.fc.ds", "_ws.expert.severity")
    # The monitor shares the station's radio: frames it heard carry a signal,
    # the station's own (shown when sent, as Linux does) none.
    cases = ((tmp_path / "mon.pcap", n_mon, {"-30", ""}), (tmp_path / "medium.pcap", n_med, {""}))
    acked = d.medium.counters["acked"]
    for path, n, signal in cases:
        rows = _tshark(path, *fields)
        assert len(rows) == n > 0
        assert not [r for r in rows if r[1]], f"malformed packets in {path.name}"
        assert {r[3] for r in rows} == {"2437"}
        assert {r[4] for r in rows} == signal
        types = Counter(int(r[2], 0) for r in rows)
        # The medium shows the ACK of every acknowledged frame, as hwsim0
        # does; a monitor vap of another radio hears none (nor would Linux's).
        assert types[ACK] == (acked if path.name == "medium.pcap" else 0) and acked > 0
        for t in (BEACON, PROBE_REQ, PROBE_RESP, AUTH, ASSOC_REQ, ASSOC_RESP):
            assert types[t], (hex(t), types)
        assert types[AUTH] >= 2 and types[DATA] >= 25, types
        ds = Counter(r[5] for r in rows if int(r[2], 0) == DATA)
        # IBSS 3-address, STA->AP ToDS, AP->STA FromDS, WDS 4-address.
        assert ds["0x00"] >= 10 and ds["0x01"] >= 5 and ds["0x02"] >= 5 and ds["0x03"] == 5, ds
        # Errors (severity 8388608 = error in tshark's expert info) would mean a bad encoding.
        assert not [r for r in rows if "8388608" in r[6]]
    # Both captures began before the first transmission: the monitor heard
    # every frame that went on the air, and the medium wrote each once, and
    # an ACK after each acknowledged one.
    assert n_mon == n_med - acked == d.medium.counters["frames"]


def test_monitor_count_matches_medium_counters():
    s = Scheduler()
    d = open_driver("hwsim", s, radios=4)
    mon = d.devices[3].create_vap("mon0", "monitor", channel=1)
    mon.up()
    ibss = [d.devices[i].create_vap(f"ad{i}", "ibss", ssid="x", channel=1) for i in range(3)]
    for v in ibss:
        v.up()
    s.run_for(3 * SEC)
    c = d.medium.counters
    assert c["frames"] > 30
    assert mon.stats.rx_packets == c["frames"]


# -- item: timestamps a Wireshark user trusts, ACKs on the modeled medium -------------
_WALK = """
[scenario]
name = "cap"
seconds = 4
seed = 1
{start}
[medium]
model = "log_distance"
params = {{ exponent = 3.0 }}
[radios]
names = ["hwsim0", "hwsim1", "hwsim2"]
positions = [[0, 0], [6, 0], [3, 3]]
[[vaps]]
name = "ap0"
radio = "hwsim0"
mode = "hostap"
ssid = "demo"
channel = 6
[[vaps]]
name = "sta1"
radio = "hwsim1"
mode = "sta"
ssid = "demo"
[[vaps]]
name = "mon0"
radio = "hwsim2"
mode = "monitor"
channel = 6
[[traffic]]
type = "ping"
from = "sta1"
to = "ap0"
count = 5
interval = 0.2
start = 2.5
[[captures]]
medium = true
file = "medium.pcap"
[[captures]]
vap = "mon0"
file = "mon.pcap"
"""


def _run_capture(tmp_path, start: str = "", **kw):
    from net80211.scenario import loads_scenario, run_scenario
    sc = loads_scenario(_WALK.format(start=start), file="cap.toml")
    return run_scenario(sc, outdir=tmp_path, **kw)


def _epoch(rows: list[list[str]], col: int = 0) -> list[float]:
    return [float(r[col]) for r in rows]


def test_capture_timestamps_count_from_a_documented_epoch(tmp_path):
    """Default: 2000-01-01T00:00:00Z plus virtual time, the same bytes every
    run; `start_time` in the file or the run's argument moves the epoch."""
    r = _run_capture(tmp_path / "a")
    assert r["start_time"] == "2000-01-01T00:00:00.000000Z"
    for name in ("medium.pcap", "mon.pcap"):
        ts = _epoch(_tshark(tmp_path / "a" / name, "frame.time_epoch"))
        assert ts and ts == sorted(ts), name
        assert 946684800.0 <= ts[0] and ts[-1] <= 946684800.0 + 4.0, (name, ts[0], ts[-1])
    again = _run_capture(tmp_path / "b")
    assert again["medium"] == r["medium"]
    assert (tmp_path / "a" / "medium.pcap").read_bytes() == (tmp_path / "b" / "medium.pcap").read_bytes()
    _run_capture(tmp_path / "c", start="start_time = 2026-12-05T10:00:00Z")
    ts = _epoch(_tshark(tmp_path / "c" / "medium.pcap", "frame.time_epoch"))
    assert 1796464800.0 <= ts[0] and ts[-1] <= 1796464800.0 + 4.0
    out = _run_capture(tmp_path / "d", start='start_time = "2026-12-05T10:00:00Z"', start_time="now")
    ts = _epoch(_tshark(tmp_path / "d" / "medium.pcap", "frame.time_epoch"))
    assert 1.7e9 < ts[0] < 4.2e9 and out["start_time"].endswith("Z") and ts[0] != 1796464800.0


def test_bad_start_time_names_the_key():
    from net80211.scenario import ScenarioError, loads_scenario
    for bad in ('"yesterday"', "2026-12-05T10:00:00", "12"):
        try:
            loads_scenario(_WALK.format(start=f"start_time = {bad}"), file="cap.toml")
        except ScenarioError as e:
            assert "scenario.start_time" in str(e) and e.errno == 22, e
        else:
            raise AssertionError(bad)


def test_medium_capture_shows_acks_that_dissect_cleanly(tmp_path):
    """Every acknowledged frame on the modeled medium is followed by its ACK,
    addressed to the frame's transmitter, at an ACK rate; tshark finds
    nothing malformed and raises no expert warning anywhere in the file."""
    r = _run_capture(tmp_path)
    rows = _tshark(tmp_path / "medium.pcap", "wlan.fc.type_subtype", "wlan.ra", "wlan.ta", "wlan.da",
                   "radiotap.datarate", "_ws.malformed", "_ws.expert.severity", "frame.time_epoch")
    kinds = Counter(int(row[0], 0) for row in rows)
    assert kinds[ACK] == r["medium"]["acked"] >= 10, (kinds, r["medium"])
    assert r["medium"]["acks"] >= kinds[ACK]
    assert not [row for row in rows if row[5] or row[6]], "malformed packets or expert warnings"
    unicast_senders = set()
    for k, row in enumerate(rows):
        kind = int(row[0], 0)
        if kind != ACK:
            if row[1] and not int(row[1].split(":")[0], 16) & 1:
                unicast_senders.add(row[2])
            continue
        # The ACK answers a unicast frame sent before it by the station it is addressed to.
        assert row[1] in unicast_senders, (k, row)
        assert row[4] in ("1", "2", "6", "12", "24"), row
    # The ACKs of a medium counted in its summary: the capture's kinds say so too.
    cap = next(c for c in r["captures"] if c["source"] == "medium")
    assert cap["frames"]["kinds"]["ack"] == kinds[ACK]
    # A monitor vap hears the frames, not the medium's ACKs (as a Linux monitor of another radio).
    mon = Counter(int(row[0], 0) for row in _tshark(tmp_path / "mon.pcap", "wlan.fc.type_subtype"))
    assert mon[ACK] == 0 and mon[DATA] + mon.get(0x28, 0) > 0
    # The summary says what its counts are: data frames of a vap, every frame a monitor heard.
    from net80211.scenario import format_text
    text = format_text(r)
    mon_vap = next(v for v in r["vaps"] if v["name"] == "mon0")
    assert f"heard {mon_vap['rx_frames']} frames" in text and mon_vap["rx_frames"] == sum(mon.values())
    sta = next(v for v in r["vaps"] if v["name"] == "sta1")
    assert f"data in {sta['rx_frames']} frames" in text and 0 < sta["rx_frames"] < sum(kinds.values())
