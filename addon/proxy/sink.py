"""Sink mode (SPEC §6): answer the media APIs locally, like Adobe's servers.

Test traffic then never reaches a production report suite, and a device works with no connection
to Adobe at all. The answers copy the servers', protocol by protocol:

- Media Collection API: `201` + `Location` with a random 64-hex sid for a sessionStart, `204` for
  an event, `400` with the reason for a body the server would reject, `404` for a sid it never
  issued, and CORS headers on everything (browser players read `Location` only when exposed).
- Media Edge API: a media sessionStart (`/va/v1/sessionStart`, or an interact whose event is
  `media.sessionStart`) gets `200` JSON with a `media-analytics:new-session` handle carrying a
  random 64-hex sessionId and the `state:store` identity handle Adobe's Web SDK expects; events get
  `204`, or an RFC 7807 problem document: `400` (`va-edge-0400-400`, `report.details` with the
  JSONPath and reason) for a schema failure or a path / eventType mismatch, `404`
  (`va-edge-0404-404`) for a sessionID it never issued. CORS for credentialed browser calls. An
  interact that is not a media sessionStart is not the sink's: it goes on.

A *sequence* defect is answered as Adobe does (204): finding those is playhead's job, and a device
that got a different answer would behave differently. Bodies are checked against the built-in
schemas only: a team's `--schemas` tighten what playhead reports, not what the server accepts.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from mitmproxy import http

from ..core.call import classify
from ..core.parse import BodyError, parse_body
from ..core.protocols import Kind, Route
from ..core.protocols.media_edge import EVENT, MEDIA_EDGE, first_event, neutral_type
from ..core.schemas import SchemaError, SchemaSet, json_path
from ..core.vocab import SESSION_START
from .body import decoded_body

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "OPTIONS,POST,PUT",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Expose-Headers": "Location",
}
_MAX_LISTED_ERRORS = 10
EDGE_PROBLEM = "https://ns.adobe.com/aep/errors/va-edge-0{status}-{status}"
IDENTITY_MAX_AGE = 34128000  # what Adobe's Edge sets on its identity cookie (alloy-wire.md)
LOCATION_HINT = "or2"  # the Edge region the sink names: later calls of the session go to /ee/or2/...
HINT_TTL = 1800  # seconds, as Adobe's Edge answers


def _answer(status: int, message: str = "", **headers: str) -> http.Response:
    body = (message + "\n").encode("utf-8") if message else b""
    extra = {"Content-Type": "text/plain; charset=utf-8"} if body else {}
    return http.Response.make(status, body, {**CORS_HEADERS, **extra, **headers})


def _edge_cors(request: http.Request) -> dict[str, str]:
    """Adobe's Web SDK sends its calls with `credentials: "include"`: the browser accepts the
    answer only with the page's own origin named and credentials allowed (never `*`)."""
    origin = request.headers.get("origin")
    if not origin:
        return {"Access-Control-Allow-Origin": "*"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin"}


def _json(request: http.Request, status: int, doc: Any, content_type: str = "application/json") -> http.Response:
    body = json.dumps(doc, separators=(",", ":")).encode()
    return http.Response.make(status, body, {**_edge_cors(request), "Content-Type": content_type})


def _problem(request: http.Request, status: int, title: str, detail: str,
             details: list[dict[str, str]] | str | None = None) -> http.Response:
    """An RFC 7807 problem document as the Media Edge API writes them (its OpenAPI examples)."""
    report: dict[str, Any] = {"requestId": str(uuid.uuid4())}
    if details is not None:
        report["details"] = details
    doc = {"type": EDGE_PROBLEM.format(status=f"{status:03d}"), "status": status, "title": title,
           "detail": detail, "report": report}
    return _json(request, status, doc, "application/problem+json")


class Sink:
    """Adobe's answers. Holds the sids it issued (to answer 404 for others)."""

    def __init__(self, schemas: SchemaSet, body_limit: int, org: str = "") -> None:
        self.schemas = schemas  # the Media Collection API's built-in schemas
        self.body_limit = body_limit
        self.org = org  # the IMS org of a Web SDK page, for the identity cookie's name
        self.sids: set[str] = set()

    def answer(self, request: http.Request) -> http.Response | None:
        """The response for an API request, or None for anything the sink does not serve."""
        route = classify(request.path)
        if route is None:
            return None
        edge = route.protocol is MEDIA_EDGE
        if request.method == "OPTIONS":
            if not edge:
                return _answer(200)
            asked = request.headers.get("access-control-request-headers", "Content-Type")
            return http.Response.make(200, b"", {**_edge_cors(request), "Access-Control-Allow-Methods": "POST, OPTIONS",
                                                 "Access-Control-Allow-Headers": asked,
                                                 "Access-Control-Max-Age": "600"})
        if request.method != "POST":
            return None
        if edge:
            return self._edge(request, route)
        if route.kind is Kind.START:
            return self._session_start(request)
        assert route.sid is not None
        return self._event(request, route.sid)

    def _issue(self) -> str:
        sid = secrets.token_hex(32)
        self.sids.add(sid)
        return sid

    # -- Media Collection API -----------------------------------------------------------------

    def _session_start(self, request: http.Request) -> http.Response:
        try:
            event = parse_body(decoded_body(request, self.body_limit), self.body_limit)
        except BodyError as exc:
            return _answer(400, f"invalid JSON: {exc}")
        problem = self._schema_problem(SESSION_START, event)
        if problem:
            return _answer(400, problem)
        return _answer(201, Location=f"/api/v1/sessions/{self._issue()}")

    def _event(self, request: http.Request, sid: str) -> http.Response:
        if sid not in self.sids:
            return _answer(404, "unknown session id: start a new session")
        try:
            event = parse_body(decoded_body(request, self.body_limit), self.body_limit)
        except BodyError as exc:
            return _answer(400, f"invalid JSON: {exc}")
        event_type = event.get("eventType")
        if not isinstance(event_type, str) or not self.schemas.is_known(event_type):
            return _answer(400, "eventType is missing or not a documented event type")
        if event_type == SESSION_START:
            return _answer(400, "sessionStart belongs to /api/v1/sessions, not to a session's events")
        problem = self._schema_problem(event_type, event)
        return _answer(400, problem) if problem else _answer(204)

    def _schema_problem(self, event_type: str, event: dict) -> str:
        errors = self.schemas.validate(event_type, event)
        if not errors:
            return ""
        shown = [str(e) for e in errors[:_MAX_LISTED_ERRORS]]
        if len(errors) > _MAX_LISTED_ERRORS:
            shown.append(f"... and {len(errors) - _MAX_LISTED_ERRORS} more")
        return f"{event_type} body fails its schema:\n" + "\n".join(shown)

    # -- Media Edge API -----------------------------------------------------------------------

    def _edge(self, request: http.Request, route: Route) -> http.Response | None:
        interact = route.action is None
        try:
            body = parse_body(decoded_body(request, self.body_limit), self.body_limit)
        except BodyError as exc:
            if interact:
                return None  # not recognisably media: the interact goes on
            return _problem(request, 400, "Bad Request", f"Invalid request: {exc}",
                            [{"name": "$", "reason": str(exc)}])
        kind = neutral_type(first_event(body).get("eventType"))
        if interact and kind != SESSION_START:
            return None  # an interact for something else than media
        edge_schemas = MEDIA_EDGE.default_schemas
        problems: list[dict[str, str]] = []
        if route.action is not None and route.action != kind:
            problems.append({"name": json_path((*EVENT, "eventType")),
                             "reason": f"eventType {kind!r} does not match the path's {route.action!r}"})
        if kind is None or not edge_schemas.is_known(kind):
            problems.append({"name": json_path((*EVENT, "eventType")), "reason": "not a documented media event type"})
        else:
            problems += [_reason(e) for e in edge_schemas.validate(kind, body)[:_MAX_LISTED_ERRORS]]
        if problems:
            return _problem(request, 400, "Bad Request", "Invalid request. Please check your input and try again.",
                            problems)
        if route.kind is Kind.START:
            return self._edge_start(request, body)
        sid = first_event(body)["mediaCollection"]["sessionID"]
        if sid not in self.sids:
            return _problem(request, 404, "Not Found",
                            "The requested resource could not be found but may be available again in the future.",
                            "Error processing request: unknown sessionID. Returning Not Found")
        return http.Response.make(204, b"", _edge_cors(request))

    def _edge_start(self, request: http.Request, body: dict) -> http.Response:
        """As the Edge Network answers a start: the SDK's identity and region cookies (when the
        org is known), the location hint, and the new media session."""
        handles: list[dict[str, Any]] = []
        cookie = _identity_cookie(request, body, self.org)
        if cookie is not None:
            cluster = cookie.removesuffix("_identity") + "_cluster"  # the Web SDK reads the hint here
            handles.append({"type": "state:store", "payload": [
                {"key": cookie, "value": secrets.token_hex(16), "maxAge": IDENTITY_MAX_AGE,
                 "attrs": {"SameSite": "None", "Secure": True}},
                {"key": cluster, "value": LOCATION_HINT, "maxAge": HINT_TTL,
                 "attrs": {"SameSite": "None", "Secure": True}}]})
        handles.append({"type": "locationHint:result", "payload": [
            {"scope": "EdgeNetwork", "hint": LOCATION_HINT, "ttlSeconds": HINT_TTL}]})
        handles.append({"type": "media-analytics:new-session", "payload": [{"sessionId": self._issue()}],
                        "eventIndex": 0})
        return _json(request, 200, {"requestId": str(uuid.uuid4()), "handle": handles})


def _reason(error: SchemaError) -> dict[str, str]:
    return {"name": error.path, "reason": error.message}


def _identity_cookie(request: http.Request, body: dict, org: str) -> str | None:
    """The name of the Web SDK's identity cookie, `kndctr_{IMS org, '@' as '_'}_identity`: the SDK
    warns on every call while the answer stores none. Its requests do not name the org, so it is
    read from the SDK's own cookie names (sent, or copied into `meta.state.entries`) or taken from
    `--sink-org`; without either no cookie is stored."""
    names = [name for name, _ in request.cookies.items(multi=True)]
    meta = body.get("meta")
    state = meta.get("state") if isinstance(meta, dict) else None
    entries = state.get("entries") if isinstance(state, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            names.append(entry["key"])
    for name in names:
        if name.startswith("kndctr_") and name.endswith("_identity"):
            return name
    return f"kndctr_{org.replace('@', '_')}_identity" if org else None
