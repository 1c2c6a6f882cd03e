"""Bad sweep files are refused before anything runs, naming the line and the key."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support.sweepfiles import SWEEP, write

from net80211.scenario import ScenarioError
from net80211.sweep import load_sweep

AXES = SWEEP.split("[[axes]]")[0]

# (what is wrong, the sweep file, its line, the key named, words of the message)
BAD = [
    ("unknown scenario key", AXES + '[[axes]]\nkey = "medium.bogus"\nvalues = [1, 2]\n',
     8, "axes[0].values", ["medium.bogus", "unknown key 'bogus'"]),
    ("empty axis", AXES + '[[axes]]\nkey = "medium.fading"\nvalues = []\n',
     8, "axes[0].values", ["has no values"]),
    ("a value the scenario refuses", SWEEP + '\n[[axes]]\nkey = "medium.fading"\nvalues = [0, "loud"]\n',
     16, "axes[2].values", ['medium.fading = "loud"', "must be a number"]),
    ("a refused value of a list item", AXES + '[[axes]]\nkey = "vaps[1].mode"\nvalues = ["sta", "fish"]\n',
     8, "axes[0].values", ['vaps[1].mode = "fish"', "refuses"]),
    ("no such list item", AXES + '[[axes]]\nkey = "vaps[7].channel"\nvalues = [1]\n',
     7, "axes[0].key", ["vaps has 2 entries, no [7]"]),
    ("into a value that is no table", AXES + '[[axes]]\nkey = "medium.model.x"\nvalues = [1]\n',
     7, "axes[0].key", ["medium.model is not a table"]),
    ("a malformed key", AXES + '[[axes]]\nkey = "vaps[x].channel"\nvalues = [1]\n',
     7, "axes[0].key", ["is not a key"]),
    ("the same axis twice", SWEEP + '\n[[axes]]\nkey = "vaps[0].channel"\nvalues = [11]\n',
     15, "axes[2].key", ["already an axis"]),
    ("the seed as an axis", AXES + '[[axes]]\nkey = "scenario.seed"\nvalues = [1, 2]\n',
     7, "axes[0].key", ["derives from the sweep seed"]),
    ("an unknown sweep key", SWEEP.replace("replicates = 2", "replicates = 2\nworkers = 4"),
     5, "sweep.workers", ["unknown key 'workers'"]),
    ("no replicates", SWEEP.replace("replicates = 2", "replicates = 0"), 4, "sweep.replicates", ["1..10000"]),
    ("a negative seed", SWEEP.replace("seed = 11", "seed = -1"), 3, "sweep.seed", ["negative"]),
    ("a missing base scenario", SWEEP.replace('"base.toml"', '"nowhere.toml"'), 2, "sweep.scenario",
     ["cannot read nowhere.toml"]),
    ("a value listed twice", AXES + '[[axes]]\nkey = "medium.fading"\nvalues = [1, 2, 1]\n',
     8, "axes[0].values", ["lists a value twice"]),
    ("not TOML", SWEEP + "\n[[axes]\n", 14, None, ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "line", "key", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_sweep_file_is_refused_with_line_and_key(tmp_path, text, line, key, words):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        load_sweep(path)
    e = exc.value
    assert (e.file, e.line, e.key) == (str(path), line, key), str(e)
    for w in words:
        assert w in str(e)


def test_the_cli_refuses_before_running_anything(tmp_path):
    path = write(tmp_path, AXES + '[[axes]]\nkey = "medium.bogus"\nvalues = [1, 2]\n')
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "net80211.ctl.cli", "sweep", str(path), "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 22, p.stderr  # EINVAL, as wlanctl run
    assert f"{path}:8: axes[0].values:" in p.stderr and "(EINVAL)" in p.stderr
    assert p.stdout == "" and not out.exists()


def test_usage_errors(tmp_path):
    path = write(tmp_path)
    bad_workers = ["--workers", "0", "--out", str(tmp_path / "o")]
    for args, words in ((bad_workers, "--workers must be at least 1"), ([], "--out")):
        p = subprocess.run([sys.executable, "-m", "net80211.ctl.cli", "sweep", str(path), *args],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and words in p.stderr, p.stderr
