"""The Media Edge API (`…/va/v1/{event}`): Adobe's Web SDK (alloy), Roku SDK, Edge mobile SDK and
direct REST players on Experience Platform (SPEC §3.2; facts in reference/media-edge.md, what the
Web SDK really sends in reference/alloy-wire.md).

- A start is `POST …/{basePath}[/{locationHint}]/va/v1/sessionStart?configId=…`, or the Web SDK's
  `POST …/v1/interact?configId=…` whose event is `media.sessionStart` (an interact for anything
  else is not media traffic). `200` JSON names the sid in
  `handle[type == "media-analytics:new-session"].payload[0].sessionId` (`requestId` is not it).
- Each event is `POST …/va/v1/{action}?configId=…`: the sid is in the body, not in the path.
- A body is `{"events": [{"xdm": {"eventType": "media.<type>", "timestamp": "<ISO 8601>",
  "mediaCollection": {"sessionID", "playhead" (integer s), <details object>…}}}]}`.

The base path (`ee` by default) and the host are the customer's (a first-party CNAME), so the
path is matched from `/va/v1/` or `/v1/interact` on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from importlib import resources
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from ... import vocab as v
from ...call import Call
from ...model import NO_DETAILS, Entry
from ...parse import BodyError, parse_body, seconds
from ...schemas import SchemaSet, json_path
from ..base import Kind, Protocol, Route

_VA = re.compile(r"/va/v1/([^/]+)/?$")
_INTERACT = re.compile(r"/v[12]/interact/?$")
EVENT_PREFIX = "media."
DOWNLOADED = "downloaded"  # the endpoint of a whole offline session: xdm.mediaDownloadedEvents[]
NEW_SESSION = "media-analytics:new-session"

# The event types of the API (one endpoint each); `downloaded` is a whole offline session.
EVENT_TYPES: tuple[str, ...] = (
    v.SESSION_START, v.PLAY, v.PING, v.BITRATE_CHANGE, v.BUFFER_START, v.PAUSE_START,
    v.AD_BREAK_START, v.AD_START, v.AD_COMPLETE, v.AD_SKIP, v.AD_BREAK_COMPLETE,
    v.CHAPTER_START, v.CHAPTER_COMPLETE, v.CHAPTER_SKIP, v.ERROR,
    v.SESSION_COMPLETE, v.SESSION_END, v.STATES_UPDATE,
)

# Each event type's details object in `xdm.mediaCollection`, and its keys for each neutral field.
DETAILS: dict[str, tuple[str, dict[str, str]]] = {
    v.SESSION_START: ("sessionDetails", {
        "name": v.MEDIA_ID, "friendlyName": v.MEDIA_NAME, "contentType": v.CONTENT_TYPE,
        "length": v.LENGTH, "playerName": v.PLAYER_NAME, "channel": v.CHANNEL,
        "isDownloaded": v.DOWNLOADED}),
    v.AD_BREAK_START: ("advertisingPodDetails", {"index": v.POD_INDEX, "offset": v.POD_SECOND}),
    v.AD_START: ("advertisingDetails", {"name": v.AD_ID, "length": v.AD_LENGTH,
                                        "podPosition": v.POD_POSITION}),
    v.CHAPTER_START: ("chapterDetails", {"index": v.CHAPTER_INDEX, "offset": v.CHAPTER_OFFSET,
                                         "length": v.CHAPTER_LENGTH}),
}
_KEYS = {kind: (obj, {field: key for key, field in names.items()}) for kind, (obj, names) in DETAILS.items()}
EVENT = ("events", 0, "xdm")
MEDIA = (*EVENT, "mediaCollection")


def timestamp_ms(value: Any) -> tuple[int | None, str | None]:
    """(epoch ms, None) for an ISO 8601 date-time with a UTC offset; (ms read as UTC, why) for one
    without an offset; (None, why) for anything else."""
    if not isinstance(value, str):
        return None, None  # the schema says what is wrong with a missing or non-string timestamp
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None, f"timestamp {value[:40]!r} is not an ISO 8601 date-time"
    why = None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
        why = f"timestamp {value[:40]!r} has no UTC offset (Adobe requires one, e.g. 'Z' or '+00:00')"
    return round(moment.timestamp() * 1000), why


def first_event(body: dict[str, Any]) -> dict[str, Any]:
    """`events[0].xdm` when it is an object, else {} (the schema says what is wrong)."""
    events = body.get("events")
    if isinstance(events, list) and events and isinstance(events[0], dict):
        xdm = events[0].get("xdm")
        if isinstance(xdm, dict):
            return xdm
    return {}


def downloaded_item(entry: Entry) -> dict[str, Any]:
    """Event `entry.part` of a downloaded batch, as the body carried it ({} when malformed)."""
    items = first_event(entry.body).get("mediaDownloadedEvents") if isinstance(entry.body, dict) else None
    if isinstance(items, list) and entry.part is not None and entry.part < len(items):
        item = items[entry.part]
        return item if isinstance(item, dict) else {}
    return {}


def neutral_type(event_type: Any) -> str | None:
    """`media.play` → `play`; a type without the prefix is kept whole (unknown-event-type)."""
    if not isinstance(event_type, str):
        return None
    return event_type[len(EVENT_PREFIX):] if event_type.startswith(EVENT_PREFIX) else event_type


def _names(items: Any) -> list[Any]:
    if not isinstance(items, list):
        return []
    return [i.get("name") for i in items if isinstance(i, dict)]


def details(event_type: str | None, media: dict[str, Any]) -> dict[str, Any]:
    qoe = media.get("qoeDataDetails")
    if qoe and isinstance(qoe, dict) and "bitrate" in qoe:
        return {**_details(event_type, media), v.BITRATE: qoe["bitrate"]}
    return _details(event_type, media)


def _details(event_type: str | None, media: dict[str, Any]) -> dict[str, Any]:
    found = DETAILS.get(event_type or "")
    if found is not None:
        obj = media.get(found[0])
        if not isinstance(obj, dict):
            return NO_DETAILS
        return {field: obj[key] for key, field in found[1].items() if key in obj}
    if event_type == v.STATES_UPDATE:
        return {v.STATES_STARTED: _names(media.get("statesStart")),
                v.STATES_ENDED: _names(media.get("statesEnd"))}
    return NO_DETAILS


def _media(event: dict[str, Any]) -> dict[str, Any]:
    """An event's `mediaCollection` when it is an object, else {} (the schema says what is wrong)."""
    media = event.get("mediaCollection")
    return media if isinstance(media, dict) else {}


