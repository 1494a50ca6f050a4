"""Regenerates docs/report.png, the README's picture of the HTML report: the example report of
support_report.py laid out by headless Chromium 1400 px wide. Run with `make report-screenshot`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from playhead.io.reports import write_report  # noqa: E402
from support_report import chromium, example_tracker, screenshot  # noqa: E402

PNG = Path(__file__).resolve().parent.parent / "docs" / "report.png"


def main() -> int:
    if chromium() is None:
        print("report-screenshot needs Chromium (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="playhead-report-") as tmp:
        report = Path(tmp) / "report.html"
        write_report(example_tracker(), report)
        PNG.parent.mkdir(exist_ok=True)
        screenshot(report, PNG, 1400, 1700, Path(tmp))
    print(PNG)
    return 0


if __name__ == "__main__":
    sys.exit(main())
