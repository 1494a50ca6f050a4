"""Hostile capture files through the real readers and the tracker, as `playhead check` runs them
(SPEC §10): a file either reads, with a one-line warning for every record it skips, or fails with a
one-line CaptureError naming it; every API call read reaches the tracker and is kept there.

HAR entries are broken the way hand edits and buggy exporters break them (missing or retyped
fields, base64 and compressed bodies, bodies that lie about their encoding); whole files are cut,
compressed, prefixed and bit-flipped. Recordings are written by RecordingWriter and cut where a
crash would cut them. Flow files are written by mitmproxy's FlowWriter and cut or damaged.
tests/test_readers.py has the exporter-specific cases; this file throws generated ones.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playhead.core.call import Call, classify, url_path
from playhead.core.tracker import Tracker
from playhead.io import CaptureError, RecordingWriter, read_capture
from playhead.io.har import BODY_LIMIT
from support_hostile import HOST, SCHEMAS, accounted, bounded, event_bodies, hostile_text, sids

fuzz = bounded(40)
BROKEN_GZIP = b"\x1f\x8b\x08\x00garbage"


@dataclasses.dataclass
class Outcome:
    calls: list[Call]  # what the reader yielded, in order
    warnings: list[str]
    entries: int | None  # records the reader counted (None when it failed before reading any)
    error: str | None  # the CaptureError message, if the file could not be read (whole)


def check(path: Path) -> Outcome:
    """Read `path` and feed a tracker as `playhead check` does, and hold every promise of SPEC §10:
    no exception but CaptureError, messages on one line naming the file, every call kept."""
    tracker = Tracker(schemas=SCHEMAS)
    calls: list[Call] = []
    capture = None
    error = None
    try:
        with read_capture(path) as capture:
            for call in capture:
                calls.append(call)
                tracker.feed(call)
    except CaptureError as exc:
        error = str(exc)
        assert error.startswith(f"{path}: ") and "\n" not in error, error
    tracker.finish()
    assert [f.message for f in tracker.findings if f.rule == "internal-error"] == []
    assert accounted(tracker) == tracker.calls == sum(1 for c in calls if c.endpoint)
    warnings = capture.warnings if capture is not None else []
    for warning in warnings:
        assert warning.startswith(str(path)) and "\n" not in warning, warning
    return Outcome(calls, warnings, capture.entries if capture is not None else None, error)


def sourceless(call: Call) -> Call:
    return dataclasses.replace(call, source="")


# --- HAR ------------------------------------------------------------------------------------

PACK = {"gzip": gzip.compress, "deflate": zlib.compress, "br": None}  # br filled in lazily
URLS = ["{h}/api/v1/sessions", "{h}/api/v1/sessions/{sid}/events", "/api/v1/sessions",
        "http://[::1/api/v1/sessions/{sid}/events", "{h}/static/player.js", "{h}/api/v1/sessions?x=[y]"]
BREAKS = {  # ways an entry is broken, and whether the reader must then skip it
    "entry is a number": (lambda e: 42, True),
    "entry is a list": (lambda e: [e], True),
    "no request": (lambda e: {k: v for k, v in e.items() if k != "request"}, True),
    "request is a string": (lambda e: {**e, "request": "POST /"}, True),
    "no method": (lambda e: {**e, "request": {k: v for k, v in e["request"].items() if k != "method"}}, True),
    "empty url": (lambda e: {**e, "request": {**e["request"], "url": ""}}, True),
    "url is a number": (lambda e: {**e, "request": {**e["request"], "url": 7}}, True),
    "headers not a list": (lambda e: {**e, "request": {**e["request"], "headers": "x"}}, False),
    "junk headers": (lambda e: {**e, "request": {**e["request"], "headers": [5, {"name": 1}, {}]}}, False),
    "postData is a string": (lambda e: {**e, "request": {**e["request"], "postData": "x"}}, False),
    "text is a number": (lambda e: {**e, "request": {**e["request"], "postData": {"text": 5}}}, False),
    "form params": (lambda e: {**e, "request": {**e["request"], "postData": {"params": [
        {"name": "a", "value": "\x1b"}, 3]}}}, False),
    "no response": (lambda e: {k: v for k, v in e.items() if k != "response"}, False),
    "response null": (lambda e: {**e, "response": None}, False),
    "content a list": (lambda e: {**e, "response": {**e["response"], "content": []}}, False),
    "date garbage": (lambda e: {**e, "startedDateTime": "yesterday\x1b[31m"}, False),
    "date number": (lambda e: {**e, "startedDateTime": 1e300}, False),
}


def pack(coding: str, data: bytes) -> bytes:
    if coding == "br":
        import brotli

        return brotli.compress(data)
    return PACK[coding](data)


@st.composite
def har_entries(draw) -> tuple[dict, bytes | None, str | None]:
    """(entry, the request body the reader must give back or None if unchecked, a break or None)."""
    raw = draw(event_bodies())
    sid = draw(sids)
    url = draw(st.sampled_from(URLS)).format(h=HOST, sid=sid)
    headers = [{"name": draw(hostile_text) or "x", "value": draw(hostile_text)}
               for _ in range(draw(st.integers(0, 2)))]
    if url.startswith("/"):
        headers.append({"name": ":authority", "value": "acme.hb-api.omtrdc.net"})
    coding = draw(st.sampled_from(["none", "gzip", "deflate", "br", "claimed", "broken", "rot13"]))
    expect: bytes | None = raw
    if coding == "none" and is_utf8(raw):
        post = {"mimeType": "application/json", "text": raw.decode()}
    elif coding == "none":  # not UTF-8: base64 (Charles, Reqable) or surrogate escapes (mitmproxy)
        post = draw(st.sampled_from([
            {"text": base64.b64encode(raw).decode(), "encoding": "base64"},
            {"text": raw.decode("utf-8", "surrogateescape")},
        ]))
    elif coding in PACK:
        headers.append({"name": "Content-Encoding", "value": coding})
        packed = pack(coding, raw)
        post = {"text": base64.b64encode(packed).decode(), "encoding": "base64"}
        expect = raw[: BODY_LIMIT + 1]  # inflated as a stream, cut just past the body limit
        if coding == "br" and is_utf8(packed):
            expect = None  # br has no magic bytes: packed bytes that read as text are taken as text
    elif coding == "claimed":  # says gzip, holds the decoded body (as HAR says it should)
        headers.append({"name": "content-encoding", "value": "gzip"})
        post = {"text": base64.b64encode(raw).decode(), "encoding": "base64"}
        expect = None if raw[:2] == b"\x1f\x8b" else raw
    elif coding == "broken":
        headers.append({"name": "Content-Encoding", "value": "gzip"})
        post = {"text": base64.b64encode(BROKEN_GZIP).decode(), "encoding": "base64"}
        expect = BROKEN_GZIP
    else:
        post = {"text": "%%% not base64", "encoding": draw(st.sampled_from(["base64", "rot13"]))}
        expect = b"%%% not base64"
    status = draw(st.sampled_from([201, 204, 400, 404, 0, -1, "201", True, None, 10**30, "x"]))
    response = {"status": status, "headers": [{"name": "Location", "value": f"/api/v1/sessions/{sid}"}],
                "content": draw(st.sampled_from([
                    {"size": 0}, {"size": 9}, {"text": "", "size": 0},
                    {"text": base64.b64encode(b"\x00\xff").decode(), "encoding": "base64"},
                    {"text": "%%%", "encoding": "base64"}]))}
    entry = {"startedDateTime": draw(st.sampled_from(["2025-11-26T00:00:00.123Z", "2025-11-26T00:00:00",
                                                      "2025-11-26T00:00:00.1234567+01:00", ""])),
             "request": {"method": draw(st.sampled_from(["POST", "post", "OPTIONS", "GET"])),
                         "url": url, "headers": headers, "postData": post},
             "response": response}
    broken = draw(st.one_of(st.none(), st.sampled_from(sorted(BREAKS))))
    if broken is not None:
        entry = BREAKS[broken][0](entry)
        if broken in ("postData is a string", "text is a number", "form params") or (
                broken in ("headers not a list", "junk headers") and coding != "none"):
            expect = None  # no body as such, or its Content-Encoding went with the headers
    return entry, expect, broken


def is_utf8(data: bytes) -> bool:
    return data.decode("utf-8", "replace").encode() == data  # nothing needed replacing


def is_api(url: str) -> bool:
    return classify(url_path(url)) is not None


def har_text(entries: list, ascii_only: bool) -> str:
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "fuzz"}, "entries": entries}},
                      ensure_ascii=ascii_only)


@fuzz
@given(st.lists(har_entries(), max_size=8), st.booleans())
def test_har_entries_are_read_or_skipped_with_a_warning_never_lost(tmp_path_factory, items, ascii_only):
    path = tmp_path_factory.mktemp("har") / "fuzz.har"
    # Unescaped, a lone surrogate cannot be UTF-8: write it as JSON's \\uXXXX escape, as json does.
    path.write_bytes(har_text([entry for entry, _, _ in items], ascii_only).encode("utf-8", "backslashreplace"))
    out = check(path)
    assert out.error is None
    assert out.entries == len(items)
    by_source = {call.source: call for call in out.calls}
    for n, (entry, expect, broken) in enumerate(items, 1):
        source = f"{path}#{n}"
        skipped = [w for w in out.warnings if w.startswith(f"{source}: entry skipped: ")]
        if broken is not None and BREAKS[broken][1]:
            assert source not in by_source and len(skipped) == 1, (broken, out.warnings)
            continue
        assert skipped == []
        if not is_api(entry["request"]["url"]):
            assert source not in by_source
            continue
        call = by_source[source]  # an API call is never lost
        if expect is not None:
            assert call.request_body == expect, broken
        if expect == BROKEN_GZIP:
            assert any(w.startswith(f"{source}: request body says gzip but does not decode") for w in out.warnings)


@fuzz
@given(st.lists(har_entries(), min_size=1, max_size=4), st.data())
def test_damaged_har_files_read_or_fail_in_one_line(tmp_path_factory, items, data):
    whole = har_text([entry for entry, _, _ in items], True).encode()
    damage = data.draw(st.sampled_from(["cut", "zlib", "zlib cut", "BOM", "flip", "latin-1"]))
    if damage == "cut":
        damaged = whole[: data.draw(st.integers(1, len(whole) - 1))]
    elif damage.startswith("zlib"):
        damaged = zlib.compress(whole)
        damaged = damaged[: data.draw(st.integers(2, len(damaged) - 1))] if damage == "zlib cut" else damaged
    elif damage == "BOM":
        damaged = b"\xef\xbb\xbf" + whole
    elif damage == "flip":
        at = data.draw(st.integers(0, len(whole) - 1))
        damaged = whole[:at] + bytes([whole[at] ^ data.draw(st.integers(1, 255))]) + whole[at + 1:]
    else:
        damaged = whole.replace(b"POST", b"P\xd6ST", 1)
    path = tmp_path_factory.mktemp("har") / "damaged.har"
    path.write_bytes(damaged)
    out = check(path)
    if damage in ("cut", "zlib cut", "latin-1") and damaged != whole:
        assert out.error is not None and out.calls == []
    if damage in ("zlib", "BOM"):
        assert out.error is None and out.entries == len(items)


# --- recordings -----------------------------------------------------------------------------


@st.composite
def recorded_calls(draw) -> Call:
    sid = draw(sids)
    return Call(
        method=draw(st.sampled_from(["POST", "GET", "post"])),
        url=draw(st.sampled_from([f"{HOST}/api/v1/sessions", f"{HOST}/api/v1/sessions/{sid}/events",
                                  f"{HOST}/x/{sid}"])),
        request_body=draw(st.one_of(st.none(), event_bodies())),
        status=draw(st.sampled_from([None, 201, 204, 400, 0, 999])),
        request_headers=tuple(draw(st.lists(st.tuples(hostile_text, hostile_text), max_size=2))),
        response_headers=draw(st.one_of(st.none(), st.just((("Location", f"/api/v1/sessions/{sid}"),)))),
        response_body=draw(st.one_of(st.none(), st.binary(max_size=16))),
        time=draw(st.floats(0, 2e9, allow_nan=False)),
    )


def whole_records(data: bytes, cut: int) -> tuple[int, bool]:
    """(complete lines, whether a partial line follows) in the first `cut` bytes of a recording."""
    lines = data.split(b"\n")[:-1]
    prefix = data[:cut]
    complete = prefix.count(b"\n")
    rest = prefix[prefix.rfind(b"\n") + 1:]
    if rest and rest == lines[complete]:  # cut just before a newline: the line is whole
        return complete + 1, False
    return complete, bool(rest)


@fuzz
@given(st.lists(recorded_calls(), min_size=1, max_size=5), st.data())
def test_a_recording_cut_anywhere_keeps_every_whole_call(tmp_path_factory, calls, data):
    folder = tmp_path_factory.mktemp("rec")
    full = folder / "full.jsonl"
    with RecordingWriter(full) as writer:
        for call in calls:
            writer.write(call)
    written = full.read_bytes()
    # A fraction, not a byte count: the header's timestamp makes the length vary from run to run.
    cut = max(1, round(data.draw(st.floats(0, 1)) * len(written)))
    path = folder / "cut.jsonl"
    path.write_bytes(written[:cut])
    out = check(path)
    lines, partial = whole_records(written, cut)
    if lines == 0:  # the header itself was cut: nothing to read, said in one line either way
        assert out.calls == [] and (out.error is not None or len(out.warnings) == 1)
        return
    wanted = [c for c in calls[: lines - 1] if c.route]
    assert out.error is None
    assert [sourceless(c) for c in out.calls] == in_time_order(wanted)
    assert out.entries == lines - 1 + partial
    assert out.warnings == ([f"{path}: line {lines + 1}: last line cut short (crash?); skipped"]
                            if partial else [])

    # The next run appends after the cut: the calls on both sides of it are all read.
    with RecordingWriter(path) as writer:
        for call in calls:
            writer.write(call)
    again = check(path)
    assert [sourceless(c) for c in again.calls] == in_time_order(wanted + [c for c in calls if c.route])
    assert len(again.warnings) == partial


def in_time_order(calls: list[Call]) -> list[Call]:
    """What every reader yields: the calls sorted by when they were sent, ties in file order."""
    return sorted(calls, key=lambda c: c.time)


# --- mitmproxy flow files -------------------------------------------------------------------


def flow_of(call: Call):
    from mitmproxy import http
    from mitmproxy.test import tflow, tutils

    path = call.url.removeprefix(HOST).encode("utf-8", "surrogatepass")
    request = tutils.treq(method=call.method.encode(), scheme=b"https", host="acme.hb-api.omtrdc.net",
                          port=443, path=path, content=b"", timestamp_start=call.time,
                          headers=http.Headers([(k.encode("utf-8", "surrogatepass"),
                                                 v.encode("utf-8", "surrogatepass"))
                                                for k, v in call.request_headers]))
    request.raw_content = call.request_body
    response = False
    if call.status is not None and call.status >= 100:
        headers = http.Headers([(k.encode(), v.encode("utf-8", "surrogatepass"))
                                for k, v in call.response_headers or ()])
        response = tutils.tresp(status_code=call.status, headers=headers, content=call.response_body or b"")
    return tflow.tflow(req=request, resp=response, err=response is False)


def write_flows(path: Path, flows) -> bytes:
    from mitmproxy.io import FlowWriter

    with open(path, "wb") as f:
        writer = FlowWriter(f)
        for flow in flows:
            writer.add(flow)
    return path.read_bytes()


@fuzz
@given(st.lists(recorded_calls(), min_size=1, max_size=4), st.data())
def test_flow_files_cut_or_damaged_read_up_to_the_damage(tmp_path_factory, calls, data):
    folder = tmp_path_factory.mktemp("flows")
    written = write_flows(folder / "full.mitm", [flow_of(c) for c in calls])
    full = check(folder / "full.mitm")
    assert full.error is None and full.entries == len(calls)
    assert [c.request_body for c in full.calls] == [c.request_body for c in in_time_order(calls) if c.route]
    at = data.draw(st.integers(1, len(written) - 1))
    if data.draw(st.booleans()):
        damaged, how = written[:at], "cut"
    else:
        damaged, how = written[:at] + bytes([written[at] ^ data.draw(st.integers(1, 255))]) + written[at + 1:], "flip"
    path = folder / "damaged.mitm"
    path.write_bytes(damaged)
    out = check(path)
    if how == "cut":  # the flows before the cut are read; then a one-line error, or a clean end
        read_before_cut = [sourceless(flow_call) for flow_call in calls if flow_call.route][: len(out.calls)]
        assert [sourceless(c) for c in out.calls] == in_time_order(read_before_cut)
        if out.error is not None:
            assert "damaged after flow" in out.error or "not a mitmproxy flow file" in out.error


@pytest.mark.parametrize("ending", [b"", b"\n", b"0:~", b"9999999:", b"\x00" * 8])
def test_flow_file_with_a_bad_tail_keeps_the_flows_before_it(tmp_path, ending):
    call = Call("POST", f"{HOST}/api/v1/sessions", b"{}", 201, (), (("Location", "/api/v1/sessions/s"),))
    path = tmp_path / "tail.mitm"
    path.write_bytes(write_flows(tmp_path / "one.mitm", [flow_of(call)]) + ending)
    out = check(path)
    assert len(out.calls) == 1
