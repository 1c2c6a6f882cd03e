"""results.jsonl: one JSON object per run, appended and fsynced a whole
line at a time, so that a sweep killed at any moment (SIGKILL, a power
cut) leaves every finished run on disk once and at most one torn line at
the end, which the next run drops.  Lines are appended as runs finish;
`finish` rewrites the file in plan order (through a temporary file and a
rename), so the same sweep gives the same file however it was run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from net80211.scenario.spec import ScenarioError
from net80211.sweep.spec import cell_key


def record_key(rec: dict[str, Any]) -> tuple[str, int]:
    return cell_key(rec["cell"]), int(rec["replicate"])


def dumps(rec: dict[str, Any]) -> bytes:
    return (json.dumps(rec, separators=(",", ":"), allow_nan=True) + "\n").encode()


class ResultsFile:
    """The runs already written in a results file, and appending more."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[tuple[str, int], dict[str, Any]] = {}
        self.order: list[tuple[str, int]] = []
        self.dropped_torn = False
        self._fd: int | None = None
        self._load()

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        # Every line this module writes ends with its newline, written last:
        # an unterminated tail is a line a kill tore (dropped, run again);
        # a terminated line that is no result is someone else's file.
        *lines, tail = data.split(b"\n")
        for lineno, line in enumerate(lines, 1):
            rec = _parse(line)
            if rec is None:
                raise ScenarioError(f"line {lineno} is not a run's result (not written by wlanctl sweep?); "
                                    "move the file away or choose another --out", file=str(self.path))
            key = record_key(rec)
            if key not in self.records:
                self.order.append(key)
            self.records[key] = rec
        if tail:
            self.dropped_torn = True
            with open(self.path, "r+b") as f:
                f.truncate(len(data) - len(tail))
                os.fsync(f.fileno())

    def __contains__(self, key: tuple[str, int]) -> bool:
        return key in self.records

    def append(self, rec: dict[str, Any]) -> None:
        if self._fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, 0o644)
        line = dumps(rec)
        view = memoryview(line)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        os.fsync(self._fd)
        key = record_key(rec)
        if key not in self.records:
            self.order.append(key)
        self.records[key] = rec

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def finish(self, plan: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
        """Rewrite the file in plan order (runs outside the plan, from an
        earlier sweep over the same directory, after them); the records."""
        self.close()
        keys = [k for k in plan if k in self.records]
        seen = set(keys)
        keys += [k for k in self.order if k not in seen]
        recs = [self.records[k] for k in keys]
        write_atomic(self.path, b"".join(dumps(r) for r in recs))
        return recs


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        rec = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(rec, dict) or not isinstance(rec.get("cell"), dict) \
            or not isinstance(rec.get("replicate"), int):
        return None
    return rec


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: a temporary file beside it, fsynced, renamed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
