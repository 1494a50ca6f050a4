"""`playhead demo`: the sink-mode proxy on loopback, the simulated players sending real HTTP
through it, and the dashboard showing sessions and findings while they play."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

import pytest

from playhead.core.findings import Severity
from playhead.tui.launch import demo_app

pytestmark = pytest.mark.slow

WAIT_LIMIT = 30.0  # seconds: a bound for the loops below, not a speed claim


def demo_args(**overrides) -> argparse.Namespace:
    values = dict(listen_host="127.0.0.1", port=0, speed=10.0, scenario=[], record=None, report=None, schemas=[])
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
    pid, fd = pty.fork()
    if pid == 0:  # the child: the playhead command itself, never back into pytest
        try:
            env = dict(os.environ, TERM="xterm-256color", COLUMNS="160", LINES="48")
            os.execve(sys.executable, [sys.executable, "-m", "playhead.cli", "demo", "--speed", "20",
                                       "--report", str(report)], env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
    output = bytearray()

    def read_until(predicate, limit: float) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    output.extend(os.read(fd, 65536))
                except OSError:  # the child closed the terminal
                    return predicate()
            if predicate():
                return True
        return False

    def plain() -> str:
        return re.sub(rb"\x1b\[[0-9;?<>=]*[a-zA-Z~]", b"", bytes(output)).decode("utf-8", "replace")

    status = None
    try:
        assert read_until(lambda: "ad-outside-break" in plain() and "demo-vod-002" in plain(), WAIT_LIMIT)
        os.write(fd, b"q")
        assert read_until(lambda: "API calls" in plain(), WAIT_LIMIT)
        deadline = time.monotonic() + WAIT_LIMIT
        while status is None and time.monotonic() < deadline:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
            else:
                read_until(lambda: False, 0.2)
        assert status is not None and os.waitstatus_to_exitcode(status) == 0
    finally:
        if status is None:  # never leave the child running
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    assert re.search(r"playhead: \d+ API calls, \d+ sessions: \d+ errors?", plain())
    assert "report written to" in plain() and report.exists()
