"""The distribution kernel the VM boots: fetched with apt, unpacked once, cached.

Debian's `linux-image-amd64` metapackage names the current kernel package;
`apt-get download` fetches exactly that package, `dpkg -x` unpacks it into a
cache directory and `depmod -b` indexes its modules, so the host's `modprobe
-d DIR -S KVER` resolves dependencies over it (inside the VM too: the VM sees
the host's root, cache included).
"""

from __future__ import annotations

import contextlib
import fcntl
import lzma
import os
import pathlib
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

REPO = pathlib.Path(__file__).resolve().parents[3]
META_PACKAGE = "linux-image-amd64"
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


class KernelUnavailable(RuntimeError):
    """The kernel package cannot be found, fetched or unpacked."""


@dataclass(frozen=True)
class Kernel:
    """An unpacked kernel package: its root directory, release and image."""

    root: pathlib.Path
    release: str

    @property
    def vmlinuz(self) -> pathlib.Path:
        return self.root / "boot" / f"vmlinuz-{self.release}"

    @property
    def vmlinux(self) -> pathlib.Path:
        """The uncompressed ELF kernel (see extract_vmlinux), when it could be extracted."""
        return self.root / "boot" / f"vmlinux-{self.release}"

    @property
    def boot_image(self) -> pathlib.Path:
        """What qemu's -kernel gets: the ELF if there is one (PVH boot), else the bzImage."""
        return self.vmlinux if self.vmlinux.exists() else self.vmlinuz

    @property
    def moddir(self) -> pathlib.Path:
        return self.root / "lib" / "modules" / self.release

    def modprobe_args(self) -> list[str]:
        """Options that point the host's modprobe at this tree instead of the running kernel's."""
        return ["-d", str(self.root), "-S", self.release]

    def closure(self, *modules: str) -> list[pathlib.Path]:
        """Module files needed by `modules`, in load order, each once (builtins left out)."""
        out = subprocess.run(
            [tool("modprobe"), *self.modprobe_args(), "--show-depends", "-a", *modules],
            check=True, capture_output=True, text=True,
        ).stdout
        seen: dict[pathlib.Path, None] = {}
        for line in out.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] == "insmod":
                seen.setdefault(pathlib.Path(words[1]), None)
        return list(seen)


def tool(name: str) -> str:
    """Path of a system tool, also looking in the sbin directories a non-root PATH lacks."""
    path = shutil.which(name, path=SBIN_PATH)
    if path is None:
        raise KernelUnavailable(f"{name} is not installed")
    return path


def cache_dir() -> pathlib.Path:
    """Where unpacked kernels live (`NET80211_VM_CACHE`, else .cache/realkernel in the repo)."""
    return pathlib.Path(os.environ.get("NET80211_VM_CACHE") or REPO / ".cache" / "realkernel")


def current_package() -> str:
    """The exact kernel package the metapackage depends on (never a glob: it would fetch every version)."""
    out = subprocess.run([tool("apt-cache"), "depends", META_PACKAGE],
                         capture_output=True, text=True).stdout
    m = re.search(r"Depends:\s*(linux-image-\S+)", out)
    if not m:
        raise KernelUnavailable(f"apt knows no {META_PACKAGE} (run apt-get update)")
    return m.group(1)


@contextlib.contextmanager
def _locked(path: pathlib.Path) -> Iterator[None]:
    # Parallel test workers share the cache: one unpacks, the others wait and reuse.
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_kernel(package: str | None = None) -> Kernel:
    """Fetch, unpack and index the kernel package unless the cache already holds it."""
    package = package or current_package()
    base = cache_dir()
    root = base / package
    with _locked(base / ".lock"):
        stamp = root / ".ready"
        if not stamp.exists():
            _unpack(package, root)
            stamp.write_text(package + "\n")
        releases = sorted(p.name for p in (root / "lib" / "modules").iterdir())
        if len(releases) != 1:
            raise KernelUnavailable(f"{root}: expected one kernel release, found {releases}")
        kernel = Kernel(root, releases[0])
        if not kernel.vmlinux.exists():
            extract_vmlinux(kernel.vmlinuz, kernel.vmlinux)
    return kernel


def extract_vmlinux(bzimage: pathlib.Path, out: pathlib.Path) -> bool:
    """Write the ELF kernel inside an xz-compressed bzImage (Debian's) to `out`.

    qemu boots that ELF through its PVH entry point, skipping the firmware's
    real-mode set-up and the kernel's self-decompression: under TCG the
    decompression alone takes several seconds of every boot."""
    data = bzimage.read_bytes()
    start = data.find(b"\xfd7zXZ\x00")
    if start < 0:
        return False  # another compressor: boot the bzImage
    try:
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
    except lzma.LZMAError:
        return False
    if elf[:4] != b"\x7fELF":
        return False
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(elf)
    tmp.rename(out)
    return True


def _unpack(package: str, root: pathlib.Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    work = root.with_name(root.name + ".download")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        fetched = subprocess.run([tool("apt-get"), "download", "-q", package], cwd=work,
                                 capture_output=True, text=True)
        debs = list(work.glob("*.deb"))
        if fetched.returncode != 0 or len(debs) != 1:
            raise KernelUnavailable(f"apt-get download {package} failed: {fetched.stderr.strip()}")
        subprocess.run([tool("dpkg"), "-x", str(debs[0]), str(root)], check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    releases = [p.name for p in (root / "lib" / "modules").iterdir()]
    for release in releases:
        subprocess.run([tool("depmod"), "-b", str(root), release], check=True)
