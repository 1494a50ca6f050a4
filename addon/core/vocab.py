"""The engine's protocol-neutral vocabulary: event types and the detail fields rules may read.

Every protocol adapter (core/protocols) maps its wire format into these names, and the state
machine and the rule families read nothing else: a rule written once holds for every protocol.
The event type names are Adobe's own (the Media Collection API named them first, and the Media
Edge API's `media.<type>` uses the same words); the field names are the engine's, so no rule
names a wire key such as `media.ad.podPosition` or `advertisingDetails.podPosition`.
"""

from __future__ import annotations

from typing import Final

# -- event types ------------------------------------------------------------------------------
SESSION_START: Final = "sessionStart"
PLAY: Final = "play"
PING: Final = "ping"
BITRATE_CHANGE: Final = "bitrateChange"
BUFFER_START: Final = "bufferStart"
PAUSE_START: Final = "pauseStart"
AD_BREAK_START: Final = "adBreakStart"
AD_START: Final = "adStart"
AD_COMPLETE: Final = "adComplete"
AD_SKIP: Final = "adSkip"
AD_BREAK_COMPLETE: Final = "adBreakComplete"
CHAPTER_START: Final = "chapterStart"
CHAPTER_COMPLETE: Final = "chapterComplete"
CHAPTER_SKIP: Final = "chapterSkip"
ERROR: Final = "error"
SESSION_COMPLETE: Final = "sessionComplete"
SESSION_END: Final = "sessionEnd"
STATE_START: Final = "stateStart"
STATE_END: Final = "stateEnd"
STATES_UPDATE: Final = "statesUpdate"

CLOSERS: Final = frozenset({SESSION_COMPLETE, SESSION_END})

# -- detail fields (Entry.details keys) -------------------------------------------------------
# sessionStart
MEDIA_ID: Final = "media_id"  # the content id
MEDIA_NAME: Final = "media_name"  # the friendly name
CONTENT_TYPE: Final = "content_type"  # "vod", "live", "linear" ...
LENGTH: Final = "length"  # seconds; 86400 for live of unknown length
PLAYER_NAME: Final = "player_name"
CHANNEL: Final = "channel"
DOWNLOADED: Final = "downloaded"  # offline content (a bool as the wire carried it, or a string)
VISITOR_ID: Final = "visitor_id"  # Analytics' own visitor id
MARKETING_CLOUD_ID: Final = "marketing_cloud_id"  # the Experience Cloud (ECID) visitor id
# adBreakStart
POD_INDEX: Final = "pod_index"
POD_SECOND: Final = "pod_second"  # seconds into the content where the break plays
# adStart
AD_ID: Final = "ad_id"
AD_LENGTH: Final = "ad_length"
POD_POSITION: Final = "pod_position"
# chapterStart
CHAPTER_INDEX: Final = "chapter_index"
CHAPTER_OFFSET: Final = "chapter_offset"
CHAPTER_LENGTH: Final = "chapter_length"
# stateStart / stateEnd / statesUpdate: the names of the states started and ended
STATES_STARTED: Final = "states_started"
STATES_ENDED: Final = "states_ended"
# any event's quality data
BITRATE: Final = "bitrate"
# the event's own clock fields (for paths only: their values are Entry.ts and Entry.playhead)
TS: Final = "ts"
PLAYHEAD: Final = "playhead"

LIVE_TYPES: Final = frozenset({"live", "linear", "radio"})


def is_live(details: dict) -> bool:
    """Whether a session's start details describe live content (playhead = time of day)."""
    kind = details.get(CONTENT_TYPE)
    return isinstance(kind, str) and kind.lower() in LIVE_TYPES


def is_downloaded(details: dict) -> bool:
    value = details.get(DOWNLOADED)
    return value is True or (isinstance(value, str) and value.lower() == "true")
