"""Every registered rule, fired by a small broken session and kept quiet by its nearest correct one.

Each case below is one function `build(broken)` returning the session's Calls: `broken=True` is
the defect, `broken=False` the smallest change that makes it correct (an added bookend, a gap of
exactly the tolerance, a status of 201 instead of 400 ...). `CASES` maps every rule id to its
(fires, neighbour) builders and `test_every_registered_rule_has_a_case` compares it with the
registry, so a new rule without a case fails the suite.

The fired finding is checked for its rule id, severity, session, call index (0 = sessionStart,
arrival order) and the measured value in its message; the neighbour must raise neither that rule
nor any other warning or error (except those a case names in `allow`, with the reason). Both run
the real engine (`check_calls`) over real Calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from playhead.core import rules as rule_families
from playhead.core.call import Call
from playhead.core.findings import REGISTRY, Severity
from playhead.simulate import Script, session_params

from support_rules import (
    OTHER_SID,
    SID,
    START_TS,
    body_of,
    calls,
    check,
    edge_calls,
    events_url,
    live,
    of,
    played,
    replace,
    serious,
    sessions_url,
    vod,
    with_body,
    with_xdm,
)

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass
class Expect:
    severity: Severity
    call: int | None  # index of the call in its session
    message: str  # a substring of the message, with the measured value where SPEC asks for one
    session: str | None = SID


@dataclass
class Probe:
    calls: list[Call]
    expect: Expect | None = None  # None for a neighbour
    allow: tuple[str, ...] = ()  # other rules the probe may raise (warning/error), each with its reason
    patch: Callable[[pytest.MonkeyPatch], None] | None = None


Builder = Callable[[], Probe]
CASES: dict[str, tuple[Builder, Builder]] = {}
VARIANTS: dict[str, tuple[str, Builder]] = {}  # other severities and other shapes of a rule


def case(rule_id: str, expect: Expect, *, allow: tuple[str, ...] = (), also: tuple[str, ...] = (),
         patch: Callable[[pytest.MonkeyPatch], None] | None = None):
    """Register `build(broken) -> list[Call]` as the rule's firing case and its near neighbour.
    The planted defect gives exactly one finding: `also` names another rule the same call
    legitimately raises as a second fact (with the reason beside it)."""
    def register(build: Callable[[bool], list[Call]]):
        CASES[rule_id] = (lambda: Probe(build(True), expect, allow=also, patch=patch),
                          lambda: Probe(build(False), allow=allow))
        return build
    return register


def variant(name: str, rule_id: str, expect: Expect, build: Callable[[], list[Call]],
            also: tuple[str, ...] = ()) -> None:
    VARIANTS[name] = (rule_id, lambda: Probe(build(), expect, allow=also))


# == body ============================================================================================


@case("body-not-json", Expect(E, 2, "not JSON: Expecting ',' delimiter (line 1 column 41)"))
def _body_not_json(broken):
    cs = calls(played(vod(), 15).at(15).session_end())
    if broken:
        cs[2] = replace(cs[2], request_body=cs[2].request_body[:40])  # cut in the middle of ts
    return cs


def _bad_body(body: bytes) -> Callable[[], list[Call]]:
    def build():
        cs = calls(played(vod(), 15).at(15).session_end())
        cs[2] = replace(cs[2], request_body=body)
        return cs
    return build


ONE_MIB = 1 << 20
for _name, _body, _said in [
    ("empty", b"", "empty body"),
    ("whitespace", b" \n\t", "only whitespace"),
    ("not-utf8", b'{"eventType": "ping\xff"}', "not UTF-8 (byte 19)"),
    ("nan", b'{"eventType": "ping", "playerTime": {"playhead": NaN, "ts": 1764115210000}}',
     "NaN is not valid JSON"),
    ("infinity", b'{"eventType": "ping", "playerTime": {"playhead": Infinity, "ts": 1}}',
     "Infinity is not valid JSON"),
    ("array", b'[{"eventType": "ping"}]', "JSON list where an event object was expected"),
    ("string", b'"ping"', "JSON str where an event object was expected"),
    ("deep", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("over-limit", b"{" + b" " * (ONE_MIB - 1) + b"}", f"body of {ONE_MIB + 1} bytes is over the {ONE_MIB}-byte limit"),
]:
    variant(f"body-not-json/{_name}", "body-not-json", Expect(E, 2, _said), _bad_body(_body))


def test_a_body_of_exactly_the_limit_is_parsed():
    """1 MiB is still parsed (valid JSON padded with spaces); one byte more is not (variant above)."""
    cs = calls(played(vod(), 15).at(15).session_end())
    body = cs[2].request_body
    cs[2] = replace(cs[2], request_body=body + b" " * (ONE_MIB - len(body)))
    assert len(cs[2].request_body) == ONE_MIB
    tracker = check(cs)
    assert serious(tracker) == []
    assert tracker.sessions[SID].entries[2].event_type == "ping"


@case("schema", Expect(E, 3, "$.qoeData.bitrate"))
def _schema(broken):
    # Adobe's own page writes qoeData {"bitrate": ...} without the media.qoe. prefix (SPEC §11).
    s = played(vod(), 12)
    s.at(12).event("bitrateChange", qoe={"bitrate" if broken else "media.qoe.bitrate": 2_000_000})
    return calls(s.at(15).session_end())


def test_schema_finding_carries_the_json_path():
    tracker = check(CASES["schema"][0]().calls)
    [finding] = of(tracker, "schema")
    assert finding.path == "$.qoeData.bitrate"
    assert finding.event_type == "bitrateChange"


@case("unknown-event-type", Expect(E, 3, "'contentComplete' is not documented; did you mean 'sessionComplete'?"))
def _unknown_event_type(broken):
    s = played(vod(), 15)
    s.at(15).event("contentComplete" if broken else "sessionComplete")
    return calls(s)


for _typo, _meant in [("chapterEnd", "chapterComplete"), ("pause", "pauseStart"),
                      ("resume", "play"), ("bufferComplete", "play")]:
    def _hinted(typo=_typo):
        s = played(vod(), 12)
        s.at(12).event(typo)
        return calls(s.at(15).session_end())
    variant(f"unknown-event-type/{_typo}", "unknown-event-type",
            Expect(E, 3, f"{_typo!r} is not documented; did you mean {_meant!r}?"), _hinted)


@case("unknown-param", Expect(W, 3, "adStart param 'media.ad.advertizer' is not documented"))
def _unknown_param(broken):
    s = played(vod(), 10).at(12, 11).ad_break_start(1, 11)
    s.at(12.1).ad_start("ad-1", 5, 1, **{"advertizer" if broken else "advertiser": "Ad Guys"})
    s.at(17.1).ad_complete().at(17.2).ad_break_complete().at(17.3).play()
    return calls(s.at(20).session_end())


@case("wrong-endpoint", Expect(E, 3, "sessionStart sent to /events"), allow=("session-not-closed",))
def _wrong_endpoint(broken):
    """A player restarting playback posts its second sessionStart to the old session's /events.
    The neighbour posts it to /sessions (and gets a second session, left open: allowed)."""
    first = calls(played(vod(), 15).at(15).session_end())
    second = calls(vod(), sid=OTHER_SID, start_ts=START_TS + 12_000)[0]  # between ping@10 and the end@15
    if broken:
        second = replace(second, url=events_url(SID), status=204, response_headers=())
    return first[:3] + [second] + first[3:]


def _play_to_sessions():
    """A play posted to /sessions (answered 400, so no session): it has no session to belong to."""
    play = calls(played(vod(), 5))[1]
    return [replace(play, url=sessions_url(), status=400, response_headers=())]


variant("wrong-endpoint/play-to-sessions", "wrong-endpoint",
        Expect(E, 0, "play sent to /sessions, which takes only sessionStart", session=None), _play_to_sessions)


@case("ts-units", Expect(E, 0, "is not epoch milliseconds (looks like seconds or a relative clock)"))
def _ts_units(broken):
    s = Script(spread=0, ts_override="s" if broken else None)  # every step stamped in epoch seconds
    s.at(0).session_start(session_params("media-1", "Test episode", 60))
    return calls(played(s, 15).at(15).session_end())


def _micro_seconds():
    cs = calls(played(vod(), 15).at(15).session_end())
    return [with_body(c, playerTime={**body_of(c)["playerTime"], "ts": body_of(c)["playerTime"]["ts"] * 1000})
            for c in cs]


variant("ts-units/microseconds", "ts-units", Expect(E, 0, "(looks like microseconds)"), _micro_seconds)


@case("ping-has-params", Expect(W, 2, "ping carries params (media.playhead)"))
def _ping_has_params(broken):
    s = vod().at(1).play()
    s.at(10).event("ping", {"media.playhead": 9} if broken else {})
    return calls(s.at(15).session_end())


@case("custom-metadata-misplaced", Expect(W, 1, "customMetadata on play is ignored"))
def _custom_metadata_misplaced(broken):
    s = vod()
    s.at(1).event("play", custom={"scene": "intro"} if broken else {})  # {} is fine
    s.playing = True  # (Script.play takes no customMetadata)
    return calls(s.at(10).ping().at(15).session_end())


@case("custom-metadata-key", Expect(W, 0, "customMetadata key 'a.show_id' uses the reserved 'a.' prefix"))
def _custom_metadata_key(broken):
    s = vod(custom={"a.show_id" if broken else "show_id": "hl-0101"})
    return calls(played(s, 15).at(15).session_end())


variant("custom-metadata-key/media-prefix-is-info", "custom-metadata-key",
        Expect(I, 0, "customMetadata key 'media.show_id' starts with 'media.' and may shadow a standard field"),
        lambda: calls(played(vod(custom={"media.show_id": "hl-0101"}), 15).at(15).session_end()))


# == http ============================================================================================


def _answered(cs: list[Call], index: int, status: int) -> list[Call]:
    cs[index] = replace(cs[index], status=status, response_body=b'{"error": "..."}')
    return cs


@case("session-start-rejected", Expect(E, 0, "sessionStart answered 400: no session exists", session=None))
def _session_start_rejected(broken):
    cs = calls(played(vod(), 15).at(15).session_end())
    if broken:
        cs[0] = replace(cs[0], status=400, response_headers=(("Content-Type", "application/json"),),
                        response_body=b'{"error": "media.channel is missing"}')
    return cs


for _name, _status, _headers, _said in [
    ("500", 500, (("Content-Length", "0"),), "answered 500"),
    ("201-without-location", 201, (("Content-Length", "0"),), "201 without a usable Location header"),
    ("201-location-elsewhere", 201, (("Location", "/api/v1/other/x"),), "201 without a usable Location header"),
    ("no-response", None, None, "no response was captured"),
]:
    def _rejected(status=_status, headers=_headers):
        cs = calls(played(vod(), 15).at(15).session_end())
        return [replace(cs[0], status=status, response_headers=headers)]
    variant(f"session-start-rejected/{_name}", "session-start-rejected",
            Expect(E, 0, f"sessionStart {_said}", session=None), _rejected)


@case("http-error", Expect(E, 2, "answered 400 though playhead sees no defect in the body"))
def _http_error(broken):
    cs = calls(played(vod(), 15).at(15).session_end())
    return _answered(cs, 2, 400) if broken else cs


for _status, _said in [(404, "the session is unknown: start a new session"),
                       (410, "the session can no longer take events: start a new session"),
                       (500, "server error: retry later")]:
    # a 404/410 is the last call: nothing more went to the session (else it is dead-session-reused)
    variant(f"http-error/{_status}", "http-error", Expect(E, 2, f"answered {_status}: {_said}"),
            lambda status=_status: _answered(calls(played(vod(), 11) if status in (404, 410) else
                                                   played(vod(), 15).at(15).session_end()), 2, status))


@case("dead-session-reused", Expect(E, 2, "answered 410, then 3 more events were sent to it: all dropped"),
      allow=("http-error",))  # the 410 itself, when the client then starts a new session
def _dead_session_reused(broken):
    """After a 410 the client must start a new session; the broken one goes on with the old sid."""
    first = _answered(calls(played(vod(), 11)), 2, 410)  # start, play@1, ping@10 -> 410
    second = calls(played(vod(), 15).at(15).session_end(), sid=OTHER_SID, start_ts=START_TS + 12_000)
    if broken:
        return first + [replace(c, url=events_url(SID), status=410) for c in second[1:]]
    return first + second


@case("unknown-session", Expect(I, 0, "events for a sid whose sessionStart is not in the capture"))
def _unknown_session(broken):
    cs = calls(played(vod(), 15).at(15).session_end())
    return cs[1:] if broken else cs


@case("session-link-inferred", Expect(I, 0, "linked by order to the first unseen sid"))
def _session_link_inferred(broken):
    cs = calls(played(vod(), 15).at(15).session_end())
    if broken:
        cs[0] = replace(cs[0], response_headers=None)  # an exporter that drops response headers
    return cs


def _explode(self, e):
    if e.event_type == "play":  # one planted bug, on one call
        raise RuntimeError("boom")


@case("internal-error", Expect(E, 1, "AdChecks.event failed: RuntimeError: boom"),
      patch=lambda mp: mp.setattr(rule_families.AdChecks, "event", _explode))
def _internal_error(broken):
    return calls(played(vod(), 15).at(15).session_end())


# == lifecycle =======================================================================================


@case("event-after-end", Expect(E, 4, "1 event from this ping on, after sessionEnd: the backend drops them all"))
def _event_after_end(broken):
    s = played(vod(), 15).at(15).session_end()
    s.at(20).event("ping" if broken else "sessionEnd")  # a repeated sessionEnd is fine
    return calls(s)


@case("event-after-complete", Expect(W, 4, "1 event from this play on, after sessionComplete"))
def _event_after_complete(broken):
    s = played(vod(), 15).at(15).session_complete()
    s.at(16).event("play" if broken else "ping")
    return calls(s.at(17).session_end())


@case("session-not-closed", Expect(W, 2, "capture ended with neither sessionComplete nor sessionEnd"))
def _session_not_closed(broken):
    s = played(vod(), 15)
    if not broken:
        s.at(15).session_end()
    return calls(s)


@case("session-over-24h", Expect(W, 8641, "session spans 24.0 h > 24 h"))
def _session_over_24h(broken):
    """A live stream watched for a day, pinging every 10 s: the backend splits it at 24 h."""
    s = played(live(), 86_395)  # pings up to t=86390
    s.at(86_401 if broken else 86_399).session_end()
    return calls(s)


@case("content-never-started", Expect(I, 1, "session closed with no play and no ad"))
def _content_never_started(broken):
    s = vod()
    if not broken:
        s.at(1).play()
    return calls(s.at(5).session_end())


# == cadence =========================================================================================


@case("ping-late", Expect(W, 3, "gap 31.0 s > 12 s after call 2 (ping)"))
def _ping_late(broken):
    s = vod().at(1).play().at(10).ping()
    if not broken:
        s.at(22).ping().at(34).ping()  # gaps of exactly 12.0 s: the tolerance, not over it
    return calls(s.at(41).ping().at(45).session_end())


def test_ping_late_names_the_call_its_gap_is_measured_from():
    """No ping between the play at t=1 and sessionEnd at 15."""
    tracker = check(calls(vod().at(1).play().at(15).session_end()))
    [late] = of(tracker, "ping-late")
    assert late.message == "gap 14.0 s > 12 s after call 1 (play)"


def test_an_unreadable_call_inside_a_gap_is_its_body_finding_not_a_late_ping():
    """The ping at t=10 was sent but cannot be read: body-not-json says so, and no ping-late."""
    tracker = check(CASES["body-not-json"][0]().calls)
    assert [f.rule for f in serious(tracker)] == ["body-not-json"]


def test_a_gap_of_exactly_600_s_is_late_but_not_expired():
    s = played(vod(), 15).at(15).pause_start().at(615).play()
    tracker = check(calls(s.at(620).session_end()))
    assert of(tracker, "session-expired") == []
    assert [(f.rule, f.call, f.message) for f in serious(tracker)] == [
        ("ping-late", 4, "gap 600.0 s > 12 s after call 3 (pauseStart)")]


def _downloaded_gap():
    s = vod(**{"media.downloaded": True}).at(1).play().at(10).ping()
    return calls(s.at(41).ping().at(45).session_end())


def test_downloaded_content_is_exempt_from_ping_late():
    assert of(check(_downloaded_gap()), "ping-late") == []


def test_ads_may_ping_every_second():
    s = played(vod(), 10).at(10, 9).ad_break_start(1, 9).at(10.1).ad("ad-1", 5, 1, ping_every=1)
    s.at(15.2).ad_break_complete().at(15.3).play()
    tracker = check(calls(s.wait(10, 10).at(26).session_end()))
    assert serious(tracker) == []


@case("session-expired", Expect(E, 4, "gap 601.0 s > 600 s after call 3 (pauseStart)"))
def _session_expired(broken):
    s = played(vod(), 15).at(15).pause_start()
    s.wait(601, None if broken else 10)  # paused, with or without the 10 s pings
    return calls(s.play().at(s.t + 5).session_end())


@case("playhead-stalled-expiry", Expect(W, 185, "playhead 14 unchanged for 30.3 min > 30 min"))
def _playhead_stalled_expiry(broken):
    """Paused and pinging for 31 minutes (29 in the neighbour): the playhead never moves."""
    s = played(vod(), 15).at(15).pause_start()
    s.wait((31 if broken else 29) * 60, 10)
    return calls(s.session_end())


# == ads =============================================================================================


def _midroll(s, t: float, *, ads: list[tuple[str, int]] | None = None, close: bool = True):
    """A mid-roll at t with the given (ad id, podPosition)s, 5 s each; play after it."""
    s.at(t).ad_break_start(1, s.playhead)
    for ad_id, position in ads if ads is not None else [("ad-1", 1)]:
        s.at(s.t + 0.1).ad_start(ad_id, 5, position).at(s.t + 5).ad_complete()
    if close:
        s.at(s.t + 0.1).ad_break_complete()
    return s.at(s.t + 0.1).play()


@case("ad-outside-break", Expect(E, 3, "adStart with no open ad break: counted as main content"))
def _ad_outside_break(broken):
    s = played(vod(), 15)
    if not broken:
        s.at(15).ad_break_start(1, 14)
    s.at(15.1).ad_start("ad-1", 5, 1).at(20.1).ad_complete()
    if not broken:
        s.at(20.2).ad_break_complete()
    s.at(20.3).play()
    return calls(s.wait(10, 10).at(31).session_end())


# An adBreakStart inside an open break is two facts SPEC §5 names apart: the new break nests, and
# the old one was never closed (README "The rules").
@case("ad-break-nested", Expect(E, 6, "adBreakStart while break 1 is open"), also=("ad-break-not-closed",))
def _ad_break_nested(broken):
    s = played(vod(), 15).at(15).ad_break_start(1, 14)
    s.at(15.1).ad_start("ad-1", 5, 1).at(20.1).ad_complete()
    if not broken:
        s.at(20.2).ad_break_complete()
    s.at(20.3).ad_break_start(2, 14)  # a second pod right after the first
    s.at(20.4).ad_start("ad-2", 5, 1).at(25.4).ad_complete().at(25.5).ad_break_complete()
    s.at(25.6).play()
    return calls(s.wait(10, 10).at(36).session_end())


@case("ad-break-not-closed", Expect(E, 6, "break 1 never closed: content resumed here (play after its last ad)"))
def _ad_break_not_closed(broken):
    s = played(vod(), 15)
    _midroll(s, 15, close=not broken)
    return calls(s.wait(10, 10).at(s.t).session_complete())


def test_ad_break_not_closed_at_end_of_capture_without_session_end():
    s = played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad_start("ad-1", 5, 1)
    tracker = check(calls(s.at(20.1).ad_complete()))
    [finding] = of(tracker, "ad-break-not-closed")
    assert (finding.severity, finding.call) == (E, 5)
    assert "break 1 still open at the end of the capture" in finding.message


def test_session_end_with_open_break_and_ad_is_abandonment():
    """SPEC §11 Timeline 2: the viewer leaves during a mid-roll ad; nothing is left to close."""
    s = played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad_start("ad-1", 5, 1)
    tracker = check(calls(s.at(18).session_end()))
    assert serious(tracker) == []


@case("ad-not-closed", Expect(E, 5, "adStart while ad ad-1 is still open"))
def _ad_not_closed(broken):
    s = played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad_start("ad-1", 5, 1)
    if not broken:
        s.at(20.1).ad_complete()
    s.at(20.2).ad_start("ad-2", 5, 2).at(25.2).ad_complete().at(25.3).ad_break_complete()
    return calls(s.at(25.4).play().wait(10, 10).at(36).session_end())


def _ad_left_open(closer: str) -> list[Call]:
    s = played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad_start("ad-1", 5, 1)
    s.at(20.1).event(closer)
    return calls(s.at(20.2).session_end())


variant("ad-not-closed/at-ad-break-complete", "ad-not-closed",
        Expect(E, 5, "adBreakComplete while ad ad-1 is open"), lambda: _ad_left_open("adBreakComplete"))
variant("ad-not-closed/at-session-complete", "ad-not-closed",  # the ad's bookend and the break's: two
        Expect(E, 5, "sessionComplete while ad ad-1 is open"), lambda: _ad_left_open("sessionComplete"),
        also=("ad-break-not-closed",))
variant("ad-break-not-closed/at-session-complete", "ad-break-not-closed",
        Expect(E, 6, "break 1 still open at sessionComplete"),
        lambda: calls(played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad_start("ad-1", 5, 1)
                      .at(20.1).ad_complete().at(20.2).session_complete()))
variant("ad-break-not-closed/at-next-break", "ad-break-not-closed",
        Expect(E, 6, "break 1 still open at the next adBreakStart"), lambda: CASES["ad-break-nested"][0]().calls,
        also=("ad-break-nested",))


@case("ad-end-without-start", Expect(E, 4, "adComplete in break 1 with no open ad"),
      allow=("ad-break-empty",))
def _ad_end_without_start(broken):
    s = played(vod(), 15).at(15).ad_break_start(1, 14)
    if not broken:
        s.at(15.1).ad_start("ad-1", 5, 1)
    s.at(20.1).ad_complete().at(20.2).ad_break_complete()
    return calls(s.at(20.3).play().wait(10, 10).at(31).session_end())


@case("ad-break-empty", Expect(W, 4, "break 1 closed with no ad in it"))
def _ad_break_empty(broken):
    s = played(vod(), 15)
    _midroll(s, 15, ads=[] if broken else None)
    return calls(s.wait(10, 10).at(s.t).session_end())


@case("ad-pod-position", Expect(W, 6, "podPosition 1 repeats after 1 in break 1"))
def _ad_pod_position(broken):
    s = played(vod(), 15)
    _midroll(s, 15, ads=[("ad-1", 1), ("ad-2", 1 if broken else 2)])
    return calls(s.wait(10, 10).at(s.t).session_end())


variant("ad-pod-position/goes-down", "ad-pod-position", Expect(W, 6, "podPosition 1 goes down after 2 in break 1"),
        lambda: calls(_midroll(played(vod(), 15), 15, ads=[("ad-1", 2), ("ad-2", 1)]).wait(5, 10).session_end()))


@case("playback-in-break", Expect(W, 6, "play inside break 1 but outside any ad"))
def _playback_in_break(broken):
    s = played(vod(), 15).at(15).ad_break_start(1, 14)
    s.at(15.1).ad_start("ad-1", 5, 1).at(20.1).ad_complete()
    if broken:
        s.at(20.2).play().at(20.3).ad_break_complete()  # content resumes before the break is closed
    else:
        s.at(20.2).ad_break_complete().at(20.3).play()
    return calls(s.wait(10, 10).at(s.t).session_end())


def test_pings_inside_a_break_between_ads_are_fine():
    s = played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad("ad-1", 5, 1, ping_every=None)
    s.at(20.2).ping().at(20.3).ad_start("ad-2", 5, 2).at(25.3).ad_complete().at(25.4).ad_break_complete()
    assert serious(check(calls(s.at(25.5).play().at(30).session_end()))) == []


@case("preroll-play-too-early", Expect(W, 2, "first play (call 1, playhead 0) came before this pre-roll break"
                                             " at playhead 0.1"))
def _preroll_play_too_early(broken):
    s = vod()
    if broken:
        s.at(0.1).play()  # content start reported before the pre-roll
    s.at(0.2).ad_break_start(0, 0).at(0.3).ad("ad-1", 9, 1, ping_every=None)
    s.at(9.4).ad_break_complete().at(9.5).play()
    return calls(s.wait(10, 10).at(s.t).session_end())


# == chapters ========================================================================================


@case("chapter-overlap", Expect(E, 4, "chapterStart while chapter 1 is open"))
def _chapter_overlap(broken):
    s = vod().at(1).play().at(1.1).chapter_start(1, 0, 14).at(10).ping()
    if not broken:
        s.at(15).chapter_complete()
    s.at(15.1).chapter_start(2, 14, 10).at(25).ping().at(25.1).chapter_complete()
    return calls(s.at(25.2).session_complete())


@case("chapter-end-without-start", Expect(E, 2, "chapterComplete with no open chapter"))
def _chapter_end_without_start(broken):
    s = vod().at(1).play()
    if not broken:
        s.at(1.1).chapter_start(1, 0, 9)
    s.at(10).chapter_complete()
    return calls(s.at(15).session_complete())


@case("chapter-not-closed", Expect(W, 4, "chapter 1 still open at sessionComplete"))
def _chapter_not_closed(broken):
    s = vod().at(1).play().at(1.1).chapter_start(1, 0, 14).at(10).ping()
    if not broken:
        s.at(15).chapter_complete()
    return calls(s.at(15.1).session_complete())


def test_chapter_not_closed_at_end_of_capture_without_session_end():
    s = vod().at(1).play().at(1.1).chapter_start(1, 0, 14).at(10).ping()
    [finding] = of(check(calls(s)), "chapter-not-closed")
    assert (finding.severity, finding.call) == (W, 3)
    assert "still open at the end of the capture" in finding.message


def test_session_end_with_an_open_chapter_is_abandonment():
    s = vod().at(1).play().at(1.1).chapter_start(1, 0, 14).at(10).ping()
    assert serious(check(calls(s.at(12).session_end()))) == []


# == states ==========================================================================================


def _state(s, t: float, kind: str, name: str = "fullscreen"):
    return s.at(t).event(kind, {"media.state.name": name})


@case("state-not-started", Expect(W, 3, "state 'fullscreen' ends but is not active"))
def _state_not_started(broken):
    s = vod().at(1).play()
    if not broken:
        _state(s, 2, "stateStart")
    _state(s.at(10).ping(), 11, "stateEnd")
    return calls(s.at(15).session_end())


@case("state-already-active", Expect(W, 4, "state 'fullscreen' is already active"))
def _state_already_active(broken):
    s = _state(vod().at(1).play(), 2, "stateStart").at(10).ping()
    if not broken:
        _state(s, 10.5, "stateEnd")
    _state(s, 11, "stateStart")
    return calls(s.at(15).session_end())


variant("state-not-started/states-end", "state-not-started", Expect(W, 3, "state 'mute' ends but is not active"),
        lambda: calls(vod().at(1).play().at(10).ping()
                      .at(11).event("statesUpdate", {"statesEnd": [{"media.state.name": "mute"}]})
                      .at(15).session_end()))


STATE_NAMES = ["fullscreen", "mute", "closedCaptioning", "pictureInPicture", "inFocus",
               "state6", "state7", "state8", "state9", "state10", "state11"]


@case("state-limit", Expect(W, 2, "11 distinct player states > 10"))
def _state_limit(broken):
    names = STATE_NAMES if broken else STATE_NAMES[:10]
    s = vod().at(1).play()
    s.at(2).event("statesUpdate", {"statesStart": [{"media.state.name": n} for n in names]})
    return calls(s.at(10).ping().at(15).session_end())


# == playhead ========================================================================================


@case("playhead-units", Expect(E, 2, "playhead 9000 > 10 × media.length 60: milliseconds sent as seconds?"))
def _playhead_units(broken):
    s = vod().at(1).play()
    s.at(10).event("ping", playhead=9000 if broken else 9)  # 9 s sent in milliseconds
    return calls(s.at(15).session_end())


def _live_playhead_in_ms():
    cs = calls(played(live(), 15).at(15).session_end())
    cs[2] = with_body(cs[2], playerTime={"playhead": 86410, "ts": body_of(cs[2])["playerTime"]["ts"]})
    return cs


variant("playhead-units/live", "playhead-units", Expect(E, 2, "live playhead 86410 ≥ 86400"),
        _live_playhead_in_ms)


@case("playhead-out-of-range", Expect(W, 4, "playhead 25 > media.length 19.9 + 5 s"))
def _playhead_out_of_range(broken):
    """The playhead ends at 25 s: in range for a 20 s media (5 s tolerance), not for 19.9 s."""
    s = vod(19.9 if broken else 20)
    return calls(played(s, 26).at(26).pause_start().at(27).session_complete())


variant("playhead-out-of-range/negative", "playhead-out-of-range", Expect(W, 1, "playhead -1 < 0"),
        lambda: calls(vod().at(1).event("play", playhead=-1).at(5).session_end()))


@case("playhead-moved-while-paused", Expect(W, 4, "playhead moved 5.0 s during the pause that began at call 3"))
def _playhead_moved_while_paused(broken):
    s = vod().at(1).play().at(10).ping().at(12).pause_start()
    s.at(22).event("ping", playhead=16 if broken else 12)  # 5 s off; 1 s is the tolerance
    return calls(s.at(25).play().at(30).session_end())


variant("playhead-moved-while-paused/ad-break", "playhead-moved-while-paused",
        Expect(W, 5, "playhead moved 5.0 s during the ad break that began at call 3"),
        lambda: calls(played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad_start("ad-1", 5, 1)
                      .at(20.1).event("adComplete", playhead=19).at(20.2).ad_break_complete()
                      .at(20.3).play().at(25).session_end()))


@case("playhead-rate", Expect(W, 2, "playhead moved 20.0 s in 10.0 s of playing"))
def _playhead_rate(broken):
    s = vod().at(1).play().at(11, 20 if broken else 15).ping()  # 50 % fast is still tolerated
    return calls(s.at(15).session_end())


# == ordering ========================================================================================


def _ordered():
    return calls(vod().at(1).play().at(10).ping().at(12).bitrate_change(2_000_000).at(20).ping()
                 .at(25).session_end())


@case("ts-out-of-order", Expect(E, 3, "ts is 8.000 s before call 2's, which arrived earlier (beyond"))
def _ts_out_of_order(broken):
    cs = _ordered()  # start, play@1, ping@10, bitrateChange@12, ping@20, sessionEnd@25
    if broken:
        cs[2], cs[4] = cs[4], cs[2]  # ping@20 overtakes two events by 10 s
    return cs


def _within_window():
    cs = _ordered()
    cs[2], cs[3] = cs[3], cs[2]  # bitrateChange@12 overtakes ping@10 by 2 s
    return cs


variant("ts-out-of-order/within-window", "ts-out-of-order",
        Expect(W, 3, "ts is 2.000 s before call 2's, which arrived earlier (within"), _within_window)


def test_five_seconds_behind_is_still_within_the_window():
    cs = _ordered()  # start, play@1, ping@10, bitrateChange@12, ping@20, sessionEnd@25
    cs[3] = with_body(cs[3], playerTime={"playhead": 11, "ts": START_TS + 15_000})
    cs[3], cs[4] = cs[4], cs[3]  # ping@20 then an event stamped exactly 5 s before it
    [finding] = of(check(cs), "ts-out-of-order")
    assert (finding.severity, finding.call) == (W, 4)
    assert "ts is 5.000 s before call 3's" in finding.message


def _overtaken_by(n: int) -> list[Call]:
    """`n` events 0.4 s apart (all inside 5 s) delivered before the one stamped just ahead of them."""
    s = vod().at(1).play()
    for k in range(n + 1):
        s.at(2 + 0.4 * k).event("bitrateChange", qoe={"media.qoe.bitrate": 1_000_000 + k})
    cs = calls(s.at(8).session_end())
    return cs[:2] + cs[3:3 + n] + [cs[2]] + cs[3 + n:]


variant("ts-out-of-order/overtaken-by-ten-events", "ts-out-of-order",
        Expect(W, 12, "ts is 4.000 s before call 11's, which arrived earlier (within"), lambda: _overtaken_by(10))
variant("ts-out-of-order/overtaken-by-eleven-events", "ts-out-of-order",
        Expect(E, 13, "ts is 4.400 s before call 12's, which arrived earlier (beyond"), lambda: _overtaken_by(11))


@case("ts-duplicate", Expect(W, 6, "same ts as call 5 (adComplete); their order matters"))
def _ts_duplicate(broken):
    s = played(vod(), 15).at(15).ad_break_start(1, 14).at(15.1).ad_start("ad-1", 5, 1)
    s.at(20.1).ad_complete().at(20.1 if broken else 20.101).ad_break_complete()  # as Adobe's SDK does
    return calls(s.at(20.2).play().at(25).session_end())


variant("ts-duplicate/not-bookends-is-info", "ts-duplicate",
        Expect(I, 3, "same ts as call 2 (ping)"),
        lambda: calls(vod().at(1).play().at(10).ping().at(10).bitrate_change(2_000_000).at(15).session_end()))


variant("ts-duplicate/ad-break-start-and-ad-start", "ts-duplicate",
        Expect(W, 4, "same ts as call 3 (adBreakStart); their order matters"),
        lambda: calls(played(vod(), 15).at(15).ad_break_start(1, 14).at(15).ad_start("ad-1", 5, 1)
                      .at(20).ad_complete().at(20.1).ad_break_complete().at(20.2).play().at(25).session_end()))
variant("ts-duplicate/chapter-complete-and-ad-break-start", "ts-duplicate",
        Expect(W, 5, "same ts as call 4 (chapterComplete); their order matters"),
        lambda: calls(vod().at(1).play().at(1.1).chapter_start(1, 0, 14).at(10).ping().at(15).chapter_complete()
                      .at(15).ad_break_start(1, 14).at(15.1).ad("ad-1", 5, 1, ping_every=None)
                      .at(20.2).ad_break_complete().at(20.3).play().at(25).session_end()))


@case("clock-skew", Expect(W, 0, "ts is 360 s behind the time the call was seen"))
def _clock_skew(broken):
    minutes = 6 if broken else 4  # the device clock is slow by this much
    return [replace(c, time=c.time + minutes * 60) for c in calls(played(vod(), 15).at(15).session_end())]


variant("clock-skew/ahead", "clock-skew", Expect(W, 0, "ts is 400 s ahead of the time the call was seen"),
        lambda: [replace(c, time=c.time - 400) for c in calls(played(vod(), 15).at(15).session_end())])


# == added from real traffic (issue 10) ==============================================================


def _start_stamped(cs: list[Call], late_ms: int) -> list[Call]:
    """The sessionStart stamped `late_ms` after t=0: a player that held the sessions call back."""
    body = body_of(cs[0])
    body["playerTime"]["ts"] = START_TS + late_ms
    return [replace(cs[0], request_body=json.dumps(body).encode()), *cs[1:]]


@case("events-before-start", Expect(W, 1, "1 event from call 1 on stamped up to 2.0 s before their sessionStart"))
def _events_before_start(broken):
    """The neighbour is Adobe's Web SDK: it re-stamps sessionStart 20-80 ms after what it queued."""
    return _start_stamped(calls(played(vod(), 15).at(15).session_end()), 3000 if broken else 1500)


