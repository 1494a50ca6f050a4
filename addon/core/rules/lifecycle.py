"""Rules about the session's life: what may follow sessionComplete and sessionEnd, and closing."""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..timeline import Family, Run
from ..vocab import is_downloaded
from .body import likely_type

FAMILY = "lifecycle"
R = Severity

EVENT_AFTER_END = rule(
    "event-after-end", R.ERROR, family=FAMILY,
    summary="An event after sessionEnd (a repeated sessionEnd is fine).",
    impact="The backend drops it: whatever it reports is lost.",
    fix="Stop sending on a session after sessionEnd; start a new session for new playback.",
    source="Media Collection API: sessionEnd")
EVENT_AFTER_COMPLETE = rule(
    "event-after-complete", R.WARNING, family=FAMILY,
    summary="After sessionComplete, anything but ping or sessionEnd.",
    impact="Content was already counted as complete; later events may be ignored or miscounted.",
    fix="Send sessionComplete only when the content really ended, and nothing but sessionEnd after it.",
    source="Media Collection API: sessionComplete")
SESSION_NOT_CLOSED = rule(
    "session-not-closed", R.WARNING, family=FAMILY,
    summary="At the end of the capture (or after 10 minutes of silence) the session had neither sessionComplete nor sessionEnd.",
    impact="The backend closes it on timeout, after the fact; time spent is cut at the last ping.",
    fix="Send sessionComplete when content ends and sessionEnd when the viewer leaves.",
    source="Media Collection API: closing sessions")
SESSION_OVER_24H = rule(
    "session-over-24h", R.WARNING, family=FAMILY,
    summary="The session spans more than 24 hours.",
    impact="The backend splits or closes very long sessions: one view becomes several.",
    fix="End the session and start a new one (media.resume true) for a long live view.",
    source="Adobe Media Analytics: session limits")
CONTENT_NEVER_STARTED = rule(
    "content-never-started", R.INFO, family=FAMILY,
    summary="The session ended with no play and no ad.",
    impact="A start is counted with no time spent: often a player that tracks before the user presses play.",
    fix="Start the session when playback is requested and send play when frames show.",
    source="SPEC §5")

CLOSERS = ("sessionComplete", "sessionEnd")
STARTERS = frozenset({"play", "adStart"})
GONE = "(404 or 410)"
CLOSED_OR_GONE = frozenset({*CLOSERS, GONE})


def _count(n: int) -> str:
    return f"{n} event{'' if n == 1 else 's'}"


class LifecycleChecks(Family):
    after_close = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.not_closed_reported = False
        self.over_24h_reported = False
        self.never_started_reported = False
        self.after_end = Run(ctx, lambda first, n: (
            EVENT_AFTER_END, f"{_count(n)} from this {first.event_type or 'event'} on, after sessionEnd: "
                             "the backend drops them all"))
        self.after_complete = Run(ctx, lambda first, n: (
            EVENT_AFTER_COMPLETE, f"{_count(n)} from this {first.event_type or 'event'} on, after "
                                  "sessionComplete (only pings and sessionEnd belong there)"))
        self.sent: set[str] = set()  # event types the client sent, answered or refused

    def arrive(self, e: Entry) -> None:
        kind = e.event_type
        if kind is not None and not self.ctx.schemas.is_known(kind):
            kind = likely_type(kind, CLOSERS)  # "contentComplete" meant to close: the unknown type is the defect
        if kind is not None and len(self.sent) < 64:
            self.sent.add(kind)
        if e.call.status in (404, 410):
            self.sent.add(GONE)  # the session is gone: whether it was closed is no longer the question

    def event(self, e: Entry) -> None:
        state = self.ctx.state
        kind = e.event_type
        if state.lifecycle == "ended" and kind != "sessionEnd":
            self.after_end.add(e)
        elif state.lifecycle == "complete" and kind not in ("ping", "sessionEnd"):
            self.after_complete.add(e)
        if kind in CLOSERS and not state.closed:
            self._never_started(e)
        session = self.ctx.session
        if (e.ts is not None and session.first_ts is not None and not self.ctx.bad_ts
                and not self.over_24h_reported
                and e.ts - session.first_ts > self.ctx.config.max_span * 1000):
            self.over_24h_reported = True
            hours = (e.ts - session.first_ts) / 3_600_000
            self.ctx.emit(SESSION_OVER_24H, e, f"session spans {hours:.1f} h > 24 h")

    def _never_started(self, e: Entry | None) -> None:
        state = self.ctx.state
        if self.sent & STARTERS:  # sent but refused (an http finding says so): not "never started"
            return
        if state.plays == 0 and state.ads == 0 and not self.never_started_reported:
            self.never_started_reported = True
            self.ctx.emit(CONTENT_NEVER_STARTED, e, "session closed with no play and no ad")

    def tick(self, now: float) -> None:
        self.after_end.tick(now)
        self.after_complete.tick(now)
        session = self.ctx.session
        if is_downloaded(session.info):
            return  # a downloaded batch arrives whole: the backend closes it when it is processed
        silent = now - session.last_seen
        if (not self.ctx.state.closed and not self.not_closed_reported and session.entries
                and silent > self.ctx.config.silence_close):
            self.not_closed_reported = True
            self.ctx.emit(SESSION_NOT_CLOSED, session.entries[-1],
                          f"silent for {silent:.0f} s with neither sessionComplete nor sessionEnd")

    def finish(self) -> None:
        self.after_end.flush()
        self.after_complete.flush()
        session = self.ctx.session
        if self.ctx.state.closed or not session.entries:
            return
        last = session.entries[-1]
        if self.sent & CLOSED_OR_GONE or is_downloaded(session.info):
            return  # closed but refused, or gone (another finding says so); or a whole downloaded batch
        if not self.not_closed_reported:
            self.not_closed_reported = True
            self.ctx.emit(SESSION_NOT_CLOSED, last,
                          "capture ended with neither sessionComplete nor sessionEnd")
        self._never_started(last)
