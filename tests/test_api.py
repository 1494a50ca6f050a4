"""The automation API (SPEC §12) over real HTTP: through a real proxy on the magic host
http://playhead.api/ and on the --api-port loopback server, headless and under mitmdump -s."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from playhead.cli import main
from playhead.core.tracker import Tracker
from playhead.io.recording import read_recording
from playhead.simulate import SCENARIOS, Player
from playhead.simulate.certification import CERTIFICATION
from playhead.simulate.offline import scenario_as_calls
from support_proxy import API_HOST, MITMDUMP, MITMDUMP_LISTENING, TIMEOUT, running_proxy, spawn, stop_process

pytestmark = pytest.mark.slow


class Api:
    """A client of the API, either through the proxy (magic host) or straight to --api-port."""

    def __init__(self, base: str, proxy: str | None = None) -> None:
        self.base = base
        handlers = [urllib.request.ProxyHandler({"http": proxy} if proxy else {})]
        self.opener = urllib.request.build_opener(*handlers)

    def call(self, path: str, method: str = "GET") -> tuple[int, str, bytes]:
        request = urllib.request.Request(self.base + path, method=method, data=b"" if method == "POST" else None)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as answer:
                return answer.status, answer.headers.get("content-type", ""), answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("content-type", ""), exc.read()

    def json(self, path: str, method: str = "GET", status: int = 200) -> dict:
        code, kind, body = self.call(path, method)
        assert (code, kind.split(";")[0]) == (status, "application/json"), body[:300]
        return json.loads(body)


@pytest.fixture
def proxy(tmp_path):
    with running_proxy(tmp_path / "conf", sink=True, api_port=0, record=tmp_path / "run.jsonl") as runner:
        yield runner


def through(runner) -> Api:
    host, port = runner.listen_address
    return Api("http://playhead.api", proxy=f"http://{host}:{port}")


def loopback(runner) -> Api:
    host, port = runner.api_address
    return Api(f"http://{host}:{port}")


def play(runner, name: str, scenario=None):
    host, port = runner.listen_address
    return Player(f"http://{API_HOST}", proxy=f"{host}:{port}", speed=0).play(scenario or SCENARIOS[name])


def offline(name: str) -> list[tuple[str, str]]:
    """(rule, severity) of every finding `playhead check` gives the scenario: what live must say."""
    tracker = Tracker()
    tracker.feed_all(scenario_as_calls(SCENARIOS[name]))
    tracker.finish()
    return [(f.rule, f.severity.label) for f in tracker.findings]


def test_every_endpoint_answers_the_same_through_the_proxy_and_on_the_api_port(proxy):
    play(proxy, "ad-outside-break")
    expected = offline("ad-outside-break")
    assert {rule for rule, _ in expected} >= {"ad-outside-break"}
    # closed and settled: a defect spanning calls is said after the engine's hold time
    (waited,) = loopback(proxy).json("/v1/wait?sessions=1&timeout=20")["sessions"]
    for api in (through(proxy), loopback(proxy)):
        status = api.json("/v1/status")
        assert status["mode"] == "sink" and status["listen"] == "%s:%d" % proxy.listen_address
        assert status["protocols"] == {"media-collection": 1}
        assert status["summary"]["sessions"] == 1
        assert status["summary"]["error"] == sum(severity == "error" for _, severity in expected)
        (session,) = api.json("/v1/sessions")["sessions"]
        assert session == waited
        assert session["protocol"] == "media-collection" and session["closed"] is True
        assert list(session)[-3:] == ["state", "closed", "metrics"]  # additions go last
        assert (session["metrics"]["contentStarts"], session["metrics"]["adStarts"]) == (1, 0)  # never counted
        assert api.json("/v1/sessions?state=open") == {"sessions": []}
        detail = api.json(f"/v1/sessions/{session['id']}")
        assert len(detail["calls_kept"]) == detail["calls"] == len(SCENARIOS["ad-outside-break"].steps)
        assert sorted((f["rule"], f["severity"]) for f in detail["findings"]) == sorted(expected)
        assert "test1-standard-playback" in {c["name"] for c in detail["checklists"]}
        errors = api.json(f"/v1/findings?severity=error&session={session['id']}")["findings"]
        assert sorted(f["rule"] for f in errors) == sorted(rule for rule, sev in expected if sev == "error")
        assert api.json("/v1/findings?rule=ping-late") == {"findings": []}
        code, kind, body = api.call("/v1/report?format=junit")
        assert code == 200 and kind.startswith("application/xml") and b"<testsuites" in body
        code, kind, body = api.call("/v1/report?format=html&checklist=vod-midroll-ads")
        assert code == 200 and kind.startswith("text/html") and b"ad-outside-break" in body
        assert b"<h2>Checklists</h2>" in body and b"A mid-roll ad break inside the content" in body
        assert "checklists" not in api.json("/v1/report")
        assert api.json("/v1/report")["summary"]["error"] == len(errors)
        vod = api.json("/v1/checklists/vod-midroll-ads")
        assert vod["status"] == "failed" and vod["sessions"][0]["session"] == session["id"]
        assert api.json("/v1/openapi.json")["openapi"].startswith("3.")


@pytest.mark.parametrize(("path", "status", "error"), [
    ("/v1/sessions?state=paused", 400, "state='paused': choose one of open, closed"),
    ("/v1/findings?severity=fatal", 400, "severity='fatal': choose one of info, warning, error"),
    ("/v1/report?format=pdf", 400, "format='pdf': choose one of json, junit, html, markdown, text"),
    ("/v1/report?checklist=nope", 400, "checklist='nope': no such checklist; GET /v1/checklists lists them"),
    ("/v1/wait?sessions=two", 400, "sessions='two': not a number"),
    ("/v1/wait?timeout=9999", 400, "timeout='9999': must be between 0 and 300"),
    ("/v1/sessions/nope", 404, "no session 'nope'; GET /v1/sessions lists them"),
    ("/v1/checklists/nope", 404, "no checklist 'nope'; GET /v1/checklists lists them"),
])
def test_bad_requests_get_a_json_error(proxy, path, status, error):
    for api in (through(proxy), loopback(proxy)):
        assert api.json(path, status=status) == {"error": error, "status": status}
    assert loopback(proxy).json("/v1/reset", status=405)["status"] == 405


def test_wait_long_polls_until_the_sessions_close_or_times_out(proxy):
    api = through(proxy)
    start = time.monotonic()
    assert api.json("/v1/wait?sessions=1&timeout=0.3", status=408) == {
        "error": "fewer than 1 closed session after 0.3 s", "status": 408}
    assert time.monotonic() - start >= 0.3
    answer: dict = {}
    waiter = threading.Thread(target=lambda: answer.update(api.json("/v1/wait?sessions=2&timeout=20")))
    waiter.start()
    try:
        # while one client waits, others are answered at once (the wait holds only its own thread)
        assert through(proxy).json("/v1/status")["summary"]["sessions"] == 0
        play(proxy, "vod-clean")
        play(proxy, "late-pings")
    finally:
        waiter.join(TIMEOUT * 2)
    assert sorted(s["media"]["id"] for s in answer["sessions"]) == ["demo-vod-001", "demo-vod-004"]


def test_reset_forgets_the_sessions_but_the_recording_keeps_every_call(proxy, tmp_path):
    api = loopback(proxy)
    play(proxy, "vod-clean")
    assert api.json("/v1/reset", method="POST") == {"reset": True, "resets": 1}
    assert api.json("/v1/sessions") == {"sessions": []}
    assert api.json("/v1/status")["summary"]["calls"] == 0
    play(proxy, "late-pings")
    assert [s["media"]["id"] for s in api.json("/v1/wait?sessions=1&timeout=20")["sessions"]] == ["demo-vod-004"]
    assert {f["rule"] for f in api.json("/v1/findings")["findings"]} == {"ping-late"}
    text = (tmp_path / "run.jsonl").read_text()
    assert text.count('"playhead_mark":"reset"') == 1
    with read_recording(tmp_path / "run.jsonl") as capture:
        calls = list(capture)
    assert len(calls) == len(SCENARIOS["vod-clean"].steps) + len(SCENARIOS["late-pings"].steps)


def test_a_slow_api_client_never_stalls_the_proxy(proxy):
    """A client that sends half a request to the magic host and then goes silent, and one that
    asks for a big report and never reads it: traffic through the proxy goes on."""
    host, port = proxy.listen_address
    api_host, api_port = proxy.api_address
    stalled = socket.create_connection((host, port), timeout=TIMEOUT)
    stalled.sendall(b"GET http://playhead.api/v1/report HTTP/1.1\r\nHost: playhead.api\r\n")  # no end
    unread = socket.create_connection((api_host, api_port), timeout=TIMEOUT)
    unread.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    unread.sendall(b"GET /v1/report?format=html HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        waiting = [threading.Thread(target=through(proxy).json, args=("/v1/wait?timeout=5",), daemon=True)
                   for _ in range(4)]
        for t in waiting:
            t.start()
        start = time.monotonic()
        result = play(proxy, "vod-clean")
        assert set(result.statuses) == {201, 204}
        assert time.monotonic() - start < TIMEOUT
        assert loopback(proxy).json("/v1/status")["summary"]["calls"] == len(SCENARIOS["vod-clean"].steps)
    finally:
        stalled.close()
        unread.close()


def test_checklist_endpoint_ticks_as_the_calls_arrive(proxy):
    good, _ = CERTIFICATION["pause"]
    api = loopback(proxy)
    assert api.json("/v1/checklists/pause")["detail"] == "waiting for a session (every session)"
    play(proxy, "cert-pause", good)
    result = api.json("/v1/checklists/pause")
    assert result["status"] == "passed"
    assert [s["status"] for s in result["sessions"][0]["steps"]] == ["passed"] * 7


def test_the_api_under_plain_mitmdump_s(tmp_path):
    from test_proxy_cli import documented_script_path  # noqa: PLC0415 - shared helpers

    env = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1"}
    proc, out, err = spawn([MITMDUMP, "-s", documented_script_path(env), "--listen-host", "127.0.0.1",
                            "-p", "0", "--set", "playhead_sink=true", "--set", "playhead_api_port=0",
                            "--set", f"confdir={tmp_path / '.mitmproxy'}"], env=env)
    try:
        port = int(out.wait_for(MITMDUMP_LISTENING).group(1))
        api_port = int(out.wait_for(r"automation API on http://127\.0\.0\.1:(\d+)/v1/").group(1))
        Player(f"http://{API_HOST}", proxy=f"127.0.0.1:{port}", speed=0).play(SCENARIOS["late-pings"])
        api = Api("http://playhead.api", proxy=f"http://127.0.0.1:{port}")
        assert len(api.json("/v1/wait?sessions=1&timeout=20")["sessions"]) == 1
        assert {f["rule"] for f in Api(f"http://127.0.0.1:{api_port}").json("/v1/findings")["findings"]} == {"ping-late"}
    finally:
        stop_process(proc)


def test_the_headless_proxy_says_where_the_api_answers(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "NO_COLOR": "1"}
    proc, out, err = spawn([sys.executable, "-m", "playhead.cli", "proxy", "--headless", "--sink", "--port", "0",
                            "--api-port", "0"], env=env)
    try:
        match = err.wait_for(r"automation API: http://playhead\.api/v1/ through the proxy, "
                             r"http://127\.0\.0\.1:(\d+)/v1/")
        assert Api(f"http://127.0.0.1:{match.group(1)}").json("/v1/status")["mode"] == "sink"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(TIMEOUT) == 0
    finally:
        stop_process(proc)


@pytest.mark.parametrize(("args", "line"), [
    (["--api-port", "70000"], "playhead: --api-port 70000: not a port number (0-65535)\n"),
    (["--checklists", "/nonexistent"], "playhead: /nonexistent: not a directory of checklists\n"),
])
def test_bad_api_and_checklist_flags_are_one_line(capsys, args, line):
    assert main(["proxy", "--headless", "--port", "0", *args]) == 2
    assert capsys.readouterr().err == line
