"""`make demo` is the `wlanctl` console script running examples/demo.toml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_runs_the_wlanctl_console_script_on_the_demo_scenario(tmp_path) -> None:
    recipe = re.search(r"^demo:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert recipe is not None and recipe.group(1) == "$(VENV)/bin/wlanctl run examples/demo.toml"
    wlanctl = Path(sys.executable).parent / "wlanctl"  # installed by `pip install -e .`
    assert wlanctl.exists(), "the wlanctl console script is not installed in this environment"
    out = subprocess.run([str(wlanctl), "run", str(ROOT / "examples" / "demo.toml")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("scenario demo: 5.000 s of virtual time")
    for name in ("ap0", "sta1", "sta2", "mon0"):
        assert re.search(rf"^  {name} .* RUN ", text, re.M), name
    assert "stations 2:" in text
    assert len(re.findall(r"5 sent, 5 received, 0\.0% loss|3 sent, 3 received, 0\.0% loss", text)) == 2
    assert (tmp_path / "build" / "demo.pcap").stat().st_size > 0
    # The README's quick start says the same.
    assert "wlanctl run examples/demo.toml" in (ROOT / "README.md").read_text()
