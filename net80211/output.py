"""The transmit side and data framing (`ieee80211_output.c`): management
frames through the driver's `ic_raw_xmit`, 802.3 <-> 802.11 data framing
with LLC/SNAP, the upper layer's `transmit`, and delivery of received data
to the vap's netdev.

Stable API for modes:
- `send_mgmt(vap, da, body, *, bssid=None, on_status=None, no_ack=False)`,
  `send_mgmt_raw(vap, subtype, da, body_bytes, ...)`, `send_raw(vap, frame, ...)`
- `data_frame(flags, a1, a2, a3, seq, body, a4=None)`: raw data frame bytes
- `snap_body(eth)`: LLC/SNAP body of an Ethernet frame (None if not Ethernet-II)
- `send_data(vap, frame, node=None)`: hand a built data frame to the driver
- `transmit(vap, eth)`: `vap.transmit`, encapsulating with `vap.mode.encap`
- `deliver(vap, da, sa, body, node=None)`: decapsulate and hand up;
  `data_body(frame, subtype, flags)` finds the body of a received frame
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ic import State
from net80211.wire.frame import BROADCAST

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

_SNAP_RFC1042 = b"\xaa\xaa\x03\x00\x00\x00"
_SNAP_TUNNEL = b"\xaa\xaa\x03\x00\x00\xf8"
_TUNNEL_TYPES = (b"\x81\x37", b"\x80\xf3")  # IPX, AppleTalk ARP: 802.1H
_HDR = struct.Struct("<BBH6s6s6sH")
FC_DATA = 0x08
FC_NULL = 0x48
TO_DS, FROM_DS = 0x01, 0x02
ETHER_MIN = 14


def send_mgmt(vap: IEEE80211Vap, da: bytes, body: Any, *, bssid: bytes | None = None,
              on_status: Callable[[bytes, Any], Any] | None = None, no_ack: bool = False) -> bool:
    """Send a management frame with body object `body` (mgmt.Auth, ...) from
    `vap` to `da` (`ieee80211_send_mgmt`).

    addr3 is `bssid`, else the vap's BSSID, else its own address.  The
    driver reports the frame's fate to `on_status(frame, status)`
    (`status.acked`).  False if the driver dropped it at once.
    """
    return send_mgmt_raw(vap, body.subtype, da, body.to_bytes(), bssid=bssid, on_status=on_status,
                         no_ack=no_ack)


def send_mgmt_raw(vap: IEEE80211Vap, subtype: int, da: bytes, body: bytes, *, bssid: bytes | None = None,
                  on_status: Callable[[bytes, Any], Any] | None = None, no_ack: bool = False) -> bool:
    """`send_mgmt` with the body already encoded (cached probe requests...)."""
    if bssid is None:
        bssid = vap.bssid or vap.macaddr
    frame = _HDR.pack(subtype << 4, 0, 0, da, vap.macaddr, bssid, vap.next_seq() << 4) + body
    rsn = vap.rsn
    if rsn is not None and (subtype == 10 or subtype == 12 or subtype == 13):
        # management frame protection: robust frames to an MFP peer
        got = rsn.protect_mgmt(frame)
        if got is None:
            vap.stats.tx_dropped += 1
            return False
        frame = got
    return send_raw(vap, frame, on_status=on_status, no_ack=no_ack)


def send_raw(vap: IEEE80211Vap, frame: bytes, *, on_status: Callable[[bytes, Any], Any] | None = None,
             no_ack: bool = False) -> bool:
    """Hand a complete frame to `ic_raw_xmit` (counted as management)."""
    # `rate` is in 500 kb/s units (FreeBSD's ibp_rate0 = the vap's mgmtrate).
    params: dict[str, Any] = {"rate": vap.mgmtrate}
    if on_status is not None or no_ack:
        params["on_status"] = on_status
        params["no_ack"] = no_ack
    vap.stats.tx_mgmt += 1
    ok = bool(vap.ic.ic_raw_xmit(vap, frame, params))
    if not ok:
        vap.stats.tx_dropped += 1
    return ok


def data_frame(flags: int, a1: bytes, a2: bytes, a3: bytes, seq: int, body: bytes,
               a4: bytes | None = None, subtype_fc: int = FC_DATA) -> bytes:
    """Raw bytes of a (non-QoS) data frame; `a4` for a 4-address (WDS) frame,
    whose flags must then carry both ToDS and FromDS."""
    hdr = _HDR.pack(subtype_fc, flags, 0, a1, a2, a3, (seq & 0xFFF) << 4)
    if a4 is not None:
        return hdr + a4 + body
    return hdr + body


def snap_body(eth: bytes) -> bytes | None:
    """The 802.11 body (LLC/SNAP + payload) of an Ethernet-II frame, None if
    `eth` is too short or carries an 802.3 length instead of an ethertype."""
    if len(eth) < ETHER_MIN or eth[12] < 0x06:
        return None
    etype = eth[12:14]
    return (_SNAP_TUNNEL if etype in _TUNNEL_TYPES else _SNAP_RFC1042) + eth[12:]


def send_data(vap: IEEE80211Vap, frame: bytes, node: Any = None) -> bool:
    """Hand a data frame to the driver (`ic_transmit`) and count it.  A
    protected vap encrypts it first (`vap.rsn.protect`: the node's pairwise
    key, or the group key for a group-addressed frame); no key: dropped.
    A frame for a dozing station is held in its power-save queue instead
    (net80211.power), unencrypted until it goes."""
    if node is not None and node.psq is not None:
        return bool(node.psq.hold(vap, frame))
    rsn = vap.rsn
    if rsn is not None:
        got = rsn.protect(frame, node)
        if got is None:
            vap.stats.tx_dropped += 1
            return False
        frame = got
    if vap.ic.ic_transmit(vap, frame):
        st = vap.stats
        st.tx_packets += 1
        st.tx_bytes += len(frame)
        if node is not None:
            node.tx_packets += 1
            node.tx_bytes += len(frame)
        return True
    vap.stats.tx_dropped += 1
    return False


def transmit(vap: IEEE80211Vap, eth: bytes) -> bool:
    """The upper layer's transmit (`ieee80211_vap_transmit`): encapsulate an
    Ethernet frame for the vap's mode and send it.  A vap that is not
    running, a mode without a data path, a frame that is not Ethernet-II or
    a unicast destination the mode cannot reach are counted in tx_dropped."""
    if not vap.running or vap.state < State.RUN:
        vap.stats.tx_dropped += 1
        return False
    out = vap.mode.encap(vap, eth)
    if out is None:
        vap.stats.tx_dropped += 1
        return False
    return send_data(vap, out[0], out[1])


def deliver(vap: IEEE80211Vap, da: bytes, sa: bytes, body: bytes, node: Any = None) -> bool:
    """Decapsulate an LLC/SNAP body and hand the Ethernet frame to the vap's
    netdev (`ieee80211_deliver_data`); a body that is not LLC/SNAP is counted
    in rx_dropped."""
    head = body[:6]
    if len(body) < 8 or (head != _SNAP_RFC1042 and head != _SNAP_TUNNEL) or body[6] < 0x06:
        vap.stats.rx_dropped += 1
        return False
    eth = da + sa + body[6:]
    st = vap.stats
    st.rx_packets += 1
    st.rx_bytes += len(eth)
    if da[0] & 1:
        st.rx_multicast += 1
    if node is not None:
        node.rx_packets += 1
        node.rx_bytes += len(eth)
    nd = vap.netdev
    if nd is None:
        st.rx_dropped += 1
        return False
    nd.deliver(eth)
    return True


def data_body(frame: bytes, subtype: int, flags: int) -> bytes:
    """The body of a received data frame (after addr4, QoS and HT Control)."""
    off = 30 if flags & 3 == 3 else 24
    if subtype & 8:
        off += 6 if flags & 0x80 else 2
    return frame[off:]


def ether_addrs(eth: bytes) -> tuple[bytes, bytes] | None:
    """(dst, src) of an Ethernet frame, None if it is too short."""
    if len(eth) < ETHER_MIN:
        return None
    return eth[0:6], eth[6:12]


__all__ = ["BROADCAST", "data_frame", "data_body", "deliver", "ether_addrs", "send_data", "send_mgmt",
           "send_mgmt_raw", "send_raw", "snap_body", "transmit"]
