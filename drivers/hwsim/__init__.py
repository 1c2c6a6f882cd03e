"""The hwsim driver: simulated radios on a medium decided by a C kernel.

The package's names load on first use: `hwsim-mediumd` imports
`drivers.hwsim.external.mediumd`, which needs the medium but not the
radios, the vaps or net80211's driver registry (seconds of start-up in an
emulated VM).  Any of the names below loads the whole driver, as importing
the package did before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ic import RxInfo, TxStatus

    from .driver import HwsimDriver
    from .kernel.medtypes import FIF_ALLMULTI, FIF_BEACONS, FIF_PROBE_REQ, FIF_PROMISC
    from .medium import HwsimMedium, MediumPort
    from .radio import HwsimRadio, HwsimVap, hw_addr, radio_addr
    from .world import ModelSpec

_WHERE = {"HwsimDriver": ".driver", "HwsimMedium": ".medium", "MediumPort": ".medium", "RxInfo": ".radio",
          "TxStatus": ".radio", "HwsimRadio": ".radio", "HwsimVap": ".radio", "hw_addr": ".radio",
          "radio_addr": ".radio", "ModelSpec": ".world", "FIF_PROMISC": ".kernel.medtypes",
          "FIF_BEACONS": ".kernel.medtypes", "FIF_PROBE_REQ": ".kernel.medtypes",
          "FIF_ALLMULTI": ".kernel.medtypes"}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    importlib.import_module(".driver", __name__)  # the whole driver: its radios register with the medium
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value


__all__ = ["HwsimDriver", "HwsimMedium", "MediumPort", "RxInfo", "TxStatus", "HwsimRadio", "HwsimVap",
           "hw_addr", "radio_addr", "ModelSpec",
           # the values of MediumPort.filter, for drivers that program a port themselves
           "FIF_PROMISC", "FIF_BEACONS", "FIF_PROBE_REQ", "FIF_ALLMULTI"]
