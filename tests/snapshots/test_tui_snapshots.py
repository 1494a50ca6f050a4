"""Snapshots of the dashboard (pytest-textual-snapshot): the main screen, the timeline with its
lanes, and the call detail. Fixed ts, sids, clock and terminal size make them the same every run;
`pytest --snapshot-update` re-records them after an intended change (look at the report first)."""

from __future__ import annotations

import json

from playhead.core.tracker import Tracker
from playhead.simulate import SCENARIOS
from playhead.simulate.offline import scenario_as_calls
from playhead.tui.app import Dashboard
from playhead.tui.widgets.status import Origin

START = 1764115200000
SIZE = (160, 48)
NAMES = list(SCENARIOS)


def sid_of(name: str) -> str:
    return f"{NAMES.index(name):02d}" * 32


def app_over(calls) -> Dashboard:
    tracker = Tracker()
    tracker.feed_all(calls)
    tracker.finish()
    return Dashboard(tracker, Origin("view", files=("scenarios.har",)), clock=lambda: START / 1000 + 300)


def every_scenario() -> list:
    calls = []
    for name in NAMES:
        calls += scenario_as_calls(SCENARIOS[name], sid=sid_of(name), start_ts=START)
    return calls


def test_main_screen(snap_compare):
    assert snap_compare(app_over(every_scenario()), terminal_size=SIZE)


def test_timeline_with_lanes(snap_compare):
    """The session whose mid-roll break is never closed: the ad-break lane runs to the end."""
    app = app_over(every_scenario())

    async def pick(pilot) -> None:
        await pilot.pause()
        index = next(i for i, s in enumerate(app.sessions_table.sessions)
                     if s.sid == sid_of("missing-ad-break-complete"))
        await pilot.press(*["down"] * index, "enter")
        app.timeline.go_to_call(next(e.index for e in app.timeline.session.entries
                                     if e.event_type == "adStart" and e.index > 10))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=pick)


def test_call_detail(snap_compare):
    """An adStart whose podPosition is a string: the schema error is marked on its line."""
    calls = scenario_as_calls(SCENARIOS["vod-clean"], sid=sid_of("vod-clean"), start_ts=START)
    index = next(i for i, c in enumerate(calls) if b'"adStart"' in c.request_body)
    body = json.loads(calls[index].request_body)
    body["params"]["media.ad.podPosition"] = "1"
    calls[index].request_body = json.dumps(body).encode()
    app = app_over(calls)

    async def open_detail(pilot) -> None:
        await pilot.pause()
        app.jump_to(next(f for f in app.tracker.findings if f.rule == "schema"))
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_detail)
