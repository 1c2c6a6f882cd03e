"""HwsimMedium: the Python face of the medium kernel for one simulated world.

A radio attaches to the medium as a `MediumPort`: its addresses, channel,
receive filter, position and tx power, plus two callbacks, `rx(frame,
RxInfo)` and `tx_status(frame, TxStatus)`.  `port.transmit(frame, rates)`
hands the kernel the frame's metadata; the kernel's deliveries and statuses
come back at their virtual times through the scheduler.  Frame bytes never
leave Python; a delivered retransmission is a copy with the Retry bit set.
"""

from __future__ import annotations

import errno
import importlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ic import AlreadyExists, InvalidArgument, NoSuchDevice, NotSupported, RxInfo, TxStatus, parse_mac
from ic.names import registry_for
from ic.sched import SEC, Scheduler
from net80211.input import RxHeaderCache
from net80211.wire.capture import Capture, rate_500k, rx_radiotap
from net80211.wire.radiotap import (
    MCS_40MHZ,
    MCS_KNOWN,
    MCS_SGI,
    VHT_BANDWIDTH,
    VHT_KNOWN,
    VHT_SGI,
    Radiotap,
    channel_flags,
)

from . import world
from .external.server import ExternalMedium
from .external.wmconfig import ConfigError, parse_config
from .kernel import CKernel, RefKernel
from .kernel import rates as phy_rates
from .kernel.medtypes import (
    AC_BE,
    ADDR_BSS,
    ADDR_OWN,
    EV_RX,
    FT_BEACON,
    FT_OTHER,
    MODELED,
    PERFECT,
    RADIO_OFFCHAN,
    RADIO_STARTED,
    RADIO_STOPPED,
    RXF_RETRY,
    STF_ACKED,
    STF_DROPPED,
    TXF_NEEDS_ACK,
    TxReq,
    beacon_tag,
    mac_to_int,
    parse_header,
    unpack4,
)
from .kernel.model import MIN_DISTANCE_M, SNR_NONE, cells_of
from .profiles import HWSIM_CAPS, radio_shape
from .world import ModelSpec

log = logging.getLogger(__name__)

# The radio type `add_radio` builds.  The radio module registers it
# (mac80211_hwsim's radios sit on the medium, not the other way round), so
# the medium never imports the radio.
_radio_factory: Callable[..., Any] | None = None
# A medium sees few distinct rate chains: each normalised once (a frame's), each status's
# (packed rates, packed tries) unpacked once.
_CHAINS: dict[tuple[Any, ...], tuple[tuple[int, int], ...]] = {}
_USED: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}


def register_radio_factory(factory: Callable[..., Any]) -> None:
    """Make `HwsimMedium.add_radio` build radios with `factory(medium, name, idx, **shape)`."""
    global _radio_factory
    _radio_factory = factory

_ACK_FC = b"\xd4\x00\x00\x00"  # frame control (ACK) and a zero duration


def _ack_rate_index(rate_idx: int, freq: int, rate_flags: int = 0) -> int:
    """The rate index of the ACK answering a frame sent at `rate_idx`: the
    highest mandatory rate not above it (1 or 2 Mb/s CCK, 6, 12 or 24 Mb/s
    OFDM; an MCS by its one-stream 20 MHz rate), as the kernel picks it."""
    code = phy_rates.code(rate_idx, rate_flags, freq)
    return phy_rates.rx_rate_idx(phy_rates.ack_tidx(code if code != phy_rates.BAD else 0), freq)


def _tx_radiotap(freq: int, rate_idx: int, rate_flags: int, tsf_us: int) -> Radiotap:
    """A transmission's radiotap header: its Rate, or its HT MCS or VHT field."""
    code = phy_rates.code(rate_idx, rate_flags, freq)
    if not phy_rates.is_mcs(code):
        return rx_radiotap(freq, rate_idx, tsf_us, None)
    mcs, nss, bw, sgi, vht = phy_rates.fields(code)
    chan = channel_flags(freq, ofdm=True)
    if vht:
        users = bytes((mcs << 4 | nss, 0, 0, 0))
        return Radiotap(tsft=tsf_us, flags=0, channel_freq=freq, channel_flags=chan,
                        vht=(VHT_KNOWN, VHT_SGI if sgi else 0, VHT_BANDWIDTH[bw], users))
    ht_flags = (MCS_40MHZ if bw else 0) | (MCS_SGI if sgi else 0)
    return Radiotap(tsft=tsf_us, flags=0, channel_freq=freq, channel_flags=chan,
                    mcs=(MCS_KNOWN, ht_flags, rate_idx))


def _retry_copy(frame: bytes) -> bytes:
    b = bytearray(frame)
    b[1] |= 0x08
    return bytes(b)


