"""What a scenario run reports: per-vap, per-radio and capture summaries as
JSON-ready dicts, and the readable text form of the whole result."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ic import OpMode, mac_str
from net80211.modes.roam import roam_summary
from net80211.wire.frame import CtrlSubtype, DataSubtype, FrameError, MgmtSubtype
from net80211.wire.pcap import LINKTYPE_RADIOTAP, read_pcap

if TYPE_CHECKING:
    from net80211.vap import IEEE80211Vap


def _mac(x: Any) -> str | None:
    """A MAC string from bytes, a node/result with `macaddr`/`bssid`, or a dict."""
    if x is None:
        return None
    if isinstance(x, bytes | bytearray):
        return mac_str(bytes(x))
    if isinstance(x, dict):
        return _mac(x.get("macaddr") or x.get("mac") or x.get("bssid"))
    for attr in ("macaddr", "mac", "addr", "bssid"):
        v = getattr(x, attr, None)
        if isinstance(v, bytes | bytearray):
            return mac_str(bytes(v))
    return str(x)


def _bss(vap: IEEE80211Vap) -> dict[str, Any] | None:
    """The BSS a station (or IBSS member) is part of, if any."""
    b = vap.bss
    if b is None:
        return None
    chan = getattr(b, "channel", None)
    ssid = getattr(b, "ssid", None)
    return {"bssid": _mac(getattr(b, "bssid", None) or getattr(b, "macaddr", None)),
            "ssid": ssid.decode(errors="replace") if isinstance(ssid, bytes) else ssid,
            "channel": getattr(chan, "ieee", chan),
            "rssi": getattr(b, "rssi", None)}


def vap_summary(vap: IEEE80211Vap, *, destroyed: bool = False) -> dict[str, Any]:
    """One vap: identity, state, its BSS or stations, frame counters."""
    if not destroyed:
        vap.mode.refresh(vap)  # what the device did without the host (kept-back beacons) counted
    st = vap.stats
    d: dict[str, Any] = {
        "name": vap.name, "radio": vap.ic.name, "mode": vap.opmode.word,
        "state": "DESTROYED" if destroyed else vap.state.name,
        "macaddr": mac_str(vap.macaddr), "bssid": mac_str(vap.bssid) if vap.bssid else None,
        "ssid": vap.ssid.decode(errors="replace"),
        "channel": vap.channel.ieee if vap.channel is not None else None,
        "rx_frames": st.rx_packets, "rx_bytes": st.rx_bytes,
        "tx_frames": st.tx_packets, "tx_bytes": st.tx_bytes,
        "drops": st.rx_dropped + st.tx_dropped + st.rx_malformed,
    }
    mode = vap.opmode
    if callable(getattr(vap, "stations", None)) and (mode.ap_like or mode in (OpMode.IBSS, OpMode.MBSS)):
        d["stations"] = sorted(filter(None, (_mac(s) for s in vap.stations())))
    if mode in (OpMode.STA, OpMode.P2P_CLIENT):
        d["bss"] = _bss(vap)
    roaming = roam_summary(vap)
    if roaming is not None:
        d["roaming"] = roaming
    if mode is OpMode.WDS:
        d["peer"] = mac_str(vap.des_bssid) if vap.des_bssid else None
    d["stats"] = st.as_dict()
    return d


def radio_summary(dev: Any, position: tuple[float, float, float]) -> dict[str, Any]:
    """A radio: `position` where it started, `position_end` where the run left it."""
    end = dev.ic_get_position()
    return {"name": dev.name, "macaddr": mac_str(dev.macaddr), "position": list(position),
            "position_end": list(end) if end is not None else list(position),
            "channel": dev.curchan.ieee, "vaps": [v.name for v in dev.vaps],
            "stats": dict(sorted(dev.stats.items()))}


def _frame_kind(frame: bytes) -> str:
    if len(frame) < 2:
        return "runt"
    ftype, sub = (frame[0] >> 2) & 3, frame[0] >> 4
    try:
        if ftype == 0:
            return MgmtSubtype(sub).name.lower()
        if ftype == 1:
            return CtrlSubtype(sub).name.lower()
        if ftype == 2:
            return DataSubtype(sub).name.lower()
    except ValueError:
        pass
    return f"type{ftype}/{sub}"


def pcap_frames(path: Path) -> dict[str, Any]:
    """Frames in a capture file, by 802.11 frame kind (or the read error)."""
    try:
        linktype, records = read_pcap(path)
        kinds: dict[str, int] = {}
        n = 0
        for _ts, data, _orig in records:
            n += 1
            if linktype == LINKTYPE_RADIOTAP and len(data) >= 4:
                data = data[int.from_bytes(data[2:4], "little"):]
            k = _frame_kind(data)
            kinds[k] = kinds.get(k, 0) + 1
    except (OSError, FrameError) as e:
        return {"count": 0, "error": str(e)}
    return {"count": n, "kinds": dict(sorted(kinds.items()))}


# -- text --------------------------------------------------------------------------
def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def _vap_lines(v: dict[str, Any]) -> list[str]:
    head = (f"  {v['name']:<10} {v['radio']:<10} {v['mode']:<8} {v['state']:<9} "
            f"bssid {v['bssid'] or '-':<17}  chan {v['channel'] if v['channel'] is not None else '-':>3}")
    if v["ssid"]:
        head += f'  ssid "{v["ssid"]}"'
    lines = [head]
    if "stations" in v:
        sta = v["stations"]
        lines.append(f"{'':13}stations {len(sta)}" + (": " + ", ".join(sta) if sta else ""))
    if "bss" in v:
        b = v["bss"]
        lines.append(f"{'':13}bss " + (f"{b['bssid']} \"{b['ssid']}\" chan {b['channel']} rssi {b['rssi']}"
                                         if b else "none"))
    if "peer" in v:
        lines.append(f"{'':13}peer {v['peer'] or '-'}")
    if v["mode"] == "monitor":  # a monitor vap counts every frame it heard, of any kind
        lines.append(f"{'':13}heard {v['rx_frames']} frames / {v['rx_bytes']} B (all kinds)   "
                     f"injected {v['tx_frames']}   drops {v['drops']}")
    else:
        lines.append(f"{'':13}data in {v['rx_frames']} frames / {v['rx_bytes']} B   out {v['tx_frames']} "
                     f"frames / {v['tx_bytes']} B   drops {v['drops']}")
    if v.get("roaming") and (v["roaming"]["handovers"] or v["roaming"]["roams"]):
        ro = v["roaming"]
        gaps = ", ".join(f"{h['from']} -> {h['to']} at {h['at_s']:.3f} s: {h['gap_ms']:.1f} ms "
                         f"({h['reason']})" for h in ro["handovers"])
        lines.append(f"{'':13}roaming {ro['mode']}: {len(ro['associations'])} associations, "
                     f"{ro['background_scans']} background scans; handovers: {gaps or 'none'}")
    if "host" in v:
        h = v["host"]
        lines.append(f"{'':13}netdev {h['ip']}  rx {h['rx']} tx {h['tx']} tx_failed {h['tx_failed']} "
                     f"bad {h['rx_bad']} echo_replies {h['echo_replies_sent']}")
    return lines


def _flow_line(t: dict[str, Any]) -> str:
    loss = "-" if t["loss_pct"] is None else f"{t['loss_pct']:.1f}%"
    head = (f"  {t['type']:<4} {t['from']} -> {t['to']} ({t['src_ip']} -> {t['dst_ip']}, {t['size']} B): "
            f"{t['sent']} sent" + (f" ({t['send_failed']} refused by the vap)" if t["send_failed"] else "")
            + f", {t['received']} received, {loss} loss")
    if t["type"] == "ping":
        return head + (f", rtt min/avg/max {_ms(t['rtt_min_ms'])}/{_ms(t['rtt_avg_ms'])}/"
                       f"{_ms(t['rtt_max_ms'])} ms")
    return head + (f", latency min/avg/max {_ms(t['latency_min_ms'])}/{_ms(t['latency_avg_ms'])}/"
                   f"{_ms(t['latency_max_ms'])} ms, goodput {t['goodput_kbps']} kbit/s")


def format_text(r: dict[str, Any]) -> str:
    """The readable summary of a run."""
    out = [f"scenario {r['scenario']}: {r['virtual_s']:.3f} s of virtual time in {r['wall_s']:.3f} s "
           f"(seed {r['seed']}, driver {r['driver']}, {r['medium_model']} medium, {len(r['radios'])} radios, "
           f"{r['events_run']} events)", "vaps:"]
    for v in r["vaps"]:
        out += _vap_lines(v)
    for b in r.get("bridges", []):
        h = b["host"]
        out.append(f"bridge {b['name']} ({', '.join(b['ports'])}): {h['ip']}  forwarded {b['forwarded']} "
                   f"flooded {b['flooded']} moves {b['moves']}  host rx {h['rx']} tx {h['tx']}")
    for m in r.get("mobility", []):
        out.append(f"mobility {m['radio']} ({m['model']}): {m['legs']} legs, {m['distance_m']:.1f} m, "
                   f"now at {m['position']}")
    if r["traffic"]:
        out.append("traffic:")
        out += [_flow_line(t) for t in r["traffic"]]
    m = r["medium"]
    if m:
        out.append("medium: " + ", ".join(f"{k} {v}" for k, v in m.items()))
    for c in r["captures"]:
        f = c.get("frames") or {}
        kinds = ", ".join(f"{k} {n}" for k, n in (f.get("kinds") or {}).items())
        out.append(f"capture {c['path']} ({c['source']}): {f.get('count', 0)} frames"
                   + (f" ({kinds})" if kinds else "") + (f" error: {f['error']}" if f.get("error") else ""))
    return "\n".join(out)