def _read(event_type: str | None, timestamp: Any, media: dict[str, Any]) -> tuple[int | None, float | None, dict[str, Any]]:
    """(ts, playhead, details) of one event: a body's `xdm` or an item of a downloaded batch."""
    ts, _ = timestamp_ms(timestamp)
    return ts, seconds(media.get("playhead")), details(event_type, media)


def new_session_id(answer: bytes | None) -> str | None:
    """The sessionId of the answer's `media-analytics:new-session` handle, if it has one."""
    if not answer:
        return None
    try:
        doc = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return None
    handles = doc.get("handle") if isinstance(doc, dict) else None
    for handle in handles if isinstance(handles, list) else ():
        if isinstance(handle, dict) and handle.get("type") == NEW_SESSION:
            payload = handle.get("payload")
            if isinstance(payload, list) and payload and isinstance(payload[0], dict):
                sid = payload[0].get("sessionId")
                return sid if isinstance(sid, str) and sid else None
    return None


class MediaEdge(Protocol):
    name = "media-edge"
    label = "Media Edge API"
    short = "Edge"
    markers = ("/va/v1/", "/interact")

    def route(self, path: str) -> Route | None:
        if "/va/v1/" in path:
            m = _VA.search(path)
            if m is None:
                return None
            action = m.group(1)
            kind = {v.SESSION_START: Kind.START, DOWNLOADED: Kind.DOWNLOADED}.get(action, Kind.EVENT)
            return Route(self, kind, None, action)
        if "/interact" in path and _INTERACT.search(path):
            return Route(self, Kind.START)
        return None

    def entry(self, call: Call, route: Route, index: int, limit: int) -> Entry | None:
        interact = route.action is None
        try:
            body = parse_body(call.request_body, limit)
        except BodyError as exc:
            if interact:
                return None  # an unreadable interact cannot be told from the site's own traffic
            return Entry(index, call, None, None, None, None, body_error=str(exc))
        xdm = first_event(body)
        event_type = neutral_type(xdm.get("eventType"))
        if interact and event_type != v.SESSION_START:
            return None  # an interact for personalisation, a page view...: not media
        media = _media(xdm)
        ts, playhead, found = _read(event_type, xdm.get("timestamp"), media)
        sid = media.get("sessionID")
        return Entry(index, call, body, event_type, ts, playhead, found,
                     sid if isinstance(sid, str) and sid else None)

    def batch(self, call: Call, route: Route, limit: int) -> list[Entry] | None:
        if route.kind is not Kind.DOWNLOADED:
            return None
        try:
            body = parse_body(call.request_body, limit)
        except BodyError as exc:
            return [Entry(0, call, None, None, None, None, body_error=str(exc), part=0)]
        items = first_event(body).get("mediaDownloadedEvents")
        if not isinstance(items, list) or not items:
            return [Entry(0, call, body, None, None, None, part=0,
                          body_error="no events in xdm.mediaDownloadedEvents (an array starting with media.sessionStart)")]
        out = []
        for i, item in enumerate(items):
            item = item if isinstance(item, dict) else {}
            event_type = neutral_type(item.get("mediaEventType"))
            ts, playhead, found = _read(event_type, item.get("mediaEventTimestamp"), _media(item))
            out.append(Entry(i, call, body, event_type, ts, playhead, found, part=i))
        return out

    def start_sid(self, call: Call) -> str | None:
        return new_session_id(call.response_body) if call.status == 200 else None

    def start_rejected(self, call: Call) -> str | None:
        if call.status is None or (call.status == 200 and not call.response_body):
            return None  # the answer is not in the capture: linked by order
        if call.status == 200:
            return ("200 without a media-analytics:new-session handle (is Media Analytics enabled "
                    "on the datastream?)")
        return f"answered {call.status}"

    def start_answered(self, call: Call) -> bool:
        return call.status == 200

    def path(self, event_type: str | None, field: str, part: int | None = None) -> str | None:
        media = MEDIA if part is None else (*EVENT, "mediaDownloadedEvents", part, "mediaCollection")
        if field == v.TS:
            return json_path((*EVENT, "timestamp") if part is None else
                             (*EVENT, "mediaDownloadedEvents", part, "mediaEventTimestamp"))
        if field == v.PLAYHEAD:
            return json_path((*media, "playhead"))
        if field in (v.STATES_STARTED, v.STATES_ENDED):
            return json_path((*media, "statesStart" if field == v.STATES_STARTED else "statesEnd"))
        found = _KEYS.get(event_type or "")
        if found is None or field not in found[1]:
            return None
        return json_path((*media, found[0], found[1][field]))

    def media(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": params.get("name"), "name": params.get("friendlyName"),
                "contentType": params.get("contentType"), "length": params.get("length")}

    def start_metadata(self, entry: Entry) -> dict[str, Any]:
        event = first_event(entry.body) if entry.part is None else downloaded_item(entry)
        found = _media(event).get("sessionDetails")
        return dict(found) if isinstance(found, dict) else {}

    def documented_keys(self, details_object: str) -> frozenset[str]:
        """The keys `schemas/edge/defs.json` documents for a details object (sessionDetails...)."""
        defs = json.loads(resources.files("playhead.schemas").joinpath("edge/defs.json").read_text("utf-8"))
        return frozenset(defs["$defs"].get(details_object, {}).get("properties", ()))

    def checks(self):
        from .checks import MediaEdgeChecks  # noqa: PLC0415 - registers its rules on import

        return MediaEdgeChecks

    def load_schemas(self, extra_dirs: Sequence[Path] = ()) -> SchemaSet:
        return SchemaSet.load(extra_dirs, subfolder="edge", types=EVENT_TYPES, envelope_def="body")


MEDIA_EDGE = MediaEdge()
