"""Small scenarios and sweep files for the sweep tests."""

from __future__ import annotations

import re
from pathlib import Path

BASE = """\
[scenario]
name = "small"
seconds = 2
seed = 1

[medium]
model = "log_distance"
params = { exponent = 3.0 }

[[radios]]
name = "ap"
position = [10, 10]

[[radios]]
count = 3
name = "sta{i}"
placement = "random"
area = [30, 30]

[[vaps]]
name = "ap0"
radio = "ap"
mode = "hostap"
ssid = "net"
channel = 1

[[vaps]]
repeat = 3
name = "w{i}"
radio = "sta{i}"
mode = "sta"
ssid = "net"

[[traffic]]
type = "udp"
from = "w0"
to = "ap0"
rate = 40
size = 300
duration = 0.5
start = 1.3
"""

SWEEP = """\
[sweep]
scenario = "base.toml"
seed = 11
replicates = 2

[[axes]]
key = "medium.params.exponent"
values = [2.5, 3.5]

[[axes]]
key = "vaps[0].channel"
values = [1, 6]
"""

WALL = re.compile(rb'"wall_s":[-0-9.eE+]+')


def write(tmp: Path, sweep: str = SWEEP, base: str = BASE) -> Path:
    (tmp / "base.toml").write_text(base)
    path = tmp / "sweep.toml"
    path.write_text(sweep)
    return path


def without_wall(data: bytes) -> bytes:
    """results.jsonl with its wall-clock fields blanked (the only ones that may differ)."""
    return WALL.sub(b'"wall_s":0', data)
