"""Issue 12's dashboard items, driven through Pilot over the simulator's scenarios in a real
Tracker, and checked on what the screen shows."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import Input, Select

from playhead.core.findings import REGISTRY
from playhead.core.metrics import METRIC_LABELS, session_metrics
from playhead.core.tracker import Tracker
from playhead.io.reports.summary import metric_text
from playhead.tui.app import Dashboard
from playhead.tui.widgets.status import Origin
from playhead.tui.screens.detail import CallDetail
from playhead.tui.screens.filter import FilterScreen
from support_pilot import lines, pilot_test, sid_of
from test_tui import SIZE, calls_of, cursor_line, dashboard, finished_tracker, select_session


def feed_rows(app) -> list[str]:
    """The findings feed's rows on screen (its header is the first line; borders cut off)."""
    return [line for line in lines(app, app.findings)[1:] if line.strip()]


def pane_title(app, widget) -> str:
    return str(widget.parent.border_title)


@pilot_test
async def test_selecting_a_session_scopes_the_findings_feed_and_a_shows_all_again():
    tracker = finished_tracker()
    app = dashboard(tracker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        everything = app.findings.row_count
        assert everything == len(tracker.findings)  # before any choice: every session's findings
        assert len({f.session for f in tracker.findings}) > 1

        await select_session(pilot, app, "late-pings")
        sid = sid_of("late-pings")
        mine = [f for f in tracker.findings if f.session == sid]
        assert app.findings.row_count == len(mine) > 0
        assert pane_title(app, app.findings).startswith(f"Findings of {sid[:8]}, newest first")
        rows = feed_rows(app)
        assert len(rows) == len(mine) and all(f.rule in row for f, row in zip(reversed(mine), rows))
        assert "session" not in lines(app, app.findings)[0]  # the title says which session

        await pilot.press("a")
        await pilot.pause()
        assert app.findings.row_count == everything
        assert pane_title(app, app.findings).startswith("Findings, newest first")

        await select_session(pilot, app, "ad-outside-break")  # another choice scopes again
        assert {app.findings.findings[i].session for i in app.findings._matched} == {sid_of("ad-outside-break")}


@pilot_test
async def test_the_message_column_keeps_its_room_at_160_columns():
    """It had about 14 characters: "chapterCompl…" of a one-line sentence."""
    tracker = finished_tracker()
    app = dashboard(tracker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for row, finding in zip(feed_rows(app), reversed(tracker.findings)):
            assert finding.message[:28] in row, row
        await select_session(pilot, app, "mixed-bag")
        mine = [f for f in tracker.findings if f.session == sid_of("mixed-bag")]
        for row, finding in zip(feed_rows(app), reversed(mine)):
            assert finding.message[:38] in row, row


@pilot_test
async def test_the_filter_form_opens_on_its_first_field_and_tab_walks_the_fields_in_order():
    """It opened on its second field, and tab went on to Apply: typed text went nowhere."""
    app = dashboard(finished_tracker())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, FilterScreen)
        fields = [w for w in app.screen.query("#filter-form > *") if w.focusable]
        assert app.focused is fields[0] and isinstance(fields[0], Input)
        await pilot.press(*"ad-out", "tab", *"0404")
        await pilot.press("tab")
        assert isinstance(app.focused, Select)  # the last field, before the buttons
        await pilot.press("shift+tab", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, FilterScreen)
        assert (app.findings.filter.rule, app.findings.filter.session) == ("ad-out", "0404")
        assert [r.split()[1] for r in feed_rows(app)] == ["ad-outside-break"]


@pilot_test
async def test_call_detail_shows_impact_and_fix_and_the_ts_as_a_time_and_p_is_not_previous_call():
    tracker = finished_tracker("ad-outside-break")
    app = dashboard(tracker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        finding = next(f for f in tracker.findings if f.rule == "ad-outside-break")
        app.findings.select(finding)
        app.findings.focus()
        await pilot.press("enter")  # to the call
        await pilot.pause()
        assert app.focused is app.timeline
        await pilot.press("enter")  # its detail
        await pilot.pause()
        assert isinstance(app.screen, CallDetail) and app.screen.entry.index == finding.call
        shown = "\n".join(lines(app))
        rule = REGISTRY[finding.rule]
        assert f"impact {rule.impact[:60]}" in shown and f"fix    {rule.fix[:60]}" in shown
        ts = app.screen.entry.ts
        when = datetime.fromtimestamp(ts / 1000, UTC).isoformat(" ", "milliseconds").replace("+00:00", " UTC")
        assert f"ts {when} ({ts})" in shown

        await pilot.press("p")  # "fold pings" on the main screen: here it is not "previous call"
        await pilot.pause()
        assert app.screen.entry.index == finding.call
        assert "p" not in app.screen._bindings.key_to_bindings  # noqa: SLF001
        await pilot.press("left")
        await pilot.pause()
        assert app.screen.entry.index == finding.call - 1


@pilot_test
async def test_a_double_click_on_a_finding_takes_the_focus_to_its_call():
    tracker = finished_tracker("ad-outside-break", "vod-clean")
    app = dashboard(tracker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.sessions_table.focus()
        await pilot.pause()
        await pilot.click(app.findings, offset=(4, 1), times=2)  # the newest finding's row
        await pilot.pause()
        finding = app.findings.current
        assert app.focused is app.timeline and app.timeline.session.sid == finding.session
        assert cursor_line(app, app.timeline).split()[0] == str(finding.call)


@pilot_test
async def test_sessions_of_the_same_media_are_told_apart_and_types_and_lengths_read_alike():
    """Adobe's documented timelines 1 and 3 both play "VA API Sample Player" / "ClickMe" (as
    Adobe's pages do): their rows read the same but for the sid, which was random in the demo.
    Adobe writes contentType "VOD", the demo's players "vod"; the length 60.3333333 read
    "45.0 / 60.3333" beside "60.0 / 60"."""
    tracker = finished_tracker("adobe-timeline-1", "adobe-timeline-3", "vod-clean")
    app = dashboard(tracker)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = {name: next(r for r in lines(app, app.sessions_table) if sid_of(name)[:8] in r)
                for name in ("adobe-timeline-1", "adobe-timeline-3", "vod-clean")}
        media = tracker.sessions[sid_of("adobe-timeline-1")].media
        assert f"#1/2 {media['id']} {media['name']}" in rows["adobe-timeline-1"]
        assert f"#2/2 {media['id']} {media['name']}" in rows["adobe-timeline-3"]
        assert "#" not in rows["vod-clean"]
        assert {tracker.sessions[sid_of(n)].media["contentType"] for n in rows} == {"VOD", "vod"}
        assert all(" VOD " in row for row in rows.values())
        playheads = [tracker.sessions[sid_of(n)] for n in rows]
        for session in playheads:
            row = rows[next(n for n in rows if sid_of(n) == session.sid)]
            assert f"{session.playhead:.1f} / {session.media['length']:.1f}" in row


async def settled(pilot, ready) -> None:
    """Let the app redraw until `ready()` (a bounded number of frames, not a time to wait)."""
    for _ in range(100):
        await pilot.pause(0.05)
        if ready():
            return


def metrics_box(app) -> str:
    """The metrics box as read: its wrapped lines joined again (its bottom border left out)."""
    rows = [line.strip() for line in lines(app, app.metrics) if not line.strip().startswith("─")]
    return " ".join(rows).replace("\u00a0", " ")


@pilot_test
async def test_the_metrics_box_counts_what_adobe_would_for_the_selected_session_as_calls_arrive():
    tracker = Tracker()
    app = Dashboard(tracker, Origin("sink", listen="127.0.0.1:8080"))
    calls = calls_of("missing-ad-break-complete", "vod-clean")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert metrics_box(app).startswith("select a session")
        half = 3  # sessionStart, adBreakStart, adStart: one ad started so far
        tracker.feed_all(calls[:half])  # as the proxy feeds it: the app redraws when it can
        await settled(pilot, lambda: app.sessions_table.row_count == 1)
        await select_session(pilot, app, "missing-ad-break-complete")
        session = tracker.sessions[sid_of("missing-ad-break-complete")]
        before = session_metrics(session)
        assert f"ad starts {before['adStarts']} ·" in metrics_box(app)
        tracker.feed_all(calls[half:])
        tracker.finish()
        after = session_metrics(session)
        await settled(pilot, lambda: f"ad time {metric_text(after['adTimeSpent'])} s ·" in metrics_box(app))
        assert after["adStarts"] > before["adStarts"]  # the box has something to catch up with
        shown = metrics_box(app)
        for label, key in (("media starts", "mediaStarts"), ("content starts", "contentStarts"),
                           ("ad breaks", "adBreaks"), ("ad starts", "adStarts"), ("errors", "errorEvents")):
            assert f"{label} {after[key]} ·" in shown
        for label, key in (("content time", "contentTimeSpent"), ("ad time", "adTimeSpent")):
            assert f"{label} {metric_text(after[key])} s ·" in shown
        assert [k for k in METRIC_LABELS if k not in after] == []  # every metric has its place
        assert shown.count(" · ") == len(after) - 1
