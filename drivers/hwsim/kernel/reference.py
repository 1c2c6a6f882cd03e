"""The medium kernel's decisions in pure Python: the executable
specification of _medium.c/_medium_sim.c.

Same PRNG (xoshiro256** seeded through splitmix64), same event order, same
floating-point operations in the same order, so for the same seed and the
same calls it produces exactly the kernel's events.  Tests hold the two
identical; the benchmark measures how much faster the kernel is.
"""

from __future__ import annotations

import errno
import heapq
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import model, rates
from .medtypes import (
    ADDR_BSS,
    ADDR_OWN,
    BROADCAST,
    COUNTERS,
    EV_RX,
    EV_STATUS,
    FCS_LEN,
    FIF_ALLMULTI,
    FIF_BEACONS,
    FIF_PROBE_REQ,
    FIF_PROMISC,
    FT_BEACON,
    FT_PROBE_REQ,
    MODELED,
    PERFECT,
    RADIO_OFFCHAN,
    RADIO_STOPPED,
    RXF_RETRY,
    STF_ACKED,
    STF_DROPPED,
    TXF_NEEDS_ACK,
    MedEvent,
    TxReq,
    pack4,
)

M64 = 0xFFFF_FFFF_FFFF_FFFF
SNR_NONE = model.SNR_NONE
SLOT_NS = 9_000
SIFS_NS = 16_000
QUEUE_CAP = 1024
MAX_LEN = 2304
ACK_LEN = 10
AIFSN = (2, 2, 3, 7)
CW_MIN = (3, 7, 15, 15)
CW_MAX = (7, 15, 1023, 1023)
ACI_LIN = (1.0, 0.7272, 0.2714, 0.0375, 0.0054, 0.0008)
EV_BACKOFF, EV_TX_END, EV_ACK_START, EV_ACK_TIMEOUT, EV_NAV_END, EV_DATA_START = 1, 2, 3, 4, 5, 6
CTL_DATA, CTL_ACK, CTL_RTS, CTL_CTS, CTL_CTS_SELF = 0, 1, 2, 3, 4
CTS_LEN, RTS_LEN = 10, 16
RC_USE_RTS_CTS, RC_USE_CTS_PROTECT = 0x001, 0x002
RXF_OFF = 0xFFFF_FFFF  # MED_RXF_OFF: not a channel
MAX_CELL_REACH = 64  # MED_MAX_CELL_REACH


class Xoshiro256:
    """xoshiro256** (Blackman & Vigna), seeded with splitmix64 as the kernel."""

    def __init__(self, seed: int) -> None:
        s = []
        seed &= M64
        for _ in range(4):
            seed = (seed + 0x9E3779B97F4A7C15) & M64
            z = seed
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            s.append(z ^ (z >> 31))
        self.s = s

    def next(self) -> int:
        s = self.s
        x = (s[1] * 5) & M64
        result = ((((x << 7) | (x >> 57)) & M64) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) | (s[3] >> 19)) & M64
        return result

    def uniform(self) -> float:
        return (self.next() >> 11) * 2.0**-53


airtime_ns = rates.airtime_ns
ack_tidx = rates.ack_tidx


def chan_sep(f1: int, f2: int) -> int:
    if f1 == f2:
        return 0
    if f1 > 3000 or f2 > 3000:
        return -1
    d = abs(f1 - f2) // 5
    return d if d < 6 else -1


def is_group(addr: int) -> bool:
    return bool((addr >> 40) & 1)


class _Radio:
    __slots__ = ("state", "freq", "tmp_freq", "group", "filter", "txpower", "addrs", "queues", "cur",
                 "cw", "slots", "busy", "idle_since", "bo_deadline", "gen", "in_exchange", "acking",
                 "bo_armed", "ack_to", "ack_freq", "ack_tidx", "resp_cts", "nav_on", "nav_until", "nav_gen",
                 "bf_on", "bf_bssid", "bf_tag", "bf_signal", "bf_pass_all", "bf_count", "bf_last_ns")

    def __init__(self) -> None:
        self.state = RADIO_STOPPED
        self.freq = self.tmp_freq = 0
        self.group = 1
        self.filter = 0
        self.txpower = 0
        self.addrs: dict[int, int] = {}
        self.queues: list[list[_Frame]] = [[], [], [], []]
        self.cur: _Frame | None = None
        self.cw = list(CW_MIN)
        self.slots = self.busy = 0
        self.idle_since = self.bo_deadline = self.gen = 0
        self.in_exchange = self.acking = self.bo_armed = False
        self.ack_to = self.ack_freq = self.ack_tidx = 0
        self.resp_cts = self.nav_on = False
        self.nav_until = self.nav_gen = 0
        self.bf_on = self.bf_pass_all = False
        self.bf_bssid = self.bf_tag = self.bf_signal = self.bf_count = self.bf_last_ns = 0

    @property
    def rxfreq(self) -> int:
        return self.tmp_freq if self.state == RADIO_OFFCHAN and self.tmp_freq else self.freq


