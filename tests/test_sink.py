"""Sink mode (SPEC §6): the proxy answers the API like the collection server, over real sockets.

Every request here goes to a real mitmproxy on 127.0.0.1; where an upstream exists, it is there
to prove that nothing of the API reaches it while everything else still does.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from playhead.proxy.sink import CORS_HEADERS
from support_proxy import (
    API_HOST,
    ProxyClient,
    ca_file,
    event_body,
    running_proxy,
    session_start_body,
    upstream_server,
    wait_for,
)

pytestmark = pytest.mark.slow

API = f"http://{API_HOST}"
LOCATION = re.compile(r"/api/v1/sessions/([0-9a-f]{64})")


@pytest.fixture(scope="module")
def confdir(tmp_path_factory):
    return tmp_path_factory.mktemp("mitmproxy")


@pytest.fixture
def sink(confdir):
    with running_proxy(confdir, sink=True) as proxy:
        client = ProxyClient(proxy.listen_address)
        yield proxy, client
        client.close()


def assert_cors(answer) -> None:
    for name, value in CORS_HEADERS.items():
        assert answer.headers[name] == value


def start(client) -> str:
    answer = client.post(f"{API}/api/v1/sessions", session_start_body())
    assert answer.status == 201, answer.body
    return LOCATION.fullmatch(answer.headers["Location"]).group(1)


def test_session_start_gets_201_with_a_random_64_hex_location_and_cors(sink):
    proxy, client = sink
    answers = [client.post(f"{API}/api/v1/sessions", session_start_body()) for _ in range(2)]
    sids = []
    for answer in answers:
        assert answer.status == 201
        sids.append(LOCATION.fullmatch(answer.headers["Location"]).group(1))
        assert_cors(answer)
    assert sids[0] != sids[1]
    wait_for(lambda: proxy.tracker.calls == 2)
    assert list(proxy.tracker.sessions) == sids


@pytest.mark.parametrize("body, reason", [
    (b"", "invalid JSON: empty body"),
    (b'{"eventType": "sessionStart", ', "invalid JSON: not JSON"),
    (b"[1, 2]", "invalid JSON: JSON list"),
    (b"\xff\xfe", "invalid JSON: body is not UTF-8"),
])
def test_session_start_with_invalid_json_gets_400_with_a_message(sink, body, reason):
    _, client = sink
    answer = client.post(f"{API}/api/v1/sessions", body)
    assert answer.status == 400
    assert reason in answer.body.decode()
    assert "Location" not in answer.headers
    assert_cors(answer)


def test_session_start_failing_its_schema_gets_400_naming_the_path(sink):
    _, client = sink
    body = json.loads(session_start_body())
    del body["params"]["media.id"]
    answer = client.post(f"{API}/api/v1/sessions", json.dumps(body).encode())
    assert answer.status == 400
    assert "$.params['media.id']" in answer.body.decode()


def test_events_get_204(sink):
    proxy, client = sink
    sid = start(client)
    for kind in ("play", "ping", "pauseStart"):
        answer = client.post(f"{API}/api/v1/sessions/{sid}/events", event_body(kind, 1))
        assert (answer.status, answer.body) == (204, b"")
        assert_cors(answer)
    wait_for(lambda: proxy.tracker.calls == 4)


def test_an_event_failing_its_schema_gets_400_with_the_message_in_the_body(sink):
    proxy, client = sink
    sid = start(client)
    bad = json.dumps({"playerTime": {"playhead": 1, "ts": "soon"}, "eventType": "play"}).encode()
    answer = client.post(f"{API}/api/v1/sessions/{sid}/events", bad)
    assert answer.status == 400
    assert "$.playerTime.ts" in answer.body.decode()
    unknown = client.post(f"{API}/api/v1/sessions/{sid}/events", event_body("resume", 1))
    assert unknown.status == 400 and b"not a documented event type" in unknown.body
    wait_for(lambda: proxy.tracker.calls == 3)
    # the 400s are explained by the bodies' findings: one defect, one finding each
    assert {(f.rule, f.call) for f in proxy.tracker.findings} == {("schema", 1), ("unknown-event-type", 2)}


def test_events_for_an_unknown_sid_get_404(sink):
    proxy, client = sink
    answer = client.post(f"{API}/api/v1/sessions/{'ab' * 32}/events", event_body("play"))
    assert answer.status == 404 and b"unknown session" in answer.body
    assert_cors(answer)


def test_a_sequence_defect_is_answered_204_like_adobe_and_reported_by_playhead(sink):
    proxy, client = sink
    sid = start(client)
    ad = {"media.ad.id": "ad-1", "media.ad.length": 15, "media.ad.podPosition": 1,
          "media.ad.playerName": "test-player"}
    answer = client.post(f"{API}/api/v1/sessions/{sid}/events", event_body("adStart", 0, params=ad))
    assert answer.status == 204  # no ad break is open: Adobe accepts it and miscounts it
    # The reorder window holds the event until the proxy's wall-clock tick sees nothing follows.
    wait_for(lambda: "ad-outside-break" in {f.rule for f in proxy.tracker.findings if f.session == sid})


@pytest.mark.parametrize("path", ["/api/v1/sessions", f"/api/v1/sessions/{'cd' * 32}/events"])
def test_options_preflight_gets_200_with_cors(sink, path):
    proxy, client = sink
    answer = client.request("OPTIONS", f"{API}{path}", headers={
        "Origin": "https://player.example", "Access-Control-Request-Method": "POST"})
    assert (answer.status, answer.body) == (200, b"")
    assert_cors(answer)
    assert proxy.tracker.calls == 0  # a preflight is not an API call


def test_nothing_of_the_api_reaches_upstream_but_other_traffic_does(confdir):
    with upstream_server() as up, running_proxy(confdir, sink=True) as proxy:
        up.answers["/config.json"] = (200, b'{"ads": true}')
        client = ProxyClient(proxy.listen_address)
        created = client.post(f"{up.url}/prefix/api/v1/sessions", session_start_body())
        sid = LOCATION.fullmatch(created.headers["Location"]).group(1)
        event = client.post(f"{up.url}/prefix/api/v1/sessions/{sid}/events", event_body("play"))
        other = client.request("GET", f"{up.url}/config.json")
        client.close()
    assert (created.status, event.status) == (201, 204)
    assert (other.status, other.body) == (200, b'{"ads": true}')
    assert [(r.method, r.path) for r in up.requests] == [("GET", "/config.json")]


def test_in_forward_mode_a_preflight_passes_to_upstream_untouched(confdir):
    with upstream_server() as up, running_proxy(confdir) as proxy:
        client = ProxyClient(proxy.listen_address)
        answer = client.request("OPTIONS", f"{up.url}/api/v1/sessions", headers={"Origin": "https://p.example"})
        client.close()
    assert answer.status == 404  # the upstream's answer, not the sink's
    assert [(r.method, r.path) for r in up.requests] == [("OPTIONS", "/api/v1/sessions")]
    assert proxy.tracker.calls == 0


def test_the_sink_answers_https_for_a_host_that_does_not_resolve(confdir):
    """No network needed: the sink never connects upstream (lazy connections), and the device
    trusts mitmproxy's CA."""
    with running_proxy(confdir, sink=True) as proxy:
        client = ProxyClient(proxy.listen_address, https_host=("no-such-host.invalid", 443),
                             cafile=ca_file(confdir))
        created = client.post("https://no-such-host.invalid/api/v1/sessions", session_start_body())
        client.close()
    assert created.status == 201 and LOCATION.fullmatch(created.headers["Location"])


