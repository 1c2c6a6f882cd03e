"""A station's roaming within its ESS (FreeBSD `roaming auto|manual`,
`ieee80211_scan_sta.c` sta_roam_check).

With `roaming auto` (the default) a running station watches its AP: the
signal of the AP's beacons, smoothed as FreeBSD's node RSSI average
(IEEE80211_RSSI_LPF_LEN), and the rate its last acknowledged data frame
went out at.  When the signal drops below `roam:rssi` or the rate below
`roam:rate` it looks for a better AP of its ESS (the same SSID): from the
scan cache if a scan is at most ROAM_SCAN_VALID_NS old, else after a
background scan of the AP's band (one channel at a time, back on the BSS
channel for ROAM_HOME_NS in between, as FreeBSD's bgscan; the driver holds
our data frames while the radio is away, and the AP holds its frames for us:
the station dozes for each trip off the channel, net80211.power).  An AP at least ROAM_MIN_GAIN_DB
stronger than the current one gets a reassociation (a deauthentication to
the AP being left, then open authentication and a Reassociation Request
naming it); otherwise the station stays.  `roaming manual` never leaves an AP on its own (a beacon
miss still sends it back to SCAN).

FreeBSD's thresholds are "rssi 7, rate 5 Mb/s" for an 11g BSS (its RSSI is
in dB above the noise floor); here signals are in dBm, so the default is
7 dB above the modeled medium's -91 dBm noise floor: -84 dBm.

The state is a `RoamState` at `vap.sta.roam` (the station's per-mode
state); the station mode calls `on_state`, `on_beacon` and `on_tx_done`.
What happened (associations, handovers and their gaps) is in
`roam_summary(vap)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ic import MS, SEC, Channel, InvalidArgument, OpMode, State, TxStatus, mac_str
from net80211 import beacon_filter
from net80211.bss import claim_channel, scan_channels
from net80211.output import send_mgmt
from net80211.scan import Scanner, ScanResult
from net80211.wire.capture import rate_500k
from net80211.wire.mgmt import Deauth, ReasonCode

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

ROAMING_MODES = ("auto", "manual")
NOISE_FLOOR_DBM = -91.0  # the modeled medium's default noise floor
ROAM_RSSI_DBM = NOISE_FLOOR_DBM + 7.0  # FreeBSD's ROAM_RSSI_11B_DEFAULT: 14 half-dB above the noise
ROAM_RATE_500K = 2 * 5  # FreeBSD's ROAM_RATE_11B_DEFAULT (an 11g BSS): 5 Mb/s
RSSI_LPF_LEN = 10  # FreeBSD's IEEE80211_RSSI_LPF_LEN: avg = (avg * 9 + new) / 10
ROAM_SCAN_VALID_NS = 2 * SEC  # scan results this fresh decide without scanning again
ROAM_MIN_GAIN_DB = 3.0  # a new AP must be this much stronger than the current one
ROAM_HOME_NS = 100 * MS  # a background scan comes back to the BSS channel this long after each channel
MAX_RECORDS = 256  # associations and handovers kept for the report


@dataclass(slots=True, eq=False)
class RoamState:
    """A station's roaming settings and what it saw (`vap.sta.roam`)."""

    mode: str = "auto"
    rssi_dbm: float = ROAM_RSSI_DBM  # roam:rssi
    rate_500k: int = ROAM_RATE_500K  # roam:rate, in 500 kb/s units as FreeBSD's
    avg_rssi: float | None = None  # our AP's beacons, low-pass filtered
    txrate: int = 0  # 500 kb/s of the last acknowledged data frame to the AP (0: none yet)
    last_scan_ns: int | None = None  # when the last background scan started
    scanning: bool = False  # a background scan of ours is running
    prev_bssid: bytes | None = None  # the AP a reassociation leaves (ReassocReq's current AP)
    left_ns: int | None = None  # when the station last left RUN
    left_bssid: bytes | None = None  # the AP it left then
    scans: int = 0  # background scans started
    roams: int = 0  # reassociations started by the roaming check
    associations: list[dict[str, Any]] = field(default_factory=list)
    handovers: list[dict[str, Any]] = field(default_factory=list)


def _state(vap: IEEE80211Vap) -> RoamState | None:
    st = vap.sta
    return None if st is None else st.roam


