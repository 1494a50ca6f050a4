"""The protocol seam: Media Edge calls are routed, linked and judged by the same rules as Media
Collection ones, and every finding points into the body the device sent.

Sessions are the simulator's, rendered over the Media Edge API (simulate/edge.py) and answered as
Adobe's Edge answers (200 + new-session handle, then 204), then edited to plant one defect each.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from playhead.core.call import Call, classify
from playhead.core.protocols import Kind, by_name, might_be_api
from playhead.core.protocols.media_collection import MEDIA_COLLECTION
from playhead.core.protocols.media_edge import MEDIA_EDGE
from playhead.simulate import SCENARIOS, Script
from playhead.simulate.edge import new_session_answer
from playhead.simulate.offline import scenario_as_calls

from support_rules import SID, START_TS, body_of, calls, check, edge_calls, played, replace, vod, with_xdm

EDGE = "https://edge.example.com"


# == routing ==========================================================================================


@pytest.mark.parametrize("path, kind, action", [
    ("/ee/va/v1/sessionStart", Kind.START, "sessionStart"),
    ("/ee/or2/va/v1/play", Kind.EVENT, "play"),  # a location hint
    ("/collect/va/v1/adBreakStart/", Kind.EVENT, "adBreakStart"),  # a first-party base path
    ("/ee/v1/interact", Kind.START, None),  # the Web SDK's session start
    ("/ee/irl1/v1/interact", Kind.START, None),
])
def test_media_edge_paths_are_routed_whatever_the_base_path_and_hint(path, kind, action):
    route = classify(path + "?configId=abc&requestId=1")
    assert route is not None and route.protocol is MEDIA_EDGE
    assert (route.kind, route.action, route.sid) == (kind, action, None)
    assert might_be_api("https://first-party.example.com" + path)


@pytest.mark.parametrize("path", ["/ee/v1/collect", "/va/v1/", "/ee/va/v2/play", "/api/v1/other",
                                  "/static/va/v1.js"])
def test_other_paths_are_no_protocols(path):
    assert classify(path) is None


def test_media_collection_keeps_its_routes():
    route = classify(f"/prefix/api/v1/sessions/{SID}/events")
    assert (route.protocol, route.kind, route.sid) == (MEDIA_COLLECTION, Kind.EVENT, SID)


# == linking ==========================================================================================


def test_a_media_edge_session_is_linked_by_its_new_session_handle():
    tracker = check(edge_calls(played(vod(), 25).at(25).session_complete()))
    assert list(tracker.sessions) == [SID]
    session = tracker.sessions[SID]
    assert (session.protocol, session.closed_by, session.calls) == ("media-edge", "sessionComplete", 5)
    assert session.media == {"id": "media-1", "name": "Test episode", "contentType": "vod", "length": 60}
    assert tracker.findings == []


def _interact(call: Call) -> Call:
    return replace(call, url=EDGE + "/ee/v1/interact?configId=abc")


def test_the_web_sdks_interact_starts_a_session_and_other_interacts_are_passed_by():
    cs = edge_calls(played(vod(), 15).at(15).session_end())
    page_view = Call("POST", EDGE + "/ee/v1/interact?configId=abc",
                     json.dumps({"events": [{"xdm": {"eventType": "web.webpagedetails.pageViews"}}]}).encode(),
                     200, (), (), b'{"handle": []}', cs[0].time)
    not_json = replace(page_view, request_body=b"\x00 not json")
    tracker = check([page_view, not_json, _interact(cs[0]), *cs[1:]])
    assert tracker.calls == len(cs)  # the two other interacts are not media traffic
    assert list(tracker.sessions) == [SID] and tracker.findings == []


def test_events_that_arrive_before_the_handle_is_seen_are_held_and_replayed():
    cs = edge_calls(played(vod(), 15).at(15).session_end())
    tracker = check([cs[1], cs[2], cs[0], *cs[3:]])
    assert [e.event_type for e in tracker.sessions[SID].entries] == ["sessionStart", "play", "ping", "sessionEnd"]
    assert tracker.findings == []


def test_a_start_whose_answer_was_not_kept_is_linked_by_order_and_says_so():
    cs = edge_calls(played(vod(), 15).at(15).session_end())
    cs[0] = replace(cs[0], response_body=None)
    tracker = check(cs)
    assert [(f.rule, f.call) for f in tracker.findings] == [("session-link-inferred", 0)]
    assert tracker.sessions[SID].has_start


@pytest.mark.parametrize("status, body, why", [
    (200, b'{"requestId": "r1", "handle": [{"type": "state:store", "payload": []}]}',
     "200 without a media-analytics:new-session handle"),
    (207, b'{"errors": []}', "answered 207"),
    (400, b'{"type": "https://ns.adobe.com/aep/errors/va-edge-0400-400"}', "answered 400"),
])
def test_a_start_that_opened_no_session_is_rejected(status, body, why):
    cs = edge_calls(vod().at(1).play())
    cs[0] = replace(cs[0], status=status, response_body=body)
    tracker = check(cs[:1])
    assert [(f.rule, f.call) for f in tracker.findings] == [("session-start-rejected", 0)]
    assert tracker.findings[0].message.startswith(f"sessionStart {why}")


def test_an_event_whose_body_names_no_session_is_judged_alone():
    cs = edge_calls(played(vod(), 20, every=5).at(20).session_end())
    body = body_of(cs[2])
    del body["events"][0]["xdm"]["mediaCollection"]["sessionID"]
    cs[2] = replace(cs[2], request_body=json.dumps(body).encode())
    tracker = check(cs)
    assert [(f.rule, f.session, f.path) for f in tracker.findings] == [
        ("schema", None, "$.events[0].xdm.mediaCollection.sessionID")]


# == findings point into the Edge body ===============================================================


def _break(*positions: int) -> Script:
    """A pre-roll with an ad at each podPosition, then content: every event at its own time."""
    s = vod().at(0.1).ad_break_start(0, 0)
    t = 0.2
    for n, position in enumerate(positions):
        s.at(t).ad_start(f"ad-{n}", 5, position).at(t + 5).ad_complete()
        t += 5.1
    return s.at(t).ad_break_complete().at(t + 0.1).play().at(t + 5).session_end()


def test_a_timeline_finding_points_at_the_edge_field_it_is_about():
    s = _break(1, 1)
    tracker = check(edge_calls(s))
    assert [(f.rule, f.call, f.path) for f in tracker.findings] == [
        ("ad-pod-position", 4, "$.events[0].xdm.mediaCollection.advertisingDetails.podPosition")]


def test_an_integer_playhead_is_required_and_the_schema_says_where():
    cs = edge_calls(played(vod(), 15).at(15).session_end())
    body = body_of(cs[2])
    body["events"][0]["xdm"]["mediaCollection"]["playhead"] = 10.5
    cs[2] = replace(cs[2], request_body=json.dumps(body).encode())
    tracker = check(cs)
    assert [(f.rule, f.call, f.path) for f in tracker.findings] == [
        ("schema", 2, "$.events[0].xdm.mediaCollection.playhead")]


def test_an_undocumented_details_key_is_a_warning_with_its_path():
    cs = edge_calls(_break(1))
    body = body_of(cs[2])
    body["events"][0]["xdm"]["mediaCollection"]["advertisingDetails"]["podPositon"] = 1
    cs[2] = replace(cs[2], request_body=json.dumps(body).encode())
    tracker = check(cs)
    assert [(f.rule, f.call, f.path) for f in tracker.findings] == [
        ("unknown-param", 2, "$.events[0].xdm.mediaCollection.advertisingDetails.podPositon")]


def test_the_web_sdks_restamped_session_start_is_no_defect():
    """alloy stamps sessionStart when it sends it: the first events precede it by 20-80 ms."""
    cs = edge_calls(played(vod(), 15).at(15).session_end())
    cs[1] = with_xdm(cs[1], timestamp="2025-11-25T23:59:59.950Z")  # 50 ms before the start
    assert check(cs).findings == []
    cs[1] = with_xdm(cs[1], timestamp="2025-11-25T23:59:58.000Z")  # 2 s: events replayed after the start
    assert [(f.rule, f.severity.label, f.call) for f in check(cs).findings] == [
        ("events-before-start", "warning", 1)]


# == one set of rules for both protocols =============================================================


def _timeline_findings(tracker) -> set[tuple]:
    body = {"body"}  # each protocol's own checks differ by design; everything else must not
    from playhead.core.findings import REGISTRY

    return {(f.rule, f.severity, f.call) for f in tracker.findings if REGISTRY[f.rule].family not in body}


@pytest.mark.parametrize("name", sorted(n for n, s in SCENARIOS.items()
                                        if not any(step.ts_override for step in s.steps)))
def test_every_scenario_gets_the_same_timeline_findings_over_either_protocol(name):
    scenario = SCENARIOS[name]
    over_mc = check(scenario_as_calls(scenario, SID, START_TS))
    over_edge = check(scenario_as_calls(dataclasses.replace(scenario, protocol="media-edge"), SID, START_TS))
    assert _timeline_findings(over_edge) == _timeline_findings(over_mc)
    assert {s.protocol for s in over_edge.sessions.values()} == {"media-edge"}


def test_by_name_reads_sessions_of_older_recordings_as_media_collection():
    assert by_name("media-edge") is MEDIA_EDGE
    assert by_name("") is MEDIA_COLLECTION and by_name("anything") is MEDIA_COLLECTION


def test_new_session_answer_is_read_as_the_edge_writes_it():
    call = Call("POST", EDGE + "/ee/va/v1/sessionStart?configId=x", b"{}", 200, (), (),
                new_session_answer("f" * 64))
    assert call.location_sid == "f" * 64


# == downloaded content: a whole offline session in one call ========================================


def _mc_batch(script, path: str = "/api/v1/downloaded", status: int = 201) -> Call:
    events = [body_of(c) for c in calls(script)]
    return Call("POST", "https://x.hb-api.omtrdc.net" + path, json.dumps(events).encode(), status, (), (), b"",
                START_TS / 1000 + 86_400)  # sent a day later, when the device was online again


def _edge_batch(script, status: int = 200) -> Call:
    items = []
    for call in edge_calls(script):
        xdm = body_of(call)["events"][0]["xdm"]
        media = {k: v for k, v in xdm["mediaCollection"].items() if k != "sessionID"}
        items.append({"mediaEventTimestamp": xdm["timestamp"], "mediaEventType": xdm["eventType"],
                      "mediaCollection": media})
    body = {"events": [{"xdm": {"eventType": "media.downloaded", "timestamp": "2025-11-27T00:00:00Z",
                                "mediaDownloadedEvents": items}}]}
    return Call("POST", EDGE + "/ee/va/v1/downloaded?configId=ds", json.dumps(body).encode(), status, (), (),
                b'{"handle": []}', START_TS / 1000 + 86_400)


def _offline_viewing():
    """Played offline with a 40 s hole in the pings (offline pings are every 50 s: no defect)."""
    s = vod().at(0.1).play().at(40).pause_start().at(41).play()
    return s.at(50).ping().at(59).session_complete()


@pytest.mark.parametrize("batch", [
    lambda: _mc_batch(_offline_viewing()),
    lambda: _flagged(),  # the deprecated form Adobe's mobile SDKs still send
    lambda: _edge_batch(_offline_viewing()),
], ids=["mc-downloaded", "mc-sessions-flagged", "edge-downloaded"])
def test_a_downloaded_batch_is_one_session_judged_by_the_same_rules(batch):
    tracker = check([batch()])
    (session,) = tracker.sessions.values()
    assert session.sid == "(downloaded 1)" and session.closed_by == "sessionComplete"
    assert [e.event_type for e in session.entries] == ["sessionStart", "play", "pauseStart", "play", "ping",
                                                       "sessionComplete"]
    assert tracker.calls == 1 and tracker.findings == []  # no ping-late, no clock-skew a day later


def _flagged() -> Call:
    events = [body_of(c) for c in calls(_offline_viewing())]
    events[0]["params"]["media.downloaded"] = True
    return Call("POST", "https://x.hb-api.omtrdc.net/api/v1/sessions", json.dumps(events).encode(), 201, (), (),
                b"", START_TS / 1000 + 86_400)


def test_a_defect_inside_a_batch_points_at_its_event():
    s = vod().at(0.1).ad_break_start(0, 0).at(0.2).ad_start("ad-1", 5, 1).at(5).ad_complete()
    s.at(5.1).ad_start("ad-2", 5, 1).at(10).ad_complete().at(10.1).ad_break_complete().at(10.2).play()
    s.at(15).session_end()
    mc, edge = check([_mc_batch(s)]), check([_edge_batch(s)])
    assert [(f.rule, f.call, f.path) for f in mc.findings] == [
        ("ad-pod-position", 4, "$[4].params['media.ad.podPosition']")]
    assert [(f.rule, f.call, f.path) for f in edge.findings] == [
        ("ad-pod-position", 4, "$.events[0].xdm.mediaDownloadedEvents[4].mediaCollection.advertisingDetails.podPosition")]


def test_a_batch_adobe_refused_is_said_once():
    tracker = check([_mc_batch(_offline_viewing(), status=400)])
    assert [(f.rule, f.call) for f in tracker.findings] == [("http-error", 0)]
