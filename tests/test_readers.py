"""Capture readers and the recording format, on real files.

HAR files come from mitmproxy's own exporter (savehar), from fixtures in tests/data/ styled after
Chrome DevTools, Charles and Proxyman exports (each with the quirks its module docstring names),
and from small documents built here. Flow files are written with mitmproxy's FlowWriter.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from playhead.core.call import Call
from playhead.io import CaptureError, RecordingWriter, detect_format, read_capture, read_recording
from playhead.io.flows import read_flows
from playhead.io.har import read_har

DATA = Path(__file__).parent / "data"
HOST = "https://acme.hb-api.omtrdc.net"
SID = "d2a1c8f0b3e44e7c"
START = b'{"playerTime":{"playhead":0,"ts":1709644930000},"eventType":"sessionStart"}'
PLAY = b'{"playerTime":{"playhead":0,"ts":1709644931000},"eventType":"play"}'
PING = b'{"playerTime":{"playhead":10,"ts":1709644941000},"eventType":"ping"}'


def header_of(call: Call, name: str, response: bool = False) -> str | None:
    headers = call.response_headers if response else call.request_headers
    return next((v for k, v in headers or () if k.lower() == name), None)


def sourceless(call: Call) -> Call:
    return dataclasses.replace(call, source="")


# --- mitmproxy flows, shared by the HAR-export and flow-file tests ---------------------------


def make_flow(method, path, body, status=None, resp_headers=(), resp_body=b"", req_headers=None,
              ts=1709644930.25, host="acme.hb-api.omtrdc.net", gzip_request=False):
    from mitmproxy import http
    from mitmproxy.test import tflow, tutils

    headers = req_headers or ((b"content-type", b"application/json"),)
    req = tutils.treq(method=method.encode(), scheme=b"https", host=host, port=443,
                      path=path.encode(), headers=http.Headers(headers), content=b"",
                      timestamp_start=ts, timestamp_end=ts + 0.01)
    if gzip_request:
        req.headers["content-encoding"] = "gzip"
    req.content = body  # encodes per Content-Encoding, as a real client would have sent it
    resp = False
    if status is not None:
        resp = tutils.tresp(status_code=status, reason=b"", headers=http.Headers(resp_headers),
                            content=resp_body, timestamp_start=ts + 0.02, timestamp_end=ts + 0.03)
    return tflow.tflow(req=req, resp=resp, err=status is None)


def api_flows():
    return [
        make_flow("POST", "/api/v1/sessions", START, 201,
                  ((b"location", f"/api/v1/sessions/{SID}".encode()), (b"date", b"x"))),
        make_flow("POST", f"/api/v1/sessions/{SID}/events", PLAY, 204, ((b"date", b"x"),),
                  ts=1709644931.5, gzip_request=True),
        # A body that is not UTF-8 (Latin-1 é) and a binary error response.
        make_flow("POST", f"/api/v1/sessions/{SID}/events", b'{"eventType":"caf\xe9"}', 400,
                  ((b"content-type", b"application/octet-stream"),), b"\x00\x01\xfe\xffbin",
                  ts=1709644932.0),
        make_flow("GET", "/static/player.js", b"", 200, ((b"content-type", b"text/javascript"),),
                  b"console.log(1)", ts=1709644929.0),
        make_flow("POST", f"/api/v1/sessions/{SID}/events", PING, None, ts=1709644941.0),
    ]


def check_api_calls(calls: list[Call]) -> None:
    """What every reader must give back for api_flows()."""
    assert [c.method for c in calls] == ["POST"] * 4
    start, play, latin, lost = calls
    assert start.request_body == START
    assert start.status == 201
    assert start.location_sid == SID
    assert start.time == pytest.approx(1709644930.25)
    assert play.request_body == PLAY  # decoded, though the client gzipped it
    assert play.status == 204
    assert latin.request_body == b'{"eventType":"caf\xe9"}'
    assert latin.status == 400
    assert latin.response_body == b"\x00\x01\xfe\xffbin"
    assert lost.status is None and lost.response_headers is None and lost.response_body is None
    assert lost.request_body == PING


# --- HAR ------------------------------------------------------------------------------------


def test_har_from_mitmproxy_savehar_round_trips(tmp_path):
    from mitmproxy.addons.savehar import SaveHar

    path = tmp_path / "mitm.har"
    SaveHar().export_har(api_flows(), str(path))
    capture = read_har(path)
    calls = list(capture)
    check_api_calls(calls)
    assert (capture.entries, capture.kept, capture.warnings) == (5, 4, [])
    assert calls[0].source == f"{path}#1"
    assert header_of(calls[1], "content-encoding") == "gzip"


def test_zhar_from_mitmproxy_is_detected_and_read(tmp_path):
    from mitmproxy.addons.savehar import SaveHar

    path = tmp_path / "mitm.zhar"
    SaveHar().export_har(api_flows(), str(path))
    assert path.read_bytes()[:1] == b"\x78"  # really zlib, not JSON
    copy = tmp_path / "capture.bin"  # content decides, not the name
    copy.write_bytes(path.read_bytes())
    assert detect_format(copy) == "har"
    check_api_calls(list(read_capture(copy)))


def test_chrome_devtools_har():
    capture = read_har(DATA / "reader_chrome.har")
    calls = list(capture)
    assert (capture.entries, capture.kept) == (6, 5)  # player.js is not the API
    preflight, start, play, blocked, aborted = calls
    assert preflight.method == "OPTIONS" and preflight.status == 204
    assert start.location_sid == SID
    assert start.request_body.startswith(b'{"playerTime"')
    assert start.response_body == b""  # size 0, no text: empty, not "not captured"
    assert all(not k.startswith(":") for c in calls for k, _ in c.request_headers)
    assert header_of(start, "content-type") == "application/json"
    assert start.time == pytest.approx(1709644930.250)  # 2024-03-05T13:22:10.250Z
    assert play.status == 204
    for failed in (blocked, aborted):
        assert failed.status is None
        assert failed.response_headers is None and failed.response_body is None
        assert failed.request_body.endswith(b'"eventType":"ping"}')
    assert capture.warnings == []


def test_charles_har():
    capture = read_har(DATA / "reader_charles.har")
    start, play = list(capture)
    # Base64 text of an already decoded body, although the headers still say gzip.
    assert json.loads(start.response_body)["errors"][0]["code"] == "MALFORMED"
    assert start.status == 400
    assert start.time == pytest.approx(1709644930.123)  # 14:22:10.123+01:00
    assert play.status == 204
    assert play.response_headers is None  # status but headers: [] -> dropped by the exporter
    assert play.response_body == b""
    assert capture.warnings == []


def test_proxyman_har():
    capture = read_har(DATA / "reader_proxyman.har")
    gzipped, no_response, null_response = list(capture)
    assert gzipped.request_body == PING  # base64 postData of gzip bytes, decoded twice
    assert gzipped.status == 204
    assert gzipped.time == pytest.approx(1764240986.0)  # 2025-11-27T11:56:26+01:00
    for call in (no_response, null_response):
        assert call.status is None and call.response_headers is None
        assert call.response_body is None
    assert capture.warnings == []


def write_har(path: Path, *entries) -> Path:
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": list(entries)}}))
    return path


def entry(url=f"{HOST}/api/v1/sessions/{SID}/events", method="POST", **parts):
    return {"request": {"method": method, "url": url, **parts.pop("request", {})}, **parts}


def brotli_compress(data: bytes) -> bytes:
    import brotli

    return brotli.compress(data)


@pytest.mark.parametrize("coding,compress", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate, as some servers send it
    ("br", brotli_compress),
])
def test_compressed_base64_bodies_are_decoded(tmp_path, coding, compress):
    packed = base64.b64encode(compress(PING)).decode()
    path = write_har(tmp_path / "c.har", entry(
        request={"headers": [{"name": "Content-Encoding", "value": coding}],
                 "postData": {"mimeType": "application/json", "text": packed,
                              "encoding": "base64"}},
        response={"status": 400, "headers": [{"name": "content-encoding", "value": coding}],
                  "content": {"size": 10, "text": packed, "encoding": "base64"}},
    ))
    capture = read_har(path)
    (call,) = capture
    assert call.request_body == PING
    assert call.response_body == PING
    assert capture.warnings == []


def test_body_that_claims_gzip_but_is_broken_is_kept_with_a_warning(tmp_path):
    broken = b"\x1f\x8b\x08\x00garbage"
    path = write_har(tmp_path / "b.har", entry(response={
        "status": 400, "headers": [{"name": "Content-Encoding", "value": "gzip"}],
        "content": {"size": 12, "text": base64.b64encode(broken).decode(), "encoding": "base64"},
    }))
    capture = read_har(path)
    (call,) = capture
    assert call.response_body == broken
    (warning,) = capture.warnings
    assert warning.startswith(f"{path}#1: response body says gzip but does not decode")


def test_missing_optional_fields(tmp_path):
    path = write_har(
        tmp_path / "m.har",
        entry(),  # request method and url only
        entry(response={"status": 201}),  # no headers key
        entry(response={"status": 204, "headers": [], "content": {"size": 40}}),
        entry(url="/api/v1/sessions", request={"headers": [
            {"name": ":authority", "value": "acme.hb-api.omtrdc.net"},
            {"name": ":scheme", "value": "https"}]}),
    )
    capture = read_har(path)
    bare, no_headers, no_text, relative = list(capture)
    assert bare == Call("POST", f"{HOST}/api/v1/sessions/{SID}/events", None, None, (), None,
                        None, 0.0, f"{path}#1")
    assert no_headers.status == 201 and no_headers.response_headers is None
    assert no_text.status == 204 and no_text.response_headers is None
    assert no_text.response_body is None  # 40 bytes that the export left out
    assert relative.url == f"{HOST}/api/v1/sessions"
    assert capture.warnings == []


def test_malformed_entries_become_warnings_not_crashes(tmp_path):
    path = write_har(
        tmp_path / "w.har",
        42,
        {"response": {"status": 204}},
        {"request": {"url": f"{HOST}/api/v1/sessions"}},
        entry(startedDateTime="yesterday",
              request={"headers": [{"name": "x"}, "junk", {"name": "n", "value": 5}],
                       "postData": {"text": "%%%", "encoding": "base64"}},
              response={"status": "201", "headers": "nope"}),
    )
    capture = read_har(path)
    (call,) = capture
    assert call.request_headers == (("n", "5"),)
    assert call.request_body == b"%%%"
    assert call.status == 201 and call.response_headers is None
    assert call.time == 0.0
    assert capture.entries == 4 and capture.kept == 1
    assert [w.split(":", 1)[0] for w in capture.warnings] == [
        f"{path}#1", f"{path}#2", f"{path}#3", f"{path}#4", f"{path}#4"]
    assert all("\n" not in w for w in capture.warnings)


@pytest.mark.parametrize("stamp,epoch", [
    ("2024-03-05T13:22:10.250Z", 1709644930.25),
    ("2024-03-05T14:22:10.25+01:00", 1709644930.25),
    ("2024-03-05T08:22:10.2500000-05:00", 1709644930.25),  # seven fraction digits (.NET)
    ("2024-03-05T13:22:10", 1709644930.0),  # no offset: read as UTC
])
def test_started_date_time_forms(tmp_path, stamp, epoch):
    (call,) = read_har(write_har(tmp_path / "t.har", entry(startedDateTime=stamp)))
    assert call.time == pytest.approx(epoch)


# --- mitmproxy flow files -------------------------------------------------------------------


def write_flows(path: Path, flows) -> Path:
    from mitmproxy.io import FlowWriter

    with open(path, "wb") as f:
        writer = FlowWriter(f)
        for flow in flows:
            writer.add(flow)
    return path


def test_flow_file_round_trip(tmp_path):
    from mitmproxy.test import tflow

    path = write_flows(tmp_path / "f.mitm", api_flows() + [tflow.ttcpflow()])
    capture = read_flows(path)
    calls = list(capture)
    check_api_calls(calls)
    assert (capture.entries, capture.kept) == (6, 4)
    assert header_of(calls[0], "location", response=True) == f"/api/v1/sessions/{SID}"
    assert calls[0].url == f"{HOST}/api/v1/sessions"


def test_flow_body_that_claims_gzip_but_is_not_is_kept_with_a_warning(tmp_path):
    flow = make_flow("POST", f"/api/v1/sessions/{SID}/events", b"", 204)
    flow.request.headers["content-encoding"] = "gzip"
    flow.request.raw_content = PING  # sent plain despite the header
    capture = read_flows(write_flows(tmp_path / "f.mitm", [flow]))
    (call,) = capture
    assert call.request_body == PING
    (warning,) = capture.warnings
    assert warning.startswith(f"{tmp_path / 'f.mitm'}#1: request body says 'gzip'")


def test_truncated_flow_file_raises_after_the_good_flows(tmp_path):
    path = write_flows(tmp_path / "cut.mitm", api_flows()[:3])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])
    seen = []
    with pytest.raises(CaptureError) as err:
        for call in read_capture(path):
            seen.append(call)
    assert len(seen) == 2
    message = str(err.value)
    assert message.startswith(f"{path}: damaged after flow 2")
    assert "\n" not in message


def test_reading_har_and_recordings_does_not_import_mitmproxy(tmp_path):
    har = write_har(tmp_path / "x.har", entry())
    rec = tmp_path / "x.jsonl"
    with RecordingWriter(rec) as writer:
        writer.write(Call("POST", f"{HOST}/api/v1/sessions", START))
    script = textwrap.dedent(f"""
        import sys
        from playhead.io import read_capture
        assert len(list(read_capture({str(har)!r}))) == 1
        assert len(list(read_capture({str(rec)!r}))) == 1
        print("mitmproxy" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"


# --- recordings -----------------------------------------------------------------------------


def three_calls() -> list[Call]:
    return [
        Call("POST", f"{HOST}/api/v1/sessions", START, 201,
             (("content-type", "application/json"), ("x-odd", "caf\udce9")),
             (("location", f"/api/v1/sessions/{SID}"),), b"", 1709644930.25),
        Call("POST", f"{HOST}/api/v1/sessions/{SID}/events", b"\x1f\x8b\x00\xff binary", 400,
             (), (("content-type", "application/octet-stream"),), b"\x00\xff\xfe", 1709644931.5),
        Call("POST", f"{HOST}/api/v1/sessions/{SID}/events", PING, None, (), None, None,
             1709644941.0),
    ]


def test_recording_round_trip(tmp_path):
    path = tmp_path / "rec.jsonl"
    with RecordingWriter(path) as writer:
        for call in three_calls():
            writer.write(call)
    capture = read_recording(path)
    calls = list(capture)
    assert [sourceless(c) for c in calls] == three_calls()
    assert calls[2].source == f"{path}#4"
    assert (capture.entries, capture.kept, capture.warnings) == (3, 3, [])
    lines = path.read_bytes().splitlines()
    header = json.loads(lines[0])
    assert header["playhead_recording"] == 1 and header["tool_version"]
    assert json.loads(lines[2])["response_body_encoding"] == "base64"
    assert json.loads(lines[1])["request_body"] == START.decode()  # text stays readable


def test_recording_is_owner_only_even_with_a_lax_umask(tmp_path):
    path = tmp_path / "rec.jsonl"
    old = os.umask(0)
    try:
        RecordingWriter(path).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_appending_continues_without_a_second_header(tmp_path):
    path = tmp_path / "rec.jsonl"
    first, second, third = three_calls()
    with RecordingWriter(path) as writer:
        writer.write(first)
    with RecordingWriter(path) as writer:
        writer.write(second)
        writer.write(third)
    lines = path.read_bytes().splitlines()
    assert len(lines) == 4
    assert sum(b"playhead_recording" in line for line in lines) == 1
    assert [sourceless(c) for c in read_recording(path)] == three_calls()


def test_refuses_to_append_to_a_file_that_is_not_a_recording(tmp_path):
    path = tmp_path / "report.json"
    path.write_text('{"findings": []}\n')
    with pytest.raises(CaptureError, match="not a playhead recording; not appending"):
        RecordingWriter(path)
    assert path.read_text() == '{"findings": []}\n'


def test_cut_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "rec.jsonl"
    with RecordingWriter(path) as writer:
        for call in three_calls():
            writer.write(call)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"\n", 0, -1) + 30])  # 30 bytes into the last line
    capture = read_recording(path)
    assert [sourceless(c) for c in capture] == three_calls()[:2]
    assert capture.warnings == [f"{path}: line 4: last line cut short (crash?); skipped"]
    assert capture.entries == 3 and capture.kept == 2

    # The next run appends after the cut; nothing in between is mistaken for corruption.
    with RecordingWriter(path) as writer:
        writer.write(three_calls()[2])
    capture = read_recording(path)
    assert [sourceless(c) for c in capture] == three_calls()
    assert capture.warnings == [f"{path}: line 4: cut short by a crash; skipped"]


