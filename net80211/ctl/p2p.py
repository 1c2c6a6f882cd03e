"""A wpa_supplicant-compatible control interface for P2P devices.

One UNIX datagram socket per P2P device at `<ctrl_dir>/p2p-dev-<vap name>`
(mode 0660, in a directory made 0770 if missing).  A client binds its own
socket and sends one command per datagram; the reply goes back to the
sender's address.  `ATTACH`ed clients receive events as `<3>TEXT`.
`P2PManager` owns the P2P devices and their sockets and serves them from the
scheduler's reader API, so the same code runs in virtual and real time.

Hostile clients: a datagram over MAX_REQUEST bytes, a number out of range
or any other bad command answers `FAIL`; an unexpected error in a handler
is logged with its input, counted and answered `FAIL`.  Replies and events
go only to a socket reached without a symlink that is not one of this
process's own sockets, and a datagram that is itself a reply is never
answered, so no two sockets can be made to talk to each other forever.

Groups are WPA2-PSK with WPS provisioning (net80211.p2p.provision): the
GO-side `WPS_PBC` / `WPS_PIN` and `P2P_GET_PASSPHRASE` act on the device's
GO group; persistent groups show in `LIST_NETWORKS`.  Commands of features
not built (P2P_REJECT, presence, extended listen) answer `FAIL`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import os
import re
import socket
from collections import Counter
from typing import TYPE_CHECKING, Any

from ic import InvalidArgument, NoSuchDevice, mac_str, parse_mac
from net80211.ctl.sockpath import bind_in_place, clear_stale_socket
from net80211.p2p.device import P2PDevice
from net80211.p2p.sd import PROTO_UPNP, req_tlv, upnp_query
from net80211.p2p.wire import SOCIAL_CHANNELS
from net80211.wire.outfile import check_dir, ensure_dir, open_socket_path

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap

log = logging.getLogger("net80211.p2p")

REPLY_MAX = 4095
MAX_REQUEST = 4096  # bytes of one command datagram (wpa_supplicant's buffer); more is refused
BATCH = 32  # datagrams served per wake-up, so one client cannot hold the loop
MAX_ATTACHED = 32  # event monitors per socket
TIMEOUT_MAX_S = 86400  # P2P_FIND / P2P_LISTEN timeouts, seconds
FREQ_RANGE = (1, 100_000)  # MHz
MAX_SERVICES = 256  # local services (bonjour + upnp) a client may register per device
MAX_SD_REQUESTS = 64  # service discovery requests pending per device
DEFAULT_CTRL_DIR = "/run/net80211/p2p"
CTRL_DIR_MODE = 0o770
SOCKET_MODE = 0o660
_NOT_BUILT = {"P2P_REJECT", "P2P_PRESENCE_REQ", "P2P_EXT_LISTEN"}
# wpa_supplicant commands beyond P2P_* this socket serves
_OTHER = {"WPS_PBC", "WPS_PIN", "LIST_NETWORKS", "REMOVE_NETWORK", "SET"}
_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,9})?")
_INTEGER = re.compile(r"-?[0-9]{1,12}")
_HEX = re.compile(r"(0[xX])?[0-9a-fA-F]{1,16}")
# What this interface (or wpa_supplicant) answers: a datagram like that is a
# reply or an event that came back, not a command; answering it could loop.
_REPLIES = {"OK", "FAIL", "PONG", "UNKNOWN COMMAND"}
_EVENT = re.compile(r"<[0-9]+>")
_PROC_FD = os.path.isdir("/proc/self/fd")


def _int(text: str, what: str, low: int, high: int) -> int:
    """A decimal integer within [low, high]; ValueError naming `what` otherwise."""
    if not _INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise ValueError(f"{what} must be an integer within {low}..{high}, not {text[:40]!r}")
    return int(text)


def _hex(text: str, what: str, high: int) -> int:
    if not _HEX.fullmatch(text) or int(text, 16) > high:
        raise ValueError(f"{what} must be hexadecimal within 0..{high:x}, not {text[:40]!r}")
    return int(text, 16)


def _timeout(text: str) -> float | None:
    """P2P_FIND / P2P_LISTEN's timeout: seconds within 0..TIMEOUT_MAX_S (0: none)."""
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"timeout must be seconds within 0..{TIMEOUT_MAX_S}, not {text[:40]!r}")
    v = float(text)
    if not (math.isfinite(v) and 0 <= v <= TIMEOUT_MAX_S):
        raise ValueError(f"timeout must be seconds within 0..{TIMEOUT_MAX_S}, not {text[:40]!r}")
    return v or None


