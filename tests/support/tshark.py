"""Reading a capture with the real tshark: the fields asked for, one row per packet."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import require_tool


def tshark_fields(path: str | os.PathLike[str], *fields: str) -> list[list[str]]:
    """`tshark -T fields` of the file: per packet, the fields in order ("" when absent).
    tshark must succeed and say nothing on stderr (but its root warning)."""
    exe = require_tool("tshark")
    proc = subprocess.run([exe, "-n", "-r", str(path), "-T", "fields", "-E", "separator=|",
                           *[a for f in fields for a in ("-e", f)]],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    noise = [ln for ln in proc.stderr.splitlines() if ln.strip() and "Running as user" not in ln]
    assert not noise, noise
    return [ln.split("|") for ln in proc.stdout.splitlines()]