def configure_roaming(vap: IEEE80211Vap, *, mode: str | None = None, rssi_dbm: float | None = None,
                      rate_mbps: float | None = None) -> None:
    """`ifconfig wlan0 roaming auto|manual roam:rssi DBM roam:rate MBPS` for a station vap."""
    r = _state(vap)
    if r is None or vap.opmode is not OpMode.STA:
        raise InvalidArgument(f"{vap.name}: roaming is a station's setting, not a {vap.opmode.word} vap's")
    if mode is not None and mode not in ROAMING_MODES:
        raise InvalidArgument(f"{vap.name}: roaming must be {' or '.join(ROAMING_MODES)}, not {mode!r}")
    if rssi_dbm is not None and not -120.0 <= rssi_dbm <= 0.0:
        raise InvalidArgument(f"{vap.name}: roam:rssi must be within -120..0 dBm, not {rssi_dbm!r}")
    if rate_mbps is not None and not 0.0 <= rate_mbps <= 1000.0:
        raise InvalidArgument(f"{vap.name}: roam:rate must be within 0..1000 Mb/s, not {rate_mbps!r}")
    if mode is not None:
        r.mode = mode
    if rssi_dbm is not None:
        r.rssi_dbm = float(rssi_dbm)
    if rate_mbps is not None:
        r.rate_500k = round(rate_mbps * 2)
    st = vap.sta
    if st is not None:  # new thresholds: every beacon again until one shows where they leave us
        beacon_filter.want_all(vap, st.bf, True)
    if r.mode == "manual" and r.scanning:
        Scanner.of(vap.ic).cancel(vap)
        r.scanning = False


# -- hooks of the station mode ------------------------------------------------------
def on_state(vap: IEEE80211Vap, ostate: State, nstate: State) -> None:
    """The station changes state (called before the mode acts on it)."""
    r = _state(vap)
    if r is None:
        return
    now = vap.ic.sched.now_ns
    if r.scanning and nstate != State.RUN:
        Scanner.of(vap.ic).cancel(vap)
        r.scanning = False
    if nstate == State.INIT:
        r.left_ns = r.left_bssid = r.prev_bssid = None  # taken down: not a handover
        return
    if ostate == State.RUN and nstate != State.RUN and r.left_ns is None:
        r.left_ns, r.left_bssid = now, vap.bssid  # beacon miss, deauthentication, ...
    if nstate == State.RUN and ostate != State.RUN:
        bssid = vap.bssid
        if len(r.associations) < MAX_RECORDS:
            r.associations.append({"at_s": now / SEC, "bssid": mac_str(bssid) if bssid else None})
        if r.left_ns is not None and r.left_bssid is not None and len(r.handovers) < MAX_RECORDS:
            r.handovers.append({
                "at_s": now / SEC, "from": mac_str(r.left_bssid), "to": mac_str(bssid) if bssid else None,
                "gap_ms": round((now - r.left_ns) / MS, 3),
                "reason": "roam" if r.prev_bssid is not None else "lost"})
        r.left_ns = r.left_bssid = r.prev_bssid = None
        r.avg_rssi = None
        r.txrate = 0


def on_beacon(vap: IEEE80211Vap, signal: int) -> None:
    """A beacon of our AP while running: smooth its signal, then check."""
    r = _state(vap)
    if r is None or vap.state != State.RUN:
        return
    r.avg_rssi = float(signal) if r.avg_rssi is None else \
        (r.avg_rssi * (RSSI_LPF_LEN - 1) + signal) / RSSI_LPF_LEN
    roam_check(vap)


def beacons_matter(vap: IEEE80211Vap, signal: int) -> bool:
    """Whether more beacons of our AP at `signal` could make roaming act: the
    average on the weak side of roam:rssi or heading there, the AP slow, a
    background scan of ours running.  When not, the device's beacon filter
    may keep them back: they only move the average (`on_beacons_kept`)."""
    r = _state(vap)
    if r is None or vap.opmode is not OpMode.STA or vap.state != State.RUN:
        return False
    if r.mode != "auto" or vap.des_bssid is not None:
        return False
    if r.avg_rssi is None:
        return True
    return r.scanning or r.avg_rssi < r.rssi_dbm or signal < r.rssi_dbm or 0 < r.txrate < r.rate_500k


def on_beacons_kept(vap: IEEE80211Vap, signal: int, n: int) -> None:
    """`n` beacons of our AP at `signal` that the device's filter kept back
    (`beacons_matter` was False): the average takes them in order, the same
    doubles as `on_beacon` would give, and roaming had nothing to do."""
    r = _state(vap)
    if r is None or vap.state != State.RUN:
        return
    avg = r.avg_rssi
    for _ in range(n):
        avg = float(signal) if avg is None else (avg * (RSSI_LPF_LEN - 1) + signal) / RSSI_LPF_LEN
    r.avg_rssi = avg


def on_tx_done(vap: IEEE80211Vap, status: TxStatus) -> None:
    """A data frame to our AP is done: remember the rate that got it through."""
    r = _state(vap)
    if r is None or not status.acked or not status.rates:
        return
    chan = vap.ic.curchan
    rate = rate_500k(chan.freq, status.rates[-1][0]) if chan is not None else None
    if rate is not None:
        r.txrate = rate


