"""wlanctl(8) against the CLI's own parser: every command, keyword, fixed word
and option the parser knows appears in the page, and `wlanctl -h` points to it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool

from net80211.ctl import cli, grammar

PAGE = Path(__file__).resolve().parents[2] / "docs" / "man" / "wlanctl.8"


@pytest.fixture(scope="module")
def page_words() -> set[str]:
    mandoc = require_tool("mandoc")
    out = subprocess.run([mandoc, "-Tascii", str(PAGE)], capture_output=True, text=True, check=True).stdout
    plain = re.sub(r".\x08", "", out)
    return (set(re.findall(r"[A-Za-z0-9_-]+", plain)) | set(re.findall(r"-[-A-Za-z0-9]+", plain))
            | set(re.findall(r"[A-Za-z0-9_-]+:[A-Za-z0-9_-]+", plain)))  # ifconfig's roam:rssi


def _parser_words() -> list[tuple[str, str]]:
    words: list[tuple[str, str]] = [(w, "top-level word") for w in grammar.TOP_WORDS]
    words += [(w, "interface verb") for w in grammar.IFACE_VERBS]
    for name, ws in grammar.all_words().items():
        words += [(w, f"word of {name}") for w in ws]
    for c in grammar.COMMANDS:
        for k in c.keywords:
            words += [(ch, f"choice of {c.name} {k.word}") for ch in k.choices]
    for opt, _ in grammar.GLOBAL_OPTIONS:
        words += [(o.split()[0], "global option") for o in opt.split(", ")]
    for action in cli.serve_parser()._actions:
        words += [(o, "serve option") for o in action.option_strings if o not in ("-h", "--help")]
    return words


def test_parser_has_words_to_check():
    assert len(_parser_words()) > 40


@pytest.mark.parametrize("word, what", _parser_words())
def test_every_parser_word_is_in_the_page(page_words, word, what):
    assert word in page_words, f"wlanctl.8 does not mention {what} {word!r}"


def test_every_command_has_a_synopsis_line():
    text = PAGE.read_text()
    synopsis = text[text.index(".Sh SYNOPSIS"):text.index(".Sh DESCRIPTION")]
    for w in list(grammar.TOP_WORDS) + list(grammar.IFACE_VERBS):
        assert re.search(rf"^\.Cm {re.escape(w)}\b", synopsis, re.M) or f"Cm {w}" in synopsis, w


def test_help_points_to_the_manual(capsys):
    assert cli.main(["-h"]) == 0
    assert "man -l docs/man/wlanctl.8" in capsys.readouterr().out
