"""The Media Collection API (`/api/v1/sessions…`): Adobe's mobile Media SDK, custom TV, console and
set-top players (SPEC §3.1).

- A start is `POST …/api/v1/sessions` with one sessionStart event; `201 Created` names the sid in
  `Location` (`/api/v1/sessions/{sid}`, absolute or relative: the last path segment).
- Each event is `POST …/api/v1/sessions/{sid}/events`: the sid is in the path.
- A body is `{"playerTime": {"playhead", "ts"}, "eventType", "params", "qoeData", "customMetadata"}`;
  the event types are the engine's own names, `ts` is epoch ms and `playhead` seconds.
- Downloaded (offline) content is a whole session in one call, a JSON array of such events
  starting with sessionStart: `POST …/api/v1/downloaded`, or the deprecated same array POSTed to
  `…/api/v1/sessions` with `media.downloaded: true`, which Adobe's mobile SDKs still send.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ... import vocab as v
from ...call import Call, header, url_path
from ...model import NO_DETAILS, Entry
from ...parse import EXACT, BodyError, mapping, number, parse_body, seconds
from ...schemas import SchemaSet, json_path
from ..base import Kind, Protocol, Route

API_PATH = "/api/v1/"  # in every path of the API: the cheap first test
# /api/v1/sessions (start) or /api/v1/sessions/{sid}/events, at the end of the path.
_ROUTE = re.compile(r"/api/v1/sessions(?:/([^/?#]+)/events)?/?$")
_DOWNLOADED = re.compile(r"/api/v1/downloaded/?$")

# The wire's params for each neutral field, per event type (SPEC §3.1 required params).
PARAMS: dict[str, dict[str, str]] = {
    v.SESSION_START: {
        "media.id": v.MEDIA_ID, "media.name": v.MEDIA_NAME, "media.contentType": v.CONTENT_TYPE,
        "media.length": v.LENGTH, "media.playerName": v.PLAYER_NAME, "media.channel": v.CHANNEL,
        "media.downloaded": v.DOWNLOADED, "analytics.visitorId": v.VISITOR_ID,
        "visitor.marketingCloudUserId": v.MARKETING_CLOUD_ID,
    },
    v.AD_BREAK_START: {"media.ad.podIndex": v.POD_INDEX, "media.ad.podSecond": v.POD_SECOND},
    v.AD_START: {"media.ad.id": v.AD_ID, "media.ad.length": v.AD_LENGTH,
                 "media.ad.podPosition": v.POD_POSITION},
    v.CHAPTER_START: {"media.chapter.index": v.CHAPTER_INDEX, "media.chapter.offset": v.CHAPTER_OFFSET,
                      "media.chapter.length": v.CHAPTER_LENGTH},
}
_KEYS = {kind: {field: key for key, field in fields.items()} for kind, fields in PARAMS.items()}
STATE_NAME = "media.state.name"


def sid_from_location(location: str | None) -> str | None:
    """The session id is the last path segment of the 201's Location (absolute or relative)."""
    if not location:
        return None
    path = url_path(location.strip()).rstrip("/")
    if not re.search(r"/sessions/[^/]+$", path):
        return None
    return path.rsplit("/", 1)[-1] or None


def state_names(items: Any) -> list[Any]:
    """The `media.state.name`s of a statesUpdate list, ignoring items that are not objects."""
    if not isinstance(items, list):
        return []
    return [i.get(STATE_NAME) for i in items if isinstance(i, dict)]


def event_fields(event: dict[str, Any]) -> tuple[str | None, int | None, float | None, bool]:
    """(eventType, ts, playhead, ts_suspect) as far as they are usable; the schema reports the
    rest. `ts_suspect`: ts is a number, but not plausible epoch ms (ts-units says so)."""
    event_type = event.get("eventType")
    if not isinstance(event_type, str):
        event_type = None
    pt = event.get("playerTime")
    ts = playhead = None
    suspect = False
    if isinstance(pt, dict):
        t = pt.get("ts")
        if type(t) is int and -EXACT < t < EXACT:  # the usual epoch ms: nothing to check
            ts = t
        else:
            n = number(t)
            ts = int(n) if n is not None and abs(n) < 1e18 else None
            # Beyond ±1e18 the timeline leaves ts out, but it is still the wrong unit.
            suspect = n is not None or (type(t) is int and not isinstance(t, bool))
        if ts is not None:
            suspect = ts < 1e11 or ts > 1e14
        playhead = seconds(pt.get("playhead"))
    return event_type, ts, playhead, suspect


