"""What the daemon does for each protocol command: the devices, their vaps
and their netdevs.  No sockets here: `Service.handle(cmd, args)` takes a
decoded request and returns a JSON-able result or raises an errno-carrying
error, so it can be tested and driven without the control socket."""

from __future__ import annotations

import errno
import logging
import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import net80211.host.tap  # noqa: F401  (registers the "tap" netdev kind)
from ic import (
    SEC,
    AlreadyExists,
    Busy,
    Caps,
    CloneFlags,
    IEEE80211Com,
    InvalidArgument,
    Net80211Error,
    NoSuchDevice,
    NotSupported,
    OpMode,
    Scheduler,
    State,
    mac_str,
    parse_mac,
    parse_wlanmode,
)
from ic.vapparams import check_vap_params
from net80211.ctl.config import DEFAULT_P2P_CTRL_DIR, NETDEV_KINDS, Config
from net80211.ctl.grammar import (
    CREATE_KEYWORDS,
    DEVICE_LISTS,
    DEVICE_SET_KEYS,
    SET_KEYWORDS,
    VAP_LISTS,
    closest,
)
from net80211.ctl.p2p import P2PManager
from net80211.ctl.protocol import VERSION, about
from net80211.ctl.state import StateFile
from net80211.driver import Driver, open_driver
from net80211.host.tap import remove_netns
from net80211.modes.roam import configure_roaming
from net80211.scan import Scanner

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

log = logging.getLogger("net80211.ctl")

_CREATE_TYPES: dict[str, tuple[type, ...]] = {
    "wlandev": (str,), "wlanmode": (str,), "wlanbssid": (str,), "wlanaddr": (str,), "bssid": (bool,),
    "beacons": (bool,), "wdslegacy": (bool,), "ssid": (str,), "channel": (int, type(None)),
    "netdev": (str,), "netns": (str,), "up": (bool,), "bintval": (int,), "dtim_period": (int,),
    "hidessid": (bool,), "security": (str,), "passphrase": (str,), "pmf": (str,), "sae_pwe": (int,),
    "ptk_rekey": (int,), "rtsthreshold": (int,),
}
# The vap parameters create passes on as they are (ic.vapparams checks them).
_CREATE_PARAMS = ("ssid", "bintval", "dtim_period", "hidessid", "security", "passphrase", "pmf", "sae_pwe",
                  "ptk_rekey", "rtsthreshold")
_SET_TYPES: dict[str, tuple[type, ...]] = {
    "ssid": (str,), "channel": (int, type(None)), "updown": (str,), "bssid": (str, type(None)),
    "bintval": (int,), "dtim_period": (int,), "hidessid": (bool,), "rtsthreshold": (int,), "authmode": (str,),
    "roaming": (str,), "roam_rssi": (int, float), "roam_rate": (int, float), "txpower": (int,),
    "country": (str,), "regdomain": (str,),
}
assert set(_SET_TYPES) == {k.key for k in SET_KEYWORDS}
SCAN_WAIT_S = 10.0  # a scan answer not ready by then is ETIMEDOUT
SCAN_POLL_S = 0.02  # how often the daemon looks whether the scan is done
assert set(_CREATE_TYPES) == {k.key for k in CREATE_KEYWORDS}
MODE_WORDS = ("sta", "hostap", "ap", "adhoc", "ibss", "ahdemo", "tdma", "wds", "monitor", "mesh",
              "p2p-device", "p2p-go", "p2p-client")
MAX_RADIO_CHANNELS = 64  # channels a radio may use at once (radio add ... channels N)
MAX_DEVICES = 1024  # radios of one daemon (radio add)


def _arg(args: dict[str, Any], key: str, types: tuple[type, ...], required: bool = False) -> Any:
    if key not in args:
        if required:
            raise InvalidArgument(f"missing argument {key!r}")
        return None
    v = args[key]
    # bool is an int: do not take true for a channel number.
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in types):
        want = "/".join("null" if t is type(None) else t.__name__ for t in types)
        raise InvalidArgument(f"argument {key!r} must be {want}, not {type(v).__name__}")
    return v


