"""The live proxy, end to end: a real mitmproxy master (ProxyRunner) on an ephemeral 127.0.0.1
port, real clients, a real upstream server on 127.0.0.1, and what the engine made of it."""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import socket
import ssl
import stat
import zlib

import brotli
import pytest

from playhead.core.config import Config
from playhead.core.findings import Severity
from playhead.core.rules.ads import AdChecks
from playhead.core.tracker import Tracker
from playhead.io.capture import read_capture
from playhead.io.recording import RecordingWriter
from playhead.proxy.process import ProxyProcess
from playhead.proxy.runner import ProxyError, ProxyRunner
from playhead.simulate import ALL_SCENARIOS, STALE_SID, Player
from support_proxy import (
    API_HOST,
    ProxyClient,
    ca_file,
    event_body,
    h2_post,
    running_proxy,
    session_start_body,
    upstream_server,
    wait_for,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def confdir(tmp_path_factory):
    """mitmproxy's confdir: its CA is generated once here, never in the user's home."""
    return tmp_path_factory.mktemp("mitmproxy")


def rules_of(tracker: Tracker, sid: str | None = None) -> set[str]:
    with tracker.lock:
        return {f.rule for f in tracker.findings if sid is None or f.session == sid}


def sid_of(answer) -> str:
    return answer.headers["Location"].rsplit("/", 1)[-1]


# -- forward mode -------------------------------------------------------------------------------


def test_forward_mode_passes_bodies_byte_identical_and_records_every_call(confdir, tmp_path):
    record = tmp_path / "run.jsonl"
    malformed = b'{"eventType": "play", "playerTime": {"ts": \xff\x00 not json'
    segment = bytes(range(256)) * 40  # a binary non-API answer
    with upstream_server() as up, running_proxy(confdir, record=record) as proxy:
        up.answers["/video/seg-1.ts"] = (200, segment)
        client = ProxyClient(proxy.listen_address)
        start = session_start_body()
        created = client.post(f"{up.url}/api/v1/sessions", start)
        sid = sid_of(created)
        play = event_body("play")
        events = [client.post(f"{up.url}/api/v1/sessions/{sid}/events", body) for body in (play, malformed)]
        media = client.request("GET", f"{up.url}/video/seg-1.ts")
        client.close()

        assert [created.status, *(e.status for e in events), media.status] == [201, 204, 204, 200]
        assert [r.body for r in up.requests] == [start, play, malformed, b""]
        assert media.body == segment
        tracker = proxy.tracker
        assert wait_for(lambda: tracker.calls == 3)
    # stopped: finish() ran, the recording is closed
    assert sid in tracker.sessions
    assert "body-not-json" in rules_of(tracker, sid)
    calls = list(read_capture(record))
    assert [c.request_body for c in calls] == [start, play, malformed]
    assert [c.status for c in calls] == [201, 204, 204]
    assert stat.S_IMODE(os.stat(record).st_mode) == 0o600


def test_an_unreachable_upstream_is_captured_without_a_response(confdir):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        with running_proxy(confdir) as proxy:
            client = ProxyClient(proxy.listen_address)
            answer = client.post(f"http://127.0.0.1:{port}/api/v1/sessions", session_start_body())
            client.close()
            assert answer.status == 502  # mitmproxy's own answer; the flow ends in `error`
            wait_for(lambda: proxy.tracker.calls == 1)
    rejected = [f for f in proxy.tracker.findings if f.rule == "session-start-rejected"]
    assert len(rejected) == 1 and "no response" in rejected[0].message


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_request_bodies_are_decoded_for_the_engine_and_forwarded_as_sent(confdir, encoding):
    compress = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding]
    with upstream_server() as up, running_proxy(confdir) as proxy:
        client = ProxyClient(proxy.listen_address)
        start = compress(session_start_body(media_id=f"compressed-{encoding}"))
        sid = sid_of(client.post(f"{up.url}/api/v1/sessions", start, {"Content-Encoding": encoding}))
        play = compress(event_body("play"))
        answer = client.post(f"{up.url}/api/v1/sessions/{sid}/events", play, {"Content-Encoding": encoding})
        client.close()
        assert answer.status == 204
        assert [r.body for r in up.requests] == [start, play]  # untouched on the wire
        wait_for(lambda: proxy.tracker.calls == 2)
    session = proxy.tracker.sessions[sid]
    assert session.params["media.id"] == f"compressed-{encoding}"
    assert [e.event_type for e in session.entries] == ["sessionStart", "play"]
    assert "body-not-json" not in rules_of(proxy.tracker)


