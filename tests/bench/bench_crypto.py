"""Frame protection and handshake benchmark: CCMP-128 (and GCMP-256)
protect + unprotect throughput on 1500-byte QoS data frames through the
data path (PN, replay check, counters), BIP-CMAC-128 per frame, and complete
in-memory 4-way handshakes per second (PBKDF2 excluded: the PMK is derived
once), and complete SAE exchanges per second (both password element
methods, the PWE derivation included).  Prints figures (best of several runs); `--json` prints one JSON
object."""

from __future__ import annotations

import argparse
import json
import sys
import time
import timeit

from net80211.crypto import Key, KeyTable, NodeKeys, protect, protect_group_mgmt, unprotect
from net80211.rsn import (
    ApPolicy,
    Authenticator,
    GroupKeys,
    SendEapol,
    StaPolicy,
    Supplicant,
    pmk_from_passphrase,
)
from net80211.rsn.policy import Selection
from net80211.rsn.sae import Sae, SaeAccepted, SendSae
from net80211.wire.rsn import Cipher

AP = bytes.fromhex("020000000100")
STA = bytes.fromhex("020000000200")
FRAME = bytes([0x88, 0x01]) + bytes(2) + AP + STA + AP + bytes(2) + b"\x00\x00" + bytes(1500 - 26)
DEAUTH = bytes([0xC0, 0]) + bytes(2) + b"\xff" * 6 + AP + AP + bytes(2) + b"\x02\x00"


def data_path_mbps(suite: int, n: int) -> float:
    """Protect then unprotect `n` frames; megabytes of frame per second."""
    klen = 16 if suite == Cipher.CCMP_128 else 32
    tx, table = Key(suite, bytes(range(klen))), KeyTable()
    node = NodeKeys(Key(suite, bytes(range(klen))))

    def run() -> None:
        for _ in range(n):
            sealed = protect(tx, FRAME, table)
            assert sealed is not None and unprotect(sealed, table, node).ok

    best = min(timeit.repeat(run, number=1, repeat=5))
    return 2 * n * len(FRAME) / best / 1e6  # both directions' bytes


def bip_us(n: int) -> float:
    table = KeyTable()
    table.install(Key(Cipher.BIP_CMAC_128, bytes(16), keyix=4))
    return min(timeit.repeat(lambda: protect_group_mgmt(table, DEAUTH), number=n, repeat=5)) / n * 1e6


def handshakes_per_s(n: int) -> float:
    ap = ApPolicy()
    chosen = StaPolicy().select(ap.rsne().body())
    assert chosen is not None
    sel, req = chosen
    ap_sel = ap.negotiate(req.body())
    assert isinstance(ap_sel, Selection)
    pmk = pmk_from_passphrase("benchmark passphrase", b"bench")
    group = GroupKeys(ap_sel.group)
    ap_rsne, sta_rsne = ap.rsne().to_bytes(), req.to_bytes()

    def one() -> None:
        auth = Authenticator(aa=AP, spa=STA, pmk=pmk, selection=ap_sel, ap_rsne=ap_rsne, sta_rsne=sta_rsne,
                             group=group)
        supp = Supplicant(aa=AP, spa=STA, pmk=pmk, selection=sel, ap_rsne=ap_rsne, sta_rsne=sta_rsne)
        pending = [a.frame for a in auth.start(0) if isinstance(a, SendEapol)]
        while pending:
            replies = [a.frame for f in pending for a in supp.receive(f, 0) if isinstance(a, SendEapol)]
            pending = [a.frame for f in replies for a in auth.receive(f, 0) if isinstance(a, SendEapol)]
        assert supp.handshakes == auth.handshakes == 1

    best = min(timeit.repeat(one, number=n, repeat=5))
    return n / best


def sae_per_s(n: int, h2e: bool) -> float:
    ssid = b"bench" if h2e else None

    def one() -> None:
        a = Sae(password=b"bench password", own_addr=AP, peer_addr=STA, ssid=ssid)
        b = Sae(password=b"bench password", own_addr=STA, peer_addr=AP, ssid=ssid)
        queue = [("b", m) for m in a.start(0) if isinstance(m, SendSae)]
        queue += [("a", m) for m in b.start(0) if isinstance(m, SendSae)]
        done = 0
        while queue:
            to, m = queue.pop(0)
            out = (a if to == "a" else b).receive(m.transaction, m.status, m.body, 0)
            queue += [("b" if to == "a" else "a", x) for x in out if isinstance(x, SendSae)]
            done += sum(isinstance(x, SaeAccepted) for x in out)
        assert done == 2

    return n / min(timeit.repeat(one, number=n, repeat=3))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--frames", type=int, default=2000, help="frames per timing run")
    ap.add_argument("--handshakes", type=int, default=200, help="handshakes per timing run")
    args = ap.parse_args()
    t0 = time.perf_counter()
    pmk_ms = min(timeit.repeat(lambda: pmk_from_passphrase("benchmark passphrase", b"bench"),
                               number=1, repeat=3)) * 1e3
    figures = {
        "ccmp128_protect_unprotect_MBps": round(data_path_mbps(Cipher.CCMP_128, args.frames), 1),
        "gcmp256_protect_unprotect_MBps": round(data_path_mbps(Cipher.GCMP_256, args.frames), 1),
        "frame_bytes": len(FRAME),
        "bip_cmac128_protect_us": round(bip_us(args.frames), 2),
        "fourway_handshakes_per_s": round(handshakes_per_s(args.handshakes), 1),
        "pbkdf2_pmk_ms": round(pmk_ms, 2),
        "sae_hnp_exchanges_per_s": round(sae_per_s(max(1, args.handshakes // 20), h2e=False), 1),
        "sae_h2e_exchanges_per_s": round(sae_per_s(max(1, args.handshakes // 20), h2e=True), 1),
        "python": sys.version.split()[0],
        "elapsed_s": round(time.perf_counter() - t0, 2),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for k, v in figures.items():
            print(f"{k:32} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
