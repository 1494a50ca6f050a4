"""The automation API described as OpenAPI 3.0, served at /v1/openapi.json; the test suite checks
the app against it (schemathesis), so the document and the routes cannot drift apart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..core.metrics import METRIC_LABELS

_NULLABLE_INT = {"type": "integer", "nullable": True}
_NULLABLE_STR = {"type": "string", "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _obj(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {**required, **optional}}


def _list_of(key: str, item: str) -> dict[str, Any]:
    return _obj({key: {"type": "array", "items": _ref(item)}})


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_ERROR = _json(_ref("Error"), "bad request: the error says why")
_COUNTS = {"error": {"type": "integer"}, "warning": {"type": "integer"}, "info": {"type": "integer"}}

# core/metrics.py: counts are integers, durations seconds (null when the session's clock is not epoch ms)
_METRICS = _obj({key: {"type": "number", "nullable": True} for key in METRIC_LABELS})

_SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": {"type": "string"}, "status": {"type": "integer"}}),
    "Finding": _obj({"rule": {"type": "string"}, "severity": {"type": "string", "enum": ["error", "warning", "info"]},
                     "session": _NULLABLE_STR, "call": _NULLABLE_INT, "eventType": _NULLABLE_STR,
                     "ts": _NULLABLE_INT, "message": {"type": "string"}, "path": _NULLABLE_STR}),
    "Session": _obj({"id": {"type": "string"}, "media": {"type": "object"}, "calls": {"type": "integer"},
                     "closed_by": _NULLABLE_STR, **_COUNTS, "state": {"type": "string"},
                     "protocol": {"type": "string", "enum": ["media-collection", "media-edge"]},
                     "closed": {"type": "boolean"}, "metrics": _METRICS}),
    "Call": _obj({"index": {"type": "integer"}, "eventType": _NULLABLE_STR, "ts": _NULLABLE_INT,
                  "playhead": {"type": "number", "nullable": True}, "status": _NULLABLE_INT,
                  "state_after": {"type": "string"}, "findings": {"type": "array", "items": {"type": "string"}}}),
    "Step": _obj({"title": {"type": "string"}, "status": {"type": "string", "enum": ["passed", "failed", "incomplete"]},
                  "detail": {"type": "string"}, "call": _NULLABLE_INT, "source": {"type": "string"}}),
    "Verdict": _obj({"session": {"type": "string"}, "status": {"type": "string"}, "waiting_for": _NULLABLE_STR,
                     "steps": {"type": "array", "items": _ref("Step")}}, name={"type": "string"}),
    "ChecklistSummary": _obj({"name": {"type": "string"}, "title": {"type": "string"}, "source": {"type": "string"},
                              "applies_to": {"type": "string"},
                              "status": {"type": "string", "enum": ["passed", "failed", "incomplete"]},
                              "detail": {"type": "string"}}),
}
_SCHEMAS["SessionDetail"] = {"allOf": [_ref("Session"), _obj({
    "dropped_calls": {"type": "integer"}, "calls_kept": {"type": "array", "items": _ref("Call")},
    "findings": {"type": "array", "items": _ref("Finding")},
    "checklists": {"type": "array", "items": _ref("Verdict")}})]}
_SCHEMAS["Checklist"] = {"allOf": [_ref("ChecklistSummary"),
                                   _obj({"sessions": {"type": "array", "items": _ref("Verdict")}})]}
_SCHEMAS["Status"] = _obj({
    "tool": {"type": "string"}, "version": {"type": "string"}, "listen": _NULLABLE_STR,
    "mode": {"type": "string", "enum": ["forward", "sink"]}, "recording": _NULLABLE_STR,
    "protocols": {"type": "object", "additionalProperties": {"type": "integer"}},
    "summary": _obj({"sessions": {"type": "integer"}, "calls": {"type": "integer"}, **_COUNTS}),
    "api_port": _NULLABLE_INT, "resets": {"type": "integer"}})


def document(checklists: Sequence[str] = ()) -> dict[str, Any]:
    """The document for a proxy whose checklists have these names (a team adds its own)."""
    names = {"type": "string", "enum": list(checklists)} if checklists else {"type": "string"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "playhead automation API", "version": __version__,
                 "description": "What the running playhead proxy saw: sessions, findings, reports and "
                                "checklists, for device-test automation. http://playhead.api/ through the "
                                "proxy, or http://127.0.0.1:<--api-port>/ without it."},
        "paths": {
            "/v1/status": {"get": {"operationId": "status", "summary": "version, listen address, mode, counts",
                                   "responses": {"200": _json(_ref("Status"), "the run as of now")}}},
            "/v1/sessions": {"get": {
                "operationId": "sessions", "summary": "every session, as the JSON report lists them",
                "parameters": [_query("state", {"type": "string", "enum": ["open", "closed"]}, "only these")],
                "responses": {"200": _json(_list_of("sessions", "Session"), "the sessions"), "400": _ERROR}}},
            "/v1/sessions/{sid}": {"get": {
                "operationId": "session", "summary": "one session with its calls, findings and checklists",
                "parameters": [{"name": "sid", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("SessionDetail"), "the session"),
                              "404": _json(_ref("Error"), "no such session")}}},
            "/v1/findings": {"get": {
                "operationId": "findings", "summary": "findings, filtered",
                "parameters": [
                    _query("severity", {"type": "string", "enum": ["error", "warning", "info"]},
                           "this severity or worse"),
                    _query("rule", {"type": "string"}, "only this rule id"),
                    _query("session", {"type": "string"}, "only this session id")],
                "responses": {"200": _json(_list_of("findings", "Finding"), "the findings"), "400": _ERROR}}},
            "/v1/report": {"get": {
                "operationId": "report", "summary": "the report as of now",
                "parameters": [_query("format", {"type": "string", "enum": ["json", "junit", "html", "markdown", "text"]},
                                      "default json"),
                               {**_query("checklist", {"type": "array", "items": names},
                                         "also report these checklists (repeatable)"),
                                "style": "form", "explode": True}],
                "responses": {"200": {"description": "the report in that format", "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/xml": {"schema": {"type": "string"}},
                    "text/html": {"schema": {"type": "string"}},
                    "text/markdown": {"schema": {"type": "string"}},
                    "text/plain": {"schema": {"type": "string"}}}}, "400": _ERROR}}},
            "/v1/reset": {"post": {
                "operationId": "reset", "summary": "forget what was seen (the recording goes on and marks it)",
                "responses": {"200": _json(_obj({"reset": {"type": "boolean"}, "resets": {"type": "integer"}}),
                                           "forgotten")}}},
            "/v1/wait": {"get": {
                "operationId": "wait", "summary": "long-poll until N sessions (closed ones by default) exist",
                "parameters": [
                    _query("sessions", {"type": "integer", "minimum": 1, "maximum": 100000}, "how many (default 1)"),
                    _query("closed", {"type": "boolean"}, "count closed sessions only (default true)"),
                    _query("timeout", {"type": "number", "minimum": 0, "maximum": 300},
                           "seconds (default 30)")],
                "responses": {"200": _json(_list_of("sessions", "Session"), "they are there"),
                              "400": _ERROR, "408": _json(_ref("Error"), "not within the timeout")}}},
            "/v1/checklists": {"get": {
                "operationId": "checklists", "summary": "every checklist and its status",
                "responses": {"200": _json(_list_of("checklists", "ChecklistSummary"), "the checklists")}}},
            "/v1/checklists/{name}": {"get": {
                "operationId": "checklist", "summary": "one checklist, step by step, per session",
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("Checklist"), "the checklist"),
                              "404": _json(_ref("Error"), "no such checklist")}}},
            "/v1/openapi.json": {"get": {"operationId": "openapi", "summary": "this document",
                                         "responses": {"200": _json({"type": "object"}, "OpenAPI 3.0")}}},
        },
        "components": {"schemas": _SCHEMAS},
    }
