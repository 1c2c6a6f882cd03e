"""The reports: JSON shape, Markdown table, and the HTML page's structure
(parsed with html.parser: one table, a mode filter, failures as details)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from net80211.conformance import CellResult
from net80211.conformance.report import Report

CELLS = [
    CellResult("sta", "verdict", ["sta"], "allowed", "allowed", True),
    CellResult("sta", "behaviour", ["sta"], "associates", "associates", True),
    CellResult("hostap+sta", "verdict", ["hostap", "sta"], "refused", "1 of 2 orders differ", False,
               "policy refuses <the mix> but the device accepted it", ["line one", "line <two>"]),
    CellResult("p2p-device", "behaviour", ["p2p-device"], "discovery", "not covered", None,
               "not checked: P2P protocol not implemented"),
]


VOID = {"meta", "br", "input", "link", "img", "hr"}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.details_text: list[str] = []
        self.rows: list[dict[str, str | None]] = []
        self.options: list[str | None] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "tr" and "data-modes" in a:
            self.rows.append(a)
        if tag == "option":
            self.options.append(a.get("value"))
        if tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "details" in self.stack:
            self.details_text.append(data)


def test_json_has_driver_profile_cells_and_totals() -> None:
    d = json.loads(Report("hwsim", "ath", CELLS, 2).to_json())
    assert d["driver"] == "hwsim" and d["profile"] == "ath" and d["max_vaps"] == 2
    assert [c["mix"] for c in d["cells"]] == ["sta", "sta", "hostap+sta", "p2p-device"]
    for c in d["cells"]:
        assert {"mix", "kind", "expected", "outcome", "passed", "reason"} <= set(c)
    assert d["cells"][2]["passed"] is False and d["cells"][2]["log"] == ["line one", "line <two>"]
    assert d["cells"][3]["passed"] is None and d["cells"][3]["status"] == "not covered"
    assert d["cells"][3]["reason"] == "not checked: P2P protocol not implemented"
    assert [c["status"] for c in d["cells"]] == ["pass", "pass", "fail", "not covered"]
    t = d["totals"]
    assert (t["cells"], t["passed"], t["failed"], t["not_covered"], t["mixes"]) == (4, 2, 1, 1, 3)
    assert t["by_kind"]["behaviour"] == {"cells": 2, "passed": 1, "failed": 0, "not_covered": 1}


def test_html_is_one_filterable_table_with_failures_expandable() -> None:
    page = Page()
    page.feed(Report("hwsim", "ath", CELLS, 2).html())
    page.close()
    assert page.stack == []  # every element closed, in order
    assert [t for t, _ in page.tags].count("table") == 1
    selects = [a for t, a in page.tags if t == "select"]
    assert selects and selects[0].get("id") == "mode-filter"
    assert set(page.options) == {"", "sta", "hostap", "p2p-device"}
    assert page.scripts == 1  # the filter, inline: the page is self-contained
    # Nothing loaded from elsewhere: the one image (the verdict heat map) is embedded.
    assert not [a for t, a in page.tags if t == "link" or (t == "script" and a.get("src"))]
    imgs = [a for t, a in page.tags if t == "img"]
    assert len(imgs) == 1 and imgs[0]["src"].startswith("data:image/png;base64,")
    assert [r["data-modes"] for r in page.rows] == ["sta", "hostap sta", "p2p-device"]
    assert "fail" in (page.rows[1]["data-status"] or "")
    assert [t for t, _ in page.tags].count("details") == 2  # the failure and the cell not covered
    assert page.rows[2]["data-status"] == "not-covered"
    assert [a.get("class") for t, a in page.tags if t == "td"].count("not-covered") == 1
    text = "".join(page.details_text)
    assert "policy refuses <the mix> but the device accepted it" in text  # escaped, then parsed back
    assert "line <two>" in text and "not checked: P2P protocol not implemented" in text
    assert "2 passed, 1 failed, 1 not covered" in Report("hwsim", "ath", CELLS, 2).html()


def test_markdown_and_terminal_table() -> None:
    rep = Report("hwsim", "ath", CELLS, 2)
    md = rep.markdown()
    assert "| mix | verdict | behaviour | lifecycle |" in md
    assert "| `hostap+sta` | **FAIL** | - | - |" in md
    assert "- `p2p-device` behaviour: not covered: not checked: P2P protocol not implemented" in md
    assert "1 not covered." in md
    plain = rep.table(colour=False)
    assert "\x1b[" not in plain
    assert plain.splitlines()[2].split() == ["sta", "pass", "pass", "-"]
    assert "FAIL hostap+sta verdict: policy refuses" in plain
    assert plain.splitlines()[4].split() == ["p2p-device", "-", "not", "covered", "-"]
    assert "NOT COVERED p2p-device behaviour: not checked: P2P protocol not implemented" in plain
    assert "2 passed, 1 failed, 1 not covered" in plain
    coloured = rep.table(colour=True)
    assert "\x1b[1;31mFAIL" in coloured and "\x1b[32mpass" in coloured
    assert not rep.ok
