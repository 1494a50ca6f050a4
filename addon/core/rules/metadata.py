"""Rules about what a session says it is: identifying metadata that holds a value, not a stand-in."""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..timeline import Family
from ..vocab import (CHANNEL, MARKETING_CLOUD_ID, MEDIA_ID, MEDIA_NAME, PLAYER_NAME, SESSION_START,
                     VISITOR_ID)

FAMILY = "metadata"
R = Severity

PLACEHOLDER_VALUE = rule(
    "placeholder-value", R.WARNING, family=FAMILY,
    summary="An identifying field of the sessionStart holds a placeholder instead of a value: \"N/A\", "
            "\"undefined\", \"null\", \"none\", \"unknown\", \"-\" or \"\" as the content id or name, "
            "channel, player name or visitor id.",
    impact="Every such session looks like the same content, channel or visitor in reports: views "
           "are merged under one row and unique visitors are undercounted.",
    fix="Fill the field from the player's real metadata; leave an optional field out rather than "
        "sending a stand-in.",
    source="Adobe media-analytics docs, Audio and video parameters (media.id 'Content ID', "
           "media.channel, media.playerName: required identifying strings) and Analytics visitor "
           "identification (visitor.marketingCloudUserId, analytics.visitorId); seen in a third-party "
           "production connector that sends 'N/A' (SPEC §5)")

FIELDS = {MEDIA_ID: "content id", MEDIA_NAME: "content name", CHANNEL: "channel",
          PLAYER_NAME: "player name", VISITOR_ID: "visitor id", MARKETING_CLOUD_ID: "Experience Cloud id"}
PLACEHOLDERS = frozenset({"n/a", "na", "undefined", "null", "none", "unknown", "-", ""})


class MetadataChecks(Family):
    events = frozenset({SESSION_START})

    def event(self, e: Entry) -> None:
        for field, what in FIELDS.items():
            value = e.details.get(field)
            if isinstance(value, str) and value.strip().lower() in PLACEHOLDERS:
                self.ctx.emit(PLACEHOLDER_VALUE, e, f"{what} is {value!r}: a placeholder, not a value",
                              field=field)
