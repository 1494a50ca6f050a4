"""Rules about silence: pings every 10 s, the 10-minute expiry, a playhead frozen for 30 minutes.

Gaps are measured in ts between consecutive timeline events; live, the wall clock also says
when a session has gone quiet, without waiting for its next call.
"""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..timeline import Family
from ..vocab import is_downloaded

FAMILY = "cadence"
R = Severity

PING_LATE = rule(
    "ping-late", R.WARNING, family=FAMILY,
    summary="While the session is open, a gap over 10 s + 2 s tolerance between consecutive events "
            "(downloaded content is exempt).",
    impact="Time spent between the events is under-counted; long gaps end the session.",
    fix="Send a ping every 10 s during content, pauses, buffering and ads (ads may ping every 1 s).",
    source="Media Collection API: ping cadence")
SESSION_EXPIRED = rule(
    "session-expired", R.ERROR, family=FAMILY,
    summary="A gap over 600 s between consecutive events: the backend closed the session.",
    impact="Every event after the gap is lost.",
    fix="Keep pinging every 10 s while the session is open, also when paused or in the background.",
    source="Media Collection API: session timeout")
PLAYHEAD_STALLED_EXPIRY = rule(
    "playhead-stalled-expiry", R.WARNING, family=FAMILY,
    summary="The playhead did not move for over 30 minutes while the session stayed open.",
    impact="The backend closes the session; what follows is lost or starts a new view.",
    fix="End the session after 30 minutes idle and start a new one with media.resume true.",
    source="Adobe Media SDK idle timeout (30 min)")


class CadenceChecks(Family):
    after_close = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.overdue_after: int | None = None  # entry index after which the wall clock reported a gap
        self.anchor: tuple[int, float] | None = None  # (ts, playhead) where the playhead last moved
        self.stall_reported = False

    def event(self, e: Entry) -> None:
        ctx = self.ctx
        if ctx.bad_ts or e.ts is None:
            return
        prev = ctx.prev_timed
        if prev is not None and ctx.prev_ts is not None and not ctx.state.closed:
            self._gap(prev, e, (e.ts - ctx.prev_ts) / 1000)
        self._stall(e, e.ts)

    def _gap(self, prev: Entry, e: Entry, gap: float) -> None:
        config = self.ctx.config
        if gap > config.expiry:
            self.ctx.emit(SESSION_EXPIRED, e,
                          f"gap {gap:.1f} s > {config.expiry:.0f} s after call {prev.index} ({prev.event_type}):"
                          " the backend closed the session")
        elif gap > config.ping_limit and self.overdue_after != prev.index and not is_downloaded(self.ctx.session.info):
            self.ctx.emit(PING_LATE, e,
                          f"gap {gap:.1f} s > {config.ping_limit:g} s after call {prev.index} ({prev.event_type})")

    def _stall(self, e: Entry, ts: int) -> None:
        playhead = e.playhead  # a finite float or None (the protocol adapters)
        if playhead is None:
            return
        if self.anchor is None or abs(playhead - self.anchor[1]) > 0.5:
            self.anchor = (ts, playhead)
            self.stall_reported = False
            return
        config = self.ctx.config
        # Adobe's SDK closes idle sessions itself at the 30-minute mark and may ping at that very
        # moment: one ping interval of grace keeps its own traffic clean.
        limit = config.stall + config.ping_limit
        stalled = (ts - self.anchor[0]) / 1000
        if (stalled > limit and not self.stall_reported and not self.ctx.state.closed
                and e.event_type not in ("sessionEnd", "sessionComplete")):
            self.stall_reported = True
            self.ctx.emit(PLAYHEAD_STALLED_EXPIRY, e,
                          f"playhead {playhead:g} unchanged for {stalled / 60:.1f} min > {config.stall / 60:.0f} min")

    def tick(self, now: float) -> None:
        session = self.ctx.session
        if self.ctx.state.closed or not session.entries or is_downloaded(session.info):
            return
        last = session.entries[-1]
        silent = now - session.last_seen
        if silent > self.ctx.config.ping_limit and self.overdue_after != last.index:
            self.overdue_after = last.index
            self.ctx.emit(PING_LATE, last,
                          f"no call for {silent:.1f} s > {self.ctx.config.ping_limit:g} s: ping overdue")
