"""The proof against a real implementation: a capture of protected BSSes,
decrypted by tshark given only the SSID and the passphrase.  Every protected
data frame decrypts and its payload parses (IPv4/UDP, unicast, relayed and
group-addressed), the EAPOL-Key frames of every 4-way and group key
handshake dissect with no expert warning, and without the passphrase (or
with a wrong one) nothing decrypts."""

from __future__ import annotations

import struct
import subprocess

import pytest

from ic import MS, SEC, Scheduler
from net80211.driver import open_driver
from tests.conftest import require_tool

PASS, SSID = "secret12", "lab"
PI_WARN = 0x600000  # Wireshark's expert severities: chat, note, warn (0x600000), error


def _ipv4_udp(src: bytes, dst: bytes, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", 5000, 5001, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
    csum = sum(struct.unpack("!10H", hdr))
    csum = (csum & 0xFFFF) + (csum >> 16)
    csum = ~((csum & 0xFFFF) + (csum >> 16)) & 0xFFFF
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + udp


def _eth(dst: bytes, src: bytes, ip_src: int, ip_dst: int, payload: bytes) -> bytes:
    return dst + src + b"\x08\x00" + _ipv4_udp(bytes([10, 0, 0, ip_src]), bytes([10, 0, 0, ip_dst]), payload)


def _capture(path, security: str, pmf: str | None) -> dict[str, int]:
    s = Scheduler()
    d = open_driver("hwsim", s, radios=4)
    r = d.devices
    mon = r[3].create_vap("mon0", "monitor", channel=6)
    mon.up()
    s.run_for(1 * MS)
    mon.capture(path)
    kw = {"security": security, "passphrase": PASS, **({"pmf": pmf} if pmf else {})}
    ap = r[0].create_vap("ap0", "hostap", ssid=SSID, channel=6, group_rekey=4, **kw)
    stas = [r[i].create_vap(f"sta{i}", "sta", ssid=SSID, **kw) for i in (1, 2)]
    ap.up()
    for v in stas:
        v.up()
    assert s.run_until(lambda: all(v.rsn.state == "completed" for v in stas), 10 * SEC)
    s.run_for(50 * MS)
    bc = b"\xff" * 6
    n = 0
    for k in range(3):
        a, b = stas
        assert a.transmit(_eth(ap.macaddr, a.macaddr, 2, 1, b"to the AP %d" % k))
        assert ap.transmit(_eth(a.macaddr, ap.macaddr, 1, 2, b"from the AP %d" % k))
        assert a.transmit(_eth(b.macaddr, a.macaddr, 2, 3, b"relayed %d" % k))
        assert ap.transmit(_eth(bc, ap.macaddr, 1, 255, b"group %d" % k))
        assert b.transmit(_eth(bc, b.macaddr, 3, 255, b"group via the AP %d" % k))
        n += 5
        s.run_for(100 * MS)
    s.run_for(4 * SEC)  # a GTK rekey: group key handshakes with both stations
    assert ap.rsn.group_rekeys == 1
    assert ap.transmit(_eth(bc, ap.macaddr, 1, 255, b"after the rekey"))
    s.run_for(100 * MS)
    # the end: one station deauthenticated alone (under its pairwise key with
    # PMF), then the AP goes down (a broadcast deauthentication under BIP)
    assert ap.mode.deauth_station(ap, stas[0].macaddr, 1)
    s.run_for(100 * MS)
    assert ap.rsn.group_rekeys == 2  # the interval's, and the one of the station leaving
    igtk = ap.rsn.table.igtk_tx_key()
    ap.down()
    s.run_for(100 * MS)
    mon.stop_capture()
    return {"sent": n + 1, "bip_ok": stas[1].rsn.stats.rx_bip_ok, "igtk": igtk.keyix if igtk else None}


def _tshark(path, *prefs: str) -> list[dict[str, str]]:
    exe = require_tool("tshark")
    fields = ("frame.number", "wlan.fc.type_subtype", "wlan.fc.protected", "frame.protocols",
              "wlan_rsna_eapol.keydes.msgnr", "_ws.expert.severity", "_ws.expert.message", "udp.dstport",
              "data.data", "_ws.malformed", "wlan.ra", "wlan.fixed.reason_code", "wlan.mmie.keyid")
    args = [exe, "-n", "-r", str(path), *[a for p in prefs for a in ("-o", p)], "-T", "fields",
            "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=;",
            *[a for f in fields for a in ("-e", f)]]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    noise = [ln for ln in proc.stderr.splitlines() if ln.strip() and "Running as user" not in ln]
    assert not noise, noise
    return [dict(zip(fields, ln.split("|"), strict=True)) for ln in proc.stdout.splitlines()]


def _keys(passphrase: str) -> tuple[str, ...]:
    return ("wlan.enable_decryption:TRUE", f'uat:80211_keys:"wpa-pwd","{passphrase}:{SSID}"')


@pytest.mark.parametrize(("security", "pmf"), [("wpa2-psk", None), ("wpa2-psk", "required")])
def test_tshark_decrypts_everything_with_the_passphrase(tmp_path, security, pmf):
    path = tmp_path / "rsn.pcap"
    info = _capture(path, security, pmf)
    rows = _tshark(path, *_keys(PASS))
    assert not [r for r in rows if r["_ws.malformed"]]
    data = [r for r in rows if r["wlan.fc.type_subtype"] == "0x0020"]
    protected = [r for r in data if r["wlan.fc.protected"] == "1"]
    eapol = [r for r in data if "eapol" in r["frame.protocols"]]
    # every protected data frame decrypted: IPv4/UDP with its payload, or
    # the EAPOL-Key frames of the group key handshakes
    parsed = ("ip:udp:data", "llc:eapol")
    assert protected and all(r["frame.protocols"].endswith(parsed) for r in protected), \
        [r for r in protected if not r["frame.protocols"].endswith(parsed)][:3]
    udp = [r for r in protected if r["frame.protocols"].endswith("ip:udp:data")]
    payloads = {bytes.fromhex(r["data.data"]) for r in udp}
    assert {b"to the AP 0", b"from the AP 2", b"relayed 1", b"group 0", b"group via the AP 2",
            b"after the rekey"} <= payloads
    # frames over the air: the relayed ones twice (to the AP, from it)
    assert len(udp) >= info["sent"]
    # the 4-way handshakes (msg 1-4 for each station) and the group key
    # handshakes of the rekey (tshark numbers group msg 1/2 and 2/2 as 1 and 2)
    msgs = sorted(r["wlan_rsna_eapol.keydes.msgnr"] for r in eapol)
    assert msgs.count("3") == 2 and msgs.count("4") == 2 and msgs.count("1") >= 4 and msgs.count("2") >= 4
    bad = [(r["frame.number"], r["_ws.expert.message"]) for r in eapol
           if any(int(v) >= PI_WARN for v in r["_ws.expert.severity"].split(";") if v)]
    assert not bad
    # no EAPOL frame after the 4-way handshake went in the clear
    assert all(r["wlan.fc.protected"] == "0" for r in eapol[:8])
    assert any(r["wlan.fc.protected"] == "1" for r in eapol[8:])  # the group key handshake, encrypted
    # the deauthentications at the end: with PMF the unicast one is protected
    # and decrypts to its reason, the broadcast one carries the IGTK's MME
    deauth = [r for r in rows if r["wlan.fc.type_subtype"] == "0x000c"]
    uni = [r for r in deauth if r["wlan.ra"] != "ff:ff:ff:ff:ff:ff"]
    bcast = [r for r in deauth if r["wlan.ra"] == "ff:ff:ff:ff:ff:ff"]
    assert uni and all(r["wlan.fixed.reason_code"] for r in uni)
    if pmf == "required":
        assert uni[0]["wlan.fc.protected"] == "1" and uni[0]["wlan.fixed.reason_code"] == "0x0001"
        # under the IGTK of the last rekey, which the station took and checked
        assert len(bcast) == 1 and bcast[0]["wlan.mmie.keyid"] == str(info["igtk"])
        assert info["bip_ok"] == 1
    else:
        assert uni[0]["wlan.fc.protected"] == "0" and not bcast
    # and none of the payloads is readable without the passphrase
    for prefs in ((), _keys("wrongpass")):
        rows = _tshark(path, *prefs)
        prot = [r for r in rows if r["wlan.fc.type_subtype"] == "0x0020" and r["wlan.fc.protected"] == "1"]
        assert len(prot) == len(protected) and not any(r["frame.protocols"].endswith(("udp:data", "eapol"))
                                                       for r in prot)