def test_corrupt_middle_line_raises_with_its_line_number(tmp_path):
    path = tmp_path / "rec.jsonl"
    with RecordingWriter(path) as writer:
        for call in three_calls():
            writer.write(call)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2][:20] + b"\n"
    path.write_bytes(b"".join(lines))
    seen = []
    with pytest.raises(CaptureError) as err:
        for call in read_recording(path):
            seen.append(call)
    assert len(seen) == 1
    assert str(err.value).startswith(f"{path}: line 3: not valid JSON")


def test_valid_json_with_the_wrong_shape_raises_with_its_line_number(tmp_path):
    path = tmp_path / "rec.jsonl"
    with RecordingWriter(path) as writer:
        writer.write(three_calls()[0])
    with open(path, "a") as f:
        f.write('{"url": "https://x/api/v1/sessions", "time": 1}\n')
    with pytest.raises(CaptureError, match=r": line 3: call has no method$"):
        list(read_recording(path))


def test_newer_recording_format_is_refused(tmp_path):
    path = tmp_path / "rec.jsonl"
    path.write_text('{"playhead_recording": 2, "created": 0, "tool_version": "9"}\n')
    with pytest.raises(CaptureError, match="format 2 is newer"):
        list(read_capture(path))


def test_close_from_another_thread_leaves_only_whole_lines(tmp_path):
    path = tmp_path / "rec.jsonl"
    writer = RecordingWriter(path)
    call = three_calls()[1]
    written = 0
    closed = threading.Event()

    def keep_writing():
        nonlocal written
        for _ in range(20000):
            try:
                writer.write(call)
            except ValueError:
                closed.set()
                return
            written += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    deadline = time.monotonic() + 10
    while written < 50 and time.monotonic() < deadline:
        time.sleep(0.001)
    writer.close()
    thread.join(timeout=10)
    capture = read_recording(path)
    assert len(list(capture)) == written and capture.warnings == []
    assert closed.is_set() or written == 20000


