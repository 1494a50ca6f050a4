"""Rules about timestamps: order of arrival, equal stamps on bookends, the device clock."""

from __future__ import annotations

from collections import deque

from ..findings import Rule, Severity, rule
from ..model import Entry
from ..timeline import Family, Run
from ..vocab import TS

FAMILY = "ordering"
R = Severity

TS_OUT_OF_ORDER = rule(
    "ts-out-of-order", (R.ERROR, R.WARNING), family=FAMILY,
    summary="An event's ts is lower than an earlier-arriving event's: error beyond the backend's "
            "reorder window (5 s or 10 events), warning within it.",
    impact="Beyond the window the backend processes events in the wrong order and miscounts.",
    fix="Send events in the order they happen, stamped when they happen; queue, don't parallelise.",
    source="SPEC §4 (the backend's reorder window); events stamped before their sessionStart are "
           "events-before-start's, not this rule's")
TS_DUPLICATE = rule(
    "ts-duplicate", (R.WARNING, R.INFO), family=FAMILY,
    summary="Two consecutive events share a ts: warning where their order matters (bookends such as "
            "adComplete/adBreakComplete), info otherwise.",
    impact="With equal ts the backend cannot tell the order; bookends may be applied in the wrong order.",
    fix="Stamp each event when it happens; if two bookends are simultaneous, send them in order.",
    source="SPEC §4, §5")
EVENTS_BEFORE_START = rule(
    "events-before-start", (R.WARNING, R.ERROR), family=FAMILY,
    summary="Events of a session stamped 1 s or more before its sessionStart (a player that holds the "
            "sessions call back, then replays what it queued): one finding per session with the count "
            "and the span, a warning up to 5 s, an error beyond.",
    impact="The backend reorders only within 5 s and never around sessionStart: beyond that the "
           "replayed events (often the pre-roll) are applied out of place or dropped.",
    fix="Start the session (sessionStart) when playback is requested and send each event as it "
        "happens; if calls must be queued, stamp sessionStart first.",
    source="SPEC §4/§5 (reorder window of 5 s or 10 events); Media Collection API: 'events are "
           "processed in the order of their timestamps within a session'. Under 1 s there is no "
           "finding: Adobe's Web SDK stamps sessionStart when it sends it, 20-80 ms after the events "
           "queued behind it (reference/alloy-wire.md §3, SPEC §3.2)")
CLOCK_SKEW = rule(
    "clock-skew", R.WARNING, family=FAMILY,
    summary="ts differs from the time the proxy saw the call by over 5 minutes (device clock wrong).",
    impact="Reports put the views at the wrong time of day or on the wrong day.",
    fix="Fix the device clock, or stamp ts from a synchronised clock.",
    source="SPEC §5")

# sessionStart is not here: it has its own endpoint and always comes first.
BOOKENDS = {"adBreakStart", "adBreakComplete", "adStart", "adComplete", "adSkip",
            "chapterStart", "chapterComplete", "chapterSkip", "sessionComplete", "sessionEnd"}


