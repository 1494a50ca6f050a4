"""Save a report: ask for a file name; its extension picks the format."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from ...io.reports import format_for_path


class SaveReportScreen(ModalScreen[Path | None]):
    """Enter saves to the typed path, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="save-form"):
            yield Label("File (.html, .md, .json, .xml = JUnit, anything else = text)")
            yield Input(self.default, id="path")
            yield Label(self._format_line(self.default), id="save-format")

    def on_mount(self) -> None:
        self.query_one("#save-form").border_title = "Save report"
        self.query_one("#path", Input).focus()

    @staticmethod
    def _format_line(path: str) -> str:
        return f"format: {format_for_path(path)}" if path.strip() else "type a file name"

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#save-format", Label).update(self._format_line(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(Path(event.value.strip()).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
