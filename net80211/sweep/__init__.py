"""Sweeps: a scenario run over parameter axes and replicates, in this
process, in worker processes or on Ray (`wlanctl sweep`, docs/scenarios.md),
with the engine the conformance matrix also dispatches through."""

from net80211.sweep.cli import cli_main
from net80211.sweep.engine import Backend, Progress, choose_backend, imap
from net80211.sweep.runner import SweepOutcome, run_sweep
from net80211.sweep.spec import Sweep, load_sweep, loads_sweep

__all__ = ["Backend", "Progress", "Sweep", "SweepOutcome", "choose_backend", "cli_main", "imap",
           "load_sweep", "loads_sweep", "run_sweep"]
