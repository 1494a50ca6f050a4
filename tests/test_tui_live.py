"""`playhead proxy` with the dashboard: the real command in a pseudo-terminal (the status line
says where the proxy listens, a player's calls through that address show up as a session and a
finding, `q` stops the proxy cleanly), and mitmproxy's own warnings shown as notifications."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import ssl

import pytest
from support_tui import Terminal

from playhead.io.recording import read_recording
from playhead.proxy.process import ProxyProcess
from playhead.simulate import SCENARIOS, Player
from playhead.tui.app import Dashboard
from playhead.tui.launch import DashboardLog
from playhead.tui.widgets.status import Origin

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


def test_a_device_refusing_the_ca_is_told_on_screen(tmp_path):
    """mitmproxy's own warnings reach the dashboard as notifications instead of being written
    over the screen (from the proxy's own process, through its pipe): here the one a device
    gives when it does not trust the CA yet."""
    log = DashboardLog()
    runner = ProxyProcess(port=0, log=log, options={"confdir": str(tmp_path), "connection_strategy": "lazy"})
    runner.start()
    port = runner.listen_address[1]
    app = Dashboard(runner.tracker, Origin("forward", listen=f"127.0.0.1:{port}"))
    log.app = app

    def device_without_the_ca() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"CONNECT example.hb-api.omtrdc.net:443 HTTP/1.1\r\n\r\n")
            assert sock.recv(1000).startswith(b"HTTP/1.1 200")
            with pytest.raises(ssl.SSLCertVerificationError):
                ssl.create_default_context().wrap_socket(sock, server_hostname="example.hb-api.omtrdc.net")

    async def run() -> list[str]:
        async with app.run_test(size=(160, 48), notifications=True) as pilot:
            await asyncio.to_thread(device_without_the_ca)
            for _ in range(100):  # bounded: the warning is logged as the handshake fails
                await pilot.pause(0.05)
                shown = [str(n.message) for n in app._notifications]
                if shown:
                    return shown
            return []

    try:
        shown = asyncio.run(run())
    finally:
        runner.stop()
    assert any("does not trust the proxy's certificate" in line for line in shown), shown


def _proxy_process(pid: int) -> int:
    """The pid of the dashboard's proxy process: its one child."""
    children = open(f"/proc/{pid}/task/{pid}/children").read().split()
    assert len(children) == 1, children
    return int(children[0])


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_the_proxy_process_dying_is_said_on_screen_and_the_report_keeps_what_arrived(tmp_path):
    """SPEC §2: mitmproxy runs in a child of the dashboard. Killed, the dashboard says so and
    keeps what it has; `q` still writes the report."""
    report = tmp_path / "live.json"
    term = Terminal(["-m", "playhead.cli", "proxy", "--port", "0", "--sink", "--report", str(report)])
    try:
        assert term.read_until(lambda: re.search(r"proxy 127\.0\.0\.1:(\d+)", term.text()))
        port = int(re.search(r"proxy 127\.0\.0\.1:(\d+)", term.text()).group(1))
        Player("http://example.hb-api.omtrdc.net", proxy=f"http://127.0.0.1:{port}", speed=0).play(
            SCENARIOS["ts-in-seconds"])
        assert term.read_until(lambda: "ts-units" in term.text())
        os.kill(_proxy_process(term.pid), signal.SIGKILL)
        said = "proxy stopped: the proxy process ended (killed by signal 9)"
        assert term.read_until(lambda: said in re.sub(r"[\s▌]+", " ", term.text()))  # the toast wraps its lines
        os.write(term.fd, b"q")
        assert term.wait() == 0
    finally:
        term.close()
    assert re.search(r"playhead: 6 API calls, 1 session: 1 error", term.text())
    assert json.loads(report.read_text())["summary"]["calls"] == 6


def test_sigint_to_the_dashboard_ends_it_as_q_does_and_its_proxy_process_with_it(tmp_path):
    report, record = tmp_path / "live.json", tmp_path / "live.jsonl"
    term = Terminal(["-m", "playhead.cli", "proxy", "--port", "0", "--sink", "--report", str(report),
                     "--record", str(record)])
    try:
        assert term.read_until(lambda: re.search(r"proxy 127\.0\.0\.1:(\d+)", term.text()))
        port = int(re.search(r"proxy 127\.0\.0\.1:(\d+)", term.text()).group(1))
        child = _proxy_process(term.pid)
        Player("http://example.hb-api.omtrdc.net", proxy=f"http://127.0.0.1:{port}", speed=0).play(
            SCENARIOS["ts-in-seconds"])
        assert term.read_until(lambda: "ts-units" in term.text())
        os.kill(term.pid, signal.SIGINT)
        assert term.wait() == 0
    finally:
        term.close()
    assert _gone(child)
    assert re.search(r"playhead: 6 API calls, 1 session: 1 error", term.text())
    assert json.loads(report.read_text())["summary"]["calls"] == 6
    assert len(list(read_recording(record))) == 6
