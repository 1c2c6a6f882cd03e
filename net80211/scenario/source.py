"""Where keys are in a TOML file, so an error can name its line.

tomllib returns plain values without positions; this scans the text once for
table headers (`[a.b]`, `[[a]]`) and `key = value` lines and records the
first line of each key path, e.g. ("vaps", 2, "mode") -> 14.  Dotted keys and
inline tables fall back to the line of their table.
"""

from __future__ import annotations

import re
from typing import Any

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\")\s*=")


def _depth_change(line: str) -> int:
    """Net bracket depth of a line, ignoring strings and comments."""
    depth, quote = 0, ""
    for ch in line:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


class SourceIndex:
    """Key path -> line number (1-based) of a TOML text."""

    def __init__(self, text: str = "") -> None:
        self.lines: dict[tuple[Any, ...], int] = {}
        table: tuple[Any, ...] = ()
        arrays: dict[tuple[str, ...], int] = {}
        depth = 0
        for no, line in enumerate(text.splitlines(), 1):
            if depth > 0:  # inside a multi-line array or inline table
                depth += _depth_change(line)
                continue
            m = _HEADER.match(line)
            if m:
                names = tuple(p.strip().strip('"') for p in m.group(2).split("."))
                if m.group(1) == "[[":
                    arrays[names] = arrays.get(names, -1) + 1
                    table = (*names, arrays[names])
                else:
                    # [a.b] under an array table [[a]] belongs to its last element
                    table = names
                    if names[:1] in arrays and len(names) > 1:
                        table = (names[0], arrays[names[:1]], *names[1:])
                self.lines.setdefault(table, no)
                continue
            m = _KEY.match(line)
            if m:
                self.lines.setdefault((*table, m.group(1).strip('"')), no)
                depth = max(0, _depth_change(line[m.end():]))

    def line(self, path: tuple[Any, ...]) -> int | None:
        """The line of `path`, or of its nearest enclosing table that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None


def key_name(path: tuple[Any, ...]) -> str:
    """("vaps", 2, "mode") -> "vaps[2].mode"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
