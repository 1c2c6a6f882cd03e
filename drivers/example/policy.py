"""The example device's shape: what it can do and which vap mixes it allows.

Two hardware ports: at most two vaps that are not monitors, on one channel,
and at most one of them beacons (an AP or an IBSS).  Monitor vaps are a
software interface type: never counted, never limited.  A station beside
another vap gets CLONE_NOBEACONS, because the single hardware beacon-miss
timer belongs to the port that beacons.
"""

from __future__ import annotations

from ic import Caps, IfaceCombination, IfaceLimit, IfType, Policy, StaNoBeacons

EXAMPLE_CAPS = Caps.STA | Caps.HOSTAP | Caps.IBSS | Caps.MONITOR
HW_PORTS = 2


def example_policy() -> Policy:
    """The declarative half (combinations) plus one FreeBSD-style rule."""
    return Policy(
        [IfaceCombination(
            limits=(IfaceLimit(HW_PORTS, [IfType.STATION]),
                    IfaceLimit(1, [IfType.AP, IfType.ADHOC])),
            max_interfaces=HW_PORTS,
            num_different_channels=1)],
        [StaNoBeacons()],
        name="example")
