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


def _shell_package(name: str, path: pathlib.Path | list[str]) -> None:
    """Register package `name` without running its __init__ (submodules import as usual)."""
    shell = ModuleType(name)
    shell.__path__ = [str(path)] if isinstance(path, pathlib.Path) else path
    sys.modules[name] = shell


def _load_genl() -> ModuleType:
    """Import the codec at a fraction of the usual cost under TCG.

    Run as `python -S` (the venv's site machinery alone costs a second
    there), so the venv's packages go on the path by hand.  The packages
    above the codec are registered as empty shells: `drivers.hwsim`'s
    __init__ would load the whole simulated driver (cffi, numpy) and
    pyroute2's every pyroute2 module (~8 s in the VM), none of which the
    codec needs."""
    if "site" not in sys.modules:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        # without site, sys.prefix is the base interpreter's: find the venv from the executable
        venv = pathlib.Path(sys.executable).parent.parent
        sys.path.append(str(venv / "lib" / version / "site-packages"))
    spec = importlib.util.find_spec("pyroute2")
    if spec is not None and spec.submodule_search_locations:
        _shell_package("pyroute2", list(spec.submodule_search_locations))
    _shell_package("drivers", REPO / "drivers")
    _shell_package("drivers.hwsim", REPO / "drivers" / "hwsim")
    _shell_package("drivers.hwsim.external", REPO / "drivers" / "hwsim" / "external")
    return importlib.import_module("drivers.hwsim.external.genl")


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
