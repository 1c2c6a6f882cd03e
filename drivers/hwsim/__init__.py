"""The hwsim driver: simulated radios on a medium decided by a C kernel."""

from ic import RxInfo, TxStatus

from .driver import HwsimDriver
from .kernel.medtypes import FIF_ALLMULTI, FIF_BEACONS, FIF_PROBE_REQ, FIF_PROMISC
from .medium import HwsimMedium, MediumPort
from .radio import HwsimRadio, HwsimVap, hw_addr, radio_addr
from .world import ModelSpec

__all__ = ["HwsimDriver", "HwsimMedium", "MediumPort", "RxInfo", "TxStatus", "HwsimRadio", "HwsimVap",
           "hw_addr", "radio_addr", "ModelSpec",
           # the values of MediumPort.filter, for drivers that program a port themselves
           "FIF_PROMISC", "FIF_BEACONS", "FIF_PROBE_REQ", "FIF_ALLMULTI"]