def details(event_type: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """The neutral details of one event's params (what the rules and the state machine read)."""
    if not params:
        return NO_DETAILS
    names = PARAMS.get(event_type or "")
    if names is not None:
        return {field: params[key] for key, field in names.items() if key in params}
    if event_type == v.STATES_UPDATE:
        return {v.STATES_STARTED: state_names(params.get("statesStart")),
                v.STATES_ENDED: state_names(params.get("statesEnd"))}
    if event_type == v.STATE_START and STATE_NAME in params:
        return {v.STATES_STARTED: [params[STATE_NAME]]}
    if event_type == v.STATE_END and STATE_NAME in params:
        return {v.STATES_ENDED: [params[STATE_NAME]]}
    return NO_DETAILS


def event_details(event_type: str | None, event: dict[str, Any]) -> dict[str, Any]:
    """The neutral details of one event body: its params', and the bitrate of its qoeData."""
    params = event.get("params")
    found = details(event_type, params) if params and isinstance(params, dict) else NO_DETAILS
    qoe = event.get("qoeData")
    if qoe and isinstance(qoe, dict) and "media.qoe.bitrate" in qoe:
        found = {**found, v.BITRATE: qoe["media.qoe.bitrate"]}
    return found


class MediaCollection(Protocol):
    name = "media-collection"
    label = "Media Collection API"
    short = "MC"
    markers = (API_PATH,)

    def route(self, path: str) -> Route | None:
        if API_PATH not in path:
            return None  # almost everything a proxy sees: no need to look closer
        m = _ROUTE.search(path)
        if m is None:
            return Route(self, Kind.DOWNLOADED) if _DOWNLOADED.search(path) else None
        sid = m.group(1)
        return Route(self, Kind.START) if sid is None else Route(self, Kind.EVENT, sid)

    def entry(self, call: Call, route: Route, index: int, limit: int) -> Entry:
        try:
            event = parse_body(call.request_body, limit)
        except BodyError as exc:
            return Entry(index, call, None, None, None, None, body_error=str(exc))
        event_type, ts, playhead, suspect = event_fields(event)
        found = event_details(event_type, event) if "params" in event or "qoeData" in event else NO_DETAILS
        return Entry(index, call, event, event_type, ts, playhead, found, route.sid, suspect)

    def batch(self, call: Call, route: Route, limit: int) -> list[Entry] | None:
        if route.kind is Kind.EVENT:
            return None
        body = call.request_body
        if route.kind is Kind.START and (not body or body.lstrip()[:1] != b"["):
            return None  # the usual sessionStart object
        try:
            events = parse_body(body, limit, batch=True)
        except BodyError as exc:
            return [Entry(0, call, None, None, None, None, body_error=str(exc), part=0)]
        if not isinstance(events, list) or not events:
            why = "an empty array" if isinstance(events, list) else "a JSON object, not an array of events"
            return [Entry(0, call, None, None, None, None, part=0,
                          body_error=f"a downloaded session is {why}")]
        out = []
        for i, event in enumerate(events):
            if not isinstance(event, dict):
                out.append(Entry(i, call, None, None, None, None, part=i,
                                 body_error=f"item {i} of the downloaded session is not an event object"))
                continue
            event_type, ts, playhead, suspect = event_fields(event)
            out.append(Entry(i, call, event, event_type, ts, playhead, event_details(event_type, event),
                             None, suspect, part=i))
        return out

    def start_sid(self, call: Call) -> str | None:
        if call.status != 201:
            return None
        return sid_from_location(header(call.response_headers, "location"))

    def start_rejected(self, call: Call) -> str | None:
        if call.status is None or (call.status == 201 and call.response_headers is None):
            return None  # the answer is not in the capture: linked by order
        if call.status == 201:
            return "201 without a usable Location header"
        return f"answered {call.status}"

    def start_answered(self, call: Call) -> bool:
        return call.status == 201

    def path(self, event_type: str | None, field: str, part: int | None = None) -> str | None:
        root: tuple[str | int, ...] = () if part is None else (part,)
        if field == v.TS:
            return json_path((*root, "playerTime", "ts"))
        if field == v.PLAYHEAD:
            return json_path((*root, "playerTime", "playhead"))
        if field in (v.STATES_STARTED, v.STATES_ENDED):
            if event_type == v.STATES_UPDATE:
                return json_path((*root, "params", "statesStart" if field == v.STATES_STARTED else "statesEnd"))
            return json_path((*root, "params", STATE_NAME))
        key = _KEYS.get(event_type or "", {}).get(field)
        return json_path((*root, "params", key)) if key else None

    def media(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": params.get("media.id"), "name": params.get("media.name"),
                "contentType": params.get("media.contentType"), "length": params.get("media.length")}

    def start_metadata(self, entry: Entry) -> dict[str, Any]:
        return dict(mapping(entry.body, "params"))

    def checks(self):
        from .checks import MediaCollectionChecks  # noqa: PLC0415 - registers its rules on import

        return MediaCollectionChecks

    def load_schemas(self, extra_dirs: Sequence[Path] = ()) -> SchemaSet:
        return SchemaSet.load(extra_dirs)


MEDIA_COLLECTION = MediaCollection()
