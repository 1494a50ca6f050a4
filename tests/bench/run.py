"""`make bench`: run every tests/bench/bench_*.py in turn, each printing its own ratio table.

Benchmarks are never part of the test run; each compares playhead with a baseline measured in
the same command on the same machine, so the ratios mean something where absolute numbers don't.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    failed = []
    for script in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"\n== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script), *sys.argv[1:]]).returncode:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
