"""Which mac80211_hwsim radio is which station of hwsim-mediumd's medium.

A config names stations by address; the kernel (or a driver: the daemon may
serve several, each a peer) names radios by their hardware address on the
protocol, unique only within that peer, announces further addresses (vaps, scan
addresses) with ADD_MAC_ADDR, and tells of radios created and removed.
`Stations` keeps the radios, every address each is known by, and the
binding of radios to the medium's ports: a config station when an address
names it, else a default station of the radio's own.  Every table is
bounded: a flood of announcements is counted, not stored.

Only radios the peer announced (its GET_RADIO dump, NEW_RADIO) or the config
names get a station.  An announcement gives a radio id, not the address the
radio transmits from (mac80211_hwsim's default unless it was created with a
PERM_ADDR), so an announced radio not yet heard at its default address is a
guess; a transmitter the config does not name is taken as such a radio (the
pair is kept: DEL_RADIO of the one removes the other) while an unpaired guess
is left, and is counted and dropped otherwise.  Junk transmitter addresses
cost a look-up, never a station.  A guess the peer refuses deliveries to
FORGET_AFTER times without taking one, or does not answer for
MAX_UNANSWERED deliveries that ask it to (a peer that never answers for
radios it announced), is put to sleep (no station) until its address is
heard.  Each peer holds at most its share of the radio table (`quota`,
the table's size over the peers served), so a peer announcing radios
without end leaves room for the others'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..medium import HwsimMedium, MediumPort
from .genl import Attr, Message

log = logging.getLogger("hwsim-mediumd")

MAX_RADIOS = 1024  # radios (and default stations) kept; more are counted and ignored
MAX_ADDRS = 64  # addresses learned per radio (its vaps and scan addresses); more are counted and ignored
FORGET_AFTER = 8  # refused deliveries, none taken, after which an unheard announced radio sleeps
MAX_UNANSWERED = 64  # ... or deliveries asking for an answer without one (the kernel answers each at once)
PERFECT_SNR_DB = 100.0  # the link a path-loss model gives a radio it has no position for


class Radio:
    """A mac80211_hwsim radio as the daemon knows it."""

    __slots__ = ("peer", "hw", "radio_id", "name", "station", "addrs", "freq", "confirmed", "partner",
                 "refusals", "unanswered", "asleep")

    def __init__(self, hw: bytes, radio_id: int | None = None, name: str | None = None, *,
                 peer: int = 0) -> None:
        self.peer = peer  # the kernel or driver it belongs to (peer.py): radios are keyed (peer, hw)
        self.hw = hw  # the address on the protocol: TRANSMITTER of its frames, RECEIVER of deliveries
        self.radio_id = radio_id
        self.name = name
        self.station: int | None = None  # index of its port in the medium
        self.addrs: set[bytes] = set()  # learned addresses
        self.freq: int | None = None  # channel of its last frame
        self.confirmed = False  # seen on the wire (a dump's address is only mac80211_hwsim's default)
        # an unannounced transmitter taken as an announced radio not heard at its default address
        # (or, on the announced one, the transmitter taken as it)
        self.partner: Radio | None = None
        self.refusals = 0  # deliveries refused since the last one taken (guesses only)
        self.unanswered = 0  # deliveries asking for an answer since the last answer
        self.asleep = False  # an unheard guess the peer refuses deliveries to: no station until heard

    def candidates(self) -> list[bytes]:
        """Every address a config may name this radio by."""
        iface = bytes((self.hw[0] & ~0x40,)) + self.hw[1:]
        return [self.hw, iface, *sorted(self.addrs)]


def default_hwaddr(radio_id: int) -> bytes:
    """mac80211_hwsim's permanent address of radio `radio_id` (created without PERM_ADDR)."""
    return bytes((0x42, 0, 0, (radio_id >> 8) & 0xFF, radio_id & 0xFF, 0))


