"""Verdict cells: the device must do exactly what its declared policy
(`ic.check_mix`) says, in every creation order of the mix.

For each order, the expected verdict comes from `check_mix` on a fresh
device; then the vaps are created and brought up in the same order as
check_mix walks them (creates, then ups, P2P devices last), and the time
runs on for a while so that refusals made later (a vap claiming a channel it
scanned) show too.  A refusal must happen at the same step, with the same
reasons and the same sentence; a refused step must leave the device as it
was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ic import SEC, CloneFlags, ConcurrencyError, Net80211Error, OpMode
from net80211.conformance.cells import CellResult, CellSpec, conclude
from net80211.conformance.mixes import Mix, clone_flags, opmode_of, with_flags
from net80211.conformance.world import DriverRef, World, hw_unchecked, leftovers, snapshot

if TYPE_CHECKING:
    from ic import IEEE80211Com

SETTLE_NS = 2 * SEC  # long enough for an AP's passive scan of a few channels and a claim


def wds_peer(i: int) -> str:
    """A made-up WDS peer address for vap i (no peer is needed to create one)."""
    return f"02:cf:00:00:00:{i:02x}"


def vap_kwargs(word: str, i: int, chan: int | None, bssid: Any = None,
               flags: CloneFlags = CloneFlags(0)) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if flags:
        kw["flags"] = flags
    if opmode_of(word) is OpMode.WDS:
        kw["bssid"] = bssid if bssid is not None else wds_peer(i)
    if chan is not None:
        kw["channel"] = chan
    return kw


def up_order(words: list[str]) -> list[int]:
    """The order check_mix brings vaps up in: creation order, P2P devices last."""
    return sorted(range(len(words)), key=lambda i: opmode_of(words[i]) is OpMode.P2P_DEVICE)


@dataclass
class Expected:
    allowed: bool
    text: str
    step: int = -1  # index of the refused operation
    reasons: tuple[str, ...] = ()
    sentence: str = ""  # the refusal's own sentence (the verdict's last step)

    def describe(self) -> str:
        return "allowed" if self.allowed else f"refused at {self.sentence}"


def expect(ic: IEEE80211Com, words: list[str], chans: list[int] | None) -> Expected:
    """check_mix's verdict for this order, with the step it refuses at."""
    try:
        verdict = ic.check_mix(with_flags(words), list(chans) if chans is not None else None)
    except ConcurrencyError as e:
        text = e.strerror or str(e)
        lines = text.splitlines()
        steps = [ln.strip() for ln in lines[1:]]
        done = [s for s in steps if s.startswith(("create ", "up ", "start "))]
        last = steps[-1] if steps else ""
        return Expected(False, text, len(done), e.reasons, last.removeprefix("refused: "))
    return Expected(True, str(verdict))


def operations(words: list[str]) -> list[tuple[str, int]]:
    return [("create", i) for i in range(len(words))] + [("up", i) for i in up_order(words)]


def try_order(ref: DriverRef, words: list[str], chans: list[int] | None, log: list[str]) -> str | None:
    """Run one creation order; None if it behaved as check_mix says, else the problem."""
    w = World(ref, 1)
    flags = clone_flags(words)
    try:
        ic = w.dut
        exp = expect(ic, words, chans)
        log.append(f"order {'+'.join(words)}{'' if chans is None else ' on ' + str(chans)}: "
                   f"expected {exp.describe()}")
        empty = snapshot(ic)
        vaps: list[Any] = [None] * len(words)
        names = [f"wlan{i}" for i in range(len(words))]
        refused: tuple[int, ConcurrencyError] | None = None
        for step, (op, i) in enumerate(operations(words)):
            before = snapshot(ic)
            try:
                if op == "create":
                    chan = chans[i] if chans is not None else None
                    kw = vap_kwargs(words[i], i, chan, flags=flags[i])
                    vaps[i] = ic.create_vap(names[i], words[i], **kw)
                else:
                    vaps[i].up()
            except ConcurrencyError as e:
                refused = (step, e)
                log.append(f"  {op} {names[i]}: refused: {e.strerror}")
                after = snapshot(ic)
                if after != before:
                    return f"refused {op} of {names[i]} left state behind: {before} -> {after}"
                if op == "create" and names[i] in ic.names:
                    return f"refused create of {names[i]} left its name claimed"
                if op == "up" and (vaps[i].running or vaps[i].state != 0):
                    return f"refused up of {names[i]} left it running ({vaps[i].state.name})"
                break
            except Net80211Error as e:
                return f"{op} {names[i]} failed with {e} instead of following the policy"
            log.append(f"  {op} {names[i]}: ok")
        if refused is None:
            w.run_for(SETTLE_NS)
            late = [(v, v.last_error) for v in vaps if v is not None
                    and isinstance(getattr(v, "last_error", None), ConcurrencyError)]
            for v, err in late:
                log.append(f"  {v.name} refused later: {err.strerror}")
            if late:
                v, err = late[0]
                refused = (len(operations(words)), err)
        problem = compare(exp, refused)
        if problem is None:
            for v in reversed([v for v in vaps if v is not None]):
                ic.destroy_vap(v)
            w.run_for(SETTLE_NS // 10)  # a stopping radio may drain its queue first
            left = leftovers(ic, names, empty, [v for v in vaps if v is not None])
            if left:
                problem = "after destroying the vaps: " + "; ".join(left)
        return problem
    finally:
        w.close()


def compare(exp: Expected, refused: tuple[int, ConcurrencyError] | None) -> str | None:
    if exp.allowed:
        if refused is not None:
            return f"policy allows the mix but the device refused: {refused[1].strerror}"
        return None
    if refused is None:
        return f"policy refuses the mix ({exp.sentence}) but the device accepted it"
    step, err = refused
    if step != exp.step:
        return (f"refused at step {step} ({err.strerror}); the policy refuses at step {exp.step} "
                f"({exp.sentence})")
    if tuple(err.reasons) != tuple(exp.reasons):
        return f"refusal reasons {list(err.reasons)} differ from the policy's {list(exp.reasons)}"
    if err.strerror != exp.sentence:
        return f"refusal says {err.strerror!r}; the policy says {exp.sentence!r}"
    return None


def verdict_cell(ref: DriverRef, spec: CellSpec) -> CellResult:
    mix: Mix = spec.mix
    log: list[str] = []
    verdicts: list[str] = []
    problems = []
    w = World(ref, 1)
    try:
        for perm in mix.orders():
            words, chans = mix.ordered(perm)
            verdicts.append("allowed" if expect(w.dut, words, chans).allowed else "refused")
        unchecked = [u for u in (hw_unchecked(w.dut),) if u is not None]
    finally:
        w.close()
    for perm in mix.orders():
        words, chans = mix.ordered(perm)
        problem = try_order(ref, words, chans, log)
        if problem is not None:
            problems.append(f"{'+'.join(words)}: {problem}")
            log.append(f"  FAIL: {problem}")
    expected = summarize(verdicts)
    return conclude(mix, "verdict", expected, problems, unchecked, log,
                    failed_outcome=f"{len(problems)} of {len(verdicts)} orders differ",
                    note="the verdicts agree with the policy")


def summarize(verdicts: list[str]) -> str:
    n = len(verdicts)
    allowed = verdicts.count("allowed")
    if allowed == n:
        return "allowed"
    if allowed == 0:
        return "refused"
    return f"allowed in {allowed} of {n} orders"
