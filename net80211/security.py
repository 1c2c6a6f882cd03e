"""RSN on a vap: the bridge between the sans-IO security layers
(`net80211.rsn`, `net80211.crypto`) and a vap's frames, timers and nodes.

A protected vap owns a `VapRsn` at `vap.rsn` (its configuration, its
`KeyTable` of group keys, the BSS's `GroupKeys` on an AP, the station's
connection state and failure on a STA, the counters); each peer it
protects traffic with owns a `NodeRsn` at `node.rsn` (the pairwise key,
the 4-way handshake machine of that peer, an SAE instance, its timer).
An open vap has `vap.rsn = None` and none of this runs.

The modes call in at the points FreeBSD's net80211 hands over to
hostapd/wpa_supplicant: authentication (SAE), (re)association (the RSN
element, negotiation, the status code), entering RUN (the 4-way
handshake), a station leaving (GTK rekey), a deauthentication (the
supplicant's failure and back-off).  The data path calls `protect` from
`output.send_data`, `protect_mgmt` from `output.send_mgmt_raw`, and
`rx_data` / `rx_mgmt` from `Mode.recv`, all through `vap.rsn`.

Everything runs in virtual time on the device's scheduler; randomness
(nonces, GTKs, SAE scalars) comes from the device's seeded `ic.rng`, so
the same seed gives the same run, keys included.
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ic import Callout, InvalidArgument, OpMode
from net80211.crypto import datapath
from net80211.crypto.keys import Key, KeyTable, NodeKeys
from net80211.node import Node, NodeTable
from net80211.output import FROM_DS, TO_DS, data_body, data_frame, send_mgmt, send_mgmt_raw
from net80211.rsn.actions import (
    Action,
    CancelTimer,
    Completed,
    Failed,
    InstallGtk,
    InstallIgtk,
    InstallPtk,
    SendEapol,
    SetTimer,
)
from net80211.rsn.authenticator import AuthConfig, Authenticator, GroupKeys, PtkState
from net80211.rsn.kdf import pmk_from_passphrase
from net80211.rsn.pmksa import Pmksa, PmksaCache
from net80211.rsn.policy import ApPolicy, Mfp, Refusal, Selection, StaPolicy
from net80211.rsn.sae import (
    GROUP_P256,
    STATUS_ANTI_CLOGGING_TOKEN_REQUIRED,
    TOKEN_CONTAINER_EXT,
    Sae,
    SaeAccepted,
    SaeState,
    SendSae,
    split_token,
)
from net80211.rsn.supplicant import Supplicant, SuppState
from net80211.wire.ie import RSN, Element, ElementID, IEList, Unknown
from net80211.wire.mgmt import Auth, ReasonCode, StatusCode
from net80211.wire.rsn import AKM, Cipher, RSNInfo, suite_name

if TYPE_CHECKING:
    from net80211.scan import ScanResult
    from net80211.vap import IEEE80211Vap

__all__ = ["SECURITY_WORDS", "PMF_WORDS", "SecurityConfig", "VapRsn", "NodeRsn", "security_config",
           "auth_failure_backoff_s", "EAPOL_SNAP", "apply_security", "RsnHooks", "provisioning",
           "network_psk"]

SECURITY_WORDS = ("open", "wpa2-psk", "wpa3-sae", "wpa2-wpa3")
PMF_WORDS = ("disabled", "optional", "required")
# sae_pwe as hostapd and wpa_supplicant take it: 0 hunting and pecking only,
# 1 hash-to-element only, 2 both.  Both default to 0 (hostapd moves to 2 on
# 6 GHz and with password identifiers; neither applies here).
SAE_PWE_VALUES = (0, 1, 2)
SAE_PWE_DEFAULT = 0
RSNXE_SAE_H2E = 0x20  # RSNXE octet 0: bit 5, SAE hash-to-element (field length 0 in bits 0-3)
EAPOL_SNAP = b"\xaa\xaa\x03\x00\x00\x00\x88\x8e"
PROTECTED_FLAG = 0x40  # the Protected Frame bit in the frame-control flags byte
GROUP_REKEY_S = 86400  # hostapd's wpa_group_rekey default (CCMP)
SAE_ANTI_CLOGGING_THRESHOLD = 5  # hostapd's sae_anti_clogging_threshold
SAE_TOKEN_LEN = 32
_ALG_SAE = 3
_STATUS_SAE_H2E = 126
# EAPOL frames go at the highest basic rate of our BSSes (24 Mb/s, 500 kb/s
# units): every station takes it, and at the 6 Mb/s of management frames
# the handshakes of a crowded channel collide three times as long.
EAPOL_RATE = 48
# wpa_supplicant: the 4-way handshake must be done this long after association
AUTH_TIMEOUT_NS = 10 * 1_000_000_000
_SUB_DISASSOC, _SUB_DEAUTH, _SUB_ACTION = 10, 12, 13
_CAT_SA_QUERY = 8
# SAE on a vap waits for its peer as mac80211 does for a station
# (IEEE80211_AUTH_TIMEOUT_SAE 2 s, IEEE80211_AUTH_MAX_TRIES 3 transmissions);
# hostapd's AP does not retransmit at all.  The core's 40 ms x 5 (mesh
# peers' dot11RSNASAERetransPeriod) gives up in 240 ms: before a real AP
# on a loaded host has answered the first commit.
SAE_RETRANS_MS = 2000
SAE_SYNC_MAX = 2
SA_QUERY_RETRY_NS = 201_000_000  # wpa_supplicant's sa_query_retry_timeout (201 TU-ish ms)
SA_QUERY_MAX_TIMEOUT_NS = 1_000_000_000  # and its sa_query_max_timeout
# an AP's SA Query to an MFP station that asks to associate again (hostapd's
# assoc_sa_query_retry_timeout and assoc_sa_query_max_timeout, in TU)
AP_SA_QUERY_RETRY_TU = 201
AP_SA_QUERY_MAX_TIMEOUT_TU = 1000
_TU_NS = 1_024_000
EARLY_EAPOL_NS = 200_000_000  # how old a held early EAPOL frame may be (wpa_supplicant's 200 ms)


def auth_failure_backoff_s(failures: int) -> int:
    """How long wpa_supplicant keeps a network aside after `failures`
    authentication failures in a row (wpas_auth_failed:
    10, 20, 30, 60 ... 300 s)."""
    if failures > 50:
        return 300
    if failures > 10:
        return 120
    if failures > 5:
        return 90
    if failures > 3:
        return 60
    if failures > 2:
        return 30
    if failures > 1:
        return 20
    return 10


@lru_cache(maxsize=256)
def _psk_pmk(passphrase: bytes, ssid: bytes) -> bytes:
    # PBKDF2 with 4096 rounds: the same network's PMK is derived once per
    # process, as wpa_supplicant keeps it in its network block.
    return pmk_from_passphrase(passphrase, ssid)


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    """What a vap is configured with: `security` one of SECURITY_WORDS
    (not "open"), the passphrase, the PMF policy, the GTK rekey interval."""

    security: str
    passphrase: bytes
    pmf: Mfp
    group_rekey_s: int | None = GROUP_REKEY_S
    pmf_given: bool = True  # False: the default, which a wpa2-psk station reads as optional
    raw_psk: bytes | None = None  # wpa2-psk given as 64 hexadecimal digits (wpa_supplicant's psk=)
    sae_pwe: int = SAE_PWE_DEFAULT  # SAE's password element method (SAE_PWE_VALUES)
    ptk_rekey_s: int | None = None  # a new PTK every so many seconds (hostapd's wpa_ptk_rekey)

    def pmk(self, ssid: bytes) -> bytes:
        """The PSK AKM's PMK: the PSK given, else PBKDF2 of the passphrase and SSID."""
        return self.raw_psk if self.raw_psk is not None else _psk_pmk(self.passphrase, ssid)

    @property
    def sae(self) -> bool:
        return self.security in ("wpa3-sae", "wpa2-wpa3")

    @property
    def psk(self) -> bool:
        return self.security in ("wpa2-psk", "wpa2-wpa3")

    @property
    def rsnxe(self) -> Element | None:
        """Our RSN Extension element: the SAE H2E bit when hash-to-element
        is enabled (an AP's Beacons, a station's request with the SAE AKM)."""
        return Unknown(ElementID.RSNXE, bytes((RSNXE_SAE_H2E,))) if self.sae and self.sae_pwe else None

    def ap_policy(self) -> ApPolicy:
        akms: tuple[int, ...] = {"wpa2-psk": (AKM.PSK,), "wpa3-sae": (AKM.SAE,),
                                 "wpa2-wpa3": (AKM.PSK, AKM.SAE)}[self.security]
        return ApPolicy(akms=akms, pairwise=(Cipher.CCMP_128,), group=Cipher.CCMP_128, mfp=self.pmf)

    def sta_policy(self) -> StaPolicy:
        akms: tuple[int, ...] = {"wpa2-psk": (AKM.PSK, AKM.PSK_SHA256), "wpa3-sae": (AKM.SAE,),
                                 "wpa2-wpa3": (AKM.SAE, AKM.PSK, AKM.PSK_SHA256)}[self.security]
        # A station by default takes PMF where the AP offers it (as phones and
        # laptops do), so it joins an AP that requires it; an AP's default
        # for wpa2-psk is hostapd's (ieee80211w=0).
        mfp = Mfp.OPTIONAL if not self.pmf_given and self.pmf == Mfp.DISABLED else self.pmf
        return StaPolicy(akms=akms, mfp=mfp)


