"""One real file per kind of hostile input, read as `playhead check` reads it, each with what it
must say; then the real CLI over all of them at once: exit 2 (some are unreadable), a one-line
message per file on stderr, never a traceback, nothing from the wire styling the terminal.

The table is the one in README.md ("Hostile input"): when a row changes here, change it there.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from playhead.core.call import Call
from playhead.core.tracker import Tracker
from playhead.io import CaptureError, RecordingWriter, read_capture
from support_hostile import BAD_BODIES, HOST, PLAY, SCHEMAS, SESSION_START, START, accounted, body, slot_body


def har(sid: str, event: bytes | None = None) -> bytes:
    """A HAR of one session: its sessionStart (201) and, if given, one event (204); a body that is
    not UTF-8 is written as mitmproxy writes it (surrogate escapes)."""
    def entry(url, text, status):
        return {"startedDateTime": "2025-11-26T00:00:00Z",
                "request": {"method": "POST", "url": url, "headers": [],
                            "postData": {"mimeType": "application/json", "text": text}},
                "response": {"status": status, "headers": [
                    {"name": "Location", "value": f"/api/v1/sessions/{sid}"}], "content": {"size": 0}}}
    entries = [entry(f"{HOST}/api/v1/sessions", body(SESSION_START).decode(), 201)]
    if event is not None:
        text = event.decode("utf-8", "surrogateescape")
        entries.append(entry(f"{HOST}/api/v1/sessions/{sid}/events", text, 204))
    return json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()


def har_with_post(sid: str, text: str, encoding: str, content_encoding: str | None = None) -> bytes:
    doc = json.loads(har(sid, body(PLAY)))
    request = doc["log"]["entries"][1]["request"]
    request["postData"] = {"text": text, "encoding": encoding}
    if content_encoding:
        request["headers"] = [{"name": "Content-Encoding", "value": content_encoding}]
    return json.dumps(doc).encode()


def recording(calls: list[Call], tmp: Path) -> bytes:
    path = tmp / "scratch.jsonl"
    path.unlink(missing_ok=True)
    with RecordingWriter(path) as writer:
        for call in calls:
            writer.write(call)
    return path.read_bytes()


def session_calls(sid: str) -> list[Call]:
    return [Call("POST", f"{HOST}/api/v1/sessions", body(SESSION_START), 201, (),
                 (("Location", f"/api/v1/sessions/{sid}"),), b"", START / 1000),
            Call("POST", f"{HOST}/api/v1/sessions/{sid}/events", body(PLAY), 204, (), (("Date", "x"),),
                 b"", START / 1000 + 1)]


def flows(calls: list[Call], tmp: Path) -> bytes:
    from test_fuzz_readers import flow_of, write_flows

    return write_flows(tmp / "scratch.mitm", [flow_of(c) for c in calls])


def cut_last_line(data: bytes) -> bytes:
    return data[: data.rindex(b"\n", 0, -1) + 25]


def damage_line_3(data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    return b"".join(lines[:2] + [lines[2][:20] + b"\n"] + lines[3:])


@dataclasses.dataclass
class Case:
    what: str  # what was tried (the README's first column)
    name: str  # the file's name
    build: Callable[[Path], bytes]
    says: str  # what playhead must say about it: part of a finding, a warning or the error
    unreadable: bool = False  # exit 2: a one-line error instead of a report


def bad_body(key: str) -> Callable[[Path], bytes]:
    return lambda tmp: har(key.replace(" ", "-"), BAD_BODIES[key][0])


CASES = [
    Case("body is not JSON (truncated)", "truncated-body.har", bad_body("truncated"), "body-not-json: not JSON"),
    Case("body is empty or only whitespace", "empty-body.har", bad_body("whitespace"), "body is only whitespace"),
    Case("NaN or Infinity in a body", "nan.har", bad_body("NaN"), "body-not-json: NaN is not valid JSON"),
    Case("a number of 5000 digits", "digits.har", bad_body("5000-digit number"),
         "body holds a number of over 4300 digits; not parsed"),
    Case("a body nested 100000 levels deep", "deep.har", bad_body("100000 levels deep"),
         "body is nested too deeply to parse"),
    Case("a body that is not UTF-8 (Latin-1)", "latin1.har", bad_body("Latin-1"), "body is not UTF-8 (byte"),
    Case("a JSON array instead of an object", "array.har", bad_body("array"),
         "JSON list where an event object was expected"),
    Case("a body over 1 MiB", "huge.har", bad_body("over 1 MiB"), "over the 1048576-byte limit; not parsed"),
    Case("numbers sent as strings", "strings.har",
         lambda tmp: har("strings", slot_body("ts", '"1764115201000"')),
         "schema: $.playerTime.ts: expected integer, got '1764115201000'"),
    Case("ts in microseconds, or beyond 1e18", "ts.har",
         lambda tmp: har("ts", slot_body("ts", "1.7e18")), "ts-units: ts 1.7e+18 is not epoch milliseconds"),
    Case("Rich markup and terminal escapes in eventType", "markup.har",
         lambda tmp: har("markup", json.dumps({**PLAY, "eventType": "[bold red]\x1b[31mplay"}).encode()),
         "unknown-event-type: eventType '[bold red]\\x1b[31mplay' is not documented"),
    Case("an odd sid (escapes, control characters)", "sid.har",
         lambda tmp: har("%1b[31m\x07..", body(PLAY)), "session %1b[31m\x07.."),
    Case("a URL whose host does not parse (http://[::1/...)", "url.har",
         lambda tmp: har("url", body(PLAY)).replace(HOST.encode(), b"http://[::1", 1), "session url"),
    Case("a gzip body stored base64 with Content-Encoding: gzip", "gzip.har",
         lambda tmp: har_with_post("gzip", base64.b64encode(gzip.compress(body(PLAY))).decode(), "base64",
                                   "gzip"), "session gzip"),
    Case("a body that says gzip but does not decode", "fake-gzip.har",
         lambda tmp: har_with_post("fakegzip", base64.b64encode(b"\x1f\x8b\x08garbage").decode(), "base64",
                                   "gzip"), "request body says gzip but does not decode"),
    Case("postData marked base64 that is not", "not-base64.har",
         lambda tmp: har_with_post("notb64", "%%%", "base64"), "is marked base64 but is not valid base64"),
    Case("a HAR entry with no request", "no-request.har",
         lambda tmp: har("norequest").replace(b'"entries": [', b'"entries": [{"response": {}}, ', 1),
         "#1: entry skipped: no request"),
    Case("a HAR file cut short", "cut.har", lambda tmp: har("cut", body(PLAY))[:-40],
         "not a HAR file (invalid JSON at line 1", unreadable=True),
    Case("a .zhar cut short", "cut.zhar", lambda tmp: zlib.compress(har("cut", body(PLAY)))[:-20],
         "not a HAR file (zlib data that does not decompress", unreadable=True),
    Case("a HAR with a 5000-digit number where the reader reads", "digits-file.har",
         lambda tmp: har("x").replace(b'"size": 0', b'"size": ' + b"9" * 5000, 1),
         "not a HAR file (JSON holds a number too long to read)", unreadable=True),
    Case("a HAR with a 5000-digit number in a field nothing reads: skipped unread", "digits-unread.har",
         lambda tmp: har("unread").replace(b'"version": "1.2"', b'"size": ' + b"9" * 5000, 1),
         "session unread"),
    Case("a recording whose last line was cut by a crash", "crash.jsonl",
         lambda tmp: cut_last_line(recording(session_calls("crash") * 2, tmp)),
         "line 5: last line cut short (crash?); skipped"),
    Case("a recording damaged in the middle", "damaged.jsonl",
         lambda tmp: damage_line_3(recording(session_calls("damaged") * 2, tmp)),
         "line 3: not valid JSON", unreadable=True),
    Case("a mitmproxy flow file cut short", "cut.mitm",
         lambda tmp: flows(session_calls("cutflows"), tmp)[:-30], "damaged after flow 1", unreadable=True),
    Case("an empty file", "empty.har", lambda tmp: b"", "empty file", unreadable=True),
]


def told(path: Path) -> str:
    """Everything `check` would say about one file, one line per finding, warning or error."""
    tracker = Tracker(schemas=SCHEMAS)
    lines = []
    capture = None
    try:
        with read_capture(path) as capture:
            tracker.feed_all(capture)
    except CaptureError as exc:
        lines.append(str(exc))
    tracker.finish()
    assert [f for f in tracker.findings if f.rule == "internal-error"] == []
    assert accounted(tracker) == tracker.calls
    lines += capture.warnings if capture is not None else []
    lines += [f"session {sid}" for sid in tracker.sessions]
    lines += [f"{f.rule}: {f.message}" for f in tracker.findings]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("hostile")
    paths = []
    for case in CASES:
        path = tmp / case.name
        path.write_bytes(case.build(tmp))
        paths.append(path)
    return paths


@pytest.mark.parametrize("n", range(len(CASES)), ids=[c.name for c in CASES])
def test_each_hostile_file_says_what_happened(files, n):
    said = told(files[n])
    assert CASES[n].says in said, said


def test_check_over_every_hostile_file_exits_2_with_one_line_each(files):
    out = subprocess.run([sys.executable, "-m", "playhead.cli", "check", *map(str, files)],
                         capture_output=True, timeout=120)
    stderr, stdout = out.stderr.decode(), out.stdout.decode()
    assert out.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert all(line.startswith("playhead: ") for line in stderr.splitlines()), stderr
    for case, path in zip(CASES, files, strict=True):
        lines = [line for line in stderr.splitlines() if line.startswith(f"playhead: {path}")]
        if case.unreadable:
            assert len(lines) == 1 and case.says in lines[0], (case.name, lines)
        else:
            assert lines[0].startswith(f"playhead: {path}: "), lines
    for control in ("\x1b", "\x07", "\x9b"):
        assert control not in stdout and control not in stderr
    assert "session-not-closed" in stdout  # the readable files were checked


def test_check_over_readable_hostile_files_reports_and_exits_1(files):
    readable = [str(p) for c, p in zip(CASES, files, strict=True) if not c.unreadable]
    out = subprocess.run([sys.executable, "-m", "playhead.cli", "check", "--format", "json", *readable],
                         capture_output=True, timeout=120)
    assert out.returncode == 1, out.stderr.decode()
    assert b"Traceback" not in out.stderr
    written = sum(1 for p in readable for c in read_capture(p) if c.endpoint)
    report = json.loads(out.stdout)
    assert report["summary"]["calls"] == sum(s["calls"] for s in report["sessions"]) == written
