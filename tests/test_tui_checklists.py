"""The dashboard's checklist panel (SPEC §13), driven through Pilot: it ticks as the selected
session's calls arrive, names what it still waits for, and forgets everything on a reset."""

from __future__ import annotations

import json
import urllib.request

import pytest
from support_pilot import lines, pilot_test, select_session

from playhead.checklists import ChecklistWatch, load_checklists
from playhead.cli import UsageError, build_parser
from playhead.core.tracker import Tracker
from playhead.proxy.process import ProxyProcess
from playhead.simulate import Player
from playhead.simulate.certification import CERTIFICATION
from playhead.simulate.offline import scenario_as_calls
from playhead.tui.app import Dashboard
from playhead.tui.launch import view_app
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
    app = Dashboard(tracker, Origin("forward", listen="127.0.0.1:8080"), watch=watch, panel=None)  # all that apply
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
        assert "… vod-preroll-ads 3/10  The ad completes: adComplete: waiting" in text
        tracker.feed_all(calls[3:])
        await pilot.pause(0.3)
        text = panel(app)
        assert "✓ vod-preroll-ads 10/10" in text and "✗ vod-no-ads" in text
        tracker.reset()  # the automation API's POST /v1/reset
        await pilot.pause(0.3)
        assert "select a session: its checklists tick here" in panel(app)
        assert app.sessions_table.row_count == 0


@pytest.mark.slow
@pilot_test
async def test_the_api_answers_under_the_dashboard_and_its_reset_empties_the_panes(tmp_path):
    runner = ProxyProcess(port=0, sink=True, api_port=0, options={"confdir": str(tmp_path)})
    runner.start()
    try:
        host, port = runner.listen_address
        app = Dashboard(runner.tracker, Origin("sink", listen=f"{host}:{port}"), watch=runner.watch,
                        panel=None)
        api = "http://%s:%d/v1" % runner.api_address
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        async with app.run_test(size=SIZE) as pilot:
            good, _ = CERTIFICATION["pause"]
            Player("http://example.hb-api.omtrdc.net", proxy=f"{host}:{port}", speed=0).play(good)
            await pilot.pause(0.5)
            (session,) = app.sessions_table.sessions
            await select_session(pilot, app, session.sid)
            await pilot.pause(0.3)
            shown = app.checklist_panel.render().plain.splitlines()  # worst first: pause is further down
            assert "✓ pause 7/7" in shown and shown[0].startswith("✗ ")
            with opener.open(f"{api}/sessions", timeout=10) as answer:
                assert [s["id"] for s in json.load(answer)["sessions"]] == [session.sid]
            with opener.open(urllib.request.Request(f"{api}/reset", data=b"", method="POST"), timeout=10):
                pass
            await pilot.pause(0.5)
            assert app.sessions_table.row_count == 0 and app.timeline.session is None
            assert "select a session: its checklists tick here" in panel(app)
    finally:
        runner.stop()


@pytest.mark.parametrize("options, shown", [
    ({}, ["✓ test1-standard-playback 8/8", "✓ test2-media-interruption 10/10"]),  # Adobe's, by default
    ({"panel": ["pause", "buffering"]},
     ["✗ buffering 4/6  Buffering starts: bufferStart: never seen before the sessi…", "✓ pause 7/7"]),
], ids=["adobes-certification-tests-unless-told-otherwise", "the-checklists-asked-for"])
@pilot_test
async def test_the_panel_shows(options, shown):
    tracker = Tracker()
    app = Dashboard(tracker, Origin("forward", listen="127.0.0.1:8080"), **options)
    tracker.feed_all(scenario_as_calls(CERTIFICATION["pause"][0], sid=SID))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await select_session(pilot, app, SID)
        await pilot.pause(0.3)
        assert app.checklist_panel.render().plain.splitlines() == shown


def test_an_unknown_panel_checklist_is_one_line(tmp_path):
    har = tmp_path / "x.har"
    har.write_text('{"log": {"entries": []}}')
    args = build_parser().parse_args(["view", str(har), "--checklist", "nope"])
    with pytest.raises(UsageError) as caught:
        view_app(args)
    assert str(caught.value) == "unknown checklist 'nope'; `playhead checklists` lists them"
