"""The hwsim driver: simulated radios on a medium decided by a C kernel."""

from .driver import HwsimDriver
from .medium import HwsimMedium, MediumPort, RxInfo, TxStatus
from .radio import HwsimRadio, HwsimVap, hw_addr, radio_addr
from .world import ModelSpec

__all__ = ["HwsimDriver", "HwsimMedium", "MediumPort", "RxInfo", "TxStatus", "HwsimRadio", "HwsimVap",
           "hw_addr", "radio_addr", "ModelSpec"]
