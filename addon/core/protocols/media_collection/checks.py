"""The Media Collection API's own body checks: its schemas and names, its two endpoints, its
`playerTime.ts` in epoch ms, its flat params and customMetadata objects."""

from __future__ import annotations

from typing import Any

from ...findings import Severity, rule
from ...model import Entry
from ...parse import mapping
from ...rules.body import BodyChecks
from ...schemas import EVENT_TYPES, SchemaError, json_path
from ...vocab import AD_START, CHAPTER_START, PING, SESSION_START, is_downloaded
from ..base import Kind

FAMILY = "body"
R = Severity
_INF = float("inf")

WRONG_ENDPOINT = rule(
    "wrong-endpoint", R.ERROR, family=FAMILY,
    summary="sessionStart sent to /events, or another event type sent to /sessions.",
    impact="The backend rejects the call or opens a session that makes no sense.",
    fix="POST sessionStart to /api/v1/sessions and every other event to /api/v1/sessions/{sid}/events.",
    source="SPEC §3.1 (endpoints); Media Collection API sessions and events requests")
TS_UNITS = rule(
    "ts-units", R.ERROR, family=FAMILY,
    summary="playerTime.ts is not plausible epoch milliseconds (below 1e11 or above 1e14).",
    impact="Events are ordered and timed wrongly: durations and ping gaps become meaningless.",
    fix="Send ts as milliseconds since the Unix epoch (Date.now(), System.currentTimeMillis()).",
    source="SPEC §3.1 (playerTime.ts is epoch ms); Media Collection API events request")
PING_HAS_PARAMS = rule(
    "ping-has-params", R.WARNING, family=FAMILY,
    summary="A ping carries a non-empty params object.",
    impact="Ping params are ignored; they usually mean state was meant to go elsewhere.",
    fix="Send pings with only playerTime and eventType (params {} is fine).",
    source="Adobe Media Collection API: ping event")
CUSTOM_METADATA_MISPLACED = rule(
    "custom-metadata-misplaced", R.WARNING, family=FAMILY,
    summary="Non-empty customMetadata on an event other than sessionStart, adStart or chapterStart.",
    impact="The backend ignores it: the metadata never reaches the reports.",
    fix="Send custom metadata on sessionStart, adStart or chapterStart only.",
    source="Adobe Media Collection API: customMetadata")
CUSTOM_METADATA_KEY = rule(
    "custom-metadata-key", (R.WARNING, R.INFO), family=FAMILY,
    summary="A customMetadata key starts with the reserved 'a.' (warning) or with 'media.' (info).",
    impact="'a.' keys are reserved for Adobe context data; 'media.' keys may shadow standard fields.",
    fix="Rename the key with your own prefix (e.g. 'myco.show_id').",
    source="Adobe Analytics context data naming")

DOWNLOADED_NOT_FLAGGED = rule(
    "downloaded-not-flagged", R.ERROR, family=FAMILY,
    summary="An array of events (a downloaded session) posted to /sessions without media.downloaded: true "
            "on its sessionStart.",
    impact="Adobe answers 400 and drops the whole batch: the offline viewing is lost.",
    fix="Set media.downloaded to true on the batch's sessionStart, or post it to /api/v1/downloaded.",
    source="Adobe media-analytics docs, Track downloaded content (help/use-cases/track-downloaded-content.md; "
           "media.downloaded 'must be set to true' for the batch sent to the sessions endpoint); SPEC §3.1")

CUSTOM_METADATA_EVENTS = {SESSION_START, AD_START, CHAPTER_START}


def _root(e: Entry) -> tuple[int, ...]:
    """Where the event starts in the body: its root, or its item of a downloaded batch."""
    return () if e.part is None else (e.part,)