class MediumPort:
    """One radio's attachment to the medium (the kernel's radio `index`)."""

    # Slots, those of every delivery first; `__dict__` stays for a method
    # wrapped on one port (tests spy on transmit so).
    __slots__ = ("rx", "attached", "rx_frames", "tx_status", "index", "medium", "name", "hwaddr",
                 "_state", "_freq", "_tmp_freq", "_group", "_filter", "_tx_power", "_addrs",
                 "tsf_offset_us", "position", "direction", "_gain_db", "_shadowing_db", "_bf", "__dict__")

    def __init__(self, medium: HwsimMedium, index: int, name: str, hwaddr: int | None) -> None:
        self.medium = medium
        self.index = index
        self.name = name
        self.hwaddr = hwaddr
        self.rx: Callable[[bytes, RxInfo], Any] | None = None
        self.tx_status: Callable[[bytes, TxStatus], Any] | None = None
        self.rx_frames = 0  # frames handed to `rx`
        self.attached = True
        self._state = RADIO_STOPPED
        self._freq = 2412
        self._tmp_freq = 0
        self._group = 1
        self._filter = 0
        self._tx_power = 20
        self._addrs: Counter[tuple[int, int]] = Counter()
        self.tsf_offset_us = 0  # the radio's TSF is virtual time in µs plus this
        self.position = np.zeros(3)
        self.direction = np.zeros(3)
        self._gain_db = 0.0
        self._shadowing_db = 0.0
        self._bf = False  # its beacon filter is on

    def __repr__(self) -> str:
        return f"<MediumPort {self.name} #{self.index} freq={self.freq} {'up' if self.started else 'down'}>"

    def _push(self) -> None:
        if self.attached:
            self.medium._k.set_radio(self.index, self._state, self._freq, self._tmp_freq, self._group,
                                     self._filter, self._tx_power)

    # -- state -----------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._state != RADIO_STOPPED

    def start(self, freq: int | None = None) -> None:
        if freq is not None:
            self._freq = freq
        self._state = RADIO_OFFCHAN if self._tmp_freq else RADIO_STARTED
        self._push()

    def stop(self) -> None:
        """Stop: receive nothing; queued frames come back as dropped."""
        self._state = RADIO_STOPPED
        self._push()
        self.medium._after_kernel()

    @property
    def freq(self) -> int:
        return self._freq

    @freq.setter
    def freq(self, freq: int) -> None:
        self._freq = int(freq)
        self._push()

    def set_offchannel(self, freq: int | None) -> None:
        """Listen on a temporary channel (scan, remain-on-channel); None ends it."""
        self._tmp_freq = int(freq or 0)
        if self.started:
            self._state = RADIO_OFFCHAN if self._tmp_freq else RADIO_STARTED
        self._push()

    @property
    def rx_freq(self) -> int:
        return self._tmp_freq if self._state == RADIO_OFFCHAN and self._tmp_freq else self._freq

    @property
    def group(self) -> int:
        return self._group

    @group.setter
    def group(self, mask: int) -> None:
        self._group = int(mask) & 0xFFFF_FFFF
        self._push()

    @property
    def filter(self) -> int:
        return self._filter

    @filter.setter
    def filter(self, flags: int) -> None:
        self._filter = int(flags)
        self._push()

    @property
    def tx_power_dbm(self) -> int:
        return self._tx_power

    @tx_power_dbm.setter
    def tx_power_dbm(self, dbm: int) -> None:
        self._tx_power = int(dbm)
        self._push()
        self.medium._links_dirty = True

    @property
    def antenna_gain_db(self) -> float:
        """Antenna gain (dBi), counted when this port sends and when it receives (path loss)."""
        return self._gain_db

    @antenna_gain_db.setter
    def antenna_gain_db(self, db: float) -> None:
        self._gain_db = float(db)
        self.medium._links_dirty = True

    @property
    def shadowing_db(self) -> float:
        """A shadowing sample (dB) added to everything this port sends (log-normal
        shadowing, wmediumd's per-station "gaussian random"; path loss only)."""
        return self._shadowing_db

    @shadowing_db.setter
    def shadowing_db(self, db: float) -> None:
        self._shadowing_db = float(db)
        self.medium._links_dirty = True

    def move_to(self, position: Sequence[float] | np.ndarray) -> None:
        """Put the radio at (x, y[, z]) metres; its links follow (only its
        own: the rest of the world is not recomputed)."""
        p = np.zeros(3)
        p[: len(position)] = position
        if not np.isfinite(p).all():
            raise InvalidArgument(f"{self.name}: a position is finite metres, not {tuple(position)!r}")
        self.position = p
        self.medium._port_moved(self)

    # -- addresses: reference-counted, several vaps may share one ----------------
    def add_addr(self, mac: bytes | str | int, kind: int = ADDR_OWN) -> None:
        a = mac if isinstance(mac, int) else mac_to_int(mac)
        self._addrs[(a, kind)] += 1
        if self._addrs[(a, kind)] == 1 and self.attached:
            self.medium._k.addr_add(self.index, a, kind)
            if kind == ADDR_OWN and self.medium._external is not None:
                self.medium._external.addr_changed(self, a, True)

    def set_beacon_filter(self, bssid: bytes | str | int | None, pass_all: bool = False) -> None:
        """The radio's beacon filter (the kernel's med_bf_set): on for `bssid`,
        keeping back its beacons that say what the last one let through said
        (elements bar the TIM, signal); every beacon still while `pass_all`;
        None: off."""
        if not self.attached:
            return
        a = None if bssid is None else bssid if isinstance(bssid, int) else mac_to_int(bssid)
        self.medium._k.bf_set(self.index, a, pass_all)
        if (a is not None) != self._bf:
            self._bf = a is not None
            self.medium._bf_ports += 1 if self._bf else -1

    @property
    def beacons_filtered(self) -> tuple[int, int]:
        """(beacons the radio's filter kept back so far, virtual time of the last, 0 if none)."""
        count: tuple[int, int] = self.medium._k.bf_count(self.index)
        return count

    def del_addr(self, mac: bytes | str | int, kind: int = ADDR_OWN) -> None:
        a = mac if isinstance(mac, int) else mac_to_int(mac)
        if not self._addrs[(a, kind)]:
            raise KeyError(f"{self.name} has no such address")
        self._addrs[(a, kind)] -= 1
        if not self._addrs[(a, kind)]:
            del self._addrs[(a, kind)]
            if self.attached:
                self.medium._k.addr_del(self.index, a, kind)
                if kind == ADDR_OWN and self.medium._external is not None:
                    self.medium._external.addr_changed(self, a, False)

    def add_bssid(self, mac: bytes | str | int) -> None:
        self.add_addr(mac, ADDR_BSS)

    def del_bssid(self, mac: bytes | str | int) -> None:
        self.del_addr(mac, ADDR_BSS)

    def addresses(self) -> list[tuple[str, int]]:
        """The addresses programmed on this port, as (aa:bb:.., kind), sorted."""
        return sorted((":".join(f"{b:02x}" for b in a.to_bytes(6, "big")), k) for a, k in self._addrs)

    def owns(self, mac: bytes | str | int) -> bool:
        a = mac if isinstance(mac, int) else mac_to_int(mac)
        return (a, ADDR_OWN) in self._addrs

    # -- traffic ---------------------------------------------------------------------
    def transmit(self, frame: bytes, rates: Sequence[tuple[int, int]] = ((0, 1),), *, ac: int = AC_BE,
                 no_ack: bool = False, rate_flags: tuple[int, ...] = ()) -> int:
        """Send a frame (no FCS) with a multi-rate-retry chain (`rate_flags`: each entry's
        hwsim_tx_rate_flags, for HT/VHT MCS rates; kernel/rates.py); its id, or -errno."""
        return self.medium.transmit(self, frame, rates, ac=ac, no_ack=no_ack, rate_flags=rate_flags)