def _is_reply(line: str) -> bool:
    return line in _REPLIES or _EVENT.match(line) is not None


def _inode(path: str) -> tuple[int, int]:
    st = os.lstat(path)
    return st.st_dev, st.st_ino


class CtrlSocket:
    """The control socket of one P2P device."""

    def __init__(self, dev: P2PDevice, path: str, sched: Any,
                 own: set[tuple[int, int]] | None = None) -> None:
        self.dev = dev
        self.path = path
        self.sched = sched
        self.attached: list[Any] = []
        self.commands = 0
        self.counters: Counter[str] = Counter()
        # (st_dev, st_ino) of every control socket of this process: never a destination.
        self.own = own if own is not None else set()
        clear_stale_socket(path, socket.SOCK_DGRAM)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            bind_in_place(self.sock, path, SOCKET_MODE)
            self.inode = _inode(path)
        except OSError:
            self.sock.close()
            raise
        self.own.add(self.inode)
        self.sock.setblocking(False)
        sched.add_reader(self.sock, self._readable)
        dev.on_event = self.event

    def close(self) -> None:
        if self.sock.fileno() < 0:
            return
        self.sched.remove_reader(self.sock)
        self.sock.close()
        self.own.discard(self.inode)
        with contextlib.suppress(OSError):
            if _inode(self.path) == self.inode:  # not a successor's socket
                os.unlink(self.path)
        if self.dev.on_event == self.event:
            self.dev.on_event = None

    def _readable(self) -> None:
        # At most BATCH datagrams: the selector is level-triggered, so the
        # rest waits for the next turn while other descriptors get theirs.
        for _ in range(BATCH):
            try:
                data, _anc, flags, addr = self.sock.recvmsg(MAX_REQUEST)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                log.warning("%s: control socket: %s", self.path, e)
                return
            self.commands += 1
            self.serve(data, addr, truncated=bool(flags & socket.MSG_TRUNC))

    def serve(self, data: bytes, addr: Any, truncated: bool = False) -> None:
        """Answer one datagram (a command) from `addr`."""
        if truncated:
            self.counters["oversized"] += 1
            self._send(b"FAIL\n", addr)
            return
        line = data.decode(errors="replace").strip()
        if _is_reply(line):
            self.counters["not_a_command"] += 1  # a reply came back: never answer it
            return
        reply = self.handle(line, addr)
        if reply == "FAIL\n":
            self.counters["failed"] += 1
        self._send(reply.encode()[:REPLY_MAX], addr)

    def _send(self, data: bytes, addr: Any) -> bool:
        if not addr:
            return False
        if isinstance(addr, bytes):  # an abstract address: no file, no symlink
            dest: Any = addr
            fd = -1
        else:
            try:
                fd = open_socket_path(addr)
            except OSError as e:
                self.counters["peer_refused"] += 1
                log.debug("%s: not sending to %r: %s", self.path, addr, e)
                return False
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) in self.own:
                os.close(fd)
                self.counters["peer_refused"] += 1
                self.counters["peer_is_own_socket"] += 1
                if self.counters["peer_is_own_socket"] % 1000 == 1:  # an attack: said, not flooded
                    log.warning("%s: %r is one of our own control sockets: not sending (%d times)",
                                self.path, addr, self.counters["peer_is_own_socket"])
                return False
            # Sent through the descriptor just checked, so the path cannot be
            # swapped in between; without /proc, to the path checked a moment ago.
            dest = f"/proc/self/fd/{fd}" if _PROC_FD else addr
        try:
            self.sock.sendto(data, dest)
            return True
        except OSError as e:
            self.counters["send_failed"] += 1
            log.debug("%s: cannot reach %r: %s", self.path, addr, e)
            return False
        finally:
            if fd >= 0:
                os.close(fd)

    def event(self, text: str) -> None:
        """Send an event to every attached client; a client gone is detached."""
        msg = f"<3>{text}".encode()[:REPLY_MAX]
        for addr in list(self.attached):
            if not self._send(msg, addr):
                self.attached.remove(addr)

    # -- commands ---------------------------------------------------------------------------
    def handle(self, line: str, addr: Any = None) -> str:
        """The reply to one command line."""
        cmd, _, rest = line.partition(" ")
        args = rest.split()
        try:
            if cmd == "PING":
                return "PONG\n"
            if cmd == "ATTACH":
                if not addr or (addr not in self.attached and len(self.attached) >= MAX_ATTACHED):
                    return "FAIL\n"
                if addr not in self.attached:
                    self.attached.append(addr)
                return "OK\n"
            if cmd == "DETACH":
                if addr in self.attached:
                    self.attached.remove(addr)
                    return "OK\n"
                return "FAIL\n"
            if cmd in ("LEVEL", "LOG_LEVEL"):
                return "OK\n"
            if cmd == "STATUS":
                return self._status()
            if cmd in _NOT_BUILT:
                return "FAIL\n"
            fn = getattr(self, "_cmd_" + cmd.lower(), None) if cmd.startswith("P2P_") or cmd in _OTHER \
                else None
            if fn is None:
                return "UNKNOWN COMMAND\n"
            return fn(args)
        except (OSError, ValueError) as e:  # FrameError is a ValueError
            log.debug("%s: %s -> FAIL (%s)", self.path, line[:200], e)
            return "FAIL\n"
        except Exception:
            # A bug in one handler costs that request, not the daemon.
            self.counters["internal_errors"] += 1
            log.exception("%s: command %r failed", self.path, line[:200])
            return "FAIL\n"

    def _status(self) -> str:
        dev = self.dev
        a = mac_str(dev.address)
        return (f"wpa_state={'DISCONNECTED' if not dev.groups else 'COMPLETED'}\n"
                f"p2p_device_address={a}\naddress={a}\np2p_state={dev.state}\n")

    @staticmethod
    def _opts(args: list[str]) -> tuple[list[str], dict[str, str]]:
        pos, kw = [], {}
        for a in args:
            k, eq, v = a.partition("=")
            if eq:
                kw[k] = v
            else:
                pos.append(a)
        return pos, kw

    def _cmd_p2p_find(self, args: list[str]) -> str:
        pos, kw = self._opts(args)
        if kw.get("type", "social") not in ("social", "progressive"):
            return "FAIL\n"
        self.dev.find(timeout_s=_timeout(pos[0]) if pos else None)
        return "OK\n"

    def _cmd_p2p_stop_find(self, args: list[str]) -> str:
        self.dev.stop_find()
        return "OK\n"

    def _cmd_p2p_listen(self, args: list[str]) -> str:
        self.dev.listen(timeout_s=_timeout(args[0]) if args else None)
        return "OK\n"

    def _cmd_p2p_peer(self, args: list[str]) -> str:
        if len(args) != 1:
            return "FAIL\n"
        peers = self.dev.peers
        key = args[0]
        if key == "FIRST":
            peer = peers.after(None)
        elif key.startswith("NEXT-"):
            peer = peers.after(parse_mac(key[5:]))
        else:
            peer = peers.get(parse_mac(key))
        if peer is None:
            return "FAIL\n"
        return "\n".join([mac_str(peer.addr), *peer.describe(self.sched.now_ns)]) + "\n"

    def _cmd_p2p_peers(self, args: list[str]) -> str:
        return "".join(mac_str(a) + "\n" for a in self.dev.peers)

    def _cmd_p2p_connect(self, args: list[str]) -> str:
        pos, kw = self._opts(args)
        if len(pos) < 2:
            return "FAIL\n"
        addr, method, flags = pos[0], pos[1], set(pos[2:])
        if flags - {"join", "auth", "display", "keypad", "persistent"} or "persistent" in kw \
                or {"display", "keypad"} <= flags:
            return "FAIL\n"  # persistent=<id> (re-invoking through connect) and unknown flags
        if method not in ("pbc", "pin") and not (method.isascii() and method.isdigit()
                                                 and len(method) in (4, 8)):
            return "FAIL-INVALID-PIN\n"
        gi = _int(kw["go_intent"], "go_intent", 0, 15) if "go_intent" in kw else None
        freq = _int(kw["freq"], "freq", *FREQ_RANGE) if "freq" in kw else None
        mode = "display" if "display" in flags else "keypad" if "keypad" in flags else None
        pin = self.dev.connect(addr, method, go_intent=gi, freq=freq, auth="auth" in flags,
                               join="join" in flags, pin_mode=mode, persistent="persistent" in flags)
        return f"{pin}\n" if pin is not None and method == "pin" else "OK\n"

    def _cmd_p2p_group_add(self, args: list[str]) -> str:
        pos, kw = self._opts(args)
        if set(pos) - {"persistent"} or set(kw) - {"freq", "persistent"}:
            return "FAIL\n"  # ht40, vht... are not built
        net = _int(kw["persistent"], "persistent", 0, 2**31) if "persistent" in kw else None
        self.dev.group_add(freq=_int(kw["freq"], "freq", *FREQ_RANGE) if "freq" in kw else None,
                           persistent="persistent" in pos, network=net)
        return "OK\n"

    def _cmd_p2p_group_remove(self, args: list[str]) -> str:
        if len(args) != 1:
            return "FAIL\n"
        if args[0] == "*":
            for name in list(self.dev.groups):
                self.dev.group_remove(name)
            return "OK\n"
        self.dev.group_remove(args[0])
        return "OK\n"

    def _cmd_p2p_invite(self, args: list[str]) -> str:
        pos, kw = self._opts(args)
        if not pos and "persistent" in kw and "peer" in kw and not set(kw) - {"persistent", "peer", "freq"}:
            self.dev.invite_persistent(_int(kw["persistent"], "persistent", 0, 2**31), kw["peer"],
                                       _int(kw["freq"], "freq", *FREQ_RANGE) if "freq" in kw else None)
            return "OK\n"
        if pos or "persistent" in kw or "group" not in kw or "peer" not in kw \
                or set(kw) - {"group", "peer", "go_dev_addr", "freq"}:
            return "FAIL\n"
        g = self.dev.groups.get(kw["group"])
        if g is None or ("go_dev_addr" in kw and parse_mac(kw["go_dev_addr"]) != g.go_dev) \
                or ("freq" in kw and _int(kw["freq"], "freq", *FREQ_RANGE) != g.chan.freq):
            return "FAIL\n"
        self.dev.invite(kw["group"], kw["peer"])
        return "OK\n"

    # -- WPS on the GO, persistent networks ------------------------------------------------------
    def _go(self) -> Any:
        """The device's GO group (a group interface's commands act on it)."""
        gos = self.dev.go_groups()
        if not gos:
            raise NoSuchDevice(f"{self.dev.vap.name}: no GO group")
        return gos[0]

    def _cmd_wps_pbc(self, args: list[str]) -> str:
        """WPS_PBC [any]: press the GO's button (120 s walk time); FAIL-PBC-OVERLAP
        if two enrollees pressed theirs within it (hostapd)."""
        if args not in ([], ["any"]):
            return "FAIL\n"
        return "OK\n" if self._go().wps.push_button() else "FAIL-PBC-OVERLAP\n"

    def _cmd_wps_pin(self, args: list[str]) -> str:
        """WPS_PIN any|<addr> <PIN>: the GO's registrar takes this PIN."""
        if len(args) < 2 or not (args[1].isascii() and args[1].isdigit() and len(args[1]) in (4, 8)):
            return "FAIL\n"
        who = b"any" if args[0] == "any" else parse_mac(args[0])
        self._go().wps.add_pin(args[1], who)
        return f"{args[1]}"

    def _cmd_p2p_get_passphrase(self, args: list[str]) -> str:
        return f"{self._go().passphrase}\n"

    def _cmd_list_networks(self, args: list[str]) -> str:
        return str(self.dev.persistent.list_networks())

    def _cmd_remove_network(self, args: list[str]) -> str:
        if len(args) != 1:
            return "FAIL\n"
        if args[0] == "all":
            self.dev.persistent.networks.clear()
            return "OK\n"
        return "OK\n" if self.dev.persistent.remove(_int(args[0], "network id", 0, 2**31)) else "FAIL\n"

    def _cmd_set(self, args: list[str]) -> str:
        if len(args) == 2 and args[0] == "persistent_reconnect" and args[1] in ("0", "1"):
            self.dev.persistent_reconnect = args[1] == "1"
            return "OK\n"
        if len(args) == 2 and args[0] == "p2p_passphrase_len":
            self.dev.passphrase_len = _int(args[1], "p2p_passphrase_len", 8, 63)
            return "OK\n"
        return "FAIL\n"

    # -- service discovery -------------------------------------------------------------------
    def _cmd_p2p_serv_disc_req(self, args: list[str]) -> str:
        if len(self.dev.sd.requests) >= MAX_SD_REQUESTS:
            return "FAIL\n"
        if len(args) == 2:
            tlvs = bytes.fromhex(args[1])
        elif len(args) >= 4 and args[1] == "upnp":
            tlvs = req_tlv(PROTO_UPNP, 1, upnp_query(_hex(args[2], "upnp version", 0xFF),
                                                     " ".join(args[3:])))
        else:
            return "FAIL\n"
        return f"{self.dev.sd.request(args[0], tlvs):x}\n"

    def _cmd_p2p_serv_disc_cancel_req(self, args: list[str]) -> str:
        if len(args) != 1:
            return "FAIL\n"
        self.dev.sd.cancel(_hex(args[0], "request id", 2**64 - 1))
        return "OK\n"

    def _cmd_p2p_serv_disc_resp(self, args: list[str]) -> str:
        if len(args) != 4:
            return "FAIL\n"
        freq, token = _int(args[0], "freq", *FREQ_RANGE), _int(args[2], "token", 0, 255)
        tlvs = bytes.fromhex(args[3])
        self.dev.sd.respond(freq, parse_mac(args[1]), token, tlvs)
        return "OK\n"

    def _cmd_p2p_serv_disc_external(self, args: list[str]) -> str:
        if len(args) != 1 or args[0] not in ("0", "1"):
            return "FAIL\n"
        self.dev.sd.external = args[0] == "1"
        return "OK\n"

    def _cmd_p2p_service_update(self, args: list[str]) -> str:
        self.dev.sd.update += 1
        return "OK\n"

    def _cmd_p2p_service_flush(self, args: list[str]) -> str:
        self.dev.sd.flush()
        return "OK\n"

    def _cmd_p2p_service_add(self, args: list[str]) -> str:
        sd = self.dev.sd
        if len(sd.bonjour) + len(sd.upnp) >= MAX_SERVICES:
            return "FAIL\n"  # a client must not grow the daemon without bound
        if len(args) == 3 and args[0] == "bonjour":
            sd.add_bonjour(bytes.fromhex(args[1]), bytes.fromhex(args[2]))
        elif len(args) >= 3 and args[0] == "upnp":
            sd.add_upnp(_hex(args[1], "upnp version", 0xFF), " ".join(args[2:]))
        else:
            return "FAIL\n"
        return "OK\n"

    def _cmd_p2p_service_del(self, args: list[str]) -> str:
        sd = self.dev.sd
        if len(args) == 2 and args[0] == "bonjour":
            sd.del_bonjour(bytes.fromhex(args[1]))
        elif len(args) >= 3 and args[0] == "upnp":
            sd.del_upnp(_hex(args[1], "upnp version", 0xFF), " ".join(args[2:]))
        else:
            return "FAIL\n"
        return "OK\n"

    def _cmd_p2p_prov_disc(self, args: list[str]) -> str:
        if len(args) < 2:
            return "FAIL\n"
        self.dev.prov_disc(args[0], args[1])
        return "OK\n"

    def _cmd_p2p_cancel(self, args: list[str]) -> str:
        if self.dev.pending is None and self.dev.neg.session is None and not self.dev.neg.auth:
            return "FAIL\n"
        self.dev.neg.auth.clear()
        self.dev.cancel()
        return "OK\n"

    def _cmd_p2p_flush(self, args: list[str]) -> str:
        if self.dev.state in ("find", "listen"):
            self.dev.stop_find()
        self.dev.peers.clear()
        self.dev.neg.auth.clear()
        return "OK\n"

    def _cmd_p2p_set(self, args: list[str]) -> str:
        if len(args) != 2:
            return "FAIL\n"
        field, value = args
        if field == "listen_channel":
            ch = _int(value, "listen_channel", 1, 255)
            if ch not in SOCIAL_CHANNELS:
                return "FAIL\n"
            self.dev.listen_chan = self.dev._chan(ch)
            return "OK\n"
        if field == "go_intent":
            self.dev.go_intent = _int(value, "go_intent", 0, 15)
            return "OK\n"
        if field == "device_name":
            if len(value.encode()) > 32:  # the WSC Device Name attribute's limit
                return "FAIL\n"
            self.dev.device_name = value
            return "OK\n"
        return "FAIL\n"


