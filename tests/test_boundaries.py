"""The architecture's boundaries, held by checks rather than by hope (SPEC §2)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_core_source_imports_neither_mitmproxy_nor_textual():
    offenders = {f: n & {"mitmproxy", "textual", "rich"} for f, n in imported_modules(ROOT / "addon" / "core").items()}
    assert {f: n for f, n in offenders.items() if n} == {}


def test_addon_never_imports_the_dashboard_toolkit():
    offenders = {f: n & {"textual"} for f, n in imported_modules(ROOT / "addon").items()}
    assert {f: n for f, n in offenders.items() if n} == {}


def test_running_the_engine_loads_neither_mitmproxy_nor_textual():
    code = (
        "import sys, json\n"
        "from playhead.core.engine import check_calls\n"
        "from playhead.core.call import Call\n"
        "body = json.dumps({'eventType': 'ping', 'playerTime': {'playhead': 1, 'ts': 1764115200000}}).encode()\n"
        "check_calls([Call('POST', 'https://h/api/v1/sessions/abc/events', body, 204)])\n"
        "from playhead.io.reports import render\n"
        "import playhead.io.capture\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('mitmproxy', 'textual'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_observes_the_tracker_not_mitmproxy_flows():
    tui = ROOT / "tui"
    offenders = {f: n & {"mitmproxy"} for f, n in imported_modules(tui).items()}
    assert {f: n for f, n in offenders.items() if n} == {}
    for path in tui.rglob("*.py"):
        text = path.read_text()
        assert "flow.request" not in text and "flow.response" not in text, path


def imports_after_check(tmp_path: Path, break_a_body: bool) -> set[str]:
    """The top-level modules a `playhead check` process has loaded after checking a HAR of the
    clean VOD scenario, with one play's playhead a string if `break_a_body` (the real reader,
    engine and report writer, in their own interpreter)."""
    code = (
        "import json, sys\n"
        "from playhead.simulate.offline import scenario_as_calls\n"
        "from playhead.simulate.scenarios import SCENARIOS\n"
        "entries = [{'startedDateTime': '2025-11-26T00:00:00Z', 'request': {'method': 'POST', 'url': c.url,\n"
        "            'postData': {'text': c.request_body.decode()}},\n"
        "            'response': {'status': c.status, 'headers': [{'name': k, 'value': v} for k, v in c.response_headers]}}\n"
        "           for c in scenario_as_calls(SCENARIOS['vod-clean'], start_ts=1764115200000)]\n"
        "if sys.argv[1] == 'broken':\n"
        "    entries[1]['request']['postData']['text'] = json.dumps(\n"
        "        {'eventType': 'play', 'playerTime': {'playhead': 'x', 'ts': 1764115201000}})\n"
        "har = sys.argv[2]\n"
        "open(har, 'w').write(json.dumps({'log': {'entries': entries}}))\n"
        "from playhead.cli import main\n"
        "code = main(['check', har, '--format', 'json', '-o', har + '.json'])\n"
        "print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules})]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code, "broken" if break_a_body else "clean",
                             str(tmp_path / "c.har")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    code, modules = json.loads(result.stdout.splitlines()[-1])
    assert code in (0, 1)
    return set(modules)


def test_a_clean_capture_is_checked_without_importing_jsonschema(tmp_path):
    # jsonschema takes ~0.1 s to import; it writes the detailed errors of failing bodies only.
    assert "jsonschema" not in imports_after_check(tmp_path, break_a_body=False)
    assert "jsonschema" in imports_after_check(tmp_path, break_a_body=True)
