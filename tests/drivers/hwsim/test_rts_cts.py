"""RTS/CTS and CTS-to-self in the modeled medium: the rate flags mac80211 sets
(IEEE80211_TX_RC_USE_RTS_CTS above the RTS threshold, USE_CTS_PROTECT for ERP
protection) make the medium run the exchange, and radios that hear an RTS or a CTS
defer for the exchange it announces (the NAV), hidden ones included."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.hwsim.kernel import CKernel
from drivers.hwsim.kernel.medtypes import ADDR_OWN, FT_OTHER, MODELED, RADIO_STARTED, TXF_NEEDS_ACK, TxReq
from drivers.hwsim.kernel.model import SNR_NONE
from drivers.hwsim.kernel.rates import RC_USE_CTS_PROTECT, RC_USE_RTS_CTS
from drivers.hwsim.kernel.reference import RefKernel


def _addr(i: int) -> int:
    return 0x02_00_00_00_00_00 | (i << 8)


def _hidden(kernel, flags: int, seconds: float = 0.5, rate: int = 4) -> tuple[int, dict[str, int]]:
    """A and C, hidden from each other, both stream 1500-byte frames to B between them
    (at 6 Mb/s: hwsim's rate 4); frames ACKed in `seconds`, and the medium's counters."""
    k = kernel(MODELED, 7)
    for i in range(3):
        k.add_radio()
        k.set_radio(i, RADIO_STARTED, 2412)
        k.addr_add(i, _addr(i), ADDR_OWN)
    snr = np.full((3, 3), SNR_NONE)
    snr[0, 1] = snr[1, 0] = snr[1, 2] = snr[2, 1] = 30.0  # A - B - C; A and C do not hear each other
    k.set_links(snr)
    acked, queued, t, end = 0, {0: set(), 2: set()}, 0, int(seconds * 1e9)
    while t < end:
        for s in (0, 2):
            while len(queued[s]) < 8:
                queued[s].add(k.tx(TxReq(s, 1500, _addr(1), _addr(s), _addr(1), _addr(1), 0, FT_OTHER,
                                         TXF_NEEDS_ACK, 2, ((rate, 7),), (flags,)), t))
        t = k.next_time() or end
        k.run(t)
        for e in k.pop_events():
            if e.kind == 2:
                for s in (0, 2):
                    if e.frame_id in queued[s]:
                        queued[s].discard(e.frame_id)
                        acked += bool(e.flags & 1)
    return acked, k.counters()


@pytest.mark.parametrize("kernel", [CKernel, RefKernel], ids=["c", "reference"])
def test_rts_cts_protects_a_hidden_sender(kernel):
    plain, pc = _hidden(kernel, 0)
    rts, rc = _hidden(kernel, RC_USE_RTS_CTS)
    assert pc["rts"] == pc["cts"] == pc["navs"] == 0
    assert rc["rts"] > 0 and rc["cts"] > 0 and rc["navs"] > 0
    # without it the hidden senders' frames meet at B: most are lost
    assert pc["acked"] < pc["attempts"] / 3
    # with it they meet only as short RTSs; a frame sent after its CTS is almost never lost
    assert rc["attempts"] - rc["acked"] <= rc["attempts"] / 20
    assert rc["collided"] < pc["collided"] / 3
    assert rts > 3 * plain, (rts, plain)  # about five times as many


def test_rts_cts_runs_the_same_in_both_kernels():
    for flags in (RC_USE_RTS_CTS, RC_USE_CTS_PROTECT):
        for rate in (4, 11):
            assert _hidden(CKernel, flags, 0.2, rate) == _hidden(RefKernel, flags, 0.2, rate)


@pytest.mark.parametrize("kernel", [CKernel, RefKernel], ids=["c", "reference"])
def test_an_exchange_takes_its_control_frames_airtime(kernel):
    """One frame on an idle medium: its delivery comes after the RTS, SIFS, the CTS and
    SIFS (or the CTS to itself and SIFS), each control frame at 24 Mb/s."""
    def delivered_at(flags: int) -> int:
        k = kernel(MODELED, 1)
        for i in range(2):
            k.add_radio()
            k.set_radio(i, RADIO_STARTED, 2412)
            k.addr_add(i, _addr(i), ADDR_OWN)
        k.set_links(np.array([[SNR_NONE, 30.0], [30.0, SNR_NONE]]))
        k.tx(TxReq(0, 1500, _addr(1), _addr(0), _addr(1), _addr(1), 0, FT_OTHER, TXF_NEEDS_ACK, 2,
                   ((11, 1),), (flags,)), 0)
        k.run(10**9)
        (rx,) = [e for e in k.pop_events() if e.kind == 1]
        return rx.time_ns

    plain, rts, cts = delivered_at(0), delivered_at(RC_USE_RTS_CTS), delivered_at(RC_USE_CTS_PROTECT)
    ctl_24 = 20_000 + 4_000 * -(-(16 + 8 * 14 + 6) // 96)  # a 14-byte CTS (FCS in) at 24 Mb/s: 28 us
    rts_24 = 20_000 + 4_000 * -(-(16 + 8 * 20 + 6) // 96)  # a 20-byte RTS: 28 us
    assert cts - plain == ctl_24 + 16_000
    assert rts - plain == rts_24 + 16_000 + ctl_24 + 16_000
