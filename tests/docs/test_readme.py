"""The README's daemon session runs as written (issue #18 item 12), and the
README points only to files of the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from support.wlanctl import short_tmpdir

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _session() -> list[str]:
    part = README[README.index("## The daemon"):]
    block = re.search(r"\n\n((?:    .*\n)+)", part)
    assert block is not None
    return [line[4:].split("  #")[0].strip() for line in block.group(1).splitlines()]


def test_the_three_line_session_works():
    lines = _session()
    assert len(lines) == 3 and lines[0].startswith("wlanctl serve --socket /tmp/w.sock")
    d = short_tmpdir()
    sock = os.path.join(d, "w.sock")
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, WLANCTL_SOCKET=sock, PATH=f"{bindir}:{os.environ['PATH']}")
    serve = lines[0].replace("/tmp/w.sock", sock).rstrip("& ").split()
    proc = subprocess.Popen([os.path.join(bindir, serve[0]), *serve[1:]], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # an upper bound against hangs
        while not os.path.exists(sock) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        r = subprocess.run(["sh", "-ec", "\n".join(lines[1:])], env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert re.search(r"^lab +02:00:00:00:00:00 +6 ", r.stdout, re.M), r.stdout  # the scan
        assert re.search(r"wlan1 +sta +RUN", r.stdout), r.stdout  # the tree: associated
    finally:
        proc.terminate()
        proc.wait(60)
    assert os.listdir(d) == []  # the daemon took its files with it
    shutil.rmtree(d, ignore_errors=True)


def test_readme_points_inside_the_repository():
    assert "../" not in README
    for path in re.findall(r"`((?:docs|examples|tests)/[\w./-]+)`", README):
        assert (ROOT / path).exists(), path