# -- the check (sta_roam_check) ---------------------------------------------------------
def roam_check(vap: IEEE80211Vap) -> bool:
    """Look for a better AP if the current one fell below the thresholds;
    True if a reassociation or a background scan started."""
    r = _state(vap)
    if (r is None or r.mode != "auto" or vap.opmode is not OpMode.STA or vap.state != State.RUN
            or vap.nstates or r.scanning or vap.des_bssid is not None or r.avg_rssi is None):
        return False
    weak = r.avg_rssi < r.rssi_dbm
    slow = 0 < r.txrate < r.rate_500k
    if not (weak or slow):
        return False
    now = vap.ic.sched.now_ns
    sc = Scanner.of(vap.ic)
    if r.last_scan_ns is not None and now - r.last_scan_ns < ROAM_SCAN_VALID_NS:
        fresh = [e for e in sc.cache.values() if e.last_seen_ns >= r.last_scan_ns]
        return _decide(vap, fresh)
    if sc.active:
        return False  # another vap of the device scans: look again at the next beacon
    r.last_scan_ns = now
    if not sc.start(vap, _band(vap), lambda res: _scan_done(vap, res), home_ns=ROAM_HOME_NS):
        return False
    r.scanning = True
    r.scans += 1
    return True


def _band(vap: IEEE80211Vap) -> list[Channel]:
    """The channels a roaming scan visits: the station's, or those of the
    band its AP is on (an 11g station roams among 2.4 GHz APs)."""
    chans = scan_channels(vap)
    cur = vap.bss_chan
    if cur is None or len(chans) <= 1:
        return chans
    five = cur.freq > 4000
    return [c for c in chans if (c.freq > 4000) == five] or chans


def _scan_done(vap: IEEE80211Vap, results: list[ScanResult]) -> None:
    r = _state(vap)
    if r is None:
        return
    r.scanning = False
    if vap.state == State.RUN and not vap.nstates:
        _decide(vap, results)


def _decide(vap: IEEE80211Vap, results: list[ScanResult]) -> bool:
    """Reassociate to the strongest AP of our ESS if it beats ours by the margin."""
    r = _state(vap)
    assert r is not None and r.avg_rssi is not None
    ssid = vap.ssid or (vap.bss.ssid if vap.bss is not None else b"")
    # The mode's own choice (its channel, and no AP that refused us lately)
    # among the other APs of our ESS.
    mode: Any = vap.mode
    best = mode.select_bss(vap, [e for e in results if e.ssid == ssid and e.bssid != vap.bssid])
    if best is None or best.rssi < r.avg_rssi + ROAM_MIN_GAIN_DB:
        return False
    roam_to(vap, best)
    return True


def roam_to(vap: IEEE80211Vap, target: ScanResult) -> None:
    """Leave the current AP for `target` (`ieee80211_sta_join` from RUN):
    authenticate, then reassociate naming the AP left."""
    r = _state(vap)
    assert r is not None
    mode: Any = vap.mode
    old = vap.bssid
    r.prev_bssid = r.left_bssid = old
    r.left_ns = vap.ic.sched.now_ns
    r.roams += 1
    if old is not None:
        # Tell the AP we leave, on its channel, as mac80211 does ("disconnect
        # from AP for new auth"); FreeBSD lets the AP time the station out.
        send_mgmt(vap, old, Deauth(ReasonCode.AUTH_LEAVE))
    mode._forget_bss(vap)
    if target.channel != vap.des_chan and not claim_channel(vap, target.channel):
        return
    vap.bss = target
    vap.bssid = target.bssid
    if vap.rsn is not None:
        vap.rsn.choose(target)  # its RSN element: SAE or PSK, the ciphers, what msg 3/4 must repeat
    vap.ic.set_curchan(target.channel)
    vap.new_state(State.AUTH, 0, internal=True)


def roam_summary(vap: IEEE80211Vap) -> dict[str, Any] | None:
    """What the roaming of a station did, for reports; None for other vaps."""
    r = _state(vap)
    if r is None or vap.opmode is not OpMode.STA:
        return None
    vap.mode.refresh(vap)  # beacons the radio kept back move the average too
    gaps = [h["gap_ms"] for h in r.handovers]
    return {"mode": r.mode, "rssi_dbm": r.rssi_dbm, "rate_mbps": r.rate_500k / 2,
            "avg_rssi": None if r.avg_rssi is None else round(r.avg_rssi, 2),
            "background_scans": r.scans, "roams": r.roams,
            "associations": list(r.associations), "handovers": list(r.handovers),
            "max_gap_ms": max(gaps) if gaps else None}
