"""The HAR reader's two paths read a file the same: msgspec Structs of only the fields used (the
fast path, io/har_typed.py) and plain JSON values (the tolerant path). A file the Structs do not
describe goes the tolerant way, whole, and loses nothing.

Each pair is read through the real reader functions, over committed captures of every exporter
and over generated entries broken the ways tests/test_fuzz_readers.py breaks them."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from playhead.core.tracker import Tracker
from playhead.io import har, har_typed, read_capture
from playhead.io.reader import Capture
from support_hostile import bounded
from test_fuzz_readers import har_entries, har_text

DATA = Path(__file__).parent / "data"
COMMITTED = sorted([*DATA.glob("*.har"), *(DATA / "alloy").glob("*.har")])


def both_ways(path: Path, data: bytes) -> tuple[Capture, list, Capture, list]:
    """(capture, calls) read from the Structs, then the same from plain values."""
    entries = har_typed.entries(data)
    assert entries is not None, "the Structs describe this file"
    typed = Capture(str(path), "har", lambda capture: har.calls(str(path), entries, capture))
    plain_entries = har.plain_entries(str(path), data)
    plain = Capture(str(path), "har", lambda capture: har.calls(str(path), plain_entries, capture))
    return typed, list(typed), plain, list(plain)


def same(typed: Capture, typed_calls: list, plain: Capture, plain_calls: list) -> None:
    assert len(typed_calls) == len(plain_calls)
    for one, other in zip(typed_calls, plain_calls):
        assert one == other, [f.name for f in fields(one) if getattr(one, f.name) != getattr(other, f.name)]
        assert one.source == other.source
    assert (typed.entries, typed.kept, typed.warnings) == (plain.entries, plain.kept, plain.warnings)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_every_committed_capture_decodes_typed_and_reads_as_the_tolerant_path(path):
    typed, typed_calls, plain, plain_calls = both_ways(path, path.read_bytes())
    assert typed_calls, "the capture holds API calls"
    same(typed, typed_calls, plain, plain_calls)


@bounded(60)
@given(st.lists(har_entries(), max_size=6), st.booleans())
def test_generated_entries_read_the_same_either_way(tmp_path_factory, items, ascii_only):
    data = har_text([entry for entry, _, _ in items], ascii_only).encode("utf-8", "backslashreplace")
    assume(har_typed.entries(data) is not None)  # lone surrogate escapes: msgspec refuses the file
    path = tmp_path_factory.mktemp("har") / "typed.har"
    same(*both_ways(path, data))


def test_findings_of_the_alloy_captures_are_those_of_the_tolerant_path():
    for path in sorted((DATA / "alloy").glob("*.har")):
        typed, typed_calls, plain, plain_calls = both_ways(path, path.read_bytes())
        found = []
        for calls in (typed_calls, plain_calls):
            tracker = Tracker()
            tracker.feed_all(calls)
            tracker.finish()
            found.append(sorted((f.rule, f.session, f.call, f.message) for f in tracker.findings))
        assert found[0] == found[1]


@pytest.mark.parametrize("shape, change", [
    ("a header that is a string", lambda e: e["request"]["headers"].append("Accept: */*")),
    ("a request that is a string", lambda e: e.update(request="POST /")),
    ("NaN in a field nothing reads", lambda e: e.update(time=float("nan"))),
    ("a lone surrogate escape in a body", lambda e: e["request"]["postData"].update(text="{\udc80}")),
])
def test_a_shape_the_structs_do_not_describe_reads_the_whole_file_the_tolerant_way(tmp_path, shape, change):
    sid = "a" * 32
    entries = [{"startedDateTime": f"2025-11-26T00:00:0{n}Z",
                "request": {"method": "POST", "url": f"https://x.hb-api.omtrdc.net/api/v1/sessions/{sid}/events",
                            "headers": [{"name": "Content-Type", "value": "application/json"}],
                            "postData": {"mimeType": "application/json", "text": '{"eventType":"ping"}'}},
                "response": {"status": 204, "headers": [], "content": {"size": 0}}} for n in range(3)]
    change(entries[1])
    path = tmp_path / "odd.har"
    path.write_bytes(json.dumps({"log": {"entries": entries}}).encode("utf-8", "backslashreplace"))
    assert har_typed.entries(path.read_bytes()) is None, shape
    capture = read_capture(path)
    sources = [call.source for call in capture]
    skipped = [f"{path}#2: entry skipped: no request"] if shape == "a request that is a string" else []
    assert sources == [f"{path}#{n}" for n in (1, 2, 3) if not skipped or n != 2]
    assert capture.warnings == skipped and capture.entries == 3


@pytest.mark.parametrize("shape, header, header_struct", [
    ("text headers", {"name": "Accept", "value": "*/*"}, har_typed.TextHeader),
    ("a pseudo-header", {"name": ":authority", "value": "x.hb-api.omtrdc.net"}, har_typed.TextHeader),
    ("a number as a value", {"name": "Content-Length", "value": 20}, har_typed.Header),
    ("a null value", {"name": "Accept", "value": None}, har_typed.Header),
    ("an empty name", {"name": "", "value": "x"}, har_typed.Header),
    ("a number as a name", {"name": 7, "value": "x"}, har_typed.Header),
])
def test_headers_that_are_not_all_text_are_decoded_by_the_loose_structs_and_read_the_same(
        tmp_path, shape, header, header_struct):
    sid = "a" * 32
    entries = [{"startedDateTime": f"2025-11-26T00:00:0{n}Z",
                "request": {"method": "POST", "url": f"https://x.hb-api.omtrdc.net/api/v1/sessions/{sid}/events",
                            "headers": [{"name": "Content-Type", "value": "application/json"},
                                        *([header] if n == 1 else [])],
                            "postData": {"mimeType": "application/json", "text": '{"eventType":"ping"}'}},
                "response": {"status": 204, "headers": [{"name": "Date", "value": "x"}, header],
                             "content": {"size": 0, "text": ""}}} for n in range(3)]
    path = tmp_path / "headers.har"
    data = json.dumps({"log": {"entries": entries}}).encode()
    path.write_bytes(data)
    decoded = har_typed.entries(data)
    assert decoded is not None and type(decoded[1].request.headers[1]) is header_struct, shape
    typed, typed_calls, plain, plain_calls = both_ways(path, data)
    assert len(typed_calls) == 3
    same(typed, typed_calls, plain, plain_calls)
