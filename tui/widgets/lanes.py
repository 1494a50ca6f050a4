"""The lane picture of the selected session, in colour, with the highlighted call marked.

The rows come from `playhead.io.reports.lanes.lane_rows` (the same picture the Markdown and HTML
reports draw), so what the dashboard shows and what a report shares cannot disagree. Computing
them walks every span and ping of the session, so the result is kept until the session changes
(more calls, findings or spans) or the widget is resized, and a busy session's picture is
computed again at most as often as LANES_SHARE allows. The first line names the session, so the
pane's title never changes (a title change repaints the whole pane).
"""

from __future__ import annotations

import contextlib
import time
from typing import ContextManager

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from ...core.model import Session
from ...io.reports.lanes import MARKS, lane_axis, lane_rows, ts_range
from ...io.reports.safe import show
from ..rows import LANE_STYLE, SEVERITY_STYLE, short_sid

LABEL_WIDTH = 9  # "ad-break " and friends
# The picture walks every span, ping and finding of the session (~0.1 s for 100k calls here):
# while calls keep coming, it is computed again no more often than takes this share of the time.
LANES_SHARE = 0.05
HEADER_LINES = 1  # which session this is
_DIM = Style(dim=True)
_REVERSE = Style(reverse=True)
_ROW_STYLE = {kind: Style.parse(style) for kind, style in LANE_STYLE.items()}
_MARK_STYLE = {mark: Style.parse(SEVERITY_STYLE[severity]) for severity, mark in MARKS.items()}


def column_of(ts: int, bounds: tuple[int, int], width: int) -> int:
    """The cell a ts falls in, cut the way the lane rows are cut (equal cells over the range)."""
    lo, hi = bounds
    if hi <= lo:
        return 0
    return min(width - 1, max(0, (ts - lo) * width // (hi - lo)))


def cell_styles(kind: str, row: str) -> list[Style]:
    """The style of each cell of a lane row: its lane's colour, or a finding mark's."""
    if kind == "findings":
        return [_MARK_STYLE.get(ch, _DIM) for ch in row]
    return [_ROW_STYLE.get(kind, _DIM)] * len(row)


Run = tuple[int, int, Style]  # cells [start, end) of a row, drawn in one style


def runs_of(styles: list[Style]) -> list[Run]:
    """A row's cells grouped into runs of one style, found once per change of the picture (a
    row is ~150 cells; a frame that only moves the marker then costs a few runs per row)."""
    runs: list[Run] = []
    start = 0
    for i in range(1, len(styles) + 1):
        if i == len(styles) or styles[i] != styles[start]:
            runs.append((start, i, styles[start]))
            start = i
    return runs


def row_segments(label: str, row: str, runs: list[Run], marker: int | None) -> list[Segment]:
    """The label, then the row run by run; the marker column shown reversed."""
    segments = [Segment(f"{label:<{LABEL_WIDTH - 1}} ", _DIM)]
    for start, end, style in runs:
        if marker is None or not start <= marker < end:
            segments.append(Segment(row[start:end], style))
            continue
        if start < marker:
            segments.append(Segment(row[start:marker], style))
        segments.append(Segment(row[marker], style + _REVERSE))
        if marker + 1 < end:
            segments.append(Segment(row[marker + 1:end], style))
    return segments


def header_text(session: Session) -> Text:
    """Which session the lanes and the timeline show (wire strings made printable)."""
    text = Text(short_sid(session.sid, 16), style="bold")
    media = session.media
    text.append(f"  {show(media['id'], '(no sessionStart)')}", style="bold")
    if media["name"] is not None:
        text.append(f"  {show(media['name'])}", style="dim")
    return text


class Lanes(ScrollView, can_focus=False):
    """Drawn line by line; the rows are computed once per change of the session, and moving the
    marker only restyles one column."""

    DEFAULT_CSS = """
    Lanes {
        height: 10;  /* the session, eight lanes and the time axis */
        overflow: hidden hidden;
    }
    """

    def __init__(self, *, lock: ContextManager | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lock = lock if lock is not None else contextlib.nullcontext()
        self.session: Session | None = None
        self.marker_ts: int | None = None  # the ts of the call the timeline's cursor is on
        self._cache_key: tuple | None = None
        self._rows: list[tuple[str, str, list[Run]]] = []
        self._base = Style()
        self._header = Text()
        self._axis = ""
        self._bounds: tuple[int, int] | None = None
        self._content: tuple | None = None  # what the session held when show() last saw it
        self._next_compute = 0.0  # a busy session's picture is not computed again before this
        self._catch_up: Timer | None = None

    def show(self, session: Session | None, marker_ts: int | None = None) -> None:
        """Draw this session with this call marked; nothing to do when that is what is drawn.
        New calls of the same session redraw it no sooner than the throttle allows (LANES_SHARE);
        a timer then brings the picture up to date."""
        with self.lock:
            content = None if session is None else (
                session.sid, session.calls, len(session.findings), len(session.spans), session.last_ts)
        same, moved = session is self.session, marker_ts != self.marker_ts
        if same and not moved and content == self._content:
            return
        self.session, self.marker_ts, self._content = session, marker_ts, content
        if not same or moved or time.monotonic() >= self._next_compute:
            self.refresh()
        else:
            self._catch_up_later()

    def _catch_up_later(self) -> None:
        """The picture is behind its session: draw it again when its turn comes."""
        if self._catch_up is None:
            self._catch_up = self.set_timer(max(self._next_compute - time.monotonic(), 0), self._caught_up)

    def _caught_up(self) -> None:
        self._catch_up = None
        self._next_compute = 0.0
        self.refresh()

    def _compute(self, width: int) -> None:
        session = self.session
        if session is None:
            self._rows, self._cache_key = [], None
            return
        with self.lock:
            key = (session.sid, session.calls, len(session.findings), len(session.spans),
                   len(session.ping_ts), session.last_ts, width)
            if key == self._cache_key:
                return
            same_picture = self._cache_key is not None and self._cache_key[0] == key[0] and self._cache_key[-1] == width
            if same_picture and time.monotonic() < self._next_compute:
                self._catch_up_later()  # the marker moved; the picture waits for its turn
                return
            began = time.perf_counter()
            self._rows = [(kind, row, runs_of(cell_styles(kind, row))) for kind, row in lane_rows(session, width)]
            self._axis = lane_axis(session, width)
            self._header = header_text(session)
            self._bounds = ts_range(session)
            self._cache_key = key
            self._next_compute = time.monotonic() + (time.perf_counter() - began) / LANES_SHARE

    def render_lines(self, crop: Region) -> list[Strip]:
        self._compute(max(self.size.width - LABEL_WIDTH, 1))
        self._base = self.rich_style  # once per batch of lines: a DOM walk each time
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._base
        if self.session is None:
            segments = [Segment("no session selected", _DIM)] if y == 0 else []
        elif y < HEADER_LINES:
            segments = list(self._header.render(self.app.console))
        elif y - HEADER_LINES < len(self._rows):
            kind, row, runs = self._rows[y - HEADER_LINES]
            marker = None
            if self.marker_ts is not None and self._bounds is not None:
                marker = column_of(self.marker_ts, self._bounds, len(row))
            segments = row_segments(kind, row, runs, marker)
        elif y - HEADER_LINES == len(self._rows):
            segments = [Segment(" " * LABEL_WIDTH + self._axis, _DIM)]
        else:
            segments = []
        return Strip(Segment.apply_style(segments, base)).adjust_cell_length(width, base)
