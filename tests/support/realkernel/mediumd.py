"""hwsim-mediumd inside the VM, as the medium of the real mac80211_hwsim radios.

The daemon runs from the host tree's venv (`.venv/bin/hwsim-mediumd`: its
shebang and the venv's interpreter link are host paths, which resolve in the
VM's chroot of the host root).  Kernel mode is `hwsim-mediumd -c CFG` without
`-s`, plus whatever option `--help` advertises for it (`--kernel`).
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess

from .initramfs import RESULTS_DIR
from .wifi import REPO

# NET80211_MEDIUMD: another build of the daemon (a work tree's venv), for trying it out.
MEDIUMD = pathlib.Path(os.environ.get("NET80211_MEDIUMD") or REPO / ".venv" / "bin" / "hwsim-mediumd")
NOISE_DBM = -91  # wmediumd's noise floor: signal = SNR + noise (REFERENCE §4)
REGISTER_TIMEOUT_S = 180  # importing the daemon under TCG takes tens of seconds


def help_text() -> str:
    """`hwsim-mediumd --help` as the host runs it ('' if it cannot run)."""
    try:
        # argparse wraps to COLUMNS: fix it so the host's and the VM's text compare equal.
        return subprocess.run([str(MEDIUMD), "--help"], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "COLUMNS": "80"}).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def kernel_mode_args(text: str | None = None) -> list[str] | None:
    """Options that select kernel mode, or None while `--help` shows no kernel mode."""
    text = help_text() if text is None else text
    if re.search(r"--kernel\b", text):
        return ["--kernel"]
    if re.search(r"NETLINK_GENERIC|kernel'?s? mac80211_hwsim|real (kernel )?radios", text, re.I):
        return []  # no option: `-c CFG` without `-s` serves the kernel
    return None


def snr_config(stations: int, snr_db: int) -> str:
    """A wmediumd config: the first `stations` hwsim radios, every link at `snr_db`."""
    ids = ", ".join(f'"02:00:00:00:{i:02x}:00"' for i in range(stations))
    return (f"ifaces : {{ ids = [ {ids} ]; }};\n"
            f'model : {{ type = "snr"; default_snr = {snr_db}; }};\n')


def start(config: str, args: list[str]) -> str:
    """Shell: start the daemon on `config` before any radio transmits; wait until it has registered."""
    opts = " ".join([*args, "-c", "/run/medium.cfg"])  # no -v: per-frame logging would slow it
    return f"""
cat > /run/medium.cfg <<'CONF'
{config}CONF
{MEDIUMD} {opts} > {RESULTS_DIR}/mediumd.log 2>&1 &
echo $! > /run/mediumd.pid
wait_for {REGISTER_TIMEOUT_S} grep -qi registered {RESULTS_DIR}/mediumd.log
"""


def stop() -> str:
    """Shell: stop the daemon (it logs its counters on the way out) and check it was still running;
    its exit status goes to mediumd_rc.txt (137: it ignored SIGTERM for 30 s and was killed)."""
    return f"""
mediumd_pid=$(cat /run/mediumd.pid)
kill -0 $mediumd_pid && echo running > {RESULTS_DIR}/mediumd_alive.txt
kill -TERM $mediumd_pid
# An exited child stays a zombie (state Z) until this shell, its parent, reaps it with wait.
exited() {{ ! grep -qs '^State:.*[RSDT]' /proc/$mediumd_pid/status; }}
wait_for 30 exited || kill -KILL $mediumd_pid
rc=0; wait $mediumd_pid || rc=$?; echo $rc > {RESULTS_DIR}/mediumd_rc.txt
"""
