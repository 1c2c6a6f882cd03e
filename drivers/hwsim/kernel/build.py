"""cffi build of the medium kernel (out-of-line API mode).

setup.py lists this as `cffi_modules`, so `pip install -e .` (and `make
venv`) compiles `drivers.hwsim.kernel._medium_cffi`.  The cdef is the public header
itself, minus its preprocessor guard lines, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent


def _cdef() -> str:
    text = (HERE / "_medium.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    keep = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#") and not re.match(r"#define\s+MED_\w+\s+\S+$", s):
            continue  # include guards and includes; cffi wants only constants
        keep.append(line)
    return "\n".join(keep)


ffibuilder = FFI()
ffibuilder.cdef(_cdef())
ffibuilder.set_source(
    "drivers.hwsim.kernel._medium_cffi",
    '#include "_medium.h"',
    # Relative to the project root: setuptools runs cffi_modules from there.
    sources=[str((HERE / name).relative_to(ROOT)) for name in ("_medium.c", "_medium_sim.c")],
    include_dirs=[str(HERE.relative_to(ROOT))],
    libraries=["m"],
    # No FMA contraction: the Python reference must compute bit-identical doubles.
    extra_compile_args=["-O3", "-std=gnu11", "-ffp-contract=off",
                        "-Wall", "-Wextra", "-Wno-unused-parameter"],
)

if __name__ == "__main__":
    import os

    os.chdir(ROOT)
    ffibuilder.compile(tmpdir=str(ROOT), verbose=True)
