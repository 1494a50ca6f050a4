"""Re-capture the real-client fixtures: `.venv/bin/python tests/realclient/capture.py OUTDIR [NAME...]`.

Runs each scenario (all by default) through the harness and writes `OUTDIR/<name>.har`, tidied
for keeping: only the page's and the Edge host's entries (Chromium's own background calls are
dropped), and alloy.js's body replaced by a note, because the SDK is installed by `npm ci` and
never stored in the repository. The fixtures in tests/data/alloy/ were made with this.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

TESTS = Path(__file__).resolve().parents[1]
ALLOY_NOTE = "alloy.js (npm @adobe/alloy) omitted: the SDK is installed by npm ci, never stored"


def tidy_har(src: Path, dst: Path) -> None:
    from realclient.pages import EDGE_HOST, PAGE_HOST

    har = json.loads(src.read_text())
    kept = []
    for entry in har["log"]["entries"]:
        url = entry["request"]["url"]
        if urlsplit(url).hostname not in (PAGE_HOST, EDGE_HOST):
            continue
        if url.split("?")[0].endswith("/alloy.js"):
            entry["response"]["content"].pop("text", None)
            entry["response"]["content"].pop("encoding", None)
            entry["response"]["content"]["comment"] = ALLOY_NOTE
        kept.append(entry)
    har["log"]["entries"] = kept
    dst.write_text(json.dumps(har, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    from realclient.harness import SCENARIOS, edge_entries, missing, run_scenario

    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if (why := missing()) is not None:
        print(f"capture: {why}", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name in argv[1:] or list(SCENARIOS):
        with tempfile.TemporaryDirectory() as tmp:
            capture = run_scenario(SCENARIOS[name], Path(tmp), edge="standin")
            tidy_har(capture.har, out / f"{name}.har")
            calls = [e["request"]["url"].split("?")[0].rsplit("/", 1)[-1] for e in edge_entries(capture.har)]
            rejected = [c for c in capture.result["commands"] if c["status"] != "ok"]
            print(f"{name}: {len(calls)} Edge calls, {len(rejected)} commands not ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(TESTS))
    sys.exit(main(sys.argv[1:]))
