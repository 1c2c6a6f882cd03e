"""Create, list and delete mac80211_hwsim radios over generic netlink, with the project's codec.

Run inside the VM (`python hwsimctl.py new NAME | del NAME | list`): it
speaks HWSIM_CMD_NEW_RADIO / DEL_RADIO / GET_RADIO to the real kernel
through `drivers/hwsim/external/genl.py`, so the codec is checked against
the kernel's own replies.
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import socket
import sys
from types import ModuleType

NETLINK_GENERIC = 16
REPO = pathlib.Path(__file__).resolve().parents[3]


def _lean_imports() -> None:
    """Make the codec importable at a fraction of the usual cost under TCG.

    Run as `python -S` (the venv's site machinery alone costs a second
    there), so put the venv's packages on the path by hand; and register an
    empty `pyroute2` package, because its __init__ imports every pyroute2
    module (~8 s in the VM) while the codec needs only pyroute2.netlink."""
    if "site" not in sys.modules:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        # without site, sys.prefix is the base interpreter's: find the venv from the executable
        venv = pathlib.Path(sys.executable).parent.parent
        sys.path.append(str(venv / "lib" / version / "site-packages"))
    if "pyroute2" not in sys.modules:
        spec = importlib.util.find_spec("pyroute2")
        assert spec and spec.submodule_search_locations
        shell = ModuleType("pyroute2")
        shell.__path__ = list(spec.submodule_search_locations)
        sys.modules["pyroute2"] = shell


def _load_genl() -> ModuleType:
    # Loaded by path: importing the `drivers.hwsim` package would pull in the
    # whole simulated driver (cffi, numpy), which costs seconds under TCG.
    _lean_imports()
    path = REPO / "drivers" / "hwsim" / "external" / "genl.py"
    spec = importlib.util.spec_from_file_location("hwsim_genl", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


genl = _load_genl()


class HwsimControl:
    """A NETLINK_GENERIC socket talking to MAC80211_HWSIM."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.seq = 0
        self.family = self._resolve()

    def _request(self, msg) -> list:  # noqa: ANN001 -- a genl.Message
        self.seq += 1
        msg.seq = self.seq
        self.sock.send(genl.encode(msg))
        out = []
        while True:
            for item in genl.decode(self.sock.recv(65536), getattr(self, "family", genl.FAMILY_ID)):
                if isinstance(item, genl.GenlError):
                    raise item
                if isinstance(item, genl.Ack):
                    if item.error < 0:
                        raise OSError(-item.error, f"kernel refused command {msg.cmd}")
                    return [*out, item]
                if isinstance(item, genl.Done):
                    return out
                out.append(item)

    def _resolve(self) -> int:
        # The family id changes with every module load: resolve it by name.
        replies = self._request(genl.getfamily_msg())
        return next(m.get(genl.CTRL_ATTR_FAMILY_ID) for m in replies if isinstance(m, genl.Message))

    def _msg(self, cmd: int, attrs: dict, flags: int = 0):  # noqa: ANN202
        return genl.Message(cmd, attrs, type=self.family, flags=genl.NLM_F_REQUEST | genl.NLM_F_ACK | flags)

    def new_radio(self, name: str) -> int:
        """Create a radio named `name` (its wiphy gets that name); returns its id."""
        replies = self._request(self._msg(genl.Cmd.NEW_RADIO, {genl.Attr.RADIO_NAME: name}))
        return replies[-1].error

    def del_radio(self, name: str) -> None:
        self._request(self._msg(genl.Cmd.DEL_RADIO, {genl.Attr.RADIO_NAME: name}))

    def radios(self) -> list[tuple[int, str]]:
        """(id, name) of every radio, from a GET_RADIO dump."""
        replies = self._request(self._msg(genl.Cmd.GET_RADIO, {}, genl.NLM_F_DUMP))
        return [(m.get(genl.Attr.RADIO_ID), m.get(genl.Attr.RADIO_NAME)) for m in replies
                if isinstance(m, genl.Message) and m.cmd == genl.Cmd.GET_RADIO]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="hwsimctl", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("new").add_argument("name")
    sub.add_parser("del").add_argument("name")
    sub.add_parser("list")
    args = p.parse_args(argv)
    ctl = HwsimControl()
    if args.cmd == "new":
        print(ctl.new_radio(args.name))
    elif args.cmd == "del":
        ctl.del_radio(args.name)
    else:
        for rid, name in ctl.radios():
            print(rid, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
