"""Frame builders and a recording world for the medium tests."""

from __future__ import annotations

from drivers.hwsim.kernel.medtypes import mac_to_int
from drivers.hwsim.medium import HwsimMedium, MediumPort
from ic.sched import Scheduler

BCAST = b"\xff" * 6


def mac(i: int) -> bytes:
    """mac80211_hwsim's address of radio i: 02:00:00:hi:lo:00."""
    return bytes([0x02, 0, 0, (i >> 8) & 0xFF, i & 0xFF, 0])


def data(a1: bytes, a2: bytes, a3: bytes, body: bytes = b"x" * 100, *, fromds: bool = False) -> bytes:
    return bytes([0x08, 0x02 if fromds else 0x00, 0, 0]) + a1 + a2 + a3 + b"\0\0" + body


def beacon(bssid: bytes, body: bytes = b"b" * 60) -> bytes:
    return bytes([0x80, 0, 0, 0]) + BCAST + bssid + bssid + b"\0\0" + body


def probe_req(sa: bytes) -> bytes:
    return bytes([0x40, 0, 0, 0]) + BCAST + sa + BCAST + b"\0\0" + b"\0\0"


class World:
    """A medium whose ports record what they receive and their statuses."""

    def __init__(self, n: int = 0, *, model=None, seed: int = 0, backend: str = "c", **port_kw) -> None:
        self.sched = Scheduler()
        self.medium = HwsimMedium(self.sched, model=model, seed=seed, backend=backend)
        self.rx: dict[int, list] = {}
        self.status: dict[int, list] = {}
        self.ports: list[MediumPort] = []
        for _ in range(n):
            self.add(**port_kw)

    def add(self, **kw) -> MediumPort:
        i = len(self.ports)
        p = self.medium.add_port(f"hwsim{i}", hwaddr=mac(i), addrs=[mac(i)], **kw)
        self.rx[i] = []
        self.status[i] = []
        p.rx = lambda frame, info, i=i: self.rx[i].append((frame, info))
        p.tx_status = lambda frame, st, i=i: self.status[i].append((frame, st))
        self.ports.append(p)
        return p

    def run(self, ns: int = 100_000_000) -> None:
        self.sched.run_for(ns)

    def trace(self):
        """Everything observed, in a comparable form."""
        return ({i: [(f, tuple(x)) for f, x in v] for i, v in self.rx.items()},
                {i: [(f, tuple(x)) for f, x in v] for i, v in self.status.items()})


def as_int(m: bytes) -> int:
    return mac_to_int(m)
