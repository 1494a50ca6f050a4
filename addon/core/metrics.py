"""What Adobe's processing will report for a session (SPEC §14), computed by playhead from the
timeline it sees before Adobe does, so "this ad never counted" shows as a number in the dashboard,
the reports and the API before it shows in Analysis Workspace.

Adobe's definitions (Experience League, media-analytics "Reporting > Metrics"):
- "Streaming media metrics overview" (…/reporting/metrics/overview): flags are set by the first
  qualifying event (a main-content play sets Content starts, an adStart sets Ad starts); durations
  accumulate the intervals between events while a playback state is active; quality metrics
  (buffer events, bitrate changes, error events, pause events) count every occurrence.
- "Media starts" (…/metrics/media-starts): set when the backend receives sessionStart.
- "Content starts" (…/metrics/content-starts): the first play of main content; a session that ends
  during the pre-roll, buffering or before any content plays has none.
- "Content completes" (Analytics "Streaming media services core metrics", sm-core): the content
  reached its end (sessionComplete), skipped ahead or not.
- "Content time spent" (…/metrics/content-time-spent): wall-clock seconds in the play state on main
  content; ads, pauses, buffering and stalls excluded (it can exceed the length after a rewind).
- "Media time spent" (…/metrics/media-time-spent, context data a.media.totalTimePlayed): the same
  over content and ads together: the session's total time spent playing.
- "Ad time spent" (…/metrics/ad-time-spent): seconds in the play state on an ad, pauses and buffering
  excluded; ad starts and completes (Analytics "Streaming media services ad metrics", sm-ads).
- "Pause events" / "Total pause duration" (sm-core), "Total buffer duration"
  (…/metrics/total-buffer-duration: each buffer interval, from bufferStart to the next state
  change).
- Ads count only inside a break and completes only for an ad (or chapter) that started: Adobe
  ignores an adStart outside adBreakStart/adBreakComplete (SPEC §5, rule ad-outside-break).
- "Time to start" (…/dimensions/time-to-start): the time between session start and the first frame.
  Adobe reports the value the player measured (qoe timeToStart); playhead measures it on the
  timeline, from the sessionStart's ts to the first play or adStart, which is what the player's
  own figure should come close to.

How the timeline maps onto those states, as Adobe's documented timelines imply: an adStart plays the
ad (Timeline 1 sends no play during its pre-roll), and at adBreakComplete content resumes as it was
before the break (Timeline 1 sends no play after its mid-roll, and its playhead still advances: the
page's 45 s of content at sessionComplete need those ten seconds); an error changes no state.

The metrics are computed as the timeline is applied (`Tally.apply`, called by core/timeline.py for
every event the backend accepted, in ts order), never from the calls a session retains: a long live
session's early calls are dropped from memory (core/retention.py), and its metrics must not drop
with them. They read only core.vocab's event types, so they hold for every protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from . import vocab as v

if TYPE_CHECKING:
    from .model import Session

Metric = int | float | None

# key -> short human label with its unit; the order every view shows them in.
METRIC_LABELS: Final[dict[str, str]] = {
    "mediaStarts": "media starts",
    "contentStarts": "content starts",
    "contentCompletes": "content completes",
    "contentTimeSpent": "content time spent (s)",
    "mediaTimeSpent": "media time spent, content + ads (s)",
    "adBreaks": "ad breaks",
    "adStarts": "ad starts",
    "adCompletes": "ad completes",
    "adTimeSpent": "ad time spent (s)",
    "chapterStarts": "chapter starts",
    "chapterCompletes": "chapter completes",
    "pauseEvents": "pause events",
    "pauseTime": "total pause duration (s)",
    "bufferEvents": "buffer events",
    "bufferTime": "total buffer duration (s)",
    "bitrateChanges": "bitrate changes",
    "errorEvents": "error events",
    "timeToStart": "time to start (s)",
    "playerStates": "player states set",
}

# What the player is doing between two events: the slot of milliseconds each one accumulates into.
_CONTENT: Final = "content_ms"
_AD: Final = "ad_ms"
_PAUSE: Final = "pause_ms"
_BUFFER: Final = "buffer_ms"
_NOTHING: Final = ""  # starting, between ads, idle, closed: no time is counted

_COUNTED: Final = {  # event type -> the count (a slot) it adds one to
    v.AD_BREAK_START: "ad_breaks",
    v.CHAPTER_START: "chapter_starts",
    v.PAUSE_START: "pause_events",
    v.BUFFER_START: "buffer_events",
    v.BITRATE_CHANGE: "bitrate_changes",
    v.ERROR: "error_events",
}


class Tally:
    """One session's running metrics: counts, milliseconds per playback state, and the little state
    that decides where the next interval goes. A few attribute updates per event.

    Every session carries one, summarised ones too, so it is kept small: plain slots (small ints
    are shared), and the set of player states only once a state arrives. With dicts of counts and
    of milliseconds it took 840 bytes a session, which a soak of 50,000 one-call sessions showed
    as +160 MiB (bench_soak)."""

    __slots__ = (*_COUNTED.values(), "ad_starts", "ad_completes", "chapter_completes",
                 _CONTENT, _AD, _PAUSE, _BUFFER, "states", "started", "start_ts", "first_frame_ts",
                 "last_ts", "playing", "waiting", "in_break", "ad_open", "chapter_open", "closed",
                 "bad_clock", "content_started", "completed")

    def __init__(self) -> None:
        self.ad_breaks = self.chapter_starts = self.pause_events = self.buffer_events = 0
        self.bitrate_changes = self.error_events = 0
        self.ad_starts = self.ad_completes = self.chapter_completes = 0
        self.content_ms = self.ad_ms = self.pause_ms = self.buffer_ms = 0
        self.states: set[str] | None = None
        self.started = False
        self.start_ts: int | None = None
        self.first_frame_ts: int | None = None
        self.last_ts: int | None = None
        self.playing = False  # the player was told to play content (play), and not stopped since
        self.waiting = _NOTHING  # _PAUSE or _BUFFER while one is open
        self.in_break = False
        self.ad_open = False
        self.chapter_open = False
        self.closed = False
        self.bad_clock = False  # a ts that is not epoch ms was seen: durations would be noise
        self.content_started = False
        self.completed = False

    def _mode(self) -> str:
        if self.closed:
            return _NOTHING
        if self.waiting:
            return self.waiting
        if self.ad_open:
            return _AD
        if self.in_break:
            return _NOTHING  # between two ads of a break
        return _CONTENT if self.playing else _NOTHING

    def apply(self, kind: str | None, details: dict, ts: int | None) -> None:
        """One event the backend accepted, in ts order; `ts` is its time or the last known one."""
        if self.closed:
            return  # Adobe closes the session's metrics at sessionComplete / sessionEnd
        if ts is not None:
            last = self.last_ts
            if last is not None and ts > last:
                mode = self._mode()
                if mode:
                    setattr(self, mode, getattr(self, mode) + ts - last)
            if last is None or ts > last:
                self.last_ts = ts
        if kind == v.PING or kind is None:
            return
        counted = _COUNTED.get(kind)
        if counted is not None:
            setattr(self, counted, getattr(self, counted) + 1)
        if kind == v.SESSION_START:
            self.started = True
            self.start_ts = ts
        elif kind == v.PLAY:
            self.playing, self.waiting = True, _NOTHING
            if not self.in_break:
                self.content_started = True
            self._first_frame(ts)
        elif kind in (v.PAUSE_START, v.BUFFER_START):
            self.waiting = _PAUSE if kind == v.PAUSE_START else _BUFFER
        elif kind == v.AD_BREAK_START:
            self.in_break, self.ad_open = True, False
        elif kind == v.AD_START:
            if self.in_break:  # Adobe drops an ad outside a break: it never counts
                self.ad_starts += 1
                self.ad_open, self.waiting = True, _NOTHING
                self._first_frame(ts)
        elif kind in (v.AD_COMPLETE, v.AD_SKIP):
            if self.ad_open and kind == v.AD_COMPLETE:
                self.ad_completes += 1
            self.ad_open = False
        elif kind == v.CHAPTER_START:
            self.chapter_open = True
        elif kind in (v.CHAPTER_COMPLETE, v.CHAPTER_SKIP):
            if self.chapter_open and kind == v.CHAPTER_COMPLETE:
                self.chapter_completes += 1
            self.chapter_open = False
        elif kind == v.AD_BREAK_COMPLETE:
            self.in_break = self.ad_open = False
        elif kind in (v.STATE_START, v.STATES_UPDATE):
            started = [s for s in details.get(v.STATES_STARTED, ()) if isinstance(s, str)]
            if started:
                if self.states is None:
                    self.states = set()
                self.states.update(started)
        elif kind in v.CLOSERS:
            self.closed = True
            self.completed = kind == v.SESSION_COMPLETE

    def _first_frame(self, ts: int | None) -> None:
        if self.first_frame_ts is None and ts is not None:
            self.first_frame_ts = ts

    def as_dict(self) -> dict[str, Metric]:
        """Counts as ints; durations in seconds, None when the session's clock cannot be trusted
        (`timeToStart` also None until something played)."""

        def seconds(ms: int) -> float | None:
            return None if self.bad_clock else round(ms / 1000, 3)

        to_start = (None if self.bad_clock or self.start_ts is None or self.first_frame_ts is None
                    else round(max(0, self.first_frame_ts - self.start_ts) / 1000, 3))
        return {
            "mediaStarts": int(self.started),
            "contentStarts": int(self.content_started),
            "contentCompletes": int(self.completed),
            "contentTimeSpent": seconds(self.content_ms),
            "mediaTimeSpent": seconds(self.content_ms + self.ad_ms),
            "adBreaks": self.ad_breaks,
            "adStarts": self.ad_starts,
            "adCompletes": self.ad_completes,
            "adTimeSpent": seconds(self.ad_ms),
            "chapterStarts": self.chapter_starts,
            "chapterCompletes": self.chapter_completes,
            "pauseEvents": self.pause_events,
            "pauseTime": seconds(self.pause_ms),
            "bufferEvents": self.buffer_events,
            "bufferTime": seconds(self.buffer_ms),
            "bitrateChanges": self.bitrate_changes,
            "errorEvents": self.error_events,
            "timeToStart": to_start,
            "playerStates": len(self.states or ()),
        }


def session_metrics(session: Session) -> dict[str, Metric]:
    """The session's metrics, keyed and ordered as METRIC_LABELS: counts as ints, durations in
    seconds (ms precision) or None. JSON-safe."""
    return session.tally.as_dict()
