"""The matrix for one driver and profile: which cells exist and running them.

    m = Matrix("hwsim:ath", max_vaps=2)      # or Matrix(MyDriver, profile="x")
    results = m.run()                         # list of CellResult
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ic import ConcurrencyError
from net80211.conformance.behaviour import behaviour_cell
from net80211.conformance.cells import DEFAULT_KINDS, KINDS, CellResult, CellSpec
from net80211.conformance.lifecycle import lifecycle_cell
from net80211.conformance.mixes import Mix, enumerate_mixes, mode_words, with_flags
from net80211.conformance.verdict import verdict_cell
from net80211.conformance.world import DriverRef, World, resolve
from net80211.driver import Driver

if TYPE_CHECKING:
    from ic import IEEE80211Com

DEFAULT_MAX_VAPS = 3

_RUNNERS: dict[str, Callable[..., CellResult]] = {
    "verdict": verdict_cell, "behaviour": behaviour_cell, "lifecycle": lifecycle_cell,
    "protected": behaviour_cell,  # the behaviour cell with WPA2-PSK on its AP and station vaps
}
_RSN_WORDS = ("sta", "hostap", "p2p-go", "p2p-client")


def run_cell(ref: DriverRef, spec: CellSpec) -> CellResult:
    """Run one cell: a function of the driver and the cell alone (each cell
    builds its own worlds in virtual time), so cells may run in any order,
    in any process, with the same results."""
    try:
        return _RUNNERS[spec.kind](ref, spec)
    except Exception as e:  # a crash is a failed cell, with what crashed
        return CellResult(spec.mix.label, spec.kind, list(spec.mix.modes), "no crash",
                          f"crashed: {type(e).__name__}", False, f"{type(e).__name__}: {e}",
                          traceback.format_exc().splitlines())


def run_cell_job(job: tuple[DriverRef, CellSpec]) -> dict[str, Any]:
    """One cell, as the engine's worker runs it (a module-level function:
    it travels to worker processes and Ray tasks by name)."""
    ref, spec = job
    return run_cell(ref, spec).as_dict()


def lost_cell(job: tuple[DriverRef, CellSpec], e: BaseException) -> dict[str, Any]:
    """The result of a cell whose worker died before answering."""
    spec = job[1]
    return CellResult(spec.mix.label, spec.kind, list(spec.mix.modes), "no crash", "worker lost", False,
                      str(e)).as_dict()


class Matrix:
    """Every cell of a driver's matrix: verdict cells for each mix, behaviour
    and lifecycle cells for the mixes the policy allows in some order."""

    def __init__(self, driver: str | type[Driver], profile: str | None = None, *,
                 max_vaps: int = DEFAULT_MAX_VAPS, channels: Iterable[int] | None = None,
                 params: dict[str, Any] | None = None, kinds: Iterable[str] = DEFAULT_KINDS) -> None:
        self.ref = resolve(driver, profile, params)
        self.max_vaps = max_vaps
        self.channels = list(channels) if channels is not None else None
        self.kinds = tuple(kinds)
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown cell kinds {sorted(unknown)}")
        w = World(self.ref, 1)
        try:
            self.caps = w.dut.caps
            self.words = mode_words(self.caps)
            self.mixes = enumerate_mixes(self.words, max_vaps, self.channels)
            self._allowed = {mix: self._first_allowed(w.dut, mix) for mix in self.mixes}
        finally:
            w.close()

    @property
    def driver(self) -> str:
        return self.ref.name

    @property
    def profile(self) -> str:
        return self.ref.profile

    @staticmethod
    def _first_allowed(ic: IEEE80211Com, mix: Mix) -> tuple[int, ...] | None:
        for perm in mix.orders():
            words, chans = mix.ordered(perm)
            try:
                ic.check_mix(with_flags(words), chans)
            except ConcurrencyError:
                continue
            return tuple(perm)
        return None

    def allowed_order(self, mix: Mix) -> tuple[int, ...] | None:
        """The first creation order (rank order first) the policy allows, if any."""
        return self._allowed[mix]

    def cells(self) -> list[CellSpec]:
        out = []
        for mix in self.mixes:
            order = self._allowed[mix]
            for kind in self.kinds:
                if kind != "verdict" and order is None:
                    continue
                if kind == "protected" and (not any(w in _RSN_WORDS for w in mix.modes)
                                            or "p2p-device" in mix.modes):
                    # Nothing in the mix runs RSN: the behaviour cell says it all.
                    # A P2P device runs no RSN, and its discovery keeps the
                    # radio off channel for much of the longer time protected
                    # association takes, where the cell's one-frame data check
                    # then loses its frame: left to the behaviour cell.
                    continue
                out.append(CellSpec(mix, kind, order or ()))
        return out

    def run_cell(self, spec: CellSpec) -> CellResult:
        return run_cell(self.ref, spec)

    def run(self, progress: Callable[[CellResult], None] | None = None) -> list[CellResult]:
        results = []
        for spec in self.cells():
            res = self.run_cell(spec)
            results.append(res)
            if progress is not None:
                progress(res)
        return results
