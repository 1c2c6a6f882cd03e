"""The real-kernel VM, built once per test session (per xdist worker).

The unpacked kernel is cached across sessions (see support.realkernel.kernel);
the initramfs is rebuilt each session, which takes well under a second.
"""

from __future__ import annotations

import os
import pathlib
import struct

import pytest
from conftest import require
from support.realkernel import KernelUnavailable, Vm
from support.realkernel.hostap import SRC_ENV
from support.realkernel.kernel import tool
from support.realkernel.wifi import VENV_PYTHON

# On the host for the VM, and on the host root the VM runs its jobs in.
TOOLS = ("qemu-system-x86_64", "apt-get", "dpkg", "depmod", "modprobe", "busybox",
         "hostapd", "hostapd_cli", "wpa_supplicant", "wpa_cli", "iw", "ip", "ping", "dumpcap")

# hostap's own hwsim suite needs a hostap tree, which neither Debian nor PyPI ships
# (support/realkernel/hostap.py): collected only when one is named.
collect_ignore = [] if os.environ.get(SRC_ENV) else ["test_hostap_wmediumd.py"]


def _missing_tools() -> list[str]:
    missing = []
    for name in TOOLS:
        try:
            tool(name)
        except KernelUnavailable:
            missing.append(name)
    return missing


@pytest.fixture(scope="session")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Vm:
    missing = _missing_tools()
    require(not missing, f"the real-kernel test bed needs {', '.join(missing)} (see .ci/run)")
    require(pathlib.Path("/bin/busybox").read_bytes()[:4] == b"\x7fELF" and _static("/bin/busybox"),
            "/bin/busybox is not static (install busybox-static)")
    require(VENV_PYTHON.exists(), f"{VENV_PYTHON} is missing (make venv)")
    try:
        return Vm.build(tmp_path_factory.mktemp("vm"))
    except KernelUnavailable as e:
        require(False, str(e))
        raise


def _static(path: str) -> bool:
    # A static ELF has no PT_INTERP program header; the initramfs has no libc to offer.
    data = pathlib.Path(path).read_bytes()
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    return all(struct.unpack_from("<I", data, phoff + i * phentsize)[0] != 3 for i in range(phnum))
