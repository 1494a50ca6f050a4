"""`playhead view`: the dashboard over a saved capture, read by the real readers on a worker thread."""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path

from playhead.cli import main
from playhead.tui.launch import view_app
from playhead.tui.screens.detail import CallDetail

DATA = Path(__file__).parent / "data"


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def test_view_over_a_har_shows_its_session_findings_and_schema_paths():
    app = view_app(argparse.Namespace(files=[DATA / "reader_chrome.har"], schemas=[], max_calls=0))

    async def run() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)  # one redraw interval after the last call
            shown = screen_text(app)
            assert " VIEW " in shown and "reader_chrome.har" in shown
            row = next(line for line in shown.splitlines() if "d2a1c8f0" in line and "vid-1" in line)
            assert re.search(r"\b4\s+7\s+1\b", row)  # calls, errors, warnings
            assert re.search(r"ERR  schema +d2a1c8f0 +0 \$\.params\[", shown)
            assert "follow" not in shown.splitlines()[0]  # no live-only status in a view

            app.timeline.focus()
            await pilot.press("home", "enter")
            await pilot.pause()
            assert isinstance(app.screen, CallDetail)
            detail = screen_text(app).splitlines()
            params = next(i for i, line in enumerate(detail) if '"params": {' in line)
            assert "✗ missing required property 'analytics.trackingServer'" in detail[params + 1]

    asyncio.run(run())


def test_view_refuses_an_unreadable_file_in_one_line(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert main(["view", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "notes.txt" in err
