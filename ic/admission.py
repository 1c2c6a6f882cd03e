"""What one decision of a concurrency policy is made of: the request
(`VapRequest`), what a rule sees while deciding (`AdmitContext`), the
outcome of a create (`Admission`: adjustments and reservations, to commit or
abort) and the answer to a what-if (`MixVerdict`).  The engine that makes
the decisions is `ic.policy.Policy`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from .channels import Channel
from .enums import CloneFlags, OpMode
from .errors import ConcurrencyError
from .views import DeviceView, VapView

if TYPE_CHECKING:
    from .policy import Policy
    from .rules import Rule

__all__ = ["VapRequest", "Admission", "AdmitContext", "MixVerdict"]


@dataclass
class VapRequest:
    """What `create_vap` asks for; rules may adjust a copy of it.

    `macaddr`, when set by the policy, is the address the vap must use.
    """

    name: str
    opmode: OpMode
    flags: CloneFlags = CloneFlags(0)
    bssid: bytes | None = None
    macaddr: bytes | None = None
    channel: Channel | None = None
    beacon_interval: int = 0  # TU; 0 when unknown


class Admission:
    """The outcome of a successful `Policy.admit`: the adjusted request, the
    adjustments made and the resources reserved.  Exactly one of `commit`
    (the driver created the vap) or `abort` (it did not) must follow."""

    def __init__(self, request: VapRequest, policy: Policy | None = None, ic: DeviceView | None = None,
                 original: VapRequest | None = None) -> None:
        self.request = request
        self.policy = policy
        self.ic = ic
        self.original = original if original is not None else dataclasses.replace(request)
        self.adjustments: list[str] = []
        self.resources: dict[str, Any] = {}
        self.explanation = ""
        self.state = "pending"  # -> committed | aborted | released
        self._releasers: list[Callable[[], None]] = []

    def _free(self) -> None:
        while self._releasers:
            self._releasers.pop()()

    def commit(self, vap: VapView) -> None:
        """Bind the reservations to the created vap; `Policy.release` frees them."""
        if self.state != "pending":
            raise RuntimeError(f"admission of {self.request.name} is already {self.state}")
        self.state = "committed"
        if self.policy is not None and self.ic is not None:
            self.policy.bind(self.ic, vap, self)

    def abort(self) -> None:
        """Give back everything reserved; harmless if already aborted or committed."""
        if self.state == "pending":
            self._free()
            self.state = "aborted"

    def __repr__(self) -> str:
        return f"<Admission {self.request.name} {self.state} {self.resources} {self.adjustments}>"


class AdmitContext:
    """What a rule sees while a request is being admitted."""

    def __init__(self, policy: Policy, ic: DeviceView, request: VapRequest, admission: Admission) -> None:
        self.policy = policy
        self.ic = ic
        self.vaps: list[VapView] = list(getattr(ic, "vaps", ()))
        self.request = request
        self.admission = admission

    def refuse(self, rule: Rule, detail: str) -> NoReturn:
        """Refuse the request with EBUSY, naming the rule."""
        req = self.request
        raise ConcurrencyError(
            f"{req.name} ({req.opmode.word}) refused by rule {rule.name} [{rule.describe()}]: {detail}")

    def adjust(self, rule: Rule, detail: str) -> None:
        """Record an adjustment the rule made to `self.request`."""
        self.admission.adjustments.append(f"rule {rule.name}: {detail}")

    def reserve(self, rule: Rule, key: str, value: Any, free: Callable[[], None]) -> None:
        """Record a reserved resource and how to give it back."""
        self.admission.resources[key] = value
        self.admission._releasers.append(free)

    def state(self, rule: Rule) -> dict[str, Any]:
        """Per-device, per-rule state (reservation tables)."""
        return self.policy.rule_state(self.ic, rule)


@dataclass
class MixVerdict:
    """`check_mix`'s answer: allowed or not, with one line per step."""

    allowed: bool
    modes: tuple[OpMode, ...]
    steps: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        words = " + ".join(m.word for m in self.modes) or "no vaps"
        head = f"{words}: {'allowed' if self.allowed else 'refused'}"
        return "\n".join([head] + [f"  {s}" for s in self.steps])
