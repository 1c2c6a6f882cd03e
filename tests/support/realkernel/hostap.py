"""hostap's own hwsim test suite (tests/hwsim: run-tests.py, start.sh) in the VM, with
hwsim-wmediumd standing in for wmediumd.

hostap's tests live only in its git tree: Debian's `wpa` source package is
built from the release tarballs, which leave tests/ out, and no other
package carries them.  So the tree is whatever `NET80211_HOSTAP_SRC` names
(a checkout of hostap or of a fork that keeps tests/hwsim); `build` compiles
in it what start.sh runs (hostapd, hostapd_cli, hlr_auc_gw, wpa_supplicant,
wpa_cli, wlantest) with the suite's example configs, make's own dependency
tracking keeping a second run from rebuilding anything.

In the VM the job does what hostap's vm/inside.sh does around the suite
(a `sudo` that just runs its command, USER for start.sh) and puts a
`wmediumd` on PATH that is our hwsim-wmediumd; hostap's files are used as
they are.
"""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import subprocess

from .initramfs import RESULTS_DIR
from .mediumd import MEDIUMD
from .wifi import REPO, VENV_PYTHON

SRC_ENV = "NET80211_HOSTAP_SRC"
WMEDIUMD = MEDIUMD.with_name("hwsim-wmediumd")
BINARIES = ("hostapd/hostapd", "hostapd/hostapd_cli", "hostapd/hlr_auc_gw",
            "wpa_supplicant/wpa_supplicant", "wpa_supplicant/wpa_cli", "wlantest/wlantest",
            "wlantest/wlantest_cli")
# The example configs' options that need what a test VM has no use for: libbfd
# for backtraces, D-Bus for the D-Bus control interface (its tests need a bus).
DROPPED_OPTIONS = re.compile(r"^\s*(CONFIG_WPA_TRACE|CONFIG_CTRL_IFACE_DBUS)\w*\s*=.*$", re.M)
# Debian packages of the headers and libraries the build needs.
BUILD_DEPS = ("libssl-dev", "libnl-3-dev", "libnl-genl-3-dev", "libnl-route-3-dev", "libpcap-dev",
              "libsqlite3-dev")
# The suite imports pycryptodome's `Crypto` at the top of test_ap_psk (which the mesh
# tests import): Debian ships it only as `Cryptodome`, the venv has it (a project
# dependency), so run-tests.py runs under the venv's python.
PYTHON = VENV_PYTHON
LOGDIR = "/tmp/hwsim-logs"  # the VM's tmpfs: hostapd and wpa_supplicant log a lot at -ddK
RESULT = re.compile(r"^(PASS|FAIL|SKIP) (\S+) ([\d.]+) ", re.M)


class HostapUnavailable(RuntimeError):
    """No usable hostap tree, or it does not build."""


def source() -> pathlib.Path:
    """The hostap tree `NET80211_HOSTAP_SRC` names, checked to hold the hwsim suite."""
    name = os.environ.get(SRC_ENV)
    if not name:
        raise HostapUnavailable(f"{SRC_ENV} names no hostap tree")
    src = pathlib.Path(name).resolve()
    for rel in ("tests/hwsim/run-tests.py", "tests/hwsim/start.sh", "tests/hwsim/test_wmediumd.py",
                "tests/hwsim/example-hostapd.config", "tests/hwsim/example-wpa_supplicant.config"):
        if not (src / rel).is_file():
            raise HostapUnavailable(f"{src} has no {rel}: not a hostap tree with its hwsim tests")
    if src.is_relative_to("/tmp") or src.is_relative_to("/run"):
        raise HostapUnavailable(f"{src}: the VM has its own /tmp and /run; put the tree elsewhere")
    return src


def _config(src: pathlib.Path, program: str) -> None:
    """The suite's example config for `program`, less DROPPED_OPTIONS, as its .config
    (rewritten only when it changes, so make sees nothing new on a rerun)."""
    text = DROPPED_OPTIONS.sub("", (src / "tests" / "hwsim" / f"example-{program}.config").read_text())
    target = src / program / ".config"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def build(src: pathlib.Path, *, jobs: int = 2) -> None:
    """Build the suite's programs in `src` (a no-op when they are up to date)."""
    _config(src, "hostapd")
    _config(src, "wpa_supplicant")
    steps = (("hostapd", ["hostapd", "hostapd_cli", "hlr_auc_gw"]),
             ("wpa_supplicant", ["wpa_supplicant", "wpa_cli"]),
             ("wlantest", ["wlantest", "wlantest_cli"]))
    for sub, targets in steps:
        r = subprocess.run(["make", "QUIET=1", f"-j{jobs}", *targets], cwd=src / sub,
                           capture_output=True, text=True)
        if r.returncode != 0:
            tail = "\n".join((r.stdout + r.stderr).splitlines()[-30:])
            raise HostapUnavailable(f"building {sub} failed (needs {', '.join(BUILD_DEPS)}):\n{tail}")
    missing = [b for b in BINARIES if not (src / b).is_file()]
    if missing:
        raise HostapUnavailable(f"the build left no {', '.join(missing)}")
    # run-tests.py imports every test module; the VM sees the tree read-only, so it
    # would compile them all on each boot under TCG.  Compiled here once.
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", "tests/hwsim", "wpaspy"], cwd=src,
                   check=True, capture_output=True)


def precompile_project() -> None:
    """Byte-compile the project for the VM, which sees it read-only: hostap's tests start
    `wmediumd` once per test, and compiling what it imports took ~13 s of each start
    under TCG."""
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", "ic", "net80211", "drivers"], cwd=REPO,
                   check=True, capture_output=True)


def job(src: pathlib.Path, tests: list[str]) -> str:
    """Shell: hostap's start.sh, run-tests.py on `tests`, stop.sh; run-tests.py's output in
    run-tests.txt and its log directory under hwsim-logs/ in $RESULTS."""
    hwsim = src / "tests" / "hwsim"
    names = " ".join(shlex.quote(t) for t in tests)
    return f"""
# What hostap's vm/inside.sh sets up around the suite: everything runs as root.
mkdir -p /run/hwsim-bin {LOGDIR}
printf '#!/bin/sh\\nexec "$@"\\n' > /run/hwsim-bin/sudo
chmod +x /run/hwsim-bin/sudo
ln -s {shlex.quote(str(WMEDIUMD))} /run/hwsim-bin/wmediumd
export PATH=/run/hwsim-bin:$PATH USER=0 LOGDIR={LOGDIR}
ip link set lo up
wmediumd -V > {RESULTS_DIR}/wmediumd_version.txt 2>&1 || true
cd {shlex.quote(str(hwsim))}
# start.sh's stop.sh unloads mac80211_hwsim; start.sh loads it as the suite wants it
# (7 radios, no P2P device) with the host's modprobe over the VM's kernel tree.
./start.sh VM > {RESULTS_DIR}/start.txt 2>&1
rc=0
{shlex.quote(str(PYTHON))} ./run-tests.py -D --logdir {LOGDIR} -q {names} \\
  > {RESULTS_DIR}/run-tests.txt 2>&1 || rc=$?
echo $rc > {RESULTS_DIR}/run-tests.rc
./stop.sh > {RESULTS_DIR}/stop.txt 2>&1 || true
dmesg > {RESULTS_DIR}/dmesg.txt
cp -r {LOGDIR} {RESULTS_DIR}/hwsim-logs
"""


def results(text: str) -> dict[str, str]:
    """run-tests.py -q's verdict lines (`PASS name seconds when`): test name -> PASS/FAIL/SKIP."""
    return {m.group(2): m.group(1) for m in RESULT.finditer(text)}
