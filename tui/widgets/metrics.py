"""The metrics box (SPEC §14): for the selected session, what Adobe's processing will report
(content starts, time spent, ads counted ...), as playhead computes it from the timeline. The
numbers come from core/metrics.py, the same ones the reports print; here they are packed into a
few lines under the lanes, so "this ad never counted" is read beside the picture that shows why.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ...core.metrics import METRIC_LABELS, session_metrics
from ...core.model import Session
from ...io.reports.summary import metric_text

# Shorter names than the reports' (METRIC_LABELS), to fit a few lines ("completes" after "ad
# starts" are the ads'); a metric not named here shows under its report label. A label ending
# " (s)" is in seconds: the box puts the unit on the value instead.
SHORT = {
    "contentCompletes": "completes",
    "contentTimeSpent": "content time",
    "mediaTimeSpent": "media time",
    "adCompletes": "completes",
    "adTimeSpent": "ad time",
    "chapterStarts": "chapters",
    "chapterCompletes": "completes",
    "pauseEvents": "pauses",
    "pauseTime": "paused",
    "bufferEvents": "buffers",
    "bufferTime": "buffering",
    "bitrateChanges": "bitrate changes",
    "errorEvents": "errors",
    "playerStates": "player states",
}
SEPARATOR = " · "


def metrics_text(session: Session | None) -> Text:
    """One pair per metric, in METRIC_LABELS' order; a pair never breaks across lines. Only
    numbers and playhead's own labels: nothing from the wire."""
    if session is None:
        return Text("select a session: what Adobe would count shows here", style="dim")
    text = Text()
    for key, value in session_metrics(session).items():
        label = METRIC_LABELS.get(key, key)
        seconds = label.endswith(" (s)")
        name = SHORT.get(key, label.removesuffix(" (s)"))
        number = metric_text(value) + (" s" if seconds and value is not None else "")
        if text:
            text.append(SEPARATOR, style="dim")
        # No-break spaces keep "content time 45 s" whole when the line wraps.
        text.append(f"{name} ".replace(" ", "\u00a0"), style="dim")
        text.append(number.replace(" ", "\u00a0"), style="bold")
    return text


class MetricsBox(Widget):
    """A box of fixed height (set in the stylesheet) under the lanes; it repaints only when a
    number changed, at most once per redraw of the dashboard (which batches the traffic)."""

    _text = Text()

    def show(self, session: Session | None) -> None:
        """Call under the tracker's lock."""
        text = metrics_text(session)
        if text.plain != self._text.plain:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return self._text