class _Frame:
    __slots__ = ("req", "id", "stage", "attempts", "tries", "rate_idx", "rate_count", "rate_flags", "flags",
                 "freq")

    def __init__(self, req: TxReq, fid: int, freq: int) -> None:
        self.req = req
        self.id = fid
        self.freq = freq
        self.stage = self.attempts = 0
        self.tries = [0, 0, 0, 0]
        idx = [-1] * 4
        cnt = [0] * 4
        fl = [0] * 4
        for k, (i, c) in enumerate(req.rates[:4]):
            if i < 0 or not c:
                break
            idx[k], cnt[k] = i, c
            fl[k] = req.rate_flags[k] if k < len(req.rate_flags) else 0
        self.rate_idx, self.rate_count, self.rate_flags = idx, cnt, fl
        self.flags = req.flags & ~TXF_NEEDS_ACK if is_group(req.addr1) else req.flags


class _Tx:
    """One transmission in the air."""

    __slots__ = ("sender", "freq", "tidx", "len", "frame", "ctl", "ack_for", "retry", "end",
                 "sensed", "ovl")
    sender: int
    freq: int
    tidx: int
    len: int
    frame: _Frame | None
    ctl: int  # CTL_*
    ack_for: int
    retry: bool
    end: int
    sensed: list[int]  # radios that sensed it busy
    ovl: list[tuple[int, int]]  # (sender, freq) of transmissions it overlapped


