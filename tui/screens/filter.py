"""The findings filter: lowest severity, rule and session, as a small form."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select

from ...core.findings import REGISTRY, Severity
from ..widgets.findings import FindingFilter

SEVERITY_CHOICES = [
    ("all severities", Severity.INFO),
    ("warnings and errors", Severity.WARNING),
    ("errors only", Severity.ERROR),
]


class FilterScreen(ModalScreen[FindingFilter | None]):
    """Enter applies, escape leaves the filter as it was, Reset shows everything."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: FindingFilter) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        # The fields one types in come first: the form opens on the first one, and tab walks
        # them in the order shown (it opened on its second field, and tab went on to the buttons).
        with Vertical(id="filter-form"):
            yield Label("Rule id contains")
            yield Input(self.current.rule, placeholder="e.g. ad-  or  ping-late", id="rule",
                        suggester=SuggestFromList([r.id for r in REGISTRY], case_sensitive=False))
            yield Label("Session id or media contains")
            yield Input(self.current.session, placeholder="e.g. 3f2a  or  demo-vod-002", id="session")
            yield Label("Severity")
            yield Select(SEVERITY_CHOICES, value=self.current.severity, allow_blank=False, id="severity")
            with Horizontal(id="filter-buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Reset", id="reset")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#filter-form").border_title = "Filter findings"
        self.query_one("#rule", Input).focus()

    def _chosen(self) -> FindingFilter:
        return FindingFilter(
            severity=self.query_one("#severity", Select).value,
            rule=self.query_one("#rule", Input).value.strip(),
            session=self.query_one("#session", Input).value.strip(),
            scope=self.current.scope,  # the selected session stays selected
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def apply(self) -> None:
        self.dismiss(self._chosen())

    @on(Button.Pressed, "#reset")
    def reset(self) -> None:
        self.dismiss(FindingFilter())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
