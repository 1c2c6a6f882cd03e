"""Python face of the C medium kernel (`_medium_cffi`): the same methods as
`reference.RefKernel`, so the medium, the tests and the benchmark can drive
either."""

from __future__ import annotations

import errno
import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import model
from ._medium_cffi import ffi, lib
from .medtypes import COUNTERS, MedEvent, TxReq

_EVBUF = 4096

# struct med_event as numpy sees it: one .tolist() turns a batch of events
# into Python tuples at C speed (the rate chain and tries packed in a u32,
# little-endian, unpacked only for the few status events).
_EV_DTYPE = np.dtype({
    "names": ["time_ns", "frame_id", "kind", "radio", "signal", "freq", "rate_idx", "flags",
              "rates", "tries"],
    "formats": ["<u8", "<u8", "<u4", "<u4", "<i4", "<u4", "u1", "u1", "<u4", "<u4"],
    "offsets": [0, 8, 16, 20, 24, 28, 32, 33, 34, 38],
    "itemsize": 48,
})


class KernelError(OSError):
    """A kernel call refused its arguments (errno says why)."""


def _check(rc: int, what: str) -> int:
    if rc < 0:
        raise KernelError(-rc, f"{what}: {os.strerror(-rc)}")
    return rc

_EV_FIELDS: dict[str, tuple[Any, ...]] = dict(_EV_DTYPE.fields or {})


