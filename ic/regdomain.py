"""Regulatory domains (FreeBSD's `ieee80211_regdomain`, `regdomain.xml`): the
channels a device may use and the most power it may transmit on each, by
regulatory domain (FCC, ETSI, MKK) or by the ISO country that selects one.

`DEBUG` (country 00) is the default and restricts nothing: every channel of
the hardware at up to TXPOWER_MAX dBm, as FreeBSD's SKU_DEBUG.  The tables
are the usual 20 MHz ones (2.4 GHz and UNII bands), coarse by design: a
simulation's rules, not a certification's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .channels import Channel
from .errors import InvalidArgument

TXPOWER_MAX = 50  # dBm, FreeBSD's IEEE80211_TXPOWER_MAX (100 half-dBm); DEBUG's limit


@dataclass(frozen=True)
class Band:
    """Channels first..last (IEEE numbers) at up to `maxpower` dBm."""

    first: int
    last: int
    maxpower: int


@dataclass(frozen=True)
class RegDomain:
    name: str
    bands: tuple[Band, ...]

    def maxpower(self, chan: Channel) -> int | None:
        """The most power allowed on `chan` (dBm), None if it is not allowed."""
        for b in self.bands:
            if b.first <= chan.ieee <= b.last:
                return b.maxpower
        return None

    def allows(self, chan: Channel) -> bool:
        return self.maxpower(chan) is not None


DEBUG = RegDomain("DEBUG", (Band(1, 14, TXPOWER_MAX), Band(32, 177, TXPOWER_MAX)))
FCC = RegDomain("FCC", (Band(1, 11, 30), Band(36, 64, 23), Band(100, 144, 23), Band(149, 165, 30)))
ETSI = RegDomain("ETSI", (Band(1, 13, 20), Band(36, 64, 23), Band(100, 140, 30)))
MKK = RegDomain("MKK", (Band(1, 14, 20), Band(36, 64, 23), Band(100, 144, 23)))

REGDOMAINS: dict[str, RegDomain] = {d.name: d for d in (DEBUG, FCC, ETSI, MKK)}

# ISO 3166 country -> its regulatory domain (a selection, as FreeBSD's list).
COUNTRIES: dict[str, str] = {
    "00": "DEBUG",
    "US": "FCC", "CA": "FCC", "TW": "FCC", "MX": "FCC", "BR": "FCC",
    "AT": "ETSI", "BE": "ETSI", "CH": "ETSI", "CZ": "ETSI", "DE": "ETSI", "DK": "ETSI",
    "ES": "ETSI", "FI": "ETSI", "FR": "ETSI", "GB": "ETSI", "GR": "ETSI", "IE": "ETSI",
    "IT": "ETSI", "NL": "ETSI", "NO": "ETSI", "PL": "ETSI", "PT": "ETSI", "SE": "ETSI",
    "JP": "MKK",
}
# The country a regulatory domain set by name reports (ifconfig shows both).
_DEFAULT_COUNTRY = {"DEBUG": "00", "FCC": "US", "ETSI": "DE", "MKK": "JP"}


def lookup(word: str) -> tuple[RegDomain, str]:
    """(domain, country) for a country code or a domain name, any case; EINVAL
    naming the word and what is known otherwise."""
    w = word.strip().upper()
    if w in COUNTRIES:
        return REGDOMAINS[COUNTRIES[w]], w
    if w in REGDOMAINS:
        return REGDOMAINS[w], _DEFAULT_COUNTRY[w]
    raise InvalidArgument(f"unknown country or regdomain {word!r} (regdomains "
                          f"{', '.join(REGDOMAINS)}; countries {', '.join(sorted(COUNTRIES))})")
