"""TEST-ONLY stand-in for the Media Edge server, until playhead's own sink answers Edge.

Loaded by path (`mitmdump -s tests/realclient/edge_standin.py`) only when the harness is asked
for `edge="standin"`; the default is playhead's sink. It answers exactly what Adobe's Web SDK
needs to run a media session (`../shared/reference/alloy-wire.md` §2): an interact with a
`media.sessionStart` event gets `200` JSON with `state:store` (the identity cookie, so alloy does
not warn on every call), `identity:result`, an optional location hint (option
`standin_location_hint`: the `kndctr_…_cluster` cookie alloy reads, plus `locationHint:result`) and `media-analytics:new-session` with a random 64-hex sessionId; any
`/va/v1/{action}` gets `204`. CORS for credentialed fetches: the request's Origin and
`Access-Control-Allow-Credentials: true`. It does not validate anything: that is playhead's job.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid

from mitmproxy import ctx, http

ORG_ID = "5BFE274A5F6980A50A495C08@AdobeOrg"  # the pages configure alloy with this orgId
_INTERACT = re.compile(r"^/[^?]*/v1/interact(?:\?|$)")
_MEDIA_EVENT = re.compile(r"^/[^?]*/va/v1/[A-Za-z]+(?:\?|$)")


def identity_cookie(ecid: str) -> str:
    """alloy decodes the kndctr identity cookie as a protobuf `Identity {string ecid = 1}`, base64url."""
    raw = ecid.encode()
    return base64.b64encode(b"\x0a" + bytes([len(raw)]) + raw).decode().replace("/", "_").replace("+", "-")


def interact_answer(request_id: str, hint: str) -> dict:
    ecid = "".join(str(secrets.randbelow(10)) for _ in range(38))
    prefix = f"kndctr_{ORG_ID.replace('@', '_')}"
    cookies = [{"key": f"{prefix}_identity", "value": identity_cookie(ecid), "maxAge": 34128000,
                "attrs": {"SameSite": "None"}}]
    if hint:  # alloy takes the hint from this cookie, not from the locationHint:result handle
        cookies.append({"key": f"{prefix}_cluster", "value": hint, "maxAge": 1800, "attrs": {"SameSite": "None"}})
    handles: list[dict] = [
        {"type": "state:store", "payload": cookies},
        {"type": "identity:result", "payload": [{"id": ecid, "namespace": {"code": "ECID"}}]},
    ]
    if hint:
        handles.append({"type": "locationHint:result",
                        "payload": [{"scope": "EdgeNetwork", "hint": hint, "ttlSeconds": 1800}]})
    handles.append({"type": "media-analytics:new-session", "eventIndex": 0,
                    "payload": [{"sessionId": secrets.token_hex(32)}]})
    return {"requestId": request_id, "handle": handles}


def is_media_session_start(body: bytes) -> bool:
    try:
        events = json.loads(body)["events"]
        return events[0]["xdm"]["eventType"] == "media.sessionStart"
    except (ValueError, KeyError, IndexError, TypeError):
        return False


class EdgeStandIn:
    def load(self, loader) -> None:
        loader.add_option("standin_location_hint", str, "",
                          "locationHint:result the stand-in returns with a media session ('' = none)")

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None:
            return
        path = flow.request.path
        cors = {"access-control-allow-origin": flow.request.headers.get("origin", "*"),
                "access-control-allow-credentials": "true"}
        if flow.request.method == "OPTIONS" and (_INTERACT.match(path) or _MEDIA_EVENT.match(path)):
            flow.response = http.Response.make(200, b"", {**cors, "access-control-allow-methods": "POST",
                                                          "access-control-allow-headers": "content-type"})
        elif flow.request.method == "POST" and _MEDIA_EVENT.match(path):
            flow.response = http.Response.make(204, b"", cors)
        elif flow.request.method == "POST" and _INTERACT.match(path):
            if is_media_session_start(flow.request.content or b""):
                answer = interact_answer(str(uuid.uuid4()), ctx.options.standin_location_hint)
            else:
                answer = {"requestId": str(uuid.uuid4()), "handle": []}
            flow.response = http.Response.make(200, json.dumps(answer).encode(),
                                               {**cors, "content-type": "application/json"})


addons = [EdgeStandIn()]
