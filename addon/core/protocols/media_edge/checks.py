"""The Media Edge API's own body checks: its schemas, the path's action against the body's
eventType, ISO 8601 timestamps, the datastream's configId, and the keys of its details objects."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from ...findings import Severity, rule
from ...model import Entry
from ...rules.body import BodyChecks
from ...schemas import json_path
from ...vocab import SESSION_START
from . import DETAILS, EVENT, EVENT_TYPES, MEDIA, MEDIA_EDGE, downloaded_item, first_event, timestamp_ms

FAMILY = "body"
R = Severity

EDGE_PATH_MISMATCH = rule(
    "edge-path-mismatch", R.ERROR, family=FAMILY,
    summary="A Media Edge event's path action (/va/v1/{action}) differs from its xdm.eventType.",
    impact="Adobe answers 400: the event is lost.",
    fix="POST each event to /va/v1/<eventType without 'media.'>, e.g. media.pauseStart to /va/v1/pauseStart.",
    source="Adobe Media Edge API troubleshooting: 'the eventType in the path must match the payload' "
           "(cja-apis endpoints/media-edge/troubleshooting.md); SPEC §3.2")
EDGE_TIMESTAMP = rule(
    "edge-timestamp", R.ERROR, family=FAMILY,
    summary="xdm.timestamp is not an ISO 8601 date-time with a UTC offset.",
    impact="Adobe rejects the event (400); without an offset the time is ambiguous.",
    fix="Send the time the event happened as ISO 8601 with an offset: new Date().toISOString().",
    source="Media Edge API OpenAPI file (timestamp: date-time) and troubleshooting page "
           "('must follow ISO 8601 with a UTC offset'); SPEC §3.2")
EDGE_CONFIG_MISSING = rule(
    "edge-config-missing", (R.ERROR, R.WARNING), family=FAMILY,
    summary="The call's URL has no configId (the datastream id): an error on sessionStart, where the "
            "OpenAPI file requires it, a warning on other events, where Adobe's examples always send it.",
    impact="The Edge Network cannot tell which datastream the call is for: it answers 400 "
           "(EXEG-0003-400) or drops it.",
    fix="Append ?configId=<datastream id> to every Media Edge call, as Adobe's SDKs do.",
    source="Media Edge API OpenAPI file (configId query parameter, required on sessionStart); "
           "data-collection-apis media endpoint examples")


class MediaEdgeChecks(BodyChecks):
    """Per-call checks of a Media Edge body; what repeats is reported once per session."""

    def judge(self, e: Entry) -> None:
        if e.part is not None:
            self._downloaded(e)
            return
        ctx = self.ctx
        body = e.body
        kind = e.event_type
        schemas = ctx.schemas
        known = kind is not None and schemas.is_known(kind)
        if kind is not None and not known:
            self.unknown_type(e, kind, EVENT_TYPES, "xdm.eventType")
        action = e.call.route.action if e.call.route is not None else None
        if action is not None and kind is not None and action != kind:
            ctx.emit(EDGE_PATH_MISMATCH, e, f"path action {action!r} but xdm.eventType names {kind!r}",
                     path=json_path((*EVENT, "eventType")))
        self.schema_errors(e, schemas.validate(kind if kind is not None and known else "", body))
        xdm = first_event(body)
        _, why = timestamp_ms(xdm.get("timestamp"))
        if why is not None and self.first(EDGE_TIMESTAMP):
            ctx.emit(EDGE_TIMESTAMP, e, why + "; reported once per session", path=json_path((*EVENT, "timestamp")))
        self._config(e, kind)
        if known and kind is not None:
            self._details(e, kind, xdm.get("mediaCollection"))

    def _downloaded(self, e: Entry) -> None:
        """One event of a downloaded batch: its type and its timestamp (the batch's own schema is
        not one of the per-event OpenAPI schemas)."""
        kind = e.event_type
        where = (*EVENT, "mediaDownloadedEvents", e.part or 0)
        if kind is not None and not self.ctx.schemas.is_known(kind):
            self.unknown_type(e, kind, EVENT_TYPES, "mediaEventType")
        _, why = timestamp_ms(downloaded_item(e).get("mediaEventTimestamp"))
        if why is not None and self.first(EDGE_TIMESTAMP):
            self.ctx.emit(EDGE_TIMESTAMP, e, why.replace("timestamp", "mediaEventTimestamp", 1),
                          path=json_path((*where, "mediaEventTimestamp")))
        if e.part == 0:
            self._config(e, SESSION_START)

    def _config(self, e: Entry, kind: str | None) -> None:
        try:
            query = parse_qs(urlsplit(e.call.url).query)
        except ValueError:
            query = {}
        if query.get("configId", [""])[0]:
            return
        start = kind == SESSION_START
        if self.first(EDGE_CONFIG_MISSING, start):
            self.ctx.emit(EDGE_CONFIG_MISSING, e, f"no configId in the URL of {kind or 'this call'}"
                          + ("" if start else "; reported once per session"),
                          severity=Severity.ERROR if start else Severity.WARNING)

    def _details(self, e: Entry, kind: str, media) -> None:
        found = DETAILS.get(kind)
        if found is None or not isinstance(media, dict):
            return
        name, _ = found
        obj = media.get(name)
        if not isinstance(obj, dict):
            return
        known = self.known_keys(kind, name)
        self.unknown_keys(e, kind, obj, known, f"{name} key", lambda key: json_path((*MEDIA, name, key)))

    def known_keys(self, kind: str, name: str) -> frozenset[str]:
        """The keys the built-in schema documents for the details object (read once per type)."""
        cache = _KNOWN.get(kind)
        if cache is None:
            cache = _KNOWN[kind] = MEDIA_EDGE.documented_keys(name)
        return cache


_KNOWN: dict[str, frozenset[str]] = {}
