"""Key tables, per-TID replay counters and the drop counters of the data path."""

import pytest

from net80211.crypto import bip, cipher
from net80211.crypto.cipher import CryptoError
from net80211.crypto.datapath import is_robust_mgmt, protect, protect_group_mgmt, unprotect
from net80211.crypto.keys import Key, KeyTable, NodeKeys
from net80211.wire.rsn import Cipher

AP = bytes.fromhex("020000000100")
STA = bytes.fromhex("020000000200")
BCAST = b"\xff" * 6


def qos_data(tid: int, body: bytes = b"hello") -> bytes:
    return bytes([0x88, 0x02]) + bytes(2) + STA + AP + AP + bytes(2) + bytes([tid, 0]) + body


def group_data(body: bytes = b"bcast") -> bytes:
    return bytes([0x08, 0x02]) + bytes(2) + BCAST + AP + AP + bytes(2) + body


def deauth(dst: bytes) -> bytes:
    return bytes([0xC0, 0]) + bytes(2) + dst + AP + AP + bytes(2) + b"\x02\x00"


def pair():
    tx = Key(Cipher.CCMP_128, bytes(range(16)))
    rx = Key(Cipher.CCMP_128, bytes(range(16)))
    return tx, KeyTable(), NodeKeys(pairwise=rx)


def test_protect_uses_successive_packet_numbers():
    tx, table, node = pair()
    a = protect(tx, qos_data(0), table)
    b = protect(tx, qos_data(0), table)
    assert cipher.parse_cipher_header(a[26:])[0] == 1 and cipher.parse_cipher_header(b[26:])[0] == 2
    assert table.stats.tx_protected == 2
    assert unprotect(a, table, node).frame == qos_data(0)
    assert unprotect(b, table, node).ok


def test_replay_is_per_tid():
    tx, table, node = pair()
    f1 = protect(tx, qos_data(1), table)
    f2 = protect(tx, qos_data(2), table)
    assert unprotect(f2, table, node).ok  # PN 2 on TID 2
    assert unprotect(f1, table, node).ok  # PN 1 on TID 1: its own counter
    again = unprotect(f1, table, node)
    assert again.reason == "replay" and not again.ok
    assert table.stats.rx_replay == 1 and table.stats.rx_decrypted == 2


def test_out_of_order_within_a_tid_is_a_replay():
    tx, table, node = pair()
    f1, f2 = protect(tx, qos_data(5), table), protect(tx, qos_data(5), table)
    assert unprotect(f2, table, node).ok
    assert unprotect(f1, table, node).reason == "replay"


def test_a_failed_mic_does_not_advance_the_counter():
    tx, table, node = pair()
    f = bytearray(protect(tx, qos_data(0), table))
    f[-1] ^= 1
    assert unprotect(bytes(f), table, node).reason == "mic"
    f[-1] ^= 1
    assert unprotect(bytes(f), table, node).ok
    assert table.stats.rx_mic == 1


def test_unprotected_data_is_dropped_when_rsn_is_on():
    _, table, node = pair()
    assert unprotect(qos_data(0), table, node).reason == "unprotected"
    assert unprotect(qos_data(0), table, node, require=False).ok
    assert table.stats.rx_unprotected == 1


def test_no_pairwise_key():
    tx, table, _ = pair()
    f = protect(tx, qos_data(0), table)
    assert unprotect(f, table, NodeKeys()).reason == "no_key"
    assert protect(None, qos_data(0), table) is None and table.stats.tx_no_key == 1


def test_group_data_uses_the_key_id():
    ap_table, sta_table = KeyTable(), KeyTable()
    ap_table.install(Key(Cipher.CCMP_128, b"\x11" * 16, keyix=2))
    sta_table.install(Key(Cipher.CCMP_128, b"\x11" * 16, keyix=2), tx=False)
    f = protect(ap_table.group_tx_key(), group_data(), ap_table)
    assert cipher.parse_cipher_header(f[24:])[1] == 2
    assert unprotect(f, sta_table, NodeKeys()).frame == group_data()
    sta_table.delete(2)
    assert unprotect(f, sta_table, NodeKeys()).reason == "no_key"


