"""The status line: where calls come from and how fast, and what the device needs to do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from ...io.reports.safe import literal

CA_HINT = "install the CA: open http://mitm.it through the proxy"


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


def status_text(origin: Origin, calls: int, rate: float | None, follow: bool) -> Text:
    """One line; the file names and addresses are user input, so they go in as plain text."""
    text = Text()
    badge = {"forward": "FORWARD", "sink": "SINK", "view": "VIEW"}.get(origin.mode, origin.mode.upper())
    text.append(f" {'DEMO · ' if origin.demo else ''}{badge} ", style="reverse bold")
    parts: list[Text] = []
    if origin.live:
        parts.append(Text(f"proxy {literal(origin.listen or 'starting…')}", style="bold"))
        if not origin.demo:
            parts.append(Text(CA_HINT))
        parts.append(Text(f"{rate:.1f} calls/s" if rate is not None else "- calls/s"))
        parts.append(Text(f"rec {literal(Path(origin.recording).name)}" if origin.recording else "rec off",
                          style="" if origin.recording else "dim"))
        parts.append(Text(f"follow {'on' if follow else 'off'}", style="" if follow else "dim"))
    else:
        names = ", ".join(literal(Path(f).name) for f in origin.files) or "(no file)"
        parts.append(Text(names, style="bold"))
    parts.append(Text(f"{calls} call{'' if calls == 1 else 's'}", style="dim"))
    text.append(" ")
    text.append_text(Text(" │ ", style="dim").join(parts))
    return text


class StatusLine(Static):
    def show(self, origin: Origin, calls: int, rate: float | None, follow: bool) -> None:
        self.update(status_text(origin, calls, rate, follow))
