"""Hostile bodies, sids and answers through the tracker (SPEC §10): every call ends in a session
or as an orphan, a body that cannot be an event always gets its `body-not-json` finding, a number
slot holding a string or a bool gets a `schema` finding, and nothing becomes an internal error.

tests/test_property.py already throws arbitrary JSON-shaped bodies at the tracker; this file adds
what JSON generation does not reach: bytes that are not JSON, not UTF-8, truncated, compressed,
huge or deeply nested, out-of-range numbers, hostile strings, odd sids and Location headers.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from playhead.core.call import Call
from playhead.core.engine import check_calls as _check_calls
from playhead.core.tracker import Tracker
from playhead.io.reports import render
from playhead.io.reports.safe import UNSAFE
from support_hostile import (
    BAD_BODIES,
    HOST,
    NUMBER_SLOTS,
    ODD_LOCATIONS,
    ODD_NUMBERS,
    SCHEMAS,
    SESSION_START,
    START,
    WRONG_TYPE,
    accounted,
    body,
    bounded,
    event_bodies,
    sids,
    slot_body,
)

def check_calls(calls):
    return _check_calls(calls, schemas=SCHEMAS)


STATUSES = [201, 204, 400, 404, 410, 500, None, 0, 999]


def start(body_bytes: bytes, sid: str = "s", status: int | None = 201, location: str | None = None):
    headers = None if status is None else (("Location", location or f"/api/v1/sessions/{sid}"),)
    return Call("POST", f"{HOST}/api/v1/sessions", body_bytes, status, (), headers, b"", START / 1000)


def event(body_bytes: bytes, sid: str = "s", status: int | None = 204, at: float = 1.0):
    headers = None if status is None else (("Date", "x"),)
    return Call("POST", f"{HOST}/api/v1/sessions/{sid}/events", body_bytes, status, (), headers,
                b"", START / 1000 + at)


def bad_body_entries(tracker):
    entries = [e for s in tracker.sessions.values() for e in s.entries] + tracker.orphans
    return [e for e in entries if e.body_error is not None]


calls = st.lists(st.tuples(
    st.sampled_from(["start", "event"]),
    event_bodies(),
    st.one_of(st.sampled_from(["s", "t"]), sids),
    st.sampled_from(STATUSES),
    st.one_of(st.none(), st.sampled_from(ODD_LOCATIONS)),
), max_size=10)


@bounded(100)
@given(calls, st.booleans())
def test_hostile_calls_are_all_kept_with_findings_and_no_internal_error(items, live):
    fed = []
    for n, (kind, raw, sid, status, location) in enumerate(items):
        if kind == "start":
            fed.append(start(raw, sid, status, location))
        else:
            fed.append(event(raw, sid, status, at=n))
    assert all(call.endpoint for call in fed)  # odd sids included, every call is an API call
    tracker = Tracker(schemas=SCHEMAS)
    for call in fed:
        tracker.feed(call)
        if live:  # the wall clock runs on: held events are released, silent sessions overdue
            tracker.tick(call.time + 700)
    tracker.finish()
    assert [f.message for f in tracker.findings if f.rule == "internal-error"] == []
    assert accounted(tracker) == len(fed)  # never a lost call
    for entry in bad_body_entries(tracker):
        assert "body-not-json" in {f.rule for f in entry.findings}
    shown = render(tracker, "text")  # messages keep wire text as is: every output escapes it
    assert not UNSAFE.search(shown.replace("\n", "")), "a control character reached the report"


def test_every_bad_body_gets_its_own_body_not_json_finding():
    names = sorted(BAD_BODIES)
    fed = [start(body(SESSION_START))] + [event(BAD_BODIES[n][0], at=i + 1) for i, n in enumerate(names)]
    tracker = check_calls(fed)
    entries = tracker.sessions["s"].entries[1:]
    assert len(entries) == len(names)
    for name, entry in zip(names, entries, strict=True):
        (finding,) = [f for f in entry.findings if f.rule == "body-not-json"]
        assert BAD_BODIES[name][1] in finding.message, (name, finding.message)


def test_a_number_slot_holding_something_else_is_a_schema_finding():
    fed = []
    for slot in sorted(NUMBER_SLOTS):
        for n, value in enumerate(WRONG_TYPE):
            fed += [start(body(SESSION_START), f"{slot}{n}"), event(slot_body(slot, value), f"{slot}{n}")]
    tracker = check_calls(fed)
    for sid, session in tracker.sessions.items():
        assert "schema" in {f.rule for f in session.entries[1].findings}, sid


def test_out_of_range_numbers_are_findings_or_accepted_never_failures():
    """1e400 reads as Infinity and a 401-digit integer is beyond a double: as ts they are findings
    (schema, ts-units); elsewhere they never become an internal error and the call is kept."""
    fed = []
    for slot in sorted(NUMBER_SLOTS):
        for n, value in enumerate(ODD_NUMBERS):  # one session each: some rules speak once a session
            fed += [start(body(SESSION_START), f"{slot}{n}"), event(slot_body(slot, value), f"{slot}{n}")]
    tracker = check_calls(fed)
    assert [f.message for f in tracker.findings if f.rule == "internal-error"] == []
    assert accounted(tracker) == len(fed)
    ts_rules = {value: {f.rule for f in tracker.sessions[f"ts{n}"].entries[1].findings}
                for n, value in enumerate(ODD_NUMBERS)}
    for value in ("1e400", "-1e400", "0.1"):
        assert "schema" in ts_rules[value], value  # not an integer
    for value in ("1" + "0" * 19, "1" + "0" * 400, "1.7976931348623157e308", "-1", "-0.0", "1e-400"):
        assert "ts-units" in ts_rules[value], value  # far from epoch milliseconds


@bounded(20)
@given(st.lists(st.tuples(event_bodies(), sids), min_size=1, max_size=6))
def test_reports_of_hostile_sessions_render_in_every_format(items):
    fed = [start(body(SESSION_START), sid) for _, sid in items]
    fed += [event(raw, sid, at=n + 1) for n, (raw, sid) in enumerate(items)]
    tracker = check_calls(fed)
    for fmt in ("json", "junit", "markdown", "html"):
        assert not UNSAFE.search(render(tracker, fmt).replace("\n", "")), fmt
