"""Run every benchmark in this folder (`make bench`); each prints its figures."""

import pathlib
import subprocess
import sys

here = pathlib.Path(__file__).parent
failed = 0
for bench in sorted(here.glob("bench_*.py")):
    print(f"== {bench.name}", flush=True)
    failed |= subprocess.call([sys.executable, str(bench), *sys.argv[1:]])
sys.exit(failed)