def test_a_body_over_the_limit_is_reported_capped_and_still_forwarded_whole(confdir, tmp_path):
    limit = Config().body_limit
    huge = b'{"eventType": "ping", "pad": "' + b"x" * limit + b'"}'
    record = tmp_path / "huge.jsonl"
    with upstream_server() as up, running_proxy(confdir, record=record) as proxy:
        client = ProxyClient(proxy.listen_address)
        sid = sid_of(client.post(f"{up.url}/api/v1/sessions", session_start_body()))
        answer = client.post(f"{up.url}/api/v1/sessions/{sid}/events", huge)
        client.close()
        assert answer.status == 204
        assert up.requests[-1].body == huge
        wait_for(lambda: proxy.tracker.calls == 2)
    over = [f for f in proxy.tracker.findings if f.rule == "body-not-json"]
    assert len(over) == 1 and "limit" in over[0].message
    recorded = list(read_capture(record))[-1].request_body
    assert recorded == huge[: limit + 1]  # enough to know it is too big, not megabytes more


# -- HTTPS and HTTP/2 ---------------------------------------------------------------------------


def test_https_is_intercepted_with_the_generated_ca(confdir, tmp_path):
    with upstream_server(tls_dir=tmp_path) as up, \
            running_proxy(confdir, options={"ssl_insecure": True}) as proxy:  # upstream is self-signed
        target = ("127.0.0.1", up.port)
        client = ProxyClient(proxy.listen_address, https_host=target, cafile=ca_file(confdir))
        start = session_start_body()
        created = client.post(f"{up.url}/api/v1/sessions", start)
        sid = sid_of(created)
        ping = event_body("ping")
        answer = client.post(f"{up.url}/api/v1/sessions/{sid}/events", ping)
        client.close()
        assert (created.status, answer.status) == (201, 204)
        assert [r.body for r in up.requests] == [start, ping]
        wait_for(lambda: proxy.tracker.calls == 2)
        assert [c.call.url for c in proxy.tracker.sessions[sid].entries][0].startswith("https://127.0.0.1:")

        # The certificate the client saw was minted by that CA: without it, verification fails.
        untrusting = ProxyClient(proxy.listen_address, https_host=target, cafile=tmp_path / "upstream-cert.pem")
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusting.post(f"{up.url}/api/v1/sessions", start)
        untrusting.close()


def test_http2_calls_are_captured_and_answered_by_the_sink(confdir):
    with running_proxy(confdir, sink=True) as proxy:
        cafile = ca_file(confdir)
        alpn, headers, body = h2_post(proxy.listen_address, API_HOST, cafile, "/api/v1/sessions",
                                      session_start_body())
        assert alpn == "h2"
        assert headers[":status"] == "201", body
        sid = headers["location"].rsplit("/", 1)[-1]
        alpn, headers, _ = h2_post(proxy.listen_address, API_HOST, cafile,
                                   f"/api/v1/sessions/{sid}/events", event_body("play"))
        assert (alpn, headers[":status"]) == ("h2", "204")
        wait_for(lambda: proxy.tracker.calls == 2)
        session = proxy.tracker.sessions[sid]
        assert [e.event_type for e in session.entries] == ["sessionStart", "play"]
        assert session.entries[0].call.url == f"https://{API_HOST}/api/v1/sessions"


