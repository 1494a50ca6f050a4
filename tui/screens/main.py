"""The dashboard's own screen: Textual's, except that moving the focus does not repaint it.

Textual's Screen repaints itself whole whenever the focused widget changes: every line of
every pane is composed again and the whole terminal rewritten, the costliest frame the
dashboard had (a tab key). The lists that gain and lose the focus restyle themselves, and
nothing else on screen depends on where the focus is, so here a tab costs those two lists.
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class MainScreen(Screen):
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