# Past this many radios moved at once, and a quarter of the world, one
# computation of every link is cheaper than redoing each radio's.
MOVES_BEFORE_REBUILD = 8


class _CellIndex:
    """Where the kernel's links say the radios are: their positions and
    square cells as wide as the hearing range, so that the radios a moved
    radio may hear, or may have heard, are those of nine cells."""

    __slots__ = ("size", "reach", "pos", "power", "gain", "cells", "cell_of")

    def __init__(self, size: float, reach: float, pos: np.ndarray, power: np.ndarray, gain: np.ndarray,
                 grid: np.ndarray) -> None:
        self.size, self.reach = size, reach
        self.pos, self.power, self.gain = pos.copy(), power, gain
        self.cell_of: list[tuple[int, int]] = [(int(x), int(y)) for x, y in grid.tolist()]
        self.cells: dict[tuple[int, int], set[int]] = {}
        for i, c in enumerate(self.cell_of):
            self.cells.setdefault(c, set()).add(i)

    def cell(self, position: np.ndarray) -> tuple[int, int]:
        c = np.floor(position[:2] / self.size)  # as model.cells_of: the same doubles
        return int(c[0]), int(c[1])

    def near(self, cell: tuple[int, int]) -> set[int]:
        out: set[int] = set()
        cx, cy = cell
        for ox in (-1, 0, 1):
            for oy in (-1, 0, 1):
                members = self.cells.get((cx + ox, cy + oy))
                if members:
                    out |= members
        return out

    def move(self, i: int, position: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]]:
        """Record radio i at `position`; (its old cell, its new cell)."""
        old, new = self.cell_of[i], self.cell(position)
        if old != new:
            members = self.cells[old]
            members.discard(i)
            if not members:
                del self.cells[old]
            self.cells.setdefault(new, set()).add(i)
            self.cell_of[i] = new
        self.pos[i] = position
        return old, new


