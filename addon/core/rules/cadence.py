"""Rules about silence: pings every 10 s, the 10-minute expiry, a playhead frozen for 30 minutes.

Gaps are measured in ts between consecutive timeline events; live, the wall clock also says
when a session has gone quiet, without waiting for its next call.
"""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..timeline import Family
from ..vocab import PING, is_downloaded

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
PING_RATE = rule(
    "ping-rate", R.WARNING, family=FAMILY,
    summary="Main content pinged more often than every 5 s for 60 s or more (the ad interval left on "
            "after a break, or a timer per event).",
    impact="Inflates server calls (billed per call on some contracts) for no better measurement.",
    fix="Ping every 10 s in main content; the 1 s ad interval only between adStart and adComplete.",
    source="Adobe Media Collection API, Sending ping events (media-analytics "
           "help/implementation/media-collection-api/mc-api-impl/mc-api-sed-pings.md): every 10 s in "
           "content, every 1 s in ads; Adobe's Web SDK refuses a main ping interval under 10 s "
           "(alloy configValidators: mainPingInterval 10..50). Adobe's Web SDK itself may ping content "
           "at its ad interval after a break (reference/alloy-wire.md §3): a warning, never an error")
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
        self.last_ping: Entry | None = None  # the last content ping
        self.fast: tuple[Entry, int] | None = None  # a run of fast content pings: its first, how many
        self.fast_reported = False
        self.untimed = False  # a call with no usable ts arrived since the last event: a gap says nothing
        # Gaps over the ping limit wait for the backend's window of events: an event that arrives
        # later but is stamped inside the gap fills it (a late call is ts-out-of-order's finding).
        self.gaps: list[tuple[Entry, Entry, float, int]] = []  # (prev, e, gap s, applied count then)
        self.applied = 0
        self.latest: Entry | None = None  # the latest-stamped event so far: gaps run from it

    def event(self, e: Entry) -> None:
        ctx = self.ctx
        if e.ts is None:
            self.untimed = e.index > 0  # its body finding says why; the client did call here
            return
        if ctx.bad_ts:
            return
        self.applied += 1
        if self.gaps:
            self._settle(e.ts)
        prev, prev_ts = ctx.prev_timed, ctx.prev_ts
        latest = self.latest
        if latest is not None and latest.ts is not None and prev_ts is not None and latest.ts > prev_ts:
            prev, prev_ts = latest, latest.ts  # a call that arrived late fills no gap after it
        start = ctx.start_ts
        if (latest is None or latest.ts is None or e.ts > latest.ts) and (
                start is None or e.ts >= start or not ctx.early(e)):
            self.latest = e
        refused = ctx.refused
        if refused is not None and refused.ts is not None and prev_ts is not None and prev_ts < refused.ts <= e.ts:
            # The client did call then; the refusal is the http or body finding's, not a late ping.
            prev, prev_ts = refused, refused.ts
        if prev is not None and prev_ts is not None and not ctx.state.closed and not self.untimed:
            self._gap(prev, e, (e.ts - prev_ts) / 1000)
        self.untimed = False
        self._stall(e, e.ts)
        if e.event_type == PING and not self.fast_reported:
            self._rate(e, e.ts)

    def _gap(self, prev: Entry, e: Entry, gap: float) -> None:
        config = self.ctx.config
        if gap > config.expiry:
            self.ctx.emit(SESSION_EXPIRED, e,
                          f"gap {gap:.1f} s > {config.expiry:.0f} s after call {prev.index} ({prev.event_type}):"
                          " the backend closed the session")
        elif gap > config.ping_limit and not is_downloaded(self.ctx.session.info):
            self.gaps.append((prev, e, gap, self.applied))

    def _settle(self, ts: int | None) -> None:
        """Drop the pending gaps an event stamped `ts` falls in; say those the window closed on."""
        if ts is not None:
            self.gaps = [g for g in self.gaps if not (g[0].ts is not None and g[1].ts is not None
                                                      and g[0].ts < ts < g[1].ts)]
        config = self.ctx.config
        window, window_ms = config.reorder_events, config.reorder_ms
        while self.gaps and (ts is None or self.applied - self.gaps[0][3] >= window
                             or (self.gaps[0][1].ts is not None and ts - self.gaps[0][1].ts > window_ms)):
            prev, e, gap, _ = self.gaps.pop(0)
            if self.overdue_after != prev.index:  # the wall clock said it live already
                self.ctx.emit(PING_LATE, e, f"gap {gap:.1f} s > {self.ctx.config.ping_limit:g} s after call "
                              f"{prev.index} ({prev.event_type})")

    def finish(self) -> None:
        self._settle(None)

    def _rate(self, e: Entry, ts: int) -> None:
        """Content pings closer than 5 s, run after run; a ping inside a break ends the run."""
        state = self.ctx.state
        if state.brk is not None or state.closed:
            self.last_ping, self.fast = None, None
            return
        config = self.ctx.config
        last, self.last_ping = self.last_ping, e
        if last is None or last.ts is None or ts - last.ts >= config.fast_ping * 1000:
            self.fast = None
            return
        first, count = self.fast if self.fast is not None else (last, 1)
        self.fast = (first, count + 1)
        assert first.ts is not None
        span = (ts - first.ts) / 1000
        if span >= config.fast_ping_for:
            self.fast_reported = True
            self.ctx.emit(PING_RATE, first, f"content pinged {count + 1} times in {span:.0f} s from call "
                          f"{first.index} on (every {span / count:.1f} s); Adobe asks for 10 s")

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
        if self.gaps and now - self.ctx.session.last_seen > 1.0:
            self._settle(None)  # live: nothing more is coming to fill them
        session = self.ctx.session
        if self.ctx.state.closed or not session.entries or is_downloaded(session.info):
            return
        last = session.entries[-1]
        silent = now - session.last_seen
        if silent > self.ctx.config.ping_limit and self.overdue_after != last.index:
            self.overdue_after = last.index
            self.ctx.emit(PING_LATE, last,
                          f"no call for {silent:.1f} s > {self.ctx.config.ping_limit:g} s: ping overdue")
