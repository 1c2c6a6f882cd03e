"""A wpa_supplicant-compatible control interface for P2P devices.

One UNIX datagram socket per P2P device at `<ctrl_dir>/p2p-dev-<vap name>`
(mode 0660, in a directory made 0770 if missing).  A client binds its own
socket and sends one command per datagram; the reply goes back to the
sender's address.  `ATTACH`ed clients receive events as `<3>TEXT`.
`P2PManager` owns the P2P devices and their sockets and serves them from the
scheduler's reader API, so the same code runs in virtual and real time.

Groups are open: there is no passphrase (`P2P_GET_PASSPHRASE` fails).
Commands of features not built (persistent groups, P2P_REJECT, presence,
extended listen) answer `FAIL`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
from typing import Any

from ic import InvalidArgument, NoSuchDevice, mac_str, parse_mac
from net80211.p2p.device import P2PDevice
from net80211.p2p.sd import PROTO_UPNP, req_tlv, upnp_query
from net80211.p2p.wire import SOCIAL_CHANNELS

log = logging.getLogger("net80211.p2p")

REPLY_MAX = 4095
DEFAULT_CTRL_DIR = "/run/net80211/p2p"
_NOT_BUILT = {"P2P_REJECT", "P2P_PRESENCE_REQ", "P2P_EXT_LISTEN", "P2P_GET_PASSPHRASE"}


class CtrlSocket:
    """The control socket of one P2P device."""

    def __init__(self, dev: P2PDevice, path: str, sched: Any) -> None:
        self.dev = dev
        self.path = path
        self.sched = sched
        self.attached: list[Any] = []
        self.commands = 0
        with contextlib.suppress(FileNotFoundError):
            if os.path.exists(path):
                os.unlink(path)  # a stale socket of a previous run
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self.sock.bind(path)
            os.chmod(path, 0o660)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        sched.add_reader(self.sock, self._readable)
        dev.on_event = self.event

    def close(self) -> None:
        if self.sock.fileno() < 0:
            return
        self.sched.remove_reader(self.sock)
        self.sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        if self.dev.on_event == self.event:
            self.dev.on_event = None

    def _readable(self) -> None:
        while True:
            try:
                data, addr = self.sock.recvfrom(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                log.warning("%s: control socket: %s", self.path, e)
                return
            self.commands += 1
            reply = self.handle(data.decode(errors="replace").strip(), addr)
            self._send(reply.encode()[:REPLY_MAX], addr)

    def _send(self, data: bytes, addr: Any) -> bool:
        if not addr:
            return False
        try:
            self.sock.sendto(data, addr)
            return True
        except OSError as e:
            log.debug("%s: cannot reach %r: %s", self.path, addr, e)
            return False

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
                if addr and addr not in self.attached:
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
            fn = getattr(self, "_cmd_" + cmd.lower(), None) if cmd.startswith("P2P_") else None
            if fn is None:
                return "UNKNOWN COMMAND\n"
            return fn(args)
        except (OSError, ValueError) as e:  # FrameError is a ValueError
            log.debug("%s: %s -> FAIL (%s)", self.path, line, e)
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
        timeout = float(pos[0]) if pos else None
        self.dev.find(timeout_s=timeout)
        return "OK\n"

    def _cmd_p2p_stop_find(self, args: list[str]) -> str:
        self.dev.stop_find()
        return "OK\n"

    def _cmd_p2p_listen(self, args: list[str]) -> str:
        self.dev.listen(timeout_s=float(args[0]) if args else None)
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
        if flags - {"join", "auth"} or "persistent" in kw or "persistent" in flags:
            return "FAIL\n"  # persistent groups and unknown flags are not built
        gi = int(kw["go_intent"]) if "go_intent" in kw else None
        freq = int(kw["freq"]) if "freq" in kw else None
        pin = self.dev.connect(addr, method, go_intent=gi, freq=freq, auth="auth" in flags,
                               join="join" in flags)
        return f"{pin}\n" if pin is not None and method == "pin" else "OK\n"

    def _cmd_p2p_group_add(self, args: list[str]) -> str:
        pos, kw = self._opts(args)
        if pos or set(kw) - {"freq"}:
            return "FAIL\n"  # persistent, ht40, vht... are not built
        self.dev.group_add(freq=int(kw["freq"]) if "freq" in kw else None)
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
        if pos or "persistent" in kw or "group" not in kw or "peer" not in kw \
                or set(kw) - {"group", "peer", "go_dev_addr", "freq"}:
            return "FAIL\n"  # persistent groups are not built
        g = self.dev.groups.get(kw["group"])
        if g is None or ("go_dev_addr" in kw and parse_mac(kw["go_dev_addr"]) != g.go_dev) \
                or ("freq" in kw and int(kw["freq"]) != g.chan.freq):
            return "FAIL\n"
        self.dev.invite(kw["group"], kw["peer"])
        return "OK\n"

    # -- service discovery -------------------------------------------------------------------
    def _cmd_p2p_serv_disc_req(self, args: list[str]) -> str:
        if len(args) == 2:
            tlvs = bytes.fromhex(args[1])
        elif len(args) >= 4 and args[1] == "upnp":
            tlvs = req_tlv(PROTO_UPNP, 1, upnp_query(int(args[2], 16), " ".join(args[3:])))
        else:
            return "FAIL\n"
        return f"{self.dev.sd.request(args[0], tlvs):x}\n"

    def _cmd_p2p_serv_disc_cancel_req(self, args: list[str]) -> str:
        if len(args) != 1:
            return "FAIL\n"
        self.dev.sd.cancel(int(args[0], 16))
        return "OK\n"

    def _cmd_p2p_serv_disc_resp(self, args: list[str]) -> str:
        if len(args) != 4:
            return "FAIL\n"
        freq, token, tlvs = int(args[0]), int(args[2]), bytes.fromhex(args[3])
        if not 0 <= token <= 255:
            return "FAIL\n"
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
        if len(args) == 3 and args[0] == "bonjour":
            sd.add_bonjour(bytes.fromhex(args[1]), bytes.fromhex(args[2]))
        elif len(args) >= 3 and args[0] == "upnp":
            sd.add_upnp(int(args[1], 16), " ".join(args[2:]))
        else:
            return "FAIL\n"
        return "OK\n"

    def _cmd_p2p_service_del(self, args: list[str]) -> str:
        sd = self.dev.sd
        if len(args) == 2 and args[0] == "bonjour":
            sd.del_bonjour(bytes.fromhex(args[1]))
        elif len(args) >= 3 and args[0] == "upnp":
            sd.del_upnp(int(args[1], 16), " ".join(args[2:]))
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
            ch = int(value)
            if ch not in SOCIAL_CHANNELS:
                return "FAIL\n"
            self.dev.listen_chan = self.dev._chan(ch)
            return "OK\n"
        if field == "go_intent":
            v = int(value)
            if not 0 <= v <= 15:
                return "FAIL\n"
            self.dev.go_intent = v
            return "OK\n"
        if field == "device_name":
            self.dev.device_name = value
            return "OK\n"
        return "FAIL\n"


class P2PManager:
    """The P2P devices of a process and their control sockets (`p2p_ctrl_dir`)."""

    def __init__(self, sched: Any, ctrl_dir: str | None = DEFAULT_CTRL_DIR) -> None:
        self.sched = sched
        self.ctrl_dir = ctrl_dir
        self.devices: dict[str, P2PDevice] = {}
        self.sockets: dict[str, CtrlSocket] = {}
        if ctrl_dir is not None:
            os.makedirs(ctrl_dir, mode=0o770, exist_ok=True)

    def add(self, vap: Any, **opts: Any) -> P2PDevice:
        """Run Wi-Fi Direct on a P2P device vap, with a control socket if a
        ctrl_dir was given."""
        if vap.name in self.devices:
            raise InvalidArgument(f"{vap.name}: already managed")
        dev = P2PDevice(vap, **opts)
        dev.start()
        self.devices[vap.name] = dev
        if self.ctrl_dir is not None:
            try:
                self.sockets[vap.name] = CtrlSocket(dev, self.socket_path(vap.name), self.sched)
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
