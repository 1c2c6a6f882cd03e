"""setuptools shim: the C extension (the hwsim medium kernel) is built by
cffi from drivers/hwsim/kernel/build.py, hwsim-mediumd's input path from
drivers/hwsim/external/build_fastpath.py; metadata is in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["drivers/hwsim/kernel/build.py:ffibuilder",
                     "drivers/hwsim/external/build_fastpath.py:ffibuilder"])
