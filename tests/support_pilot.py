"""Shared helpers for the dashboard tests driven through Textual's Pilot (test_tui*.py)."""

from __future__ import annotations

import asyncio
import functools

from playhead.simulate import SCENARIOS
from playhead.tui.app import Dashboard

NAMES = list(SCENARIOS)


def pilot_test(fn):
    """Run an async Pilot test on its own event loop (no asyncio plugin needed)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))
    return run


def sid_of(name: str) -> str:
    """The sid the tests give a scenario's session: one per scenario, the same every run."""
    return f"{NAMES.index(name):02d}" * 32


def lines(app: Dashboard, widget=None) -> list[str]:
    """The text on screen, whole or inside one widget's region."""
    strips = app.screen._compositor.render_strips()
    text = [strip.text for strip in strips]
    if widget is None:
        return text
    r = widget.region
    return [line[r.x:r.x + r.width] for line in text[r.y:r.y + r.height]]


async def select_session(pilot, app: Dashboard, sid: str) -> None:
    """Move the sessions table's cursor to the session `sid`, as a user would."""
    index = next(i for i, s in enumerate(app.sessions_table.sessions) if s.sid == sid)
    app.sessions_table.focus()
    await pilot.press("home", *["down"] * index)
    await pilot.pause()
