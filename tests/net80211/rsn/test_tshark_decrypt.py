"""Wireshark as an independent implementation: a capture of our 4-way
handshake and of CCMP/GCMP-protected data afterwards, decoded by the real
tshark given only the PMK.  tshark derives the PTK from the EAPOL-Key frames
it sees (checking the MIC of msg 2/4 to find the key), unwraps the GTK from
msg 3/4, and decrypts the data frames: that only works if our EAPOL-Key
frames, key derivation, key wrap and CCMP/GCMP all agree with its own."""

from __future__ import annotations

import struct
import subprocess

import pytest

from net80211.crypto import Key, KeyTable, protect
from net80211.rsn import (
    ApPolicy,
    Authenticator,
    GroupKeys,
    InstallPtk,
    SendEapol,
    StaPolicy,
    Supplicant,
    pmk_from_passphrase,
)
from net80211.rsn.policy import Selection
from net80211.wire.data import llc_snap_encap
from net80211.wire.eapol import ETHERTYPE_EAPOL
from net80211.wire.pcap import PcapWriter
from net80211.wire.rsn import Cipher
from tests.conftest import require_tool

AP = bytes.fromhex("020000000100")
STA = bytes.fromhex("020000000200")
BCAST = b"\xff" * 6


def to_sta(body: bytes, seq: int) -> bytes:  # FromDS: A1 = DA, A2 = BSSID, A3 = SA
    return bytes([0x08, 0x02]) + bytes(2) + STA + AP + AP + struct.pack("<H", seq << 4) + body


def to_ap(body: bytes, seq: int) -> bytes:  # ToDS: A1 = BSSID, A2 = SA, A3 = DA
    return bytes([0x08, 0x01]) + bytes(2) + AP + STA + AP + struct.pack("<H", seq << 4) + body


def group(body: bytes, seq: int) -> bytes:
    return bytes([0x08, 0x02]) + bytes(2) + BCAST + AP + AP + struct.pack("<H", seq << 4) + body


def udp(src: int, dst: int, payload: bytes) -> bytes:
    """An IPv4/UDP datagram between ephemeral ports (no dissector guesses at
    the payload), checksums zero: tshark does not insist."""
    udp_len = 8 + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0, 64, 17, 0,
                     bytes([10, 0, 0, src]), bytes([10, 0, 0, dst]))
    return ip + struct.pack(">HHHH", 49152, 49153, udp_len, 0) + payload


@pytest.mark.parametrize("cipher", [Cipher.CCMP_128, Cipher.GCMP_256], ids=lambda c: c.name)
def test_tshark_decrypts_our_traffic(tmp_path, cipher):
    exe = require_tool("tshark")
    ap = ApPolicy(pairwise=(cipher,), group=cipher)
    sel, req = StaPolicy().select(ap.rsne().body())
    ap_sel = ap.negotiate(req.body())
    assert isinstance(ap_sel, Selection)
    pmk = pmk_from_passphrase("tshark checks us", b"net80211")
    keys = GroupKeys(ap_sel.group)
    auth = Authenticator(aa=AP, spa=STA, pmk=pmk, selection=ap_sel, ap_rsne=ap.rsne().to_bytes(),
                         sta_rsne=req.to_bytes(), group=keys)
    supp = Supplicant(aa=AP, spa=STA, pmk=pmk, selection=sel, ap_rsne=ap.rsne().to_bytes(),
                      sta_rsne=req.to_bytes())
    mpdus, seq = [], 0
    pending, ptk = [a.frame for a in auth.start(0) if isinstance(a, SendEapol)], None
    while pending:
        replies = []
        for f in pending:
            mpdus.append(to_sta(llc_snap_encap(ETHERTYPE_EAPOL, f), seq := seq + 1))
            out = supp.receive(f, 0)
            replies += [a.frame for a in out if isinstance(a, SendEapol)]
        pending = []
        for f in replies:
            mpdus.append(to_ap(llc_snap_encap(ETHERTYPE_EAPOL, f), seq := seq + 1))
            out = auth.receive(f, 0)
            pending += [a.frame for a in out if isinstance(a, SendEapol)]
            ptk = next((a for a in out if isinstance(a, InstallPtk)), ptk)
    assert ptk is not None
    table = KeyTable()
    table.install(keys.gtk)
    sta_key, ap_key = Key(cipher, ptk.tk), Key(cipher, ptk.tk)

    def seal(key: Key | None, mpdu: bytes) -> bytes:
        out = protect(key, mpdu, table)
        assert out is not None
        return out

    mpdus.append(seal(sta_key, to_ap(llc_snap_encap(0x0800, udp(2, 1, b"up")), seq := seq + 1)))
    mpdus.append(seal(ap_key, to_sta(llc_snap_encap(0x0800, udp(1, 2, b"down")), seq := seq + 1)))
    bcast = group(llc_snap_encap(0x0800, udp(1, 255, b"all")), seq := seq + 1)
    mpdus.append(seal(table.group_tx_key(), bcast))
    pcap = tmp_path / "rsn.pcap"
    with PcapWriter(pcap) as w:
        for i, m in enumerate(mpdus):
            w.write_dot11(m, i * 1_000_000)
    proc = subprocess.run(
        [exe, "-n", "-r", str(pcap), "-o", "wlan.enable_decryption:TRUE",
         "-o", f'uat:80211_keys:"wpa-psk","{pmk.hex()}"',
         "-T", "fields", "-E", "separator=|", "-e", "wlan_rsna_eapol.keydes.msgnr", "-e", "ip.src",
         "-e", "ip.dst", "-e", "_ws.malformed"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [ln.split("|") for ln in proc.stdout.splitlines()]
    assert [r[0] for r in rows[:4]] == ["1", "2", "3", "4"]  # tshark numbers the 4-way messages
    assert [(r[1], r[2]) for r in rows[4:]] == [("10.0.0.2", "10.0.0.1"), ("10.0.0.1", "10.0.0.2"),
                                                ("10.0.0.1", "10.0.0.255")]
    assert not any(r[3] for r in rows)
