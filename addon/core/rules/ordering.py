"""Rules about timestamps: order of arrival, equal stamps on bookends, the device clock."""

from __future__ import annotations

from collections import deque

from ..findings import Severity, rule
from ..model import Entry
from ..timeline import Family

FAMILY = "ordering"
R = Severity

TS_OUT_OF_ORDER = rule(
    "ts-out-of-order", (R.ERROR, R.WARNING), family=FAMILY,
    summary="An event's ts is lower than an earlier-arriving event's: error beyond the backend's "
            "reorder window (5 s or 10 events), warning within it.",
    impact="Beyond the window the backend processes events in the wrong order and miscounts.",
    fix="Send events in the order they happen, stamped when they happen; queue, don't parallelise.",
    source="SPEC §4 (the backend's reorder window); events stamped under 1 s before their sessionStart "
           "are exempt: Adobe's Web SDK re-stamps sessionStart when it sends it (SPEC §3.2, alloy-wire.md §3)")
TS_DUPLICATE = rule(
    "ts-duplicate", (R.WARNING, R.INFO), family=FAMILY,
    summary="Two consecutive events share a ts: warning where their order matters (bookends such as "
            "adComplete/adBreakComplete), info otherwise.",
    impact="With equal ts the backend cannot tell the order; bookends may be applied in the wrong order.",
    fix="Stamp each event when it happens; if two bookends are simultaneous, send them in order.",
    source="SPEC §4, §5")
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
        top = self.top
        if top is None or ts >= top[0]:
            return
        if top[1] == 0 and top[0] - ts < self.ctx.config.start_restamp_ms:
            return  # only the sessionStart is later, by a re-stamp (Adobe's Web SDK does it)
        behind = (top[0] - ts) / 1000
        beyond = (self.old_max is not None and ts < self.old_max[0]) or \
            top[0] - ts > self.ctx.config.reorder_ms
        sev = Severity.ERROR if beyond else Severity.WARNING
        where = "beyond" if beyond else "within"
        self.ctx.emit(TS_OUT_OF_ORDER, e,
                      f"ts is {behind:.3f} s before call {top[1]}'s, which arrived earlier ({where} the"
                      " backend's reorder window)", severity=sev)

    def _skew(self, e: Entry, ts: int) -> None:
        seen = e.call.time
        if self.skew_reported or seen <= 0:
            return
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
