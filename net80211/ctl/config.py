"""The daemon's TOML configuration.

```toml
[defaults]
netdev = "tap"            # or "queue": the netdev a vap gets when create names none
p2p_ctrl_dir = "/run/net80211/p2p"   # P2P device control sockets (default: beside the
                          # control socket, SOCKET.p2p); "" disables them

[[devices]]
driver = "hwsim"          # "name[:profile]", resolved through net80211.drivers
radios = 2                # every other key is a parameter of the driver
model = "perfect"
seed = 1

[[vaps]]                  # created at start, with the keywords of `wlanctl IFACE create`
name = "wlan0"
wlandev = "hwsim0"
wlanmode = "hostap"
ssid = "net0"
channel = 6
up = true
```
A config without devices gets two hwsim radios.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from ic import InvalidArgument
from net80211.ctl.grammar import CREATE_KEYWORDS

NETDEV_KINDS = ("tap", "queue")
# The P2P control directory when the config names none: the daemon puts it
# beside its control socket (`Daemon.p2p_dir_for`), so that everything it
# creates is where the user pointed it.
DEFAULT_P2P_CTRL_DIR = "<socket>.p2p"
DEFAULT_DEVICES: tuple[dict[str, Any], ...] = ({"driver": "hwsim", "radios": 2},)


@dataclass
class Config:
    devices: list[dict[str, Any]] = field(default_factory=lambda: [dict(d) for d in DEFAULT_DEVICES])
    vaps: list[dict[str, Any]] = field(default_factory=list)
    netdev: str = "queue"
    p2p_ctrl_dir: str | None = DEFAULT_P2P_CTRL_DIR  # None: P2P devices get no control socket
    path: str | None = None


def load_config(path: str | None) -> Config:
    """Read and check a config file (None: the defaults); EINVAL names what is wrong."""
    if path is None:
        return Config()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise InvalidArgument(f"config {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise InvalidArgument(f"config {path}: {e}") from None
    except RecursionError:
        raise InvalidArgument(f"config {path}: tables and arrays nested too deeply") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: str | None = None) -> Config:
    where = f"config {path}" if path else "config"
    unknown = set(data) - {"defaults", "devices", "vaps"}
    if unknown:
        raise InvalidArgument(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    cfg = Config(path=path)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise InvalidArgument(f"{where}: [defaults] must be a table")
    bad = set(defaults) - {"netdev", "p2p_ctrl_dir"}
    if bad:
        raise InvalidArgument(f"{where}: unknown default(s) {', '.join(sorted(bad))}")
    cfg.netdev = defaults.get("netdev", cfg.netdev)
    if cfg.netdev not in NETDEV_KINDS:
        raise InvalidArgument(f"{where}: defaults.netdev must be one of {', '.join(NETDEV_KINDS)}")
    p2p_dir = defaults.get("p2p_ctrl_dir", DEFAULT_P2P_CTRL_DIR)
    if not isinstance(p2p_dir, str):
        raise InvalidArgument(f"{where}: defaults.p2p_ctrl_dir must be a path (\"\" disables it)")
    cfg.p2p_ctrl_dir = p2p_dir or None
    devices = data.get("devices")
    if devices is not None:
        if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
            raise InvalidArgument(f"{where}: devices must be an array of tables ([[devices]])")
        for i, d in enumerate(devices):
            if not isinstance(d.get("driver"), str):
                raise InvalidArgument(f"{where}: devices[{i}] needs driver = \"name[:profile]\"")
        if devices:
            cfg.devices = [dict(d) for d in devices]
    vaps = data.get("vaps", [])
    if not isinstance(vaps, list) or not all(isinstance(v, dict) for v in vaps):
        raise InvalidArgument(f"{where}: vaps must be an array of tables ([[vaps]])")
    allowed = {"name"} | {k.key for k in CREATE_KEYWORDS}
    for i, v in enumerate(vaps):
        bad = set(v) - allowed
        if bad:
            raise InvalidArgument(f"{where}: vaps[{i}]: unknown key(s) {', '.join(sorted(bad))}")
        if not isinstance(v.get("name"), str) or not isinstance(v.get("wlandev"), str):
            raise InvalidArgument(f"{where}: vaps[{i}] needs name and wlandev")
    cfg.vaps = [dict(v) for v in vaps]
    return cfg
