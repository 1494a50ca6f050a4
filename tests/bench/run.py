"""`make bench`: run every tests/bench/bench_*.py in turn, then one table of the SPEC §9 goals.

Benchmarks are never part of the test run; each compares playhead with a baseline measured in
the same command on the same machine, so the ratios mean something where absolute numbers don't.
Each bench prints its own details and one `goals.goal` line per goal; this script gathers those
lines into a Markdown table headed by the machine, ready for the README's "Performance" section.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

from goals import parse


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import mitmproxy.version  # noqa: PLC0415 - only for the heading

    return (f"{model or platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"mitmproxy {mitmproxy.version.VERSION}")


def main() -> int:
    failed, rows = [], []
    for script in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"\n== {script.name}", flush=True)
        proc = subprocess.Popen([sys.executable, str(script), *sys.argv[1:]],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            cells = parse(line)
            if cells:
                rows.append(cells)
        if proc.wait():
            failed.append(script.name)
    print(f"\n== SPEC §9 goals, measured on: {machine()}\n")
    print("| measure | result | goal | |")
    print("|---|---|---|---|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