# -- the proxy never breaks traffic -------------------------------------------------------------


def test_a_rule_that_raises_does_not_break_the_flow(confdir, monkeypatch):
    def broken(self, entry):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(AdChecks, "event", broken)
    with upstream_server() as up, running_proxy(confdir) as proxy:
        client = ProxyClient(proxy.listen_address)
        sid = sid_of(client.post(f"{up.url}/api/v1/sessions", session_start_body()))
        statuses = [client.post(f"{up.url}/api/v1/sessions/{sid}/events", event_body(kind)).status
                    for kind in ("play", "ping")]
        client.close()
        assert statuses == [204, 204]  # the upstream's answers reached the client
        assert len(up.requests) == 3
    errors = [f for f in proxy.tracker.findings if f.rule == "internal-error"]
    assert errors and all("AdChecks.event failed: RuntimeError: injected fault" in f.message for f in errors)
    assert [e.event_type for e in proxy.tracker.sessions[sid].entries] == ["sessionStart", "play", "ping"]


def test_a_failure_in_the_addon_itself_is_an_internal_error_and_the_call_is_still_recorded(
        confdir, tmp_path, monkeypatch):
    def broken(self, call):
        raise RuntimeError("engine down")

    monkeypatch.setattr(Tracker, "feed", broken)
    record = tmp_path / "kept.jsonl"
    console = io.StringIO()
    with upstream_server() as up, running_proxy(confdir, record=record, log=console) as proxy:
        client = ProxyClient(proxy.listen_address)
        start = session_start_body()
        answer = client.post(f"{up.url}/api/v1/sessions", start)
        client.close()
        assert answer.status == 201 and up.requests[0].body == start
        tracker = proxy.tracker
        errors = wait_for(lambda: [f for f in tracker.findings if f.rule == "internal-error"])
    assert "checking the call failed: RuntimeError: engine down" in errors[0].message
    assert [c.request_body for c in read_capture(record)] == [start]
    # subscribers are not told of it (the tracker has no door for it), the console is
    assert "proxy: warning: playhead: error internal-error" in console.getvalue()


def test_a_full_disk_while_recording_is_an_internal_error_and_the_call_is_still_checked(
        confdir, tmp_path, monkeypatch):
    def full(self, call):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RecordingWriter, "write", full)
    with running_proxy(confdir, sink=True, record=tmp_path / "full.jsonl") as proxy:
        client = ProxyClient(proxy.listen_address)
        answer = client.post(f"http://{API_HOST}/api/v1/sessions", session_start_body())
        client.close()
        assert answer.status == 201
        wait_for(lambda: proxy.tracker.calls == 1)
    sid = sid_of(answer)
    assert sid in proxy.tracker.sessions
    errors = [f for f in proxy.tracker.findings if f.rule == "internal-error"]
    assert len(errors) == 1 and "No space left on device" in errors[0].message


def test_a_sink_that_fails_lets_the_call_go_upstream_untouched(confdir, monkeypatch):
    from playhead.proxy.sink import Sink

    def broken(self, request):
        raise ValueError("sink bug")

    monkeypatch.setattr(Sink, "answer", broken)
    with upstream_server() as up, running_proxy(confdir, sink=True) as proxy:
        client = ProxyClient(proxy.listen_address)
        start = session_start_body()
        answer = client.post(f"{up.url}/api/v1/sessions", start)
        client.close()
        assert answer.status == 201 and sid_of(answer) == up.sids[0]  # the upstream answered
        assert up.requests[0].body == start
        wait_for(lambda: proxy.tracker.calls == 1)
    errors = [f for f in proxy.tracker.findings if f.rule == "internal-error"]
    assert len(errors) == 1 and "sink answer failed: ValueError: sink bug" in errors[0].message


# -- capture scope and timers -------------------------------------------------------------------


