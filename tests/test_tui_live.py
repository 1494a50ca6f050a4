"""`playhead proxy` with the dashboard, the real command in a pseudo-terminal: the status line
says where the proxy listens, a player's calls through that address show up as a session and a
finding, and `q` stops the proxy cleanly (report written, summary printed)."""

from __future__ import annotations

import json
import os
import re

import pytest
from support_tui import Terminal

from playhead.simulate import SCENARIOS, Player

pytestmark = pytest.mark.slow


def test_proxy_with_dashboard_shows_traffic_and_quits_cleanly(tmp_path):
    report = tmp_path / "live.json"
    term = Terminal(["-m", "playhead.cli", "proxy", "--port", "0", "--sink", "--report", str(report)])
    try:
        assert term.read_until(lambda: re.search(r"proxy 127\.0\.0\.1:(\d+)", term.text()))
        port = int(re.search(r"proxy 127\.0\.0\.1:(\d+)", term.text()).group(1))
        assert "install the CA: http://mitm.it via the proxy" in term.text()

        player = Player("http://example.hb-api.omtrdc.net", proxy=f"http://127.0.0.1:{port}", speed=0)
        result = player.play(SCENARIOS["ts-in-seconds"])
        assert result.statuses[0] == 201 and set(result.statuses[1:]) == {204}
        assert term.read_until(lambda: "demo-vod-006" in term.text() and "ts-units" in term.text())

        os.write(term.fd, b"q")
        assert term.read_until(lambda: "API calls" in term.text())
        assert term.wait() == 0
    finally:
        term.close()
    assert re.search(r"playhead: 6 API calls, 1 session: 1 error", term.text())
    written = json.loads(report.read_text())
    assert written["summary"]["calls"] == 6 and "ts-units" in {f["rule"] for f in written["findings"]}
