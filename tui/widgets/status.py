"""The status line: where calls come from and how fast, and what the device needs to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from ...io.reports.safe import literal

CA_HINT = "install the CA: http://mitm.it via the proxy"


@dataclass(frozen=True, slots=True)
class Origin:
    """What feeds the dashboard: a live proxy (forward or sink) or saved captures (view)."""

    mode: str  # "forward" | "sink" | "view"
    listen: str | None = None  # "127.0.0.1:8080" while a proxy listens
    recording: str | None = None  # the --record file, if any
    files: tuple[str, ...] = ()  # the captures a view reads
    demo: bool = False  # the simulated player is the device

    @property
    def live(self) -> bool:
        return self.mode != "view"


@dataclass(frozen=True, slots=True)
class Counts:
    """What the run holds: calls, sessions, findings by severity, the calls the memory cap
    dropped (they count in `calls`: the findings about them stay), and the sessions `c` (clear)
    hid from view (they count in `sessions`)."""

    calls: int = 0
    sessions: int = 0
    errors: int = 0
    warnings: int = 0
    dropped: int = 0
    hidden: int = 0


def status_text(origin: Origin, counts: Counts, rate: float | None, follow: bool) -> Text:
    """One line; the file names and addresses are user input, so they go in as plain text.
    The counts live here rather than in pane titles: this line repaints alone, a title repaints
    its whole pane."""
    text = Text()
    badge = {"forward": "FORWARD", "sink": "SINK", "view": "VIEW"}.get(origin.mode, origin.mode.upper())
    text.append(f" {'DEMO · ' if origin.demo else ''}{badge} ", style="reverse bold")
    parts: list[Text] = []
    # A run long enough to meet the memory cap has its device set up: the note takes the CA
    # hint's place, near the start of the line where a narrow terminal does not cut it.
    dropped = counts.dropped
    cap_note = Text(f"memory cap: {dropped:,} call{'' if dropped == 1 else 's'} dropped", style="yellow")
    if origin.live:
        parts.append(Text(f"proxy {literal(origin.listen or 'starting…')}", style="bold"))
        if dropped:
            parts.append(cap_note)
        elif not origin.demo:
            parts.append(Text(CA_HINT))
        parts.append(Text(f"{rate:.1f} calls/s" if rate is not None else "- calls/s"))
        parts.append(Text(f"rec {literal(Path(origin.recording).name)}" if origin.recording else "rec off",
                          style="" if origin.recording else "dim"))
        parts.append(Text(f"follow {'on' if follow else 'off'}", style="" if follow else "dim"))
    else:
        names = ", ".join(literal(Path(f).name) for f in origin.files) or "(no file)"
        parts.append(Text(names, style="bold"))
        if dropped:
            parts.append(cap_note)
    calls, sessions, errors, warnings = counts.calls, counts.sessions, counts.errors, counts.warnings
    parts.append(Text(f"{calls} call{'' if calls == 1 else 's'}, {sessions} session{'' if sessions == 1 else 's'}"
                      + (f" ({counts.hidden} cleared from view)" if counts.hidden else "")))
    parts.append(Text.assemble((f"{errors} error{'' if errors == 1 else 's'}", "bold red" if errors else "dim"),
                               "  ", (f"{warnings} warning{'' if warnings == 1 else 's'}",
                                      "yellow" if warnings else "dim")))
    text.append(" ")
    text.append_text(Text(" │ ", style="dim").join(parts))
    return text


class StatusLine(Widget):
    """One line of fixed height: updating it repaints the line, never the layout. It changes on
    almost every redraw (the call count), so it is drawn as one strip of segments rather than
    through Textual's general text rendering (a quarter of the cost)."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
    }
    """

    _text = Text()

    def show(self, origin: Origin, counts: Counts, rate: float | None, follow: bool) -> None:
        text = status_text(origin, counts, rate, follow)
        if text != self._text:
            self._text = text
            self.refresh()

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        segments = Segment.apply_style(self._text.render(self.app.console), base) if y == 0 else []
        return Strip(segments).adjust_cell_length(self.size.width, base)
