"""The dashboard app: sessions, the selected session's lanes and timeline, the findings feed.

It observes a Tracker and nothing else (never a mitmproxy flow). The tracker is fed on another
thread (the proxy's, or a loader's): its listener only posts one `TrackerChanged` message and
then stays quiet until the app has redrawn, and the app redraws at most every REDRAW_INTERVAL, so
the cost of the dashboard does not grow with the traffic. Reads of the tracker's sessions and
findings happen under `tracker.lock`.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from dataclasses import replace
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer

from ..checklists import CERTIFICATION_TESTS, ChecklistWatch, load_checklists
from ..core.findings import Finding, Severity
from ..core.model import Session
from ..core.tracker import Tracker, Update
from ..io.reports import write_report
from ..io.reports.safe import literal
from .commands import DashboardCommands
from .messages import (
    CallChosen,
    CallHighlighted,
    FindingChosen,
    FindingHighlighted,
    ProxyLogged,
    SessionChosen,
    SessionHighlighted,
    TrackerChanged,
)
from .screens.detail import CallDetail
from .screens.filter import FilterScreen
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .screens.save import SaveReportScreen
from .widgets.findings import FindingFilter, FindingsFeed
from .widgets.checklists import ChecklistPanel
from .widgets.hint import FindingHint
from .widgets.keybar import KeyBar
from .widgets.lanes import Lanes
from .widgets.metrics import MetricsBox
from .widgets.sessions import SessionsTable
from .widgets.dropped import DroppedNotice, dropped_text
from .rows import short_sid
from .widgets.status import Counts, Origin, StatusLine
from .widgets.timeline import Timeline

# Seconds between redraws at most, whatever the traffic: a call waits at most this long for its
# redraw, which keeps "on screen within 250 ms" with room for the frame under load.
REDRAW_INTERVAL = 0.1
# Seconds a redraw for traffic waits after a key press: the key's frame then carries the key's
# change alone and is drawn sooner, and the traffic follows in a frame of its own.
KEY_FIRST = 0.05
RATE_WINDOW = 5.0  # seconds of history behind "calls/s"


def settle_memory() -> None:
    """Take what is alive once the dashboard is up out of the garbage collector's sight.

    A full collection walks every tracked object: with Textual, mitmproxy and the engine loaded
    that is over 100k objects, 60-130 ms here, a pause that lands on a key press or a frame at
    random (and holds up the proxy thread too). Modules, widgets, the proxy and the calls read so
    far live as long as the process, so they are collected once and frozen; later collections
    walk only what came since. Frozen objects are still freed by reference counting."""
    gc.collect()
    gc.freeze()


class Dashboard(App[None]):
    CSS_PATH = Path(__file__).with_name("dashboard.tcss")  # absolute: subclasses live elsewhere
    TITLE = "playhead"
    COMMANDS = App.COMMANDS | {DashboardCommands}

    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("a", "all_sessions", "All sessions"),
        Binding("e", "errors_only", "Errors only"),
        Binding("p", "fold_pings", "Fold pings"),
        Binding("f", "follow", "Follow"),
        Binding("s", "save_report", "Save report"),
        Binding("c", "clear", "Clear"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False),
    ]

    def __init__(
        self,
        tracker: Tracker,
        origin: Origin,
        *,
        clock: Callable[[], float] = time.time,
        loader: Callable[[Dashboard], None] | None = None,
        follow: bool | None = None,
        watch: ChecklistWatch | None = None,
        panel: Sequence[str] | None = CERTIFICATION_TESTS,
    ) -> None:
        """`loader` runs on a worker thread once the app is up (reading captures, playing the
        demo); `clock` gives "now" for last-call ages (a view passes the capture's end);
        `watch`: the checklists evaluated (the proxy's own, live; else the built-in ones), and
        `panel` the names of those the checklist panel shows (default: Adobe's certification
        tests; None: every one that applies)."""
        super().__init__()
        self.tracker = tracker
        self.watch = watch if watch is not None else ChecklistWatch(tracker, list(load_checklists().values()))
        self.panel = None if panel is None else list(panel)
        self.origin = origin
        self.clock = clock
        self.loader = loader
        self.follow = origin.live if follow is None else follow
        self._wake_pending = False
        self._redraw_timer: Timer | None = None
        self._last_redraw = 0.0
        self._last_key = 0.0
        self._rates: deque[tuple[float, int]] = deque()
        self._hidden: dict[str, int] = {}  # cleared sessions: sid -> calls when cleared
        self._totals = {s: 0 for s in Severity}
        self._counted = 0  # tracker findings counted into _totals
        self._generation = tracker.generation  # the tracker's resets (the automation API's) seen
        self._pane_titles: dict[str | None, Text] = {}

    # -- layout ----------------------------------------------------------------------------

    def get_default_screen(self) -> MainScreen:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        # The panes are kept as attributes: messages still queued while the app shuts down
        # then reach detached widgets instead of failing a query on an emptied screen.
        lock = self.tracker.lock
        self.sessions_table = SessionsTable(id="sessions", lock=lock, clock=self.clock)
        self.lanes = Lanes(id="lanes", lock=lock)
        self.metrics = MetricsBox(id="metrics")
        self.timeline = Timeline(id="timeline", lock=lock)
        self.dropped = DroppedNotice(id="dropped")
        self.findings = FindingsFeed(self.tracker.findings, self.tracker.sessions, id="findings", lock=lock)
        self.hint = FindingHint(id="hint")
        self.checklist_panel = ChecklistPanel(id="checklists")
        self.status_line = StatusLine(id="status")
        yield self.status_line
        with Vertical(id="sessions-pane", classes="pane"):
            yield self.sessions_table
        with Horizontal(id="lower"):
            with Vertical(id="timeline-pane", classes="pane"):
                yield self.lanes
                yield self.metrics
                yield self.dropped
                yield self.timeline
            with Vertical(id="findings-pane", classes="pane"):
                yield self.findings
                yield self.checklist_panel
                yield self.hint
        yield KeyBar()

    def on_mount(self) -> None:
        self.timeline.follow = self.findings.follow = self.follow
        self.hint.show(None)
        # Subscribe only now: post_message hops threads safely once the app's loop runs.
        self.tracker.subscribe(self._tracker_updated)
        self.redraw()
        self.set_interval(1.0, self._tick)
        self.sessions_table.focus()
        if not self.is_headless:  # a real terminal: this process is the dashboard's own
            self.call_after_refresh(settle_memory)
        if self.loader is not None:
            self.run_worker(partial(self._load, self.loader), thread=True, name="loader", exit_on_error=False)

    def _load(self, loader: Callable[[Dashboard], None]) -> None:
        """The loader, on its worker thread; what it read stays, so it is frozen too."""
        loader(self)
        if not self.is_headless and self.is_running:
            self.call_from_thread(self.call_after_refresh, settle_memory)

    # -- keeping up with the tracker -------------------------------------------------------

    def _tracker_updated(self, update: Update) -> None:
        """Called on the feeding thread after every call: wake the app once per redraw."""
        if not self._wake_pending:
            self._wake_pending = True
            self.post_message(TrackerChanged())

    @on(TrackerChanged)
    def _tracker_changed(self) -> None:
        if self._redraw_timer is None:
            self._redraw_when_due()

    def _redraw_when_due(self) -> None:
        """Redraw now if the interval has passed and no key was just pressed; else set a timer."""
        self._redraw_timer = None
        wait = max(self._last_redraw + REDRAW_INTERVAL, self._last_key + KEY_FIRST) - time.monotonic()
        if wait <= 0:
            self.redraw()
        else:
            self._redraw_timer = self.set_timer(wait, self._redraw_when_due)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._last_key = time.monotonic()  # traffic waits: see KEY_FIRST
        await super().on_event(event)

    def redraw(self) -> None:
        """Bring every pane up to date with the tracker: costs what changed since last time."""
        if self._redraw_timer is not None:  # called directly (mount, clear): this is the redraw
            self._redraw_timer.stop()
            self._redraw_timer = None
        self._wake_pending = False  # from here on, a new call wakes us again
        self._last_redraw = time.monotonic()
        with self.tracker.lock:
            if self.tracker.generation != self._generation:
                self._forget()
            self.sessions_table.show([s for s in self.tracker.sessions.values() if self._shown(s)])
            self.timeline.sync()
            self._show_session_boxes()
            self.findings.sync()
            self.hint.show(self.findings.current)  # here, not a frame later via its message
            self._show_checklists()
            for finding in self.tracker.findings[self._counted:]:
                self._totals[finding.severity] += 1
            self._counted = len(self.tracker.findings)
            calls, sessions = self.tracker.calls, len(self.tracker.sessions)
        self.lanes.show(self.timeline.session, self._marker_ts())
        self._titles()
        self._status(calls, sessions)

    def _forget(self) -> None:
        """The tracker was reset (POST /v1/reset): what the panes hold is gone (under its lock)."""
        self._generation = self.tracker.generation
        self._hidden.clear()
        self._totals = {s: 0 for s in Severity}
        self._counted = 0
        self.findings.clear()
        self.timeline.show(None)

    def _shown(self, session: Session) -> bool:
        cleared_at = self._hidden.get(session.sid)
        return cleared_at is None or session.calls > cleared_at

    def _tick(self) -> None:
        """Once a second: ages in the sessions table and calls/s move on without traffic."""
        self.sessions_table.tick()
        with self.tracker.lock:
            calls, sessions = self.tracker.calls, len(self.tracker.sessions)
        self._status(calls, sessions)

    def _status(self, calls: int, sessions: int) -> None:
        """The run's counts (calls, sessions, findings: what a report would say, whatever `c`
        hid from view), and how many sessions are hidden."""
        now = time.monotonic()
        self._rates.append((now, calls))
        while len(self._rates) > 2 and now - self._rates[0][0] > RATE_WINDOW:
            self._rates.popleft()
        (t0, c0), (t1, c1) = self._rates[0], self._rates[-1]
        rate = (c1 - c0) / (t1 - t0) if t1 - t0 >= 0.5 else None
        counts = Counts(calls, sessions, self._totals[Severity.ERROR], self._totals[Severity.WARNING],
                        self.tracker.retention.dropped, sessions - self.sessions_table.row_count)
        self.status_line.show(self.origin, counts, rate, self.follow)

    def _titles(self) -> None:
        """Pane titles change only with the selection and the filter (a title repaints its pane)."""
        self._title(self.sessions_table, Text("Sessions"))
        feed = self.findings
        scope = feed.filter.scope
        title = Text(f"Findings of {short_sid(scope)}, newest first (a: all sessions)" if scope is not None
                     else "Findings, newest first")
        if feed.filter.describe():
            title.append(f"  {literal(feed.filter.describe())}", style="bold")
        self._title(feed, title)
        self._title(self.timeline, Text(f"Timeline, {'pings folded' if self.timeline.fold else 'all calls'}"))

    def _title(self, pane_content, title: Text) -> None:
        """Set a pane's border title only when it changed: setting one redraws the pane."""
        pane = pane_content.parent
        if pane is not None and self._pane_titles.get(pane.id) != title:
            self._pane_titles[pane.id] = title
            pane.border_title = title

    # -- what the panes say ---------------------------------------------------------------

    @on(SessionHighlighted)
    def _session_highlighted(self, message: SessionHighlighted) -> None:
        with self.tracker.lock:
            session = self.tracker.sessions.get(message.sid)
            if session is not self.timeline.session:
                self.timeline.show(session)
                self._show_session_boxes()
                self._show_checklists()
            if message.chosen and self.findings.filter.scope != message.sid:
                self.findings.set_filter(replace(self.findings.filter, scope=message.sid))
        self.lanes.show(session, self._marker_ts())
        self._titles()

    def _show_checklists(self) -> None:
        """The selected session's checklists (under the tracker's lock)."""
        session = self.timeline.session
        verdicts = self.watch.verdicts(session.sid) if session is not None else []
        if self.panel is not None:
            verdicts = [v for v in verdicts if v.checklist.name in self.panel]
        self.checklist_panel.show(verdicts, session is not None)

    def _show_session_boxes(self) -> None:
        """What is said about the selected session beside its timeline (under the tracker's
        lock): its metrics, and the line that says what the memory cap dropped of it."""
        self.metrics.show(self.timeline.session)
        self.dropped.show(self.timeline.session, self.tracker.retention.cap, self.origin)

    def _dropped_call(self, what: str) -> None:
        """Say that a call asked for is no longer in memory, and where it still is."""
        self.notify(dropped_text(f"{what} was", self.tracker.retention.cap, self.origin), markup=False)

    @on(SessionChosen)
    def _session_chosen(self) -> None:
        self.timeline.focus()

    def _marker_ts(self) -> int | None:
        with self.tracker.lock:
            entry = self.timeline.current
            return entry.ts if entry is not None else None

    @on(CallHighlighted)
    def _call_highlighted(self) -> None:
        self.lanes.show(self.timeline.session, self._marker_ts())

    @on(CallChosen)
    def _call_chosen(self, message: CallChosen) -> None:
        with self.tracker.lock:
            session = self.tracker.sessions.get(message.sid)
            entry = session.entry(message.index) if session is not None else None
            if entry is None:
                return
        self.push_screen(CallDetail(session, entry, self.tracker.lock))

    @on(FindingHighlighted)
    def _finding_highlighted(self, message: FindingHighlighted) -> None:
        self.hint.show(message.finding)

    @on(ProxyLogged)
    def _proxy_logged(self, message: ProxyLogged) -> None:
        self.notify(message.line, title="proxy", severity="warning", markup=False, timeout=6)

    @on(FindingChosen)
    def _finding_chosen(self, message: FindingChosen) -> None:
        self.jump_to(message.finding)

    def jump_to(self, finding: Finding) -> None:
        """Show the call a finding is about: its session's timeline with the cursor on the call;
        a finding of a rejected sessionStart (no session) opens that call's detail."""
        with self.tracker.lock:
            if finding.session is None:
                orphan = next((e for e in self.tracker.orphans if any(f is finding for f in e.findings)), None)
                if orphan is not None:
                    self.push_screen(CallDetail(None, orphan, self.tracker.lock))
                elif finding.call is not None and self.tracker.retention.dropped:
                    self._dropped_call("that rejected sessionStart")
                else:
                    self.notify("this finding is about the capture, not a call", markup=False)
                return
            session = self.tracker.sessions.get(finding.session)
            if session is None:
                self.notify("that session is not in the tracker", markup=False)
                return
            self._hidden.pop(session.sid, None)  # cleared from view, but asked for
            self.sessions_table.show([s for s in self.tracker.sessions.values() if self._shown(s)])
            if not self.sessions_table.select_sid(session.sid):
                return
            self.timeline.show(session)
            self._show_session_boxes()
            if finding.call is not None:
                if session.entry(finding.call) is None and finding.call < session.dropped:
                    self._dropped_call(f"call {finding.call}")
                self.timeline.go_to_call(finding.call)
        self.lanes.show(session, self._marker_ts())
        self._titles()
        self.timeline.focus()

    # -- actions (keys, footer and command palette) ----------------------------------------

    def action_filter(self) -> None:
        def chosen(flt: FindingFilter | None) -> None:
            if flt is not None:
                self._set_filter(flt)

        self.push_screen(FilterScreen(self.findings.filter), chosen)

    def _set_filter(self, flt: FindingFilter) -> None:
        with self.tracker.lock:
            self.findings.set_filter(flt)
        self._titles()

    def action_errors_only(self) -> None:
        current = self.findings.filter
        severity = Severity.INFO if current.severity is Severity.ERROR else Severity.ERROR
        self._set_filter(replace(current, severity=severity))

    def action_all_sessions(self) -> None:
        """The feed across every session again, until another session is selected."""
        self._set_filter(replace(self.findings.filter, scope=None))

    def action_fold_pings(self) -> None:
        with self.tracker.lock:
            self.timeline.set_fold(not self.timeline.fold)
        self._titles()  # the timeline's title says which (a notification would re-lay out the screen)

    def action_follow(self) -> None:
        self.follow = not self.follow
        self.timeline.follow = self.findings.follow = self.follow
        if self.follow:
            self.timeline.action_last()
            self.findings.action_first()
        with self.tracker.lock:
            self._status(self.tracker.calls, len(self.tracker.sessions))  # the status line says which

    def action_save_report(self) -> None:
        default = f"playhead-report-{datetime.now():%Y%m%d-%H%M%S}.html"
        self.push_screen(SaveReportScreen(default), self._save_to)

    def _save_to(self, path: Path | None) -> None:
        if path is None:
            return

        def write() -> None:
            try:
                # The proxy waits for the lock while the report renders: copying the sessions
                # out first would cost about as much, and a report must be one consistent state.
                with self.tracker.lock:
                    fmt = write_report(self.tracker, path)
            except (OSError, ValueError) as exc:
                # The error names the user's path already (io/output.py), never a temporary file.
                self.call_from_thread(self.notify, f"could not save the report: {exc}", severity="error",
                                      markup=False)
            else:
                self.call_from_thread(self.notify, f"report saved: {path} ({fmt})", markup=False)

        self.run_worker(write, thread=True, name="save-report", exit_on_error=False)

    def action_clear(self) -> None:
        """Hide what is shown now; sessions that get new calls come back. Reports keep all."""
        with self.tracker.lock:
            self._hidden.update({sid: s.calls for sid, s in self.tracker.sessions.items()})
            self.findings.clear()
            self.timeline.show(None)
            self._show_session_boxes()
        self.lanes.show(None)
        self.redraw()
        self.notify("cleared: new sessions and findings will show; reports keep everything", timeout=3)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())
