"""Rules about one call's body on its own: is it JSON, does it fit its schema, is it well formed."""

from __future__ import annotations

import difflib

from ..call import Endpoint
from ..findings import Severity, rule
from ..model import Entry
from ..parse import mapping
from ..schemas import EVENT_TYPES
from ..timeline import Family

FAMILY = "body"
_INF = float("inf")
R = Severity

rule("body-not-json", R.ERROR, family=FAMILY,
     summary="The body is empty, not UTF-8, not JSON, not an object, or over the size limit.",
     impact="The backend rejects the call with 400: the event is lost.",
     fix="Send one JSON object per request, UTF-8 encoded, with Content-Type application/json.",
     source="SPEC §3 (event body), Media Collection API events request")
rule("schema", R.ERROR, family=FAMILY,
     summary="The body breaks its event type's JSON Schema (one finding per error, led by its JSON path).",
     impact="The backend answers 400 and drops the event.",
     fix="Send the field with the documented name and type; see the path in the finding.",
     source="SPEC §3; Adobe Media Collection API parameter reference")
rule("unknown-event-type", R.ERROR, family=FAMILY,
     summary="eventType is not one of the documented event types.",
     impact="The backend rejects the event; whatever it stood for is not counted.",
     fix="Use a documented eventType (the message names the likely intended one).",
     source="SPEC §3 (event types)")
rule("unknown-param", R.WARNING, family=FAMILY,
     summary="A params key that no documentation lists for this event type.",
     impact="Adobe's schema may reject the event; at best the value is ignored.",
     fix="Remove the key, move it to customMetadata, or check its spelling against the docs.",
     source="SPEC §3 (required and optional params)")
rule("wrong-endpoint", R.ERROR, family=FAMILY,
     summary="sessionStart sent to /events, or another event type sent to /sessions.",
     impact="The backend rejects the call or opens a session that makes no sense.",
     fix="POST sessionStart to /api/v1/sessions and every other event to /api/v1/sessions/{sid}/events.",
     source="SPEC §3 (endpoints)")
rule("ts-units", R.ERROR, family=FAMILY,
     summary="playerTime.ts is not plausible epoch milliseconds (below 1e11 or above 1e14).",
     impact="Events are ordered and timed wrongly: durations and ping gaps become meaningless.",
     fix="Send ts as milliseconds since the Unix epoch (Date.now(), System.currentTimeMillis()).",
     source="SPEC §3 (playerTime.ts is epoch ms)")
rule("ping-has-params", R.WARNING, family=FAMILY,
     summary="A ping carries a non-empty params object.",
     impact="Ping params are ignored; they usually mean state was meant to go elsewhere.",
     fix="Send pings with only playerTime and eventType (params {} is fine).",
     source="Adobe Media Collection API: ping event")
rule("custom-metadata-misplaced", R.WARNING, family=FAMILY,
     summary="Non-empty customMetadata on an event other than sessionStart, adStart or chapterStart.",
     impact="The backend ignores it: the metadata never reaches the reports.",
     fix="Send custom metadata on sessionStart, adStart or chapterStart only.",
     source="Adobe Media Collection API: customMetadata")
rule("custom-metadata-key", (R.WARNING, R.INFO), family=FAMILY,
     summary="A customMetadata key starts with the reserved 'a.' (warning) or with 'media.' (info).",
     impact="'a.' keys are reserved for Adobe context data; 'media.' keys may shadow standard fields.",
     fix="Rename the key with your own prefix (e.g. 'myco.show_id').",
     source="Adobe Analytics context data naming")

CUSTOM_METADATA_EVENTS = {"sessionStart", "adStart", "chapterStart"}
HINTS = {
    "contentcomplete": "sessionComplete", "complete": "sessionComplete",
    "sessionclose": "sessionEnd", "close": "sessionEnd", "end": "sessionEnd",
    "chapterend": "chapterComplete", "adend": "adComplete", "adbreakend": "adBreakComplete",
    "pause": "pauseStart", "resume": "play", "bufferend": "play", "buffercomplete": "play",
    "pauseend": "play", "seekstart": "pauseStart", "seekend": "play", "seekcomplete": "play",
    "start": "sessionStart", "heartbeat": "ping", "qoe": "bitrateChange",
}


