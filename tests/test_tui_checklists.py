"""The dashboard's checklist panel (SPEC §13), driven through Pilot: it ticks as the selected
session's calls arrive, names what it still waits for, and forgets everything on a reset."""

from __future__ import annotations

from support_pilot import lines, pilot_test, select_session

from playhead.checklists import ChecklistWatch, load_checklists
from playhead.core.tracker import Tracker
from playhead.simulate.certification import CERTIFICATION
from playhead.simulate.offline import scenario_as_calls
from playhead.tui.app import Dashboard
from playhead.tui.widgets.status import Origin

SIZE = (160, 48)
SID = "c" * 64


def panel(app: Dashboard) -> str:
    return "\n".join(lines(app, app.checklist_panel))


@pilot_test
async def test_the_panel_ticks_as_calls_arrive_and_says_what_it_waits_for():
    tracker = Tracker()
    checklists = load_checklists()
    watch = ChecklistWatch(tracker, [checklists["vod-preroll-ads"], checklists["vod-no-ads"]])
    app = Dashboard(tracker, Origin("forward", listen="127.0.0.1:8080"), watch=watch)
    calls = scenario_as_calls(CERTIFICATION["vod-preroll-ads"][0], sid=SID)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "select a session: its checklists tick here" in panel(app)
        tracker.feed_all(calls[:3])  # sessionStart, adBreakStart, adStart: on the proxy's thread, live
        await pilot.pause(0.3)
        await select_session(pilot, app, SID)
        await pilot.pause(0.3)
        text = panel(app)
        assert "✗ vod-no-ads 1/7  No ad break: call 1 was adBreakStart" in text
        assert "… vod-preroll-ads 3/10  The ad completes: adComplete: waiti…" in text
        tracker.feed_all(calls[3:])
        await pilot.pause(0.3)
        text = panel(app)
        assert "✓ vod-preroll-ads 10/10" in text and "✗ vod-no-ads" in text
        tracker.reset()  # the automation API's POST /v1/reset
        await pilot.pause(0.3)
        assert "select a session: its checklists tick here" in panel(app)
        assert app.sessions_table.row_count == 0
