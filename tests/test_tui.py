"""The dashboard, driven through Textual's Pilot: what a user does, checked on what the screen shows.

The data is real: the simulator's scenarios turned into captured calls and fed to a real Tracker.
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
import time

from textual.widgets import Input

from playhead.core.call import Call
from playhead.core.findings import Severity
from playhead.core.tracker import Tracker
from playhead.simulate import SCENARIOS
from playhead.simulate.offline import scenario_as_calls
from playhead.tui.app import REDRAW_INTERVAL, Dashboard
from playhead.io.reports.lanes import ts_range
from playhead.tui.rows import age
from playhead.tui.widgets import lanes as lanes_module
from playhead.tui.screens.detail import CallDetail
from playhead.tui.screens.filter import FilterScreen
from playhead.tui.screens.help import HelpScreen
from playhead.tui.screens.save import SaveReportScreen
from playhead.tui.widgets.status import Origin
from support_pilot import NAMES, lines, pilot_test, sid_of
from support_pilot import select_session as select_sid

START = 1764115200000  # fixed ts: the same screen every run
SIZE = (160, 48)


def calls_of(*names: str) -> list[Call]:
    calls = []
    for name in names or NAMES:
        calls += scenario_as_calls(SCENARIOS[name], sid=sid_of(name), start_ts=START)
    return calls


def finished_tracker(*names: str) -> Tracker:
    tracker = Tracker()
    tracker.feed_all(calls_of(*names))
    tracker.finish()
    return tracker


def dashboard(tracker: Tracker, **kwargs) -> Dashboard:
    return Dashboard(tracker, Origin("view", files=("scenarios.har",)), clock=lambda: START / 1000 + 300,
                     **kwargs)


def cursor_line(app: Dashboard, rowlist) -> str:
    """The row under a list's cursor, as shown (its header is the first line)."""
    shown = lines(app, rowlist)
    return shown[rowlist.cursor - round(rowlist.scroll_y) + 1]


async def select_session(pilot, app: Dashboard, name: str) -> None:
    await select_sid(pilot, app, sid_of(name))


@pilot_test
async def test_selecting_a_session_shows_its_timeline_and_lanes():
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await select_session(pilot, app, "ad-outside-break")
        assert "04040404" in cursor_line(app, app.sessions_table)
        header, *lane_lines = lines(app, app.lanes)
        assert "04040404" in header and "demo-vod-002" in header and "Harbour Lights, episode 2" in header
        timeline = "\n".join(lines(app, app.timeline))
        assert re.search(r"adStart.*●1", timeline) and not re.search(r"adComplete.*●", timeline)
        lanes = {row.split()[0]: row for row in lane_lines if row.strip()}
        assert "█" in lanes["ad"] and "█" not in lanes["ad-break"]  # an ad with no break around it
        assert "!" in lanes["findings"]


@pilot_test
async def test_enter_on_a_session_moves_to_its_timeline():
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        await select_session(pilot, app, "mixed-bag")
        await pilot.press("enter")
        assert app.focused is app.timeline
        assert app.timeline.session.sid == sid_of("mixed-bag")


def event_cells(app: Dashboard) -> list[str]:
    """The event column of the visible timeline rows."""
    shown = lines(app, app.timeline)
    header = shown[0]
    start, end = header.index("event"), header.index("http")
    return [row[start:end].strip() for row in shown[1:] if row.strip()]


