"""Adobe's Web SDK (alloy, npm `@adobe/alloy`) as a real client (SPEC §15).

Each scenario page runs in Debian's Chromium, headless, through `mitmdump -s pages.py -s
<playhead's script>` (tests/realclient/harness.py); then `playhead check` reads the HAR and the
recording the proxy wrote. Two kinds of assertions:
- the harness itself (page served, alloy initialised, the exact sequence of Media Edge calls on
  the wire, alloy took the sessionId from the interact answer): these pass today;
- the exact findings playhead reports, written from what the traffic contains (SPEC §5: no
  finding on a correct page, alloy's quirks of §3.2 are not defects; each broken page's defect
  found once: one defect, one finding).
The committed captures in tests/data/alloy are checked too, on machines without Chromium.
A machine without Chromium or node_modules skips the browser tests and says why; `.ci/run`
installs both and sets PLAYHEAD_REQUIRE_REALCLIENT=1, so CI fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from playhead.cli import main
from realclient.harness import SCENARIOS, Capture, edge_entries, missing, run_scenario
from realclient.pages import ALLOY_JS, HERE, page_file

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent / "data" / "alloy"
PAGES = HERE / "pages"

# What each page makes alloy send, in order: eventType after "media.", "xN" for N in a row.
# Pings are alloy's own (10 s in content, 1 s in ads); the counts are exact under virtual time.
SEQUENCES = {
    "vod": "sessionStart bufferStart play ping x2 pauseStart ping play ping x2 bufferStart play ping x2"
           " pauseStart play ping x3 sessionComplete",
    "ads": "sessionStart adBreakStart adStart ping x15 adComplete adStart ping x9 adComplete adBreakComplete"
           " play ping x3 adBreakStart adStart ping x5 adSkip adStart ping x9 adComplete adBreakComplete"
           " play ping x5 sessionComplete",
    "chapters": "sessionStart chapterStart play ping x3 chapterComplete chapterStart ping pauseStart play ping"
                " chapterComplete chapterStart ping x2 chapterComplete sessionComplete",
    "qoe": "sessionStart bufferStart play statesUpdate ping bitrateChange ping error bufferStart play ping"
           " statesUpdate x2 ping sessionComplete",
    "abandon": "sessionStart adBreakStart adStart ping x10 adComplete adBreakComplete play ping x2"
               " adBreakStart adStart ping x5 sessionEnd",
    "legacy": "sessionStart chapterStart play ping bufferStart play ping chapterComplete adBreakStart adStart"
              " ping x14 adComplete adBreakComplete play ping x2 pauseStart play ping x2 sessionComplete sessionEnd",
    "broken-ad-no-break": "sessionStart play ping x2 adStart ping x15 adComplete play ping x30 sessionComplete",
    "broken-after-end": "sessionStart play ping x2 sessionEnd play pauseStart play sessionComplete",
    "broken-never-closed": "sessionStart play ping x2 pauseStart ping x4",
}

# The findings each capture must give: (rule, severity, call index in the session, eventType).
# Correct pages: none. alloy's re-stamped sessionStart (the first /va/ events 20-60 ms earlier)
# is under events-before-start's 1 s threshold and gets no ts-out-of-order (SPEC §5).
EXPECTED = {
    "vod": set(),
    "ads": set(),
    "chapters": set(),
    "qoe": set(),
    "abandon": set(),  # sessionEnd with the mid-roll ad open is abandonment, not a defect
    "legacy": set(),  # the legacy tracker sends "qoeDataDetails": null on every call: alloy's, not a defect
    # the stray ad is one defect: its adComplete and the content's 1 s pings after it (alloy keeps
    # the ad interval, 30 s of it: under ping-rate's 60 s) are not findings of their own
    "broken-ad-no-break": {("ad-outside-break", "error", 4, "adStart")},
    "broken-after-end": {("event-after-end", "error", 5, "play")},  # the 4 calls after sessionEnd, counted
    "broken-never-closed": {("session-not-closed", "warning", 8, "ping")},
}
CLOSED_BY = {"abandon": "sessionEnd", "broken-after-end": "sessionEnd", "broken-never-closed": None}  # else sessionComplete


def expand(sequence: str) -> list[str]:
    out: list[str] = []
    for word in sequence.split():
        if m := re.fullmatch(r"x(\d+)", word):
            out += [out[-1]] * (int(m.group(1)) - 1)
        else:
            out.append(word)
    return out


def xdm(entry: dict) -> dict:
    body = json.loads(entry["request"]["postData"]["text"])
    assert len(body["events"]) == 1  # alloy sends one event per request
    return body["events"][0]["xdm"]


def event_types(har: Path) -> list[str]:
    return [xdm(e)["eventType"].removeprefix("media.") for e in edge_entries(har)]


def check_report(capsys, path: Path) -> dict:
    main(["check", str(path), "--format", "json"])
    return json.loads(capsys.readouterr().out)


def assert_findings(report: dict, name: str, calls: int) -> None:
    assert report["summary"]["sessions"] == 1
    assert report["summary"]["calls"] == calls
    assert report["sessions"][0]["closed_by"] == CLOSED_BY.get(name, "sessionComplete")
    found = {(f["rule"], f["severity"], f["call"], f["eventType"]) for f in report["findings"]}
    assert found == EXPECTED[name]


@pytest.fixture(scope="module")
def browser_runs(tmp_path_factory):
    """One browser run per scenario, shared by the tests that look at it."""
    why = missing()
    if why is not None:
        if os.environ.get("PLAYHEAD_REQUIRE_REALCLIENT") == "1":
            pytest.fail(f"real-client tests required here, but: {why}")
        pytest.skip(why)
    runs: dict[str, Capture] = {}

    def run(name: str) -> Capture:
        if name not in runs:
            runs[name] = run_scenario(SCENARIOS[name], tmp_path_factory.mktemp(name))
        return runs[name]

    return run


def test_every_scenario_has_its_expectations_and_its_fixture():
    assert set(SEQUENCES) == set(EXPECTED) == set(SCENARIOS)
    assert {p.stem for p in FIXTURES.glob("*.har")} == set(SCENARIOS)


def test_a_machine_without_chromium_is_told_why(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    assert missing() == "Chromium is not installed (bash .ci/run installs Debian's chromium)"


def test_the_page_host_serves_plain_names_only():
    assert page_file("/vod.html") == PAGES / "vod.html"
    assert page_file("/alloy.js?v=1") == ALLOY_JS
    assert [page_file(p) for p in ("/../harness.py", "/pages/vod.html", "/nope.html", "/%2e%2e/x.js")] == [None] * 4


# -- the harness ---------------------------------------------------------------------------------


def test_the_page_host_serves_the_page_and_alloy_and_nothing_leaves_the_machine(browser_runs):
    capture = browser_runs("vod")
    entries = json.loads(capture.har.read_text())["log"]["entries"]
    by_url = {e["request"]["url"].split("?")[0]: e["response"] for e in entries}
    assert by_url["https://page.test/vod.html"]["status"] == 200
    assert by_url["https://page.test/player.js"]["status"] == 200
    assert by_url["https://page.test/alloy.js"]["content"]["size"] == ALLOY_JS.stat().st_size
    others = {urlsplit(u).hostname: r["status"] for u, r in by_url.items()
              if urlsplit(u).hostname not in ("page.test", "edge.test")}
    assert set(others.values()) <= {403}  # Chromium's own background calls are refused locally


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_alloy_plays_the_scenario_through_the_proxy(browser_runs, name):
    capture = browser_runs(name)
    commands = capture.result["commands"]
    assert capture.result["done"] and commands
    assert [c for c in commands if c["status"] != "ok"] == []  # alloy accepted every command
    entries = edge_entries(capture.har)
    assert event_types(capture.har) == expand(SEQUENCES[name])

    start, events = entries[0], entries[1:]
    assert urlsplit(start["request"]["url"]).path == "/ee/v1/interact"
    assert start["response"]["status"] == 200
    handles = json.loads(start["response"]["content"]["text"])["handle"]
    issued = next(h for h in handles if h["type"] == "media-analytics:new-session")["payload"][0]["sessionId"]
    assert re.fullmatch(r"[0-9a-f]{64}", issued) and capture.result["sessionIds"] == [issued]
    assert "sessionID" not in xdm(start)["mediaCollection"]

    prefix = "/ee/or2/va/v1/"  # the sink's location hint, which alloy reads from the cluster cookie
    for entry in events:
        url, event = urlsplit(entry["request"]["url"]), xdm(entry)
        assert url.path == prefix + event["eventType"].removeprefix("media.")
        assert event["mediaCollection"]["sessionID"] == issued  # alloy took it from the interact answer
        assert isinstance(event["mediaCollection"]["playhead"], int)
        assert entry["response"]["status"] == 204
    for entry in entries:
        assert set(parse_qs(urlsplit(entry["request"]["url"]).query)) == {"configId", "requestId"}
        headers = {h["name"].lower(): h["value"] for h in entry["request"]["headers"]}
        assert headers["content-type"].startswith("text/plain")  # no CORS preflight
        assert headers["origin"] == "https://page.test"


def test_the_committed_captures_are_what_the_pages_send():
    """The fixtures stay in step with the pages, and keep no copy of the SDK."""
    for name, sequence in SEQUENCES.items():
        har = FIXTURES / f"{name}.har"
        assert event_types(har) == expand(sequence), name
        alloy = [e for e in json.loads(har.read_text())["log"]["entries"]
                 if e["request"]["url"].endswith("/alloy.js")]
        assert alloy and all("text" not in e["response"]["content"] for e in alloy)


# -- what playhead finds ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_check_finds_exactly_the_defects_of_the_live_capture(browser_runs, capsys, name):
    capture = browser_runs(name)
    calls = len(edge_entries(capture.har))
    assert_findings(check_report(capsys, capture.har), name, calls)
    assert_findings(check_report(capsys, capture.recording), name, calls)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_check_finds_exactly_the_defects_of_the_committed_capture(capsys, name):
    har = FIXTURES / f"{name}.har"
    assert_findings(check_report(capsys, har), name, len(edge_entries(har)))
