"""What the project worlds of the VM tests share (mixed_world.py, rsn_world.py,
mixed_p2p_world.py): run inside the VM beside them, found as their neighbour.

A world is hwsim radios numbered from 100 (so their addresses are not the
kernel's) served to hwsim-mediumd on a UNIX socket, in real time.  It
prints `serving` once the socket listens, stops on SIGTERM, and writes
OUTDIR/world.json when it ends.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from typing import Any

from ic import Scheduler
from net80211.driver import open_driver


class World:
    """The scheduler and driver of a world of `radios` radios served on `sock`."""

    def __init__(self, sock: str, radios: int) -> None:
        self.sock = sock
        self.sched = Scheduler(realtime=True)
        self.drv = open_driver("hwsim", self.sched, radios=radios, first_radio=100, medium_socket=sock)
        self.stop: list[int] = []  # not empty once SIGTERM came
        self.registered = False

    def serve(self) -> bool:
        """Say `serving`, stop on SIGTERM, and wait until hwsim-mediumd
        registers as the medium (the vaps start there, not on the built-in
        one) or SIGTERM comes: whether it registered."""
        print("serving", self.sock, flush=True)
        signal.signal(signal.SIGTERM, lambda *a: (self.stop.append(1), self.sched.stop()))
        ext = self.drv.medium.external
        while not ext.registered and not self.stop:
            self.sched.poll_io(0.2)
        self.registered = ext.registered
        print("registered" if self.registered else "no medium registered", flush=True)
        return self.registered

    def finish(self, out: str, result: dict[str, Any]) -> int:
        """Write OUTDIR/world.json and close the driver: the exit status."""
        with open(f"{out}/world.json", "w") as f:
            json.dump(result, f, indent=1, default=str)
        self.drv.close()
        return 0


def event_log(path: str) -> Callable[[str], None]:
    """An `on_event` that appends each event line to `path` (the job waits on it)."""

    def on_event(text: str) -> None:
        with open(path, "a") as f:
            f.write(text + "\n")

    return on_event