class CKernel:
    """One world of radios in the C kernel."""

    def __init__(self, mode: int, seed: int = 0) -> None:
        ptr = lib.med_new(mode, seed & 0xFFFF_FFFF_FFFF_FFFF)
        if ptr == ffi.NULL:
            raise MemoryError("med_new")
        self._m = ffi.gc(ptr, lib.med_free)
        self.mode = mode
        self._buf = ffi.new("struct med_event[]", _EVBUF)
        if ffi.sizeof("struct med_event") != _EV_DTYPE.itemsize or any(
                ffi.offsetof("struct med_event", n) != _EV_FIELDS[n][1] for n in _EV_FIELDS):
            raise RuntimeError("struct med_event does not match the kernel's numpy view")
        self._view = np.frombuffer(ffi.buffer(self._buf), dtype=_EV_DTYPE)
        self.set_per_table(model.default_per_table(), model.PER_TABLE_STEP_DB)

    # -- configuration -------------------------------------------------------
    def set_params(self, noise_dbm: float = model.NOISE_DBM, cca_dbm: float = -82.0,
                   fading: float = 0.0, interference: bool = True) -> None:
        lib.med_set_params(self._m, noise_dbm, cca_dbm, fading, int(interference))

    def set_per_table(self, table: NDArray[np.float64], step_db: float) -> None:
        t = np.ascontiguousarray(model.with_mcs_rows(table), dtype=np.float64)
        _check(lib.med_set_per_table(self._m, ffi.from_buffer("double[]", t), t.shape[1], step_db),
               "per table")

    def add_radio(self) -> int:
        return _check(lib.med_add_radio(self._m), "add radio")

    @property
    def num_radios(self) -> int:
        return lib.med_num_radios(self._m)

    def set_radio(self, r: int, state: int, freq: int, tmp_freq: int = 0, group: int = 1,
                  filter: int = 0, txpower: int = 20) -> None:
        _check(lib.med_set_radio(self._m, r, state, freq, tmp_freq, group, filter, txpower), "set radio")

    def addr_add(self, r: int, addr: int, kind: int) -> None:
        _check(lib.med_addr_add(self._m, r, addr, kind), "add address")

    def addr_del(self, r: int, addr: int, kind: int) -> None:
        _check(lib.med_addr_del(self._m, r, addr, kind), "delete address")

    def addr_has(self, r: int, addr: int) -> int:
        return lib.med_addr_has(self._m, r, addr)

    def set_links(self, snr: NDArray[np.float64], loss: NDArray[np.float64] | None = None) -> None:
        s = np.ascontiguousarray(snr, dtype=np.float64)
        n = self.num_radios
        if s.shape != (n, n):
            raise ValueError(f"SNR matrix must be {n}x{n}")
        lp = ffi.NULL
        if loss is not None:
            lo = np.ascontiguousarray(loss, dtype=np.float64)
            if lo.shape != (n, n):
                raise ValueError(f"loss matrix must be {n}x{n}")
            lp = ffi.from_buffer("double[]", lo)
        _check(lib.med_set_links(self._m, ffi.from_buffer("double[]", s), lp, n), "set links")

    def set_link(self, i: int, j: int, snr_db: float, loss: float = 0.0) -> None:
        _check(lib.med_set_link(self._m, i, j, snr_db, loss), "set link")

    def set_row(self, i: int, to: NDArray[np.uint32], snr: NDArray[np.float64],
                loss: NDArray[np.float64] | None = None) -> None:
        """Replace transmitter i's links (receivers `to`, strictly increasing)."""
        t = np.ascontiguousarray(to, dtype=np.uint32)
        s = np.ascontiguousarray(snr, dtype=np.float64)
        if s.shape != t.shape or t.ndim != 1:
            raise ValueError("to and snr must be vectors of one length")
        lp = ffi.NULL
        if loss is not None:
            lo = np.ascontiguousarray(loss, dtype=np.float64)
            if lo.shape != t.shape:
                raise ValueError("loss must be as long as to")
            lp = ffi.from_buffer("double[]", lo)
        _check(lib.med_set_row(self._m, i, len(t), ffi.from_buffer("uint32_t[]", t),
                               ffi.from_buffer("double[]", s), lp), "set row")

    def link(self, i: int, j: int) -> tuple[float, float] | None:
        """(SNR dB, loss) of the link i -> j, or None without one."""
        out = ffi.new("double[2]")
        return (out[0], out[1]) if lib.med_get_link(self._m, i, j, out, out + 1) else None

    @property
    def num_links(self) -> int:
        return lib.med_num_links(self._m)

    def bf_set(self, r: int, bssid: int | None, pass_all: bool = False) -> None:
        """Radio r's beacon filter: on for `bssid` (None: off); see med_bf_set."""
        _check(lib.med_bf_set(self._m, r, bssid is not None, bssid or 0, pass_all), "set beacon filter")

    def bf_count(self, r: int) -> tuple[int, int]:
        """(beacons radio r's filter kept back so far, time of the last, 0 if none)."""
        last = ffi.new("uint64_t *")
        n = lib.med_bf_count(self._m, r, last)
        return int(n), int(last[0])

    def set_cell(self, r: int, cx: int, cy: int) -> None:
        _check(lib.med_set_cell(self._m, r, cx, cy), "set cell")

    def set_cell_reach(self, reach: int) -> None:
        _check(lib.med_set_cell_reach(self._m, reach), "set cell reach")

    @property
    def num_overlaps(self) -> int:
        """Pairs of transmissions looked at as each other's interferers so far."""
        return int(lib.med_num_overlaps(self._m))

    # -- traffic -----------------------------------------------------------------
    def tx(self, req: TxReq, now_ns: int) -> int:
        """Queue a frame; its id, or a negative errno when refused."""
        idx = cnt = 0
        shift = 0
        for i, c in req.rates[:4]:
            if not (-128 <= i < 128 and 0 <= c < 256):
                return -errno.EINVAL
            idx |= (i & 0xFF) << shift
            cnt |= c << shift
            shift += 8
        if shift < 32:  # the chain ends here: index -1
            idx |= (0xFFFF_FFFF >> shift) << shift
        fl = 0
        for k, f in enumerate(req.rate_flags[:4]):
            if not 0 <= f < 0x10000:
                return -errno.EINVAL
            fl |= f << (16 * k)
        if not 0 <= req.tag < 1 << 32:
            return -errno.EINVAL
        return lib.med_tx_fields(self._m, req.radio, req.length, req.addr1, req.addr2, req.addr3, req.bssid,
                                 req.freq, req.kind, req.flags, req.ac, idx, cnt, fl, req.tag, now_ns)

    def next_time(self) -> int | None:
        t = lib.med_next_time(self._m)
        return None if t == 0xFFFF_FFFF_FFFF_FFFF else t

    def run(self, until_ns: int) -> None:
        lib.med_run(self._m, until_ns)

    def run_ahead(self, until_ns: int) -> int:
        """Run instant by instant up to until_ns, stopping after the first
        one with output; how many instants ran (see `clock_ns`)."""
        return lib.med_run_ahead(self._m, until_ns)

    def clock_ns(self) -> int:
        """The kernel's clock: the last instant processed or told about."""
        return lib.med_now(self._m)

    def pending(self) -> int:
        return lib.med_pending_events(self._m)

    def drain_count(self) -> int:
        """Discard pending events, returning how many (benchmarks)."""
        n = 0
        while True:
            k = lib.med_pop_events(self._m, self._buf, _EVBUF)
            n += k
            if k < _EVBUF:
                return n

    def pop_events(self) -> list[MedEvent]:
        out: list[MedEvent] = []
        buf = self._buf
        while True:
            k = lib.med_pop_events(self._m, buf, _EVBUF)
            for i in range(k):
                e = buf[i]
                out.append(MedEvent(e.time_ns, e.frame_id, e.kind, e.radio, e.signal, e.freq, e.rate_idx,
                                    e.flags, tuple(e.rates), tuple(e.tries)))
            if k < _EVBUF:
                return out

    def pop_raw(self) -> list[tuple[int, ...]]:
        """Pending events as plain tuples in MedEvent order, the rate chain
        and tries each packed little-endian in one int (`unpack4`)."""
        out: list[tuple[int, ...]] = []
        while True:
            k = lib.med_pop_events(self._m, self._buf, _EVBUF)
            if k:
                batch = self._view[:k].tolist()
                if k < _EVBUF and not out:
                    return batch
                out += batch
            if k < _EVBUF:
                return out

    def counters(self) -> dict[str, int]:
        c = ffi.new("struct med_counters *")
        lib.med_get_counters(self._m, c)
        return {name: getattr(c, name) for name in COUNTERS}

    def raw_handles(self) -> tuple[int, int]:
        """(the kernel's address, med_tx_fields' address): for another C module
        that queues frames itself (hwsim-mediumd's input path).  Valid while
        this object lives."""
        return (int(ffi.cast("uintptr_t", self._m)),
                int(ffi.cast("uintptr_t", ffi.addressof(lib, "med_tx_fields"))))

    def raw_pop_handles(self) -> tuple[int, int]:
        """(the kernel's address, med_pop_events' address): for another C module that
        takes the kernel's events itself (hwsim-mediumd's output path).  Valid while
        this object lives."""
        return (int(ffi.cast("uintptr_t", self._m)),
                int(ffi.cast("uintptr_t", ffi.addressof(lib, "med_pop_events"))))

    def prng_next(self) -> int:
        return lib.med_prng_next(self._m)
