"""The tracker around the rules: linking sessions, holding early events, the reorder window, live
timers, failures inside playhead, and the `playhead check / rules / explain` commands over real
files in a real subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from playhead.core import rules as rule_families
from playhead.core import timeline
from playhead.core.call import Call
from playhead.core.findings import REGISTRY, Severity
from playhead.core.tracker import Tracker
from playhead.io.recording import RecordingWriter
from playhead.simulate.offline import scenario_as_calls
from playhead.simulate.scenarios import SCENARIOS

from support_rules import (
    OTHER_SID,
    SCHEMAS,
    SID,
    START_TS,
    calls,
    check,
    events_url,
    of,
    played,
    replace,
    serious,
    vod,
    with_body,
)

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO
T0 = START_TS / 1000  # wall clock (Call.time) of t=0


def kinds(session) -> list[str | None]:
    return [e.event_type for e in session.entries]


def clean_session(sid: str = SID, start_ts: int = START_TS, media: str = "media-1") -> list[Call]:
    """start, play@1, pings @10/@20, sessionEnd@25: nothing to report."""
    s = vod()
    s.steps[0].params["media.id"] = media
    return calls(played(s, 25).at(25).session_end(), sid=sid, start_ts=start_ts)


# == linking a sessionStart to its sid ===============================================================


@pytest.mark.parametrize("location", [
    f"https://playhead-demo.hb-api.omtrdc.net/api/v1/sessions/{SID}",
    f"/api/v1/sessions/{SID}",
    f"/api/v1/sessions/{SID}/",
    f"https://first-party.example.com/metrics/api/v1/sessions/{SID}/",
])
def test_session_start_is_linked_by_the_201_location(location):
    cs = clean_session()
    cs[0] = replace(cs[0], response_headers=(("Content-Length", "0"), ("location", location)))
    tracker = check(cs)
    assert list(tracker.sessions) == [SID]
    session = tracker.sessions[SID]
    assert session.has_start and session.params["media.id"] == "media-1"
    assert kinds(session) == ["sessionStart", "play", "ping", "ping", "sessionEnd"]
    assert [e.index for e in session.entries] == [0, 1, 2, 3, 4]
    assert tracker.findings == [] and tracker.orphans == []


def test_events_sent_before_the_201_are_held_and_replayed_in_order():
    """A client queues events until the 201 and flushes them; the capture sees them first."""
    cs = clean_session()
    start, events = cs[0], cs[1:]
    arrival = events[:3] + [start] + events[3:]  # play, ping, ping, sessionStart, sessionEnd
    tracker = Tracker(schemas=SCHEMAS)
    for call in arrival[:3]:
        update = tracker.feed(call)
        assert update.findings == [] and tracker.sessions == {}  # held, not dropped, not judged
    tracker.feed(arrival[3])
    session = tracker.sessions[SID]
    assert kinds(session) == ["sessionStart", "play", "ping", "ping"]
    tracker.feed_all(arrival[4:])
    tracker.finish()
    assert kinds(session) == ["sessionStart", "play", "ping", "ping", "sessionEnd"]
    assert [e.index for e in session.entries] == [0, 1, 2, 3, 4]
    assert all(e.applied for e in session.entries)
    assert tracker.calls == len(arrival) == session.calls
    assert tracker.findings == []


def test_capture_without_response_headers_links_the_earliest_unlinked_start_and_says_so():
    a = clean_session(SID, media="media-A")
    b = clean_session(OTHER_SID, START_TS + 2_000, media="media-B")
    starts = [replace(a[0], response_headers=None), replace(b[0], response_headers=None)]
    interleaved = [c for pair in zip(a[1:], b[1:]) for c in pair]
    tracker = check(starts + interleaved)
    assert list(tracker.sessions) == [SID, OTHER_SID]
    assert tracker.sessions[SID].params["media.id"] == "media-A"
    assert tracker.sessions[OTHER_SID].params["media.id"] == "media-B"
    inferred = of(tracker, "session-link-inferred")
    assert [(f.session, f.call, f.severity) for f in inferred] == [(SID, 0, I), (OTHER_SID, 0, I)]
    assert serious(tracker) == []


def test_a_rejected_start_without_headers_is_not_linked_by_order():
    """The client's first sessionStart is refused (400), it retries and gets its 201; the export
    dropped every response header. Only the 201 can have produced the sid."""
    cs = clean_session()
    refused = replace(cs[0], status=400, response_headers=None, response_body=b'{"error": "bad"}')
    retried = replace(cs[0], response_headers=None)
    tracker = check([refused, retried] + cs[1:])
    assert list(tracker.sessions) == [SID]
    assert tracker.sessions[SID].entries[0].call.status == 201
    [rejected] = of(tracker, "session-start-rejected")
    assert rejected.session is None
    assert serious(tracker) == [rejected]


def test_events_for_a_sid_without_session_start_are_an_unknown_session_at_finish():
    events = clean_session()[1:]
    tracker = Tracker(schemas=SCHEMAS)
    tracker.feed_all(events)
    assert tracker.sessions == {} and tracker.findings == []  # waiting for a sessionStart
    update = tracker.finish()
    session = tracker.sessions[SID]
    assert not session.has_start
    assert kinds(session) == ["play", "ping", "ping", "sessionEnd"]
    assert [(f.rule, f.severity, f.call) for f in update.findings] == [("unknown-session", I, 0)]


def test_live_held_events_are_released_as_unknown_session_after_the_hold():
    events = clean_session()[1:3]  # play@1, ping@10
    tracker = Tracker(schemas=SCHEMAS)
    tracker.feed_all(events)
    first_seen = events[0].time
    assert tracker.tick(first_seen + tracker.config.hold_seconds - 0.5).findings == []
    assert tracker.sessions == {}
    update = tracker.tick(first_seen + tracker.config.hold_seconds + 0.5)
    assert [(f.rule, f.session, f.call) for f in update.findings] == [("unknown-session", SID, 0)]
    assert kinds(tracker.sessions[SID]) == ["play", "ping"]


def test_only_api_calls_are_counted():
    tracker = Tracker(schemas=SCHEMAS)
    preflight = Call("OPTIONS", events_url(), None, 200, (), (), b"", T0)
    other = Call("POST", "https://playhead-demo.hb-api.omtrdc.net/api/v1/other", b"{}", 200, (), (), b"", T0)
    get = Call("GET", events_url(), None, 405, (), (), b"", T0)
    for call in (preflight, other, get):
        assert tracker.feed(call).findings == []
    assert tracker.calls == 0 and tracker.sessions == {}


# == the reorder window and equal timestamps =========================================================


def _midroll_calls():
    """start, play@1, ping@10, adBreakStart@15, adStart@15.1, adComplete@20.1,
    adBreakComplete@20.2, play@20.3, ping@30, sessionEnd@31."""
    s = played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad_start("ad-1", 5, 1)
    s.at(20.1).ad_complete().at(20.2).ad_break_complete().at(20.3).play()
    return calls(s.at(30).ping().at(31).session_end())


def test_an_ad_start_overtaking_its_break_start_within_the_window_is_processed_in_ts_order():
    cs = _midroll_calls()
    cs[3], cs[4] = cs[4], cs[3]  # adStart (ts 15.1) arrives just before adBreakStart (ts 15)
    tracker = check(cs)
    assert of(tracker, "ad-outside-break") == []
    assert [(f.rule, f.severity, f.call) for f in serious(tracker)] == [("ts-out-of-order", W, 4)]
    spans = [(s.kind, s.start_ts - START_TS) for s in tracker.sessions[SID].spans if s.kind.startswith("ad")]
    assert spans == [("ad-break", 15_000), ("ad", 15_100)]


def test_an_event_overtaken_beyond_the_window_is_processed_where_it_arrived():
    """The same adBreakStart, now after an event 5.2 s newer: by then the adStart (5.1 s older than
    that event) has left the window as content, for the backend and for playhead."""
    cs = _midroll_calls()
    cs[3:7] = [cs[4], cs[5], cs[6], cs[3]]  # adStart@15.1, adComplete@20.1, adBreakComplete@20.2, adBreakStart@15
    tracker = check(cs)
    found = {(f.rule, f.severity) for f in serious(tracker)}
    assert ("ad-outside-break", E) in found and ("ts-out-of-order", E) in found


def test_the_window_and_the_out_of_order_error_agree_on_what_is_too_late():
    """adBreakStart@15 arrives right after adStart@20.2 (5.2 s newer): ts-out-of-order calls it an
    error beyond the window, so the timeline must not quietly sort it back in front either."""
    s = played(vod(), 15).at(20.2).ad_start("ad-1", 5, 1)
    cs = calls(s.at(25.2).ad_complete().at(25.3).ad_break_complete().at(25.4).play()
               .at(30).ping().at(31).session_end())
    late = with_body(cs[3], eventType="adBreakStart", playerTime={"playhead": 14.0, "ts": START_TS + 15_000},
                     params={"media.ad.podIndex": 1, "media.ad.podSecond": 14.0})
    cs.insert(4, late)
    tracker = check(cs)
    assert [f.severity for f in of(tracker, "ts-out-of-order")] == [E]
    assert [f.call for f in of(tracker, "ad-outside-break")] == [3]


def test_equal_ts_keep_their_arrival_order():
    """Adobe's SDK stamps adComplete, adBreakComplete and play with one ts: in that order they are
    fine (ts-duplicate remarks only); delivered the other way round the ad ends outside its break."""
    cs = _midroll_calls()
    same = json.loads(cs[5].request_body)["playerTime"]["ts"]
    for i in (6, 7):
        body = json.loads(cs[i].request_body)
        body["playerTime"]["ts"] = same
        cs[i] = replace(cs[i], request_body=json.dumps(body).encode())
    tracker = check(cs)
    assert [(f.rule, f.severity, f.call) for f in tracker.findings] == [
        ("ts-duplicate", W, 6), ("ts-duplicate", I, 7)]
    cs[5], cs[6] = cs[6], cs[5]  # adBreakComplete first, same ts: arrival order is the order
    swapped = check(cs)
    assert [(f.rule, f.call) for f in of(swapped, "ad-outside-break")] == [("ad-outside-break", 6)]


def test_events_answered_4xx_do_not_change_state():
    cs = _midroll_calls()
    cs[3] = replace(cs[3], status=400, response_body=b'{"error": "media.ad.podIndex is missing"}')
    tracker = check(cs)
    session = tracker.sessions[SID]
    refused = session.entries[3]
    assert refused.event_type == "adBreakStart" and not refused.applied and refused.state_after == ""
    assert "break" not in session.entries[4].state_after  # the adStart found no break open
    assert not any(s.kind == "ad-break" for s in session.spans)
    assert [f.call for f in of(tracker, "ad-outside-break")][:1] == [4]
    assert [f.call for f in of(tracker, "http-error")] == [3]


def test_a_refused_session_end_does_not_end_the_session():
    s = played(vod(), 25).at(25).session_end().at(27).ping().at(28).session_end()
    cs = calls(s)  # start, play@1, ping@10, ping@20, sessionEnd@25, ping@27, sessionEnd@28
    assert [f.call for f in of(check(cs), "event-after-end")] == [5]
    cs[4] = replace(cs[4], status=400)  # the first sessionEnd was refused: the session goes on
    tracker = check(cs)
    assert of(tracker, "event-after-end") == []
    assert tracker.sessions[SID].closed_by == "sessionEnd"
    assert [(f.rule, f.call) for f in serious(tracker)] == [("http-error", 4)]


# == families hear only the event types they judge ===================================================


def every_finding(batches: list[list[Call]]) -> list[list[tuple]]:
    return [[(f.rule, f.severity, f.session, f.call, f.message) for f in check(cs).findings]
            for cs in batches]


def test_a_family_that_names_its_event_types_misses_nothing_by_not_hearing_the_others(monkeypatch):
    """`Family.events` only spares calls: with every family hearing every event, every simulated
    scenario, played in order and with its events shuffled within the reorder window and beyond,
    gives the same findings."""
    named = [f for f in rule_families.FAMILIES if f.events is not None]
    assert {f.__name__ for f in named} >= {"AdChecks", "ChapterChecks", "StateChecks"}
    batches = []
    for n, scenario in enumerate(SCENARIOS.values()):
        played_calls = scenario_as_calls(scenario, sid=f"{n:064x}", start_ts=START_TS)
        batches.append(played_calls)
        shuffled = played_calls[:1] + random.Random(n).sample(played_calls[1:], len(played_calls) - 1)
        batches.append(shuffled)
    filtered = every_finding(batches)
    for family in named:
        monkeypatch.setattr(family, "events", None)
    monkeypatch.setattr(timeline, "_ROUTES", {})  # routes are remembered per set of families
    assert every_finding(batches) == filtered
    assert any(f for f in filtered)  # the scenarios do have findings to compare


# == failures inside playhead ========================================================================


def test_a_rule_family_that_raises_becomes_internal_error_and_the_others_still_run(monkeypatch):
    def explode(self, e):
        raise RuntimeError(f"boom on {e.event_type}")

    monkeypatch.setattr(rule_families.AdChecks, "event", explode)
    s = vod().at(1).play().at(1.1).chapter_start(1, 0, 9).at(5).chapter_start(2, 4, 9)  # overlap
    s.at(8).ad_start("ad-1", 5, 1)  # outside a break, but the ad family is down
    s.at(10).ping().at(25).session_complete()  # a late ping gap, still measured
    cs = calls(s)
    tracker = check(cs)
    internal = of(tracker, "internal-error")
    # The ad family is only asked about the types it judges: play, adStart, sessionComplete here.
    assert [f.call for f in internal] == [1, 4, 6]
    assert internal[1].message == "AdChecks.event failed: RuntimeError: boom on adStart"
    assert all(f.severity is E and f.session == SID for f in internal)
    assert [f.call for f in of(tracker, "chapter-overlap")] == [3]
    assert [f.call for f in of(tracker, "ping-late")] == [6]
    assert of(tracker, "ad-outside-break") == []
    session = tracker.sessions[SID]
    assert session.closed_by == "sessionComplete" and all(e.applied for e in session.entries)


def test_an_arrival_check_that_raises_does_not_stop_the_call(monkeypatch):
    def explode(self, e):
        raise ValueError("bad arrival")

    monkeypatch.setattr(rule_families.BodyChecks, "arrive", explode)
    cs = clean_session()
    cs[2] = replace(cs[2], status=500)
    tracker = check(cs)
    assert len(of(tracker, "internal-error")) == len(cs)
    assert [f.call for f in of(tracker, "http-error")] == [2]
    assert tracker.sessions[SID].closed_by == "sessionEnd"


# == live timers =====================================================================================


def test_live_ping_overdue_is_reported_without_a_further_call_and_only_once():
    s = vod().at(1).play().at(10).ping().at(30).ping().at(50).ping().at(55).session_end()
    cs = calls(s)  # 20 s holes after the pings @10 and @30
    tracker = Tracker(schemas=SCHEMAS)
    updates = []
    tracker.subscribe(updates.append)
    tracker.feed_all(cs[:3])
    last = cs[2].time
    assert tracker.tick(last + 11).findings == []
    update = tracker.tick(last + 13)
    [overdue] = update.findings
    assert (overdue.rule, overdue.severity, overdue.call) == ("ping-late", W, 2)
    assert "no call for 13.0 s > 12 s: ping overdue" in overdue.message
    assert updates[-1].findings == [overdue] and updates[-1].sessions == [tracker.sessions[SID]]
    assert tracker.tick(last + 15).findings == []  # still silent: already said
    tracker.feed_all(cs[3:])
    tracker.finish()
    late = of(tracker, "ping-late")
    # the 20 s hole after @10 once (live), the one after @30 from the timeline
    assert [(f.call, f.message) for f in late] == [
        (2, overdue.message), (4, "gap 20.0 s > 12 s after call 3 (ping)")]


def test_live_session_not_closed_after_ten_minutes_of_silence():
    cs = calls(played(vod(), 15))  # start, play@1, ping@10, then nothing
    tracker = Tracker(schemas=SCHEMAS)
    tracker.feed_all(cs)
    last = cs[-1].time
    assert of(tracker, "session-not-closed") == []
    tracker.tick(last + 599)
    assert of(tracker, "session-not-closed") == []
    update = tracker.tick(last + 601)
    [silent] = [f for f in update.findings if f.rule == "session-not-closed"]
    assert (silent.severity, silent.call, silent.session) == (W, 2, SID)
    assert "silent for 601 s" in silent.message
    tracker.finish()
    assert of(tracker, "session-not-closed") == [silent]  # the end of the capture says it once


def test_live_timers_leave_a_closed_session_alone():
    cs = clean_session()
    tracker = Tracker(schemas=SCHEMAS)
    tracker.feed_all(cs)
    tracker.tick(cs[-1].time + 2)
    tracker.tick(cs[-1].time + 3600)
    tracker.finish()
    assert tracker.findings == []
    assert tracker.sessions[SID].closed_by == "sessionEnd"


# == the CLI over real files =========================================================================


def playhead(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "playhead.cli", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def record(path: Path, cs: list[Call]) -> Path:
    with RecordingWriter(path) as writer:
        for call in cs:
            writer.write(call)
    return path


def har(path: Path, cs: list[Call]) -> Path:
    def headers(hs):
        return [{"name": k, "value": v} for k, v in hs or ()]

    entries = [{
        "startedDateTime": dt.datetime.fromtimestamp(c.time, dt.UTC).isoformat(),
        "time": 12,
        "request": {"method": c.method, "url": c.url, "httpVersion": "HTTP/1.1",
                    "headers": headers(c.request_headers), "queryString": [], "cookies": [],
                    "headersSize": -1, "bodySize": len(c.request_body),
                    "postData": {"mimeType": "application/json", "text": c.request_body.decode()}},
        "response": {"status": c.status, "statusText": "", "httpVersion": "HTTP/1.1",
                     "headers": headers((("Date", "Wed, 26 Nov 2025 00:00:00 GMT"),) + c.response_headers),
                     "cookies": [], "content": {"size": 0, "mimeType": "text/plain", "text": ""},
                     "redirectURL": "", "headersSize": -1, "bodySize": 0},
        "cache": {}, "timings": {"send": 0, "wait": 12, "receive": 0},
    } for c in cs]
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                                        "entries": entries}}))
    return path


def ad_outside_break() -> list[Call]:
    s = played(vod(), 15).at(15.1).ad_start("ad-1", 5, 1).at(20.1).ad_complete()
    return calls(s.at(20.3).play().at(30).ping().at(31).session_end())


def late_pings() -> list[Call]:
    return calls(vod().at(1).play().at(10).ping().at(30).ping().at(31).session_end())


@pytest.mark.slow
def test_check_exit_codes(tmp_path):
    clean = record(tmp_path / "clean.jsonl", clean_session())
    broken = record(tmp_path / "broken.jsonl", ad_outside_break())
    warned = record(tmp_path / "warned.jsonl", late_pings())
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a capture\n")

    assert playhead("check", str(clean)).returncode == 0
    result = playhead("check", str(broken))
    assert result.returncode == 1 and "ad-outside-break" in result.stdout
    assert playhead("check", str(warned)).returncode == 0
    assert playhead("check", "--fail-on", "warning", str(warned)).returncode == 1
    assert playhead("check", "--fail-on", "warning", str(clean)).returncode == 0
    unreadable = playhead("check", str(garbage))
    assert unreadable.returncode == 2
    assert unreadable.stderr.startswith("playhead: ") and str(garbage) in unreadable.stderr
    assert playhead("check", str(tmp_path / "missing.har")).returncode == 2
    assert playhead("check", str(clean), str(garbage)).returncode == 2  # one unreadable input is enough
    assert playhead("check", "--format", "yaml", str(clean)).returncode == 2


@pytest.mark.slow
def test_check_json_report_shape_from_a_har(tmp_path):
    cs = ad_outside_break() + clean_session(OTHER_SID, START_TS + 60_000)
    result = playhead("check", "--format", "json", str(har(tmp_path / "capture.har", cs)))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert list(report) == ["tool", "version", "summary", "sessions", "findings"]
    assert report["tool"] == "playhead"
    assert report["summary"] == {"sessions": 2, "calls": len(cs), "error": 1, "warning": 0, "info": 0}
    first, second = report["sessions"]
    assert list(first) == ["id", "media", "calls", "closed_by", "error", "warning", "info", "protocol", "metrics"]
    assert (first["id"], first["calls"], first["closed_by"], first["error"]) == (SID, 8, "sessionEnd", 1)
    assert first["media"] == {"id": "media-1", "name": "Test episode", "contentType": "vod", "length": 60}
    assert (second["id"], second["error"], second["warning"]) == (OTHER_SID, 0, 0)
    assert [list(f) for f in report["findings"]] == [
        ["rule", "severity", "session", "call", "eventType", "ts", "message", "path"]]
    assert [(f["rule"], f["severity"], f["session"], f["call"], f["eventType"], f["ts"])
            for f in report["findings"]] == [
        ("ad-outside-break", "error", SID, 3, "adStart", START_TS + 15_100)]  # its adComplete: the same defect


@pytest.mark.slow
def test_check_schemas_dir_tightens_the_built_in_schemas(tmp_path):
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "sessionStart.json").write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "required": ["customMetadata"],
        "properties": {"customMetadata": {"required": ["show_id"]}},
    }))
    without = record(tmp_path / "without.jsonl", clean_session())
    s = vod(custom={"show_id": "hl-0101"})
    with_id = record(tmp_path / "with.jsonl", calls(played(s, 25).at(25).session_end()))

    assert playhead("check", str(without)).returncode == 0  # the built-in schemas ask for no show_id
    result = playhead("check", "--format", "json", "--schemas", str(plan), str(without))
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["rule"], finding["severity"], finding["call"], finding["eventType"]) == \
        ("schema", "error", 0, "sessionStart")
    assert finding["path"] == "$.customMetadata"
    assert playhead("check", "--schemas", str(plan), str(with_id)).returncode == 0
    bad = playhead("check", "--schemas", str(tmp_path / "nowhere"), str(without))
    assert bad.returncode == 2 and "not a directory" in bad.stderr


@pytest.mark.slow
def test_rules_lists_every_registered_rule():
    result = playhead("rules")
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")}
    assert listed == set(REGISTRY.rules)
    assert f"{len(REGISTRY.rules)} rules." in result.stdout


@pytest.mark.slow
def test_explain_prints_impact_fix_and_source():
    rule = REGISTRY["ad-outside-break"]
    result = playhead("explain", "ad-outside-break")
    assert result.returncode == 0
    assert f"Impact:     {rule.impact}" in result.stdout
    assert f"Fix:        {rule.fix}" in result.stdout
    assert f"Source:     {rule.source}" in result.stdout
    unknown = playhead("explain", "ad-outside-brake")
    assert unknown.returncode == 2
    assert "no rule 'ad-outside-brake'" in unknown.stderr and "ad-outside-break" in unknown.stderr


def test_a_failure_outside_the_tracker_reaches_its_subscribers_as_an_internal_error():
    tracker = Tracker(schemas=SCHEMAS)
    heard = []
    tracker.subscribe(lambda update: heard.extend(update.findings))
    update = tracker.internal_error("recording to /x failed: OSError: disk full")
    assert [(f.rule, f.severity, f.message) for f in update.findings] == [
        ("internal-error", E, "recording to /x failed: OSError: disk full")]
    assert heard == update.findings == tracker.findings
