"""setuptools shim: the C extension (the hwsim medium kernel) is built by
cffi from drivers/hwsim/kernel/build.py; metadata is in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["drivers/hwsim/kernel/build.py:ffibuilder"])