class RefKernel:
    """Same methods as kernel.CKernel."""

    def __init__(self, mode: int, seed: int = 0) -> None:
        self.mode = MODELED if mode == MODELED else PERFECT
        self.rng = Xoshiro256(seed)
        self.now = self.seq = 0
        self.next_id = 1
        self.radios: list[_Radio] = []
        # per transmitter: receiver -> (snr dB, loss); iterated in receiver order
        self.links: list[dict[int, tuple[float, float]]] = []
        # (time, seq, event type, a radio index or a _Tx, generation or index)
        self.heap: list[tuple[int, int, int, Any, int]] = []
        self.active: list[_Tx] = []
        self.out: list[MedEvent] = []
        self.c = dict.fromkeys(COUNTERS, 0)
        self.hit = False  # _decide saw a collision since it was cleared
        self.num_overlaps = 0  # pairs of transmissions that overlapped (the C kernel's without cells)
        self.per_tab: list[list[float]] | None = None
        self.per_step = model.PER_TABLE_STEP_DB
        self.set_params()
        self.set_per_table(model.per_table(), model.PER_TABLE_STEP_DB)

    # -- configuration -------------------------------------------------------
    def set_params(self, noise_dbm: float = model.NOISE_DBM, cca_dbm: float = -82.0,
                   fading: float = 0.0, interference: bool = True) -> None:
        self.noise_dbm = noise_dbm
        self.noise_mw = math.pow(10.0, noise_dbm / 10.0)
        self.cca_dbm = cca_dbm
        self.fading = fading
        self.interference = bool(interference)
        self.aci_db = [10.0 * math.log10(x) for x in ACI_LIN]
        # at or below this SNR even the best fading leaves the PER at 1
        self.decode_db = -6.0 * abs(fading)

    def _mw(self, snr_db: float) -> float:
        return math.pow(10.0, (snr_db + self.noise_dbm) / 10.0)

    def _link_mw(self, i: int, j: int) -> float:
        link = self.links[i].get(j)
        return 0.0 if link is None else self._mw(link[0])

    def set_per_table(self, table: NDArray[np.float64], step_db: float) -> None:
        self.per_tab = [[float(x) for x in row] for row in model.with_mcs_rows(table)]
        self.per_step = step_db

    def add_radio(self) -> int:
        n = len(self.radios)
        self.radios.append(_Radio())
        self.links.append({})
        return n

    @property
    def num_radios(self) -> int:
        return len(self.radios)

    def set_radio(self, r: int, state: int, freq: int, tmp_freq: int = 0, group: int = 1,
                  filter: int = 0, txpower: int = 20) -> None:
        if not 0 <= r < len(self.radios) or state > RADIO_OFFCHAN or RXF_OFF in (freq, tmp_freq):
            raise ValueError("bad radio, state or frequency")
        rr = self.radios[r]
        rr.state, rr.freq, rr.tmp_freq, rr.group, rr.filter, rr.txpower = (
            state, freq, tmp_freq, group, filter, txpower)
        if state == RADIO_STOPPED:
            self._flush(r)

    def addr_add(self, r: int, addr: int, kind: int) -> None:
        h = self.radios[r].addrs
        h[addr] = h.get(addr, 0) | kind

    def addr_del(self, r: int, addr: int, kind: int) -> None:
        h = self.radios[r].addrs
        if not h.get(addr, 0) & kind:
            raise KeyError(addr)
        h[addr] &= ~kind
        if not h[addr]:
            del h[addr]

    def addr_has(self, r: int, addr: int) -> int:
        return self.radios[r].addrs.get(addr, 0)

    def set_links(self, snr: NDArray[np.float64], loss: NDArray[np.float64] | None = None) -> None:
        n = len(self.radios)
        for i in range(n):
            for j in range(n):
                if i != j:
                    self.set_link(i, j, float(snr[i][j]), 0.0 if loss is None else float(loss[i][j]))

    def set_link(self, i: int, j: int, snr_db: float, loss: float = 0.0) -> None:
        if not (0 <= i < len(self.radios) and 0 <= j < len(self.radios) and i != j and 0.0 <= loss <= 1.0
                and not math.isnan(snr_db)):
            raise ValueError("bad link")
        if snr_db <= SNR_NONE:
            self.links[i].pop(j, None)
        else:
            self.links[i][j] = (snr_db, loss)

    def set_row(self, i: int, to: NDArray[np.uint32], snr: NDArray[np.float64],
                loss: NDArray[np.float64] | None = None) -> None:
        row = {}
        for k, j in enumerate(to):
            if k and to[k - 1] >= j:
                raise ValueError("receivers must be strictly increasing")
            s = float(snr[k])
            if s > SNR_NONE:
                row[int(j)] = (s, 0.0 if loss is None else float(loss[k]))
        self.links[i] = row

    def link(self, i: int, j: int) -> tuple[float, float] | None:
        return self.links[i].get(j)

    @property
    def num_links(self) -> int:
        return sum(len(row) for row in self.links)

    def bf_set(self, r: int, bssid: int | None, pass_all: bool = False) -> None:
        """As the C kernel's (med_bf_set)."""
        if not 0 <= r < len(self.radios) or (bssid is not None and not 0 <= bssid < 1 << 48):
            raise ValueError(f"beacon filter of radio {r}: no such radio or a bad BSSID")
        rr = self.radios[r]
        if bssid is not None and (not rr.bf_on or rr.bf_bssid != bssid):
            rr.bf_tag = rr.bf_signal = 0  # the next one goes through
        rr.bf_on, rr.bf_bssid, rr.bf_pass_all = bssid is not None, bssid or 0, bool(pass_all)

    def bf_count(self, r: int) -> tuple[int, int]:
        if not 0 <= r < len(self.radios):
            return 0, 0
        rr = self.radios[r]
        return rr.bf_count, rr.bf_last_ns

    def _bf_takes(self, rr: _Radio, q: TxReq, signal: int) -> bool:
        """rr's beacon filter keeps this decoded frame back (counted)."""
        if not rr.bf_on or q.kind != FT_BEACON or q.bssid != rr.bf_bssid:
            return False
        if not rr.bf_pass_all and q.tag and q.tag == rr.bf_tag and signal == rr.bf_signal:
            rr.bf_count += 1
            rr.bf_last_ns = self.now
            self.c["bcn_filtered"] += 1
            return True
        rr.bf_tag, rr.bf_signal = q.tag, signal
        return False

    def set_cell(self, r: int, cx: int, cy: int) -> None:
        """Spatial cells only spare the C kernel work (it looks at fewer
        transmissions on the air); decisions do not change, so here every
        transmission meets every other."""

    def set_cell_reach(self, reach: int) -> None:
        """As set_cell; the C kernel's bound is checked alike."""
        if not 0 <= reach <= MAX_CELL_REACH:
            raise ValueError(f"cell reach must be within [0, {MAX_CELL_REACH}]")

    # -- helpers -------------------------------------------------------------------
    def _push(self, time: int, typ: int, a: object, b: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (time, self.seq, typ, a, b))

    def _accepts(self, r: _Radio, q: TxReq, owns: bool) -> bool:
        if r.filter & FIF_PROMISC:
            return True
        if not is_group(q.addr1):
            return owns
        if q.kind == FT_BEACON:
            return bool(r.filter & FIF_BEACONS) or bool(q.bssid and r.addrs.get(q.bssid, 0) & ADDR_BSS)
        if q.kind == FT_PROBE_REQ:
            return bool(r.filter & FIF_PROBE_REQ)
        if r.filter & FIF_ALLMULTI:
            return True
        return q.bssid == BROADCAST or bool(q.bssid and r.addrs.get(q.bssid, 0) & ADDR_BSS)

    def _per(self, sinr: float, tidx: int, length: int) -> float:
        if self.per_tab is None:
            return 1.0
        if rates.is_mcs(tidx):
            off = rates.snr_offset_db(tidx)
            if off:
                sinr = sinr - off
        return model.per_from_table(self.per_tab, sinr, rates.per_row(tidx), length, self.per_step)

    def _status(self, s: int, f: _Frame, flags: int, sig: int) -> None:
        self.out.append(MedEvent(self.now, f.id, EV_STATUS, s, sig, f.freq, 0, flags,
                                 tuple(f.rate_idx), tuple(f.tries)))  # type: ignore[arg-type]  # four entries by construction

    def _finish(self, s: int, flags: int, sig: int) -> None:
        r = self.radios[s]
        assert r.cur is not None
        self._status(s, r.cur, flags, sig)
        r.cur = None

    def _flush(self, s: int) -> None:
        r = self.radios[s]
        for q in r.queues:
            for f in q:
                self._status(s, f, STF_DROPPED, 0)
            q.clear()
        if r.cur is not None and not r.in_exchange:
            r.bo_armed = False
            r.gen += 1
            self._finish(s, STF_DROPPED, 0)

    # -- perfect medium ---------------------------------------------------------------
    def _perfect_tx(self, s: int, f: _Frame) -> None:
        q = f.req
        sr = self.radios[s]
        acked = False
        unicast = not is_group(q.addr1)
        c = self.c
        for r, rr in enumerate(self.radios):
            if r == s or rr.state == RADIO_STOPPED or rr.rxfreq != f.freq or not rr.group & sr.group:
                continue
            c["link_evals"] += 1
            owns = unicast and bool(rr.addrs.get(q.addr1, 0) & ADDR_OWN)
            acked |= owns
            if not self._accepts(rr, q, owns):
                c["filtered"] += 1
                continue
            if self._bf_takes(rr, q, -50 + sr.txpower):
                continue
            c["deliveries"] += 1
            rx_rate = rates.rx_rate_idx(rates.code(f.rate_idx[0], f.rate_flags[0], f.freq), f.freq)
            self.out.append(MedEvent(self.now, f.id, EV_RX, r, -50 + sr.txpower, f.freq, rx_rate, 0,
                                     (0, 0, 0, 0), (0, 0, 0, 0)))
        f.tries[0] = 1
        c["attempts"] += 1
        flags = 0
        if f.flags & TXF_NEEDS_ACK:
            if acked:
                flags = STF_ACKED
                c["acked"] += 1
            else:
                c["not_acked"] += 1
        self._status(s, f, flags, 0)

    # -- modeled medium ------------------------------------------------------------------
    def _aifs(self, ac: int) -> int:
        return SIFS_NS + AIFSN[ac] * SLOT_NS

    def _freeze(self, r: _Radio) -> None:
        if not r.bo_armed or r.bo_deadline == self.now:
            return
        r.bo_armed = False
        r.gen += 1
        assert r.cur is not None
        start = r.idle_since + self._aifs(r.cur.req.ac)
        if self.now > start:
            used = (self.now - start) // SLOT_NS
            r.slots -= min(used, r.slots)

    def _kick(self, idx: int) -> None:
        r = self.radios[idx]
        if r.state == RADIO_STOPPED or r.in_exchange or r.acking:
            return
        if r.cur is None:
            for ac in range(4):
                if r.queues[ac]:
                    break
            else:
                return
            r.cur = r.queues[ac].pop(0)
            r.slots = self.rng.next() % (r.cw[ac] + 1)
        if r.busy or r.bo_armed:
            return
        deadline = r.idle_since + self._aifs(r.cur.req.ac) + r.slots * SLOT_NS
        deadline = max(deadline, self.now)
        r.gen += 1
        r.bo_armed = True
        r.bo_deadline = deadline
        self._push(deadline, EV_BACKOFF, idx, r.gen)

    def _start_tx(self, s: int, freq: int, tidx: int, length: int, frame: _Frame | None,
                  ctl: int, ack_for: int, retry: bool) -> None:
        t = _Tx()
        t.sender, t.freq, t.tidx, t.len, t.frame = s, freq, tidx, length, frame
        t.ctl, t.ack_for, t.retry = ctl, ack_for, retry
        t.end = self.now + airtime_ns(tidx, length + FCS_LEN)
        t.ovl = []
        t.sensed = []
        self.num_overlaps += len(self.active)
        for o in self.active:
            t.ovl.append((o.sender, o.freq))
            o.ovl.append((s, freq))
        self.active.append(t)
        sr = self.radios[s]
        row = self.links[s]
        thresh = self.cca_dbm - self.noise_dbm
        for r in sorted(row):
            rr = self.radios[r]
            if rr.state == RADIO_STOPPED or not rr.group & sr.group:
                continue
            sep = chan_sep(freq, rr.rxfreq)
            if sep < 0 or row[r][0] + self.aci_db[sep] < thresh:
                continue
            t.sensed.append(r)
            rr.busy += 1
            if rr.busy == 1:
                self._freeze(rr)
        if ctl == CTL_DATA:
            self.c["attempts"] += 1
        self._push(t.end, EV_TX_END, t)

    def _decide(self, t: _Tx, r: int, snr: float, link_loss: float) -> tuple[int, int]:
        if self.interference:  # half duplex is part of interference (_medium_sim.c decide)
            for sender, _ in t.ovl:
                if sender == r:
                    self.c["halfduplex"] += 1
                    return 0, 0
        fade = 0.0
        if self.fading != 0.0:
            total = 0.0
            for _ in range(12):
                total += self.rng.uniform()
            fade = self.fading * (total - 6.0)
        sig = snr + fade
        interf = 0.0
        if self.interference:
            grp = self.radios[r].group
            for sender, freq in t.ovl:
                sep = chan_sep(freq, t.freq)
                if sep < 0 or not self.radios[sender].group & grp:
                    continue
                interf += self._link_mw(sender, r) * ACI_LIN[sep]
        sinr = sig
        if interf > 0.0:
            sinr = 10.0 * math.log10(math.pow(10.0, (sig + self.noise_dbm) / 10.0) / (self.noise_mw + interf))
        per = self._per(sinr, t.tidx, t.len)
        loss = 1.0 - (1.0 - link_loss) * (1.0 - per)
        signal = math.floor(sig + self.noise_dbm + 0.5)
        if loss >= 1.0:
            ok = 0
        elif loss <= 0.0:
            ok = 1
        else:
            ok = int(self.rng.uniform() >= loss)
        if not ok:
            self.c["collisions" if interf > 0.0 else "drops"] += 1
            self.hit |= interf > 0.0
        return ok, signal

    def _attempt_done(self, s: int, acked: bool, ack_signal: int) -> None:
        r = self.radios[s]
        r.in_exchange = False
        if not r.busy:
            r.idle_since = self.now
        f = r.cur
        assert f is not None
        ac = f.req.ac
        if acked:
            self.c["acked"] += 1
            r.cw[ac] = CW_MIN[ac]
            self._finish(s, STF_ACKED, ack_signal)
        elif not f.flags & TXF_NEEDS_ACK:
            r.cw[ac] = CW_MIN[ac]
            self._finish(s, 0, 0)
        else:
            if f.tries[f.stage] >= f.rate_count[f.stage]:
                f.stage += 1
            if r.state == RADIO_STOPPED or f.stage >= 4 or f.rate_idx[f.stage] < 0:
                self.c["not_acked"] += 1
                r.cw[ac] = CW_MIN[ac]
                self._finish(s, 0, 0)
            else:
                r.cw[ac] = min(2 * r.cw[ac] + 1, CW_MAX[ac])
                r.slots = self.rng.next() % (r.cw[ac] + 1)
        self._kick(s)

    @staticmethod
    def _data_tidx(f: _Frame) -> int:
        return rates.code(f.rate_idx[f.stage], f.rate_flags[f.stage], f.freq)

    def _data_and_ack_ns(self, f: _Frame) -> int:
        """SIFS, the frame, and SIFS and its ACK if it wants one: an RTS's or CTS's Duration."""
        tidx = self._data_tidx(f)
        ns = SIFS_NS + airtime_ns(tidx, f.req.length + FCS_LEN)
        if f.flags & TXF_NEEDS_ACK and not is_group(f.req.addr1):
            ns += SIFS_NS + airtime_ns(ack_tidx(tidx), ACK_LEN + FCS_LEN)
        return ns

    def _start_data(self, s: int) -> None:
        r = self.radios[s]
        f = r.cur
        assert f is not None
        tidx = self._data_tidx(f)
        rc = f.rate_flags[f.stage]
        retry = f.attempts > 0
        f.tries[f.stage] += 1
        f.attempts += 1
        self.c["retries"] += int(retry)
        r.in_exchange = True
        if rc & RC_USE_RTS_CTS and f.flags & TXF_NEEDS_ACK and not is_group(f.req.addr1):
            self.c["rts"] += 1
            self._start_tx(s, f.freq, ack_tidx(tidx), RTS_LEN, f, CTL_RTS, 0, False)
        elif rc & (RC_USE_RTS_CTS | RC_USE_CTS_PROTECT):
            self.c["cts"] += 1
            self._start_tx(s, f.freq, ack_tidx(tidx), CTS_LEN, f, CTL_CTS_SELF, s, False)
        else:
            self._start_tx(s, f.freq, tidx, f.req.length, f, CTL_DATA, 0, retry)

    def _data_start(self, s: int) -> None:
        r = self.radios[s]
        f = r.cur
        assert f is not None  # in exchange: kept
        if r.state == RADIO_STOPPED:
            self._attempt_done(s, False, 0)
            return
        self._start_tx(s, f.freq, self._data_tidx(f), f.req.length, f, CTL_DATA, 0, f.attempts > 1)

    def _set_nav(self, r: int, until: int) -> None:
        rr = self.radios[r]
        if until <= rr.nav_until:
            return
        self.c["navs"] += 1
        rr.nav_until = until
        rr.nav_gen += 1
        if not rr.nav_on:
            rr.nav_on = True
            rr.busy += 1
            if rr.busy == 1:
                self._freeze(rr)
        self._push(until, EV_NAV_END, r, rr.nav_gen)

    def _nav_end(self, r: int, gen: int) -> None:
        rr = self.radios[r]
        if gen != rr.nav_gen or not rr.nav_on:
            return
        rr.nav_on = False
        rr.busy -= 1
        if rr.busy == 0:
            rr.idle_since = self.now
            self._kick(r)

    def _decoders(self, s: int, freq: int) -> list[int]:
        """The radios that may decode a transmission of s on freq, in receiver order."""
        row, grp = self.links[s], self.radios[s].group
        return [r for r in sorted(row) if row[r][0] > self.decode_db and self.radios[r].state != RADIO_STOPPED
                and self.radios[r].rxfreq == freq and self.radios[r].group & grp]

    def _decoded(self, t: _Tx, s: int) -> list[int]:
        """The radios that decode t, sent by s, in receiver order (`self.hit`
        as their decisions leave it).  Deciding them all before acting on any
        is the same run: a decision reads no NAV and no busy count."""
        row = self.links[s]
        self.hit = False
        return [r for r in self._decoders(s, t.freq) if self._decide(t, r, *row[r])[0] > 0]

    def _rts_end(self, t: _Tx) -> None:
        s = t.sender
        f = t.frame
        assert f is not None
        q = f.req
        cts = airtime_ns(t.tidx, CTS_LEN + FCS_LEN)
        until = self.now + SIFS_NS + cts + self._data_and_ack_ns(f)
        responder = -1
        for r in self._decoded(t, s):
            rr = self.radios[r]
            owns = bool(rr.addrs.get(q.addr1, 0) & ADDR_OWN)
            if owns and responder < 0:
                if not rr.acking and not rr.nav_on:
                    responder = r
            elif not owns:
                self._set_nav(r, until)
        self.c["collided"] += int(self.hit)
        if responder >= 0:
            a = self.radios[responder]
            a.acking = True
            a.resp_cts = True
            self._freeze(a)
            a.ack_to, a.ack_freq, a.ack_tidx = s, t.freq, t.tidx
            self._push(self.now + SIFS_NS, EV_ACK_START, responder)
        else:
            self._push(self.now + SIFS_NS + cts, EV_ACK_TIMEOUT, s)

    def _cts_end(self, t: _Tx) -> None:
        c, s = t.sender, t.ack_for
        cr, sr = self.radios[c], self.radios[s]
        to_self = t.ctl == CTL_CTS_SELF
        if not to_self:
            cr.acking = False
            cr.resp_cts = False
            if not cr.busy:
                cr.idle_since = self.now
        assert sr.cur is not None  # in exchange: kept
        until = self.now + self._data_and_ack_ns(sr.cur)
        heard = to_self
        for r in self._decoded(t, c):
            if r == s:
                heard = True
            else:
                self._set_nav(r, until)
        self.c["collided"] += int(self.hit)
        if heard:
            self._push(self.now + SIFS_NS, EV_DATA_START, s)
        else:
            self._attempt_done(s, False, 0)
        if not to_self:
            self._kick(c)

    def _data_end(self, t: _Tx) -> None:
        s = t.sender
        f = t.frame
        assert f is not None
        q = f.req
        needs_ack = bool(f.flags & TXF_NEEDS_ACK) and not is_group(q.addr1)
        acker = -1
        rate = rates.rx_rate_idx(t.tidx, t.freq)
        c = self.c
        row = self.links[s]
        self.hit = False
        for r in self._decoders(s, t.freq):
            rr = self.radios[r]
            c["link_evals"] += 1
            owns = not is_group(q.addr1) and bool(rr.addrs.get(q.addr1, 0) & ADDR_OWN)
            if not self._accepts(rr, q, owns):
                c["filtered"] += 1
                continue
            ok, sig = self._decide(t, r, *row[r])
            if ok <= 0 or self._bf_takes(rr, q, sig):
                continue
            c["deliveries"] += 1
            self.out.append(MedEvent(self.now, f.id, EV_RX, r, sig, f.freq, rate,
                                     RXF_RETRY if t.retry else 0, (0, 0, 0, 0), (0, 0, 0, 0)))
            if owns and needs_ack and acker < 0 and not rr.acking:  # one ACK at a time
                acker = r
        c["collided"] += int(self.hit)
        if not needs_ack:
            self._attempt_done(s, False, 0)
        elif acker >= 0:
            a = self.radios[acker]
            a.acking = True
            self._freeze(a)
            a.ack_to, a.ack_freq, a.ack_tidx = s, t.freq, ack_tidx(t.tidx)
            self._push(self.now + SIFS_NS, EV_ACK_START, acker)
        else:
            ack = airtime_ns(ack_tidx(t.tidx), ACK_LEN + FCS_LEN)
            self._push(self.now + SIFS_NS + ack, EV_ACK_TIMEOUT, s)

    def _ack_start(self, a: int) -> None:
        r = self.radios[a]
        if r.state == RADIO_STOPPED:
            r.acking = False
            r.resp_cts = False
            self._push(self.now + airtime_ns(r.ack_tidx, ACK_LEN + FCS_LEN), EV_ACK_TIMEOUT, r.ack_to)
            return
        if r.resp_cts:
            self.c["cts"] += 1
            self._start_tx(a, r.ack_freq, r.ack_tidx, CTS_LEN, None, CTL_CTS, r.ack_to, False)
            return
        self.c["acks"] += 1
        self._start_tx(a, r.ack_freq, r.ack_tidx, ACK_LEN, None, CTL_ACK, r.ack_to, False)

    def _ack_end(self, t: _Tx) -> None:
        a, s = t.sender, t.ack_for
        ar, sr = self.radios[a], self.radios[s]
        ar.acking = False
        if not ar.busy:
            ar.idle_since = self.now
        ok, sig = 0, 0
        link = self.links[a].get(s)
        if (sr.state != RADIO_STOPPED and sr.rxfreq == t.freq and sr.group & ar.group and link is not None
                and link[0] > self.decode_db):
            self.hit = False
            ok, sig = self._decide(t, s, *link)
            self.c["collided"] += int(self.hit)
        self._attempt_done(s, bool(ok), sig if ok else 0)
        self._kick(a)

    def _tx_end(self, t: _Tx) -> None:
        self.active.remove(t)
        idle = []
        for r in t.sensed:
            rr = self.radios[r]
            rr.busy -= 1
            if rr.busy == 0:
                rr.idle_since = self.now
                idle.append(r)
        if t.ctl == CTL_DATA:
            self._data_end(t)
        elif t.ctl == CTL_ACK:
            self._ack_end(t)
        elif t.ctl == CTL_RTS:
            self._rts_end(t)
        else:
            self._cts_end(t)
        for r in idle:
            self._kick(r)

    # -- traffic -----------------------------------------------------------------------
    def tx(self, req: TxReq, now_ns: int) -> int:
        if (not 0 <= req.radio < len(self.radios) or not 10 <= req.length <= MAX_LEN or not 0 <= req.ac <= 3
                or not req.rates or req.rates[0][0] < 0 or not req.rates[0][1]):
            return -errno.EINVAL
        if any(not (-128 <= i < 128 and 0 <= c < 256) for i, c in req.rates[:4]):
            return -errno.EINVAL
        r = self.radios[req.radio]
        if r.state == RADIO_STOPPED:
            return -errno.ENETDOWN
        freq = req.freq or r.rxfreq
        if any(not 0 <= fl < 0x10000 for fl in req.rate_flags[:4]) or not 0 <= req.tag < 1 << 32:
            return -errno.EINVAL
        for k, (i, c) in enumerate(req.rates[:4]):
            if i < 0 or not c:
                break
            if rates.code(i, req.rate_flags[k] if k < len(req.rate_flags) else 0, freq) == rates.BAD:
                return -errno.EINVAL
        if self.mode == MODELED and len(r.queues[req.ac]) >= QUEUE_CAP:
            self.c["queue_drops"] += 1
            return -errno.ENOBUFS
        f = _Frame(req, self.next_id, freq)
        self.next_id += 1
        self.c["frames"] += 1
        self.now = max(self.now, now_ns)
        if self.mode == PERFECT:
            self._perfect_tx(req.radio, f)
            return f.id
        r.queues[req.ac].append(f)
        self._kick(req.radio)
        return f.id

    def next_time(self) -> int | None:
        heap = self.heap
        # stale backoff expiries (frozen or re-armed since) do nothing: drop them
        while heap and heap[0][2] == EV_BACKOFF and heap[0][4] != self.radios[heap[0][3]].gen:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def run_ahead(self, until_ns: int) -> int:
        n = 0
        while not self.out:
            t = self.next_time()
            if t is None or t > until_ns:
                break
            self.run(t)
            n += 1
        return n

    def clock_ns(self) -> int:
        return self.now

    def run(self, until_ns: int) -> None:
        heap = self.heap
        while heap and heap[0][0] <= until_ns:
            time, _, typ, a, b = heapq.heappop(heap)
            self.now = time
            if typ == EV_BACKOFF:
                r = self.radios[a]
                if b != r.gen:
                    continue
                r.bo_armed = False
                if r.cur is not None and r.state != RADIO_STOPPED:
                    self._start_data(a)
            elif typ == EV_TX_END:
                self._tx_end(a)
            elif typ == EV_ACK_START:
                self._ack_start(a)
            elif typ == EV_NAV_END:
                self._nav_end(a, b)
            elif typ == EV_DATA_START:
                self._data_start(a)
            else:
                self._attempt_done(a, False, 0)
        if until_ns > self.now and until_ns != M64:
            self.now = until_ns

    def pending(self) -> int:
        return len(self.out)

    def drain_count(self) -> int:
        n = len(self.out)
        self.out = []
        return n

    def pop_events(self) -> list[MedEvent]:
        out, self.out = self.out, []
        return out

    def pop_raw(self) -> list[tuple[int, ...]]:
        return [(*e[:8], pack4(e.rates), pack4(e.tries)) for e in self.pop_events()]

    def counters(self) -> dict[str, int]:
        return dict(self.c)

    def prng_next(self) -> int:
        return self.rng.next()