variant("events-before-start/beyond-the-window", "events-before-start",
        Expect(E, 1, "2 events from call 1 on stamped up to 11.0 s before their sessionStart"),
        lambda: _start_stamped(calls(played(vod(), 25).at(25).session_end()), 12_000))


def _two_midrolls(second_index: int, second_pod_second: float | None = None) -> Script:
    s = played(vod(60), 15)
    _midroll(s, 15)
    s.wait(10, 10)
    s.at(s.t).ad_break_start(second_index, s.playhead if second_pod_second is None else second_pod_second)
    s.at(s.t + 0.1).ad_start("ad-2", 5, 1).at(s.t + 5).ad_complete().at(s.t + 0.1).ad_break_complete()
    return s.at(s.t + 0.1).play().wait(5).session_end()


@case("ad-pod-index", Expect(W, 8, "podIndex 1 repeats after 1 (break 1)"))
def _ad_pod_index(broken):
    return calls(_two_midrolls(1 if broken else 2))


variant("ad-pod-index/goes-down", "ad-pod-index", Expect(W, 8, "podIndex 0 goes down after 1 (break 1)"),
        lambda: calls(_two_midrolls(0)))


def test_a_post_roll_sent_as_pod_index_minus_one_is_no_repeat():
    assert serious(check(calls(_two_midrolls(-1)))) == []


