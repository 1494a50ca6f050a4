"""Rules about chapters: one at a time, each closed."""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..timeline import Family

FAMILY = "chapters"
R = Severity

CHAPTER_OVERLAP = rule(
    "chapter-overlap", R.ERROR, family=FAMILY,
    summary="chapterStart while a chapter is open.",
    impact="Chapters cannot overlap: the open one is cut and chapter time is miscounted.",
    fix="Send chapterComplete (or chapterSkip) before the next chapterStart.",
    source="Media Collection API: chapter tracking")
CHAPTER_END_WITHOUT_START = rule(
    "chapter-end-without-start", R.ERROR, family=FAMILY,
    summary="chapterComplete or chapterSkip with no open chapter.",
    impact="The bookend is ignored; the chapter it meant to close was never counted.",
    fix="Send chapterStart at the start of each chapter.",
    source="Media Collection API: chapter tracking")
CHAPTER_NOT_CLOSED = rule(
    "chapter-not-closed", R.WARNING, family=FAMILY,
    summary="A chapter open at sessionComplete, or at the end of a capture without sessionEnd.",
    impact="The chapter is not counted as completed.",
    fix="Send chapterComplete when a chapter ends, before sessionComplete.",
    source="Media Collection API: chapter tracking")


def _name(chapter) -> str:
    return f"chapter {chapter.index if chapter.index is not None else '?'}"


class ChapterChecks(Family):
    events = frozenset({"chapterStart", "chapterComplete", "chapterSkip", "sessionComplete"})

    def event(self, e: Entry) -> None:
        kind = e.event_type
        chapter = self.ctx.state.chapter
        if kind == "chapterStart" and chapter is not None:
            self.ctx.emit(CHAPTER_OVERLAP, e, f"chapterStart while {_name(chapter)} is open")
        elif kind in ("chapterComplete", "chapterSkip") and chapter is None:
            self.ctx.emit(CHAPTER_END_WITHOUT_START, e, f"{kind} with no open chapter")
        elif kind == "sessionComplete" and chapter is not None:
            self.ctx.emit(CHAPTER_NOT_CLOSED, e, f"{_name(chapter)} still open at sessionComplete")

    def finish(self) -> None:
        state = self.ctx.state
        if state.closed or state.chapter is None:
            return
        self.ctx.emit(CHAPTER_NOT_CLOSED, self.ctx.session.entries[-1],
                      f"{_name(state.chapter)} still open at the end of the capture (no sessionEnd)")