def likely_type(name: str) -> str | None:
    """The documented event type the sender probably meant."""
    folded = name.replace("_", "").replace("-", "").lower()
    if folded in HINTS:
        return HINTS[folded]
    lowered = {t.lower(): t for t in EVENT_TYPES}
    if folded in lowered:
        return lowered[folded]
    close = difflib.get_close_matches(folded, list(lowered), n=1, cutoff=0.75)
    return lowered[close[0]] if close else None


class BodyChecks(Family):
    """Per-call checks; what repeats on every call of a session is reported once per session."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.once: set[tuple] = set()

    def _first(self, *key) -> bool:
        if key in self.once:
            return False
        self.once.add(key)
        return True

    def arrive(self, e: Entry) -> None:
        ctx = self.ctx
        if e.body_error is not None:
            ctx.emit("body-not-json", e, e.body_error)
            return
        event = e.event
        assert event is not None
        kind = e.event_type
        schemas = ctx.schemas
        known = kind is not None and schemas.is_known(kind)
        if kind is not None:
            endpoint = e.call.endpoint
            if endpoint is not None and (endpoint[0] is Endpoint.EVENTS) == (kind == "sessionStart"):
                self._wrong_endpoint(e, kind)
            if not known:
                hint = likely_type(kind)
                ctx.emit("unknown-event-type", e, f"eventType {kind!r} is not documented"
                         + (f"; did you mean {hint!r}?" if hint else ""))
        for error in schemas.validate(kind or "", event):
            ctx.emit("schema", e, f"{error.path}: {error.message}", path=error.path)
        params = event.get("params")
        if known and params and isinstance(params, dict):
            self._params(e, kind, params)
        ts = e.ts
        if ts is None or ts < 1e11 or ts > 1e14:  # the usual epoch ms needs no closer look
            self._ts(e)
        custom = event.get("customMetadata")
        if custom and isinstance(custom, dict):
            self._custom(e, kind, custom)

    def _wrong_endpoint(self, e: Entry, kind: str) -> None:
        """sessionStart posted to /events, or another type to /sessions (arrive tells which)."""
        if kind == "sessionStart":
            self.ctx.emit("wrong-endpoint", e, "sessionStart sent to /events; it belongs in POST /api/v1/sessions")
        else:
            self.ctx.emit("wrong-endpoint", e, f"{kind} sent to /sessions, which takes only sessionStart")

    def _params(self, e: Entry, kind: str, params: dict) -> None:
        if kind == "ping":
            if params and self._first("ping-has-params"):
                keys = ", ".join(sorted(params)[:5])
                self.ctx.emit("ping-has-params", e, f"ping carries params ({keys}); reported once per session")
            return
        known = self.ctx.schemas.known_params(kind)
        for key in params:
            if key not in known and self._first("unknown-param", kind, key):
                self.ctx.emit("unknown-param", e, f"{kind} param {key!r} is not documented for {kind}")

    def _ts(self, e: Entry) -> None:
        ts = e.ts
        if ts is None:
            # Beyond ±1e18 the timeline leaves ts out (e.ts is None), but it is still the wrong unit.
            ts = mapping(e.event, "playerTime").get("ts")
            if isinstance(ts, bool) or not isinstance(ts, (int, float)) or ts in (_INF, -_INF) or ts != ts:
                return
        if ts < 1e11 or ts > 1e14:
            self.ctx.bad_ts = True
            if self._first("ts-units"):
                guess = "seconds or a relative clock" if ts < 1e11 else "microseconds"
                shown = str(ts) if len(str(ts)) <= 24 else f"{str(ts)[:8]}... ({len(str(ts))} digits)"
                self.ctx.emit("ts-units", e, f"ts {shown} is not epoch milliseconds (looks like {guess});"
                              " reported once per session")

    def _custom(self, e: Entry, kind: str | None, custom: dict) -> None:
        if kind not in CUSTOM_METADATA_EVENTS and kind is not None:
            if self._first("custom-metadata-misplaced", kind):
                self.ctx.emit("custom-metadata-misplaced", e,
                              f"customMetadata on {kind} is ignored (only sessionStart, adStart, chapterStart)")
        for key in custom:
            if not isinstance(key, str) or not self._first("custom-metadata-key", key):
                continue
            if key.startswith("a."):
                self.ctx.emit("custom-metadata-key", e, f"customMetadata key {key!r} uses the reserved 'a.' prefix")
            elif key.startswith("media."):
                self.ctx.emit("custom-metadata-key", e,
                              f"customMetadata key {key!r} starts with 'media.' and may shadow a standard field",
                              severity=Severity.INFO)