def security_config(name: str, security: str | None, passphrase: str | bytes | None, pmf: str | None,
                    group_rekey_s: int | None = GROUP_REKEY_S, sae_pwe: int | None = None,
                    ptk_rekey_s: int | None = None) -> SecurityConfig | None:
    """Check the words a user gave (InvalidArgument naming the bad one);
    None for an open vap."""
    security = "open" if security is None else security
    if security not in SECURITY_WORDS:
        raise InvalidArgument(f"{name}: security must be one of {', '.join(SECURITY_WORDS)}, "
                              f"not {security!r}")
    if pmf is not None and pmf not in PMF_WORDS:
        raise InvalidArgument(f"{name}: pmf must be one of {', '.join(PMF_WORDS)}, not {pmf!r}")
    if security == "open":
        if passphrase is not None:
            raise InvalidArgument(f"{name}: passphrase given for an open vap (set security)")
        if pmf is not None:
            raise InvalidArgument(f"{name}: pmf given for an open vap (set security)")
        if sae_pwe is not None or ptk_rekey_s:
            raise InvalidArgument(f"{name}: {'sae_pwe' if sae_pwe is not None else 'ptk_rekey'} given for an "
                                  "open vap (set security)")
        return None
    if passphrase is None:
        raise InvalidArgument(f"{name}: security {security} needs a passphrase")
    pw = passphrase.encode() if isinstance(passphrase, str) else bytes(passphrase)
    psk = None
    if security == "wpa2-psk" and len(pw) == 64 and all(c in b"0123456789abcdefABCDEF" for c in pw):
        psk = bytes.fromhex(pw.decode())  # a PSK, not a passphrase (what a P2P client gets by WPS)
    elif security in ("wpa2-psk", "wpa2-wpa3") and not (8 <= len(pw) <= 63
                                                        and all(32 <= b < 127 for b in pw)):
        raise InvalidArgument(f"{name}: passphrase must be 8..63 printable ASCII characters for {security}")
    if not pw or len(pw) > 255:
        raise InvalidArgument(f"{name}: passphrase must be 1..255 bytes")
    default = {"wpa2-psk": Mfp.DISABLED, "wpa3-sae": Mfp.REQUIRED, "wpa2-wpa3": Mfp.OPTIONAL}[security]
    mfp = default if pmf is None else Mfp[pmf.upper()]
    if security == "wpa3-sae" and mfp != Mfp.REQUIRED:
        raise InvalidArgument(f"{name}: pmf must be required for wpa3-sae (WPA3-Personal mandates it)")
    if security == "wpa2-wpa3" and mfp == Mfp.DISABLED:
        raise InvalidArgument(f"{name}: pmf must be optional or required for wpa2-wpa3")
    if group_rekey_s is not None and (not isinstance(group_rekey_s, int) or group_rekey_s < 0):
        raise InvalidArgument(f"{name}: group_rekey must be a number of seconds (0: never)")
    if ptk_rekey_s is not None and (not isinstance(ptk_rekey_s, int) or isinstance(ptk_rekey_s, bool)
                                    or ptk_rekey_s < 0):
        raise InvalidArgument(f"{name}: ptk_rekey must be a number of seconds (0: never)")
    if sae_pwe is not None:
        if sae_pwe not in SAE_PWE_VALUES or isinstance(sae_pwe, bool):
            raise InvalidArgument(f"{name}: sae_pwe must be 0 (hunting and pecking), 1 (hash-to-element) "
                                  f"or 2 (both), not {sae_pwe!r}")
        if security == "wpa2-psk":
            raise InvalidArgument(f"{name}: sae_pwe given for wpa2-psk (SAE is wpa3-sae, wpa2-wpa3)")
    return SecurityConfig(security, pw, mfp, group_rekey_s or None, pmf is not None, psk,
                          SAE_PWE_DEFAULT if sae_pwe is None else sae_pwe, ptk_rekey_s or None)


class RsnHooks(Protocol):
    """What a protocol riding on a protected vap (WPS provisioning in a
    Wi-Fi Direct group, net80211.p2p.provision) is told and asked, through
    `VapRsn.hooks`.  A station provisioning by WPS (`enrollee`) associates
    without an RSN element and runs EAP instead of the 4-way handshake; an
    AP takes such associations when `wps_assoc` says so."""

    @property
    def enrollee(self) -> bool: ...

    def wps_assoc(self, node: Node, ies: IEList) -> bool: ...

    def wps_start(self, node: Node, request_waiting: bool = False) -> None: ...

    def wps_eapol(self, node: Node, pdu: bytes) -> None: ...

    def wps_left(self, node: Node) -> None: ...

    def keyed(self, node: Node) -> None: ...

    def elements(self, probe_resp: bool = False) -> list[Element]: ...


@lru_cache(maxsize=1024)
def _sta_select(policy: StaPolicy, body: bytes) -> tuple[Selection, RSNInfo] | None:
    # every station of a world reads the same few RSN elements at each scan
    return policy.select(body)


@lru_cache(maxsize=1024)
def _ap_negotiate(policy: ApPolicy, body: bytes) -> Selection | Refusal:
    # and the APs of a world get the same few RSN elements from their stations
    return policy.negotiate(body)


def _element(body: bytes) -> bytes:
    return bytes((48, len(body))) + body


def _rsn_body(ies: Any) -> bytes | None:
    if ies is None:
        return None
    el = ies.get(RSN)
    return None if el is None else bytes(el.data)


def _rsnxe(ies: Any) -> bytes:
    """The RSN Extension element in `ies`, whole (b"" without one)."""
    for e in ies or ():
        if e.eid == ElementID.RSNXE:
            return e.to_bytes()
    return b""


def _h2e(rsnxe: bytes) -> bool:
    return len(rsnxe) > 2 and bool(rsnxe[2] & RSNXE_SAE_H2E)


class Target(NamedTuple):
    """The BSS a station joins: its RSNE body, the selection, our RSNE body,
    its RSNXE (whole, b"" without one), whether SAE uses hash-to-element,
    the cached PMKSA used instead of SAE (our RSNE then names its PMKID)."""

    ap_body: bytes
    sel: Selection
    ours: bytes
    ap_rsnxe: bytes
    h2e: bool
    pmksa: Pmksa | None = None