def test_team_schemas_tighten_the_findings_not_the_answers(confdir, tmp_path):
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "sessionStart.json").write_text(json.dumps({
        "required": ["customMetadata"],
        "properties": {"customMetadata": {"required": ["show_id"]}},
    }))
    with running_proxy(confdir, sink=True, schemas=[plan]) as proxy:
        client = ProxyClient(proxy.listen_address)
        sid = start(client)  # Adobe would accept it: so does the sink
        client.close()
        wait_for(lambda: proxy.tracker.calls == 1)
    schema = [f for f in proxy.tracker.findings if f.rule == "schema" and f.session == sid]
    assert schema and schema[0].path == "$.customMetadata"


# == Media Edge ======================================================================================

EDGE = "http://edge.example.com"
ORIGIN = "https://page.example"
EDGE_HEADERS = {"Origin": ORIGIN, "Content-Type": "text/plain; charset=UTF-8"}  # as the Web SDK sends


def edge_body(kind: str, sid: str | None = None, playhead: int = 0, **media) -> bytes:
    collection = {"playhead": playhead, **media}
    if sid is not None:
        collection["sessionID"] = sid
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return json.dumps({"events": [{"xdm": {"eventType": f"media.{kind}", "timestamp": now,
                                           "mediaCollection": collection}}]}).encode()


SESSION_DETAILS = {"name": "edge-1", "friendlyName": "Edge episode", "contentType": "vod", "length": 60,
                   "playerName": "html5", "channel": "web"}


def assert_edge_cors(answer) -> None:
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"


