"""State changes of vaps (`ieee80211_proto.c`): the per-vap request queue,
its deferred half with the multi-vap rules, and vap start/stop.

`new_state` never runs a transition inline.  It appends to the vap's bounded
FIFO and queues one task on the device's taskqueue; the task applies the
multi-vap rules against the states as they are *then* and calls the vap's
`iv_newstate`.  Vaps moved by the rules (to INIT for a forced scan, woken
from SCANWAIT) are moved through their own queues too, so a driver sees every
transition exactly once and in order.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ic import IllegalTransition, InvalidArgument, OpMode, State, StateQueueFull
from net80211.scan import Scanner

if TYPE_CHECKING:
    from ic import IEEE80211Com
    from net80211.vap import IEEE80211Vap

log = logging.getLogger("net80211")
state_log = logging.getLogger("net80211.state")  # one line per vap state change

NSTATE_QUEUE_MAX = 8  # FreeBSD 14's NET80211_IV_NSTATE_NUM
_seq = itertools.count(1)


@dataclass(slots=True)
class StateRequest:
    seq: int
    nstate: State
    arg: int
    internal: bool
    forced_done: bool = False



def chose_channel(vap: IEEE80211Vap) -> bool:
    """Whether a running vap's channel was a choice (its own, a scan's) rather
    than wherever the radio happened to be: monitor, WDS and P2P-device vaps
    without a configured channel choose nothing."""
    return vap.des_chan is not None or vap.opmode not in (OpMode.MONITOR, OpMode.WDS, OpMode.P2P_DEVICE)

def new_state(vap: IEEE80211Vap, nstate: State | int, arg: int = -1, *,
              internal: bool = False) -> StateRequest | None:
    """Queue a state change for `vap` (`ieee80211_new_state`).

    Requests from users are checked against the state the vap will be in
    after its queued requests: an impossible one raises IllegalTransition,
    a ninth pending one StateQueueFull; both are counted.  The framework's
    own requests (internal=True) are never refused here.
    """
    try:
        nstate = State(nstate)
    except ValueError:
        raise InvalidArgument(f"{vap.name}: no such state {nstate!r}") from None
    if not vap.attached:
        raise InvalidArgument(f"{vap.name}: vap is not attached")
    mode = vap.mode
    if vap.detaching and nstate != State.INIT:
        # Work a detaching vap's last tasks still queue (a BSS created by a
        # pending SCAN...) must not move it off INIT again.
        log.debug("%s: detaching, %s dropped", vap.name, nstate.name)
        return None
    if not internal:
        predicted = vap.nstates[-1].nstate if vap.nstates else vap.state
        if not mode.legal(predicted, nstate):
            vap.stats.illegal_transitions += 1
            raise IllegalTransition(
                f"{vap.name}: {mode.name} vap cannot go from {predicted.name} to {nstate.name}")
        if len(vap.nstates) >= NSTATE_QUEUE_MAX:
            vap.stats.state_queue_overflows += 1
            log.warning("%s: state queue full, %s refused", vap.name, nstate.name)
            raise StateQueueFull(
                f"{vap.name}: {NSTATE_QUEUE_MAX} state changes already pending, {nstate.name} refused")
    req = StateRequest(next(_seq), nstate, arg, internal)
    vap.nstates.append(req)
    vap.ic.taskqueue.enqueue(_newstate_task, vap)
    return req


def _newstate_task(vap: IEEE80211Vap) -> None:
    if not vap.nstates:
        return
    req = vap.nstates.pop(0)
    vap.serving = req.seq
    try:
        _run_request(vap, req)
    finally:
        vap.serving = None


def _others(vap: IEEE80211Vap) -> tuple[int, int]:
    """(running, scanning) counts of the device's other vaps; AUTH, ASSOC and
    CAC count as scanning, as in FreeBSD."""
    nrunning = nscanning = 0
    for vp in vap.ic.vaps:
        if vp is not vap:
            if vp.state >= State.RUN:
                nrunning += 1
            elif vp.state > State.INIT:
                nscanning += 1
    return nrunning, nscanning


def _run_request(vap: IEEE80211Vap, req: StateRequest) -> None:
    ic = vap.ic
    nstate, arg = req.nstate, req.arg
    if vap.reinit:
        # Started again: drop to INIT before anything else (FEXT_REINIT).
        vap.reinit = False
        if vap.state != State.INIT:
            _apply(vap, State.INIT, 0)
    ostate = vap.state
    nrunning, nscanning = _others(vap)

    if nstate == State.SCAN:
        if ostate == State.INIT:
            if nscanning:
                # Someone else scans: wait until it is done (SCANWAIT).
                vap.scanwait = True
                vap.stats.scanwaits += 1
                log.debug("%s: SCANWAIT (another vap scans)", vap.name)
                return
            if nrunning and not vap.opmode.sta_like:
                # Someone runs: join the channel it chose.
                nstate = State.RUN
        elif not req.forced_done:
            # A forced scan (beacon miss...): the other vaps go to INIT and
            # wait, through their own queues, before this scan starts.
            moved = [vp for vp in ic.vaps if vp is not vap and vp.state > State.INIT]
            if moved:
                for vp in moved:
                    vp.scanwait = True
                    new_state(vp, State.INIT, 0, internal=True)
                req.forced_done = True
                vap.nstates.insert(0, req)
                ic.taskqueue.enqueue(_newstate_task, vap)
                return
    elif nstate == State.RUN:
        if vap.opmode is OpMode.WDS and vap.legacy_wds and nscanning:
            # Legacy WDS follows the channel the scanning vap will choose.
            vap.scanwait = True
            vap.stats.scanwaits += 1
            return
        if vap.opmode.ap_like and vap.dfs:
            chan = vap.bss_chan or vap.des_chan or ic.bsschan
            if chan is not None and chan.is_dfs and chan not in ic.cac_done and ostate != State.CAC:
                nstate = State.CAC
    elif nstate == State.INIT:
        Scanner.of(ic).cancel(vap)

    if not vap.mode.legal(ostate, nstate):
        vap.stats.illegal_transitions += 1
        log.warning("%s: illegal transition %s -> %s dropped", vap.name, ostate.name, nstate.name)
        return
    if not _apply(vap, nstate, arg):
        return
    if ostate == nstate:
        return
    if nstate == State.RUN:
        if chose_channel(vap):
            # Waiters join the channel this vap chose; one that chose none
            # (a monitor) leaves them waiting for the vap that scans.
            _wakeup_waiting(vap)
    elif nstate == State.INIT:
        if ic.nrunning == 0:
            # FreeBSD flushes the shared cache whenever a vap goes to INIT;
            # that throws away what a running vap on the same radio (a
            # repeater's uplink) just learnt.  Flush when the device stops;
            # otherwise entries age out (Scanner.expire).
            Scanner.of(ic).flush()
        if ostate < State.RUN and not vap.scanwait and _others(vap)[1] == 0:
            # The scan the waiters waited for ended without a BSS: let them go.
            _wakeup_waiting(vap)


def _apply(vap: IEEE80211Vap, nstate: State, arg: int) -> bool:
    ostate = vap.state
    rc = vap.iv_newstate(nstate, arg)
    if rc:
        vap.stats.failed_transitions += 1
        log.warning("%s: driver failed %s -> %s (%s)", vap.name, ostate.name, nstate.name, rc)
        return False
    if vap.state != nstate:
        # The driver's iv_newstate said "done" but net80211 never ran: it
        # returned without calling super().iv_newstate().
        vap.stats.swallowed_transitions += 1
        log.warning("%s: %s -> %s swallowed: %s", vap.name, ostate.name, nstate.name, swallowed_text(vap))
        return False
    vap.stats.transitions += 1
    watch = vap.ic.state_watch
    if watch is not None:
        watch(vap, ostate, nstate)
    if nstate != ostate:
        state_log.info("%s: %s -> %s", vap.name, ostate.name, nstate.name)
    return True


def swallowed_text(vap: IEEE80211Vap) -> str:
    """Why a vap did not move: its driver's iv_newstate skipped net80211's."""
    return (f"{type(vap).__name__}.iv_newstate returned 0 without calling super().iv_newstate(), so "
            f"{vap.stats.swallowed_transitions} transition(s) never happened and the vap stays in "
            f"{vap.state.name}")


def _wakeup_waiting(vap: IEEE80211Vap) -> None:
    for vp in vap.ic.vaps:
        if vp is not vap and vp.scanwait:
            vp.scanwait = False
            if vp.running:
                new_state(vp, State.SCAN if vp.opmode.sta_like else State.RUN, 0, internal=True)


# -- start/stop (ieee80211_start_locked / ieee80211_stop_locked) -----------------

def start(vap: IEEE80211Vap) -> None:
    """Bring a vap up: policy check, parent up on the first vap, kick its state machine."""
    ic = vap.ic
    if not vap.attached:
        raise InvalidArgument(f"{vap.name}: vap is not attached")
    if vap.running:
        return
    ic.policy.check_running(ic, vap, vap.des_chan)
    vap.running = True
    ic.nrunning += 1
    if ic.nrunning == 1:
        # The parent task brings the device up, then starts the running vaps.
        vap.pending_kick = True
        ic.taskqueue.enqueue(_parent_task, ic)
    elif any(vp.pending_kick for vp in ic.vaps):
        vap.pending_kick = True  # the parent task has not run yet; it starts us
    else:
        _kick(vap)


def _kick(vap: IEEE80211Vap) -> None:
    vap.pending_kick = False
    nstate, reinit = vap.mode.first_request(vap)
    if reinit:
        vap.reinit = True
    new_state(vap, nstate, 1 if nstate == State.ASSOC else 0, internal=True)


def _parent_task(ic: IEEE80211Com) -> None:
    ic.ic_parent()
    if ic.nrunning > 0:
        for vp in ic.vaps:
            if vp.running and vp.pending_kick:
                _kick(vp)


def stop(vap: IEEE80211Vap) -> None:
    """Take a vap down: to INIT; the last one down runs the parent task again."""
    if not vap.running:
        return
    ic = vap.ic
    vap.running = False
    vap.scanwait = False
    vap.pending_kick = False
    new_state(vap, State.INIT, -1, internal=True)
    ic.nrunning -= 1
    if ic.nrunning == 0:
        ic.taskqueue.enqueue(_parent_task, ic)