def sweep_stale(ctrl_dir: str) -> list[str]:
    """Remove the P2P device sockets a killed process left in `ctrl_dir`
    (nobody reads them); live ones and anything else stay.  The paths removed."""
    try:
        check_dir(ctrl_dir, group_ok=True)  # nothing is removed from a directory we do not trust
        names = sorted(os.listdir(ctrl_dir))
    except OSError:
        return []
    removed = []
    for name in names:
        path = os.path.join(ctrl_dir, name)
        if not name.startswith("p2p-dev-"):
            continue
        try:
            clear_stale_socket(path, socket.SOCK_DGRAM)
        except OSError:
            continue  # served by someone, or not a socket: not ours to remove
        if not os.path.lexists(path):
            removed.append(path)
    return removed


class P2PManager:
    """The P2P devices of a process and their control sockets (`p2p_ctrl_dir`)."""

    def __init__(self, sched: Any, ctrl_dir: str | None = DEFAULT_CTRL_DIR) -> None:
        self.sched = sched
        self.ctrl_dir = ctrl_dir
        self.devices: dict[str, P2PDevice] = {}
        self.sockets: dict[str, CtrlSocket] = {}
        self.own: set[tuple[int, int]] = set()  # inodes of our sockets, shared by all of them
        if ctrl_dir is not None:
            ensure_dir(ctrl_dir, CTRL_DIR_MODE)

    def add(self, vap: IEEE80211Vap, **opts: Any) -> P2PDevice:
        """Run Wi-Fi Direct on a P2P device vap, with a control socket if a
        ctrl_dir was given."""
        if vap.name in self.devices:
            raise InvalidArgument(f"{vap.name}: already managed")
        dev = P2PDevice(vap, **opts)
        dev.start()
        self.devices[vap.name] = dev
        if self.ctrl_dir is not None:
            try:
                self.sockets[vap.name] = CtrlSocket(dev, self.socket_path(vap.name), self.sched,
                                                    self.own)
            except OSError:
                self.devices.pop(vap.name)
                dev.close()
                raise
        return dev

    def socket_path(self, name: str) -> str:
        if self.ctrl_dir is None:
            raise NoSuchDevice("no control directory")
        path = os.path.join(self.ctrl_dir, f"p2p-dev-{name}")
        if len(path.encode()) > 107:
            raise InvalidArgument(f"{path}: too long for a UNIX socket address", errno.ENAMETOOLONG)
        return path

    def remove(self, name: str) -> None:
        dev = self.devices.pop(name, None)
        if dev is None:
            raise NoSuchDevice(f"{name}: not a managed P2P device")
        sock = self.sockets.pop(name, None)
        if sock is not None:
            sock.close()
        dev.close()

    def close(self) -> None:
        for name in list(self.devices):
            self.remove(name)
