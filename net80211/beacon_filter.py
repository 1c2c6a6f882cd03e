"""A station's use of its device's beacon filter (Linux's
IEEE80211_VIF_BEACON_FILTER offload, as iwlwifi's firmware does it).

While associated, every beacon of the AP reaches the host only to say what
the last one said: same elements, same signal.  A device with a beacon
filter keeps such beacons back and counts them; the station tells it when
it still wants every beacon (`want_all`: while roaming could act, the AP
weak or heading there, slow, a background scan running) and reads the
count where it needs beacons counted (the beacon-miss check, the roaming
average, which takes the kept-back beacons in order).  A beacon that says anything new
(elements other than the TIM, or another signal) always goes through.

A kept-back beacon reaches the station's books at the next `sync`: the
beacon-miss check, leaving RUN, and before the vap's state is read
(`Mode.refresh`: describe, scan results).  Then `rx_beacons_filtered`
counts it (`rx_beacons` counts the beacons the host saw), and the AP's
node and scan entry take the time of the last one as last heard.

The driver hooks are `ic_beacon_filter` and `ic_beacons_filtered`; a
device without the offload (the defaults) passes every beacon up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from net80211.scan import Scanner

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap


class BeaconFilter:
    """The filter's state for one station vap (`vap.sta.bf`)."""

    __slots__ = ("on", "pass_all", "seen", "settled", "signal")

    def __init__(self) -> None:
        self.on = False  # the device filters for this vap
        self.pass_all = True  # asked for every beacon meanwhile
        self.seen = 0  # the device's count at the last sync
        # every beacon asked for since the last sync: the count cannot have
        # moved, so a sync need not ask the device (one call a beacon saved)
        self.settled = False
        # the signal of the last beacon of the AP the host saw: the device
        # keeps back only beacons at the same one
        self.signal = 0


def arm(vap: IEEE80211Vap, bf: BeaconFilter) -> None:
    """The station is associated with `vap.bssid`: let the device filter,
    every beacon passing until the station says otherwise."""
    if vap.bssid is None:
        return
    bf.pass_all = True
    bf.on = vap.ic.ic_beacon_filter(vap, vap.bssid, True)
    bf.seen = vap.ic.ic_beacons_filtered(vap)[0] if bf.on else 0
    bf.settled = bf.on


def disarm(vap: IEEE80211Vap, bf: BeaconFilter) -> None:
    """The station leaves RUN: beacons kept back since the last sync counted, then off."""
    if not bf.on:
        return
    sync(vap, bf)
    vap.ic.ic_beacon_filter(vap, None, False)
    bf.on, bf.pass_all = False, True


def sync(vap: IEEE80211Vap, bf: BeaconFilter) -> int:
    """Beacons the device kept back since the last sync, into the vap's
    books: counted in its stats, the last one's time as when the AP's node
    and scan entry were last heard."""
    if not bf.on or bf.settled:
        return 0
    total, last_ns = vap.ic.ic_beacons_filtered(vap)
    n, bf.seen = total - bf.seen, total
    bf.settled = bf.pass_all
    if n <= 0:
        return 0
    vap.stats.rx_beacons_filtered += n
    st = vap.sta
    node = st.bss_node if st is not None else None
    if node is not None and node.last_rx_ns < last_ns:
        node.last_rx_ns = last_ns
    sc = Scanner.peek(vap.ic)
    entry = sc.cache.get(vap.bssid) if sc is not None and vap.bssid is not None else None
    if entry is not None and entry.last_seen_ns < last_ns:
        entry.last_seen_ns = last_ns
    return n


def want_all(vap: IEEE80211Vap, bf: BeaconFilter, yes: bool) -> None:
    """Every beacon to the host (`yes`), or only those that say something new."""
    if bf.on and bf.pass_all != yes and vap.bssid is not None:
        bf.pass_all = yes
        bf.settled = False  # what it kept back until now is still to be read
        vap.ic.ic_beacon_filter(vap, vap.bssid, yes)
