"""The HTML report as a QA lead sees it: laid out by a real browser (Debian's headless Chromium) at
1400 px and at 800 px, the report of a real engine run with 64-hex sids, Media Collection and
Media Edge sessions, many findings and a long hostile media name. Nothing may be wider than the
page, and every session in the summary links to its section.

A machine without Chromium skips and says why; `.ci/run` sets PLAYHEAD_REQUIRE_REALCLIENT=1, so
CI fails instead of skipping. Chromium runs in a process group of its own, killed whole after
each run (realclient/harness.run_browser).
"""

from __future__ import annotations

import os

import pytest

from playhead.io.reports import write_report
from playhead.io.reports.summary import groups, media_name
from playhead.io.reports.safe import literal
from support_report import HOSTILE_NAME, chromium, example_tracker, measure


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if chromium() is None:
        why = "Chromium is not installed (bash .ci/run installs Debian's chromium)"
        if os.environ.get("PLAYHEAD_REQUIRE_REALCLIENT") == "1":
            pytest.fail(f"real-browser tests required here, but: {why}")
        pytest.skip(why)
    tracker = example_tracker()
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(tracker, path)
    return tracker, path


@pytest.mark.parametrize("width", [1400, 800])
def test_nothing_is_wider_than_the_page(report, width, tmp_path):
    tracker, path = report
    seen = measure(path, width, tmp_path)
    assert seen["viewport"] == width
    assert seen["page"] <= seen["viewport"]  # no horizontal scrollbar on the page
    assert len(seen["tables"]) >= 2
    for table in seen["tables"]:
        assert table["box"]["right"] <= seen["viewport"]  # no table wider than the page ...
        assert table["scroll"] <= table["client"]  # ... nor hiding columns inside itself
    assert seen["wider"] == []  # nor anything else outside a <pre> (which scrolls in itself)


@pytest.mark.parametrize("width", [1400, 800])
def test_every_session_in_the_summary_links_to_its_section(report, width, tmp_path):
    tracker, path = report
    seen = measure(path, width, tmp_path)
    named = [media_name(g) for g in groups(tracker) if g.session is not None]
    assert len(named) == len(tracker.sessions) == 8
    links = seen["links"]
    assert [link["href"] for link in links] == [f"#{s}" for s in seen["sections"]]
    assert all(link["target"] == "SECTION.session" for link in links)
    headings = [link["heading"] for link in links[:len(named)]]
    assert [h.split(". ", 1)[1].startswith(name) for h, name in zip(headings, named, strict=True)] == [True] * 8
    # the hostile name is on screen as the text it was, escapes visible: nothing ran or styled it
    assert any(h.split(". ", 1)[1].startswith(literal(HOSTILE_NAME)) for h in headings)
