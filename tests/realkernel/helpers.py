"""Parsing what the VM's jobs leave in $RESULTS."""

from __future__ import annotations

import io
import re
from typing import Any

from net80211.wire.data import DataFrame, llc_snap_decap
from net80211.wire.decode import parse_frame
from net80211.wire.mgmt import MgmtFrame
from net80211.wire.pcap import LINKTYPE_RADIOTAP, read_pcap
from net80211.wire.radiotap import parse_radiotap_frame

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


def mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def air_frames(pcap: bytes) -> list[Any]:
    """Every frame of a hwsim0 capture, decoded by the project's codec (FrameError if one cannot be)."""
    linktype, records = read_pcap(io.BytesIO(pcap))
    assert linktype == LINKTYPE_RADIOTAP
    return [parse_frame(parse_radiotap_frame(data)[1]) for _, data, _ in records]


def mgmt(frames: list[Any], body: type, *, sa: str | None = None, da: str | None = None) -> list[Any]:
    """Management frames with that body class, from `sa` and/or to `da`."""
    return [f for f in frames if isinstance(f, MgmtFrame) and isinstance(f.body, body)
            and (sa is None or f.sa == mac(sa)) and (da is None or f.da == mac(da))]


def data(frames: list[Any], *, sender: str) -> list[DataFrame]:
    """Data frames a station address transmitted (addr2)."""
    return [f for f in frames if isinstance(f, DataFrame) and f.addr2 == mac(sender)]


def eapol(frames: list[DataFrame]) -> list[DataFrame]:
    """The unprotected data frames that carry EAPOL (ethertype 0x888e): the 4-way handshake."""
    out = []
    for f in frames:
        if f.flags & 0x40 or not f.payload:
            continue
        try:
            if llc_snap_decap(f.payload)[0] == 0x888E:
                out.append(f)
        except Exception:  # noqa: BLE001 -- a body that is not LLC/SNAP is simply not EAPOL
            continue
    return out