def _only(args: dict[str, Any], allowed: set[str]) -> None:
    bad = set(args) - allowed
    if bad:
        first = sorted(map(str, bad))[0]
        raise about(InvalidArgument(f"unknown argument(s) {', '.join(sorted(map(str, bad)))}"),
                    first, closest(first, allowed))


def _flags_words(flags: Any) -> list[str]:
    return [f.name for f in type(flags) if f.name and f in flags]


class Service:
    """The devices of one daemon and the commands that act on them."""

    def __init__(self, sched: Scheduler, config: Config, state: StateFile | None = None) -> None:
        self.sched = sched
        self.config = config
        self.state = state
        self.drivers: list[Driver] = []
        self.created_netns: set[str] = set()
        self._taps: dict[str, tuple[str, str | None]] = {}  # vap name -> (ifname, netns)
        self.p2p: Any = None  # the P2PManager (Wi-Fi Direct and control sockets), made on first use
        # The daemon's counters of what it refused or contained, for `status` (None outside one).
        self.counters: Callable[[], dict[str, int]] | None = None
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "status": self.status, "list": self.list, "show": self.show, "create": self.create,
            "destroy": self.destroy, "set": self.set, "query": self.query, "check": self.check,
            "radio_add": self.radio_add, "radio_del": self.radio_del, "capture": self.capture,
            "scan": self.scan,
            "position": self.position,
        }

    # -- set-up and shutdown ------------------------------------------------------
    def open(self) -> None:
        """Open the configured drivers and create the configured vaps."""
        try:
            for spec in self.config.devices:
                params = {k: v for k, v in spec.items() if k != "driver"}
                self.drivers.append(open_driver(spec["driver"], self.sched, **params))
            for v in self.config.vaps:
                self.create(dict(v))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Destroy every vap (and so every TAP), every device, and the
        namespaces this daemon created."""
        if self.p2p is not None:
            # The P2P devices first: their groups' vaps and their control sockets go with them.
            try:
                self.p2p.close()
            except Exception:
                log.exception("closing the P2P devices")
            self.p2p = None
        for drv in reversed(self.drivers):
            for dev in list(drv.devices):
                for vap in reversed(list(dev.vaps)):
                    try:
                        self._destroy_vap(vap)
                    except Exception:
                        log.exception("destroying %s", vap.name)
            try:
                drv.close()
            except Exception:
                log.exception("closing driver %s", drv.name)
        self.drivers.clear()
        if self.created_netns:
            for ns in sorted(self.created_netns):
                try:
                    remove_netns(ns)
                except OSError as e:
                    log.warning("cannot remove netns %s: %s", ns, e)
            self.created_netns.clear()
        if self.state is not None:
            self.state.remove()

    def handle(self, cmd: str, args: dict[str, Any]) -> Any:
        fn = self.handlers.get(cmd)
        if fn is None:
            raise about(Net80211Error(f"unknown command {cmd!r}", errno.EOPNOTSUPP), cmd,
                        closest(cmd, set(self.handlers)))
        return fn(args)

    def _names(self, devices: bool = True, vaps: bool = True) -> set[str]:
        return {n for d in self.devices() for n in ([d.name] if devices else [])
                + ([v.name for v in d.vaps] if vaps else [])}

    def _no_such(self, name: str, what: str, *, devices: bool = True, vaps: bool = True) -> NoSuchDevice:
        """ENXIO naming `name`, with the closest existing name if one is close."""
        near = closest(name, self._names(devices, vaps))
        hint = f" (did you mean {near!r}?)" if near else ""
        return about(NoSuchDevice(f"{name}: no such {what}{hint}"), name, near)

    # -- lookups ------------------------------------------------------------------------
    def devices(self) -> list[IEEE80211Com]:
        return [d for drv in self.drivers for d in drv.devices]

    def device(self, name: str) -> IEEE80211Com:
        for d in self.devices():
            if d.name == name:
                return d
        raise self._no_such(name, "device", vaps=False)

    def vap(self, name: str) -> Any:
        for d in self.devices():
            for v in d.vaps:
                if v.name == name:
                    return v
        raise self._no_such(name, "interface", devices=False)

    def _iface(self, name: str) -> tuple[str, Any]:
        for d in self.devices():
            if d.name == name:
                return "device", d
            for v in d.vaps:
                if v.name == name:
                    return "vap", v
        raise self._no_such(name, "interface")

    def _driver_of(self, dev: IEEE80211Com) -> Driver:
        for drv in self.drivers:
            if dev in drv.devices:
                return drv
        raise NoSuchDevice(f"{dev.name}: no driver holds it")

    # -- descriptions ---------------------------------------------------------------------
    def describe_vap(self, vap: IEEE80211Vap) -> dict[str, Any]:
        d = vap.describe()
        d["caps"] = _flags_words(vap.caps)
        d.update(bintval=vap.bintval, dtimperiod=vap.dtim_period, hidessid=vap.hidessid,
                 rtsthreshold=vap.rtsthreshold,
                 authmode="WPA2/802.11i" if vap.rsn is not None else "OPEN",  # as ifconfig prints it
                 des_bssid=mac_str(vap.des_bssid) if vap.des_bssid else None,
                 txpower=vap.ic.txpower_now(), regdomain=vap.ic.regdomain.name, country=vap.ic.country)
        if vap.opmode is OpMode.STA and vap.sta is not None:
            roam = vap.sta.roam
            d["roaming"] = roam.mode
            d["roam_rssi"] = roam.rssi_dbm
            d["roam_rate"] = roam.rate_500k / 2
        nd = getattr(vap, "netdev", None)
        if nd is None:
            d["netdev"] = None
        elif hasattr(nd, "describe"):
            d["netdev"] = nd.describe()
        else:
            d["netdev"] = {"kind": getattr(nd, "kind", type(nd).__name__)}
        err = getattr(vap, "last_error", None)
        d["last_error"] = str(err) if err else None
        p2p = self.p2p.devices.get(vap.name) if self.p2p is not None else None
        if p2p is not None and p2p.vap is vap:
            d["p2p"] = p2p.describe()
            sock = self.p2p.sockets.get(vap.name)
            d["p2p"]["ctrl_socket"] = sock.path if sock is not None else None
            if sock is not None:
                d["p2p"]["ctrl_counters"] = dict(sorted(sock.counters.items()), commands=sock.commands)
        group = getattr(vap, "p2p_group", None)
        if group is not None:
            d["p2p_group"] = {"role": group.role, "device": group.dev.vap.name}
        return d

    def describe_device(self, dev: IEEE80211Com) -> dict[str, Any]:
        d = dev.describe()
        d.update(name=dev.name, driver=self._driver_of(dev).name, macaddr=mac_str(dev.macaddr),
                 channel=dev.curchan.ieee, caps=_flags_words(dev.caps),
                 modes=[m.word for m in OpMode if dev.caps & m.cap], policy=dev.policy.name,
                 txpower=dev.txpower_now(), regdomain=dev.regdomain.name, country=dev.country,
                 vaps=[self.describe_vap(v) for v in dev.vaps])
        return d

    # -- commands ------------------------------------------------------------------------------
    def status(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, set())
        out = {"version": VERSION, "pid": os.getpid(), "uid": os.geteuid(),
               "netdev": self.config.netdev, "p2p_ctrl_dir": self.config.p2p_ctrl_dir,
               "drivers": [drv.describe() for drv in self.drivers]}
        if self.counters is not None:
            out["counters"] = self.counters()
        return out

    def list(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, set())
        return {"drivers": [{"driver": drv.name, "profile": drv.profile,
                             "devices": [self.describe_device(d) for d in drv.devices]}
                            for drv in self.drivers]}

    def show(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, {"name"})
        kind, obj = self._iface(_arg(args, "name", (str,), True))
        if kind == "vap":
            return {"vap": self.describe_vap(obj)}
        return {"device": self.describe_device(obj)}

    def create(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, {"name"} | set(_CREATE_TYPES))
        name = _arg(args, "name", (str,), True)
        a = {k: _arg(args, k, t) for k, t in _CREATE_TYPES.items()}
        if a["wlandev"] is None:
            raise InvalidArgument(f"{name}: create needs wlandev (the device to clone on)")
        dev = self.device(a["wlandev"])
        word = a["wlanmode"] or "sta"
        try:
            mode, _ = parse_wlanmode(word)
        except ValueError:
            near = closest(word, MODE_WORDS)
            hint = f" (did you mean {near!r}?)" if near else ""
            raise about(InvalidArgument(f"{name}: unknown wlanmode {word!r}{hint}"), word, near) from None
        flags = CloneFlags(0)
        if a["bssid"]:
            flags |= CloneFlags.BSSID
        if a["beacons"] is False:
            flags |= CloneFlags.NOBEACONS
        if a["wdslegacy"]:
            flags |= CloneFlags.WDSLEGACY
        config: dict[str, Any] = {k: a[k] for k in _CREATE_PARAMS if a[k] is not None}
        if a["channel"] is not None:
            config["channel"] = a["channel"]
        if mode.has_netdev:
            kind = a["netdev"] or self.config.netdev
            if kind not in NETDEV_KINDS:
                raise InvalidArgument(f"{name}: netdev must be one of {', '.join(NETDEV_KINDS)}")
            if a["netns"] is not None and kind != "tap":
                raise InvalidArgument(f"{name}: netns needs netdev tap")
            if kind == "tap":
                if any(t[0] == name and t[1] == a["netns"] for t in self._taps.values()):
                    raise AlreadyExists(f"{name}: a TAP of that name exists")
            config["netdev"] = kind
            if a["netns"] is not None:
                config["netns"] = a["netns"]
        elif a["netdev"] is not None or a["netns"] is not None:
            raise InvalidArgument(f"{name}: a {mode.word} vap has no network interface")
        vap = dev.create_vap(name, word, flags=flags, bssid=a["wlanbssid"], macaddr=a["wlanaddr"],
                             **config)
        self._record_netdev(vap)
        try:
            if mode is OpMode.P2P_DEVICE and self.config.p2p_ctrl_dir is not None:
                # Wi-Fi Direct runs on it (started, so up) with its control socket.
                self._p2p_manager().add(vap)
            elif a["up"]:
                vap.up()
        except BaseException:
            self._destroy_vap(vap)
            raise
        log.info("%s: created %s vap on %s, address %s", vap.name, vap.opmode.word, dev.name,
                 mac_str(vap.macaddr))
        return {"vap": self.describe_vap(vap)}

    def _p2p_manager(self) -> Any:
        if self.p2p is None:
            d = self.config.p2p_ctrl_dir
            if d == DEFAULT_P2P_CTRL_DIR:
                d = None  # no daemon (no socket) to put it beside: no control sockets
            try:
                self.p2p = P2PManager(self.sched, d)
            except OSError as e:
                raise Net80211Error(f"p2p_ctrl_dir {d}: {e.strerror} (set defaults.p2p_ctrl_dir, "
                                    f"\"\" to run P2P devices without control sockets)", e.errno) from None
        return self.p2p

    def _record_netdev(self, vap: IEEE80211Vap) -> None:
        nd = getattr(vap, "netdev", None)
        if nd is None or getattr(nd, "kind", None) != "tap":
            return
        self._taps[vap.name] = (nd.ifname, nd.netns)
        if nd.created_netns:
            self.created_netns.add(nd.netns)
        if self.state is not None:
            self.state.add_tap(nd.ifname, nd.netns, nd.created_netns)

    def _destroy_vap(self, vap: IEEE80211Vap) -> None:
        if not vap.attached:
            return  # a P2P group vap that went with its P2P device
        if self.p2p is not None and self.p2p.devices.get(vap.name) is not None \
                and self.p2p.devices[vap.name].vap is vap:
            self.p2p.remove(vap.name)  # its groups, its control socket, then the vap
        group = getattr(vap, "p2p_group", None)
        if group is not None:
            group.remove("REQUESTED")  # the group vap goes with its group
            if not vap.attached:
                return
        vap.ic.destroy_vap(vap)
        tap = self._taps.pop(vap.name, None)
        if tap is not None and self.state is not None:
            self.state.remove_tap(*tap)

    def destroy(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, {"name"})
        name = _arg(args, "name", (str,), True)
        kind, obj = self._iface(name)
        if kind != "vap":
            raise InvalidArgument(f"{name} is a device, not a vap (use `wlanctl radio del {name}`)")
        self._destroy_vap(obj)
        log.info("%s: destroyed", name)
        return {"destroyed": name}

    def set(self, args: dict[str, Any]) -> dict[str, Any]:
        """ifconfig's parameters: every value is checked before any is applied
        (a refusal changes nothing), then applied in ifconfig's order: the
        device's (regulatory domain, power), the vap's, then up or down."""
        _only(args, {"name"} | set(_SET_TYPES))
        name = _arg(args, "name", (str,), True)
        a = {k: _arg(args, k, t) for k, t in _SET_TYPES.items() if k in args}
        kind, obj = self._iface(name)
        if kind == "device":
            vap_keys = sorted(set(a) - DEVICE_SET_KEYS)
            if vap_keys:
                raise about(InvalidArgument(f"{name} is a device: {vap_keys[0]} is a vap's parameter"),
                            vap_keys[0])
            self._set_device(obj, a)
            return {"device": self.describe_device(obj)}
        vap = obj
        updown = a.get("updown")
        if updown not in (None, "up", "down"):
            raise InvalidArgument(f"updown must be 'up' or 'down', not {updown!r}")
        self._check_vap_set(vap, a)
        roam = {k: a[k] for k in ("roaming", "roam_rssi", "roam_rate") if k in a}
        if roam:  # checked and applied as one (net80211.modes.roam)
            configure_roaming(vap, mode=roam.get("roaming"), rssi_dbm=roam.get("roam_rssi"),
                              rate_mbps=roam.get("roam_rate"))
        dev = vap.ic
        before = (dev.country, dev.txpower)
        self._set_device(dev, a)
        try:
            if a.get("ssid") is not None:
                vap.set_ssid(a["ssid"])
            if "channel" in a:
                vap.set_channel(a["channel"])
        except BaseException:
            self._restore_device(dev, before)
            raise
        self._set_vap_params(vap, a)
        if updown == "up":
            vap.up()
        elif updown == "down":
            vap.down()
        return {"vap": self.describe_vap(vap)}

    def _set_device(self, dev: IEEE80211Com, a: dict[str, Any]) -> None:
        if a.get("country") is not None and a.get("regdomain") is not None:
            raise InvalidArgument(f"{dev.name}: give country or regdomain, not both")
        word = a.get("country") or a.get("regdomain")
        before = (dev.country, dev.txpower)
        if word is not None:
            dev.set_regdomain(word)
        if a.get("txpower") is not None:
            try:
                dev.set_txpower(a["txpower"])
            except BaseException:
                self._restore_device(dev, before)
                raise
        if word is not None:
            log.info("%s: regdomain %s country %s, %d channels", dev.name, dev.regdomain.name,
                     dev.country, len(dev.channels))

    @staticmethod
    def _restore_device(dev: IEEE80211Com, before: tuple[str, int]) -> None:
        """Undo _set_device after a later refusal: nothing half-applied."""
        country, txpower = before
        if dev.country != country:
            dev.set_regdomain(country)
        dev.txpower = txpower  # valid before: no check
        dev.apply_txpower()

    def _check_vap_set(self, vap: IEEE80211Vap, a: dict[str, Any]) -> None:
        """Refuse what cannot be applied before anything is."""
        params: dict[str, Any] = {k: a[k] for k in ("bintval", "dtim_period", "hidessid", "rtsthreshold")
                                  if k in a}
        check_vap_params(vap.ic, vap.name, params)
        if "bssid" in a and a["bssid"] is not None:
            parse_mac(a["bssid"], "bssid")
        if "bssid" in a and vap.opmode is OpMode.WDS:
            raise InvalidArgument(f"{vap.name}: a WDS vap's peer is set when it is created (wlanbssid)")
        auth = a.get("authmode")
        if auth is not None and auth not in ("open", "none"):
            raise about(NotSupported(f"{vap.name}: authmode {auth} is not supported: WPA is set with "
                                     "'security wpa2-psk|wpa3-sae|wpa2-wpa3 passphrase TEXT' "
                                     "while the vap is down"), auth)
        if a.get("ssid") is not None:
            check_vap_params(vap.ic, vap.name, {"ssid": a["ssid"]})

    def _set_vap_params(self, vap: IEEE80211Vap, a: dict[str, Any]) -> None:
        """bssid, bintval, dtimperiod, hidessid: a running vap is
        re-checked against the policy (bintval) and restarted to apply them
        (FreeBSD's ENETRESET)."""
        changed = False
        if "bssid" in a:
            new = None if a["bssid"] is None else parse_mac(a["bssid"], "bssid")
            changed |= new != vap.des_bssid
            vap.des_bssid = new
        if "rtsthreshold" in a:  # takes effect at once, no restart (as Linux's iw phy set rts)
            vap.configure(rtsthreshold=a["rtsthreshold"])
        params = {k: a[k] for k in ("bintval", "dtim_period", "hidessid") if k in a}
        if params:
            old = {k: getattr(vap, k) for k in params}
            vap.configure(**params)
            if vap.running and "bintval" in params:
                try:
                    vap.ic.policy.check_running(vap.ic, vap, vap.des_chan)
                except BaseException:
                    vap.configure(**old)
                    raise
            changed |= old != {k: getattr(vap, k) for k in params}
        if changed and vap.running and vap.state > State.INIT:
            vap.down()
            vap.up()

    def scan(self, args: dict[str, Any]) -> Deferred | dict[str, Any]:
        """`ifconfig IFACE scan`: scan now (or wait for the scan running on the
        device) and answer with what was heard, once the scan is done."""
        _only(args, {"name"})
        vap = self.vap(_arg(args, "name", (str,), True))
        if not vap.running:
            raise Net80211Error(f"{vap.name} is down: `wlanctl {vap.name} up` first", errno.ENETDOWN)
        if vap.opmode is OpMode.MONITOR or vap.opmode is OpMode.WDS:
            raise NotSupported(f"{vap.name}: a {vap.opmode.word} vap does not scan")
        scanner = Scanner.of(vap.ic)
        serving = [v.name for v in vap.ic.vaps if v.running and v.opmode.ap_like and v.state == State.RUN]
        if serving:
            # Going off-channel would silence the BSS (its stations would miss
            # its beacons): what was heard on the operating channel instead.
            return {"what": "scan", "scanned": False,
                    "note": f"{vap.ic.name} serves a BSS ({', '.join(serving)}): not scanned, "
                            "these were heard on its channel",
                    "results": [_jsonable(r) for r in vap.scan_results()]}
        done_before = scanner.scans_done
        started = scanner.active or scanner.start(vap, [], lambda _results: None)
        if not started:
            raise Busy(f"{vap.ic.name} cannot scan now")
        deferred = Deferred()
        deadline = self.sched.now_ns + round(SCAN_WAIT_S * SEC)

        def poll() -> None:
            if deferred.done:
                return
            if scanner.scans_done > done_before:
                deferred.resolve({"what": "scan", "scanned": True,
                                  "results": [_jsonable(r) for r in vap.scan_results()]})
            elif self.sched.now_ns >= deadline:
                deferred.fail(Net80211Error(f"{vap.name}: the scan did not end within {SCAN_WAIT_S:g} s",
                                            errno.ETIMEDOUT))
            else:
                self.sched.call_later(round(SCAN_POLL_S * SEC), poll)

        self.sched.call_later(round(SCAN_POLL_S * SEC), poll)
        return deferred

    def query(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, {"name", "what"})
        name = _arg(args, "name", (str,), True)
        what = _arg(args, "what", (str,), True)
        kind, obj = self._iface(name)
        lists = VAP_LISTS if kind == "vap" else DEVICE_LISTS
        if what not in lists:
            raise InvalidArgument(f"{name} is a {kind}: list {' | '.join(lists)}, not {what!r}")
        dev = obj if kind == "device" else obj.ic
        if what == "caps":
            caps = obj.caps
            return {"what": "caps", "caps": _flags_words(caps), "value": int(caps),
                    "modes": [m.word for m in OpMode if dev.caps & m.cap] if kind == "device" else
                    [obj.opmode.word]}
        if what == "chan":
            cur = obj.channel if kind == "vap" else dev.curchan
            return {"what": "chan", "regdomain": dev.regdomain.name, "country": dev.country,
                    "channels": [
                        {"ieee": c.ieee, "freq": c.freq, "flags": _flags_words(c.flags), "current": c == cur,
                         "maxpower": dev.maxpower(c)}
                        for c in dev.channels]}
        if what == "combinations":
            return {"what": "combinations", "policy": dev.policy.name, "text": dev.policy.format()}
        if what == "sta":
            fn = getattr(obj, "stations", None)
            if fn is None:
                raise NotSupported(f"{name}: this net80211 does not keep a station table (vap.stations)")
            return {"what": "sta", "stations": [_jsonable(s) for s in fn()]}
        fn = getattr(obj, "scan_results", None)
        if fn is None:
            raise NotSupported(f"{name}: this net80211 does not expose scan results (vap.scan_results)")
        return {"what": "scan", "results": [_jsonable(r) for r in fn()]}

    def check(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, {"name", "modes", "channels"})
        dev = self.device(_arg(args, "name", (str,), True))
        modes = _arg(args, "modes", (list,), True)
        if not modes or not all(isinstance(m, str) for m in modes):
            raise InvalidArgument("modes must be a non-empty list of mode words")
        chans = _arg(args, "channels", (list, type(None)))
        if chans is not None:
            if not all(isinstance(c, int) and not isinstance(c, bool) for c in chans):
                raise InvalidArgument("channels must be channel numbers")
            if len(chans) > len(modes):
                raise InvalidArgument(f"{len(chans)} channels given for {len(modes)} modes")
            chans = list(chans) + [None] * (len(modes) - len(chans))
        verdict = dev.check_mix(modes, chans)
        return {"allowed": True, "modes": modes, "channels": chans, "explanation": str(verdict)}

    def radio_add(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, {"name", "p2p", "channels", "beaconfilter"})
        if not self.drivers:
            raise NoSuchDevice("no driver is open")
        name = _arg(args, "name", (str,))
        params: dict[str, Any] = {"p2p_device": bool(_arg(args, "p2p", (bool,)))}
        if "channels" in args:
            n = _arg(args, "channels", (int,))
            if not 1 <= n <= MAX_RADIO_CHANNELS:
                raise InvalidArgument(f"channels must be within 1..{MAX_RADIO_CHANNELS}, not {n}")
            params["channels"] = n
        if "beaconfilter" in args:
            params["beacon_filter"] = bool(_arg(args, "beaconfilter", (bool,)))
        if len(self.devices()) >= MAX_DEVICES:
            raise Net80211Error(f"this daemon holds {MAX_DEVICES} radios, its limit", errno.ENOSPC)
        drv = self.drivers[0]
        dev = drv.add_device(name, **params)
        return {"device": self.describe_device(dev)}

    def radio_del(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, {"name"})
        dev = self.device(_arg(args, "name", (str,), True))
        for vap in reversed(list(dev.vaps)):
            self._destroy_vap(vap)
        self._driver_of(dev).remove_device(dev)
        return {"removed": dev.name}

    def position(self, args: dict[str, Any]) -> dict[str, Any]:
        """Move a simulated radio (`wlanctl DEV position X Y [Z]`)."""
        _only(args, {"name", "x", "y", "z"})
        name = _arg(args, "name", (str,), True)
        kind, obj = self._iface(name)
        if kind == "vap":
            raise InvalidArgument(f"{name} is a vap: a position is its radio's ({obj.ic.name} position X Y)")
        xyz = [_arg(args, k, (int, float), k != "z") for k in "xyz"]
        coords = [0.0 if v is None else float(v) for v in xyz]
        bad = next((k for k, v in zip("xyz", coords, strict=True) if not math.isfinite(v)), None)
        if bad is not None:
            raise InvalidArgument(f"{name}: position {bad} must be a finite number of metres")
        obj.ic_set_position(*coords)
        return {"device": name, "position": list(obj.ic_get_position() or coords)}

    def capture(self, args: dict[str, Any]) -> dict[str, Any]:
        _only(args, {"name", "action", "path"})
        vap = self.vap(_arg(args, "name", (str,), True))
        action = _arg(args, "action", (str,), True)
        if vap.opmode is not OpMode.MONITOR:
            raise NotSupported(f"{vap.name}: capture needs a monitor vap, not {vap.opmode.word}")
        if action == "start":
            path = _arg(args, "path", (str,), True)
            if not os.path.isabs(path):
                raise InvalidArgument(f"capture path {path!r} must be absolute")
            fn = getattr(vap, "capture", None)
            if fn is None:
                raise NotSupported(f"{vap.name}: this net80211 has no monitor capture (vap.capture)")
            fn(path)
            return {"capturing": path}
        if action == "stop":
            fn = getattr(vap, "stop_capture", None)
            if fn is None:
                raise NotSupported(f"{vap.name}: this net80211 has no monitor capture (vap.stop_capture)")
            fn()
            return {"capturing": None}
        raise InvalidArgument(f"capture action must be 'start' or 'stop', not {action!r}")


class Deferred:
    """An answer that is not ready yet (a scan): the control server sends it
    when `resolve` or `fail` is called, and the client's later requests wait."""

    def __init__(self) -> None:
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self._callbacks: list[Callable[[Deferred], None]] = []

    def resolve(self, result: Any) -> None:
        self._finish(result, None)

    def fail(self, error: BaseException) -> None:
        self._finish(None, error)

    def _finish(self, result: Any, error: BaseException | None) -> None:
        if self.done:
            return
        self.done, self.result, self.error = True, result, error
        for cb in self._callbacks:
            cb(self)
        self._callbacks.clear()

    def then(self, callback: Callable[[Deferred], None]) -> None:
        """Call `callback(self)` once done (at once if it is)."""
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)


def _jsonable(obj: Any, key: str = "") -> Any:
    """A plain JSON value for what a vap reports (dicts, dataclasses, bytes, enums)."""
    if isinstance(obj, bytes) and "ssid" in key:
        return obj.decode(errors="replace")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, bytes):
        return mac_str(obj) if len(obj) == 6 else obj.decode(errors="replace")
    if isinstance(obj, dict):
        return {str(k): _jsonable(v, str(k)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Caps | CloneFlags):
        return _flags_words(obj)
    if hasattr(obj, "ieee") and hasattr(obj, "freq"):
        return obj.ieee
    if hasattr(obj, "name") and hasattr(obj, "value"):
        return obj.name
    if hasattr(obj, "describe"):
        return _jsonable(obj.describe())
    if hasattr(obj, "__dataclass_fields__"):
        return {k: _jsonable(getattr(obj, k), k) for k in obj.__dataclass_fields__
                if k not in ("ies", "extra")}
    return str(obj)
