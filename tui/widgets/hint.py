"""Under the findings feed: the highlighted finding in full, what it does to Adobe's reports and
how to fix it, so a newcomer reads the answer instead of looking a rule id up."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from ...core.findings import REGISTRY, Finding
from ...io.reports.safe import literal, show
from ..rows import SEVERITY_STYLE, short_sid


def hint_text(finding: Finding | None) -> Text:
    if finding is None:
        return Text("no finding selected", style="dim")
    text = Text()
    text.append(f"{finding.severity.label.upper()} ", style=SEVERITY_STYLE[finding.severity])
    text.append(literal(finding.rule), style="bold")
    where = []
    if finding.session is not None:
        where.append(f"session {short_sid(finding.session)}")
    if finding.call is not None:
        where.append(f"call {finding.call}")
    if finding.event_type is not None:
        where.append(show(finding.event_type))
    if where:
        text.append("  " + " · ".join(where), style="dim")
    text.append("\n")
    text.append(literal(finding.message))
    if finding.path:
        text.append(f"\nat {literal(finding.path)}", style="bold")
    rule = REGISTRY.rules.get(finding.rule)
    if rule is not None:
        text.append("\nimpact ", style="dim")
        text.append(rule.impact)
        text.append("\nfix ", style="dim")
        text.append(rule.fix, style="green")
    return text


class FindingHint(Widget):
    """A box of fixed height (set in the stylesheet), so showing another finding repaints the
    box and never re-lays out the screen; a long message wraps and is cut at the bottom."""

    _shown: Finding | None = None
    _text = Text()

    def show(self, finding: Finding | None) -> None:
        if finding is not self._shown or not self._text:
            self._shown = finding
            self._text = hint_text(finding)
            self.refresh()

    def render(self) -> Text:
        return self._text
