"""Captures of a running scenario, decoded by the real tshark: no malformed
packets, the expected frame types, and the monitor's view matching the
medium's counters."""

from __future__ import annotations

import subprocess
from collections import Counter

from ic import MS, SEC, CloneFlags, Scheduler
from net80211.driver import open_driver
from tests.conftest import require_tool

# Wireshark's wlan.fc.type_subtype values.
BEACON, PROBE_REQ, PROBE_RESP, DATA = 0x08, 0x04, 0x05, 0x20
AUTH, ASSOC_REQ, ASSOC_RESP = 0x0B, 0x00, 0x01


def _tshark(path, *fields: str) -> list[list[str]]:
    exe = require_tool("tshark")
    proc = subprocess.run([exe, "-n", "-r", str(path), "-T", "fields", "-E", "separator=|",
                           *[a for f in fields for a in ("-e", f)]],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    noise = [ln for ln in proc.stderr.splitlines() if ln.strip() and "Running as user" not in ln]
    assert not noise, noise
    return [ln.split("|") for ln in proc.stdout.splitlines()]


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
    for path, n, signal in cases:
        rows = _tshark(path, *fields)
        assert len(rows) == n > 0
        assert not [r for r in rows if r[1]], f"malformed packets in {path.name}"
        assert {r[3] for r in rows} == {"2437"}
        assert {r[4] for r in rows} == signal
        types = Counter(int(r[2], 0) for r in rows)
        for t in (BEACON, PROBE_REQ, PROBE_RESP, AUTH, ASSOC_REQ, ASSOC_RESP):
            assert types[t], (hex(t), types)
        assert types[AUTH] >= 2 and types[DATA] >= 25, types
        ds = Counter(r[5] for r in rows if int(r[2], 0) == DATA)
        # IBSS 3-address, STA->AP ToDS, AP->STA FromDS, WDS 4-address.
        assert ds["0x00"] >= 10 and ds["0x01"] >= 5 and ds["0x02"] >= 5 and ds["0x03"] == 5, ds
        # Errors (severity 8388608 = error in tshark's expert info) would mean a bad encoding.
        assert not [r for r in rows if "8388608" in r[6]]
    # Both captures began before the first transmission: the monitor heard
    # every frame that went on the air, and the medium wrote each once.
    assert n_mon == n_med == d.medium.counters["frames"]


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
