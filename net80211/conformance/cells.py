"""A cell of the matrix (mix x kind) and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from net80211.conformance.mixes import Mix

KINDS = ("verdict", "behaviour", "lifecycle", "protected")
# What a matrix runs unless asked: "protected" (the behaviour cells again with
# WPA2-PSK on every AP and station vap, DUT and peers) is asked for by name.
DEFAULT_KINDS = ("verdict", "behaviour", "lifecycle")

PASS, FAIL, SKIP = "pass", "fail", "skip"


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

    `passed` is None for a cell that is not covered (skipped, with the reason).
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
        return SKIP if self.passed is None else PASS if self.passed else FAIL

    def as_dict(self) -> dict[str, Any]:
        return {"mix": self.mix, "kind": self.kind, "modes": list(self.modes), "expected": self.expected,
                "outcome": self.outcome, "passed": self.passed, "reason": self.reason,
                "log": list(self.log)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CellResult:
        return cls(d["mix"], d["kind"], list(d.get("modes", ())), d["expected"], d["outcome"], d["passed"],
                   d.get("reason", ""), list(d.get("log", ())))


class CellFailure(Exception):
    """A check of a cell failed; the message says which and why."""
