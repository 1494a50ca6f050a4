"""The dashboard's proxy in a process of its own (ProxyProcess, SPEC §2): real child processes,
real HTTP through them on 127.0.0.1. Calls cross the pipe into the tracker, the recording (the
child's) and the report (the parent's) come out whole on stop and when the child dies, the API
answers through the proxy with its reset in order, and no child outlives its parent. (A start
error: test_proxy.py, for both kinds of proxy.)"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import urllib.request

import pytest
from support_proxy import TIMEOUT, wait_for

from playhead.io.recording import read_recording
from playhead.proxy.process import ProxyProcess
from playhead.proxy.recorder import Spool
from playhead.simulate import SCENARIOS, Player

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def proxy(tmp_path):
    """A sink-mode ProxyProcess with a recording and a report, stopped (and its child with it)
    whatever the test does."""
    made = ProxyProcess(port=0, sink=True, record=tmp_path / "run.jsonl", report=tmp_path / "run.json",
                        options={"confdir": str(tmp_path)})
    made.start()
    try:
        yield made
    finally:
        made.stop()
        if made._proc is not None and made._proc.poll() is None:
            made._proc.kill()


def play(proxy: ProxyProcess, scenario: str = "ts-in-seconds") -> list[int | None]:
    host, port = proxy.listen_address
    return Player("http://example.hb-api.omtrdc.net", proxy=f"http://{host}:{port}", speed=0).play(
        SCENARIOS[scenario]).statuses


def test_calls_cross_the_pipe_and_stop_leaves_the_recording_and_the_report_whole(proxy, tmp_path):
    assert play(proxy) == [201, 204, 204, 204, 204, 204]  # the sink answers in the child
    wait_for(lambda: proxy.tracker.calls == 6)
    with proxy.tracker.lock:
        assert "ts-units" in {f.rule for f in proxy.tracker.findings}
    child = proxy._proc
    proxy.stop()
    assert child.poll() == 0 and not proxy.running
    assert json.loads((tmp_path / "run.json").read_text())["summary"]["calls"] == 6
    assert len(list(read_recording(tmp_path / "run.jsonl"))) == 6


def test_a_sid_the_sink_never_issued_is_answered_404_by_the_child(proxy):
    host, port = proxy.listen_address
    conn = socket.create_connection((host, port), timeout=TIMEOUT)
    body = b'{"playerTime": {"playhead": 0, "ts": 1764115200000}, "eventType": "play"}'
    conn.sendall(b"POST http://example.hb-api.omtrdc.net/api/v1/sessions/" + b"0" * 64 + b"/events HTTP/1.1\r\n"
                 b"Host: example.hb-api.omtrdc.net\r\nContent-Type: application/json\r\nConnection: close\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    answer = b""
    while chunk := conn.recv(4096):
        answer += chunk
    conn.close()
    assert answer.startswith(b"HTTP/1.1 404")
    wait_for(lambda: proxy.tracker.calls == 1)


def test_the_api_answers_through_the_proxy_and_its_reset_stands_in_order(proxy, tmp_path):
    host, port = proxy.listen_address
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": f"http://{host}:{port}"}))
    play(proxy)
    wait_for(lambda: proxy.tracker.calls == 6)
    with opener.open("http://playhead.api/v1/status", timeout=TIMEOUT) as answer:
        status = json.load(answer)
    assert status["mode"] == "sink" and status["listen"] == f"{host}:{port}"
    assert status["summary"]["calls"] == 6
    with opener.open(urllib.request.Request("http://playhead.api/v1/reset", data=b"", method="POST"), timeout=TIMEOUT):
        pass
    assert proxy.tracker.calls == 0  # the reset is done when it answers
    play(proxy, "vod-clean")
    wait_for(lambda: proxy.tracker.sessions and proxy.tracker.calls == len(SCENARIOS["vod-clean"].steps))
    proxy.stop()
    lines = [json.loads(line) for line in (tmp_path / "run.jsonl").read_text().splitlines()[1:]]
    marks = [n for n, line in enumerate(lines) if line.get("playhead_mark") == "reset"]
    assert marks == [6] and len(lines) == 7 + len(SCENARIOS["vod-clean"].steps)


def test_a_killed_proxy_process_is_said_and_what_arrived_stays_for_the_report(proxy, tmp_path):
    play(proxy)
    wait_for(lambda: proxy.tracker.calls == 6)
    os.kill(proxy._proc.pid, signal.SIGKILL)
    wait_for(lambda: not proxy.running)
    assert proxy.error == "the proxy process ended (killed by signal 9)"
    proxy.stop()
    assert json.loads((tmp_path / "run.json").read_text())["summary"]["calls"] == 6
    assert len(list(read_recording(tmp_path / "run.jsonl"))) >= 3  # kill -9: the writer's queue may lose a few


def test_the_proxy_process_ends_with_its_parent_however_the_parent_ends(tmp_path):
    """The parent killed with SIGKILL (no chance to clean up): its child sees its control pipe
    end, stops cleanly (the recording whole) and exits."""
    script = textwrap.dedent(f"""
        import sys
        from playhead.proxy.process import ProxyProcess
        proxy = ProxyProcess(port=0, sink=True, record={str(tmp_path / 'run.jsonl')!r},
                             options={{"confdir": {str(tmp_path)!r}}})
        proxy.start()
        print(proxy._proc.pid, proxy.listen_address[1], flush=True)
        sys.stdin.read()
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    child = None
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(parent.stdout.readline()), daemon=True)
        reader.start()
        reader.join(TIMEOUT)
        child, port = (int(x) for x in line[0].split())
        Player("http://example.hb-api.omtrdc.net", proxy=f"http://127.0.0.1:{port}", speed=0).play(
            SCENARIOS["vod-clean"])
        parent.kill()
        parent.wait(TIMEOUT)
        wait_for(lambda: not _alive(child))
    finally:
        parent.kill()
        parent.wait(TIMEOUT)
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)
    assert len(list(read_recording(tmp_path / "run.jsonl"))) == len(SCENARIOS["vod-clean"].steps)


def test_a_writer_that_stops_answering_never_holds_up_put():
    """What keeps the proxy from waiting on a dashboard that stopped reading its pipe (or a disk
    that stopped answering): past the bound, put refuses at once and counts; what it accepted is
    written, in order, once the writer answers again."""
    release = threading.Event()
    written: list[int] = []

    def write(batch: list[int]) -> None:
        release.wait(TIMEOUT)
        written.extend(batch)

    spool = Spool(write, lambda item: 100, lambda exc: None, max_bytes=1000)
    accepted = [n for n in range(50) if spool.put(n)]
    assert 10 <= len(accepted) <= 11 and spool.refused == 50 - len(accepted)
    release.set()
    assert spool.close(TIMEOUT)
    assert written == accepted
