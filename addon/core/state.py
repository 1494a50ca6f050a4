"""The per-session state machine: lifecycle, ad break and ad, chapter, player states, and spans.

Rules read the state as it was *before* an event and the state machine applies the event after
them, so "adStart with no open break" is a question about `state.brk` and nothing else keeps a
second copy of the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import vocab as v
from .model import Entry, Session, Span
from .parse import number


@dataclass(slots=True)
class AdBreak:
    number: int  # 1-based count of breaks in the session
    start_ts: int
    start_playhead: float | None
    ads: int = 0
    last_position: int | None = None
    span: Span | None = None


@dataclass(slots=True)
class Ad:
    position: int | None
    ad_id: str | None
    span: Span | None = None


@dataclass(slots=True)
class Chapter:
    index: int | None
    span: Span | None = None


@dataclass(slots=True)
class State:
    lifecycle: str = "started"
    brk: AdBreak | None = None
    ad: Ad | None = None
    chapter: Chapter | None = None
    active_states: set[str] = field(default_factory=set)
    seen_states: set[str] = field(default_factory=set)
    breaks: int = 0
    plays: int = 0
    ads: int = 0
    content_span: Span | None = None
    wait_span: Span | None = None  # the open pause or buffer span

    @property
    def closed(self) -> bool:
        return self.lifecycle in ("complete", "ended")

    @property
    def label(self) -> str:
        if self.closed:
            return self.lifecycle
        parts = []
        if self.brk is not None:
            if self.ad is not None:
                parts.append(f"in ad {self.ad.position if self.ad.position is not None else '?'}"
                              f" of break {self.brk.number}")
            else:
                parts.append(f"in break {self.brk.number}")
            if self.lifecycle in ("paused", "buffering"):
                parts.append(self.lifecycle)
        else:
            parts.append(self.lifecycle)
        if self.chapter is not None:
            parts.append(f"chapter {self.chapter.index if self.chapter.index is not None else '?'}")
        return " · ".join(parts)


def _int(value) -> int | None:
    n = number(value)
    return int(n) if n is not None and n == int(n) else None


class StateMachine:
    """Applies ts-ordered events to a `State` and records the spans they open and close."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.state = State()

    def _open(self, kind: str, ts: int, label: str = "") -> Span:
        span = Span(kind, ts, None, label)
        self.session.spans.append(span)
        return span

    @staticmethod
    def _close(span: Span | None, ts: int) -> None:
        if span is not None and span.end_ts is None:
            span.end_ts = max(ts, span.start_ts)

    def _stop_content(self, ts: int) -> None:
        self._close(self.state.content_span, ts)
        self.state.content_span = None

    def _stop_wait(self, ts: int) -> None:
        self._close(self.state.wait_span, ts)
        self.state.wait_span = None

    def _end_ad(self, ts: int) -> None:
        if self.state.ad is not None:
            self._close(self.state.ad.span, ts)
            self.state.ad = None

    def _end_break(self, ts: int) -> None:
        self._end_ad(ts)
        if self.state.brk is not None:
            self._close(self.state.brk.span, ts)
            self.state.brk = None

    def _end_chapter(self, ts: int) -> None:
        if self.state.chapter is not None:
            self._close(self.state.chapter.span, ts)
            self.state.chapter = None

    def close_all(self, ts: int) -> None:
        self._stop_content(ts)
        self._stop_wait(ts)
        self._end_break(ts)
        self._end_chapter(ts)

    def apply(self, entry: Entry, ts: int) -> None:
        """Apply one event at `ts` (the entry's ts, or the last known one when it has none)."""
        s = self.state
        kind = entry.event_type
        if kind == v.PING:  # most events: checked first
            if s.lifecycle != "ended":
                self.session.ping_ts.append(ts)
            return
        details = entry.details
        if s.lifecycle == "ended" or kind is None:
            return
        if s.lifecycle == "complete" and kind != v.SESSION_END:
            return  # the content is over; stray events do not reopen it
        if kind == v.PLAY:
            s.plays += 1
            self._stop_wait(ts)
            s.lifecycle = "playing"
            if s.brk is None and s.content_span is None:
                s.content_span = self._open("content", ts)
        elif kind in (v.PAUSE_START, v.BUFFER_START):
            self._stop_content(ts)
            self._stop_wait(ts)
            s.lifecycle = "paused" if kind == v.PAUSE_START else "buffering"
            s.wait_span = self._open("pause" if kind == v.PAUSE_START else "buffer", ts)
        elif kind == v.AD_BREAK_START:
            self._stop_content(ts)
            self._end_break(ts)
            s.breaks += 1
            s.brk = AdBreak(s.breaks, ts, entry.playhead)
            s.brk.span = self._open("ad-break", ts, f"break {s.breaks}")
        elif kind == v.AD_START:
            self._end_ad(ts)
            position = _int(details.get(v.POD_POSITION))
            ad_id = details.get(v.AD_ID)
            s.ads += 1
            s.ad = Ad(position, ad_id if isinstance(ad_id, str) else None)
            s.ad.span = self._open("ad", ts, f"ad {ad_id}" if isinstance(ad_id, str) else "ad")
            if s.brk is not None:
                s.brk.ads += 1
                s.brk.last_position = position if position is not None else s.brk.last_position
        elif kind in (v.AD_COMPLETE, v.AD_SKIP):
            self._end_ad(ts)
        elif kind == v.AD_BREAK_COMPLETE:
            self._end_break(ts)
            if s.lifecycle == "playing":
                s.lifecycle = "idle"  # content resumes with the next play
        elif kind == v.CHAPTER_START:
            self._end_chapter(ts)
            index = _int(details.get(v.CHAPTER_INDEX))
            s.chapter = Chapter(index)
            s.chapter.span = self._open("chapter", ts, f"chapter {index if index is not None else '?'}")
        elif kind in (v.CHAPTER_COMPLETE, v.CHAPTER_SKIP):
            self._end_chapter(ts)
        elif kind in (v.STATE_START, v.STATE_END, v.STATES_UPDATE):
            for name in details.get(v.STATES_STARTED, ()):
                self._state_start(name)
            for name in details.get(v.STATES_ENDED, ()):
                if isinstance(name, str):
                    s.active_states.discard(name)
        elif kind in v.CLOSERS:
            self.close_all(ts)
            s.lifecycle = "complete" if kind == v.SESSION_COMPLETE else "ended"
            if self.session.closed_by is None:
                self.session.closed_by = kind

    def _state_start(self, name) -> None:
        if isinstance(name, str):
            self.state.active_states.add(name)
            self.state.seen_states.add(name)

