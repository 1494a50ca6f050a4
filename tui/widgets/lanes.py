"""The lane picture of the selected session, in colour, with the highlighted call marked.

The rows come from `playhead.io.reports.lanes.lane_rows` (the same picture the Markdown and HTML
reports draw), so what the dashboard shows and what a report shares cannot disagree. Computing
them walks every span and ping of the session, so the result is kept until the session changes
(more calls, findings or spans) or the widget is resized.
"""

from __future__ import annotations

import contextlib
from typing import ContextManager

from rich.text import Text
from textual.widget import Widget

from ...core.model import Session
from ...io.reports.lanes import MARKS, lane_axis, lane_rows, ts_range
from ..rows import LANE_STYLE, SEVERITY_STYLE

LABEL_WIDTH = 9  # "ad-break " and friends
_MARK_STYLE = {mark: SEVERITY_STYLE[severity] for severity, mark in MARKS.items()}


def column_of(ts: int, bounds: tuple[int, int], width: int) -> int:
    """The cell a ts falls in, cut the way the lane rows are cut (equal cells over the range)."""
    lo, hi = bounds
    if hi <= lo:
        return 0
    return min(width - 1, max(0, (ts - lo) * width // (hi - lo)))


def colour_row(kind: str, row: str) -> Text:
    text = Text(f"{kind:<{LABEL_WIDTH - 1}} ", style="dim")
    if kind == "findings":
        for ch in row:
            text.append(ch, style=_MARK_STYLE.get(ch, ""))
    else:
        style = LANE_STYLE.get(kind, "")
        text.append(row, style=style)
    return text


class Lanes(Widget):
    DEFAULT_CSS = """
    Lanes {
        height: 9;  /* eight lanes and the time axis */
    }
    """

    def __init__(self, *, lock: ContextManager | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lock = lock if lock is not None else contextlib.nullcontext()
        self.session: Session | None = None
        self.marker_ts: int | None = None  # the ts of the call the timeline's cursor is on
        self._cache_key: tuple | None = None
        self._cache: list[Text] = []
        self._bounds: tuple[int, int] | None = None
        self._view: tuple | None = None  # what show() last asked to draw

    def show(self, session: Session | None, marker_ts: int | None = None) -> None:
        """Draw this session with this call marked; nothing to do when that is what is drawn."""
        with self.lock:
            view = None if session is None else (
                session.sid, session.calls, len(session.findings), len(session.spans), session.last_ts, marker_ts)
        if session is self.session and view == self._view:
            return
        self.session, self.marker_ts, self._view = session, marker_ts, view
        self.refresh()

    def render(self) -> Text:
        width = max(self.size.width - LABEL_WIDTH, 1)
        session = self.session
        if session is None:
            return Text("no session selected", style="dim")
        with self.lock:
            key = (session.sid, session.calls, len(session.findings), len(session.spans),
                   len(session.ping_ts), session.last_ts, width)
            if key != self._cache_key:
                rows = [colour_row(kind, row) for kind, row in lane_rows(session, width)]
                rows.append(Text(" " * LABEL_WIDTH + lane_axis(session, width), style="dim"))
                self._cache, self._cache_key, self._bounds = rows, key, ts_range(session)
        bounds = self._bounds
        lines = [row.copy() for row in self._cache]
        if self.marker_ts is not None and bounds is not None:
            x = LABEL_WIDTH + column_of(self.marker_ts, bounds, width)
            for line in lines[:-1]:
                line.stylize("reverse", x, x + 1)
        return Text("\n").join(lines)
