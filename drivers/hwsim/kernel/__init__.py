"""The medium kernel: the C hot path (cffi), its exact Python reference, the
link and error models, and the record types both share.  Imports nothing
above it: the medium (`drivers.hwsim.medium`) drives a kernel."""

from .ckernel import CKernel
from .reference import RefKernel

__all__ = ["CKernel", "RefKernel"]
