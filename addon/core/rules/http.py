"""Rules about the HTTP exchange: what the backend answered and whether the client listened."""

from __future__ import annotations

from ..findings import Rule, Severity, rule
from ..model import Entry
from ..timeline import Family, Run
from ..vocab import SESSION_START

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
    summary="An events call was answered 4xx or 5xx (a 400 only when playhead sees no defect in the "
            "body to explain it; a 404/410 the client then ignored is dead-session-reused).",
    impact="The event was not recorded.",
    fix="400: fix the body; 404/410: the session is gone, start a new one; 5xx: retry later.",
    source="SPEC §3 (error answers); Media Edge API troubleshooting (429 with Retry-After, 4xx not "
           "to be retried)")
DEAD_SESSION_REUSED = rule(
    "dead-session-reused", R.ERROR, family=FAMILY,
    summary="Events keep going to a sid after it answered 404 or 410: one finding on the first 404/410 "
            "that counts the calls sent after it.",
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
    429: "rate limited: wait as Retry-After says, then retry",
}
DEAD = (404, 410)


def advice(status: int) -> str:
    if status in ADVICE:
        return ADVICE[status]
    return "server error: retry later" if status >= 500 else "the call was refused"


class HttpChecks(Family):
    """What the backend answered. A 400 is the body checks' to explain (they know whether the body
    shows why); a 404 or 410 and everything the client sends after it are one defect."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.dead: int | None = None  # the 404 or 410 the session answered
        self.said_dead = False
        self.after_dead = Run(ctx, self._dead)

    def arrive(self, e: Entry) -> None:
        if e.index == 0 and e.event_type == SESSION_START:
            return  # the start's answer decided whether there is a session at all (the tracker)
        status = e.call.status
        if self.dead is None and status in DEAD:
            self.dead = status
        if self.dead is not None:
            self.after_dead.add(e)
        elif status is not None and status > 400:
            self.ctx.emit(HTTP_ERROR, e, f"answered {status}: {advice(status)}")

    def _dead(self, first: Entry, count: int) -> tuple[Rule, str]:
        """The first 404/410 is an http-error; once the client goes on sending, the same finding
        becomes dead-session-reused and counts what it sent (a later run counts on its own)."""
        dead = self.dead
        if first.call.status == dead and count == 1 and not self.said_dead:
            return HTTP_ERROR, f"answered {dead}: {advice(dead or 404)}"
        if first.call.status == dead and not self.said_dead:
            more = count - 1
            return DEAD_SESSION_REUSED, (f"answered {dead}, then {more} more event{'' if more == 1 else 's'} "
                                         f"{'were' if more != 1 else 'was'} sent to it: all dropped; on {dead} "
                                         "start a new session")
        return DEAD_SESSION_REUSED, (f"{count} more event{'' if count == 1 else 's'} sent after the session "
                                     f"answered {dead}: all dropped")

    def _end_run(self) -> None:
        if self.after_dead.first is not None:
            self.said_dead = True
        self.after_dead.flush()

    def tick(self, now: float) -> None:
        run = self.after_dead
        if run.first is not None and now - run.seen > self.ctx.config.hold_seconds:
            self._end_run()

    def finish(self) -> None:
        self._end_run()
