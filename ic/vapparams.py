"""The generic vap parameters (`create_vap(..., ssid=..., channel=...)`,
`IEEE80211Vap.configure`): their names, ranges and normal form.

One check per parameter, used by both callers: `create_vap` runs it before
the capability and policy checks (a bad parameter is EINVAL whatever else is
wrong, and the policy sees the channel and beacon interval), and the vap's
`configure` runs it again before applying, so no caller can set a value
that was not checked.  Checking a checked value gives it back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgument

if TYPE_CHECKING:
    from .com import IEEE80211Com

SSID_MAX = 32
BINTVAL_MIN, BINTVAL_MAX = 25, 1000  # TU, as FreeBSD's IEEE80211_BINTVAL_*
DTIM_MAX = 15
AID_MAX = 2007  # IEEE80211_AID_MAX
RTS_MIN, RTS_MAX = 1, 2346  # IEEE80211_RTS_MIN, IEEE80211_RTS_MAX (the default: no frame is longer)


def check_ssid(name: str, value: bytes | str) -> bytes:
    """An SSID of at most 32 bytes (a str is UTF-8 encoded)."""
    ssid = value.encode() if isinstance(value, str) else value
    if not isinstance(ssid, (bytes, bytearray)) or len(ssid) > SSID_MAX:
        raise InvalidArgument(f"{name}: ssid must be at most {SSID_MAX} bytes")
    return bytes(ssid)


def _bintval(name: str, value: Any) -> int:
    if not isinstance(value, int) or not BINTVAL_MIN <= value <= BINTVAL_MAX:
        raise InvalidArgument(f"{name}: bintval must be {BINTVAL_MIN}..{BINTVAL_MAX} TU")
    return value


def _dtim_period(name: str, value: Any) -> int:
    if not isinstance(value, int) or not 1 <= value <= DTIM_MAX:
        raise InvalidArgument(f"{name}: dtim_period must be 1..{DTIM_MAX}")
    return value


def _maxsta(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= AID_MAX:
        raise InvalidArgument(f"{name}: maxsta must be 1..{AID_MAX}")
    return value


def _rtsthreshold(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not RTS_MIN <= value <= RTS_MAX:
        raise InvalidArgument(f"{name}: rtsthreshold must be {RTS_MIN}..{RTS_MAX} bytes")
    return value


def _flag(name: str, value: Any) -> bool:
    return bool(value)


def _upper_name(key: str) -> Callable[[str, Any], str | None]:
    # The upper side's kind and namespace: net80211 knows the kinds.
    def check(name: str, value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidArgument(f"{name}: {key} must be a name")
        return value
    return check


SECURITY_WORDS = ("open", "wpa2-psk", "wpa3-sae", "wpa2-wpa3")
PMF_WORDS = ("disabled", "optional", "required")


def _word(key: str, words: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in words:
            raise InvalidArgument(f"{name}: {key} must be one of {', '.join(words)}, not {value!r}")
        return str(value)
    return check


def _passphrase(name: str, value: Any) -> str | bytes:
    # the length rules depend on the security (net80211.security checks them)
    if not isinstance(value, (str, bytes)) or not value:
        raise InvalidArgument(f"{name}: passphrase must be a non-empty string")
    return value


def _seconds(key: str) -> Callable[[str, Any], int]:
    def check(name: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 2**31:
            raise InvalidArgument(f"{name}: {key} must be a number of seconds (0: never)")
        return value
    return check


def _sae_pwe(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in (0, 1, 2):
        raise InvalidArgument(f"{name}: sae_pwe must be 0 (hunting and pecking), 1 (hash-to-element) "
                              f"or 2 (both), not {value!r}")
    return value


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "security": _word("security", SECURITY_WORDS),
    "passphrase": _passphrase,
    "pmf": _word("pmf", PMF_WORDS),
    "group_rekey": _seconds("group_rekey"),
    "ptk_rekey": _seconds("ptk_rekey"),
    "sae_pwe": _sae_pwe,
    "ssid": check_ssid,
    "bintval": _bintval,
    "dtim_period": _dtim_period,
    "hidessid": _flag,
    "dwds": _flag,
    "maxsta": _maxsta,
    "rtsthreshold": _rtsthreshold,
    "netdev": _upper_name("netdev"),
    "netns": _upper_name("netns"),
}

PARAMS = frozenset(_CHECKS) | {"channel"}


def check_vap_params(ic: IEEE80211Com, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters in normal form (channels looked up on `ic`); EINVAL
    naming the first bad or unknown one."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "channel":
            out[key] = None if value is None else ic.find_channel(value)
            continue
        check = _CHECKS.get(key)
        if check is None:
            raise InvalidArgument(f"{name}: unknown vap parameter {key!r}")
        out[key] = check(name, value)
    return out
