"""Human-readable output of wlanctl's read commands (ifconfig-like)."""

from __future__ import annotations

from typing import Any


def _vap_line(v: dict[str, Any]) -> str:
    ch = v.get("channel")
    parts = [f"{v['name']:<10}", f"{v['mode']:<10}", f"{v['state']:<5}", v["macaddr"],
             f"ch {ch if ch is not None else '-':<3}"]
    if v.get("ssid"):
        parts.append(f'ssid "{v["ssid"]}"')
    nd = v.get("netdev")
    if nd:
        where = f"@{nd['netns']}" if nd.get("netns") else ""
        parts.append(f"netdev {nd.get('kind')}{where}")
    sec = _security_words(v.get("security"))
    if sec:
        parts.append(sec)
    return "  ".join(parts)


def _security_words(sec: dict[str, Any] | None) -> str:
    """`wpa2-psk PSK/CCMP_128 keys ptk,gtk:1` (a STA: the negotiated suites
    and the keys in place; an AP: what it offers and its group keys)."""
    if not sec or sec.get("security", "open") == "open":
        return ""
    words = [sec["security"]]
    if sec.get("akm"):
        words.append(f"{sec['akm']}/{sec.get('pairwise_cipher')}/{sec.get('group_cipher')}")
    elif sec.get("akms"):
        words.append(f"{'+'.join(sec['akms'])}/{'+'.join(sec.get('pairwise_ciphers', []))}/"
                     f"{sec.get('group_cipher')}")
    keys = []
    if sec.get("ptk"):
        keys.append("ptk")
    if sec.get("gtk_keyid") is not None:
        keys.append(f"gtk:{sec['gtk_keyid']}")
    if sec.get("igtk_keyid") is not None:
        keys.append(f"igtk:{sec['igtk_keyid']}")
    words.append(f"keys {','.join(keys) or 'none'}")
    words.append(f"pmf {sec.get('pmf')}")
    if sec.get("state"):
        words.append(sec["state"])
    return " ".join(words)


def format_list(result: dict[str, Any]) -> str:
    lines: list[str] = []
    for drv in result["drivers"]:
        lines.append(f"{drv['driver']} (profile {drv['profile']})")
        devs = drv["devices"]
        for i, d in enumerate(devs):
            last = i == len(devs) - 1
            at = d.get("position")
            where = f"  at {' '.join(f'{c:g}' for c in at)}" if at is not None else ""
            lines.append(f"{'`-' if last else '|-'} {d['name']:<8} {d['macaddr']}  channel {d['channel']}  "
                         f"modes {','.join(d['modes'])}{where}")
            pad = "   " if last else "|  "
            for j, v in enumerate(d["vaps"]):
                lines.append(f"{pad}{'`-' if j == len(d['vaps']) - 1 else '|-'} {_vap_line(v)}")
    return "\n".join(lines) if lines else "no devices"