@case("ad-pod-second", Expect(W, 8, "podSecond 5 but the break starts at playhead 24"))
def _ad_pod_second(broken):
    """The broken player sends the break's length (5 s) where its position belongs; 2 s off is fine."""
    return calls(_two_midrolls(2, 5 if broken else 26))


@case("placeholder-value", Expect(W, 0, "channel is 'N/A': a placeholder, not a value"))
def _placeholder_value(broken):
    return calls(played(vod(**{"media.channel": "N/A" if broken else "NA-sports"}), 15).at(15).session_end())


for _field, _key, _value, _said in [("media.id", "media.id", "undefined", "content id is 'undefined'"),
                                    ("visitor", "visitor.marketingCloudUserId", "null", "Experience Cloud id is 'null'"),
                                    ("blank", "media.name", "", "content name is ''")]:
    variant(f"placeholder-value/{_field}", "placeholder-value", Expect(W, 0, _said),
            lambda key=_key, value=_value: calls(played(vod(**{key: value}), 15).at(15).session_end()))


@case("ping-rate", Expect(W, 2, "content pinged 61 times in 60 s from call 2 on (every 1.0 s); Adobe asks for 10 s"))
def _ping_rate(broken):
    """The ad interval (1 s) left on in content; the neighbour pings every 5 s, still allowed."""
    s = vod(120).at(1).play()
    every = 1 if broken else 5
    for k in range(1, 70 // every + 1):
        s.at(1 + k * every).ping()
    return calls(s.at(75).session_end())


def _batch(script: Script, *, flagged: bool, status: int) -> list[Call]:
    """The session as one downloaded batch: a JSON array of its events POSTed to /sessions."""
    events = [body_of(c) for c in calls(script)]
    if flagged:
        events[0]["params"]["media.downloaded"] = True
    return [Call("POST", sessions_url(), json.dumps(events).encode(), status, (), (), b"", START_TS / 1000 + 3600)]


@case("downloaded-not-flagged", Expect(E, 0, "an array of events posted to /sessions whose sessionStart lacks "
                                          "media.downloaded: true", session="(downloaded 1)"))
def _downloaded_not_flagged(broken):
    return _batch(played(vod(), 15).at(15).session_end(), flagged=not broken, status=400 if broken else 201)


# == Media Edge body ================================================================================
# The Edge API's own checks; every timeline rule above holds for Edge sessions unchanged
# (tests/test_protocols.py plays every scenario over both protocols).


@case("edge-path-mismatch", Expect(E, 2, "path action 'pauseStart' but xdm.eventType names 'ping'"))
def _edge_path_mismatch(broken):
    cs = edge_calls(played(vod(), 15).at(15).session_end())
    if broken:
        cs[2] = replace(cs[2], url=cs[2].url.replace("/va/v1/ping?", "/va/v1/pauseStart?"))
    return cs


@case("edge-timestamp", Expect(E, 2, "timestamp '2025-11-26T00:00:10' has no UTC offset"))
def _edge_timestamp(broken):
    cs = edge_calls(played(vod(), 15).at(15).session_end())
    if broken:
        cs[2] = with_xdm(cs[2], timestamp="2025-11-26T00:00:10")
    return cs


variant("edge-timestamp/not-iso", "edge-timestamp", Expect(E, 2, "timestamp 'yesterday' is not an ISO 8601"),
        lambda: [*(cs := edge_calls(played(vod(), 15).at(15).session_end()))[:2],
                 with_xdm(cs[2], timestamp="yesterday"), *cs[3:]])


@case("edge-config-missing", Expect(E, 0, "no configId in the URL of sessionStart"))
def _edge_config_missing(broken):
    cs = edge_calls(played(vod(), 15).at(15).session_end())
    if broken:
        cs[0] = replace(cs[0], url=cs[0].url.split("?")[0])
    return cs


variant("edge-config-missing/event", "edge-config-missing",
        Expect(W, 2, "no configId in the URL of ping; reported once per session"),
        lambda: [*(cs := edge_calls(played(vod(), 15).at(15).session_end()))[:2],
                 replace(cs[2], url=cs[2].url.split("?")[0]), *cs[3:]])


# == the tests =======================================================================================


def run(probe: Probe, monkeypatch: pytest.MonkeyPatch):
    if probe.patch is not None:
        probe.patch(monkeypatch)
    return check(probe.calls)


def assert_fired(rule_id: str, probe: Probe, monkeypatch) -> None:
    tracker = run(probe, monkeypatch)
    found = of(tracker, rule_id, probe.expect.severity)
    assert found, f"{rule_id} did not fire as {probe.expect.severity.label}; got " \
                  f"{[(f.rule, f.severity.label, f.call, f.message) for f in tracker.findings]}"
    assert len(found) == 1, f"one planted defect, {len(found)} {rule_id} findings: {found}"
    first = found[0]
    others = [(f.rule, f.call, f.message) for f in serious(tracker)
              if f is not first and f.rule not in probe.allow]
    assert others == [], f"one planted defect, more findings than {rule_id}'s: {others}"
    assert (first.call, first.session) == (probe.expect.call, probe.expect.session), first
    if first.session in tracker.sessions:  # the finding points at the entry it is about
        entry = tracker.sessions[first.session].entries[first.call]
        assert (first.event_type, first.ts) == (entry.event_type, entry.ts)
        assert first in entry.findings
    assert probe.expect.message in first.message, first.message
    assert first.severity in REGISTRY[rule_id].severities


def test_every_registered_rule_has_a_case():
    assert set(CASES) == set(REGISTRY.rules)


def test_every_severity_of_a_rule_is_exercised():
    exercised: dict[str, set[Severity]] = {}
    for rule_id, (fires, _) in CASES.items():
        exercised.setdefault(rule_id, set()).add(fires().expect.severity)
    for rule_id, build in VARIANTS.values():
        exercised.setdefault(rule_id, set()).add(build().expect.severity)
    assert {r: exercised[r] for r in REGISTRY.rules} == {r.id: set(r.severities) for r in REGISTRY}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires(rule_id, monkeypatch):
    assert_fired(rule_id, CASES[rule_id][0](), monkeypatch)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_near_neighbour_is_quiet(rule_id, monkeypatch):
    probe = CASES[rule_id][1]()
    tracker = run(probe, monkeypatch)
    assert of(tracker, rule_id) == []
    others = [(f.rule, f.severity.label, f.call, f.message) for f in serious(tracker)
              if f.rule not in probe.allow]
    assert others == []


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_rule_variant_fires(name, monkeypatch):
    rule_id, build = VARIANTS[name]
    assert_fired(rule_id, build(), monkeypatch)
