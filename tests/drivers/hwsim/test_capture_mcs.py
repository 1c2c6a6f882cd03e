"""The medium's capture of HT and VHT frames, decoded by the real tshark: their MCS in
radiotap's MCS or VHT field (no legacy Rate), and their ACKs at the legacy rate the
medium sent them at."""

from __future__ import annotations

from support.tshark import tshark_fields as _tshark

from drivers.hwsim.kernel.rates import RC_40_MHZ, RC_80_MHZ, RC_MCS, RC_SHORT_GI, RC_VHT_MCS
from drivers.hwsim.world import ModelSpec

from .helpers import World, data, mac


def test_ht_and_vht_frames_are_captured_with_their_mcs(tmp_path):
    w = World(2, model=ModelSpec(kind="snr", default_snr=40.0))
    for p in w.ports:
        p.freq = 5180
    w.medium.capture(tmp_path / "air.pcap")
    frame = data(mac(1), mac(0), mac(1))
    assert w.ports[0].transmit(frame, ((15, 2),), rate_flags=(RC_MCS | RC_40_MHZ | RC_SHORT_GI,)) > 0
    w.run(5_000_000)
    assert w.ports[0].transmit(frame, ((0x19, 2),), rate_flags=(RC_VHT_MCS | RC_80_MHZ,)) > 0
    w.run(5_000_000)
    assert [st.acked for _, st in w.status[0]] == [True, True]
    assert w.medium.stop_capture() == 4
    rows = _tshark(tmp_path / "air.pcap", "wlan.fc.type_subtype", "radiotap.datarate", "radiotap.mcs.index",
                   "radiotap.mcs.bw", "radiotap.mcs.gi", "radiotap.vht.mcs.0", "radiotap.vht.nss.0",
                   "radiotap.vht.bw", "radiotap.vht.datarate.0", "_ws.expert")
    assert [r[0] for r in rows] == ["0x0020", "0x001d", "0x0020", "0x001d"]  # data, ACK, data, ACK
    ht, ack1, vht, ack2 = rows
    # MCS 15, 40 MHz, short GI: 300 Mb/s as Wireshark works it out from the MCS field
    assert ht[1:5] == ["300", "15", "1", "1"]
    assert vht[5:8] == ["9", "2", "4"] and float(vht[8]) == 780  # VHT MCS 9, 2 streams, 80 MHz
    assert ack1[1] == ack2[1] == "24"  # ACKs at 24 Mb/s
    assert all(not r[-1] for r in rows), rows  # nothing malformed
