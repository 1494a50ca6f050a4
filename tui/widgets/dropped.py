"""Above the timeline: how many of the session's calls the memory cap has dropped, and where they
still are. A long run keeps at most `--max-calls` calls in memory (core/retention.py); without this
line a summarised session's timeline would silently start in the middle."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ...core.model import Session
from .status import Origin


def dropped_text(what: str, cap: int | None, origin: Origin) -> str:
    """"<what> dropped from memory (cap N); <where every call still is>": the dashboard must not
    promise a recording that was never made."""
    if not origin.live:
        kept = "the capture file keeps every call"
    elif origin.recording:
        kept = "the recording keeps every call"
    else:
        kept = "not recorded (--record FILE keeps every call)"
    return f"{what} dropped from memory{f' (cap {cap:,})' if cap else ''}; {kept}"


class DroppedNotice(Widget):
    """A line (two when the pane is narrow), shown only for a session that lost calls to the cap: it appears or goes when the
    selection changes (or the first trim hits the session), and repaints alone otherwise."""

    DEFAULT_CSS = """
    DroppedNotice {
        height: auto;  /* wraps in a narrow pane: the second half says where the calls still are */
        max-height: 2;
        display: none;
        padding: 0 1;
        color: $warning;
    }
    """

    _text = Text()

    def show(self, session: Session | None, cap: int | None, origin: Origin) -> None:
        """Call under the tracker's lock."""
        dropped = session.dropped if session is not None else 0
        what = f"{dropped:,} earlier call{'' if dropped == 1 else 's'}"
        text = Text(dropped_text(what, cap, origin)) if dropped else Text()
        if text != self._text:
            self._text = text
            self.display = bool(dropped)
            self.refresh()

    def render(self) -> Text:
        return self._text
