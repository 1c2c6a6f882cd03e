"""The manual pages in docs/man: all eight exist, lint clean under mandoc, and
carry the sections a FreeBSD-style page needs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool

MAN = Path(__file__).resolve().parents[2] / "docs" / "man"
PAGES = ("ieee80211.9", "ieee80211_vap.9", "ieee80211_proto.9", "ieee80211_p2p.9",
         "hwsim.4", "wlan.4", "wlanctl.8", "hwsim-mediumd.8")
REQUIRED = ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO", "HISTORY")
# Pages about something that fails or exits must say how.
FAILURES = {"8": ("EXIT STATUS",), "9": ("ERRORS",), "4": ()}


def sections(page: Path) -> list[str]:
    return [m.group(1).strip('"') for m in re.finditer(r"^\.Sh (.+)$", page.read_text(), re.M)]


def test_every_page_exists():
    assert sorted(p.name for p in MAN.iterdir() if p.suffix[1:].isdigit()) == sorted(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_lint_clean(name):
    mandoc = require_tool("mandoc")
    r = subprocess.run([mandoc, "-Tlint", "-Wwarning", str(MAN / name)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout and not r.stderr, r.stdout + r.stderr


@pytest.mark.parametrize("name", PAGES)
def test_required_sections(name):
    page = MAN / name
    have = sections(page)
    for sec in REQUIRED + FAILURES[name.rsplit(".", 1)[1]]:
        assert sec in have, f"{name} has no {sec} section ({have})"
    assert have[:3] == ["NAME", "SYNOPSIS", "DESCRIPTION"]
    text = page.read_text()
    # Dt names the page and its section, as man -l shows it.
    stem, section = name.rsplit(".", 1)
    assert re.search(rf"^\.Dt {re.escape(stem.upper())} {section}$", text, re.M)


@pytest.mark.parametrize("name", PAGES)
def test_renders(name):
    mandoc = require_tool("mandoc")
    r = subprocess.run([mandoc, "-Tascii", str(MAN / name)], capture_output=True, text=True, check=True)
    plain = re.sub(r".\x08", "", r.stdout)  # drop overstrike (bold, underline)
    assert "DESCRIPTION" in plain and len(plain.splitlines()) > 20


def test_cross_references_resolve():
    """Every Xr to one of our own page names points at a page that exists."""
    ours = {n.rsplit(".", 1)[0] for n in PAGES}
    for name in PAGES:
        for ref, sec in re.findall(r"^\.Xr (\S+) (\d)", (MAN / name).read_text(), re.M):
            if ref in ours:
                assert f"{ref}.{sec}" in PAGES, f"{name}: Xr {ref} {sec} names no page"
