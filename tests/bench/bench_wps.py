"""WPS and Wi-Fi Direct group benchmark: complete in-memory WPS
registrations (M1-M8, both DH key pairs included) per second, and the
virtual time and wall time a PBC group formation between two P2P devices
takes (GO negotiation, WPS, the reconnection and the 4-way handshake).
Prints figures (best of several runs); `--json` prints one JSON object."""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import random
import sys
import time

from ic import SEC
from net80211.wps import (
    PBC_PASSWORD,
    Authorizations,
    Credential,
    DeviceInfo,
    Enrollee,
    Registrar,
    Send,
)
from net80211.wps.attrs import AUTH_WPA2PSK, ENCR_AES, DevPw

# the P2P test helpers (tests/support/p2p.py), loaded by path: putting tests/
# on sys.path would shadow the packages with the test folders of the same name
_here = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("p2p_support", _here / "support" / "p2p.py")
assert _spec is not None and _spec.loader is not None
_support = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_support)
discover, has, setup_world = _support.discover, _support.has, _support.setup_world


def registration(seed: int) -> bool:
    r = random.Random(seed)
    auth = Authorizations()
    auth.push_button(0)
    cred = Credential(b"DIRECT-xy", AUTH_WPA2PSK, ENCR_AES, b"passphrs", bytes(6))
    reg = Registrar(DeviceInfo(r.randbytes(16), b"\x02" * 6), auth, cred, r.randbytes)
    enr = Enrollee(DeviceInfo(r.randbytes(16), b"\x04" * 6), PBC_PASSWORD, DevPw.PUSHBUTTON, r.randbytes)
    to_reg = [a.pdu for a in enr.start() if isinstance(a, Send)]
    to_enr = [a.pdu for a in reg.start(0) if isinstance(a, Send)]
    got = False
    while to_reg or to_enr:
        nxt_r = [a.pdu for p in to_enr for a in enr.receive(p) if isinstance(a, Send)]
        got = got or enr.cred is not None
        to_enr = [a.pdu for p in to_reg for a in reg.receive(p) if isinstance(a, Send)]
        to_reg = nxt_r
    return got


def registrations_per_s(n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        assert registration(i)
    return n / (time.perf_counter() - t0)


def group_formation() -> tuple[float, float]:
    """(virtual ms, wall ms) of connect -> both groups keyed."""
    s, d, (a, b), _ = setup_world()
    discover(s, (a, b))
    w0, v0 = time.perf_counter(), s.now_ns
    b.connect(a.address, "pbc", auth=True)
    a.connect(b.address, "pbc")
    assert s.run_until(lambda: has(a, "P2P-GROUP-STARTED") and has(b, "P2P-GROUP-STARTED")
                       and (has(a, "AP-STA-CONNECTED") or has(b, "AP-STA-CONNECTED")), 10 * SEC)
    return (s.now_ns - v0) / 1e6, (time.perf_counter() - w0) * 1e3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 20 if args.quick else 100
    rate = max(registrations_per_s(n) for _ in range(3))
    runs = [group_formation() for _ in range(3)]
    figures = {"wps_registrations_per_s": round(rate, 1),
               "p2p_pbc_group_formation_virtual_ms": round(runs[0][0], 1),
               "p2p_pbc_group_formation_wall_ms": round(min(w for _, w in runs), 1)}
    if args.json:
        print(json.dumps(figures))
    else:
        for k, v in figures.items():
            print(f"{k:40} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
