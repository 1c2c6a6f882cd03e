"""Creating a BSS on a channel and choosing a channel from scan results
(`ieee80211_create_ibss`, the "least congested channel" pick)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ic import Busy, Channel, IEEE80211Com, State
from net80211 import proto
from net80211.proto import chose_channel
from net80211.scan import ScanResult

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

log = logging.getLogger("net80211")


def claim_channel(vap: IEEE80211Vap, chan: Channel) -> bool:
    """Ask the policy whether `vap` may run on a channel it chose by scanning;
    if not, the vap goes down with the policy's reason in `vap.last_error`."""
    ic = vap.ic
    try:
        ic.policy.check_running(ic, vap, chan)
    except Busy as e:
        vap.last_error = e
        vap.stats.policy_refusals += 1
        log.warning("%s: %s", vap.name, e)
        proto.stop(vap)
        return False
    return True


def running_channel(vap: IEEE80211Vap) -> Channel | None:
    """The channel another running vap of the device chose to operate on.

    A vap that did not choose its channel (`chose_channel`) only followed
    the radio wherever it was, possibly a scan channel: a BSS joining it
    would pin the device to that accidental channel.
    """
    for vp in vap.ic.vaps:
        if vp is not vap and vp.state >= State.RUN and vp.bss_chan is not None and chose_channel(vp):
            return vp.bss_chan
    return None


def follow_running_channel(vap: IEEE80211Vap) -> None:
    """A vap that follows the device (a monitor, a WDS link) enters RUN: on
    the channel another running vap chose, else, the first to run, on its
    desired channel or the radio's, tuning the radio there."""
    chan = running_channel(vap)
    if chan is None:
        chan = vap.des_chan or vap.ic.curchan
        vap.ic.set_curchan(chan)
    vap.bss_chan = chan


def set_bss_channel(ic: IEEE80211Com, chan: Channel) -> None:
    """The device's BSSes run on `chan` now (`ic_bsschan`): running vaps that
    follow the device rather than choosing a channel (a monitor, a WDS link
    without a configured channel) move with it, so no vap shows a channel the
    radio has left."""
    ic.bsschan = chan
    for vp in ic.vaps:
        if vp.state >= State.RUN and vp.bss_chan not in (None, chan) and not chose_channel(vp):
            log.debug("%s: follows %s to channel %s", vp.name, ic.name, chan.ieee)
            vp.bss_chan = chan


def create_bss(vap: IEEE80211Vap, chan: Channel, bssid: bytes) -> None:
    """Start our own BSS on `chan` with `bssid`, then go to RUN."""
    if chan != vap.des_chan and not claim_channel(vap, chan):
        return
    vap.bss_chan = chan
    vap.bssid = bssid
    set_bss_channel(vap.ic, chan)
    vap.ic.set_curchan(chan)
    vap.new_state(State.RUN, 0, internal=True)


def pick_channel(results: list[ScanResult], channels: list[Channel]) -> Channel:
    """The scanned channel with the fewest BSSes heard (ties: device order)."""
    load = {c: 0 for c in channels}
    for r in results:
        if r.channel in load:
            load[r.channel] += 1
    return min(channels, key=lambda c: load[c])


def scan_channels(vap: IEEE80211Vap) -> list[Channel]:
    """Channels a vap's scan visits: its desired channel, else every channel."""
    return [vap.des_chan] if vap.des_chan is not None else list(vap.ic.channels)


def leave_bss(vap: IEEE80211Vap) -> None:
    """Forget the vap's BSS; the device's BSS channel goes when no vap runs."""
    vap.bss_chan = None
    ic = vap.ic
    if running_channel(vap) is None:
        ic.bsschan = None
