"""hwsim-mediumd asks for real-time scheduling in kernel mode (priority.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from drivers.hwsim.external.priority import REALTIME_PRIORITY


def _in_child(code: str) -> str:
    # a child of its own: the test process keeps its scheduling
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def test_the_daemon_becomes_a_fifo_task_or_says_why_not():
    out = _in_child("import os\n"
                    "from drivers.hwsim.external.priority import raise_priority\n"
                    "print(raise_priority())\n"
                    "print(os.sched_getscheduler(0) == os.SCHED_FIFO, os.sched_getparam(0).sched_priority)\n")
    said, state = out.strip().splitlines()
    if said.startswith("running at real-time priority"):
        assert state == f"True {REALTIME_PRIORITY}"
    else:
        assert said.startswith("kept normal scheduling") and state == "False 0"
        assert os.geteuid() != 0 or "refused" in said or "CAP_SYS_NICE" in said