@pilot_test
async def test_pings_fold_and_unfold():
    app = dashboard(finished_tracker("vod-clean"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        folded = event_cells(app)
        assert "ping" not in folded
        assert any(re.search(r"\+\d+ pings?$", cell) for cell in folded)
        assert "pings folded" in lines(app, app.query_one("#timeline-pane"))[0]

        await pilot.press("p")
        await pilot.pause()
        unfolded = event_cells(app)
        assert "ping" in unfolded
        assert not any("pings" in cell for cell in unfolded)
        session = app.timeline.session
        assert app.timeline.row_count == session.calls

        await pilot.press("p")
        await pilot.pause()
        assert "ping" not in event_cells(app)
        assert app.timeline.row_count < session.calls


@pilot_test
async def test_a_ping_with_a_finding_is_never_folded():
    app = dashboard(finished_tracker("event-after-end"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = "\n".join(lines(app, app.timeline))
        assert re.search(r"\bping\b.*●1", rows)  # the pings after sessionEnd are the defect


@pilot_test
async def test_filter_findings_by_rule_and_severity():
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        assert isinstance(app.screen, FilterScreen)
        await pilot.press("a", "d", "minus")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, FilterScreen)
        feed = lines(app, app.findings)[1:1 + app.findings.row_count]
        assert feed and all("ad-" in row for row in feed)
        assert "rule ~ ad-" in lines(app, app.query_one("#findings-pane"))[0]

        await pilot.press("e")  # errors only, on top of the rule filter
        await pilot.pause()
        feed = lines(app, app.findings)[1:1 + app.findings.row_count]
        assert feed and all(row.split()[0] == "ERR" and "ad-" in row for row in feed)
        expected = [f for f in app.tracker.findings if f.severity is Severity.ERROR and "ad-" in f.rule]
        assert app.findings.row_count == len(expected)

        await pilot.press("e")
        await pilot.pause()
        assert any(row.split()[0] == "WARN" for row in lines(app, app.findings)[1:1 + app.findings.row_count])


@pilot_test
async def test_filter_by_session_matches_media_id():
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        app.screen.query_one("#session", Input).value = "demo-vod-007"
        await pilot.press("enter")
        await pilot.pause()
        rows = lines(app, app.findings)[1:1 + app.findings.row_count]
        assert rows and all(sid_of("mixed-bag")[:8] in row for row in rows)


@pilot_test
async def test_escape_leaves_the_filter_as_it_was():
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        before = app.findings.row_count
        await pilot.press("slash", "z", "z", "escape")
        await pilot.pause()
        assert app.findings.row_count == before and not app.findings.filter.active


@pilot_test
async def test_enter_on_a_finding_jumps_to_its_call():
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        app.screen.query_one("#rule", Input).value = "ad-outside-break"
        await pilot.press("enter")
        await pilot.pause()
        app.findings.focus()
        await pilot.press("home")  # the one finding: the adStart of call 3
        hint = "\n".join(lines(app, app.query_one("#hint")))
        assert "ad-outside-break" in hint and "fix" in hint
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.timeline
        assert app.timeline.session.sid == sid_of("ad-outside-break")
        assert "04040404" in cursor_line(app, app.sessions_table)
        row = cursor_line(app, app.timeline)
        assert row.split()[0] == "3" and "adStart" in row and "●1" in row


@pilot_test
async def test_enter_on_a_call_opens_its_detail():
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        await select_session(pilot, app, "mixed-bag")
        await pilot.press("enter")  # to the timeline
        index = next(e.index for e in app.timeline.session.entries if e.event_type == "resume")
        app.timeline.go_to_call(index)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallDetail)
        shown = "\n".join(lines(app))
        assert f"POST https://playhead-demo.hb-api.omtrdc.net/api/v1/sessions/{sid_of('mixed-bag')}/events" in shown
        assert '"eventType": "resume"' in shown
        assert "unknown-event-type" in shown and "did you mean 'play'" in shown
        assert "── response" in shown and "204" in shown

        await pilot.press("right")  # the next call
        await pilot.pause()
        assert f"call {index + 1}" in "\n".join(lines(app))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CallDetail)


@pilot_test
async def test_call_detail_marks_the_schema_error_path():
    calls = calls_of("vod-clean")
    # The pre-roll's adStart with podPosition sent as a string: a schema error at that path.
    index = next(i for i, c in enumerate(calls) if b'"adStart"' in c.request_body)
    body = json.loads(calls[index].request_body)
    body["params"]["media.ad.podPosition"] = "1"
    calls[index].request_body = json.dumps(body).encode()
    tracker = Tracker()
    tracker.feed_all(calls)
    tracker.finish()
    finding = next(f for f in tracker.findings if f.rule == "schema")
    assert finding.path == "$.params['media.ad.podPosition']"

    app = dashboard(tracker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.jump_to(finding)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallDetail)
        marked = [line for line in lines(app) if '"media.ad.podPosition": "1"' in line]
        assert marked and "◀" in marked[0]
        assert not any("◀" in line for line in lines(app) if '"media.ad.id"' in line)


@pilot_test
async def test_a_media_edge_session_is_listed_via_edge_and_its_detail_marks_the_edge_path():
    from playhead.simulate import EDGE_SCENARIOS

    calls = scenario_as_calls(EDGE_SCENARIOS["edge-vod-clean"], "ed" * 32, 1_764_115_200_000)
    index = next(i for i, c in enumerate(calls) if b'"media.adStart"' in c.request_body)
    body = json.loads(calls[index].request_body)
    body["events"][0]["xdm"]["mediaCollection"]["advertisingDetails"]["podPosition"] = "1"
    calls[index].request_body = json.dumps(body).encode()
    tracker = Tracker()
    tracker.feed_all(calls)
    tracker.finish()
    finding = next(f for f in tracker.findings if f.rule == "schema")
    assert finding.path == "$.events[0].xdm.mediaCollection.advertisingDetails.podPosition"

    app = dashboard(tracker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = next(line for line in lines(app) if "edededed" in line)
        assert re.search(r"edededed\s+Edge\s+demo-vod-001", row), row
        app.jump_to(finding)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CallDetail)
        marked = [line for line in lines(app) if '"podPosition": "1"' in line]
        assert marked and "◀" in marked[0]
        assert not any("◀" in line for line in lines(app) if '"playerName"' in line)


@pilot_test
async def test_save_report_writes_the_file(tmp_path):
    tracker = finished_tracker()
    app = dashboard(tracker)
    target = tmp_path / "report.json"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, SaveReportScreen)
        field = app.screen.query_one("#path", Input)
        assert field.value.endswith(".html")
        field.value = str(target)
        await pilot.pause()
        assert "format: json" in "\n".join(lines(app))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    report = json.loads(target.read_text())
    assert report["summary"]["sessions"] == len(tracker.sessions)
    assert report["summary"]["error"] == sum(1 for f in tracker.findings if f.severity is Severity.ERROR)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