def test_kill_9_while_recording_loses_at_most_the_call_in_flight(tmp_path):
    path = tmp_path / "rec.jsonl"
    script = textwrap.dedent("""
        import sys, time
        from playhead.core.call import Call
        from playhead.io.recording import RecordingWriter
        pad = "x" * 4000
        with RecordingWriter(sys.argv[1]) as writer:
            for i in range(20000):
                body = ('{"i": %d, "pad": "%s"}' % (i, pad)).encode()
                writer.write(Call("POST", "https://h/api/v1/sessions/s/events", body, 204,
                                  time=float(i)))
                time.sleep(0.001)
    """)
    child = subprocess.Popen([sys.executable, "-c", script, str(path)])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if path.exists() and path.read_bytes().count(b"\n") > 20:
                break
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    data = path.read_bytes()
    complete_calls = data.count(b"\n") - 1  # minus the header
    assert complete_calls >= 20
    capture = read_recording(path)
    indexes = [json.loads(c.request_body)["i"] for c in capture]
    assert indexes == list(range(complete_calls))
    assert len(capture.warnings) == (0 if data.endswith(b"\n") else 1)


# --- read_capture: detection and one-line errors --------------------------------------------


def test_detection_is_by_content_not_name(tmp_path):
    har = (tmp_path / "traffic.txt")
    har.write_bytes((DATA / "reader_charles.har").read_bytes())
    rec = tmp_path / "session.har"  # a recording, misnamed
    with RecordingWriter(rec) as writer:
        writer.write(three_calls()[0])
    flows = write_flows(tmp_path / "dump", api_flows()[:1])
    assert [detect_format(p) for p in (har, rec, flows)] == ["har", "recording", "flows"]
    assert [read_capture(p).format for p in (har, rec, flows)] == ["har", "recording", "flows"]
    assert len(list(read_capture(flows))) == 1


