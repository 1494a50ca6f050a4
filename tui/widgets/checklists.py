"""The checklist panel (SPEC §13): for the selected session, each checklist that applies to it,
ticking step by step as its calls arrive; failed first, then what is still awaited."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from ...checklists import FAILED, INCOMPLETE, PASSED, Verdict
from ...io.reports.safe import literal

MARK = {PASSED: ("✓", "green"), FAILED: ("✗", "bold red"), INCOMPLETE: ("…", "yellow")}
_ORDER = {FAILED: 0, INCOMPLETE: 1, PASSED: 2}


def panel_lines(verdicts: Sequence[Verdict], selected: bool) -> list[Text]:
    """One line per checklist: worst first, with the first step that is not passed."""
    if not verdicts:
        return [Text("select a session: its checklists tick here" if not selected
                     else "no checklist applies to this session yet", style="dim")]
    out = []
    for verdict in sorted(verdicts, key=lambda v: _ORDER[v.status]):
        mark, style = MARK[verdict.status]
        done = sum(s.status == PASSED for s in verdict.steps)
        text = Text(f"{mark} ", style=style)
        text.append(f"{literal(verdict.checklist.name)} ", style="bold")
        text.append(f"{done}/{len(verdict.steps)}", style=style)
        step = next((s for s in verdict.steps if s.status == verdict.status), None)
        if verdict.status != PASSED and step is not None:
            text.append(f"  {literal(step.step.title)}: {literal(step.detail)}", style="dim")
        out.append(text)
    return out


class ChecklistPanel(Widget):
    """A box of fixed height (set in the stylesheet), redrawn only when its text changed."""

    _lines: list[Text] = []

    def show(self, verdicts: Sequence[Verdict], selected: bool) -> None:
        lines = panel_lines(verdicts, selected)
        if [t.plain for t in lines] != [t.plain for t in self._lines]:
            self._lines = lines
            self.refresh()

    def render(self) -> Text:
        width = max(self.content_size.width, 1)
        cut = []
        for line in self._lines:
            line = line.copy()
            line.truncate(width, overflow="ellipsis")
            cut.append(line)
        return Text("\n").join(cut)
