"""Behaviour cells: an allowed mix, brought up against peers on other
devices of the same world, must do what each of its modes is for.

Per vap of the device under test, one peer device gets the counterpart:
a STA gets a peer AP to associate with, an AP a peer STA (and must beacon),
an IBSS (or AHDEMO) vap a peer of its own kind, a WDS vap a peer WDS vap
pointing back at it, a monitor a peer AP whose frames it must capture.  Data
must pass both ways where the mode carries data; the WDS link's frames must
be 4-address ones.  A P2P device runs Wi-Fi Direct discovery and must find
a peer P2P device (and be found by it); a P2P GO must take a peer P2P client
and a P2P client must join a peer GO, data passing both ways (the P2P modes
on their own, without group negotiation).  Destroying the vaps must leave the
device empty.

Modes without a protocol in this tree are reported as not covered, with the
reason, rather than passed; so are checks the driver gives no way to make (a
driver without a medium-wide capture: beacons and 4-address frames on the
medium; without hardware state in `describe()`: leftovers after teardown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ic import SEC, CloneFlags, ConcurrencyError, OpMode, State, mac_str, parse_mac
from net80211.conformance.cells import CellResult, CellSpec, conclude
from net80211.conformance.frames import Seen, Sink, frames, start_medium_capture
from net80211.conformance.mixes import clone_flags, opmode_of
from net80211.conformance.verdict import up_order
from net80211.conformance.world import DriverRef, World, hw_unchecked, leftovers, snapshot
from net80211.p2p.device import P2PDevice
from net80211.proto import swallowed_text
from net80211.wire.data import build_ether, parse_ether

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

ETHERTYPE = 0x88B5  # IEEE 802 local experimental: nobody else consumes it
SETTLE_NS = SEC // 2
REACH_NS = 8 * SEC
DATA_NS = SEC
OBSERVE_NS = SEC // 2

# Modes whose protocol this tree does not implement yet: cell not covered.
NOT_COVERED = {
    OpMode.MBSS: "MBSS (mesh) protocol not implemented",
}
TDMA_REASON = "TDMA protocol not implemented"

# The mode the peer of a vap under test runs.
PEER_MODE = {OpMode.STA: OpMode.HOSTAP, OpMode.MONITOR: OpMode.HOSTAP, OpMode.HOSTAP: OpMode.STA,
             OpMode.IBSS: OpMode.IBSS, OpMode.AHDEMO: OpMode.AHDEMO, OpMode.WDS: OpMode.WDS,
             OpMode.P2P_DEVICE: OpMode.P2P_DEVICE, OpMode.P2P_GO: OpMode.P2P_CLIENT,
             OpMode.P2P_CLIENT: OpMode.P2P_GO}

_DATA_MODES = (OpMode.STA, OpMode.HOSTAP, OpMode.IBSS, OpMode.AHDEMO, OpMode.WDS, OpMode.P2P_GO,
               OpMode.P2P_CLIENT)
_AP_MODES = (OpMode.HOSTAP, OpMode.P2P_GO)
_STA_MODES = (OpMode.STA, OpMode.P2P_CLIENT)


def wds_peer_addr(i: int) -> str:
    """The address the peer of WDS vap i uses (fixed, so each end can name the other)."""
    return f"02:cf:01:00:00:{i:02x}"


def uncovered(word: str) -> str | None:
    if word == "tdma":
        return TDMA_REASON
    return NOT_COVERED.get(opmode_of(word))


@dataclass
class Pair:
    """One vap under test and what it is tested against."""

    index: int
    word: str
    vap: IEEE80211Vap = field(init=False)  # created by create_vaps before any check
    peer_dev: Any = None
    peer: Any = None  # the counterpart vap on the peer device
    helpers: list[Any] = field(default_factory=list)  # other vaps the peer device needed
    sink: Sink | None = None  # a monitor's capture
    skip: str = ""  # why this vap cannot be tested in this mix
    p2p: list[Any] = field(default_factory=list)  # Wi-Fi Direct on a P2P device pair: (ours, the peer's)

    @property
    def mode(self) -> OpMode:
        return opmode_of(self.word)

    @property
    def ssid(self) -> str:
        return f"conf{self.index}"


def _addr_of(x: Any) -> bytes | None:
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    if isinstance(x, dict):  # a node summary: {"macaddr": "aa:bb:..", ...}
        x = x.get("macaddr")
    if isinstance(x, str):
        try:
            return parse_mac(x)
        except ValueError:
            return None
    for attr in ("macaddr", "addr", "mac"):
        v = getattr(x, attr, None)
        if isinstance(v, (bytes, bytearray)):
            return bytes(v)
    return None


def station_addrs(vap: IEEE80211Vap) -> set[bytes]:
    """Addresses of the stations a vap has associated (its `stations()`)."""
    stations = getattr(vap, "stations", None)
    if stations is None:
        return set()
    return {a for a in (_addr_of(s) for s in stations()) if a is not None}


def _create(w: World, dev: Any, name: str, word: str, **kw: Any) -> Any:
    vap = dev.create_vap(name, word, **kw)
    w.log(f"{dev.name}: created {word} {name} {mac_str(vap.macaddr)} {kw or ''}")
    return vap


class _Cell:
    def __init__(self, ref: DriverRef, spec: CellSpec) -> None:
        self.spec = spec
        self.words, chans = spec.mix.ordered(spec.order)
        n = len(self.words)
        self.w = World(ref, 1 + n)
        dev = self.w.dut
        common = dev.channels[0].ieee
        self.chans = chans if chans is not None else [common] * n
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.unchecked: list[str] = []  # checks that could not run, with the reason
        self.pairs = [Pair(i, wd, peer_dev=self.peer_device(i, wd)) for i, wd in enumerate(self.words)]

    def peer_device(self, i: int, word: str) -> Any:
        """Peer device i, able to run the counterpart of `word`: one of the same
        profile if it can, else a device of another profile of the driver in
        the same world (a STA on a single-vap device needs an AP somewhere)."""
        dev = self.w.peers[i]
        need = PEER_MODE.get(opmode_of(word))
        if need is None or dev.caps & need.cap:
            return dev
        drv = self.w.driver
        for profile in getattr(drv, "profiles", ()):
            if profile == drv.profile:
                continue
            try:
                cand = drv.add_device(profile=profile)
            except (OSError, TypeError):
                break  # the driver cannot add devices of another shape
            if cand.caps & need.cap:
                self.w.log(f"peer {cand.name}: profile {profile} (profile {drv.profile} has no {need.word})")
                return cand
            drv.remove_device(cand)
        self.notes.append(f"no peer device of this driver can run {need.word}")
        return dev

    def fail(self, text: str) -> None:
        self.failures.append(text)
        self.w.log(f"FAIL: {text}")

    # -- set-up ----------------------------------------------------------------
    def peers_first(self) -> None:
        """The peers that must exist before the vaps under test come up."""
        w = self.w
        for p in self.pairs:
            ch = self.chans[p.index]
            m = p.mode
            if uncovered(p.word):
                continue
            if m in (OpMode.STA, OpMode.MONITOR):
                p.peer = _create(w, p.peer_dev, f"peer{p.index}", "hostap", ssid=p.ssid, channel=ch)
            elif m is OpMode.P2P_CLIENT:
                p.peer = _create(w, p.peer_dev, f"peer{p.index}", "p2p-go", ssid=p.ssid, channel=ch)
            elif m is OpMode.P2P_DEVICE:
                p.peer = _create(w, p.peer_dev, f"peer{p.index}", "p2p-device")
                p.p2p = [None, P2PDevice(p.peer, device_name=f"peer{p.index}")]
                p.p2p[1].start()  # up, discovery next
                continue
            elif m in (OpMode.IBSS, OpMode.AHDEMO):
                p.peer = _create(w, p.peer_dev, f"peer{p.index}", p.word, ssid=p.ssid, channel=ch)
            if p.peer is not None:
                p.peer.up()
        w.run_for(SETTLE_NS)

    def create_dut(self) -> None:
        w, dev = self.w, self.w.dut
        flags = clone_flags(self.words)
        for p in self.pairs:
            kw: dict[str, Any] = {"channel": self.chans[p.index]}
            if p.mode is OpMode.WDS:
                # The peer's WDS vap gets a fixed address so each side can name the other.
                kw["bssid"] = wds_peer_addr(p.index)
            elif p.mode is not OpMode.MONITOR and p.mode is not OpMode.P2P_DEVICE:
                kw["ssid"] = p.ssid
            if flags[p.index]:
                # Several BSSes on one device need a BSSID each (ath: `wlan create ... bssid`).
                kw["flags"] = flags[p.index]
            p.vap = _create(w, dev, f"wlan{p.index}", p.word, **kw)
        for i in up_order(self.words):
            p = self.pairs[i]
            if uncovered(p.word):
                # Nothing to test it against: a P2P client with no group to
                # join would scan forever and keep the device off its channel.
                w.log(f"{p.vap.name} ({p.word}) left down: {uncovered(p.word)}")
                continue
            if p.mode is OpMode.P2P_DEVICE:
                p.p2p[0] = P2PDevice(p.vap, device_name=p.vap.name)
                p.p2p[0].start()  # START_P2P_DEVICE: the concurrency check, then up
                for dv in p.p2p:
                    dv.find()
                continue
            p.vap.up()
        for p in self.pairs:
            if p.mode is OpMode.MONITOR:
                p.sink = Sink()
                p.vap.capture(p.sink)

    def peers_after(self) -> None:
        """Peers that join what the vaps under test created."""
        w = self.w
        for p in self.pairs:
            ch = self.chans[p.index]
            if uncovered(p.word):
                continue
            if p.mode in _AP_MODES:
                word = "sta" if p.mode is OpMode.HOSTAP else "p2p-client"
                p.peer = _create(w, p.peer_dev, f"peer{p.index}", word, ssid=p.ssid, channel=ch)
                p.peer.up()
            elif p.mode is OpMode.WDS:
                self.peer_wds(p, ch)

    def first_ap(self) -> Any:
        return next(q.vap for q in self.pairs if q.mode is OpMode.HOSTAP)

    def peer_wds(self, p: Pair, ch: int) -> None:
        """A dynamic WDS vap binds to a station of its device's AP: the peer
        device associates a STA to our AP and runs a legacy WDS vap towards
        it, both with the address our WDS vap was created to expect."""
        w = self.w
        ap = next((q for q in self.pairs if q.mode is OpMode.HOSTAP), None)
        if ap is None:
            p.skip = "dynamic WDS without a hostap vap on the device has no station to bind to"
            return
        addr = wds_peer_addr(p.index)
        kw = {"bssid": ap.vap.macaddr, "macaddr": addr, "channel": ch, "flags": CloneFlags.WDSLEGACY}
        drv = w.driver
        candidates = [p.peer_dev] + [None] * len(getattr(drv, "profiles", ()))
        for k, dev in enumerate(candidates):
            if dev is None:  # the peer's policy cannot hold STA + WDS: a device of another profile
                prof = drv.profiles[k - 1]
                try:
                    dev = drv.add_device(profile=prof)
                except (OSError, TypeError):
                    break
                w.log(f"peer {dev.name}: profile {prof} for the WDS link")
            made: list[Any] = []
            try:
                sta = _create(w, dev, f"peersta{p.index}", "sta", ssid=ap.ssid, channel=ch, macaddr=addr)
                made.append(sta)
                try:
                    p.peer = _create(w, dev, f"peer{p.index}", "wds", **kw)
                except ConcurrencyError as e:
                    # The peer's policy wants an AP beside a WDS vap (run): give it one.
                    w.log(f"{dev.name}: {e.strerror}; adding a hostap vap first")
                    made.append(_create(w, dev, f"peerap{p.index}", "hostap", ssid=f"confw{p.index}",
                                        channel=ch))
                    p.peer = _create(w, dev, f"peer{p.index}", "wds", **kw)
            except ConcurrencyError as e:
                w.log(f"{dev.name}: {e.strerror}")
                for v in reversed(made):
                    dev.destroy_vap(v)
                continue
            p.helpers.extend(made)
            for v in [*made, p.peer]:
                v.up()
            return
        p.skip = "no peer device of this driver can hold a station and a WDS vap"

    # -- checks ------------------------------------------------------------------
    def reached(self, p: Pair) -> str | None:
        """None when the pair is where its mode should be, else what is missing."""
        v, peer = p.vap, p.peer
        if v.state < State.RUN:
            why = f": {swallowed_text(v)}" if v.stats.swallowed_transitions else ""
            return f"{v.name} ({p.word}) is in {v.state.name}, not RUN{why}"
        m = p.mode
        if m is OpMode.P2P_DEVICE:
            ours, theirs = p.p2p
            if theirs.address not in ours.peers:
                return f"P2P device {v.name} did not find the peer P2P device {mac_str(theirs.address)}"
            if ours.address not in theirs.peers:
                return f"the peer P2P device {peer.name} did not find {v.name} ({mac_str(ours.address)})"
        elif m in _STA_MODES:
            if v.bssid != peer.macaddr:
                return f"{v.name} joined {mac_str(v.bssid)}, not the peer AP {mac_str(peer.macaddr)}"
            if v.macaddr not in station_addrs(peer):
                return f"peer AP {peer.name} does not list {v.name} ({mac_str(v.macaddr)}) as associated"
        elif m in _AP_MODES:
            if peer.state < State.RUN or peer.bssid != v.bssid:
                return (f"peer STA {peer.name} is {peer.state.name} on {mac_str(peer.bssid)}, "
                        f"not associated to {v.name} ({mac_str(v.bssid)})")
            if peer.macaddr not in station_addrs(v):
                return f"{v.name} does not list the peer STA {mac_str(peer.macaddr)} as associated"
        elif m in (OpMode.IBSS, OpMode.AHDEMO):
            if peer.state < State.RUN or peer.bssid != v.bssid:
                return (f"{v.name} runs IBSS {mac_str(v.bssid)}, the peer {peer.name} "
                        f"{mac_str(peer.bssid)} ({peer.state.name})")
        elif m is OpMode.WDS:
            sta, ap = p.helpers[0], self.first_ap()
            if sta.state < State.RUN or sta.bssid != ap.bssid or sta.macaddr not in station_addrs(ap):
                return (f"peer station {sta.name} of the WDS link is {sta.state.name} "
                        f"on {mac_str(sta.bssid)}, not associated to {ap.name}")
            if peer.state < State.RUN:
                return f"peer WDS {peer.name} is in {peer.state.name}"
        return None

    def check_data(self, p: Pair) -> None:
        if p.mode not in _DATA_MODES:
            return
        for src, dst in ((p.vap, p.peer), (p.peer, p.vap)):
            payload = f"conformance {self.spec.mix.label} {src.name}->{dst.name}"
            if src.macaddr is None or dst.macaddr is None:
                self.fail(f"data {src.name}->{dst.name}: a vap without an address after attach")
                continue
            eth = build_ether(dst.macaddr, src.macaddr, ETHERTYPE, payload.encode())
            nd_src, nd_dst = getattr(src, "netdev", None), getattr(dst, "netdev", None)
            if nd_src is None or nd_dst is None:
                self.fail(f"{src.name if nd_src is None else dst.name} has no netdev to carry data")
                return
            while nd_dst.recv() is not None:  # forget what arrived before
                pass
            if not nd_src.send(eth):
                self.fail(f"{src.name}: netdev refused to send to {mac_str(dst.macaddr)}")
                return
            got: list[bytes] = []

            def arrived(nd: Any = nd_dst, sink: list[bytes] = got, want: bytes = eth) -> bool:
                f = nd.recv()
                while f is not None:
                    sink.append(bytes(f))
                    f = nd.recv()
                return want in sink
            if not self.w.run_until(arrived, DATA_NS):
                seen = [parse_ether(f)[:3] for f in got]
                self.fail(f"data {src.name} -> {dst.name} did not arrive (got {len(got)} frames: {seen})")
            else:
                self.w.log(f"data {src.name} -> {dst.name}: delivered")

    def check_capture(self, medium: Sink | None) -> None:
        seen: list[Seen] = frames(medium) if medium is not None else []
        for p in self.pairs:
            if uncovered(p.word) or p.skip:
                continue
            if p.mode is OpMode.MONITOR:
                got = frames(p.sink) if p.sink is not None else []
                mine = [f for f in got if f.addr2 == p.peer.macaddr]
                if not mine:
                    self.fail(f"monitor {p.vap.name} captured {len(got)} frames, none from the peer "
                              f"{p.peer.name} ({mac_str(p.peer.macaddr)})")
                else:
                    self.w.log(f"{p.vap.name} captured {len(mine)} frames of {p.peer.name}")
            if medium is None:
                if p.mode in (*_AP_MODES, OpMode.WDS):
                    what = "beacons" if p.mode in _AP_MODES else "4-address frames"
                    self.unchecked.append(f"{what} of {p.vap.name} ({p.word}) on the medium: driver "
                                          f"{self.w.driver.name} has no medium-wide capture (Driver.capture)")
                continue
            if p.mode in _AP_MODES:
                beacons = [f for f in seen if f.is_beacon and f.addr2 == p.vap.macaddr]
                if len(beacons) < 2:
                    self.fail(f"{p.vap.name} sent {len(beacons)} beacons on the medium")
            elif p.mode is OpMode.WDS:
                ours = {p.vap.macaddr, self.first_ap().macaddr}  # a dynamic link sends as its AP
                four = [f for f in seen if f.four_address and f.addr2 in ours and f.addr1 == p.peer.macaddr]
                if not four:
                    self.fail(f"no 4-address data frame from {p.vap.name} to its peer on the medium")

    # -- the cell -----------------------------------------------------------------
    def run(self) -> CellResult:
        w, mix = self.w, self.spec.mix
        skip = sorted({r for r in map(uncovered, self.words) if r})
        empty = snapshot(w.dut)
        medium = start_medium_capture(w.driver)
        self.peers_first()
        self.create_dut()
        self.peers_after()
        testable = [p for p in self.pairs if not uncovered(p.word) and not p.skip]
        skip += [f"{p.word}: {p.skip}" for p in self.pairs if p.skip]
        w.run_until(lambda: all(self.reached(p) is None for p in testable), REACH_NS)
        w.run_for(OBSERVE_NS)  # beacons and captures over a few beacon intervals
        for p in testable:
            problem = self.reached(p)
            if problem:
                self.fail(problem)
            else:
                w.log(f"{p.vap.name} ({p.word}): reached {p.vap.state.name}")
        if not self.failures:
            for p in testable:
                self.check_data(p)
        stop = getattr(w.driver, "stop_capture", None)
        if medium is not None and stop is not None:
            stop()
        for p in self.pairs:
            if p.sink is not None:
                p.vap.stop_capture()
        self.check_capture(medium)
        for p in reversed(self.pairs):
            for dv in p.p2p:
                if dv is not None:
                    dv.close()  # stops discovery and the P2P device (its owner goes)
            w.dut.destroy_vap(p.vap)
        w.run_for(SETTLE_NS)
        for problem in leftovers(w.dut, [p.vap.name for p in self.pairs], empty, [p.vap for p in self.pairs]):
            self.fail(f"after teardown: {problem}")
        hw = hw_unchecked(w.dut)
        if hw is not None:
            self.unchecked.append(hw)
        expected = "every vap reaches its mode's state, data passes, teardown leaves the device empty"
        covered = ", ".join(p.word for p in testable) or "nothing"
        notes = "; ".join(self.notes)
        note = f"checked: {covered}" + (f"; {notes}" if notes else "")
        return conclude(mix, "behaviour", expected, self.failures, [*skip, *self.unchecked], w.lines,
                        note=note if skip or self.unchecked else notes)


def behaviour_cell(ref: DriverRef, spec: CellSpec) -> CellResult:
    cell = _Cell(ref, spec)
    try:
        return cell.run()
    finally:
        cell.w.close()

