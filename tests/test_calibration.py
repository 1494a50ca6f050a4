"""Calibration: Adobe's documented timelines and what Adobe's own SDKs really send give no error.

SPEC §5's bar: a rule that fires an error on this traffic is wrong, whatever a fixture says.
"""

from __future__ import annotations

from playhead.core.engine import check_calls
from playhead.core.findings import Severity

from fixtures.adobe_timelines import SESSION_PARAMS, as_calls, timeline_1, timeline_2, timeline_3


def rules_by_severity(tracker, severity):
    return sorted({f.rule for f in tracker.findings if f.severity is severity})


def test_timeline_1_has_no_error_and_keeps_the_doc_quirk_as_a_warning():
    tracker = check_calls(as_calls(timeline_1()))
    assert rules_by_severity(tracker, Severity.ERROR) == []
    assert "ad-pod-position" in rules_by_severity(tracker, Severity.WARNING)
    session = tracker.sessions["a" * 64]
    assert session.closed_by == "sessionComplete"
    kinds = [s.kind for s in session.spans]
    assert kinds.count("ad-break") == 2 and kinds.count("ad") == 3
    assert "buffer" in kinds and "pause" in kinds and "content" in kinds


def test_timeline_2_only_error_is_the_unprefixed_qoe_bitrate():
    tracker = check_calls(as_calls(timeline_2()))
    errors = [f for f in tracker.findings if f.severity is Severity.ERROR]
    assert [(f.rule, f.path, f.event_type) for f in errors] == [("schema", "$.qoeData.bitrate", "play")]
    # sessionEnd with an ad still open is abandonment, not a defect
    fired = {f.rule for f in tracker.findings}
    assert not fired & {"ad-not-closed", "ad-break-not-closed", "session-not-closed"}


def test_timeline_3_chapters_have_no_error():
    tracker = check_calls(as_calls(timeline_3()))
    assert rules_by_severity(tracker, Severity.ERROR) == []
    chapters = [s for s in tracker.sessions["a" * 64].spans if s.kind == "chapter"]
    assert [s.label for s in chapters] == ["chapter 1", "chapter 2"]
    assert all(s.end_ts is not None for s in chapters)


def sdk_session_then_idle_end():
    """What Adobe's Media SDK sends: quirks included, ending on its own 30-minute idle timeout."""
    start = {**SESSION_PARAMS, "media.sdkVersion": "3.0.1", "media.libraryVersion": "js-3.0.1"}
    rows = [
        (0, "sessionStart", 0, start, None, {"media.show_id": "s1"}),  # media.-prefixed custom key
        (0.2, "bufferStart", 0),  # before the first play
        (0.4, "pauseStart", 0),
        (1, "adBreakStart", 0, {"media.ad.podIndex": 1, "media.ad.podSecond": 0}),  # podIndex from 1
        (1.5, "ping", 0, {}, {}),  # between adBreakStart and adStart, empty params/qoeData
        (2, "adStart", 0, {"media.ad.id": "x1", "media.ad.length": 10, "media.ad.podPosition": 1,
                           "media.ad.playerName": "sdk"}),
        (2, "play", 0),  # play right after adStart
        *[(t, "ping", 0, {}, {}) for t in range(3, 12)],
        (12, "adComplete", 0), (12, "adBreakComplete", 0), (12, "play", 0),  # one ts for all three
        (22, "ping", 10), (32, "ping", 20),
        (34, "error", 22),
        (35, "error", 23, {"media.errorId": "E42", "media.errorSource": "player"}),
        (36, "error", 24, None, {"media.qoe.errorID": "E43", "media.qoe.errorSource": "external"}),
        (40, "ping", 28), (42, "pauseStart", 30),
        *[(t, "ping", 30) for t in range(52, 1842, 10)],
        (1842, "sessionEnd", 30),  # the SDK's idle timeout
    ]
    return rows


def sdk_resumed_session():
    start = {**SESSION_PARAMS, "media.resume": True}
    return [(1850, "sessionStart", 30, start), (1850.5, "adBreakStart", 30, {"media.ad.podIndex": 0, "media.ad.podSecond": 30}),
            (1850.5, "adStart", 30, {"media.ad.id": "x2", "media.ad.length": 5, "media.ad.podPosition": 1,
                                     "media.ad.playerName": "sdk"}),
            *[(t, "ping", 30) for t in range(1851, 1855)],
            (1855, "adComplete", 30), (1855, "adBreakComplete", 30), (1855, "play", 30),
            (1865, "ping", 40), (1875, "ping", 50), (1880, "sessionComplete", 55)]


def test_adobe_sdk_traffic_gets_no_error():
    calls = as_calls(sdk_session_then_idle_end(), sid="b" * 64) + as_calls(sdk_resumed_session(), sid="c" * 64)
    tracker = check_calls(calls)
    assert rules_by_severity(tracker, Severity.ERROR) == []
    assert set(tracker.sessions) == {"b" * 64, "c" * 64}
    first = tracker.sessions["b" * 64]
    assert first.closed_by == "sessionEnd"
    # what remains is guidance, not defects
    assert set(rules_by_severity(tracker, Severity.WARNING)) <= {"ts-duplicate"}
    infos = {(f.rule, f.message) for f in tracker.findings if f.severity is Severity.INFO}
    assert any(rule == "custom-metadata-key" and "media.show_id" in msg for rule, msg in infos)
