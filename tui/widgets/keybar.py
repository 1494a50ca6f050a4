"""The key bar: the app's keys on one line.

Textual's Footer rebuilds its key widgets whenever the focused widget changes; with panes to tab
between, that cost a frame or three of 50 ms or more per tab. These keys are the app's own and
do not change with focus, so one line of text, drawn once per resize, says the same.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def render(self) -> Text:
        text = Text(" ")
        for binding in self.app.BINDINGS:
            if not binding.show:
                continue
            text.append(f" {self.app.get_key_display(binding)} ", style="bold reverse")
            text.append(f" {binding.description}  ")
        text.append(" ctrl+p ", style="bold reverse")
        text.append(" commands")
        return text