def test_host_patterns_limit_what_is_captured_and_answered(confdir):
    with upstream_server() as up, running_proxy(confdir, sink=True, hosts=["*.hb-api.omtrdc.net"]) as proxy:
        client = ProxyClient(proxy.listen_address)
        ours = client.post(f"http://{API_HOST}/api/v1/sessions", session_start_body())
        other = client.post(f"{up.url}/api/v1/sessions", session_start_body())
        client.close()
        assert ours.status == 201 and sid_of(ours) not in up.sids  # answered by the sink
        assert other.status == 201 and sid_of(other) == up.sids[0]  # not ours: passed through
        wait_for(lambda: proxy.tracker.calls >= 1)
    assert list(proxy.tracker.sessions) == [sid_of(ours)]
    assert proxy.tracker.calls == 1


def test_a_silent_session_gets_ping_late_from_the_wall_clock(confdir):
    # Thresholds are options: a 0.5 s ping interval keeps this test short.
    tracker = Tracker(config=Config(ping_interval=0.5, ping_tolerance=0.2))
    with running_proxy(confdir, sink=True, tracker=tracker) as proxy:
        client = ProxyClient(proxy.listen_address)
        sid = sid_of(client.post(f"http://{API_HOST}/api/v1/sessions", session_start_body()))
        client.post(f"http://{API_HOST}/api/v1/sessions/{sid}/events", event_body("play"))
        client.close()
        late = wait_for(lambda: [f for f in tracker.findings if f.rule == "ping-late"], timeout=5)
        assert tracker.calls == 2  # no further call was needed
    assert late[0].session == sid and "ping overdue" in late[0].message


@pytest.mark.parametrize("name", sorted(ALL_SCENARIOS))  # both protocols, live through the sink
def test_each_scenario_through_the_sink_produces_its_rules(confdir, name):
    scenario = ALL_SCENARIOS[name]
    with running_proxy(confdir, sink=True) as proxy:
        host, port = proxy.listen_address
        result = Player(f"http://{API_HOST}", proxy=f"{host}:{port}", speed=0).play(scenario)
        assert all(status is not None for status in result.statuses)
    tracker = proxy.tracker  # stopped: every open question closed
    sid = result.sid or STALE_SID
    found = {f.rule for f in tracker.findings if f.session == sid and f.severity >= Severity.WARNING}
    assert found == set(scenario.expected), found  # live through the sink as offline: exactly these


# -- start and stop -----------------------------------------------------------------------------


@pytest.mark.parametrize("proxy_class", [ProxyRunner, ProxyProcess])
def test_a_taken_port_is_a_one_line_error(confdir, proxy_class):
    """In this process (headless) or in a child of its own (the dashboard's): one line, and
    nothing left running."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        runner = proxy_class(port=taken.getsockname()[1], options={"confdir": str(confdir)})
        with pytest.raises(ProxyError) as info:
            runner.start()
    message = str(info.value)
    assert "already in use" in message and "\n" not in message
    assert not runner.running
    assert proxy_class is ProxyRunner or runner._proc.poll() is not None


def test_a_bad_option_is_a_one_line_start_error(confdir, tmp_path):
    runner = ProxyRunner(port=0, record=tmp_path / "missing" / "run.jsonl", options={"confdir": str(confdir)})
    with pytest.raises(ProxyError, match=r"playhead_record: .*run\.jsonl: cannot open for recording"):
        runner.start()


def test_stop_writes_the_report_owner_only(confdir, tmp_path):
    report = tmp_path / "run.json"
    with running_proxy(confdir, sink=True, report=report) as proxy:
        client = ProxyClient(proxy.listen_address)
        client.post(f"http://{API_HOST}/api/v1/sessions", session_start_body())
        client.close()
        wait_for(lambda: proxy.tracker.calls == 1)
        assert proxy.running and proxy.listen_address[0] == "127.0.0.1"
    assert not proxy.running
    data = json.loads(report.read_text())
    assert data["summary"]["sessions"] == 1 and data["summary"]["calls"] == 1
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600
