"""The operating-mode registry: one shared mode object per OpMode."""

from __future__ import annotations

from ic import OpMode

from .adhoc import AhdemoMode, IbssMode
from .hostap import HostapMode
from .mbss import MbssMode
from .mode import Mode
from .monitor import MonitorMode
from .p2p import P2PClientMode, P2PDeviceMode, P2PGoMode
from .sta import StaMode
from .wds import WdsMode

_CLASSES: dict[OpMode, type[Mode]] = {
    cls.opmode: cls
    for cls in (StaMode, HostapMode, IbssMode, AhdemoMode, WdsMode, MonitorMode, MbssMode,
                P2PDeviceMode, P2PGoMode, P2PClientMode)
}
_INSTANCES: dict[OpMode, Mode] = {}


def mode_for(opmode: OpMode) -> Mode:
    """The shared mode object (and Machine) of `opmode`, made on first use."""
    mode = _INSTANCES.get(opmode)
    if mode is None:
        mode = _INSTANCES[opmode] = _CLASSES[opmode]()
    return mode
