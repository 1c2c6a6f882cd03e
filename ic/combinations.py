"""Interface combinations as in Linux cfg80211: which interface types a radio
can run at the same time, declared as data, checked by the kernel's own
algorithm (`cfg80211_iter_combinations`) and explained when they refuse."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

from .enums import IfType
from .errors import ConcurrencyError

__all__ = [
    "ChanWidth", "DfsRegion", "IfaceLimit", "IfaceCombination", "CombinationResult", "CheckOptions",
    "SOFTWARE_IFTYPES", "check_combinations", "evaluate_combinations", "validate_combinations",
    "format_combinations", "widths_mask", "regions_mask",
]

# mac80211 registers MONITOR and AP_VLAN as software interface types.
SOFTWARE_IFTYPES: frozenset[IfType] = frozenset({IfType.MONITOR, IfType.AP_VLAN})


class ChanWidth(enum.IntEnum):
    """`enum nl80211_chan_width`; radar masks are `1 << width`."""

    W20_NOHT = 0
    W20 = 1
    W40 = 2
    W80 = 3
    W80P80 = 4
    W160 = 5
    W5 = 6
    W10 = 7

    @property
    def label(self) -> str:
        """The name `iw` prints for this width."""
        return _WIDTH_LABELS[self]


_WIDTH_LABELS = {
    ChanWidth.W20_NOHT: "20 MHz (no HT)", ChanWidth.W20: "20 MHz", ChanWidth.W40: "40 MHz",
    ChanWidth.W80: "80 MHz", ChanWidth.W80P80: "80+80 MHz", ChanWidth.W160: "160 MHz",
    ChanWidth.W5: "5 MHz", ChanWidth.W10: "10 MHz",
}


class DfsRegion(enum.IntEnum):
    """`enum nl80211_dfs_regions`; region masks are `1 << region`."""

    UNSET = 0
    FCC = 1
    ETSI = 2
    JP = 3


def widths_mask(*widths: ChanWidth | int) -> int:
    """The radar-width bitmask of the given widths."""
    return sum(1 << int(w) for w in set(widths))


def regions_mask(*regions: DfsRegion | int) -> int:
    """The DFS-region bitmask of the given regions."""
    return sum(1 << int(r) for r in set(regions))


def _mask(value: int | Iterable[int]) -> int:
    # Accept either a ready bitmask or an iterable of enum members.
    if isinstance(value, int):
        return value
    return sum(1 << int(v) for v in set(value))


def _members(enum_cls: type[enum.IntEnum], mask: int) -> list:
    return [m for m in enum_cls if mask & (1 << m)]


def _type_set(types: Iterable[IfType]) -> str:
    return "{" + ", ".join(t.name for t in sorted(types)) + "}"


@dataclass(frozen=True, slots=True)
class IfaceLimit:
    """At most `max` interfaces whose types are in `types` (`ieee80211_iface_limit`)."""

    max: int
    types: frozenset[IfType]

    def __init__(self, max: int, types: Iterable[IfType | int]) -> None:
        if isinstance(types, int | IfType):
            types = [types]
        object.__setattr__(self, "max", int(max))
        object.__setattr__(self, "types", frozenset(IfType(t) for t in types))

    @property
    def mask(self) -> int:
        """The nl80211 bitmask `1 << iftype` of the types."""
        return _mask(self.types)


@dataclass(frozen=True, slots=True)
class IfaceCombination:
    """One allowed mix (`ieee80211_iface_combination`).

    Radar widths and regions are bitmasks (see `widths_mask`, `regions_mask`);
    iterables of `ChanWidth` / `DfsRegion` are accepted and converted.
    """

    limits: tuple[IfaceLimit, ...]
    max_interfaces: int
    num_different_channels: int = 1
    beacon_int_infra_match: bool = False
    radar_detect_widths: int = 0
    radar_detect_regions: int = 0
    beacon_int_min_gcd: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", tuple(self.limits))
        object.__setattr__(self, "radar_detect_widths", _mask(self.radar_detect_widths))
        object.__setattr__(self, "radar_detect_regions", _mask(self.radar_detect_regions))

    @property
    def all_types(self) -> frozenset[IfType]:
        out: set[IfType] = set()
        for lim in self.limits:
            out |= lim.types
        return frozenset(out)

    def format(self) -> str:
        """This combination as one `iw list` entry (without the leading bullet)."""
        parts = [f"#{{ {', '.join(t.label for t in sorted(lim.types))} }} <= {lim.max}"
                 for lim in self.limits]
        text = ", ".join(parts) + ",\n\t   "
        text += f"total <= {self.max_interfaces}, #channels <= {self.num_different_channels}"
        if self.beacon_int_infra_match:
            text += ", STA/AP BI must match"
        if self.radar_detect_widths:
            labels = ", ".join(w.label for w in _members(ChanWidth, self.radar_detect_widths))
            text += f", radar detect widths: {{ {labels} }}"
        if self.radar_detect_regions:
            names = ", ".join(r.name for r in _members(DfsRegion, self.radar_detect_regions))
            text += f", radar detect regions: {{ {names} }}"
        if self.beacon_int_min_gcd:
            text += f", beacon interval min gcd: {self.beacon_int_min_gcd}"
        return text


@dataclass(frozen=True, slots=True)
class CombinationResult:
    """The verdict on one combination: `reason` is None when it matches."""

    index: int  # 1-based, as printed
    combination: IfaceCombination
    reason: str | None = field(default=None)

    @property
    def matches(self) -> bool:
        return self.reason is None


def _describe_counts(counts: Mapping[IfType, int]) -> str:
    items = [f"{n} × {t.name}" for t, n in sorted(counts.items()) if n]
    return ", ".join(items) if items else "no interfaces"


class CheckOptions(TypedDict, total=False):
    """What a check weighs beside the table and the counts: the keywords of
    `evaluate_combinations` (which holds their defaults), passed on as they
    are by `check_combinations`."""

    num_different_channels: int
    radar_detect: int
    radar_region: DfsRegion | int
    beacon_intervals: Iterable[int]
    software_iftypes: frozenset[IfType]


def evaluate_combinations(
    combinations: Sequence[IfaceCombination],
    counts: Mapping[IfType, int],
    *,
    num_different_channels: int = 1,
    radar_detect: int = 0,
    radar_region: DfsRegion | int = 0,
    beacon_intervals: Iterable[int] = (),
    software_iftypes: frozenset[IfType] = SOFTWARE_IFTYPES,
) -> list[CombinationResult]:
    """Run cfg80211's check on every combination and say why each one fails.

    The order of the tests per combination is the kernel's, so the reason
    given is the first condition the kernel would have stopped at.
    """
    counts = {IfType(t): int(n) for t, n in counts.items()}
    for t, n in counts.items():
        if n < 0:
            raise ValueError(f"negative interface count {n} for {t.name}")
    num_interfaces = sum(counts.values())
    used = {t for t, n in counts.items() if n > 0 and t not in software_iftypes}

    # cfg80211_calculate_bi_data: interfaces without a beacon interval (0)
    # do not take part; "different" means not all intervals are equal.
    intervals = [int(b) for b in beacon_intervals if b]
    bi_gcd = math.gcd(*intervals) if intervals else 0
    bi_different = len(set(intervals)) > 1

    results = []
    for idx, c in enumerate(combinations, start=1):
        results.append(CombinationResult(idx, c, _first_failure(
            c, counts, used, num_interfaces, num_different_channels, radar_detect,
            int(radar_region), bi_gcd, bi_different, intervals, software_iftypes)))
    return results


def _first_failure(c: IfaceCombination, counts: dict[IfType, int], used: set[IfType],
                   num_interfaces: int, num_channels: int, radar_detect: int, region: int,
                   bi_gcd: int, bi_different: bool, intervals: list[int],
                   software: frozenset[IfType]) -> str | None:
    if num_interfaces > c.max_interfaces:
        return f"{num_interfaces} interfaces exceed total ≤ {c.max_interfaces}"
    if num_channels > c.num_different_channels:
        return f"{num_channels} different channels exceed #channels ≤ {c.num_different_channels}"
    # The kernel works on a copy of the limits and subtracts every type's
    # count from each limit naming it (more than one only in invalid tables).
    remaining = [lim.max for lim in c.limits]
    for t in sorted(counts):
        if t in software:
            continue
        n = counts[t]
        for j, lim in enumerate(c.limits):
            if t not in lim.types:
                continue
            if remaining[j] < n:
                taken = lim.max - remaining[j]
                return (f"{n} × {t.name} exceeds limit #{j + 1} {_type_set(lim.types)} ≤ {lim.max}"
                        + (f" ({taken} already taken)" if taken else ""))
            remaining[j] -= n
    if radar_detect != (c.radar_detect_widths & radar_detect):
        missing = radar_detect & ~c.radar_detect_widths
        want = ", ".join(w.label for w in _members(ChanWidth, missing)) or f"mask {missing:#x}"
        have = ", ".join(w.label for w in _members(ChanWidth, c.radar_detect_widths)) or "none"
        return f"radar detection at {want} is not supported (radar widths: {have})"
    if radar_detect and c.radar_detect_regions and not c.radar_detect_regions & (1 << region):
        have = ", ".join(r.name for r in _members(DfsRegion, c.radar_detect_regions))
        name = DfsRegion(region).name if region in DfsRegion._value2member_map_ else str(region)
        return f"radar detection in DFS region {name} is not supported (regions: {have})"
    absent = used - c.all_types
    if absent:
        names = ", ".join(t.name for t in sorted(absent))
        return f"{names} {'is' if len(absent) == 1 else 'are'} in no limit"
    if bi_gcd:
        if c.beacon_int_min_gcd and bi_gcd < c.beacon_int_min_gcd:
            return f"beacon interval gcd {bi_gcd} is below the minimum gcd {c.beacon_int_min_gcd}"
        if not c.beacon_int_min_gcd and bi_different:
            shown = ", ".join(str(b) for b in sorted(set(intervals)))
            return f"beacon intervals differ ({shown}) and the combination requires them equal"
    return None


def check_combinations(
    combinations: Sequence[IfaceCombination],
    counts: Mapping[IfType, int],
    **options: Unpack[CheckOptions],
) -> list[IfaceCombination]:
    """The combinations that allow `counts` (cfg80211_check_combinations),
    with evaluate_combinations' keywords and defaults.

    Raises ConcurrencyError (EBUSY) explaining, per combination, why none
    matches; an empty table matches nothing, as in the kernel.
    """
    unknown = sorted(set(options) - CheckOptions.__optional_keys__ - CheckOptions.__required_keys__)
    if unknown:  # named here: not as evaluate_combinations' keyword, which the caller never wrote
        raise TypeError(f"check_combinations() got an unexpected keyword argument {unknown[0]!r}")
    results = evaluate_combinations(combinations, counts, **options)
    matching = [r.combination for r in results if r.matches]
    if matching:
        return matching
    raise ConcurrencyError(*_refusal(results, counts))


def _refusal(results: list[CombinationResult], counts: Mapping[IfType, int]) -> tuple[str, list[str]]:
    if not results:
        reasons = ["the device declares no interface combinations"]
    else:
        reasons = [f"combination {r.index}: {r.reason}" for r in results]
    head = f"no interface combination allows {_describe_counts(counts)}"
    return head + ": " + "; ".join(reasons), reasons


def validate_combinations(
    combinations: Sequence[IfaceCombination],
    software_iftypes: frozenset[IfType] = SOFTWARE_IFTYPES,
    interface_types: Iterable[IfType] | None = None,
) -> None:
    """Apply cfg80211's registration rules (wiphy_verify_combinations).

    `interface_types`, when given, are the types the device supports; a
    combination may not name others.  Raises ValueError naming the rule.
    """
    supported = None if interface_types is None else frozenset(interface_types)
    for idx, c in enumerate(combinations, start=1):
        where = f"combination {idx}"
        if c.max_interfaces < 2 and not c.radar_detect_widths:
            raise ValueError(f"{where}: max_interfaces must be >= 2 unless radar detection is declared")
        if c.num_different_channels < 1:
            raise ValueError(f"{where}: num_different_channels must be >= 1")
        if c.radar_detect_widths and c.num_different_channels > 1:
            raise ValueError(f"{where}: radar detection only works on a single channel")
        if not c.limits:
            raise ValueError(f"{where}: limits must not be empty")
        seen: set[IfType] = set()
        total = 0
        for j, lim in enumerate(c.limits, start=1):
            at = f"{where}, limit #{j} {_type_set(lim.types)}"
            overlap = lim.types & seen
            if overlap:
                raise ValueError(f"{at}: limits overlap on {_type_set(overlap)}")
            seen |= lim.types
            if lim.max <= 0:
                raise ValueError(f"{at}: max must be positive")
            soft = lim.types & software_iftypes
            if soft:
                raise ValueError(f"{at}: software interface types {_type_set(soft)} may not be limited")
            for single in (IfType.P2P_DEVICE, IfType.NAN):
                if single in lim.types and lim.max > 1:
                    raise ValueError(f"{at}: at most one {single.name} may be allowed")
            if IfType.ADHOC in lim.types and c.beacon_int_min_gcd:
                raise ValueError(f"{at}: ADHOC is not allowed with beacon_int_min_gcd")
            if supported is not None and not lim.types <= supported:
                extra = _type_set(lim.types - supported)
                raise ValueError(f"{at}: names unsupported interface types {extra}")
            total += lim.max
        if IfType.WDS in seen:
            raise ValueError(f"{where}: WDS is not allowed in interface combinations")
        if total < c.max_interfaces:
            raise ValueError(f"{where}: the limits allow only {total} interfaces, "
                             f"fewer than max_interfaces {c.max_interfaces}")


def format_combinations(combinations: Sequence[IfaceCombination]) -> str:
    """The table as `iw list` prints it."""
    if not combinations:
        return "valid interface combinations: none declared"
    lines = ["valid interface combinations:"]
    lines += [f"\t * {c.format()}" for c in combinations]
    return "\n".join(lines)
