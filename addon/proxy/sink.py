"""Sink mode (SPEC §6): answer the Media Collection API locally, like the collection server.

Test traffic then never reaches a production report suite, and a device works with no connection
to Adobe at all. The answers copy the server's: `201` + `Location` with a random 64-hex sid for a
sessionStart, `204` for an event, `400` with the reason for a body the server would reject, `404`
for a sid it never issued, and CORS headers on everything (browser players read `Location` only
when it is exposed). A *sequence* defect is answered `204`, as Adobe does: finding those is
playhead's job, and a device that got a different answer would behave differently.

Bodies are checked against the built-in schemas only: a team's `--schemas` tighten what playhead
reports, not what the server accepts.
"""

from __future__ import annotations

import secrets

from mitmproxy import http

from ..core.call import Endpoint, classify
from ..core.parse import BodyError, parse_body
from ..core.schemas import SchemaSet
from .body import decoded_body

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "OPTIONS,POST,PUT",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Expose-Headers": "Location",
}
_MAX_LISTED_ERRORS = 10


def _answer(status: int, message: str = "", **headers: str) -> http.Response:
    body = (message + "\n").encode("utf-8") if message else b""
    extra = {"Content-Type": "text/plain; charset=utf-8"} if body else {}
    return http.Response.make(status, body, {**CORS_HEADERS, **extra, **headers})


class Sink:
    """The collection server's answers. Holds the sids it issued (to answer 404 for others)."""

    def __init__(self, schemas: SchemaSet, body_limit: int) -> None:
        self.schemas = schemas
        self.body_limit = body_limit
        self.sids: set[str] = set()

    def answer(self, request: http.Request) -> http.Response | None:
        """The response for an API request, or None for anything the sink does not serve."""
        endpoint = classify(request.path)
        if endpoint is None:
            return None
        if request.method == "OPTIONS":
            return _answer(200)
        if request.method != "POST":
            return None
        kind, sid = endpoint
        if kind is Endpoint.SESSIONS:
            return self._session_start(request)
        assert sid is not None
        return self._event(request, sid)

    def _session_start(self, request: http.Request) -> http.Response:
        try:
            event = parse_body(decoded_body(request, self.body_limit), self.body_limit)
        except BodyError as exc:
            return _answer(400, f"invalid JSON: {exc}")
        problem = self._schema_problem("sessionStart", event)
        if problem:
            return _answer(400, problem)
        sid = secrets.token_hex(32)
        self.sids.add(sid)
        return _answer(201, Location=f"/api/v1/sessions/{sid}")

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
        if event_type == "sessionStart":
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