def unreadable_cases(tmp_path):
    (tmp_path / "empty.har").write_bytes(b"")
    (tmp_path / "blank.har").write_bytes(b" \n\t\n")
    (tmp_path / "random.bin").write_bytes(bytes(range(200, 256)) * 20)
    (tmp_path / "other.json").write_text('{"findings": []}')
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "broken.har").write_text('{"log": {"entries": [\n{"request": ')
    (tmp_path / "latin.har").write_bytes(b'{"log": "caf\xe9"}')
    (tmp_path / "a dir").mkdir()
    return [
        ("missing.har", "no such file"),
        ("a dir", "is a directory"),
        ("empty.har", "empty file"),
        ("blank.har", "empty file"),
        ("random.bin", "not a HAR file, mitmproxy flow file or playhead recording"),
        ("other.json", "not a HAR file (no log object)"),
        ("list.json", "not a HAR file (top level is a JSON list, not an object)"),
        ("broken.har", "not a HAR file (invalid JSON at line 2"),
        ("latin.har", "not a HAR file (not UTF-8 text at byte 12)"),
    ]


def test_unreadable_files_give_one_line_errors_naming_the_file(tmp_path):
    for name, reason in unreadable_cases(tmp_path):
        path = tmp_path / name
        with pytest.raises(CaptureError) as err:
            list(read_capture(path))
        message = str(err.value)
        assert message.startswith(f"{path}: {reason}"), message
        assert "\n" not in message