class Stations:
    """The radios the daemon serves and the medium's ports they transmit and receive on."""

    def __init__(self, medium: HwsimMedium, setup_port: Callable[[MediumPort, int], None],
                 stats: dict[str, int], warn: Callable[..., None], *, max_radios: int = MAX_RADIOS,
                 max_addrs: int = MAX_ADDRS) -> None:
        self.medium = medium
        self.setup_port = setup_port
        self.stats = stats
        self.warn = warn
        self.max_radios = max_radios
        self.max_addrs = max_addrs
        # per peer: ADD_MAC_ADDR's habit when nothing else tells (transport.py)
        self.radio_is_receiver: dict[int, bool] = {}
        self.ports: list[MediumPort] = []  # by station
        # default stations whose radio left: their ports, stopped and without addresses, serve the
        # next radio, so radios that come and go (or a peer announcing and removing them) reuse them
        self._spare: list[int] = []
        self.cfg_station: dict[bytes, int] = {}  # config address -> station
        for p in list(medium.ports):
            if p.attached and p.hwaddr is not None:
                self.cfg_station[p.hwaddr.to_bytes(6, "big")] = self.add_station(p)
        self.n_config = len(self.ports)
        self.named: set[int] = set()  # stations added at run time as if the config named them
        self.radios: dict[tuple[int, bytes], Radio] = {}  # (peer, hw) -> radio
        self.per_peer: dict[int, int] = {}  # peer -> how many of the radios are its
        self.quota = max_radios  # radios one peer may hold (the daemon shares the table among its peers)
        self.over_quota: dict[int, int] = {}  # peer -> radios refused because it held its share
        self.by_addr: dict[tuple[int, bytes], Radio] = {}  # (peer, learned address) -> radio
        self.bound: dict[int, Radio] = {}  # station -> radio
        # per peer: announced radios not heard at their address and not yet taken by a transmitter
        self.unpaired: dict[int, dict[Radio, None]] = {}
        # peers that announce no radios (their GET_RADIO dump refused): radios learned from traffic
        self.unannouncing: set[int] = set()
        self.unannounced = False  # the last radio() refused an address its peer never announced
        # stations of radios whose channel is not known yet -> the channel being tried
        # for them and since when (None: the next frame's channel is tried)
        self.unheard: dict[int, tuple[int, int] | None] = {}
        self.changed: Callable[[int, Radio], None] = lambda st, r: None  # a radio bound or unbound

    def add_station(self, port: MediumPort) -> int:
        st = len(self.ports)
        self.ports.append(port)
        self.setup_port(port, st)
        return st

    def add_named(self, hw: bytes, *, tx_power_dbm: int) -> MediumPort:
        """A station for address `hw` as if the config named it; a radio known by
        that address moves onto it (from its default station)."""
        port = self.medium.add_port(f"wm{len(self.ports)}", hwaddr=hw, addrs=[hw], tx_power_dbm=tx_power_dbm)
        st = self.add_station(port)
        self.named.add(st)
        self.cfg_station[hw] = st
        for r in list(self.radios.values()):
            if hw in r.candidates():
                self.place(r)
                break
        return port

    def remove_named(self, port: MediumPort) -> None:
        """Take a station off the medium; its radio stays without one, deaf and mute."""
        st = self.ports.index(port)
        r = self.bound.get(st)
        if r is not None:
            self.unbind(r)
        for a in [a for a, s in self.cfg_station.items() if s == st]:
            del self.cfg_station[a]
        self.named.discard(st)
        if port.attached:
            self.medium.remove_port(port)

    def radio(self, hw: bytes, *, peer: int = 0, radio_id: int | None = None, name: str | None = None,
              confirmed: bool = True) -> Radio | None:
        """The radio `hw` of `peer`, made if the peer announced it (`radio_id`), the config
        names it or an announced radio is still unheard (see the module's doc); else None."""
        r = self.radios.get((peer, hw))
        self.unannounced = False
        if r is None:
            guess = None
            if radio_id is None and peer not in self.unannouncing and not self.named_by_config(hw):
                guess = self._unpaired_guess(peer)
                if guess is None:
                    self.unannounced = True
                    self.stats["unannounced"] += 1
                    self.warn("unannounced", "ignoring radio %s: not announced by its peer nor named by "
                              "the config", hw.hex(":"))
                    return None
            if len(self.radios) >= self.max_radios:
                self.stats["radios_dropped"] += 1
                self.warn("radio table full", "radio table full (%d): ignoring radio %s",
                          self.max_radios, hw.hex(":"))
                return None
            if self.per_peer.get(peer, 0) >= self.quota:
                self.stats["radios_dropped"] += 1
                self.over_quota[peer] = self.over_quota.get(peer, 0) + 1
                self.warn(f"radio share {peer}", "peer %d holds its share of the radio table (%d): "
                          "ignoring radio %s", peer, self.quota, hw.hex(":"))
                return None
            r = self.radios[(peer, hw)] = Radio(hw, radio_id, name, peer=peer)
            self.per_peer[peer] = self.per_peer.get(peer, 0) + 1
            if guess is not None:
                self.unpaired[peer].pop(guess, None)
                r.partner, guess.partner = guess, r
            elif radio_id is not None and not confirmed:
                self.unpaired.setdefault(peer, {})[r] = None
            self._check_clash(r)
            self.place(r)
        if confirmed and not r.confirmed:
            self.confirm(r)
        if radio_id is not None:
            r.radio_id = radio_id
        if name is not None:
            r.name = name
        return r

    def named_by_config(self, hw: bytes) -> bool:
        return hw in self.cfg_station or bytes((hw[0] & ~0x40,)) + hw[1:] in self.cfg_station

    def _unpaired_guess(self, peer: int) -> Radio | None:
        guesses = self.unpaired.get(peer)
        if not guesses:
            return None
        return next(iter(guesses))

    def confirm(self, r: Radio) -> None:
        """`r` is heard (or a delivery taken) at its address: no longer a guess."""
        r.confirmed = True
        r.refusals = 0
        guesses = self.unpaired.get(r.peer)
        if guesses is not None:
            guesses.pop(r, None)
        p = r.partner
        if p is not None and r.radio_id is not None:
            # the announced radio is itself: the transmitter taken as it is another announced one
            r.partner = p.partner = None
            g = self._unpaired_guess(r.peer)
            if g is not None:
                self.unpaired[r.peer].pop(g, None)
                p.partner, g.partner = g, p
        if r.asleep:
            r.asleep = False
            self.place(r)

    def refused(self, r: Radio) -> None:
        """The peer refused a delivery to `r` (no such receiver, or not on that channel)."""
        r.unanswered = 0
        if r.confirmed or r.asleep or r.radio_id is None:
            return
        r.refusals += 1
        if r.refusals >= FORGET_AFTER and r.station is not None:
            # most likely a radio with an address of its own (PERM_ADDR), or one down: it costs
            # deliveries on every channel until heard
            self._sleep(r)

    def asked(self, r: Radio) -> None:
        """A delivery to `r` asks the peer to answer (its channel is not known)."""
        r.unanswered += 1
        if r.unanswered >= MAX_UNANSWERED and not r.confirmed and not r.asleep and r.radio_id is not None \
                and r.station is not None:
            # the peer never answers for it (announced but not there, or the peer does not
            # read): every group frame on the channel tried would cost a delivery, for nothing
            self._sleep(r)

    def _sleep(self, r: Radio) -> None:
        r.asleep = True
        r.unanswered = 0
        self.stats["radios_asleep"] += 1
        log.debug("radio %s (%s) takes no delivery: asleep until heard", r.hw.hex(":"), r.name or "?")
        self.unbind(r)

    def place(self, r: Radio) -> None:
        """Bind a radio to the config station it is named by, else to a default station."""
        for a in r.candidates():
            st = self.cfg_station.get(a)
            if st is None:
                continue
            other = self.bound.get(st)
            if other is r:
                return
            if other is None or not other.confirmed:
                if other is not None:  # a dump's guess the wire contradicts
                    self.unbind(other)
                    self.default_station(other)
                self.bind(r, st)
                return
        if r.station is None and not r.asleep:
            self.default_station(r)

    def bind(self, r: Radio, st: int) -> None:
        if r.station is not None:
            self.unbind(r)
        r.station = st
        self.bound[st] = r
        self.changed(st, r)
        if r.freq is None:
            self.unheard[st] = None
        port = self.ports[st]
        for a in r.candidates():
            if not port.owns(a):
                port.add_addr(a)
        if r.freq is not None:
            port.freq = r.freq
        log.debug("radio %s (%s) is station %s", r.hw.hex(":"), r.name or "?", port.name)

    def unbind(self, r: Radio) -> None:
        st = r.station
        if st is None:
            return
        r.station = None
        self.bound.pop(st, None)
        self.changed(st, r)
        self.unheard.pop(st, None)
        port = self.ports[st]
        if st >= self.n_config and st not in self.named:
            if port.attached:
                port.stop()
                for (a, kind), n in list(port._addrs.items()):
                    for _ in range(n):
                        port.del_addr(a, kind)
                port.hwaddr = None
                self._spare.append(st)
        else:
            for a, _ in list(port._addrs):
                b = a.to_bytes(6, "big")
                if b not in self.cfg_station:
                    port.del_addr(a)

    def default_station(self, r: Radio) -> None:
        """A radio the config does not name: the config's default link (perfect for path loss)."""
        if self._spare:
            st = self._spare.pop()
            port = self.ports[st]
            port.name, port.hwaddr = f"radio-{r.hw.hex()}", int.from_bytes(r.hw, "big")
            port.start(r.freq or 2412)
            self.bind(r, st)
            return
        port = self.medium.add_port(f"radio-{r.hw.hex()}", hwaddr=r.hw, freq=r.freq or 2412)
        st = self.add_station(port)
        if self.medium.model is not None and self.medium.model.kind == "path_loss":
            for other in self.medium.ports:
                if other is not port and other.attached:
                    self.medium.set_link(port, other, snr_db=PERFECT_SNR_DB, loss=0.0)
        self.bind(r, st)

    def learn(self, r: Radio, addr: bytes) -> None:
        if addr in r.addrs or addr == r.hw or addr[0] & 1:
            return
        if len(r.addrs) >= self.max_addrs:
            self.stats["addrs_dropped"] += 1
            self.warn("address table full", "radio %s has %d addresses: ignoring %s", r.hw.hex(":"),
                           self.max_addrs, addr.hex(":"))
            return
        owner = self.by_addr.get((r.peer, addr))
        if owner is not None and owner is not r:
            self.forget(owner, addr)
        r.addrs.add(addr)
        self.by_addr[(r.peer, addr)] = r
        st = self.cfg_station.get(addr)
        holder = self.bound.get(st) if st is not None else None
        if st is not None and r.station != st and (holder is None or not holder.confirmed):
            self.place(r)  # the config names this radio by the address just learned
        elif r.station is not None and not self.ports[r.station].owns(addr):
            self.ports[r.station].add_addr(addr)

    def forget(self, r: Radio, addr: bytes) -> None:
        if addr not in r.addrs:
            return
        r.addrs.discard(addr)
        if self.by_addr.get((r.peer, addr)) is r:
            self.by_addr.pop((r.peer, addr), None)
        if r.station is not None and addr not in self.cfg_station and self.ports[r.station].owns(addr):
            self.ports[r.station].del_addr(addr)

    def remove(self, r: Radio) -> None:
        guesses = self.unpaired.get(r.peer)
        if guesses is not None:
            guesses.pop(r, None)
        p = r.partner
        if p is not None:
            r.partner = p.partner = None
            if r.radio_id is not None and p.radio_id is None:
                self.remove(p)  # the transmitter taken as this announced radio goes with it
            elif p.radio_id is not None and not p.confirmed and guesses is not None:
                guesses[p] = None  # unheard again: another transmitter may be it
        self.unbind(r)
        for a in list(r.addrs):
            self.forget(r, a)
        if self.radios.get((r.peer, r.hw)) is r:
            del self.radios[(r.peer, r.hw)]
            self.per_peer[r.peer] -= 1

    def remove_peer(self, peer: int) -> None:
        """A kernel or driver gone: its radios leave the medium (config stations stay)."""
        for r in [r for (p, _), r in self.radios.items() if p == peer]:
            self.remove(r)

    def _check_clash(self, r: Radio) -> None:
        # Two peers' radios with one address: the medium cannot tell their
        # vaps apart (mac80211_hwsim and the hwsim driver number radios alike).
        for (p, hw), other in self.radios.items():
            if p != r.peer and hw == r.hw:
                self.stats["address_clashes"] += 1
                self.warn("address clash", "radio %s of peer %d has the address of a radio of peer %d: "
                          "give one side other addresses (the hwsim driver's first_radio)",
                          r.hw.hex(":"), r.peer, other.peer)
                return

    def radio_msg(self, m: Message, peer: int = 0) -> None:
        """A GET_RADIO dump entry or a NEW_RADIO notification: mac80211_hwsim's default address."""
        rid = m.get(Attr.RADIO_ID)
        if rid is None:
            return
        hw = m.get(Attr.PERM_ADDR) or default_hwaddr(rid)
        self.radio(hw, peer=peer, radio_id=rid, name=m.get(Attr.RADIO_NAME), confirmed=False)

    def mac_addr(self, m: Message, add: bool, peer: int = 0) -> None:
        rcv, tx = m.get(Attr.ADDR_RECEIVER), m.get(Attr.ADDR_TRANSMITTER)
        if rcv is None or tx is None:
            self.stats["malformed"] += 1
            return
        # Which attribute names the radio changed between kernels: a radio we know
        # decides, then mac80211_hwsim's 42:/02: pair, then the transport's habit.
        known_tx, known_rcv = (peer, tx) in self.radios, (peer, rcv) in self.radios
        if known_tx and not known_rcv:
            hw, addr = tx, rcv
        elif known_rcv and not known_tx:
            hw, addr = rcv, tx
        elif rcv[1:] == tx[1:] and rcv[0] ^ tx[0] == 0x40:
            hw, addr = (rcv, tx) if rcv[0] & 0x40 else (tx, rcv)
        elif self.radio_is_receiver.get(peer, False):
            hw, addr = rcv, tx
        else:
            hw, addr = tx, rcv
        r = self.radio(hw, peer=peer) if add else self.radios.get((peer, hw))
        if r is None:
            return
        if add:
            self.learn(r, addr)
        else:
            self.forget(r, addr)


__all__ = ["MAX_ADDRS", "MAX_RADIOS", "MAX_UNANSWERED", "Radio", "Stations", "default_hwaddr"]
