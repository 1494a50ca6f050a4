"""Rules about one call's body on its own, shared by every protocol: is it JSON, does it fit its
schema, is its event type documented, are its keys documented.

Each protocol's own body checks (core/protocols/*/checks.py) emit these, beside the rules only its
wire format has; `BodyChecks` is their common base.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..findings import Rule, Severity, rule
from ..model import Entry
from ..schemas import SchemaError
from ..timeline import Family
from .http import HTTP_ERROR
from ..vocab import (AD_BREAK_COMPLETE, AD_COMPLETE, BITRATE_CHANGE, CHAPTER_COMPLETE, PAUSE_START,
                     PING, PLAY, SESSION_COMPLETE, SESSION_END, SESSION_START)

FAMILY = "body"
R = Severity

BODY_NOT_JSON = rule(
    "body-not-json", R.ERROR, family=FAMILY,
    summary="The body is empty, not UTF-8, not JSON, not an object, or over the size limit.",
    impact="The backend rejects the call with 400: the event is lost.",
    fix="Send one JSON object per request, UTF-8 encoded, with Content-Type application/json.",
    source="SPEC §3 (event body); Media Collection API events request; Media Edge API OpenAPI "
           "(requestBody application/json)")
SCHEMA = rule(
    "schema", R.ERROR, family=FAMILY,
    summary="The body breaks its event type's JSON Schema (one finding per error, led by its JSON path).",
    impact="The backend answers 400 and drops the event.",
    fix="Send the field with the documented name and type; see the path in the finding.",
    source="SPEC §3; Adobe Media Collection API parameter reference; Media Edge API OpenAPI file "
           "(data-collection-apis static/media-edge.yaml)")
UNKNOWN_EVENT_TYPE = rule(
    "unknown-event-type", R.ERROR, family=FAMILY,
    summary="eventType is not one of the documented event types.",
    impact="The backend rejects the event; whatever it stood for is not counted.",
    fix="Use a documented eventType (the message names the likely intended one).",
    source="SPEC §3 (event types); Media Edge API endpoints list")
UNKNOWN_PARAM = rule(
    "unknown-param", R.WARNING, family=FAMILY,
    summary="A params key (Media Edge: a key of a details object) that no documentation lists for "
            "this event type.",
    impact="Adobe's schema may reject the event; at best the value is ignored.",
    fix="Remove the key, move it to customMetadata, or check its spelling against the docs.",
    source="SPEC §3 (required and optional params); Media Edge API OpenAPI file")

HINTS = {
    "contentcomplete": SESSION_COMPLETE, "complete": SESSION_COMPLETE,
    "sessionclose": SESSION_END, "close": SESSION_END, "end": SESSION_END,
    "chapterend": CHAPTER_COMPLETE, "adend": AD_COMPLETE, "adbreakend": AD_BREAK_COMPLETE,
    "pause": PAUSE_START, "resume": PLAY, "bufferend": PLAY, "buffercomplete": PLAY,
    "pauseend": PLAY, "seekstart": PAUSE_START, "seekend": PLAY, "seekcomplete": PLAY,
    "start": SESSION_START, "heartbeat": PING, "qoe": BITRATE_CHANGE,
}


def likely_type(name: str, documented: Iterable[str]) -> str | None:
    """The documented event type the sender probably meant."""
    folded = name.replace("_", "").replace("-", "").lower()
    lowered = {t.lower(): t for t in documented}
    if folded in HINTS and HINTS[folded] in lowered.values():
        return HINTS[folded]
    if folded in lowered:
        return lowered[folded]
    close = difflib.get_close_matches(folded, list(lowered), n=1, cutoff=0.75)
    return lowered[close[0]] if close else None


class BodyChecks(Family):
    """Base of a protocol's body checks: what repeats on every call of a session is reported once
    per session, and the shared rules are emitted the same way for every protocol."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.once: set[tuple] = set()

    def first(self, *key) -> bool:
        if key in self.once:
            return False
        self.once.add(key)
        return True

    def arrive(self, e: Entry) -> None:
        before = len(e.findings)
        if e.body_error is not None:
            self.ctx.emit(BODY_NOT_JSON, e, e.body_error)
        else:
            self.judge(e)
        start = e.call.route is not None and e.call.route.kind.value == "start"  # said as session-start-rejected
        if (e.call.status == 400 and not start and not e.part  # a batch's 400 is said once, on its first event
                and not any(f.severity is Severity.ERROR for f in e.findings[before:])):
            self.ctx.emit(HTTP_ERROR, e, "answered 400 though playhead sees no defect in the body "
                                         "(the answer's message says what the backend refused)")

    def judge(self, e: Entry) -> None:
        """The protocol's own checks of a body that could be read (e.body is a JSON object)."""
        raise NotImplementedError

    def unknown_type(self, e: Entry, name: str, documented: Iterable[str], what: str = "eventType") -> None:
        hint = likely_type(name, documented)
        self.ctx.emit(UNKNOWN_EVENT_TYPE, e, f"{what} {name!r} is not documented"
                      + (f"; did you mean {hint!r}?" if hint else ""))

    def schema_errors(self, e: Entry, errors: Iterable[SchemaError]) -> None:
        for error in errors:
            self.ctx.emit(SCHEMA, e, f"{error.path}: {error.message}", path=error.path)

    def unknown_keys(self, e: Entry, kind: str, keys: Iterable[str], known: frozenset[str],
                     where: str, path_of) -> None:
        """unknown-param for each undocumented key, once per session and key."""
        for key in keys:
            if key not in known and self.first(UNKNOWN_PARAM, kind, key):
                self.ctx.emit(UNKNOWN_PARAM, e, f"{kind} {where} {key!r} is not documented for {kind}",
                              path=path_of(key))


__all__ = ["BODY_NOT_JSON", "SCHEMA", "UNKNOWN_EVENT_TYPE", "UNKNOWN_PARAM", "BodyChecks",
           "Rule", "likely_type"]
