"""`playhead demo`: the sink-mode proxy on loopback, the simulated players sending real HTTP
through it, and the dashboard showing sessions and findings while they play."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time

import pytest
from support_tui import WAIT_LIMIT, Terminal

from playhead.core.findings import Severity
from playhead.tui.launch import demo_app

pytestmark = pytest.mark.slow


def demo_args(**overrides) -> argparse.Namespace:
    values = dict(listen_host="127.0.0.1", port=0, speed=10.0, scenario=[], record=None, report=None, schemas=[],
                  max_calls=0)
    values.update(overrides)
    return argparse.Namespace(**values)


def test_demo_shows_live_sessions_and_findings(tmp_path):
    record = tmp_path / "demo.jsonl"
    app, runner, player = demo_app(demo_args(record=record))

    async def run() -> dict:
        async with app.run_test(size=(160, 48)) as pilot:
            deadline = time.monotonic() + WAIT_LIMIT
            seen: dict = {}
            while time.monotonic() < deadline:
                await pilot.pause(0.2)
                shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
                rows = app.sessions_table.row_count
                errors = [row for row in shown.splitlines() if " ERR " in row]
                if rows >= 10 and errors:
                    seen = {"shown": shown, "rows": rows,
                            "open": [s.sid for s in app.sessions_table.sessions if s.closed_by is None]}
                    break
            return seen

    try:
        seen = asyncio.run(run())
    finally:
        player.stop()
        runner.stop()
    assert seen, "no sessions and findings on screen"
    shown = seen["shown"]
    assert "DEMO · SINK" in shown and "proxy 127.0.0.1:" in shown
    assert re.search(r"rec demo\.jsonl", shown)
    assert "demo-vod-00" in shown  # the scenarios' media ids in the sessions table
    assert seen["open"], "findings showed only after every session had ended: not live"
    assert record.stat().st_size > 0  # the sink really answered real HTTP through mitmproxy
    with runner.tracker.lock:
        rules = {f.rule for f in runner.tracker.findings if f.severity is Severity.ERROR}
    assert rules & {"ts-units", "http-error", "ad-outside-break", "unknown-event-type"}


def test_playhead_demo_runs_in_a_terminal_and_quits_cleanly(tmp_path):
    """The real command in a pseudo-terminal: it draws, shows findings, and `q` ends it with the
    summary line (and the --report written)."""
    report = tmp_path / "demo.json"
    term = Terminal(["-m", "playhead.cli", "demo", "--speed", "20", "--report", str(report)])
    try:
        assert term.read_until(lambda: "ad-outside-break" in term.text() and "demo-vod-002" in term.text())
        os.write(term.fd, b"q")
        assert term.read_until(lambda: "API call" in term.text())
        assert term.wait() == 0
    finally:
        term.close()
    assert re.search(r"playhead: \d+ API calls?, \d+ sessions?: \d+ errors?", term.text())
    assert "report written to" in term.text() and report.exists()
