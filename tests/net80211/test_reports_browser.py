"""The reports a person looks at, opened in a real headless browser
(Debian's chromium, driven by playwright): every plot loads and has a
size, nothing on the page is broken (no console error, no failed
resource), and a screenshot of each is kept under build/artifacts/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require
from support.sweepfiles import write

from net80211.conformance import cli_main as conformance_main
from net80211.sweep import Backend, load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "artifacts"


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    require(chromium is not None, "chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        # The system's browser: playwright downloads none.
        b = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def _check_page(browser, path: Path, shot: str, min_images: int) -> dict:
    """Open `path`, wait for it, and say what a person would see broken."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed to load {r.url[:80]}: {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} for {r.url[:80]}") if r.status >= 400
            else None)
    try:
        page.goto(path.as_uri(), wait_until="load")
        images = page.evaluate("""() => Array.from(document.images).map(i => ({
            alt: i.alt, complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
            shown_w: i.getBoundingClientRect().width}))""")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    finally:
        page.close()
    broken = [i for i in images if not (i["complete"] and i["w"] > 0 and i["h"] > 0 and i["shown_w"] > 0)]
    assert not broken, broken
    assert len(images) >= min_images, images
    assert not problems, problems
    return {i["alt"]: i for i in images}


def test_sweep_report_renders(browser, tmp_path):
    sw = load_sweep(write(tmp_path))
    run_sweep(sw, tmp_path / "out", Backend(1))
    images = _check_page(browser, tmp_path / "out" / "report.html", "sweep-report.png", 6)
    titles = " | ".join(images)
    for want in ("Association time", "against medium.params.exponent", "Cells: stations associated",
                 "Throughput against distance", "Loss against distance", "Radios and links"):
        assert want in titles, titles


def test_conformance_report_renders(browser, tmp_path, capsys):
    html = tmp_path / "conformance.html"
    assert conformance_main(["--driver", "hwsim:ath", "--max-vaps", "1", "--html", str(html)]) == 0
    capsys.readouterr()
    images = _check_page(browser, html, "conformance-report.png", 1)
    assert any(t.startswith("Verdicts: hwsim:ath") for t in images)


def test_run_map_and_timeline_render(browser, tmp_path):
    scenario = ROOT / "examples" / "modeled.toml"
    p = subprocess.run([sys.executable, "-m", "net80211.ctl.cli", "run", str(scenario), "--seconds", "3",
                        "--outdir", str(tmp_path), "--map", str(tmp_path / "map.html"),
                        "--timeline", str(tmp_path / "timeline.png")], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    images = _check_page(browser, tmp_path / "map.html", "run-map.png", 1)
    assert list(images) == ["modeled: radios and links"]
    assert (tmp_path / "timeline.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    shutil.copy(tmp_path / "timeline.png", ARTIFACTS / "run-timeline.png")


def test_the_check_sees_a_broken_page(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><img alt="a" src="data:image/png;base64,AAAA">'
                    '<script>console.error("boom")</script></body></html>')
    with pytest.raises(AssertionError, match="'w': 0"):
        _check_page(browser, page, "broken.png", 1)
    (ARTIFACTS / "broken.png").unlink()
    page.write_text('<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>')
    with pytest.raises(AssertionError, match="console error: boom"):
        _check_page(browser, page, "broken.png", 0)
    (ARTIFACTS / "broken.png").unlink()
