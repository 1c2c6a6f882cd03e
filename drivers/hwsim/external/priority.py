"""Real-time scheduling for hwsim-mediumd in kernel mode.

With a userspace medium, every frame of the real radios waits for the
daemon: the kernel hands it over, and nothing is received until the daemon
answers.  The kernel's own perfect medium runs in softirq context, ahead of
every task; a daemon at normal priority waits its turn behind whatever else
the machine runs (in a busy VM, pings through a ring of 50 radios lost 32%
with 209 ms RTT at normal priority, none with 22 ms as SCHED_FIFO).  So the
daemon asks for SCHED_FIFO, as audio servers do, at a priority below the
kernel's own threaded interrupts (50).  Linux's real-time throttling still
leaves other tasks 5% of each CPU should the daemon ever spin.
"""

from __future__ import annotations

import os

REALTIME_PRIORITY = 10


def raise_priority(priority: int = REALTIME_PRIORITY) -> str:
    """Make this process a SCHED_FIFO task of `priority`; what was done, for the log."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except PermissionError:
        return (f"kept normal scheduling: real-time priority (SCHED_FIFO {priority}) needs root, "
                "CAP_SYS_NICE or an RLIMIT_RTPRIO allowance; frames may wait behind other tasks")
    except OSError as e:
        return f"kept normal scheduling: SCHED_FIFO {priority} refused: {e.strerror or e}"
    return f"running at real-time priority (SCHED_FIFO {priority}): frames wait for no ordinary task"


__all__ = ["REALTIME_PRIORITY", "raise_priority"]
