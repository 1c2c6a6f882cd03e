"""What wmediumd's control requests do to a running modeled medium.

`WmediumdControl.handle(request)` applies one request (wserver.Request) to
the `HwsimMedium` of a daemon and answers with the result code the wmediumd
fork Mininet-WiFi installs gives in that case (REFERENCE §10): link SNRs and
error probabilities, station positions, tx powers, antenna gains, shadowing
samples, medium ids, and stations added and removed.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from .wserver import (
    NOTICE,
    Disconnect,
    MsgType,
    Request,
    Result,
    add_reply,
    fixed_to_prob,
    reply,
    specprob_reply,
)

if TYPE_CHECKING:
    from ..medium import HwsimMedium, MediumPort

log = logging.getLogger("wmediumd.server")


class StationHost(Protocol):
    """What the control API needs of the daemon that owns the stations."""

    medium: HwsimMedium

    def add_station(self, hwaddr: bytes) -> MediumPort: ...

    def remove_station(self, port: MediumPort) -> None: ...


DEFAULT_ADD_SNR = -10.0  # wmediumd's DEFAULT_DYNAMIC_SNR: a new station hears nobody ...
DEFAULT_ADD_ERRPROB = 1.0  # ... until its links are set (or, path loss, recomputed)
MAX_MEDIUMS = 32  # one kernel group bit per medium id in use
MAX_PORTS = 4096  # medium ports ever made (deleted stations keep theirs): bounds what ADD may allocate


class WmediumdControl:
    """Applies control requests to a daemon's modeled medium, with wmediumd's results.

    `stations` holds the stations in wmediumd's id order: the config's
    `ifaces.ids`, then every ADD; a deletion shifts the later ids down.
    """

    def __init__(self, host: StationHost, stations: list[MediumPort]) -> None:
        medium = host.medium
        if medium.model is None:
            raise ValueError("the control API needs a modeled medium")
        self.host = host
        self.medium = medium
        self.kind = medium.model.kind
        self.stations = list(stations)
        self._by_addr = {p.hwaddr: p for p in self.stations if p.hwaddr is not None}
        # Our link overrides per port-index pair (symmetric): [snr or None, loss or None].
        self._links: dict[tuple[int, int], list[float | None]] = {}
        self._medium_bits: dict[int, int] = {0: 0}  # medium id -> group bit; 0 is the default group
        self.stats: Counter[str] = Counter()
        if self.kind == "path_loss":
            # wmediumd's stations that move by their direction recompute every link
            medium.mobility_hooks.append(self._recompute)

    # -- look-ups --
    def station(self, addr: bytes) -> MediumPort | None:
        return self._by_addr.get(int.from_bytes(addr, "big"))

    def _override(self, a: MediumPort, b: MediumPort, *, snr: float | None = None,
                  loss: float | None = None) -> None:
        key = (min(a.index, b.index), max(a.index, b.index))
        cur = self._links.setdefault(key, [None, None])
        if snr is not None:
            cur[0] = snr
        if loss is not None:
            cur[1] = loss
        self.medium.set_link(a, b, snr_db=cur[0], loss=cur[1])

    def _recompute(self) -> None:
        """wmediumd recomputes every path-loss link after a station update,
        overwriting SNRs set by hand: drop ours."""
        for (i, j), cur in list(self._links.items()):
            if cur[0] is None:
                continue
            cur[0] = None
            a, b = self.medium.ports[i], self.medium.ports[j]
            self.medium.set_link(a, b, snr_db=None, loss=cur[1])
            if cur[1] is None:
                del self._links[(i, j)]

    # -- dispatch --
    def handle(self, req: Request) -> bytes | None:
        t = req.type
        if t == MsgType.ADD:
            return self._add(req)
        if t == MsgType.SPECPROB:
            # Per size-and-rate matrices exist only in wmediumd's config-less
            # dynamic mode (-d), which we do not offer: wrong mode, as the fork says.
            self.stats["wrong_mode"] += 1
            return specprob_reply(req, Result.WRONG_MODE)
        handler = self._HANDLERS.get(t)
        if handler is None:  # the parser only makes known types; SHUTDOWN is the server's
            return None
        result = handler(self, req)
        if result != Result.SUCCESS:
            self.stats[Result(result).name.lower()] += 1
        if log.isEnabledFor(NOTICE):
            _log_update(req, result)
        return reply(req, result)

    def _snr(self, req: Request) -> int:
        src, dst, snr = req.fields
        a, b = self.station(src), self.station(dst)
        if a is None or b is None:
            return Result.NOT_FOUND
        self._override(a, b, snr=float(snr))
        return Result.SUCCESS

    def _errprob(self, req: Request) -> int:
        src, dst, fixed = req.fields
        if self.kind != "prob":
            return Result.WRONG_MODE
        a, b = self.station(src), self.station(dst)
        if a is None or b is None:
            return Result.NOT_FOUND
        # The encoding reaches down to -1; wmediumd never drops on a negative one.
        self._override(a, b, loss=min(max(fixed_to_prob(fixed), 0.0), 1.0))
        return Result.SUCCESS

    def _station_update(self, req: Request, apply: Callable[[MediumPort], None],
                        *values: float) -> int:
        # wmediumd answers 0 for an address it does not know (it updates no
        # station and recomputes anyway); only a probability medium refuses.
        if self.kind != "path_loss":
            return Result.WRONG_MODE
        if not all(math.isfinite(v) for v in values):
            self.stats["bad_value"] += 1
            return Result.WRONG_MODE
        port = self.station(req.fields[0])
        if port is None:
            self.stats["unknown_station"] += 1
        else:
            apply(port)
        self._recompute()
        return Result.SUCCESS

    def _position(self, req: Request) -> int:
        _, x, y, z = req.fields
        return self._station_update(req, lambda p: p.move_to((x, y, z)), x, y, z)

    def _txpower(self, req: Request) -> int:
        power = req.fields[1]

        def apply(p: MediumPort) -> None:
            p.tx_power_dbm = power
        return self._station_update(req, apply)

    def _gain(self, req: Request) -> int:
        gain = req.fields[1]

        def apply(p: MediumPort) -> None:
            p.antenna_gain_db = float(gain)
        return self._station_update(req, apply)

    def _gaussian(self, req: Request) -> int:
        g = req.fields[1]

        def apply(p: MediumPort) -> None:
            p.shadowing_db = float(g)
        return self._station_update(req, apply, g)

    def _height(self, req: Request) -> int:
        # None of our path-loss models uses antenna heights.  (The fork has no
        # handler at all and reads the request as a stream of type bytes.)
        return Result.WRONG_MODE

    def _medium(self, req: Request) -> int:
        addr, medium_id = req.fields
        port = self.station(addr)
        if port is None:
            return Result.NOT_FOUND
        return self.set_medium(port, medium_id)

    def set_medium(self, port: MediumPort, medium_id: int) -> int:
        """Put a station on medium `medium_id` (0 is everybody's at start)."""
        bit = self._medium_bits.get(medium_id)
        if bit is None:
            used = set(self._medium_bits.values())
            free = [b for b in range(MAX_MEDIUMS) if b not in used]
            if not free:
                return Result.WRONG_MODE
            bit = self._medium_bits[medium_id] = free[0]
        # Stations hear (and disturb) only stations of their own medium.
        port.group = 1 << bit
        return Result.SUCCESS

    def _del(self, port: MediumPort | None) -> int:
        if port is None:
            return Result.NOT_FOUND
        self.stations.remove(port)
        if port.hwaddr is not None:
            del self._by_addr[port.hwaddr]
        for key in [k for k in self._links if port.index in k]:
            del self._links[key]
        self.host.remove_station(port)
        return Result.SUCCESS

    def _del_by_mac(self, req: Request) -> int:
        return self._del(self.station(req.fields[0]))

    def _del_by_id(self, req: Request) -> int:
        # (The fork deletes the station but then answers 1 whatever happened.)
        i = req.fields[0]
        return self._del(self.stations[i] if 0 <= i < len(self.stations) else None)

    def _add(self, req: Request) -> bytes:
        addr = req.fields[0]
        if self.station(addr) is not None:
            self.stats["duplicate"] += 1
            log.warning("W_SRV: Station with MAC %s already exists", addr.hex(":"))
            return add_reply(req, 0, Result.DUPLICATE)
        if len(self.medium.ports) >= MAX_PORTS:
            # wmediumd drops the client, unanswered, when it cannot allocate a station
            raise Disconnect(f"no room for station {addr.hex(':')} ({MAX_PORTS} ports)")
        port = self.host.add_station(addr)
        log.log(NOTICE, "W_SRV: Added station with MAC %s and ID %d", addr.hex(":"), len(self.stations))
        for other in self.stations:
            if self.kind == "prob":
                self._override(port, other, loss=DEFAULT_ADD_ERRPROB)
            else:
                self._override(port, other, snr=DEFAULT_ADD_SNR)
        self.stations.append(port)
        self._by_addr[int.from_bytes(addr, "big")] = port
        return add_reply(req, len(self.stations) - 1, Result.SUCCESS)

    _HANDLERS: dict[int, Callable[[WmediumdControl, Request], int]] = {
        MsgType.SNR: _snr,
        MsgType.ERRPROB: _errprob,
        MsgType.POSITION: _position,
        MsgType.TXPOWER: _txpower,
        MsgType.GAIN: _gain,
        MsgType.HEIGHT: _height,
        MsgType.GAUSSIAN_RANDOM: _gaussian,
        MsgType.MEDIUM: _medium,
        MsgType.DEL_BY_MAC: _del_by_mac,
        MsgType.DEL_BY_ID: _del_by_id,
    }


# wmediumd's log lines for each update (W_SRV: ...), by request type.
_DONE: dict[int, Callable[[tuple[Any, ...]], str]] = {
    MsgType.SNR: lambda f: f"Performing SNR update: from={f[0].hex(':')}, to={f[1].hex(':')}, snr={f[2]}",
    MsgType.ERRPROB: lambda f: (f"Performing ERRPROB update: from={f[0].hex(':')}, to={f[1].hex(':')}, "
                                f"errprob={fixed_to_prob(f[2]):f}"),
    MsgType.POSITION: lambda f: (f"Performing Position update: for={f[0].hex(':')}, "
                                 f"position={f[1]:f},{f[2]:f},{f[3]:f}"),
    MsgType.TXPOWER: lambda f: f"Performing TxPower update: for={f[0].hex(':')}, txpower={f[1]}",
    MsgType.GAIN: lambda f: f"Performing Gain update: for={f[0].hex(':')}, gain={f[1]}",
    MsgType.HEIGHT: lambda f: f"Performing Height update: for={f[0].hex(':')}, height={f[1]}",
    MsgType.GAUSSIAN_RANDOM: lambda f: (f"Performing Gaussian Random update: for={f[0].hex(':')}, "
                                        f"gRandom={f[1]:f}"),
    MsgType.MEDIUM: lambda f: f"Performing Medium update: for={f[0].hex(':')}, medium={f[1]}",
    MsgType.DEL_BY_MAC: lambda f: f"Station with MAC {f[0].hex(':')} successfully deleted",
    MsgType.DEL_BY_ID: lambda f: f"Station with ID {f[0]} successfully deleted",
}
_FAILED: dict[int, Callable[[tuple[Any, ...]], str]] = {
    MsgType.DEL_BY_MAC: lambda f: f"Station with MAC {f[0].hex(':')} could not be found",
    MsgType.DEL_BY_ID: lambda f: f"Station with ID {f[0]} could not be found",
}


def _log_update(req: Request, result: int) -> None:
    if result == Result.SUCCESS:
        log.log(NOTICE, "W_SRV: %s", _DONE[req.type](req.fields))
    elif req.type in _FAILED:
        log.warning("W_SRV: %s", _FAILED[req.type](req.fields))
    else:
        log.warning("W_SRV: Could not perform %s (%s)", _DONE[req.type](req.fields)[len("Performing "):],
                    "station(s) not found" if result == Result.NOT_FOUND else "wrong mode")