class HwsimMedium:
    """The radios of one simulated world and the medium between them.

    model=None is mac80211_hwsim's perfect medium; a `ModelSpec` selects the
    modeled medium.  backend "c" is the kernel, "python" the reference.
    """

    def __init__(self, sched: Scheduler, *, model: ModelSpec | None = None, seed: int = 0,
                 backend: str = "c", first_radio: int = 0) -> None:
        self.sched = sched
        self.model = model
        self.seed = seed
        mode = PERFECT if model is None else MODELED
        if backend == "c":
            self._k: Any = CKernel(mode, seed)
        elif backend == "python":
            self._k = RefKernel(mode, seed)
        else:
            raise ValueError(f"backend must be 'c' or 'python', not {backend!r}")
        if model is not None:
            self._k.set_params(model.noise_dbm, model.cca_dbm, model.fading, model.interference)
        self.ports: list[MediumPort] = []  # every port ever attached, by kernel index
        self._bf_ports = 0  # ports whose beacon filter is on: beacons then carry a tag
        self._frames: dict[int, tuple[MediumPort, bytes]] = {}
        self._cap_flags: dict[int, tuple[int, ...]] = {}  # a captured MCS frame's rate flags, until its ACK
        # Takes the kernel's output instead of _dispatch_events when set (hwsim-mediumd's C
        # output path, which hands back what it leaves to the ports through _dispatch_events).
        self.event_sink: Callable[[], None] | None = None
        self._link_overrides: dict[tuple[int, int], tuple[float | None, float | None]] = {}
        self._links_dirty = True
        self._index: _CellIndex | None = None  # the kernel's view of positions (path loss only)
        self._kcell_size = 0.0  # the side of the kernel's cells (world.ModelSpec.cells), with _index
        self._moved: dict[int, None] = {}  # ports moved since the links were last brought up to date
        self.links_rebuilt = 0  # whole-world link computations
        self.links_moved = 0  # single radios' links brought up to date after a move
        self._wake_entry: list[Any] | None = None
        self._wake_at: int | None = None
        self._dispatch_entry: list[Any] | None = None
        self._move_entry: list[Any] | None = None
        self.mobility_hooks: list[Callable[[], Any]] = []  # called after every mobility step
        self.stats: Counter[str] = Counter()
        self._capture: Any = None
        self.radios: list[Any] = []
        # A transmission reaches every port that heard it as one bytes object:
        # devices on this medium share net80211's header cache, so the header
        # is parsed once per delivery, not once per receiver.
        self.rx_cache = RxHeaderCache()
        # The index of the next radio, hence its name and address: a world that shares an
        # external medium with mac80211_hwsim's radios numbers its own above theirs.
        if type(first_radio) is not int or not 0 <= first_radio <= 0xFFFF:
            raise InvalidArgument(f"first_radio must be a radio index 0..65535, not {first_radio!r}")
        self._next_radio = first_radio
        self._external: Any = None  # external.ExternalMedium while serving

    @property
    def modeled(self) -> bool:
        return self.model is not None

    # -- ports -----------------------------------------------------------------------
    def add_port(self, name: str | None = None, *, hwaddr: bytes | str | int | None = None,
                 addrs: Iterable[bytes | str | int] = (), freq: int = 2412,
                 position: Sequence[float] = (0.0, 0.0, 0.0), tx_power_dbm: int = 20, group: int = 1,
                 started: bool = True) -> MediumPort:
        """Attach a radio; its own addresses get ACKed and unicast-delivered."""
        idx = self._k.add_radio()
        hw = None if hwaddr is None else (hwaddr if isinstance(hwaddr, int) else mac_to_int(hwaddr))
        port = MediumPort(self, idx, name or f"port{idx}", hw)
        self.ports.append(port)
        port._freq, port._group, port._tx_power = int(freq), int(group), int(tx_power_dbm)
        port.move_to(position)
        for a in addrs:
            port.add_addr(a)
        if started:
            port.start()
        else:
            port._push()
        self._links_dirty = True
        return port

    def remove_port(self, port: MediumPort) -> None:
        """Detach: pending frames come back as dropped, nothing reaches it again."""
        if port.medium is not self or not port.attached:
            raise ValueError(f"{port.name} is not attached to this medium")
        port._state = RADIO_STOPPED
        port._push()
        port.set_beacon_filter(None)
        port.attached = False
        if self._external is not None:
            self._external.port_removed(port)
        self._after_kernel()

    # -- radios (mac80211_hwsim's NEW_RADIO / DEL_RADIO) -------------------------------------
    def add_radio(self, name: str | None = None, *, caps: Any = None, combinations: Any = None,
                  policy: Any = None, profile: str | None = None, channels: int = 1,
                  p2p_device: bool = True, position: Sequence[float] = (0.0, 0.0, 0.0),
                  tx_power_dbm: int = 20, perm_addr: bytes | str | None = None,
                  beacon_filter: bool = True) -> Any:
        """Create a radio (`hwsimN`, address 02:00:00:hi:lo:00) on this medium.

        `channels` is the number of different channels it may use at once
        (mac80211_hwsim's `channels`).  `beacon_filter` False: the radio
        passes every beacon up, as mac80211_hwsim does (hwsim(4)).  The concurrency policy comes from, in
        order: `policy`, `combinations` (a cfg80211 table), `profile` (a
        named device shape), else mac80211_hwsim's own table.
        """
        if not isinstance(channels, int) or channels < 1:
            raise InvalidArgument(f"channels must be a positive number, not {channels!r}")
        if not isinstance(beacon_filter, bool):
            raise InvalidArgument(f"beacon_filter must be true or false, not {beacon_filter!r}")
        caps, policy = radio_shape(caps if caps is not None else HWSIM_CAPS, combinations, policy,
                                   profile, channels, p2p_device)
        names = registry_for(self.sched)
        idx = self._next_radio
        if name is None:
            while f"hwsim{idx}" in names:
                idx += 1
            name = f"hwsim{idx}"
        elif name in names:
            raise AlreadyExists(f"{name}: name already in use")
        if perm_addr is not None:
            perm_addr = parse_mac(perm_addr, "perm_addr")
        if _radio_factory is None:
            importlib.import_module("drivers.hwsim.radio")  # its radios register with the medium
        if _radio_factory is None:
            raise NotSupported("no radio type is registered with the medium (import drivers.hwsim)")
        radio = _radio_factory(self, name, idx, caps=caps, policy=policy, nchannels=channels,
                           p2p_device=p2p_device, perm_addr=perm_addr, position=tuple(position),
                           tx_power_dbm=tx_power_dbm)
        radio.beacon_filter = beacon_filter
        self._next_radio = idx + 1
        self.radios.append(radio)
        if self._external is not None:
            self._external.radio_changed(radio, True)
        return radio

    def remove_radio(self, radio: Any) -> None:
        """Destroy a radio's vaps, detach it and take its port off the medium."""
        if radio not in self.radios:
            raise NoSuchDevice(f"{getattr(radio, 'name', radio)}: not a radio of this medium")
        radio.detach()
        self.radios.remove(radio)
        self.remove_port(radio.port)
        if self._external is not None:
            self._external.radio_changed(radio, False)

    def radio(self, name: str) -> Any:
        for r in self.radios:
            if r.name == name:
                return r
        raise NoSuchDevice(f"{name}: no such radio")

    def port_by_hwaddr(self, mac: bytes | str | int) -> MediumPort | None:
        a = mac if isinstance(mac, int) else mac_to_int(mac)
        for p in self.ports:
            if p.attached and (p.hwaddr == a or p.owns(a)):
                return p
        return None

    def set_link(self, a: MediumPort, b: MediumPort, *, snr_db: float | None = None,
                 loss: float | None = None, symmetric: bool = True) -> None:
        """Override one link of the modeled medium (SNR in dB and/or loss probability)."""
        if loss is not None and not 0.0 <= loss <= 1.0:
            raise ValueError("loss probability must be within [0, 1]")
        pairs = [(a.index, b.index)] + ([(b.index, a.index)] if symmetric else [])
        for i, j in pairs:
            self._link_overrides[(i, j)] = (snr_db, loss)
        self._links_dirty = True

    def set_per_table(self, table: np.ndarray, step_db: float) -> None:
        """Replace the modeled medium's packet-error table: (12, k) of log(1 - Pu)
        at SNR = i * step_db per rate (kernel.model.per_table has the default)."""
        self._k.set_per_table(table, step_db)

    def _port_moved(self, port: MediumPort) -> None:
        """A port moved: with path loss its links are redone before the
        kernel next needs them; the snr and prob models ignore positions."""
        model = self.model
        if model is None or model.kind != "path_loss" or self._links_dirty:
            return
        if self._index is None or port.index >= len(self._index.cell_of):
            self._links_dirty = True
        else:
            self._moved[port.index] = None

    def _sync_links(self) -> None:
        if self.model is None:
            self._links_dirty = False
            return
        if not self._links_dirty:
            if self._moved:
                self._apply_moves()
            return
        self._links_dirty = False
        self._moved.clear()
        self.links_rebuilt += 1
        k = self._k
        pos = np.array([p.position for p in self.ports]).reshape(len(self.ports), 3)
        power, gain = self._radiated()
        for i, to, snr, loss in self.model.rows(pos, power, self._link_overrides, rx_gain=gain):
            k.set_row(i, to, snr, loss)
        cells = self.model.cells(pos, power, rx_gain=gain)
        # An override may link radios further apart than the cells allow for.
        reach = self.model.hearing_range(power, gain)
        if cells is None or reach is None or self._link_overrides:
            k.set_cell_reach(0)
            self._index = None
        else:
            kgrid, cell_reach, self._kcell_size = cells
            for i, (cx, cy) in enumerate(kgrid.tolist()):
                k.set_cell(i, cx, cy)
            k.set_cell_reach(cell_reach)
            # the link index's cells are as wide as the hearing range (nine of them hold every link)
            size = max(reach, MIN_DISTANCE_M)
            self._index = _CellIndex(size, reach, pos, power, gain, cells_of(pos, size))

    def _apply_moves(self) -> None:
        """Bring the links of the ports that moved up to date, one port at a
        time: its own row, and its entry in the rows of the radios in the
        nine cells around where it was and where it is.  Nothing else of the
        world is looked at, unless most of it moved (then all of it is)."""
        idx, model = self._index, self.model
        assert idx is not None and model is not None
        moved = list(self._moved)
        self._moved.clear()
        if len(moved) > MOVES_BEFORE_REBUILD and len(moved) * 4 > len(self.ports):
            self._links_dirty = True
            self._sync_links()
            return
        k = self._k
        for i in moved:
            old_cell, new_cell = idx.cell_of[i], idx.cell(self.ports[i].position)
            near = idx.near(old_cell) | idx.near(new_cell) if old_cell != new_cell else idx.near(new_cell)
            near.discard(i)
            js = np.fromiter(sorted(near), dtype=np.int64, count=len(near))
            # The links into i before the move (computed, not read back) and after.
            _, was = model.links_of(idx.pos, idx.power, i, js, idx.reach, idx.gain)
            idx.move(i, self.ports[i].position)
            out, into = model.links_of(idx.pos, idx.power, i, js, idx.reach, idx.gain)
            keep = out > SNR_NONE
            k.set_row(i, js[keep].astype(np.uint32), out[keep])
            touched = (into > SNR_NONE) | (was > SNR_NONE)
            for j, snr in zip(js[touched].tolist(), into[touched].tolist(), strict=True):
                k.set_link(j, i, snr, 0.0)
            kc = np.floor(self.ports[i].position[:2] / self._kcell_size)  # as model.cells_of
            k.set_cell(i, int(kc[0]), int(kc[1]))
            self.links_moved += 1

    @property
    def num_links(self) -> int:
        """Links the modeled medium keeps (pairs above the hearing threshold)."""
        self._sync_links()
        return int(self._k.num_links)

    def link_snr(self, a: MediumPort, b: MediumPort) -> float:
        """The SNR in dB the model gives the link from a to b (before fading;
        below the hearing threshold the kernel keeps no link at all)."""
        if self.model is None:
            raise ValueError("the perfect medium has no SNR")
        pos = np.array([p.position for p in self.ports])
        power, gain = self._radiated()
        return self.model.pair(pos, power, a.index, b.index, self._link_overrides, rx_gain=gain)[0]

    def _radiated(self) -> tuple[np.ndarray, np.ndarray]:
        """(what each port radiates in dBm, its receive gain in dB)."""
        gain = np.array([p._gain_db for p in self.ports], dtype=np.float64)
        power = np.array([p._tx_power + p._shadowing_db for p in self.ports], dtype=np.float64) + gain
        return power, gain

    # -- mobility (wmediumd's directions) -------------------------------------------------
    def start_mobility(self, interval_ns: int = world.MOVE_INTERVAL_S * SEC) -> None:
        """Every interval, move each port by its direction (metres per interval)."""
        def step() -> None:
            for p in self.ports:
                if p.attached and p.direction.any():
                    p.move_to(p.position + p.direction)
            for hook in self.mobility_hooks:
                hook()
            self._sync_links()
            self._move_entry = self.sched.call_later(interval_ns, step)
        if self._move_entry is None:
            self._move_entry = self.sched.call_later(interval_ns, step)

    def stop_mobility(self) -> None:
        if self._move_entry is not None:
            self.sched.cancel(self._move_entry)
            self._move_entry = None

    # -- traffic ---------------------------------------------------------------------------
    def transmit(self, port: MediumPort, frame: bytes, rates: Sequence[tuple[int, int]] = ((0, 1),), *,
                 ac: int = AC_BE, no_ack: bool = False, rate_flags: tuple[int, ...] = ()) -> int:
        """Hand a frame to the kernel; its id, or -errno (malformed, refused)."""
        if not port.attached or port.medium is not self:
            self.stats["tx_refused"] += 1
            return -errno.ENODEV
        hdr = parse_header(frame) if isinstance(frame, bytes | bytearray) else None
        if hdr is None:
            self.stats["malformed"] += 1
            return -errno.EINVAL
        try:
            chain = _CHAINS.get(rates) if type(rates) is tuple else None
        except TypeError:  # a tuple holding a list: not cached
            chain = None
        if chain is None:
            try:
                chain = tuple((int(i), int(c)) for i, c in rates)[:4]
            except (TypeError, ValueError):
                self.stats["malformed"] += 1
                return -errno.EINVAL
            if type(rates) is tuple and all(type(r) is tuple for r in rates):
                if len(_CHAINS) >= 1024:
                    _CHAINS.clear()
                _CHAINS[rates] = chain
        addr1, addr2, addr3, bssid, kind = hdr
        flags = 0 if no_ack or (addr1 >> 40) & 1 else TXF_NEEDS_ACK
        if kind == FT_OTHER and (frame[0] >> 2) & 3 == 1:
            flags = 0  # control frames are answered (CTS) or not at all, never ACKed
        if self._external is not None and self._external.client is not None:
            return self._external.transmit(port, bytes(frame), chain, not flags & TXF_NEEDS_ACK, rate_flags)
        tag = beacon_tag(frame) if kind == FT_BEACON and self._bf_ports else 0
        req = TxReq(port.index, len(frame), addr1, addr2, addr3, bssid, port.rx_freq, kind, flags, ac, chain,
                    rate_flags, tag)
        self._sync_links()
        fid = self._k.tx(req, self.sched.now_ns)
        if fid < 0:
            self.stats["tx_refused"] += 1
            return fid
        self._frames[fid] = (port, bytes(frame))
        if self._capture is not None:
            self._capture_tx(port, frame, chain, rate_flags)
            if rate_flags:
                self._cap_flags[fid] = rate_flags
        self._after_kernel()
        return fid

    # -- capture (mac80211_hwsim's hwsim0) ---------------------------------------------------
    def capture(self, dest: Any) -> None:
        """Write every frame transmitted on the medium, once per transmission
        (retries are not repeated), to a pcap file (link type 127): radiotap
        TSFT (the sender's TSF), Flags, Rate (the first of its rate chain; for an
        HT or VHT rate the MCS or VHT field instead) and
        Channel.  No antenna signal: a transmission has one per receiver, and
        hwsim0 reports none either.  Every acknowledged frame is followed by
        its ACK (addressed to the frame's transmitter, at the ACK's rate, when
        the sender learnt of it), as hwsim0 shows them; ACKs lost on the air
        are counted (`acks`) but not captured, and so are RTS and CTS frames.
        Timestamps are the scheduler's `epoch_ns` plus virtual time.
        Replaces a capture already open."""
        cap = Capture(dest, epoch_ns=self.sched.epoch_ns)
        self.stop_capture()
        self._capture = cap

    def stop_capture(self) -> int:
        """Close the medium-wide capture; how many frames it holds (0 without one)."""
        cap, self._capture = self._capture, None
        self._cap_flags.clear()
        return 0 if cap is None else cap.close()

    def _capture_tx(self, port: MediumPort, frame: bytes, chain: tuple[tuple[int, int], ...],
                    rate_flags: tuple[int, ...]) -> None:
        now = self.sched.now_ns
        rate = chain[0][0] if chain else 0
        tsf = (now // 1000 + port.tsf_offset_us) & (2**64 - 1)
        head = _tx_radiotap(port.rx_freq, rate, rate_flags[0] if rate_flags else 0, tsf)
        self._capture.write(bytes(frame), now, head)

    def _capture_ack(self, frame: bytes, t_ns: int, freq: int, rate_idx: int, rate_flags: int = 0) -> None:
        if len(frame) < 16:
            return
        ack = _ACK_FC + frame[10:16]
        rate = rate_500k(freq, _ack_rate_index(rate_idx, freq, rate_flags))
        ofdm = rate not in (2, 4, 11, 22)
        self._capture.write(ack, t_ns, Radiotap(flags=0, rate=rate, channel_freq=freq,
                                                channel_flags=channel_flags(freq, ofdm=ofdm)))

    def _after_kernel(self) -> None:
        """Schedule the dispatch of new events and the kernel's next wake-up."""
        if self._dispatch_entry is None and self._k.pending():
            self._dispatch_entry = self.sched.call_at(self.sched.now_ns, self._dispatch_now)
        nt = self._k.next_time()
        if nt != self._wake_at:
            if self._wake_entry is not None:
                self.sched.cancel(self._wake_entry)
            self._wake_entry = None if nt is None else self.sched.call_at(nt, self._wake)
            self._wake_at = nt

    def _wake(self) -> None:
        self._wake_entry = None
        self._wake_at = None
        self._sync_links()
        k = self._k
        sched = self.sched
        now = sched.now_ns
        if sched.realtime:
            # Running late (a busy daemon): every instant the wall clock has passed runs
            # now, in one go, and its deliveries and statuses leave together, instead of
            # one scheduler event per instant (the catch-up is the real-time horizon).
            late = sched.late_horizon_ns()
            if late > now:
                sched.catch_up(late)
                now = late
        k.run(now)
        if k.pending():
            self._dispatch()
        elif self._external is None:
            # Most kernel instants (backoff expiries, frames nobody decoded,
            # ACK timeouts) produce no output.  If nothing else is due before
            # the horizon, run them here rather than waking up for each, and
            # come back when there is output to take.
            horizon = self.sched.horizon_ns()
            if horizon > now and k.run_ahead(horizon) and k.pending():
                self._dispatch_entry = self.sched.call_at(k.clock_ns(), self._dispatch_now)
        self._after_kernel()

    def _dispatch_now(self) -> None:
        self._dispatch_entry = None
        self._dispatch()
        self._after_kernel()

    def _dispatch(self) -> None:
        if self.event_sink is not None:
            self.event_sink()
        else:
            self._dispatch_events(self._k.pop_raw())

    def _dispatch_events(self, events: Iterable[tuple[int, ...]]) -> None:
        """The kernel's events (pop_raw's tuples) to the ports."""
        ports, frames, stats = self.ports, self._frames, self.stats
        n_rx = n_unclaimed = 0
        last_fid, entry, retry_data = -1, None, None
        new = tuple.__new__  # RxInfo(...) without the generated __new__'s Python frame
        for t, fid, kind, radio, signal, freq, rate_idx, flags, rates, tries in events:
            if kind == EV_RX:
                if fid != last_fid:  # a frame's deliveries come together, in receiver order
                    last_fid, entry, retry_data = fid, frames.get(fid), None
                port = ports[radio]
                if entry is None or not port.attached or port.rx is None:
                    n_unclaimed += 1
                    continue
                retry = bool(flags & RXF_RETRY)
                if retry:
                    if retry_data is None:
                        retry_data = _retry_copy(entry[1])
                    data = retry_data
                else:
                    data = entry[1]
                n_rx += 1
                port.rx_frames += 1
                port.rx(data, new(RxInfo, (t, freq, signal, rate_idx, retry)))
            else:
                done = frames.pop(fid, None)
                if done is None:
                    continue
                port, data = done
                stats["tx_status"] += 1
                rf = self._cap_flags.pop(fid, ()) if self._cap_flags else ()
                capture = self._capture is not None and flags & STF_ACKED
                if capture or (port.attached and port.tx_status is not None):
                    used = _USED.get((rates, tries))
                    if used is None:
                        if len(_USED) >= 1024:
                            _USED.clear()
                        used = _USED[(rates, tries)] = tuple(
                            (r, c) for r, c in zip(unpack4(rates, True), unpack4(tries), strict=True)
                            if r >= 0 and c > 0)
                    if capture:
                        # the entry ACKed: the last one tried
                        self._capture_ack(data, t, freq, used[-1][0] if used else 0,
                                          rf[len(used) - 1] if used and len(used) <= len(rf) else 0)
                    if port.attached and port.tx_status is not None:
                        port.tx_status(data, TxStatus(fid, t, bool(flags & STF_ACKED), signal, used,
                                                      bool(flags & STF_DROPPED)))
        if n_rx:
            stats["rx"] += n_rx
        if n_unclaimed:
            stats["rx_unclaimed"] += n_unclaimed

    # -- observation ------------------------------------------------------------------------
    @property
    def counters(self) -> dict[str, int]:
        """Kernel counters (frames, deliveries, drops, collisions, ...) plus the face's."""
        c = self._k.counters()
        c.update(self.stats)
        # transmissions looked at as each other's interferers (the work spatial cells spare)
        c["overlaps"] = self._k.num_overlaps
        return c

    @property
    def pending_frames(self) -> int:
        return len(self._frames)

    # -- the external medium ----------------------------------------------------------------
    def serve(self, path: str, *, hold_timeout_ns: int = SEC) -> Any:
        """Listen for an external medium (MAC80211_HWSIM genl on a UNIX
        SOCK_SEQPACKET socket at `path`); returns the `ExternalMedium`."""
        if self._external is not None:
            raise AlreadyExists(f"already serving an external medium on {self._external.path}")
        self._external = ExternalMedium(self, path, hold_timeout_ns=hold_timeout_ns)
        return self._external

    @property
    def external(self) -> Any:
        """The `ExternalMedium` being served, or None."""
        return self._external

    @classmethod
    def from_wmediumd_config(cls, path: str, sched: Scheduler, **kwargs: Any) -> HwsimMedium:
        """A modeled medium with one port per interface of a wmediumd config file."""
        return medium_from_config(path, sched, **kwargs)


def medium_from_config(path: str, sched: Scheduler, *, seed: int = 0, freq: int = 2412,
                       backend: str = "c") -> HwsimMedium:
    """Load `path` into a new modeled medium with one started port per interface."""
    with open(path, encoding="utf-8") as f:
        ids, spec, positions, directions, powers = parse_config(f.read())
    med = HwsimMedium(sched, model=spec, seed=seed, backend=backend)
    for i, mac in enumerate(ids):
        try:
            port = med.add_port(f"wm{i}", hwaddr=mac, addrs=[mac], freq=freq, position=positions[i],
                                tx_power_dbm=round(powers[i]))
        except ValueError as e:
            raise ConfigError(f"ifaces.ids[{i}]: {e}") from None
        d = directions[i]
        port.direction[: len(d)] = d
    if any(any(d) for d in directions):
        med.start_mobility()
    return med