class NodeRsn:
    """A peer's RSN state (`node.rsn`): its pairwise key, its handshake
    machine (an `Authenticator` on an AP, a `Supplicant` on a STA), an SAE
    instance while SAE runs, the one timer both use."""

    __slots__ = ("keys", "timer", "sel", "auth", "supp", "sae", "pmk", "pmkid", "port_open", "sta_rsne",
                 "sta_rsnxe", "peer_keyed", "sa_query", "wps")

    def __init__(self, timer: Callout) -> None:
        self.keys = NodeKeys()
        self.timer = timer
        self.sel: Selection | None = None
        self.auth: Authenticator | None = None
        self.supp: Supplicant | None = None
        self.sae: Sae | None = None
        self.pmk: bytes | None = None  # SAE's, for the association that follows
        self.pmkid: bytes | None = None
        self.port_open = False  # 4-way handshake done: data flows
        self.sta_rsne: bytes | None = None
        self.sta_rsnxe = b""  # the station's RSN Extension element (an AP's view), whole
        # the peer is known to hold our pairwise key: EAPOL frames go
        # encrypted only then (a msg 4/4 answering a retransmitted msg 3/4
        # must stay readable by an AP that has not installed the key yet)
        self.peer_keyed = False
        # an SA Query in progress (a station's after an unprotected
        # deauthentication, an AP's after a new association request):
        # (transaction id, when it gives up)
        self.sa_query: tuple[bytes, int] | None = None
        # associated for WPS provisioning: EAP-WSC instead of the 4-way handshake
        self.wps = False

    def close(self) -> None:
        self.timer.stop()

    @property
    def handshake(self) -> str:
        if self.auth is not None:
            return self.auth.state.value
        if self.supp is not None:
            return self.supp.state.value
        if self.sae is not None:
            return f"sae-{self.sae.state.value}"
        return "wps" if self.wps else "none"

    def summary(self) -> dict[str, Any]:
        sel = self.sel
        out: dict[str, Any] = {"handshake": self.handshake, "ptk": self.keys.pairwise is not None,
                               "port_open": self.port_open, "mfp": self.keys.mfp}
        if sel is not None:
            out.update(akm=suite_name(sel.akm, akm=True), pairwise=suite_name(sel.pairwise))
        if self.auth is not None and self.auth.drops:
            out["eapol_drops"] = dict(self.auth.drops)
        if self.supp is not None and self.supp.drops:
            out["eapol_drops"] = dict(self.supp.drops)
        if self.keys.pairwise is not None:
            out["tx_pn"] = self.keys.pairwise.tx_pn
        return out


