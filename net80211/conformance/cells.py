"""A cell of the matrix (mix x kind) and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from net80211.conformance.mixes import Mix

KINDS = ("verdict", "behaviour", "lifecycle")

# A cell's status: it passed, it failed, or it is not covered (a check it
# needs could not run, and the reason says which and why).  Never pass for
# something the cell did not check.
PASS, FAIL, NOT_COVERED = "pass", "fail", "not covered"


@dataclass(frozen=True)
class CellSpec:
    """One cell to run; `order` is the creation order behaviour and
    lifecycle cells use (an order the policy allows)."""

    mix: Mix
    kind: str
    order: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.mix.label}::{self.kind}"


@dataclass
class CellResult:
    """What a cell expected, what happened, and whether they agree.

    `passed` is None for a cell that is not covered: nothing failed, but a
    check could not run; `reason` names each check and why.
    """

    mix: str
    kind: str
    modes: list[str]
    expected: str
    outcome: str
    passed: bool | None
    reason: str = ""
    log: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return NOT_COVERED if self.passed is None else PASS if self.passed else FAIL

    def as_dict(self) -> dict[str, Any]:
        return {"mix": self.mix, "kind": self.kind, "modes": list(self.modes), "expected": self.expected,
                "outcome": self.outcome, "passed": self.passed, "status": self.status,
                "reason": self.reason, "log": list(self.log)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CellResult:
        return cls(d["mix"], d["kind"], list(d.get("modes", ())), d["expected"], d["outcome"], d["passed"],
                   d.get("reason", ""), list(d.get("log", ())))


def conclude(mix: Mix, kind: str, expected: str, failures: list[str], unchecked: list[str],
             log: list[str], *, failed_outcome: str = "failed", note: str = "") -> CellResult:
    """A cell's result from what failed and what could not be checked:
    any failure fails it; otherwise a check that could not run makes it not
    covered, each such check named with its reason; only a cell that ran
    every check passes."""
    modes = list(mix.modes)
    if failures:
        return CellResult(mix.label, kind, modes, expected, failed_outcome, False, "; ".join(failures), log)
    if unchecked:
        reason = "not checked: " + "; ".join(unchecked)
        if note:
            reason += f" ({note})"
        return CellResult(mix.label, kind, modes, expected, "not covered", None, reason, log)
    return CellResult(mix.label, kind, modes, expected, expected, True, note, log)


class CellFailure(Exception):
    """A check of a cell failed; the message says which and why."""
