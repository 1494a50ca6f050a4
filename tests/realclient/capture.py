"""Re-capture the real-client fixtures:
`.venv/bin/python tests/realclient/capture.py OUTDIR [NAME...]`.

Runs each scenario (all by default) through the harness and writes `OUTDIR/<name>.har`, tidied
for keeping: only the page's and the Edge host's entries (Chromium's own background calls are
dropped), and alloy.js's body replaced by a note, because the SDK is installed by `npm ci` and
never stored in the repository. The fixtures in tests/data/alloy/ were made with this.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # run as a script: the harness imports the tests' support modules
    sys.path.insert(0, str(TESTS))

from realclient.harness import SCENARIOS, edge_entries, missing, run_scenario  # noqa: E402
from realclient.pages import EDGE_HOST, PAGE_HOST  # noqa: E402

ALLOY_NOTE = "alloy.js (npm @adobe/alloy) omitted: the SDK is installed by npm ci, never stored"


def tidy_har(src: Path, dst: Path) -> None:
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"scenarios (default: all): {', '.join(SCENARIOS)}")
    args = parser.parse_args(argv)
    if unknown := [n for n in args.names if n not in SCENARIOS]:
        parser.error(f"unknown scenario {', '.join(unknown)}")
    if (why := missing()) is not None:
        print(f"capture: {why}", file=sys.stderr)
        return 2
    args.outdir.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(SCENARIOS):
        with tempfile.TemporaryDirectory() as tmp:
            capture = run_scenario(SCENARIOS[name], Path(tmp))
            tidy_har(capture.har, args.outdir / f"{name}.har")
            rejected = [c for c in capture.result["commands"] if c["status"] != "ok"]
            print(f"{name} ({SCENARIOS[name].summary}): {len(edge_entries(capture.har))} Edge calls,"
                  f" {len(rejected)} commands not ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