class OrderingChecks(Family):
    after_close = True

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.recent: deque[tuple[int, int]] = deque()  # (ts, index) of the last N arrivals
        self.old_max: tuple[int, int] | None = None  # highest (ts, index) older than the window
        self.top: tuple[int, int] | None = None  # highest (ts, index) of all: recent and older
        self.skew_reported = False
        self.backlog: list[Entry] = []  # events stamped before the start, until they are reported
        self.earliest: int | None = None  # the backlog's lowest ts
        self.backlog_reported = False
        # Events that arrived after one overtaking call and are stamped before it: one finding,
        # on the first of them, counting them all (one early call, not one defect per later one).
        self.behind = Run(ctx, self._say_behind)
        self.behind_top: tuple[int, int] | None = None  # the call they are behind
        self.behind_most = 0.0  # seconds, the furthest behind
        self.behind_first = 0.0  # seconds, the first one's
        self.behind_beyond = False

    def arrive(self, e: Entry) -> None:
        if e.ts is None or self.ctx.bad_ts:
            return
        self._order(e, e.ts)
        self._skew(e, e.ts)
        arrival = (e.ts, e.index)
        self.recent.append(arrival)
        if self.top is None or arrival > self.top:
            self.top = arrival
        if len(self.recent) > self.ctx.config.reorder_events:
            old = self.recent.popleft()
            if self.old_max is None or old[0] > self.old_max[0]:
                self.old_max = old

    def _order(self, e: Entry, ts: int) -> None:
        start = self.ctx.start_ts
        if start is not None and ts < start and e.index > 0:
            if self.ctx.early(e) and not self.backlog_reported:  # one finding for the whole backlog
                self.backlog.append(e)
                self.earliest = ts if self.earliest is None else min(self.earliest, ts)
            return  # under 1 s: the Web SDK's re-stamped sessionStart, no defect
        if self.backlog:
            self._report_backlog()
        top = self.top
        if top is None or ts >= top[0]:
            return
        behind = (top[0] - ts) / 1000
        beyond = (self.old_max is not None and ts < self.old_max[0]) or \
            top[0] - ts > self.ctx.config.reorder_ms
        if self.behind_top != top:
            self.behind.flush()
            self.behind_top, self.behind_most, self.behind_first, self.behind_beyond = top, 0.0, behind, False
        self.behind_most = max(self.behind_most, behind)
        self.behind_beyond |= beyond
        self.behind.add(e)

    def _say_behind(self, first: Entry, count: int) -> tuple[Rule, str, Severity]:
        assert self.behind_top is not None
        where = "beyond" if self.behind_beyond else "within"
        more = (f"; {count} events arrived so, up to {self.behind_most:.3f} s behind it" if count > 1 else "")
        return (TS_OUT_OF_ORDER, f"ts is {self.behind_first:.3f} s before call {self.behind_top[1]}'s, which "
                f"arrived earlier ({where} the backend's reorder window){more}",
                Severity.ERROR if self.behind_beyond else Severity.WARNING)

    def tick(self, now: float) -> None:
        self.behind.tick(now)

    def _report_backlog(self) -> None:
        if self.backlog_reported or not self.backlog:
            return
        self.backlog_reported = True
        first, count = self.backlog[0], len(self.backlog)
        start = self.ctx.start_ts
        assert start is not None and self.earliest is not None
        span = (start - self.earliest) / 1000
        severity = Severity.ERROR if span * 1000 > self.ctx.config.reorder_ms else Severity.WARNING
        self.ctx.emit(EVENTS_BEFORE_START, first,
                      f"{count} event{'' if count == 1 else 's'} from call {first.index} on stamped up to "
                      f"{span:.1f} s before their sessionStart (replayed after it)", severity=severity, field=TS)
        self.backlog = []

    def finish(self) -> None:
        self.behind.flush()
        self._report_backlog()

    def _skew(self, e: Entry, ts: int) -> None:
        seen = e.call.time
        if self.skew_reported or seen <= 0 or e.part is not None:
            return  # a downloaded batch is sent long after its events happened
        skew = ts / 1000 - seen
        if abs(skew) > self.ctx.config.clock_skew:
            self.skew_reported = True
            side = "ahead of" if skew > 0 else "behind"
            self.ctx.emit(CLOCK_SKEW, e, f"ts is {abs(skew):.0f} s {side} the time the call was seen;"
                          " reported once per session")

    def event(self, e: Entry) -> None:
        prev = self.ctx.prev
        if prev is None or e.ts is None or prev.ts != e.ts or self.ctx.bad_ts:
            return
        if prev.event_type == "sessionStart":
            return  # it has its own endpoint and always comes first: no order to confuse
        matters = prev.event_type in BOOKENDS and e.event_type in BOOKENDS and prev.event_type != e.event_type
        self.ctx.emit(TS_DUPLICATE, e, f"same ts as call {prev.index} ({prev.event_type})"
                      + ("; their order matters" if matters else ""),
                      severity=Severity.WARNING if matters else Severity.INFO)
