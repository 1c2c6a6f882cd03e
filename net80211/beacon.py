"""Beacon and probe-response frames (`ieee80211_beacon_alloc`/`_update`,
`ieee80211_send_proberesp`): what a beaconing vap's driver sends at each
target beacon transmission time, and what an AP answers a probe with.

The elements that do not change between beacons (SSID, rates, DS
parameter, HT capabilities/operation) are built once per configuration and
kept on the vap (`vap.beacon_template`); each beacon adds the timestamp and
the TIM of its TBTT, with the bits of the dozing stations an AP holds
frames for (net80211.power).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from ic import OpMode
from net80211.wire.frame import BROADCAST
from net80211.wire.ie import (
    RSN,
    SSID,
    TIM,
    DSParams,
    HTCapabilities,
    HTOperation,
    IBSSParams,
    IEList,
    rates_ies,
)
from net80211.wire.mgmt import Capability

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

# Rates in 500 kb/s units, bit 7 = basic.  Our BSSes are 11g/n-only (as
# hostapd with `basic_rates=60 120 240`): OFDM basic rates 6/12/24 Mb/s and
# management at 6 Mb/s, which takes a sixth of the airtime of 1 Mb/s DSSS.
DEFAULT_RATES = (0x8C, 0x12, 0x98, 0x24, 0xB0, 0x48, 0x60, 0x6C)
MGMT_RATE = 12  # 6 Mb/s: the lowest basic rate carries management frames
HT_CAPS = HTCapabilities.for_streams(1)

_HDR = struct.Struct("<BBH6s6s6sH")
_FIXED = struct.Struct("<QHH")
FC_BEACON = 0x80
FC_PROBE_RESP = 0x50


_CAP_ESS = int(Capability.ESS | Capability.SHORT_SLOTTIME)
_CAP_IBSS = int(Capability.IBSS | Capability.SHORT_SLOTTIME)
_PRIVACY = int(Capability.PRIVACY)


def capinfo(vap: IEEE80211Vap) -> int:
    """The Capability Information a vap advertises (in every beacon: plain
    ints, not Capability flags)."""
    cap = _CAP_IBSS if vap.opmode in (OpMode.IBSS, OpMode.AHDEMO) else _CAP_ESS
    return cap | _PRIVACY if vap.rsn is not None else cap


def beacon_ies(vap: IEEE80211Vap, *, hide_ssid: bool, tim: TIM | None, probe_resp: bool = False) -> IEList:
    """The elements of a beacon (with `tim`) or probe response (without), in
    the standard's order: SSID, Supported Rates, DS Parameter Set, IBSS
    Parameter Set (an IBSS: its ATIM window, `vap.ibss.atim_window` TU, 0
    as FreeBSD sends), TIM, Extended Rates, RSN (a protected AP), HT."""
    chan = vap.channel
    rates = rates_ies(DEFAULT_RATES)
    ies: list[Any] = [SSID(b"" if hide_ssid else vap.ssid), rates[0]]
    if chan is not None and chan.ieee <= 14:
        ies.append(DSParams(chan.ieee))
    if vap.opmode is OpMode.IBSS and vap.ibss is not None:
        ies.append(IBSSParams(vap.ibss.atim_window))
    if tim is not None:
        ies.append(tim)
    ies.extend(rates[1:])
    rsn = _rsn_body(vap)
    if rsn is not None:
        ies.append(RSN(rsn))
    ies.append(HT_CAPS)
    if chan is not None:
        ies.append(HTOperation(chan.ieee))
    if vap.rsn is not None:
        ies.extend(vap.rsn.beacon_elements(probe_resp))
    return IEList(ies)


def _rsn_body(vap: IEEE80211Vap) -> bytes | None:
    rsn = vap.rsn
    return rsn.ie_body if rsn is not None else None


def _extra(vap: IEEE80211Vap, probe_resp: bool) -> bytes:
    rsn = vap.rsn
    if rsn is None or (rsn.hooks is None and not rsn.cfg.sae_pwe):
        return b""
    return IEList(rsn.beacon_elements(probe_resp)).to_bytes()


def _template(vap: IEEE80211Vap, hide_ssid: bool, probe_resp: bool = False) -> tuple[bytes, bytes]:
    """(elements before the TIM, elements after it), cached per configuration
    (a probe response's may differ: a P2P GO's P2P IE)."""
    chan = vap.channel
    key = (vap.ssid, hide_ssid, chan, vap.bintval, vap.ibss.atim_window if vap.ibss is not None else 0,
           _rsn_body(vap), probe_resp, _extra(vap, probe_resp))
    cache = vap.beacon_template
    if cache is None:
        cache = vap.beacon_template = {}
    hit = cache.get(key)
    if hit is None:
        if len(cache) > 8:
            cache.clear()
        marker = TIM(0, 1)
        ies = beacon_ies(vap, hide_ssid=hide_ssid, tim=marker, probe_resp=probe_resp)
        i = list(ies).index(marker)
        hit = cache[key] = (IEList(ies[:i]).to_bytes(), IEList(ies[i + 1:]).to_bytes())
    return hit


def _tim_bytes(vap: IEEE80211Vap, tsf_us: int) -> bytes:
    tbtt = tsf_us // (vap.bintval * 1024)
    period = vap.dtim_period
    count = (period - 1 - tbtt % period) if period > 1 else 0
    aids = vap.ap.ps.tim_aids() if vap.ap is not None else None
    if aids:
        return TIM.from_aids(count, period, aids).to_bytes()
    return bytes((5, 4, count, period, 0, 0))  # an empty partial virtual bitmap: nothing held


def beacon_frame(vap: IEEE80211Vap, tsf_us: int) -> bytes:
    """The beacon `vap` sends at TSF `tsf_us`: TIM with the DTIM count of this
    TBTT (no TIM in an IBSS), the SSID blank if hidden."""
    pre, post = _template(vap, vap.hidessid)
    tim = b"" if vap.opmode is OpMode.IBSS else _tim_bytes(vap, tsf_us)
    bssid = vap.bssid or vap.macaddr
    return b"".join((_HDR.pack(FC_BEACON, 0, 0, BROADCAST, vap.macaddr, bssid, vap.next_seq() << 4),
                     _FIXED.pack(tsf_us & (2**64 - 1), vap.bintval, capinfo(vap)), pre, tim, post))


def probe_resp_frame(vap: IEEE80211Vap, da: bytes, tsf_us: int) -> bytes:
    """The probe response `vap` sends to `da`: the beacon's elements with the
    SSID always shown and no TIM."""
    pre, post = _template(vap, False, probe_resp=True)
    bssid = vap.bssid or vap.macaddr
    return b"".join((_HDR.pack(FC_PROBE_RESP, 0, 0, da, vap.macaddr, bssid, vap.next_seq() << 4),
                     _FIXED.pack(tsf_us & (2**64 - 1), vap.bintval, capinfo(vap)), pre, post))
