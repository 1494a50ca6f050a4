"""The dashboard over a tracker with a memory cap (core/retention.py), driven through Textual's
Pilot: the status line says the cap applies, a summarised session's timeline says how many calls
went and where they still are, and calls dropped while a session is on screen neither crash nor
leave stale rows."""

from __future__ import annotations

from playhead.core.config import Config
from playhead.core.tracker import Tracker
from playhead.simulate import SCENARIOS
from playhead.simulate.offline import scenario_as_calls
from playhead.tui.app import Dashboard
from playhead.tui.screens.detail import CallDetail
from playhead.tui.widgets.status import Origin
from support_pilot import NAMES, lines, pilot_test, select_session, sid_of

START = 1764115200000
SIZE = (160, 48)


def calls_of(name: str, hour: int = 0):
    return scenario_as_calls(SCENARIOS[name], sid=sid_of(name), start_ts=START + hour * 3_600_000)


def capped(cap: int) -> Tracker:
    """Every scenario, one after the other, through a tracker that keeps `cap` calls."""
    tracker = Tracker(config=Config(max_calls=cap))
    for hour, name in enumerate(NAMES):
        tracker.feed_all(calls_of(name, hour))
    tracker.finish()
    return tracker


def screen_text(app: Dashboard, widget=None) -> str:
    return "\n".join(lines(app, widget))


def notice(app: Dashboard) -> str:
    """The line above the timeline, as read: it wraps to two in a narrow pane."""
    return " ".join(line.strip() for line in lines(app, app.dropped))


def timeline_indexes(app: Dashboard) -> list[int]:
    """The call index column of the visible timeline rows."""
    rows = screen_text(app, app.timeline).splitlines()[1:]
    return [int(row.split()[0]) for row in rows if row.strip()]


@pilot_test
async def test_a_summarised_session_says_what_was_dropped_and_where_it_still_is():
    tracker = capped(40)
    dropped = tracker.retention.dropped
    app = Dashboard(tracker, Origin("view", files=("long.har",)), clock=lambda: START / 1000)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert f"memory cap: {dropped:,} calls dropped" in screen_text(app, app.status_line)

        vod = tracker.sessions[sid_of("vod-clean")]
        assert vod.calls == 58 and vod.dropped == 57
        await select_session(pilot, app, vod.sid)
        assert notice(app) == "57 earlier calls dropped from memory (cap 40); the capture file keeps every call"
        await pilot.press("p")  # every call in memory, pings too: the newest call alone
        await pilot.pause()
        assert timeline_indexes(app) == [57]
        assert " 58 " in screen_text(app, app.sessions_table)  # the sessions table counts every call

        whole = next(s for s in tracker.sessions.values() if s.dropped == 0)
        await select_session(pilot, app, whole.sid)
        assert not app.dropped.display
        assert "dropped from memory" not in screen_text(app, app.query_one("#timeline-pane"))

        # A finding about a call no longer in memory: the jump says so, and lands on the session.
        finding = next(f for f in tracker.findings if f.session and f.call is not None
                       and f.call < tracker.sessions[f.session].dropped)
        app.jump_to(finding)
        await pilot.pause()
        assert app.timeline.session.sid == finding.session
        assert any(f"call {finding.call} was dropped from memory (cap 40)" in str(n.message)
                   for n in app._notifications)

        # The call detail walks back to the oldest call in memory, then says why it stops.
        app.timeline.focus()
        await pilot.press("home", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CallDetail)
        first = app.screen.entry.index
        await pilot.press("left")
        await pilot.pause()
        assert app.screen.entry.index == first
        assert any(f"call {first - 1} and the calls before it were dropped" in str(n.message)
                   for n in app._notifications)


@pilot_test
async def test_calls_dropped_while_a_session_is_on_screen():
    """Live: the one open session loses its oldest calls while the timeline shows it."""
    tracker = Tracker(config=Config(max_calls=30))
    calls = calls_of("vod-clean")
    tracker.feed_all(calls[:20])
    app = Dashboard(tracker, Origin("sink", listen="127.0.0.1:8080", recording="/tmp/run.jsonl"), follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("p")  # unfolded: one row per call in memory
        await pilot.pause()
        assert app.timeline.entry_index(0) == 0 and not app.dropped.display
        for call in calls[20:]:
            tracker.feed(call)
        await pilot.pause(0.5)
        session = tracker.sessions[sid_of("vod-clean")]
        assert session.dropped > 0
        assert app.timeline.row_count == len(session.entries)
        assert app.timeline.entry_index(0) == session.dropped
        shown = timeline_indexes(app)  # scrolled to the newest: the last rows, contiguous
        assert shown == list(range(session.calls - len(shown), session.calls))
        assert app.timeline.cursor == app.timeline.row_count - 1  # following: the newest call
        assert notice(app) == f"{session.dropped} earlier calls dropped from memory (cap 30); the recording keeps every call"
        await pilot.press("p")  # folded again: rebuilt from the calls in memory only
        await pilot.pause()
        assert all(i >= session.dropped for i in timeline_indexes(app))
        assert "memory cap:" in screen_text(app, app.status_line)


@pilot_test
async def test_without_a_recording_the_dashboard_does_not_promise_one():
    tracker = Tracker(config=Config(max_calls=10))
    tracker.feed_all(calls_of("vod-clean"))
    app = Dashboard(tracker, Origin("forward", listen="127.0.0.1:8080"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert notice(app).endswith("dropped from memory (cap 10); not recorded (--record FILE keeps every call)")
