"""Power save, the AP's side (FreeBSD `ieee80211_power.c`, mac80211's
station buffering): a station that sets the Power Management bit in a
frame to its AP dozes; the AP holds the unicast data for it in the node's
power-save queue, announces it in the TIM of its beacons, and sends it when
a frame with the bit clear says the station is awake again.

Stations doze here when a background scan takes them off their AP's
channel (a null data frame with the bit set before the radio leaves, one
with it clear when it is back, as mac80211 does around a software scan), so
the AP's downlink traffic waits instead of being lost to a radio that is
elsewhere.

The queue holds at most PS_MAX_QUEUE frames (mac80211's STA_MAX_TX_BUFFER)
and a frame at most PS_EXPIRE_NS (STA_TX_BUFFER_EXPIRE); what it cannot
hold or held too long is dropped and counted (`tx_ps_dropped`), as are the
frames of a station that leaves while dozing.  Frames are held before
encryption and protected when they go, as mac80211 does.  Group-addressed
frames are not held for DTIM delivery: a dozing station here is on another
channel and would not hear them at the DTIM beacon either.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from ic import SEC
from net80211.output import send_data

if TYPE_CHECKING:
    from net80211.node import Node
    from net80211.vap import IEEE80211Vap

PS_MAX_QUEUE = 64
PS_EXPIRE_NS = 10 * SEC


class PsQueue:
    """A dozing station's held frames (`node.psq`, FreeBSD's `ni_psq`):
    (time held, frame) oldest first."""

    __slots__ = ("frames",)

    def __init__(self) -> None:
        self.frames: deque[tuple[int, bytes]] = deque()

    def __len__(self) -> int:
        return len(self.frames)

    def hold(self, vap: IEEE80211Vap, frame: bytes) -> bool:
        """Queue `frame`; False (counted) if the queue is full of frames that
        have not expired."""
        now = vap.ic.sched.now_ns
        self._expire(vap, now)
        if len(self.frames) >= PS_MAX_QUEUE:
            vap.stats.tx_ps_dropped += 1
            return False
        self.frames.append((now, frame))
        vap.stats.tx_ps_queued += 1
        return True

    def _expire(self, vap: IEEE80211Vap, now: int) -> None:
        q = self.frames
        while q and now - q[0][0] >= PS_EXPIRE_NS:
            q.popleft()
            vap.stats.tx_ps_dropped += 1


class ApPowerSave:
    """An AP's dozing stations (`vap.ap.ps`)."""

    __slots__ = ("dozing",)

    def __init__(self) -> None:
        self.dozing: dict[bytes, Node] = {}

    def pwrsave(self, vap: IEEE80211Vap, node: Node, dozing: bool) -> None:
        """The station's Power Management bit (`ieee80211_node_pwrsave`): on,
        its unicast data is held from now on; off, what was held goes out,
        oldest first."""
        if dozing:
            if node.psq is None:
                node.psq = PsQueue()
                self.dozing[node.macaddr] = node
                vap.stats.ps_dozes += 1
            return
        q = node.psq
        if q is None:
            return
        node.psq = None
        self.dozing.pop(node.macaddr, None)
        q._expire(vap, vap.ic.sched.now_ns)
        for _held, frame in q.frames:
            send_data(vap, frame, node)

    def tim_aids(self) -> list[int]:
        """The AIDs of dozing stations with frames held: their TIM bits.  A
        station that left (its node removed, `psq` cleared) is forgotten."""
        if not self.dozing:
            return []
        gone = [mac for mac, n in self.dozing.items() if n.psq is None]
        for mac in gone:
            del self.dozing[mac]
        return sorted(n.aid for n in self.dozing.values() if n.psq is not None and n.psq.frames and n.aid)
