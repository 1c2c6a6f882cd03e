"""Parsing what the VM's jobs leave in $RESULTS."""

from __future__ import annotations

import re

AP_ADDR = "02:00:00:00:00:00"


def sta_addr(n: int) -> str:
    """Interface address of hwsim radio n (REFERENCE §9)."""
    return f"02:00:00:00:{n:02x}:00"


def keyvals(text: str) -> dict[str, str]:
    """`key=value` lines (wpa_cli status, hostapd_cli) as a dict."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def ping_received(text: str) -> tuple[int, int]:
    """(transmitted, received) from ping's summary line."""
    m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    assert m, f"no ping summary in:\n{text}"
    return int(m.group(1)), int(m.group(2))


def ap_station_flags(text: str) -> dict[str, str]:
    """hostapd_cli all_sta: station address -> its flags line."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", line.strip()):
            current = line.strip()
            out[current] = ""
        elif current and line.startswith("flags="):
            out[current] = line[len("flags="):]
    return out
