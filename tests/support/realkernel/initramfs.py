"""The VM's initramfs: static busybox, the modules that reach the host, and /init.

/init loads virtio, 9p and the wireless stack (mac80211_hwsim with the
radio count from the kernel command line), mounts the host's root read-only
over 9p with tmpfs on /tmp and /run, mounts the writable results share at
/tmp/results inside it, and runs the job's script in a chroot of the host
root.  The script's output and exit status go to the results share, then
the VM powers off.
"""

from __future__ import annotations

import lzma
import pathlib
import shlex
import stat
import zlib
from collections.abc import Iterable

from .kernel import Kernel

BUSYBOX = pathlib.Path("/bin/busybox")
HOST_TAG = "hostroot"
RESULTS_TAG = "results"
RESULTS_DIR = "/tmp/results"  # inside the chroot
REGDB = pathlib.Path("/lib/firmware/regulatory.db")
MODULES = ("virtio_pci", "9pnet_virtio", "9p", "mac80211_hwsim")
P9_OPTS = "trans=virtio,version=9p2000.L,msize=512000"

# The kernel runs /sbin/modprobe from the initramfs when it wants a module
# (crypto-ccm(aes) when a WPA2 key is installed): run the host's modprobe
# over the unpacked kernel tree.
MODPROBE_SHIM = """#!/bin/sh
exec /bin/chroot /host /sbin/modprobe {opts} "$@"
"""

INIT = """#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
radios=2
for a in $(cat /proc/cmdline); do
  case "$a" in net80211.radios=*) radios="${{a#*=}}";; esac
done
{insmods}
insmod /mod/mac80211_hwsim.ko radios="$radios"
mkdir -p /host
# cache=loose: imports of the host's python are several times faster.
mount -t 9p -o {p9},cache=loose,ro {host_tag} /host || {{ echo "init: no host root"; poweroff -f; }}
{stash}mount -t tmpfs tmp /host/tmp
mount -t tmpfs run /host/run
{restore}mkdir -p /host{results}
mount -t 9p -o {p9} {results_tag} /host{results}
mount -o bind /proc /host/proc
mount -o bind /sys /host/sys
mount -o bind /dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs shm /host/dev/shm
mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null
cut -d' ' -f1 /proc/uptime > /host{results}/.boot_s
chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
  HOME=/root TMPDIR=/tmp RESULTS={results} MODPROBE_OPTIONS="{modprobe_opts}" \\
  /bin/sh -c 'cd "$RESULTS" && exec /bin/bash ./job.sh' \\
  > /host{results}/.stdout 2> /host{results}/.stderr
echo $? > /host{results}/.rc
cut -d' ' -f1 /proc/uptime > /host{results}/.end_s
# Daemons the job left running hold logs open on the results share.
kill -KILL -1 2>/dev/null
sync
umount /host{results} 2>/dev/null
poweroff -f
"""


def _cpio_entry(name: str, mode: int, data: bytes = b"", ino: int = 0) -> bytes:
    """One 'newc' cpio record (the format the kernel unpacks)."""
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields)
    rec = head + name.encode() + b"\0"
    rec += b"\0" * (-len(rec) % 4)
    rec += data + b"\0" * (-len(data) % 4)
    return rec


def cpio(files: Iterable[tuple[str, int, bytes]]) -> bytes:
    """An uncompressed newc archive of (path, mode, data); the kernel unpacks it faster than a gzip."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(files, start=1):
        out += _cpio_entry(name, mode, data, ino)
    out += _cpio_entry("TRAILER!!!", 0)
    return bytes(out)


def _module_bytes(path: pathlib.Path) -> bytes:
    # busybox insmod takes plain ELF objects only.
    raw = path.read_bytes()
    if path.suffix == ".xz":
        return lzma.decompress(raw)
    if path.suffix == ".gz":
        return zlib.decompress(raw, 47)
    if path.suffix == ".zst":
        raise ValueError(f"{path}: zstd modules are not supported")
    return raw


def _module_name(path: pathlib.Path) -> str:
    return path.name.split(".ko")[0]


def _keep_visible(paths: Iterable[pathlib.Path]) -> tuple[str, str]:
    """Shell that carries host directories under /tmp or /run (a clone or a cache there)
    through the VM's own tmpfs on those directories: bind each aside, move it back after."""
    stash, restore = [], []
    n = 0
    for path in sorted({p.resolve() for p in paths}):
        if not path.is_relative_to("/tmp") and not path.is_relative_to("/run"):
            continue
        q = shlex.quote(str(path))
        stash.append(f"mkdir -p /keep/{n} && mount -o bind /host{q} /keep/{n}\n")
        restore.append(f"mkdir -p /host{q} && mount -o move /keep/{n} /host{q}\n")
        n += 1
    return "".join(stash), "".join(restore)


def build(kernel: Kernel, keep: Iterable[pathlib.Path] = ()) -> bytes:
    """The initramfs image for `kernel`; the host directories in `keep` (the repo, the kernel
    tree) stay visible in the VM even when they live under /tmp or /run."""
    d, f = stat.S_IFDIR | 0o755, stat.S_IFREG
    files: list[tuple[str, int, bytes]] = [(p, d, b"") for p in
                                          ("bin", "sbin", "proc", "sys", "dev", "mod", "tmp")]
    files.append(("bin/busybox", f | 0o755, BUSYBOX.read_bytes()))
    files.append(("bin/sh", stat.S_IFLNK | 0o777, b"busybox"))  # /init's interpreter, before --install
    insmods = []
    for path in kernel.closure(*MODULES):
        name = _module_name(path)
        files.append((f"mod/{name}.ko", f | 0o644, _module_bytes(path)))
        if name != "mac80211_hwsim":
            insmods.append(f"insmod /mod/{name}.ko")
    # cfg80211 reads the regulatory database when it loads, from the initramfs: with it
    # (Debian's wireless-regdb) `iw reg set` and hostapd's country_code open 5 GHz to APs.
    if REGDB.exists():
        files.append(("lib", d, b""))
        files.append(("lib/firmware", d, b""))
        for name in ("regulatory.db", "regulatory.db.p7s"):
            files.append((f"lib/firmware/{name}", f | 0o644, (REGDB.parent / name).read_bytes()))
    opts = " ".join(kernel.modprobe_args())
    files.append(("sbin/modprobe", f | 0o755, MODPROBE_SHIM.format(opts=opts).encode()))
    stash, restore = _keep_visible([*keep, kernel.root])
    init = INIT.format(insmods="\n".join(insmods), p9=P9_OPTS, host_tag=HOST_TAG,
                       results_tag=RESULTS_TAG, results=RESULTS_DIR, modprobe_opts=opts,
                       stash=stash, restore=restore)
    files.append(("init", f | 0o755, init.encode()))
    return cpio(files)