@pilot_test
async def test_save_report_to_an_unwritable_place_says_so_naming_the_users_path(tmp_path):
    """Issue 12: the message named the report's temporary file (and the path twice)."""
    app = dashboard(finished_tracker("vod-clean"))
    unwritable = {  # refused before writing; refused by the OS when the temporary file is made
        tmp_path / "missing-dir" / "r.md": f"folder {tmp_path / 'missing-dir'} does not exist",
        "/proc/playhead-report.md": "cannot write (No such file or directory)",
    }
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for path, why in unwritable.items():
            await pilot.press("s")
            app.screen.query_one("#path", Input).value = str(path)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            said = str(list(app._notifications)[-1].message)
            assert said == f"could not save the report: {path}: {why}"
        assert app.is_running


@pilot_test
async def test_help_screen_and_back():
    app = dashboard(finished_tracker("vod-clean"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        for _ in range(40):  # the Markdown widget renders asynchronously
            await pilot.pause(0.05)
            shown = "\n".join(lines(app))
            if "Keys" in shown:
                break
        assert "Panes" in shown and "Keys" in shown and "move in a list" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pilot_test
async def test_command_palette_runs_dashboard_commands():
    app = dashboard(finished_tracker("vod-clean"))
    async with app.run_test(size=SIZE) as pilot:
        assert app.timeline.fold
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"fold")
        await pilot.pause(0.5)
        assert "Fold pings" in "\n".join(lines(app))
        await pilot.press("enter")
        await pilot.pause()
        assert not app.timeline.fold
        assert "ping" in event_cells(app)


@pilot_test
async def test_clear_hides_what_is_shown_until_new_calls_come():
    tracker = finished_tracker("vod-clean", "late-pings")
    app = dashboard(tracker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.sessions_table.row_count == 0 and app.findings.row_count == 0
        assert app.tracker.findings  # the tracker (and so any report) keeps everything
        # The status line counts the run, as a report would: it read "230 calls, 0 sessions".
        status = lines(app, app.status_line)[0]
        assert f"{tracker.calls} calls, 2 sessions (2 cleared from view)" in status
        later = scenario_as_calls(SCENARIOS["vod-clean"], sid=sid_of("vod-clean"), start_ts=START)[5]
        later.request_body = later.request_body.replace(b'"ping"', b'"pauseStart"')
        tracker.feed(later)
        await pilot.pause(0.5)
        shown = "\n".join(lines(app, app.sessions_table))
        assert sid_of("vod-clean")[:8] in shown and sid_of("late-pings")[:8] not in shown
        assert f"{tracker.calls} calls, 2 sessions (1 cleared from view)" in lines(app, app.status_line)[0]


@pilot_test
async def test_quit_ends_the_app():
    app = dashboard(finished_tracker("vod-clean"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


class CountingDashboard(Dashboard):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.redraws = 0

    def redraw(self) -> None:
        self.redraws += 1
        super().redraw()


@pilot_test
async def test_calls_fed_from_another_thread_show_up_in_batched_redraws():
    tracker = Tracker()
    app = CountingDashboard(tracker, Origin("sink", listen="127.0.0.1:0"))
    calls = calls_of()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = app.redraws
        began = time.monotonic()

        def feed() -> None:
            for i, call in enumerate(calls):
                tracker.feed(call)
                if i % 20 == 0:
                    time.sleep(0.01)

        feeder = threading.Thread(target=feed)
        feeder.start()
        while feeder.is_alive():
            await pilot.pause(0.05)
        feeder.join()
        elapsed = time.monotonic() - began
        for _ in range(40):  # the last redraw comes at most one interval after the last call
            await pilot.pause(0.05)
            if app.sessions_table.row_count == len(tracker.sessions) and app.redraws > before:
                break
        redraws = app.redraws - before
        assert app.sessions_table.row_count == len(tracker.sessions) >= 10
        assert app.findings.row_count == len(tracker.findings)
        # One redraw per interval at most, however many calls arrived (len(calls) of them).
        assert 1 <= redraws <= elapsed / REDRAW_INTERVAL + 3 < len(calls)


@pilot_test
async def test_follow_off_keeps_the_cursor_where_it_is():
    tracker = Tracker()
    calls = calls_of("vod-clean")
    tracker.feed_all(calls[:20])
    app = dashboard(tracker, follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        last = app.timeline.row_count - 1
        assert app.timeline.cursor == last  # following: on the newest call
        await pilot.press("f")
        assert not app.timeline.follow
        app.timeline.focus()
        await pilot.press("home")
        tracker.feed_all(calls[20:40])
        await pilot.pause(0.5)
        assert app.timeline.cursor == 0
        await pilot.press("f")  # back on: straight to the newest call
        await pilot.pause(0.3)
        assert app.timeline.follow and app.timeline.cursor == app.timeline.row_count - 1


def rows_read_as_their_sessions(app: Dashboard, now: float) -> bool:
    """Every session row on screen shows its session as it is now (calls, last-call age)."""
    shown = lines(app, app.sessions_table)[1:]
    table = app.sessions_table
    top = round(table.scroll_y)
    for line, session in zip(shown, table.sessions[top:]):
        calls = re.search(rf"\s{session.calls}\s", line)
        if session.sid[:8] not in line or calls is None or not line.rstrip().endswith(age(now - session.last_seen)):
            return False
    return True


@pilot_test
async def test_rows_on_screen_follow_their_sessions_as_calls_arrive():
    """A redraw repaints only the rows that changed: through growth, clock ticks and a clear, every
    row on screen must still read as its session does now."""
    tracker = Tracker()
    calls = calls_of()
    now = [START / 1000 + 30]
    app = Dashboard(tracker, Origin("sink", listen="127.0.0.1:0"), clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        for chunk in range(0, len(calls), 37):
            tracker.feed_all(calls[chunk:chunk + 37])
            for _ in range(20):
                await pilot.pause(REDRAW_INTERVAL)
                if rows_read_as_their_sessions(app, now[0]):
                    break
            assert rows_read_as_their_sessions(app, now[0]), chunk
        for step in (50, 3600):  # the clock moves: ages change row by row
            now[0] += step
            app._tick()
            await pilot.pause()
            assert rows_read_as_their_sessions(app, now[0])
        await pilot.press("c")
        await pilot.pause()
        assert not "".join(lines(app, app.sessions_table)[1:]).strip()
        tracker.feed(calls[-1])  # the session of the last call comes back, alone
        for _ in range(20):
            await pilot.pause(REDRAW_INTERVAL)
            if app.sessions_table.row_count == 1:
                break
        await pilot.pause()
        assert app.sessions_table.row_count == 1 and rows_read_as_their_sessions(app, now[0])
        assert not "".join(lines(app, app.sessions_table)[2:]).strip()


@pilot_test
async def test_a_busy_sessions_lanes_catch_up_with_its_calls(monkeypatch):
    """The lane picture of a session that keeps getting calls is computed again only now and
    then (here: held back for a second or so after each picture); calls that come meanwhile
    still reach the picture once its turn comes, with nothing else happening on screen."""
    monkeypatch.setattr(lanes_module, "LANES_SHARE", 0.001)
    tracker = Tracker()
    calls = calls_of("vod-clean")
    tracker.feed_all(calls[:10])
    app = Dashboard(tracker, Origin("sink", listen="127.0.0.1:0"))

    def axis_shows_whole_session() -> bool:
        first, last = ts_range(tracker.sessions[sid_of("vod-clean")])
        axis = [line.rstrip() for line in lines(app, app.lanes) if line.rstrip().endswith(" s")]
        return axis[-1].endswith(f"{(last - first) / 1000:.1f} s")

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert axis_shows_whole_session()
        tracker.feed_all(calls[10:])  # within the time the first picture holds the next back
        for _ in range(100):
            if axis_shows_whole_session():
                break
            await pilot.pause(0.05)
        assert axis_shows_whole_session()


def line_style(app: Dashboard, rowlist, row: int):
    """The style a list's line is drawn in, read off the screen (row 0: its header), away from
    the text so the cell is the line's own style."""
    strip = app.screen._compositor.render_strips()[rowlist.content_region.y + row]
    x = rowlist.content_region.right - 3
    return next(style for text, style, _ in strip.crop(x, x + 1)._segments if text)


@pilot_test
async def test_tab_moves_the_focus_look_from_one_list_to_the_next():
    """Tab repaints only the header and the cursor row of the two lists (not the lists whole):
    both lines of each must still be drawn anew, the focused list's header in the accent and its
    cursor row brighter, the list left behind plain again."""
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lists = [app.sessions_table, app.timeline, app.findings]
        assert app.focused is app.sessions_table

        def look(rowlist) -> tuple:
            return line_style(app, rowlist, 0).color, line_style(app, rowlist, rowlist.cursor + 1).bgcolor

        plain = {id(r): look(r) for r in lists if r is not app.focused}
        focused_look = look(app.sessions_table)
        for _ in range(4):  # sessions -> timeline -> findings -> sessions -> timeline
            before = app.focused
            await pilot.press("tab")
            await pilot.pause()
            now = app.focused
            assert now is not before and now in lists
            accent = now.get_component_rich_style("rowlist--header-focused").color
            assert line_style(app, now, 0).color == accent
            assert look(now)[1] == focused_look[1]
            assert line_style(app, before, 0).color != accent
            assert look(before) == plain.get(id(before), look(before))
            assert look(before)[1] != focused_look[1]