class VapRsn:
    """A protected vap's RSN state (`vap.rsn`)."""

    __slots__ = ("vap", "cfg", "table", "ap_policy", "sta_policy", "ie_body", "group", "rekey_timer",
                 "handshakes", "failures", "group_rekeys", "last_failure", "state", "auth_failures",
                 "target", "sae_drops", "sae_token_key", "anti_clogging_threshold", "counters",
                 "group_pending", "hooks", "early_eapol", "sta_policy_no_sae", "pmksa")

    def __init__(self, vap: IEEE80211Vap, cfg: SecurityConfig) -> None:
        self.vap = vap
        self.cfg = cfg
        self.table = KeyTable()
        self.ap_policy = cfg.ap_policy()
        self.sta_policy = cfg.sta_policy()
        # an H2E-only station (sae_pwe 1) does not take SAE from an AP that
        # does not advertise H2E: that AP's PSK side, if any, only
        self.sta_policy_no_sae = StaPolicy(akms=tuple(a for a in self.sta_policy.akms if a != AKM.SAE),
                                           mfp=self.sta_policy.mfp)
        ap = self.is_ap
        self.ie_body: bytes | None = self.ap_policy.rsne().body() if ap else None
        self.group: GroupKeys | None = None
        self.rekey_timer = Callout(vap.ic.sched)
        self.handshakes = 0
        self.failures = 0
        self.group_rekeys = 0
        self.last_failure: tuple[int, str] | None = None
        # a STA's connection, as wpa_supplicant's wpa_state
        self.state = "disconnected"
        self.auth_failures = 0  # in a row: the back-off grows with them
        # a STA: the BSS being joined
        self.target: Target | None = None
        self.sae_drops: Counter[str] = Counter()
        self.sae_token_key = vap.ic.rng.randbytes(32)
        self.anti_clogging_threshold = SAE_ANTI_CLOGGING_THRESHOLD
        self.counters: Counter[str] = Counter()  # refusals, deauths, ...
        # an AP's GTK rekey in progress: the stations still to confirm the new
        # keys, which become the transmit keys when none is left (hostapd's
        # SETKEYS -> SETKEYSDONE); None when no rekey is pending
        self.group_pending: set[bytes] | None = None
        self.hooks: RsnHooks | None = None  # WPS in a P2P group (net80211.p2p.provision)
        # PMKSAs with our peers (SAE's): hostapd keeps 1024, wpa_supplicant 32
        self.pmksa = PmksaCache(max_entries=1024 if ap else 32)
        # a STA: the last EAPOL frame that came before the association was
        # complete (the AP's msg 1/4 can overtake our own move to RUN), with
        # its sender and time, as wpa_supplicant's pending_eapol_rx
        self.early_eapol: tuple[bytes, bytes, int] | None = None

    @property
    def enrollee(self) -> bool:
        """A station provisioning by WPS: no RSN element, EAP-WSC."""
        return self.hooks is not None and self.hooks.enrollee

    @property
    def is_ap(self) -> bool:
        return self.vap.opmode in (OpMode.HOSTAP, OpMode.P2P_GO)

    @property
    def stats(self) -> Any:
        return self.table.stats

    def _random(self, n: int) -> bytes:
        return self.vap.ic.rng.randbytes(n)

    def close(self) -> None:
        self.rekey_timer.stop()

    def _node_rsn(self, node: Node) -> NodeRsn:
        nr = node.rsn
        if nr is None:
            nr = node.rsn = NodeRsn(Callout(self.vap.ic.sched))
        return nr

    # -- description ----------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        cfg = self.cfg
        table = self.table
        gtk = table.group_tx_key() if self.is_ap else next(
            (k for k in (table.get(i) for i in range(4)) if k is not None), None)
        igtk = table.igtk_tx_key() if self.is_ap else next(
            (k for k in (table.get(i) for i in (4, 5)) if k is not None), None)
        out: dict[str, Any] = {
            "security": cfg.security,
            "pmf": (self.ap_policy.mfp if self.is_ap else self.sta_policy.mfp).name.lower(),
            "group_cipher": suite_name(self.ap_policy.group) if self.is_ap else None,
            "gtk_keyid": gtk.keyix if gtk is not None else None,
            "igtk_keyid": igtk.keyix if igtk is not None else None,
            "handshakes": self.handshakes, "failures": self.failures, "group_rekeys": self.group_rekeys,
            "ptk_rekey": cfg.ptk_rekey_s or 0,
            "crypto": {k: getattr(table.stats, k) for k in table.stats.__slots__},
        }
        if cfg.sae:
            out["sae_pwe"] = cfg.sae_pwe
            out["pmksa"] = len(self.pmksa)
        if self.is_ap:
            out["akms"] = [suite_name(a, akm=True) for a in self.ap_policy.akms]
            out["pairwise_ciphers"] = [suite_name(c) for c in self.ap_policy.pairwise]
        else:
            out["state"] = self.state
            node = self.vap.sta.bss_node if self.vap.sta is not None else None
            nr = node.rsn if node is not None else None
            if nr is not None and nr.sel is not None:
                sel = nr.sel
                out.update(akm=suite_name(sel.akm, akm=True), pairwise_cipher=suite_name(sel.pairwise),
                           group_cipher=suite_name(sel.group), mfp=sel.mfp,
                           group_mgmt_cipher=suite_name(sel.group_mgmt) if sel.group_mgmt else None,
                           ptk=nr.keys.pairwise is not None)
                if sel.akm == AKM.SAE and self.target is not None:
                    out["sae_h2e"] = self.target.h2e
                if nr.supp is not None and nr.supp.drops:
                    out["eapol_drops"] = dict(nr.supp.drops)
            out["auth_failures"] = self.auth_failures
        if self.last_failure is not None:
            out["last_failure"] = {"reason": self.last_failure[0], "why": self.last_failure[1]}
        if self.counters:
            out["counters"] = dict(self.counters)
        if self.sae_drops:
            out["sae_drops"] = dict(self.sae_drops)
        return out

    # -- actions of the machines -----------------------------------------------------
    def _run(self, node: Node, actions: Iterable[Action]) -> None:
        """Carry out a handshake machine's actions for `node`, in order."""
        nr = node.rsn
        if nr is None:
            return
        sched = self.vap.ic.sched
        for act in actions:
            if isinstance(act, SendEapol):
                self._send_eapol(node, act.frame)
            elif isinstance(act, InstallPtk):
                nr.keys.install(Key(act.cipher, act.tk, act.keyix))
                nr.keys.mfp = nr.sel is not None and nr.sel.mfp
                # the AP installs last (on msg 4/4): the STA has it already
                nr.peer_keyed = self.is_ap
            elif isinstance(act, InstallGtk):
                key = Key(act.cipher, act.key, act.keyid)
                key.set_rsc(act.rsc)
                self.table.install(key, tx=act.tx)
            elif isinstance(act, InstallIgtk):
                key = Key(act.cipher, act.key, act.keyid)
                key.set_rsc(act.ipn)
                self.table.install(key, tx=False)
            elif isinstance(act, SetTimer):
                nr.timer.reset(max(0, act.at_ns - sched.now_ns), self._timer, node)
            elif isinstance(act, CancelTimer):
                nr.timer.stop()
            elif isinstance(act, Completed):
                if act.what == "4way":
                    if nr.port_open:
                        self.counters["ptk_rekeys"] += 1  # a new PTK on a running association
                    nr.port_open = True
                    self.handshakes += 1
                    if not self.is_ap:
                        self.state = "completed"
                        self.auth_failures = 0
                        self.rekey_timer.stop()  # the authentication timeout
                        self._arm_ptk_rekey_request(node)
                    if self.hooks is not None:
                        self.hooks.keyed(node)
                else:
                    self.counters["group_handshakes"] += 1
                    if self.is_ap:
                        self._group_confirmed(node.macaddr)
            elif isinstance(act, Failed):
                self._failed(node, act)
                return

    def _arm_ptk_rekey_request(self, node: Node) -> None:
        """A station with ptk_rekey asks its AP for a new PTK when the PTK
        is that old (wpa_supplicant's wpa_ptk_rekey: an EAPOL-Key request)."""
        if self.cfg.ptk_rekey_s:
            self.rekey_timer.reset(self.cfg.ptk_rekey_s * 1_000_000_000, self._ptk_rekey_request, node)

    def _ptk_rekey_request(self, node: Node) -> None:
        nr = node.rsn
        if nr is None or nr.supp is None or not nr.port_open:
            return
        acts = nr.supp.request_ptk_rekey()
        if acts:
            self.counters["ptk_rekey_requests"] += 1
        self._run(node, acts)
        self._arm_ptk_rekey_request(node)  # again, should the AP not answer

    def _failed(self, node: Node, act: Failed) -> None:
        self.failures += 1
        self.last_failure = (int(act.reason), act.why)
        vap = self.vap
        if self.is_ap:
            # hostapd: the 4-way (or group) handshake gave up: deauthenticate
            self.counters["deauth_handshake"] += 1
            vap.mode.deauth_node(vap, node, int(act.reason))
        else:
            self.state = "failed"
            self.auth_failures += 1
            vap.mode.deauth_node(vap, node, int(act.reason))

    def _timer(self, node: Node) -> None:
        nr = node.rsn
        if nr is None:
            return
        now = self.vap.ic.sched.now_ns
        if nr.sa_query is not None:
            self._sa_query_timer(node)
        elif nr.sae is not None and nr.sae.state in (SaeState.COMMITTED, SaeState.CONFIRMED):
            self._run_sae(node, nr.sae.timer(now))
        elif nr.auth is not None:
            self._run(node, nr.auth.timer(now))

    def send_eapol(self, node: Node, pdu: bytes) -> None:
        """An EAPOL frame of another protocol (EAP-WSC) to the peer."""
        self._send_eapol(node, pdu)

    def _send_eapol(self, node: Node, pdu: bytes) -> None:
        """An EAPOL frame to the peer, at EAPOL_RATE with a TX status: an
        acknowledged first msg 1/4 gives the STA longer to answer (hostapd)."""
        vap = self.vap
        me = vap.macaddr
        assert me is not None
        body = EAPOL_SNAP + pdu
        if self.is_ap:
            frame = data_frame(FROM_DS, node.macaddr, me, me, vap.next_seq(), body)
        else:
            frame = data_frame(TO_DS, node.macaddr, me, node.macaddr, vap.next_seq(), body)
        got = self.protect(frame, node)
        if got is None:
            vap.stats.tx_dropped += 1
            return
        params: dict[str, Any] = {"rate": EAPOL_RATE}
        nr = node.rsn
        auth = nr.auth if nr is not None else None
        if nr is not None and auth is not None and auth.state == PtkState.PTKSTART:
            replay = auth.replay_counter
            this = nr

            def status(_frame: bytes, st: Any) -> None:
                if st.acked and node.rsn is this and auth is this.auth:
                    self._run(node, auth.msg1_acked(replay, vap.ic.sched.now_ns))
            params["on_status"] = status
        if vap.ic.ic_raw_xmit(vap, got, params):
            vap.stats.tx_packets += 1
            vap.stats.tx_bytes += len(got)
            node.tx_packets += 1
            node.tx_bytes += len(got)
        else:
            vap.stats.tx_dropped += 1

    # -- the data path ---------------------------------------------------------------
    def protect(self, frame: bytes, node: Node | None) -> bytes | None:
        """A data frame on its way out: encrypted under the node's pairwise
        key (unicast) or the GTK (group); EAPOL goes in the clear before
        there is a pairwise key.  None: dropped, counted."""
        if frame[4] & 1:
            return datapath.protect(self.table.group_tx_key(), frame, self.table)
        if node is None or node.rsn is None:
            node = NodeTable.of(self.vap.ic).find(self.vap, frame[4:10])
        nr = node.rsn if node is not None else None
        key = nr.keys.pairwise if nr is not None else None
        eapol = frame[24:32] == EAPOL_SNAP
        if key is None or (eapol and nr is not None and not nr.peer_keyed):
            if eapol:
                return frame
            self.table.stats.tx_no_key += 1
            return None
        assert nr is not None
        if not nr.port_open and not eapol:
            self.table.stats.tx_no_key += 1
            return None
        return datapath.protect(key, frame, self.table)

    def rx_data(self, frame: bytes, subtype: int, flags: int, node: Node | None) -> bytes | None:
        """A received data frame: the plaintext to hand to the mode, or None
        (an EAPOL frame taken by the handshake, or a drop, counted)."""
        if subtype & 4:
            return frame  # null data: no body to protect (or to trust)
        nr = node.rsn if node is not None else None
        if nr is None or node is None:
            if flags & PROTECTED_FLAG:
                self.table.stats.drop("no_key")
                return None
            if not self.is_ap and node is not None:
                body = data_body(frame, subtype, flags)
                if body[:8] == EAPOL_SNAP:
                    self._hold_early_eapol(node, body[8:])
                    return None
            return frame  # the mode refuses data from a station that is not associated
        if flags & PROTECTED_FLAG:
            res = datapath.unprotect(frame, self.table, nr.keys, require=True)
            if res.frame is None:
                return None
            frame = res.frame
            if not frame[4] & 1:
                nr.peer_keyed = True  # it sent under the pairwise key: it has it
            body = data_body(frame, subtype, flags)
            if body[:8] == EAPOL_SNAP:
                self._eapol_rx(node, body[8:])
                return None
            if not nr.port_open:
                self.table.stats.drop("unprotected")
                return None
            return frame
        body = data_body(frame, subtype, flags)
        if body[:8] == EAPOL_SNAP:
            self._eapol_rx(node, body[8:])
            return None
        self.table.stats.drop("unprotected")
        return None

    def _eapol_rx(self, node: Node, pdu: bytes) -> None:
        nr = node.rsn
        assert nr is not None
        now = self.vap.ic.sched.now_ns
        self.counters["eapol_rx"] += 1
        if nr.wps:
            if self.hooks is not None:
                self.hooks.wps_eapol(node, pdu)
            return
        if nr.auth is not None:
            self._run(node, nr.auth.receive(pdu, now))
        elif nr.supp is not None:
            acts = nr.supp.receive(pdu, now)
            if acts and not self.is_ap and self.state not in ("completed", "failed"):
                self.state = "4way_handshake"
            self._run(node, acts)
        elif not self.is_ap:
            self._hold_early_eapol(node, pdu)
        else:
            self.counters["eapol_no_handshake"] += 1

    def _hold_early_eapol(self, node: Node, pdu: bytes) -> None:
        """A station's EAPOL frame from before its association was complete:
        kept (the last one only) for `sta_associated`."""
        self.counters["eapol_early"] += 1
        self.early_eapol = (node.macaddr, pdu, self.vap.ic.sched.now_ns)

    def _early_for(self, node: Node) -> bytes | None:
        """The held EAPOL frame, if it came from this AP within
        EARLY_EAPOL_NS (wpa_supplicant's 200 ms); the hold is emptied."""
        early, self.early_eapol = self.early_eapol, None
        if early is not None and early[0] == node.macaddr \
                and self.vap.ic.sched.now_ns - early[2] < EARLY_EAPOL_NS:
            return early[1]
        return None

    def protect_mgmt(self, frame: bytes) -> bytes | None:
        """A management frame on its way out: robust ones (deauth, disassoc,
        robust actions) to a peer with MFP go under its pairwise key, group
        ones get BIP's MME once there is an IGTK."""
        if not datapath.is_robust_mgmt(frame):
            return frame
        if frame[4] & 1:
            if self.table.igtk_tx_key() is None:
                return frame
            return datapath.protect_group_mgmt(self.table, frame)
        node = NodeTable.of(self.vap.ic).find(self.vap, frame[4:10])
        nr = node.rsn if node is not None else None
        if nr is None or not nr.keys.mfp or nr.keys.pairwise is None:
            return frame
        return datapath.protect(nr.keys.pairwise, frame, self.table)

    def rx_mgmt(self, frame: bytes, node: Node | None) -> bytes | None:
        """A received management frame: robust ones checked (and decrypted)
        when management frame protection is in use with the sender.  An
        unprotected deauthentication or disassociation from an MFP peer is
        dropped; a station then asks its AP with an SA Query whether the
        association still stands (12.6.18).  SA Query frames end here."""
        if not datapath.is_robust_mgmt(frame):
            return frame
        nr = node.rsn if node is not None else None
        mfp = nr is not None and nr.keys.mfp and nr.keys.pairwise is not None
        if frame[4] & 1:
            if not (mfp or self.table.igtk_tx_key() is not None):
                return frame
            res = datapath.unprotect(frame, self.table, nr.keys if nr is not None else None)
            return res.frame
        if not mfp:
            if frame[1] & PROTECTED_FLAG:
                self.table.stats.drop("no_key")
                return None
            return frame
        assert nr is not None and node is not None
        got = datapath.unprotect(frame, self.table, nr.keys).frame
        if got is None:
            kind = frame[0] >> 4
            if (not self.is_ap and not frame[1] & PROTECTED_FLAG and kind in (_SUB_DISASSOC, _SUB_DEAUTH)
                    and nr.port_open):
                self._sa_query_start(node)
            return None
        if got[0] >> 4 == _SUB_ACTION and len(got) >= 28 and got[24] == _CAT_SA_QUERY:
            self._sa_query_rx(node, got[25], got[26:28])
            return None
        return got

    # -- SA Query (12.6.18; wpa_supplicant's sme_sa_query, hostapd's ieee802_11_sa_query) --
    def _send_sa_query(self, node: Node, action: int, trans_id: bytes) -> None:
        send_mgmt_raw(self.vap, _SUB_ACTION, node.macaddr, bytes((_CAT_SA_QUERY, action)) + trans_id)

    def _sa_query_start(self, node: Node, retry_ns: int = SA_QUERY_RETRY_NS,
                        max_ns: int = SA_QUERY_MAX_TIMEOUT_NS) -> None:
        nr = node.rsn
        assert nr is not None
        if nr.sa_query is not None:
            return  # one at a time; its retries run
        now = self.vap.ic.sched.now_ns
        trans_id = self._random(2)
        nr.sa_query = (trans_id, now + max_ns)
        self.counters["sa_query_started"] += 1
        self._send_sa_query(node, 0, trans_id)
        nr.timer.reset(retry_ns, self._timer, node)

    def _sa_query_timer(self, node: Node) -> None:
        nr = node.rsn
        assert nr is not None and nr.sa_query is not None
        trans_id, give_up = nr.sa_query
        now = self.vap.ic.sched.now_ns
        if now >= give_up:
            nr.sa_query = None
            self.counters["sa_query_timeout"] += 1
            if self.is_ap:
                # the station does not hold the old association any more (it
                # rebooted, or lost our deauthentication): it goes, the
                # station's next request succeeds
                self.vap.mode.association_lost(self.vap, node)
            else:
                # no protected answer: the AP lost our association (a reboot):
                # the unprotected deauthentication was right, leave
                self.vap.mode.link_lost(self.vap, int(ReasonCode.UNSPECIFIED))
            return
        self._send_sa_query(node, 0, trans_id)
        retry = AP_SA_QUERY_RETRY_TU * _TU_NS if self.is_ap else SA_QUERY_RETRY_NS
        nr.timer.reset(min(retry, give_up - now), self._timer, node)

    def _sa_query_rx(self, node: Node, action: int, trans_id: bytes) -> None:
        nr = node.rsn
        assert nr is not None
        if action == 0:  # a request: the peer checks on us
            self.counters["sa_query_answered"] += 1
            self._send_sa_query(node, 1, trans_id)
        elif action == 1 and nr.sa_query is not None and nr.sa_query[0] == trans_id:
            nr.sa_query = None
            nr.timer.stop()
            # the association stands: the deauthentication (a STA's view) or
            # the association request (an AP's) was not the peer's
            self.counters["sa_query_ok"] += 1
            if nr.auth is not None:
                self._run(node, nr.auth.timer(self.vap.ic.sched.now_ns))  # its own timer again
        else:
            self.counters["sa_query_unexpected"] += 1

    # -- the AP side ------------------------------------------------------------------
    def bss_started(self) -> None:
        """The BSS runs: fresh group keys, installed for transmit; the rekey timer."""
        now = self.vap.ic.sched.now_ns
        pol = self.ap_policy
        self.group = GroupKeys(pol.group, pol.group_mgmt if pol.mfp != Mfp.DISABLED else None, now_ns=now,
                               rekey_s=self.cfg.group_rekey_s, random=self._random)
        self.table = KeyTable(stats=self.table.stats)
        self._install_group()
        self._arm_rekey()

    def bss_stopped(self) -> None:
        self.rekey_timer.stop()
        self.group = None
        self.group_pending = None
        self.table = KeyTable(stats=self.table.stats)

    def _install_group(self, tx: bool = True) -> None:
        g = self.group
        assert g is not None
        self.table.install(g.gtk, tx=tx)
        if g.igtk is not None:
            self.table.install(g.igtk, tx=tx)

    def _group_confirmed(self, mac: bytes) -> None:
        pending = self.group_pending
        if pending is None:
            return
        pending.discard(mac)
        if not pending:
            self._group_tx_switch()

    def _group_tx_switch(self) -> None:
        """Every station has the new group keys: send with them."""
        self.group_pending = None
        if self.group is not None:
            self._install_group(tx=True)
            self.counters["group_tx_switch"] += 1

    def _arm_rekey(self) -> None:
        g = self.group
        if g is not None and g.next_rekey_ns is not None:
            self.rekey_timer.reset(max(0, g.next_rekey_ns - self.vap.ic.sched.now_ns), self._rekey_due)

    def _rekey_due(self) -> None:
        self.rekey_group("interval")

    def rekey_group(self, why: str) -> None:
        """A new GTK (and IGTK) for the BSS, then the group key handshake
        with every station whose 4-way handshake is done (hostapd's
        wpa_group_rekey)."""
        g = self.group
        if g is None:
            return
        now = self.vap.ic.sched.now_ns
        if self.group_pending is not None:
            self._group_tx_switch()  # the rekey before this one ends here
        g.rekey(now)
        self.group_rekeys += 1
        self.counters[f"group_rekey_{why}"] += 1
        self._install_group(tx=False)
        self._arm_rekey()
        pending = self.group_pending = set()
        for node in NodeTable.of(self.vap.ic).nodes(self.vap):
            nr = node.rsn
            if nr is not None and nr.auth is not None and nr.auth.state == PtkState.PTKINITDONE:
                pending.add(node.macaddr)
                self._run(node, nr.auth.rekey_group(now))
        if self.group_pending is not None and not self.group_pending:
            self._group_tx_switch()

    def station_left(self, node: Node, *, still_authenticated: bool = False) -> None:
        """A station with keys is gone: forget them; rekey the group so it
        cannot read what follows (hostapd's wpa_strict_rekey).  A station
        whose association ended while it stays authenticated (an SA Query
        went unanswered) keeps the PMK of its last authentication for its
        next association, as hostapd keeps its station entry."""
        nr = node.rsn
        node.rsn = None
        if nr is None:
            return
        nr.close()
        if still_authenticated and nr.pmk is not None:
            kept = self._node_rsn(node)
            kept.pmk, kept.pmkid = nr.pmk, nr.pmkid
        if nr.wps and self.hooks is not None:
            self.hooks.wps_left(node)
        if nr.port_open and self.group is not None and self.vap.running:
            self.rekey_group("leave")
        else:
            self._group_confirmed(node.macaddr)

    def sae_auth(self, node: Node, auth: Auth) -> None:
        """An SAE Authentication frame from a station (the AP's side):
        anti-clogging above the threshold of SAE exchanges in progress,
        then the SAE instance of that station."""
        vap = self.vap
        now = vap.ic.sched.now_ns
        body = auth.payload
        if auth.status not in (StatusCode.SUCCESS, _STATUS_SAE_H2E) or (auth.seq == 2 and auth.status):
            # a station does not ask an AP for tokens nor refuse it: hostapd drops these
            self.sae_drops["status"] += 1
            return
        nr = self._node_rsn(node)
        if auth.seq == 1:
            h2e = auth.status == _STATUS_SAE_H2E
            if self.cfg.sae_pwe == (0 if h2e else 1):
                # the method our sae_pwe does not take: hostapd drops the
                # commit (sae_status_success) and the station's entry
                self.sae_drops["pwe_method"] += 1
                return
            busy = sum(1 for n in NodeTable.of(vap.ic).nodes(vap)
                       if n is not node and n.rsn is not None and n.rsn.sae is not None
                       and n.rsn.sae.state in (SaeState.COMMITTED, SaeState.CONFIRMED))
            if busy >= self.anti_clogging_threshold:
                token = hmac.digest(self.sae_token_key, node.macaddr, "sha256")[:SAE_TOKEN_LEN]
                stripped, got = split_token(body, h2e, SAE_TOKEN_LEN)
                if got is not None and hmac.compare_digest(got, token):
                    body = stripped
                    self.counters["sae_token_ok"] += 1
                else:
                    self.counters["sae_token_request"] += 1
                    # with H2E the token goes in its container element (12.4.6)
                    payload = GROUP_P256.to_bytes(2, "little") + (
                        bytes((255, len(token) + 1, TOKEN_CONTAINER_EXT)) + token if h2e else token)
                    send_mgmt(vap, node.macaddr,
                              Auth(_ALG_SAE, 1, STATUS_ANTI_CLOGGING_TOKEN_REQUIRED, payload=payload))
                    return
            sae = nr.sae
            if sae is None or sae.state in (SaeState.ACCEPTED, SaeState.FAILED, SaeState.NOTHING) \
                    or sae.h2e != h2e:
                sae = nr.sae = Sae(password=self.cfg.passphrase, own_addr=vap.macaddr or b"",
                                   peer_addr=node.macaddr, random=self._random,
                                   ssid=vap.ssid if h2e else None,
                                   retrans_ms=SAE_RETRANS_MS, sync_max=SAE_SYNC_MAX)
                nr.pmk = nr.pmkid = None
                self._run_sae(node, sae.start(now))
            self._run_sae(node, sae.receive(1, auth.status, body, now))
        elif auth.seq == 2:
            if nr.sae is None:
                self.sae_drops["no_instance"] += 1
                return
            self._run_sae(node, nr.sae.receive(2, auth.status, body, now))
        else:
            self.sae_drops["transaction"] += 1

    def _run_sae(self, node: Node, actions: Iterable[Any]) -> None:
        nr = node.rsn
        if nr is None or nr.sae is None:
            return
        vap = self.vap
        sched = vap.ic.sched
        for act in actions:
            if isinstance(act, SendSae):
                send_mgmt(vap, node.macaddr, Auth(_ALG_SAE, act.transaction, act.status, payload=act.body),
                          bssid=node.macaddr if not self.is_ap else None)
            elif isinstance(act, SetTimer):
                nr.timer.reset(max(0, act.at_ns - sched.now_ns), self._timer, node)
            elif isinstance(act, CancelTimer):
                nr.timer.stop()
            elif isinstance(act, SaeAccepted):
                nr.pmk, nr.pmkid = act.pmk, act.pmkid
                self.counters["sae_accepted"] += 1
                # a PMKSA with the peer (hostapd's wpa_auth_pmksa_add_sae,
                # wpa_supplicant's at SAE completion), for its next association
                self.pmksa.add(node.macaddr, act.pmkid, act.pmk, AKM.SAE, sched.now_ns)
                if self.is_ap:
                    node.authed = True
                else:
                    vap.mode.sae_done(vap, True)
            elif isinstance(act, Failed):
                self.failures += 1
                self.last_failure = (int(act.reason), act.why)
                if not self.is_ap:
                    self.state = "failed"
                    self.auth_failures += 1
                    vap.mode.sae_done(vap, False)
        if nr.sae is not None:
            self.sae_drops.update({k: v for k, v in nr.sae.drops.items() if v})
            nr.sae.drops.clear()

    def holds_mfp(self, node: Node) -> bool:
        """An AP's view: `node` has a running association with management
        frame protection (its pairwise key in place), which a new
        Authentication or Association Request alone does not end."""
        nr = node.rsn
        return node.associated and nr is not None and nr.port_open and nr.keys.mfp \
            and nr.keys.pairwise is not None

    def assoc_comeback_tu(self, node: Node) -> int | None:
        """The association comeback time for a station refused while our SA
        Query runs: what is left of it, in TU (hostapd's
        hostapd_eid_assoc_comeback_time)."""
        nr = node.rsn
        if nr is None or nr.sa_query is None:
            return None
        left = nr.sa_query[1] - self.vap.ic.sched.now_ns
        return max(1, -(-left // _TU_NS))

    def assoc_request(self, node: Node, ies: IEList) -> int:
        """Negotiate a station's (re)association: the status code to answer
        with (SUCCESS, or the refusal's), the node's RSN state made ready.

        An MFP station whose association we hold is refused for now (status
        30, with the comeback time) while an SA Query asks the old
        association whether it stands, as hostapd does (12.6.18): an answer
        keeps it (the request was someone else's), none ends it (the timer
        in `_sa_query_timer`) and the next request goes through."""
        if self.holds_mfp(node):
            nr = node.rsn
            assert nr is not None
            if nr.sa_query is None:
                self._sa_query_start(node, AP_SA_QUERY_RETRY_TU * _TU_NS, AP_SA_QUERY_MAX_TIMEOUT_TU * _TU_NS)
            self.counters["assoc_refused_sa_query"] += 1
            return StatusCode.REFUSED_TEMPORARILY
        body = _rsn_body(ies)
        if body is None and self.hooks is not None and self.hooks.wps_assoc(node, ies):
            # a WPS enrollee (hostapd's WLAN_STA_WPS): EAP-WSC, no keys
            old = node.rsn
            nr = NodeRsn(old.timer if old is not None else Callout(self.vap.ic.sched))
            nr.timer.stop()
            nr.wps = True
            node.rsn = nr
            self.counters["wps_assoc"] += 1
            return StatusCode.SUCCESS
        if body is None:
            self.counters["assoc_refused"] += 1
            return StatusCode.INVALID_ELEMENT
        res = _ap_negotiate(self.ap_policy, body)
        if isinstance(res, Refusal):
            self.counters["assoc_refused"] += 1
            return res.status
        old = node.rsn
        pmk = pmkid = None
        if res.akm == AKM.SAE:
            if old is not None and old.pmk is not None:
                pmk, pmkid = old.pmk, old.pmkid  # from the SAE authentication just run
            else:
                # Open System authentication: PMKSA caching, the PMKID in the
                # RSNE must name a live SAE PMKSA (hostapd: status 53 if not)
                cached = self.pmksa.get(node.macaddr, RSNInfo.parse(body).pmkids, AKM.SAE,
                                        self.vap.ic.sched.now_ns)
                if cached is None:
                    self.counters["assoc_refused"] += 1
                    self.counters["pmksa_miss"] += 1
                    return StatusCode.INVALID_PMKID
                pmk, pmkid = cached.pmk, cached.pmkid
                self.counters["pmksa_cache_used"] += 1
        nr = NodeRsn(old.timer if old is not None else Callout(self.vap.ic.sched))
        nr.timer.stop()
        nr.sel = res
        nr.sta_rsne = _element(body)
        nr.sta_rsnxe = _rsnxe(ies)
        nr.pmk, nr.pmkid = pmk, pmkid
        node.rsn = nr
        return StatusCode.SUCCESS

    def associated(self, node: Node) -> None:
        """The Association Response went out: start the 4-way handshake."""
        nr = node.rsn
        vap = self.vap
        if nr is not None and nr.wps and self.hooks is not None:
            self.hooks.wps_start(node)
            return
        if nr is None or nr.sel is None or nr.sta_rsne is None or self.group is None:
            return
        sel = nr.sel
        if sel.akm == AKM.SAE:
            pmk, pmkid = nr.pmk, nr.pmkid
        else:
            pmk, pmkid = self.cfg.pmk(vap.ssid), None
        assert pmk is not None
        assert self.ie_body is not None and vap.macaddr is not None
        rsnxe = self.cfg.rsnxe
        nr.auth = Authenticator(aa=vap.macaddr, spa=node.macaddr, pmk=pmk, selection=sel,
                                ap_rsne=_element(self.ie_body), sta_rsne=nr.sta_rsne, group=self.group,
                                config=AuthConfig(ptk_rekey_s=self.cfg.ptk_rekey_s), pmkid=pmkid,
                                random=self._random, ap_rsnxe=rsnxe.to_bytes() if rsnxe is not None else b"",
                                sta_rsnxe=nr.sta_rsnxe)
        self._run(node, nr.auth.start(vap.ic.sched.now_ns))

    # -- the STA side -----------------------------------------------------------------
    def select(self, bss: ScanResult) -> tuple[Selection, RSNInfo] | None:
        """Whether we can join `bss`, and how (None: not acceptable)."""
        body = _rsn_body(bss.ies)
        if body is None:
            return None
        policy = self.sta_policy
        if self.cfg.sae_pwe == 1 and AKM.SAE in policy.akms and not _h2e(_rsnxe(bss.ies)):
            policy = self.sta_policy_no_sae  # H2E only, and this AP does not offer it
        return _sta_select(policy, body) if policy.akms else None

    def choose(self, bss: ScanResult) -> bool:
        """Aim at `bss` for the next authentication and association."""
        body = _rsn_body(bss.ies)
        sel = self.select(bss)
        if body is None or sel is None:
            self.target = None
            return False
        rsnxe = _rsnxe(bss.ies)
        # wpa_supplicant: H2E with sae_pwe 1, or 2 and an AP advertising it
        h2e = self.cfg.sae_pwe == 1 or (self.cfg.sae_pwe == 2 and _h2e(rsnxe))
        ours = sel[1]
        cached = None
        if sel[0].akm == AKM.SAE and self.hooks is None:
            # a live PMKSA with this AP: Open System authentication and its
            # PMKID in our RSNE instead of SAE (wpa_supplicant's
            # sae_pmksa_caching)
            cached = self.pmksa.find(bss.bssid, AKM.SAE, self.vap.ic.sched.now_ns)
            if cached is not None:
                ours = replace(ours, pmkids=(cached.pmkid,))
        self.target = Target(body, sel[0], ours.body(), rsnxe, h2e, cached)
        self.state = "authenticating"
        return True

    @property
    def uses_sae(self) -> bool:
        """The next authentication is SAE's (not with a cached PMKSA)."""
        return self.target is not None and self.target.sel.akm == AKM.SAE and self.target.pmksa is None

    def pmksa_refused(self) -> bool:
        """The AP refused the association naming our cached PMKSA (status
        53): forget it; True if there was one (wpa_supplicant then runs SAE
        at once)."""
        target = self.target
        if target is None or target.pmksa is None:
            return False
        self.pmksa.remove(target.pmksa.peer, target.pmksa.pmkid)
        self.counters["pmksa_refused"] += 1
        return True

    def _sta_rsnxe(self) -> bytes:
        """The RSNXE a station sends (and repeats in msg 2/4): with the SAE
        AKM and hash-to-element enabled, as wpa_supplicant's wpa_gen_rsnxe."""
        rsnxe = self.cfg.rsnxe
        sae = self.target is not None and self.target.sel.akm == AKM.SAE
        return rsnxe.to_bytes() if rsnxe is not None and sae else b""

    def sae_start(self, node: Node) -> None:
        """A STA's SAE authentication (a fresh instance per attempt)."""
        vap = self.vap
        nr = self._node_rsn(node)
        nr.timer.stop()
        h2e = self.target is not None and self.target.h2e
        ssid = vap.ssid or (vap.bss.ssid if vap.bss is not None else b"")
        nr.sae = Sae(password=self.cfg.passphrase, own_addr=vap.macaddr or b"", peer_addr=node.macaddr,
                     ssid=ssid if h2e else None, random=self._random, retrans_ms=SAE_RETRANS_MS,
                     sync_max=SAE_SYNC_MAX)
        nr.pmk = nr.pmkid = None
        self._run_sae(node, nr.sae.start(vap.ic.sched.now_ns))

    def sae_rx(self, node: Node, auth: Auth) -> None:
        nr = node.rsn
        if nr is None or nr.sae is None:
            self.sae_drops["no_instance"] += 1
            return
        sae = nr.sae
        before = sae.drops["confirm"]
        acts = sae.receive(auth.seq, auth.status, auth.payload, self.vap.ic.sched.now_ns)
        if sae.drops["confirm"] > before and sae.state != SaeState.ACCEPTED:
            # the AP's confirm does not verify: a wrong password.  wpa_supplicant
            # fails the authentication at once rather than retransmitting until
            # it gives up (which, at mac80211's 2 s period, takes 6 s)
            acts = [*acts, *sae.abandon("SAE confirm mismatch: the password may be wrong")]
        self._run_sae(node, acts)

    def assoc_element(self) -> RSN | None:
        if self.target is None or self.enrollee:
            return None
        return RSN(self.target.ours)

    def assoc_elements(self) -> list[Element]:
        """What a station's (Re)Association Request carries for security:
        the RSN element it chose (none for a WPS enrollee), then the hooks'
        elements (a P2P client's WPS and P2P IEs)."""
        el = self.assoc_element()
        extra = self.hooks.elements() if self.hooks is not None else []
        rsnxe = self._sta_rsnxe()
        if el is not None and rsnxe:
            extra = [Unknown(ElementID.RSNXE, rsnxe[2:]), *extra]
        return [*([el] if el is not None else []), *extra]

    def beacon_elements(self, probe_resp: bool = False) -> list[Element]:
        """An AP's elements beyond the RSN element, for its Beacons or, with
        `probe_resp`, its Probe Responses: the RSN Extension element with SAE
        hash-to-element, WPS and P2P in a P2P group."""
        if not self.is_ap:
            return []
        rsnxe = self.cfg.rsnxe
        extra = self.hooks.elements(probe_resp) if self.hooks is not None else []
        return [*([rsnxe] if rsnxe is not None else []), *extra]

    def sta_associated(self, node: Node) -> None:
        """Associated: wait for the AP's msg 1/4 with a fresh supplicant."""
        vap = self.vap
        if self.target is None or vap.macaddr is None:
            return
        ap_body, sel, ours, ap_rsnxe, _, cached = self.target
        old = node.rsn
        nr = node.rsn = NodeRsn(old.timer if old is not None else Callout(vap.ic.sched))
        nr.timer.stop()
        if self.enrollee:
            assert self.hooks is not None
            nr.wps = True
            self.state = "wps"
            early = self._early_for(node)
            # with the registrar's request already here, no EAPOL-Start
            self.hooks.wps_start(node, request_waiting=early is not None)
            if early is not None:
                self._eapol_rx(node, early)
            return
        nr.sel = sel
        pmkid: bytes | None
        if sel.akm == AKM.SAE:
            if cached is not None:
                pmk, pmkid = cached.pmk, cached.pmkid
                self.counters["pmksa_cache_used"] += 1
            elif old is None or old.pmk is None:
                return
            else:
                pmk, pmkid = old.pmk, old.pmkid
        else:
            pmk, pmkid = self.cfg.pmk(vap.ssid or (vap.bss.ssid if vap.bss else b"")), None
        nr.supp = Supplicant(aa=node.macaddr, spa=vap.macaddr, pmk=pmk, selection=sel,
                             ap_rsne=_element(ap_body), sta_rsne=_element(ours), eapol_version=1,
                             pmkid=pmkid, random=self._random, ap_rsnxe=ap_rsnxe,
                             sta_rsnxe=self._sta_rsnxe())
        self.state = "4way_handshake"
        self.rekey_timer.reset(AUTH_TIMEOUT_NS, self._auth_timeout, node)
        early = self._early_for(node)
        if early is not None:
            self._eapol_rx(node, early)

    def _auth_timeout(self, node: Node) -> None:
        """wpa_supplicant's authentication timeout: no completed 4-way
        handshake AUTH_TIMEOUT_NS after association (an AP that never saw our
        ACK of its Association Response never starts one): deauthenticate,
        reason 3, and keep this BSS aside as after a failed handshake."""
        nr = node.rsn
        if self.is_ap or self.state != "4way_handshake" or nr is None or nr.port_open:
            return
        self.failures += 1
        self.auth_failures += 1
        self.counters["auth_timeouts"] += 1
        self.last_failure = (int(ReasonCode.AUTH_LEAVE), "authentication timed out")
        self.state = "failed"
        self.vap.mode.deauth_node(self.vap, node, int(ReasonCode.AUTH_LEAVE))

    def sta_left(self) -> None:
        """Left the BSS: the group keys go."""
        self.early_eapol = None
        self.rekey_timer.stop()
        self.table = KeyTable(stats=self.table.stats)
        if self.state not in ("failed",):
            self.state = "disconnected"

    def deauthenticated(self, node: Node | None, reason: int) -> int | None:
        """The AP deauthenticated us: the supplicant's view of why; the
        seconds to keep this network aside (wpa_supplicant's back-off) when
        it was an authentication failure, else None."""
        nr = node.rsn if node is not None else None
        supp = nr.supp if nr is not None else None
        if supp is None:
            return None
        was = supp.state
        acts = supp.deauthenticated(reason, self.vap.ic.sched.now_ns)
        fail = next((a for a in acts if isinstance(a, Failed)), None)
        if was == SuppState.DONE or fail is None:
            return None
        self.failures += 1
        self.auth_failures += 1
        self.last_failure = (int(fail.reason), fail.why)
        self.state = "failed"
        target = self.target
        if target is not None and target.pmksa is not None:
            # the cached PMK did not do (wpa_supplicant drops the PMKSA)
            self.pmksa.remove(target.pmksa.peer, target.pmksa.pmkid)
        return auth_failure_backoff_s(self.auth_failures)


def apply_security(vap: IEEE80211Vap, security: str | None, passphrase: str | bytes | None, pmf: str | None,
                   group_rekey: int | None, sae_pwe: int | None = None, ptk_rekey: int | None = None) -> None:
    """Set a vap's security from the words given (None: keep what it has);
    `vap.rsn` becomes a fresh VapRsn, or None for an open vap."""
    if vap.running:
        raise InvalidArgument(f"{vap.name}: security is set while the vap is down")
    cur = vap.rsn.cfg if vap.rsn is not None else None
    if security is None:
        security = cur.security if cur is not None else "open"
    if security != "open" and cur is not None:
        if passphrase is None:
            passphrase = cur.passphrase
        if pmf is None and cur.security == security and cur.pmf_given:
            pmf = cur.pmf.name.lower()
        if group_rekey is None:
            group_rekey = cur.group_rekey_s or 0
        if sae_pwe is None and cur.sae and security in ("wpa3-sae", "wpa2-wpa3"):
            sae_pwe = cur.sae_pwe
        if ptk_rekey is None:
            ptk_rekey = cur.ptk_rekey_s or 0
    cfg = security_config(vap.name, security, passphrase, pmf,
                          GROUP_REKEY_S if group_rekey is None else group_rekey, sae_pwe, ptk_rekey)
    if vap.rsn is not None:
        vap.rsn.close()
    vap.rsn = VapRsn(vap, cfg) if cfg is not None else None


def network_psk(passphrase: bytes, ssid: bytes) -> bytes:
    """The PSK (PMK) of a WPA2-PSK network: PBKDF2 of the passphrase and SSID."""
    return _psk_pmk(passphrase, ssid)


def provisioning(vap: IEEE80211Vap, hooks: RsnHooks) -> VapRsn:
    """Make a down station vap a WPS enrollee of a WPA2-PSK network whose
    passphrase it does not know yet (`hooks.enrollee`): it picks BSSes a
    WPA2-PSK station would and associates with a WPS element instead of an
    RSN element.  The credential it gets is set with `apply_security`."""
    if vap.running:
        raise InvalidArgument(f"{vap.name}: provisioning is set while the vap is down")
    if vap.rsn is not None:
        vap.rsn.close()
    rsn = VapRsn(vap, SecurityConfig("wpa2-psk", b"", Mfp.OPTIONAL, pmf_given=False))
    rsn.hooks = hooks
    vap.rsn = rsn
    return rsn
