"""Boot the distribution kernel under qemu (TCG) and run one shell job in it.

Each `Vm.run` is one boot: mac80211_hwsim is loaded with the radios asked
for, the job runs as root in a chroot of the host's root (read-only; /tmp and
/run are the VM's own tmpfs), files it writes to `$RESULTS` come back in the
result, and the VM powers off when the job ends.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from . import initramfs
from .kernel import REPO, Kernel, ensure_kernel, tool

# The job runs under bash with these helpers defined (polling waits are the
# harness waiting on the VM's daemons, bounded by a deadline, not protocol timing).
PRELUDE = r"""#!/bin/bash
set -euo pipefail
# A timestamped trace of every command, for the report of a failed job.
exec 9> "$RESULTS/.trace"
BASH_XTRACEFD=9
PS4='+ ${EPOCHREALTIME} '
set -x
# wait_for SECONDS CMD...: run CMD until it succeeds or SECONDS pass.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out waiting for: $*" >&2; return 1; fi
    sleep 0.1
  done
}
"""


class VmError(RuntimeError):
    """The VM did not run the job to the end."""


@dataclass
class VmResult:
    """What one boot left behind."""

    rc: int | None
    stdout: str
    stderr: str
    console: str
    files: dict[str, bytes] = field(default_factory=dict)
    trace: str = ""  # the job's `set -x` output, each command with its guest time
    boot_s: float | None = None  # guest uptime when the job started
    job_s: float | None = None  # guest time the job took
    wall_s: float = 0.0
    timed_out: bool = False

    def text(self, name: str) -> str:
        """A file the job wrote to $RESULTS, as text."""
        if name not in self.files:
            raise KeyError(f"the job wrote no {name!r}; it wrote {sorted(self.files)}\n{self.report()}")
        return self.files[name].decode(errors="replace")

    def report(self) -> str:
        tail = "\n".join(self.console.splitlines()[-40:])
        trace = "\n".join(self.trace.splitlines()[-60:])
        return (f"rc={self.rc} timed_out={self.timed_out} boot={self.boot_s}s job={self.job_s}s "
                f"wall={self.wall_s:.1f}s\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}\n"
                f"--- trace (tail)\n{trace}\n--- console (tail)\n{tail}")

    def check(self) -> VmResult:
        """Raise with everything the VM said unless the job exited 0."""
        if self.rc != 0:
            raise VmError(f"VM job failed: {self.report()}")
        return self


class Vm:
    """A kernel and its initramfs, booted once per `run`."""

    def __init__(self, kernel: Kernel, image: pathlib.Path, *, memory_mb: int = 1024, cpus: int = 1) -> None:
        self.kernel = kernel
        self.image = image
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.qemu = tool("qemu-system-x86_64")

    @classmethod
    def build(cls, workdir: pathlib.Path, **kw: int) -> Vm:
        """Fetch (or reuse) the kernel and write a fresh initramfs into `workdir`."""
        kernel = ensure_kernel()
        image = workdir / "initramfs.cpio"
        image.write_bytes(initramfs.build(kernel, keep=[REPO]))
        return cls(kernel, image, **kw)

    def command(self, results: pathlib.Path, radios: int) -> list[str]:
        p9 = "security_model=none,multidevs=remap"
        return [
            self.qemu, "-accel", "tcg", "-cpu", "max", "-m", str(self.memory_mb), "-smp", str(self.cpus),
            "-nodefaults", "-no-user-config", "-display", "none", "-monitor", "none",
            "-serial", "stdio", "-no-reboot",
            "-kernel", str(self.kernel.boot_image), "-initrd", str(self.image),
            "-append", f"console=ttyS0 quiet panic=-1 mitigations=off net80211.radios={radios}",
            "-device", "virtio-rng-pci",
            "-virtfs", f"local,path=/,mount_tag={initramfs.HOST_TAG},{p9},readonly=on",
            "-virtfs", f"local,path={results},mount_tag={initramfs.RESULTS_TAG},{p9}",
        ]

    def run(self, script: str, *, radios: int = 2, timeout_s: float = 120.0,
            files: dict[str, str | bytes] | None = None) -> VmResult:
        """Boot with `radios` hwsim radios, run `script` (bash), return its output and files."""
        results = pathlib.Path(tempfile.mkdtemp(prefix="vm-results-"))
        try:
            for name, data in (files or {}).items():
                (results / name).write_bytes(data.encode() if isinstance(data, str) else data)
            (results / "job.sh").write_text(PRELUDE + script)
            start = time.monotonic()
            proc = subprocess.Popen(self.command(results, radios), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            timed_out = False
            try:
                console, _ = proc.communicate(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                proc.kill()
                console, _ = proc.communicate()
            return self._collect(results, console.decode(errors="replace"), time.monotonic() - start,
                                 timed_out)
        finally:
            shutil.rmtree(results, ignore_errors=True)

    @staticmethod
    def _collect(results: pathlib.Path, console: str, wall_s: float, timed_out: bool) -> VmResult:
        def read(name: str) -> str | None:
            p = results / name
            return p.read_text(errors="replace") if p.exists() else None

        def seconds(name: str) -> float | None:
            v = read(name)
            return float(v) if v and v.strip() else None

        rc = read(".rc")
        boot, end = seconds(".boot_s"), seconds(".end_s")
        files = {}
        for p in results.rglob("*"):
            rel = p.relative_to(results).as_posix()
            if p.is_file() and not rel.startswith(".") and rel != "job.sh":
                files[rel] = p.read_bytes()
        return VmResult(
            rc=int(rc) if rc and rc.strip() else None, stdout=read(".stdout") or "",
            stderr=read(".stderr") or "", console=console, files=files, boot_s=boot,
            job_s=(end - boot) if boot is not None and end is not None else None,
            wall_s=wall_s, timed_out=timed_out, trace=read(".trace") or "",
        )

