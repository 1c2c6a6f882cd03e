"""Handshake actions applied to the data path's key state: after a 4-way
handshake with MFP and a group rekey, unicast, group and BIP-protected
frames pass between the two sides, and replays of earlier group traffic do not."""

from __future__ import annotations

from net80211.crypto import KeyTable, NodeKeys, protect, protect_group_mgmt, unprotect
from net80211.rsn import (
    ApPolicy,
    Authenticator,
    CancelTimer,
    Completed,
    GroupKeys,
    Mfp,
    SendEapol,
    SetTimer,
    StaPolicy,
    Supplicant,
    pmk_from_passphrase,
)
from net80211.rsn.keyinstall import install_keys
from net80211.rsn.policy import Selection

AP = bytes.fromhex("020000000100")
STA = bytes.fromhex("020000000200")
BCAST = b"\xff" * 6


def test_keys_from_the_handshake_carry_traffic():
    ap = ApPolicy(mfp=Mfp.REQUIRED)
    sel, req = StaPolicy().select(ap.rsne().body())
    ap_sel = ap.negotiate(req.body())
    assert isinstance(ap_sel, Selection)
    pmk = pmk_from_passphrase("install these", b"net80211")
    group = GroupKeys(ap_sel.group, ap_sel.group_mgmt)
    ap_table, sta_table = KeyTable(), KeyTable()
    ap_table.install(group.gtk)
    assert group.igtk is not None
    ap_table.install(group.igtk)
    ap_node, sta_node = NodeKeys(), NodeKeys()
    auth = Authenticator(aa=AP, spa=STA, pmk=pmk, selection=ap_sel, ap_rsne=ap.rsne().to_bytes(),
                         sta_rsne=req.to_bytes(), group=group)
    supp = Supplicant(aa=AP, spa=STA, pmk=pmk, selection=sel, ap_rsne=ap.rsne().to_bytes(),
                      sta_rsne=req.to_bytes())

    def run(first):
        rest = install_keys(first, ap_table, ap_node, mfp=True)
        pending = [a.frame for a in rest if isinstance(a, SendEapol)]
        while pending:
            replies = []
            for f in pending:
                rest = install_keys(supp.receive(f, 0), sta_table, sta_node, mfp=True)
                replies += [a.frame for a in rest if isinstance(a, SendEapol)]
            pending = []
            for f in replies:
                rest = install_keys(auth.receive(f, 0), ap_table, ap_node, mfp=True)
                assert all(isinstance(a, (SendEapol, SetTimer, CancelTimer, Completed)) for a in rest)
                pending += [a.frame for a in rest if isinstance(a, SendEapol)]

    # group traffic before the STA joined: numbered below the RSC it will get
    early = protect(ap_table.group_tx_key(), bytes([0x08, 0x02, 0, 0]) + BCAST + AP + AP + bytes(2) + b"old",
                    ap_table)
    run(auth.start(0))
    assert ap_node.pairwise is not None and sta_node.pairwise is not None and sta_node.mfp
    up = bytes([0x08, 0x01, 0, 0]) + AP + STA + AP + bytes(2) + b"up"
    assert unprotect(protect(sta_node.pairwise, up, sta_table), ap_table, ap_node).frame == up
    down = bytes([0x08, 0x02, 0, 0]) + BCAST + AP + AP + bytes(2) + b"all"
    assert unprotect(protect(ap_table.group_tx_key(), down, ap_table), sta_table, sta_node).frame == down
    assert early is not None and unprotect(early, sta_table, sta_node).reason == "replay"
    deauth = bytes([0xC0, 0, 0, 0]) + BCAST + AP + AP + bytes(2) + b"\x03\x00"
    assert unprotect(protect_group_mgmt(ap_table, deauth), sta_table, sta_node).frame == deauth

    # a group rekey: the new GTK under the other key id; both stay usable
    old_keyid = group.gtk.keyix
    group.rekey(10**9)
    ap_table.install(group.gtk)
    ap_table.install(group.igtk)
    run(auth.rekey_group(10**9))
    assert sta_table.get(group.gtk.keyix) is not None and sta_table.get(old_keyid) is not None
    again = protect(ap_table.group_tx_key(), down, ap_table)
    assert again is not None and unprotect(again, sta_table, sta_node).keyid == group.gtk.keyix
    assert unprotect(protect_group_mgmt(ap_table, deauth), sta_table, sta_node).keyid == group.igtk.keyix
    assert sta_table.stats.dropped == 1 and ap_table.stats.dropped == 0
