"""Frame codec micro-benchmark: peek and full parse of a typical beacon and
a QoS data frame, plus building them.  Prints ns per operation (best of
several runs); `--json` prints the same as one JSON object."""

from __future__ import annotations

import argparse
import json
import sys
import timeit

from net80211.wire.data import DataFrame, llc_snap_encap
from net80211.wire.decode import parse_frame
from net80211.wire.frame import BROADCAST, DataSubtype, FCFlags, peek
from net80211.wire.ie import ERP, SSID, TIM, DSParams, HTCapabilities, HTOperation, IEList, rates_ies
from net80211.wire.mgmt import Beacon, Capability, MgmtFrame
from net80211.wire.radiotap import Radiotap, channel_flags

AP = bytes.fromhex("020000000100")
STA = bytes.fromhex("020000000200")

BEACON = MgmtFrame(
    Beacon(123456789, 100, Capability.ESS | Capability.SHORT_SLOTTIME,
           IEList([SSID(b"net0"), *rates_ies([0x82, 0x84, 0x8B, 0x96, 12, 18, 24, 36, 48, 72, 96, 108]),
                   DSParams(6), TIM.from_aids(0, 2, [1, 5]), ERP(0), HTCapabilities.for_streams(2),
                   HTOperation(6)])),
    BROADCAST, AP, AP, seq=42)
DATA = DataFrame(STA, AP, AP, llc_snap_encap(0x0800, bytes(100)), DataSubtype.QOS_DATA, FCFlags.FROM_DS,
                 seq=7, qos=0)
RT = Radiotap(tsft=1, flags=0x10, rate=12, channel_freq=2437, channel_flags=channel_flags(2437),
              dbm_antsignal=-50)


def measure(stmt, number: int) -> float:
    """Best-of-5 nanoseconds per call."""
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--number", type=int, default=20000, help="calls per timing run")
    args = ap.parse_args()
    bwire, dwire = BEACON.to_bytes(), DATA.to_bytes()
    n = args.number
    results = {
        "peek_beacon_ns": measure(lambda: peek(bwire), n * 5),
        "peek_data_ns": measure(lambda: peek(dwire), n * 5),
        "parse_beacon_ns": measure(lambda: parse_frame(bwire), n),
        "parse_data_ns": measure(lambda: parse_frame(dwire), n),
        "build_beacon_ns": measure(BEACON.to_bytes, n),
        "build_data_ns": measure(DATA.to_bytes, n),
        "radiotap_wrap_fcs_ns": measure(lambda: RT.wrap(dwire), n),
    }
    figures = {k: round(v, 1) for k, v in results.items()}
    figures["beacon_bytes"] = len(bwire)
    figures["data_bytes"] = len(dwire)
    figures["python"] = sys.version.split()[0]
    if args.json:
        print(json.dumps(figures))
    else:
        for k, v in figures.items():
            print(f"{k:24} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
