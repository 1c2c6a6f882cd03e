"""The medium's PHY rates: mac80211_hwsim's legacy table and HT/VHT MCS.

A frame's rate chain names each try's rate as mac80211_hwsim does: an index
and the rate-control flags (`HWSIM_ATTR_TX_INFO_FLAGS`, enum
hwsim_tx_rate_flags).  Legacy indices point into hwsim_rates (5 GHz bands
start at 6 Mb/s, index 4 of the table).  With `RC_MCS` the index is the HT
MCS (0..31, streams = MCS / 8 + 1); with `RC_VHT_MCS` it is (NSS - 1) << 4 |
MCS (0..9).  The medium kernel works on one number per rate, its "table
index": 0..11 for a legacy rate, or `MCS_CODE | ...` for HT/VHT (bandwidth,
guard interval, streams and MCS packed below).  The C kernel has the same
functions (_medium.c); this module is their executable specification.

Airtime follows IEEE 802.11-2016: Clause 17 (OFDM) and 16 (DSSS/CCK long
preamble) for legacy rates, 19.4.3 (HT mixed format) and 21.4.3 (VHT) for
MCS: the preamble, then ceil((16 + 8 L + 6 N_ES) / N_DBPS) symbols of 4 us
(3.6 us with the short guard interval).  No signal extension, as for the
legacy rates.  A VHT PSDU is always an A-MPDU: one MPDU adds its 4-octet
delimiter.
"""

from __future__ import annotations

import math

RC_USE_RTS_CTS = 1 << 0  # an RTS/CTS exchange before the frame
RC_USE_CTS_PROTECT = 1 << 1  # a CTS to itself before the frame
RC_MCS = 1 << 3
RC_40_MHZ = 1 << 5
RC_SHORT_GI = 1 << 7
RC_VHT_MCS = 1 << 8
RC_80_MHZ = 1 << 9
RC_160_MHZ = 1 << 10

NRATES = 12  # legacy table indices 0..11
RATES_100KBPS = (10, 20, 55, 110, 60, 90, 120, 180, 240, 360, 480, 540)
MCS_CODE = 0x8000
BAD = 0xFFFF_FFFF  # not a rate the medium can send
PER_ROWS = NRATES + 10  # the PER table: legacy rows, then one per MCS 0..9 (modulation and code)

# data subcarriers per bandwidth (20, 40, 80, 160 MHz)
_N_SD = (52, 108, 234, 468)
# coded bits per subcarrier times the code rate, times 6, per MCS 0..9
_BITS6 = (3, 6, 9, 12, 18, 24, 27, 30, 36, 40)
# the legacy OFDM rate (table index) of each MCS's modulation and code, up to 64-QAM 3/4
LEGACY_OF_MCS = (4, 6, 7, 8, 9, 10, 11, 11, 11, 11)


def code(rate_idx: int, rc_flags: int, freq: int) -> int:
    """The table index of a hwsim rate (index, flags) on a channel; BAD if none."""
    if rc_flags & RC_VHT_MCS:
        mcs, nss = rate_idx & 0xF, ((rate_idx >> 4) & 7) + 1
        if rate_idx < 0 or rate_idx > 0x7F or mcs > 9:
            return BAD
        vht = 1
    elif rc_flags & RC_MCS:
        if not 0 <= rate_idx <= 31:
            return BAD
        mcs, nss, vht = rate_idx & 7, (rate_idx >> 3) + 1, 0
    else:
        t = rate_idx + 4 if freq > 5000 else rate_idx
        return t if 0 <= t < NRATES else BAD
    bw = 3 if rc_flags & RC_160_MHZ else 2 if rc_flags & RC_80_MHZ else 1 if rc_flags & RC_40_MHZ else 0
    sgi = 1 if rc_flags & RC_SHORT_GI else 0
    return MCS_CODE | vht << 14 | sgi << 13 | bw << 11 | (nss - 1) << 4 | mcs


def is_mcs(tidx: int) -> bool:
    return bool(tidx & MCS_CODE) and tidx != BAD


def fields(tidx: int) -> tuple[int, int, int, int, int]:
    """(mcs, nss, bandwidth index, short GI, VHT) of an MCS code."""
    return tidx & 0xF, ((tidx >> 4) & 7) + 1, (tidx >> 11) & 3, (tidx >> 13) & 1, (tidx >> 14) & 1


def airtime_ns(tidx: int, length: int) -> int:
    """Airtime of `length` bytes (FCS included) at a table index."""
    if is_mcs(tidx):
        mcs, nss, bw, sgi, vht = fields(tidx)
        ndbps = _N_SD[bw] * nss * _BITS6[mcs] // 6
        nes = (ndbps + 1199) // 1200  # one BCC encoder per 300 Mb/s at 4 us symbols
        nltf = nss + (nss & 1) if nss > 2 else nss  # 1, 2, 4, 4, 6, 6, 8, 8
        pre = (36 if vht else 32) + 4 * nltf  # L-STF, L-LTF, L-SIG, HT/VHT-SIG(A), STF, LTFs (, SIG-B)
        bits = 16 + 8 * (length + 4 * vht) + 6 * nes
        nsym = (bits + ndbps - 1) // ndbps
        data = (nsym * 3600 + 3999) // 4000 * 4000 if sgi else nsym * 4000
        return pre * 1000 + data
    tidx = min(tidx, NRATES - 1)
    rate = RATES_100KBPS[tidx]
    if tidx < 4:
        return (192 + (8 * length * 10 + rate - 1) // rate) * 1000
    return (16 + 4 + 4 * (((16 + 8 * length + 6) * 10 + 4 * rate - 1) // (4 * rate))) * 1000


def ack_tidx(tidx: int) -> int:
    """The ACK's rate: the highest mandatory rate not above the frame's (1/2 Mb/s
    for DSSS/CCK, 6/12/24 Mb/s OFDM; for MCS, its one-stream 20 MHz rate's)."""
    if is_mcs(tidx):
        tidx = LEGACY_OF_MCS[tidx & 0xF]
    if tidx < 4:
        return 1 if tidx >= 1 else 0
    return 8 if tidx >= 8 else 6 if tidx >= 6 else 4


def per_row(tidx: int) -> int:
    """The PER table's row of a table index."""
    return NRATES + (tidx & 0xF) if is_mcs(tidx) else tidx


def snr_offset_db(tidx: int) -> float:
    """dB taken off a link's SNR at this rate: a wider channel gathers more noise
    (3 dB per doubling) and N streams share the transmit power.  (The C kernel
    computes the same double with the same libm log10.)"""
    if not is_mcs(tidx):
        return 0.0
    _, nss, bw, _, _ = fields(tidx)
    k = (1 << bw) * nss
    return 0.0 if k == 1 else 10.0 * math.log10(k)


def rx_rate_idx(tidx: int, freq: int) -> int:
    """The hwsim rate index a receiver is told (HWSIM_ATTR_RX_RATE): the kernel takes
    only a legacy index of the band, so an MCS frame is reported at the legacy OFDM rate
    of its modulation and code."""
    if is_mcs(tidx):
        tidx = LEGACY_OF_MCS[tidx & 0xF]
    return tidx - 4 if freq > 5000 and tidx >= 4 else tidx
