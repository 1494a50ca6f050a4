"""The benches run in the suite on tiny inputs: they still run and print their goal
lines. Smoke only: nothing here is timed, and the numbers they print are not checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "bench"))

from goals import parse  # noqa: E402

pytestmark = pytest.mark.slow
BENCH = Path(__file__).parent / "bench"


@pytest.mark.parametrize("script, args, goals", [
    ("bench_bomb.py", ["--inflated-mib", "16"], 2),
    ("bench_soak.py", ["--sessions", "300", "--every", "100"], 1),
    ("bench_memory.py", ["--calls", "3000", "--cap", "300", "--repeats", "1"], 4),
    ("bench_proxy.py", ["--count", "40", "--rounds", "1"], 4),
    ("bench_dashboard.py", ["--count", "40", "--rounds", "1", "--seconds", "2", "--live-rounds", "1",
                            "--fluid-calls", "1000", "--demo-plays", "1"], 8),
    ("bench_check.py", ["--calls", "300", "--runs", "1", "--check-runs", "1"], 5),
])
def test_bench_runs_on_tiny_inputs_and_prints_its_goal_lines(tmp_path, script, args, goals):
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                          timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [cells for line in done.stdout.splitlines() if (cells := parse(line))]
    assert len(rows) == goals and all(len(cells) == 4 for cells in rows), done.stdout
