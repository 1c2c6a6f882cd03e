"""Map independent jobs through one of three backends and yield the results
as they complete: in this process, in worker processes, or as Ray tasks.

The sweep runner and the conformance matrix both dispatch through `imap`.
A job function must be a module-level function (it travels by name to the
workers) that returns a picklable result; what it returns does not depend
on the backend, so a serial run, `--workers N` and Ray give the same
results.  A job whose worker dies (a crashed process, a lost Ray node) is
handed to `on_error`, which makes its result.

Ray is imported only when asked for: `ray` is an optional dependency
(`pip install net80211[sweep]`).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Backend:
    """Where jobs run: `ray` None for local processes (`workers` 1: this
    process), else a Ray address ("" for a local Ray, or RAY_ADDRESS)."""

    workers: int = 1
    ray: str | None = None

    @property
    def name(self) -> str:
        if self.ray is not None:
            return f"ray ({self.ray or os.environ.get('RAY_ADDRESS') or 'local'})"
        return "serial" if self.workers == 1 else f"{self.workers} processes"


def choose_backend(workers: int | None, ray: str | None) -> Backend:
    """--workers and --ray as given (None: not given); RAY_ADDRESS alone
    selects Ray too, unless --workers was given."""
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be at least 1, not {workers}")
    if ray is None and workers is None and os.environ.get("RAY_ADDRESS"):
        ray = ""
    return Backend(workers if workers is not None else default_workers(), ray)


class Progress:
    """A progress bar with ETA (tqdm) on a terminal; nothing when the
    stream is not one (piped, a file, a CI log)."""

    def __init__(self, total: int, desc: str, stream: TextIO | None = None,
                 enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        on = enabled if enabled is not None else _isatty(self.stream)
        self.bar: Any = None
        if on and total > 0:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, file=self.stream, unit="run", dynamic_ncols=True,
                            smoothing=0.1)

    def update(self, n: int = 1, postfix: str | None = None) -> None:
        if self.bar is not None:
            if postfix is not None:
                self.bar.set_postfix_str(postfix, refresh=False)
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class JobLost(RuntimeError):
    """A job's worker went away before answering (a crash, a lost node)."""


def imap(fn: Callable[[T], R], jobs: Sequence[T], backend: Backend,
         on_error: Callable[[T, BaseException], R]) -> Iterator[tuple[int, R]]:
    """(index in `jobs`, result) for each job, in completion order."""
    if not jobs:
        return iter(())
    if backend.ray is not None:
        return _ray(fn, jobs, backend, on_error)
    if backend.workers == 1 or len(jobs) == 1:
        return ((i, fn(job)) for i, job in enumerate(jobs))
    return _processes(fn, jobs, backend.workers, on_error)


def _processes(fn: Callable[[T], R], jobs: Sequence[T], workers: int,
               on_error: Callable[[T, BaseException], R]) -> Iterator[tuple[int, R]]:
    # forkserver: workers start from a clean process, not a copy of this one
    # (which may hold threads: a Ray client, a test runner's).
    ctx = multiprocessing.get_context("forkserver")
    # The server imports the job's module once; each worker forks with it loaded.
    ctx.set_forkserver_preload([fn.__module__])
    with cf.ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
        futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
        try:
            for fut in cf.as_completed(futures):
                i = futures[fut]
                try:
                    yield i, fut.result()
                except cf.process.BrokenProcessPool as e:
                    yield i, on_error(jobs[i], JobLost(f"worker process died: {e}"))
        finally:
            for fut in futures:
                fut.cancel()


def ray_init(**kw: Any) -> None:
    """`ray.init(**kw)`, leaving this process's SIGTERM and SIGINT handlers
    as they were: Ray's driver installs a SIGTERM handler that raises
    SystemExit, which a child forked later (pyroute2's namespace helper, a
    test runner's) inherits, and then unwinds through its parent's code
    instead of dying."""
    import ray

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        ray.init(**kw)
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)


def _ray(fn: Callable[[T], R], jobs: Sequence[T], backend: Backend,
         on_error: Callable[[T, BaseException], R]) -> Iterator[tuple[int, R]]:
    import ray

    started = False
    if not ray.is_initialized():
        kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                              "logging_level": "ERROR"}
        address = backend.ray or os.environ.get("RAY_ADDRESS") or None
        if address is None:
            kw["num_cpus"] = backend.workers  # a local Ray: as many CPUs as --workers (the cores)
        ray_init(address=address, **kw)
        started = True
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(fn)
        # Jobs in flight: enough to keep the cluster busy, not the whole plan
        # (a large sweep's arguments would all sit in the object store).
        limit = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        pending: dict[Any, int] = {}
        nxt = 0
        while nxt < len(jobs) or pending:
            while nxt < len(jobs) and len(pending) < limit:
                pending[remote.remote(jobs[nxt])] = nxt
                nxt += 1
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                i = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as e:
                    result = on_error(jobs[i], JobLost(f"Ray task failed: {e}"))
                yield i, result
    finally:
        if started:
            ray.shutdown()
