"""The node table's address index: one lookup for a frame's sender, the
per-vap dicts behind it when an address has nodes on several vaps."""

from __future__ import annotations

from support.testdriver import TestCom

from net80211 import Scheduler
from net80211.node import NodeTable

MAC = b"\x02\x00\x00\x00\x00\x09"


def test_an_address_with_nodes_on_two_vaps():
    ic = TestCom(Scheduler())
    a, b = ic.create_vap("wlan0", "monitor"), ic.create_vap("wlan1", "sta")
    tbl = NodeTable.of(ic)
    assert tbl.find(a, MAC) is None
    na, nb = tbl.add(a, MAC), tbl.add(b, bytearray(MAC))
    assert na is not nb and tbl.find(a, MAC) is na and tbl.find(b, MAC) is nb
    assert tbl.add(b, MAC) is nb and len(tbl) == 2
    # the node the index held goes: the other vap's takes its place
    assert tbl.remove(na) and not tbl.remove(na)
    assert tbl.find(a, MAC) is None and tbl.find(b, MAC) is nb
    na2 = tbl.add(a, MAC)
    assert tbl.find(a, MAC) is na2 and tbl.nodes(a) == [na2]
    assert tbl.flush(b) == 1 and tbl.find(b, MAC) is None and tbl.find(a, MAC) is na2
    assert tbl.remove(na2) and tbl.find(a, MAC) is None and len(tbl) == 0
    assert tbl.find(b, b"\x02" * 6) is None
