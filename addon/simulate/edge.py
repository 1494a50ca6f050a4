"""A scenario's steps as the Media Edge API carries them (SPEC §3.2), so every scenario can be
played over either protocol and the engine is seen to judge both alike.

The steps are written with the Media Collection API's params (the simulator's first language);
each becomes `POST {base}/ee/va/v1/{action}?configId=…` with one XDM event: `media.<type>`, an ISO
8601 timestamp, an integer playhead and the details object the OpenAPI file names. Player states
travel as statesUpdate (Media Edge has no stateStart/stateEnd), custom metadata as {name, value}
pairs; the Analytics and visitor params have no place in the body (the datastream holds them).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .scenarios import Step

CONFIG_ID = "00000000-playhead-demo-datastream"
BASE_PATH = "/ee/va/v1/"

# Media Collection param -> (Media Edge details object, key), from reference/media-edge.md §8.
_SESSION = {
    "media.id": "name", "media.name": "friendlyName", "media.contentType": "contentType",
    "media.length": "length", "media.playerName": "playerName", "media.channel": "channel",
    "media.streamType": "streamType", "media.resume": "hasResume", "media.downloaded": "isDownloaded",
    "media.sdkVersion": "appVersion", "media.show": "show", "media.season": "season",
    "media.episode": "episode", "media.assetId": "assetID", "media.genre": "genre",
    "media.firstAirDate": "firstAirDate", "media.firstDigitalDate": "firstDigitalDate",
    "media.rating": "rating", "media.originator": "originator", "media.network": "network",
    "media.showType": "showType", "media.adLoad": "adLoad", "media.pass.mvpd": "mvpd",
    "media.pass.auth": "authorized", "media.dayPart": "dayPart", "media.feed": "feed",
    "media.streamFormat": "streamFormat",
}
_POD = {"media.ad.podIndex": "index", "media.ad.podSecond": "offset", "media.ad.podFriendlyName": "friendlyName"}
_AD = {"media.ad.id": "name", "media.ad.name": "friendlyName", "media.ad.length": "length",
       "media.ad.podPosition": "podPosition", "media.ad.playerName": "playerName",
       "media.ad.advertiser": "advertiser", "media.ad.campaignId": "campaignID",
       "media.ad.creativeId": "creativeID", "media.ad.siteId": "siteID",
       "media.ad.creativeURL": "creativeURL", "media.ad.placementId": "placementID"}
_CHAPTER = {"media.chapter.index": "index", "media.chapter.offset": "offset",
            "media.chapter.length": "length", "media.chapter.friendlyName": "friendlyName"}
DETAILS = {"sessionStart": ("sessionDetails", _SESSION), "adBreakStart": ("advertisingPodDetails", _POD),
           "adStart": ("advertisingDetails", _AD), "chapterStart": ("chapterDetails", _CHAPTER)}
_INTEGERS = {"length", "index", "offset", "podPosition"}  # integers in the OpenAPI file
_QOE = {"media.qoe.bitrate": "bitrate", "media.qoe.droppedFrames": "droppedFrames",
        "media.qoe.framesPerSecond": "framesPerSecond", "media.qoe.timeToStart": "timeToStart"}


def iso(ts: int) -> str:
    """Epoch ms as Adobe's Web SDK writes xdm.timestamp: UTC with milliseconds and a Z."""
    moment = datetime.fromtimestamp(ts / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts % 1000:03d}Z"


def action(step: Step) -> str:
    """The path's action: the event type, but statesUpdate for a single state's start or end."""
    if step.edge_action is not None:
        return step.edge_action
    return "statesUpdate" if step.event_type in ("stateStart", "stateEnd") else step.event_type


def edge_body(step: Step, ts: int, playhead: float | int, sid: str | None) -> dict[str, Any]:
    kind = "statesUpdate" if step.event_type in ("stateStart", "stateEnd") else step.event_type
    media: dict[str, Any] = {"playhead": round(playhead)}
    if kind != "sessionStart" and sid is not None:
        media["sessionID"] = sid
    params = step.params or {}
    if kind in DETAILS:
        name, keys = DETAILS[kind]
        media[name] = {keys[k]: (round(v) if keys[k] in _INTEGERS and isinstance(v, (int, float))
                                 and not isinstance(v, bool) else v)
                       for k, v in params.items() if k in keys}
    elif step.event_type == "stateStart":
        media["statesStart"] = [{"name": params.get("media.state.name")}]
    elif step.event_type == "stateEnd":
        media["statesEnd"] = [{"name": params.get("media.state.name")}]
    elif kind == "statesUpdate":
        for key in ("statesStart", "statesEnd"):
            if key in params:
                media[key] = [{"name": i.get("media.state.name")} for i in params[key] if isinstance(i, dict)]
    elif kind == "error":
        media["errorDetails"] = {"name": str(params.get("media.errorId", "playback-error")),
                                 "source": params.get("media.errorSource", "player")}
    qoe = {_QOE.get(k, k): v for k, v in (step.qoe or {}).items()
           if k not in ("media.qoe.errorID", "media.qoe.errorSource")}
    if qoe or kind == "bitrateChange":
        media["qoeDataDetails"] = qoe
    if step.custom:
        media["customMetadata"] = [{"name": k, "value": v} for k, v in step.custom.items()]
    return {"events": [{"xdm": {"eventType": "media." + kind, "timestamp": iso(ts),
                                "mediaCollection": media}}]}


def edge_path(step: Step) -> str:
    return f"{BASE_PATH}{action(step)}?configId={CONFIG_ID}"


def new_session_answer(sid: str) -> bytes:
    """The 200 body of a sessionStart, as the Edge Network (and playhead's sink) writes it."""
    return ('{"requestId":"00000000-0000-4000-8000-000000000000","handle":[{"type":'
            f'"media-analytics:new-session","payload":[{{"sessionId":"{sid}"}}],"eventIndex":0}}]}}').encode()