class MediaCollectionChecks(BodyChecks):
    """Per-call checks of a Media Collection body; what repeats is reported once per session."""

    def judge(self, e: Entry) -> None:
        ctx = self.ctx
        event = e.body
        kind = e.event_type
        schemas = ctx.schemas
        known = kind is not None and schemas.is_known(kind)
        route = e.call.route
        if kind is not None:
            if e.part is None and route is not None and (route.kind is Kind.EVENT) == (kind == SESSION_START):
                self._wrong_endpoint(e, kind)
            if not known:
                self.unknown_type(e, kind, EVENT_TYPES)
        errors = schemas.validate(kind or "", event)
        if e.part is not None:  # an event of a downloaded batch: paths from the array's root
            errors = [SchemaError(f"$[{e.part}]{error.path[1:]}", error.message) for error in errors]
            if e.part == 0 and route is not None and route.kind is Kind.START and not is_downloaded(e.details):
                ctx.emit(DOWNLOADED_NOT_FLAGGED, e, "an array of events posted to /sessions whose sessionStart "
                         "lacks media.downloaded: true (Adobe answers 400 and drops the batch)",
                         path="$[0].params")
        if errors:
            self.schema_errors(e, errors)
        params = event.get("params")
        if known and kind is not None and params and isinstance(params, dict):
            self._params(e, kind, params)
        if e.ts_suspect:
            self._ts(e)
        custom = event.get("customMetadata")
        if custom and isinstance(custom, dict):
            self._custom(e, kind, custom)

    def _wrong_endpoint(self, e: Entry, kind: str) -> None:
        """sessionStart posted to /events, or another type to /sessions (arrive tells which)."""
        if kind == SESSION_START:
            self.ctx.emit(WRONG_ENDPOINT, e, "sessionStart sent to /events; it belongs in POST /api/v1/sessions")
        else:
            self.ctx.emit(WRONG_ENDPOINT, e, f"{kind} sent to /sessions, which takes only sessionStart")

    def _params(self, e: Entry, kind: str, params: dict) -> None:
        if kind == PING:
            if params and self.first(PING_HAS_PARAMS):
                keys = ", ".join(sorted(params)[:5])
                self.ctx.emit(PING_HAS_PARAMS, e, f"ping carries params ({keys}); reported once per session",
                              path=json_path((*_root(e), "params")))
            return
        self.unknown_keys(e, kind, params, self.ctx.schemas.known_params(kind), "param",
                          lambda key: json_path((*_root(e), "params", key)))

    def _ts(self, e: Entry) -> None:
        ts: Any = e.ts
        if ts is None:  # beyond ±1e18 the timeline leaves ts out, but it is still the wrong unit
            ts = mapping(e.body, "playerTime").get("ts")
        if self.first(TS_UNITS):
            guess = "seconds or a relative clock" if ts < 1e11 else "microseconds"
            shown = str(ts) if len(str(ts)) <= 24 else f"{str(ts)[:8]}... ({len(str(ts))} digits)"
            self.ctx.emit(TS_UNITS, e, f"ts {shown} is not epoch milliseconds (looks like {guess});"
                          " reported once per session", path=json_path((*_root(e), "playerTime", "ts")))

    def _custom(self, e: Entry, kind: str | None, custom: dict) -> None:
        if kind not in CUSTOM_METADATA_EVENTS and kind is not None:
            if self.first(CUSTOM_METADATA_MISPLACED, kind):
                self.ctx.emit(CUSTOM_METADATA_MISPLACED, e,
                              f"customMetadata on {kind} is ignored (only sessionStart, adStart, chapterStart)",
                              path=json_path((*_root(e), "customMetadata")))
        for key in custom:
            if not isinstance(key, str) or not self.first(CUSTOM_METADATA_KEY, key):
                continue
            path = json_path((*_root(e), "customMetadata", key))
            if key.startswith("a."):
                self.ctx.emit(CUSTOM_METADATA_KEY, e, f"customMetadata key {key!r} uses the reserved 'a.' prefix",
                              path=path)
            elif key.startswith("media."):
                self.ctx.emit(CUSTOM_METADATA_KEY, e,
                              f"customMetadata key {key!r} starts with 'media.' and may shadow a standard field",
                              severity=Severity.INFO, path=path)