def format_vap(v: dict[str, Any]) -> str:
    flags = ["UP"] if v.get("running") else []
    if v["state"] == "RUN":
        flags.append("RUNNING")
    lines = [f"{v['name']}: flags=<{','.join(flags)}> mode {v['mode']} state {v['state']}",
             f"\tdevice {v['device']} ether {v['macaddr']} bssid {v['bssid']}",
             f"\tssid \"{v['ssid']}\" channel {v['channel'] if v['channel'] is not None else 'any'}"]
    if "bintval" in v:
        params = [f"authmode {v['authmode']}", f"bintval {v['bintval']}", f"dtimperiod {v['dtimperiod']}",
                  "hidessid" if v.get("hidessid") else "-hidessid"]
        if v.get("rtsthreshold", 2346) != 2346:  # as ifconfig: only when not the default
            params.append(f"rtsthreshold {v['rtsthreshold']}")
        if v.get("des_bssid"):
            params.append(f"bssid {v['des_bssid']}")
        if v.get("roaming"):
            params.append(f"roaming {v['roaming'].upper()} roam:rssi {v['roam_rssi']:g}dBm "
                          f"roam:rate {v['roam_rate']:g}")
        lines.append("\t" + " ".join(params))
        lines.append(f"\tcountry {v['country']} regdomain {v['regdomain']} txpower {v['txpower']}")
    if v.get("flags"):
        lines.append(f"\tclone flags {','.join(v['flags'])}")
    nd = v.get("netdev")
    if nd:
        extra = ""
        if nd.get("kind") == "tap":
            extra = (f" {nd.get('ifname')}" + (f" netns {nd['netns']}" if nd.get("netns") else "")
                     + f" carrier {'on' if nd.get('carrier') else 'off'}")
        lines.append(f"\tnetdev {nd.get('kind')}{extra}")
    else:
        lines.append("\tnetdev none")
    sec = _security_words(v.get("security"))
    if sec:
        lines.append(f"\tsecurity {sec}")
        failure = (v.get("security") or {}).get("last_failure")
        if failure:
            lines.append(f"\tlast failure: reason {failure['reason']} ({failure['why']})")
    if v.get("last_error"):
        lines.append(f"\tlast error: {v['last_error']}")
    stats = v.get("stats") or {}
    if stats:
        lines.append("\tcounters: " + " ".join(f"{k} {n}" for k, n in stats.items()))
    return "\n".join(lines)


def format_device(d: dict[str, Any]) -> str:
    lines = [f"{d['name']}: driver {d['driver']} ether {d['macaddr']} channel {d['channel']}",
             f"\tcaps {','.join(d['caps'])}", f"\tmodes {' '.join(d['modes'])}",
             f"\tpolicy {d['policy']}", f"\tvaps {' '.join(v['name'] for v in d['vaps']) or '-'}"]
    if "regdomain" in d:
        lines.insert(1, f"\tcountry {d['country']} regdomain {d['regdomain']} txpower {d['txpower']}")
    if d.get("position") is not None:
        lines.append("\tposition " + " ".join(f"{c:g}" for c in d["position"]))
    return "\n".join(lines)


def format_query(r: dict[str, Any]) -> str:
    what = r["what"]
    if what == "caps":
        return f"caps=0x{r['value']:x}<{','.join(r['caps'])}>\nmodes {' '.join(r['modes'])}"
    if what == "chan":
        out = [f"regdomain {r['regdomain']} country {r['country']}"] if "regdomain" in r else []
        for c in r["channels"]:
            mark = "*" if c["current"] else " "
            power = f" {c['maxpower']} dBm max" if "maxpower" in c else ""
            flags = " ".join(c["flags"])
            out.append(f"{mark}Channel {c['ieee']:>3} : {c['freq']} MHz{power} {flags}".rstrip())
        return "\n".join(out)
    if what == "combinations":
        return f"policy {r['policy']}\n{r['text']}"
    rows = r["stations"] if what == "sta" else r["results"]
    note = f"({r['note']})\n" if r.get("note") else ""
    if not rows:
        return note + ("no stations" if what == "sta" else "no scan results")
    keys = list(rows[0]) if isinstance(rows[0], dict) else []
    if not keys:
        return "\n".join(map(str, rows))
    table = [[k.upper() for k in keys]] + [[str(row.get(k, "")) for k in keys] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(keys))]
    return note + "\n".join("  ".join(c.ljust(wd) for c, wd in zip(r, widths, strict=True)).rstrip()
                             for r in table)


def format_result(command: str, result: Any) -> str | None:
    """The text a command prints on success (None: print nothing, as ifconfig)."""
    if command == "list":
        return format_list(result)
    if command == "show":
        return format_vap(result["vap"]) if "vap" in result else format_device(result["device"])
    if command in ("query", "scan"):
        return format_query(result)
    if command == "check":
        return f"allowed: {' '.join(result['modes'])}\n{result['explanation']}"
    if command == "radio_add":
        return result["device"]["name"]
    if command == "position":
        return None
    return None