def test_group_rsc_starts_the_receive_counter():
    ap_table = KeyTable()
    ap = Key(Cipher.CCMP_128, b"\x22" * 16, keyix=1, tx_pn=10)
    ap_table.install(ap)
    sta = Key(Cipher.CCMP_128, b"\x22" * 16, keyix=1)
    sta.set_rsc(11)  # the STA joined after PN 11 went out
    sta_table = KeyTable()
    sta_table.install(sta, tx=False)
    early = protect(ap, group_data(), ap_table)  # PN 11
    late = protect(ap, group_data(), ap_table)  # PN 12
    assert unprotect(early, sta_table, NodeKeys()).reason == "replay"
    assert unprotect(late, sta_table, NodeKeys()).ok


def test_unicast_management_frames_have_their_own_counter():
    tx, table, node = pair()
    node.mfp = True
    data = protect(tx, qos_data(0), table)  # PN 1
    mgmt = protect(tx, deauth(STA), table)  # PN 2
    assert unprotect(mgmt, table, node).frame == deauth(STA)
    assert unprotect(data, table, node).ok  # PN 1 < 2 but another counter
    assert unprotect(deauth(STA), table, node).reason == "unprotected"  # MFP: a forged deauth


def test_bip_protects_broadcast_deauthentication_with_an_ipn_per_key():
    ap_table, sta_table = KeyTable(), KeyTable()
    ap_table.install(Key(Cipher.BIP_CMAC_128, b"\x33" * 16, keyix=4))
    sta_igtk = Key(Cipher.BIP_CMAC_128, b"\x33" * 16, keyix=4)
    sta_table.install(sta_igtk, tx=False)
    node = NodeKeys(mfp=True)
    f1 = protect_group_mgmt(ap_table, deauth(BCAST))
    f2 = protect_group_mgmt(ap_table, deauth(BCAST))
    assert unprotect(f2, sta_table, node).frame == deauth(BCAST)
    assert unprotect(f1, sta_table, node).reason == "replay"
    assert unprotect(deauth(BCAST), sta_table, node).reason == "unprotected"
    bad = bytearray(protect_group_mgmt(ap_table, deauth(BCAST)))
    bad[24] ^= 1
    assert unprotect(bytes(bad), sta_table, node).reason == "mic"
    assert sta_table.stats.rx_bip_ok == 1 and sta_table.stats.dropped == 3
    assert bip.parse_mme(Cipher.BIP_CMAC_128, f2)[:2] == (4, 2)


def test_packet_numbers_never_wrap():
    tx, table, _ = pair()
    tx.tx_pn = (1 << 48) - 1
    assert protect(tx, qos_data(0), table) is None
    assert table.stats.tx_pn_exhausted == 1


def test_robust_management_frames():
    assert is_robust_mgmt(deauth(STA))
    assert not is_robust_mgmt(bytes([0x40, 0]) + bytes(22))  # probe request
    public = bytes([0xD0, 0]) + bytes(22) + b"\x04\x00"
    sa_query = bytes([0xD0, 0]) + bytes(22) + b"\x08\x00"
    assert not is_robust_mgmt(public) and is_robust_mgmt(sa_query)


def test_keys_refuse_wrong_lengths_and_slots():
    with pytest.raises(CryptoError):
        Key(Cipher.CCMP_128, bytes(32))
    with pytest.raises(CryptoError):
        KeyTable().install(Key(Cipher.BIP_CMAC_128, bytes(16), keyix=1))
    with pytest.raises(CryptoError):
        NodeKeys().install(Key(Cipher.CCMP_128, bytes(16), keyix=3))
