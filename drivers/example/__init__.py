"""An example third-party driver, written through public API only.

`ExampleRadio` is a device with two hardware ports (so two vaps that are
not monitors), one of which may beacon, and any number of monitor vaps.
Its frames travel on a `drivers.hwsim.HwsimMedium`, to which each radio
attaches its own port.  `docs/driver-guide.md` walks through it.
"""

from .device import ExampleRadio, ExampleVap
from .driver import ExampleDriver
from .policy import EXAMPLE_CAPS, example_policy

__all__ = ["ExampleDriver", "ExampleRadio", "ExampleVap", "EXAMPLE_CAPS", "example_policy"]
