"""cffi build of hwsim-mediumd's per-frame input path (out-of-line API mode).

setup.py lists this beside the medium kernel's build, so `pip install -e .`
(and `make venv`) compiles `drivers.hwsim.external._fastpath_cffi`.  A
module of its own: it reaches the medium kernel only through the function
pointer the kernel's module hands over (`CKernel.raw_handles`).
"""

from __future__ import annotations

import re
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent


KERNEL = HERE.parent / "kernel"


def _event_struct() -> str:
    """struct med_event as the kernel's header declares it (fo_dispatch hands one over)."""
    text = re.sub(r"/\*.*?\*/", "", (KERNEL / "_medium.h").read_text(), flags=re.S)
    m = re.search(r"struct med_event \{.*?\};", text, re.S)
    assert m is not None, "_medium.h declares no struct med_event"
    return m.group(0) + "\n"


def _cdef() -> str:
    text = (HERE / "_fastpath.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    keep = [line for line in text.splitlines()
            if not line.strip().startswith("#") or re.match(r"#define\s+F[PO]_\w+\s+\S+$", line.strip())]
    return _event_struct() + "\n".join(keep)


ffibuilder = FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "drivers.hwsim.external._fastpath_cffi",
    '#include "_fastpath.h"',
    sources=[str((HERE / "_fastpath.c").relative_to(ROOT))],
    include_dirs=[str(HERE.relative_to(ROOT)), str(KERNEL.relative_to(ROOT))],
    extra_compile_args=["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
)

if __name__ == "__main__":
    import os

    os.chdir(ROOT)
    ffibuilder.compile(tmpdir=str(ROOT), verbose=True)
