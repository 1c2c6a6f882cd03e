"""A real-kernel test bed: Debian's kernel under qemu, mac80211_hwsim, hostapd and wpa_supplicant."""

from .kernel import Kernel, KernelUnavailable, ensure_kernel
from .vm import Vm, VmError, VmResult

__all__ = ["Kernel", "KernelUnavailable", "Vm", "VmError", "VmResult", "ensure_kernel"]
