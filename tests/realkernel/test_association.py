"""hostapd and wpa_supplicant on mac80211_hwsim radios of a real kernel (its perfect medium)."""

from __future__ import annotations

import pytest
from support.realkernel import Vm, wifi

from net80211.wire.ie import RSN
from net80211.wire.mgmt import AssocReq, AssocResp, Beacon, StatusCode

from .helpers import (
    AP_ADDR,
    air_frames,
    ap_station_flags,
    data,
    eapol,
    keyvals,
    mgmt,
    ping_received,
    sta_addr,
)

pytestmark = pytest.mark.realkernel


def test_open_network_association_and_ping(vm: Vm) -> None:
    r = vm.run(wifi.association(None), radios=2, timeout_s=150).check()
    status = keyvals(r.text("status_1.txt"))
    assert status["wpa_state"] == "COMPLETED", r.report()
    assert status["key_mgmt"] == "NONE"
    assert status["bssid"] == AP_ADDR and status["ssid"] == wifi.SSID
    assert "[AUTHORIZED]" in ap_station_flags(r.text("ap_stations.txt"))[sta_addr(1)]
    sent, received = ping_received(r.text("ping_1.txt"))
    assert sent == received == 5


def test_wpa2_psk_association_and_ping(vm: Vm) -> None:
    """A station with the passphrase completes the 4-way handshake and pings (CCMP loaded on
    demand through the VM's modprobe); one with a wrong passphrase is refused and cannot.
    The air, captured on hwsim0, decodes frame by frame with the project's codec."""
    script = (wifi.capture_start() + wifi.start_ap(wifi.PSK) + wifi.start_sta(1, wifi.PSK)
              + wifi.start_sta(2, "not the passphrase", until=wifi.wrong_key_seen(2))
              + wifi.ping(1) + wifi.ping(2, count=2) + wifi.ap_stations() + wifi.capture_stop()
              + "lsmod > $RESULTS/lsmod.txt\n")
    r = vm.run(script, radios=3, timeout_s=180).check()
    good, bad = keyvals(r.text("status_1.txt")), keyvals(r.text("status_2.txt"))
    assert good["wpa_state"] == "COMPLETED", r.report()
    assert good["key_mgmt"] == "WPA2-PSK" and good["pairwise_cipher"] == "CCMP"
    assert "EAPOL-4WAY-HS-COMPLETED " + sta_addr(1) in r.text("hostapd.log")
    assert "reason=WRONG_KEY" in r.text("wpa_supplicant2.log")
    assert bad["wpa_state"] != "COMPLETED"
    stations = ap_station_flags(r.text("ap_stations.txt"))
    assert "[AUTHORIZED]" in stations[sta_addr(1)]
    assert "[AUTHORIZED]" not in stations.get(sta_addr(2), "")
    assert ping_received(r.text("ping_1.txt")) == (5, 5)
    assert ping_received(r.text("ping_2.txt"))[1] == 0
    assert any(line.split()[0] == "ccm" for line in r.text("lsmod.txt").splitlines()[1:])

    frames = air_frames(r.files["air.pcap"])
    beacons = mgmt(frames, Beacon, sa=AP_ADDR)
    assert beacons and all(b.body.ies.ssid == wifi.SSID.encode() for b in beacons)
    assert beacons[0].body.ies.get(RSN) is not None
    for n in (1, 2):
        req = mgmt(frames, AssocReq, sa=sta_addr(n), da=AP_ADDR)
        assert req and req[0].body.ies.get(RSN) is not None
        resp = mgmt(frames, AssocResp, sa=AP_ADDR, da=sta_addr(n))
        assert resp and resp[0].body.status == StatusCode.SUCCESS
    # The good station's handshake: messages 2 and 4 from it, then only CCMP-protected data.
    good_tx, bad_tx = data(frames, sender=sta_addr(1)), data(frames, sender=sta_addr(2))
    assert len(eapol(good_tx)) >= 2 and len(eapol(data(frames, sender=AP_ADDR))) >= 4
    protected = [f for f in good_tx if f.flags & 0x40]
    assert len(protected) >= 5  # the pings at least
    assert good_tx.index(protected[0]) > good_tx.index(eapol(good_tx)[-1])
    # The refused station answered message 1 (with a MIC the AP rejects), never sent protected data.
    assert eapol(bad_tx) and not [f for f in bad_tx if f.flags & 0x40]