def test_permission_denied_is_said(tmp_path):
    path = tmp_path / "secret.har"
    path.write_text("{}")
    path.chmod(0)
    script = textwrap.dedent(f"""
        from playhead.io import CaptureError, read_capture
        try:
            read_capture({str(path)!r})
        except CaptureError as e:
            print(e)
    """)
    command = [sys.executable, "-c", script]
    if os.geteuid() == 0:  # root reads any file: drop the capabilities that let it
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", *command]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == f"{path}: permission denied", out.stderr


# == Media Edge in every capture format ============================================================


def edge_session_calls() -> list[Call]:
    from playhead.simulate import EDGE_SCENARIOS
    from playhead.simulate.offline import scenario_as_calls

    return scenario_as_calls(EDGE_SCENARIOS["edge-vod-clean"], "ed" * 32, 1_764_115_200_000,
                             host="https://first-party.example.com")


def _checked(path: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "playhead.cli", "check", str(path), "--format", "json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_media_edge_session_reads_the_same_from_har_flows_and_recordings(tmp_path):
    calls = edge_session_calls()
    har = write_har(tmp_path / "edge.har", *(
        {"startedDateTime": datetime.fromtimestamp(c.time, timezone.utc).isoformat(),
         "request": {"method": "POST", "url": c.url, "headers": [{"name": "Content-Type", "value": "text/plain"}],
                     "postData": {"mimeType": "text/plain", "text": c.request_body.decode()}},
         "response": {"status": c.status, "headers": [{"name": "Content-Type", "value": "application/json"}],
                      "content": {"size": len(c.response_body or b""), "text": (c.response_body or b"").decode()}}}
        for c in calls))
    flows = write_flows(tmp_path / "edge.mitm", [
        make_flow("POST", c.url.split("first-party.example.com", 1)[1], c.request_body, c.status,
                  ((b"content-type", b"application/json"),), c.response_body or b"", ts=c.time,
                  host="first-party.example.com") for c in calls])
    recording = tmp_path / "edge.jsonl"
    with RecordingWriter(recording) as writer:
        for call in calls:
            writer.write(call)
    for path in (har, flows, recording):
        report = _checked(path)
        assert report["summary"] == {"sessions": 1, "calls": len(calls), "error": 0, "warning": 0, "info": 0}, path
        (session,) = report["sessions"]
        assert (session["id"], session["protocol"], session["media"]["id"]) == ("ed" * 32, "media-edge", "demo-vod-001")


def test_a_har_grouped_by_connection_reads_as_the_same_report_as_one_in_time_order(tmp_path):
    """HAR 1.2 lets exporters write entries in any order (Chrome groups them by connection): the
    reader sorts by startedDateTime, so the session is judged in the order it was sent."""
    from playhead.simulate import SCENARIOS
    from playhead.simulate.offline import scenario_as_calls

    calls = scenario_as_calls(SCENARIOS["vod-clean"], "c0" * 32, 1_764_115_200_000)

    def har_entry(c: Call) -> dict:
        return {"startedDateTime": datetime.fromtimestamp(c.time, timezone.utc).isoformat(),
                "request": {"method": "POST", "url": c.url, "postData": {"text": c.request_body.decode()}},
                "response": {"status": c.status, "headers": [{"name": k, "value": v} for k, v in c.response_headers]
                             or [{"name": "Date", "value": "x"}], "content": {"size": 0, "text": ""}}}

    in_order = write_har(tmp_path / "in-order.har", *map(har_entry, calls))
    by_connection = write_har(tmp_path / "by-connection.har", *map(har_entry, calls[0::3] + calls[1::3] + calls[2::3]))
    first, second = _checked(in_order), _checked(by_connection)
    assert first["summary"] == {"sessions": 1, "calls": len(calls), "error": 0, "warning": 0, "info": 0}
    assert second == first
