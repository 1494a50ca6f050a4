"""Rules about the HTTP exchange: what the backend answered and whether the client listened."""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..timeline import Family

FAMILY = "http"
R = Severity

SESSION_START_REJECTED = rule(
    "session-start-rejected", R.ERROR, family=FAMILY,
    summary="The sessions call got anything but 201, or a 201 without a usable Location header.",
    impact="No session exists: every event the client sends for it is lost.",
    fix="Fix the sessionStart body (see the 400 message) and read the sid from the 201's Location.",
    source="SPEC §3; Media Collection API sessions request")
HTTP_ERROR = rule(
    "http-error", R.ERROR, family=FAMILY,
    summary="An events call was answered 4xx or 5xx.",
    impact="The event was not recorded.",
    fix="400: fix the body; 404/410: the session is gone, start a new one; 5xx: retry later.",
    source="SPEC §3 (error answers)")
DEAD_SESSION_REUSED = rule(
    "dead-session-reused", R.ERROR, family=FAMILY,
    summary="Events keep going to a sid after it answered 404 or 410.",
    impact="Every one of them is dropped: the rest of the viewing is not measured.",
    fix="On 404 or 410, start a new session (sessionStart) and send the next events to the new sid.",
    source="SPEC §3: 404/410 mean the client must start a new session")
UNKNOWN_SESSION = rule(
    "unknown-session", R.INFO, family=FAMILY,
    summary="Events for a sid whose sessionStart is not in the capture (it began mid-session).",
    impact="None by itself; rules that need the sessionStart params (media.length...) are limited.",
    fix="Start capturing before the player starts the session to check it whole.",
    source="SPEC §4")
SESSION_LINK_INFERRED = rule(
    "session-link-inferred", R.INFO, family=FAMILY,
    summary="The capture recorded no response headers; the sessionStart was linked to the first unseen sid by order.",
    impact="None: a gap in the capture, not a defect of the client.",
    fix="Export captures with response headers to link sessions by their 201 Location.",
    source="SPEC §4")
INTERNAL_ERROR = rule(
    "internal-error", R.ERROR, family=FAMILY,
    summary="playhead itself failed on this call; the traffic went on untouched.",
    impact="This call was not fully checked.",
    fix="Report it to the playhead maintainers with the call (the recording keeps it).",
    source="SPEC §10")

ADVICE = {
    400: "the body was rejected: fix it",
    404: "the session is unknown: start a new session",
    410: "the session can no longer take events: start a new session",
}


def advice(status: int) -> str:
    if status in ADVICE:
        return ADVICE[status]
    return "server error: retry later" if status >= 500 else "the call was refused"


class HttpChecks(Family):
    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.dead: int | None = None
        self.reuse_reported = False

    def arrive(self, e: Entry) -> None:
        if e.index == 0 and e.event_type == "sessionStart" and e.call.status == 201:
            return
        status = e.call.status
        if self.dead is not None and not self.reuse_reported:
            self.reuse_reported = True
            self.ctx.emit(DEAD_SESSION_REUSED, e,
                          f"{e.event_type or 'event'} sent after the session answered {self.dead}; "
                          "it and every later event are dropped")
        if status is not None and status >= 400:
            self.ctx.emit(HTTP_ERROR, e, f"answered {status}: {advice(status)}")
            if status in (404, 410) and self.dead is None:
                self.dead = status