def edge_start(client, path: str = "/ee/v1/interact") -> tuple[object, str]:
    answer = client.post(f"{EDGE}{path}?configId=ds-1", edge_body("sessionStart", sessionDetails=SESSION_DETAILS),
                         EDGE_HEADERS)
    assert answer.status == 200, answer.body
    handles = {h["type"]: h for h in json.loads(answer.body)["handle"]}
    sid = handles["media-analytics:new-session"]["payload"][0]["sessionId"]
    assert re.fullmatch("[0-9a-f]{64}", sid)
    return answer, sid


@pytest.mark.parametrize("path", ["/ee/v1/interact", "/ee/va/v1/sessionStart", "/ee/or2/va/v1/sessionStart"])
def test_a_media_edge_start_gets_200_with_a_new_session_handle_and_credentialed_cors(sink, path):
    proxy, client = sink
    answer, sid = edge_start(client, path)
    assert answer.headers["Content-Type"] == "application/json"
    assert_edge_cors(answer)
    event = client.post(f"{EDGE}/ee/or2/va/v1/play?configId=ds-1", edge_body("play", sid), EDGE_HEADERS)
    assert (event.status, event.body) == (204, b"")
    assert_edge_cors(event)
    wait_for(lambda: proxy.tracker.calls == 2)
    session = proxy.tracker.sessions[sid]
    assert (session.protocol, session.media["id"], session.calls) == ("media-edge", "edge-1", 2)
    assert proxy.tracker.findings == []


def test_with_the_pages_org_the_sink_stores_the_identity_cookie_the_web_sdk_reads(confdir):
    with running_proxy(confdir, sink=True, options={"playhead_sink_org": "ABC123@AdobeOrg"}) as proxy:
        client = ProxyClient(proxy.listen_address)
        answer, _ = edge_start(client)
        client.close()
    handles = {h["type"]: h["payload"] for h in json.loads(answer.body)["handle"]}
    assert [c["key"] for c in handles["state:store"]] == ["kndctr_ABC123_AdobeOrg_identity",
                                                          "kndctr_ABC123_AdobeOrg_cluster"]
    assert handles["locationHint:result"] == [{"scope": "EdgeNetwork", "hint": "or2", "ttlSeconds": 1800}]


@pytest.mark.parametrize("path, body, status, name", [
    ("/ee/va/v1/play", lambda sid: edge_body("play", sid, playhead=1.5), 400,
     "$.events[0].xdm.mediaCollection.playhead"),
    ("/ee/va/v1/pauseStart", lambda sid: edge_body("play", sid), 400, "$.events[0].xdm.eventType"),
    ("/ee/va/v1/play", lambda sid: edge_body("play", "0" * 64), 404, None),
])
def test_media_edge_errors_are_rfc_7807_problem_documents(sink, path, body, status, name):
    proxy, client = sink
    _, sid = edge_start(client)
    answer = client.post(f"{EDGE}{path}?configId=ds-1", body(sid), EDGE_HEADERS)
    assert answer.status == status
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert_edge_cors(answer)
    problem = json.loads(answer.body)
    assert problem["type"] == f"https://ns.adobe.com/aep/errors/va-edge-0{status}-{status}"
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if name is not None:
        assert name in [d["name"] for d in problem["report"]["details"]]


def test_an_interact_that_is_not_media_passes_through_to_its_server(confdir):
    with upstream_server() as up, running_proxy(confdir, sink=True) as proxy:
        up.answers["/ee/v1/interact?configId=ds-1"] = (200, b'{"handle": []}')
        client = ProxyClient(proxy.listen_address)
        page_view = json.dumps({"events": [{"xdm": {"eventType": "web.webpagedetails.pageViews"}}]}).encode()
        answer = client.post(f"{up.url}/ee/v1/interact?configId=ds-1", page_view, EDGE_HEADERS)
        client.close()
    assert (answer.status, answer.body) == (200, b'{"handle": []}')
    assert [(r.method, r.path) for r in up.requests] == [("POST", "/ee/v1/interact?configId=ds-1")]
    assert proxy.tracker.calls == 0


def test_a_media_edge_preflight_gets_credentialed_cors(sink):
    _, client = sink
    answer = client.request("OPTIONS", f"{EDGE}/ee/va/v1/play?configId=ds-1",
                            headers={"Origin": ORIGIN, "Access-Control-Request-Headers": "content-type"})
    assert (answer.status, answer.body) == (200, b"")
    assert_edge_cors(answer)
    assert answer.headers["Access-Control-Allow-Headers"] == "content-type"
