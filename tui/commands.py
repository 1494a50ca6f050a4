"""The dashboard's commands in the command palette (ctrl+p): the same actions as the keys, found
by name for whoever does not remember the key."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (title, action name, help): the order the palette lists them in when nothing is typed.
COMMANDS = (
    ("Filter findings", "filter", "Show findings by severity, rule and session  (key /)"),
    ("Errors only", "errors_only", "Toggle showing only error findings  (key e)"),
    ("Fold pings", "fold_pings", "Fold or unfold pings in the timeline  (key p)"),
    ("Follow live", "follow", "Keep the newest call and finding in view, on or off  (key f)"),
    ("Save report", "save_report", "Write an HTML, Markdown, JSON, JUnit or text report  (key s)"),
    ("Clear", "clear", "Hide the sessions and findings shown now  (key c)"),
    ("Help", "help", "What the panes, marks and keys mean  (key ?)"),
    ("Quit", "quit", "Leave playhead  (key q)"),
)


class DashboardCommands(Provider):
    async def discover(self) -> Hits:
        for title, action, help in COMMANDS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help)
