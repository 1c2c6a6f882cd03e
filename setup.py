"""setuptools shim: C extensions (the hwsim medium kernel) are declared here
through cffi's `cffi_modules` once they exist; metadata is in pyproject.toml."""

from setuptools import setup

setup()
