"""Beacon frames (`ieee80211_beacon_alloc`/`_update`): what a beaconing vap's
driver sends at each target beacon transmission time."""

from __future__ import annotations

from typing import Any

from ic import OpMode

from .frame import BROADCAST
from .ie import SSID, TIM, DSParams, IEList, rates_ies
from .mgmt import Beacon, Capability, MgmtFrame

# 802.11b/g rates in 500 kb/s units; the 11b ones are basic (bit 7).
BASIC_RATES = (0x82, 0x84, 0x8B, 0x96)
OFDM_RATES = (12, 18, 24, 36, 48, 72, 96, 108)
DEFAULT_RATES = BASIC_RATES + OFDM_RATES


def capinfo(vap: Any) -> int:
    """The Capability Information a vap advertises."""
    cap = Capability.IBSS if vap.opmode in (OpMode.IBSS, OpMode.AHDEMO) else Capability.ESS
    return int(cap | Capability.SHORT_SLOTTIME)


def beacon_ies(vap: Any, *, hide_ssid: bool, tim: TIM | None) -> IEList:
    chan = vap.channel
    ies: list[Any] = [SSID(b"" if hide_ssid else vap.ssid), *rates_ies(DEFAULT_RATES)]
    if chan is not None and chan.ieee <= 14:
        ies.insert(2, DSParams(chan.ieee))
    if tim is not None:
        ies.append(tim)
    return IEList(ies)


def beacon_frame(vap: Any, tsf_us: int) -> bytes:
    """The beacon `vap` sends at TSF `tsf_us`: TIM with the DTIM count of this TBTT."""
    tbtt = tsf_us // (vap.bintval * 1024)
    tim = None
    if vap.opmode is not OpMode.IBSS:
        period = vap.dtim_period
        tim = TIM.from_aids((period - 1 - tbtt % period) if period > 1 else 0, period,
                            getattr(vap, "ps_aids", ()))
    body = Beacon(tsf_us & (2**64 - 1), vap.bintval, capinfo(vap),
                  beacon_ies(vap, hide_ssid=vap.hidessid, tim=tim))
    return MgmtFrame(body, BROADCAST, vap.macaddr, vap.bssid or vap.macaddr, seq=vap.next_seq()).to_bytes()
