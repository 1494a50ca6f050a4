"""Rules about player states (fullscreen, mute, closedCaptioning ...)."""

from __future__ import annotations

from ..findings import Severity, rule
from ..model import Entry
from ..timeline import Family
from ..vocab import STATE_END, STATE_START, STATES_ENDED, STATES_STARTED, STATES_UPDATE

FAMILY = "states"
R = Severity

STATE_NOT_STARTED = rule(
    "state-not-started", R.WARNING, family=FAMILY,
    summary="stateEnd (or statesEnd) for a state that is not active.",
    impact="The end is ignored; the state's time is not what the player meant.",
    fix="Send stateStart before stateEnd for each player state.",
    source="Media Collection API: player state tracking")
STATE_ALREADY_ACTIVE = rule(
    "state-already-active", R.WARNING, family=FAMILY,
    summary="stateStart for a state that is already active.",
    impact="The second start is ignored; the state's time is counted from the first.",
    fix="Send stateEnd before starting the same state again.",
    source="Media Collection API: player state tracking")
STATE_LIMIT = rule(
    "state-limit", R.WARNING, family=FAMILY,
    summary="More than 10 distinct player states in one session.",
    impact="The backend keeps 10 states per session and discards the rest.",
    fix="Track at most 10 distinct states per session.",
    source="Media Collection API: player state tracking (10 states per session)")


class StateChecks(Family):
    events = frozenset({STATE_START, STATE_END, STATES_UPDATE})

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.limit_reported = False

    def event(self, e: Entry) -> None:
        starts = e.details.get(STATES_STARTED, ())
        ends = e.details.get(STATES_ENDED, ())
        state = self.ctx.state
        active = set(state.active_states)
        seen = set(state.seen_states)
        for name in starts:
            if not isinstance(name, str):
                continue
            if name in active:
                self.ctx.emit(STATE_ALREADY_ACTIVE, e, f"state {name!r} is already active", field=STATES_STARTED)
            active.add(name)
            seen.add(name)
        for name in ends:
            if not isinstance(name, str):
                continue
            if name not in active:
                self.ctx.emit(STATE_NOT_STARTED, e, f"state {name!r} ends but is not active", field=STATES_ENDED)
            active.discard(name)
        limit = self.ctx.config.state_limit
        if len(seen) > limit and not self.limit_reported:
            self.limit_reported = True
            self.ctx.emit(STATE_LIMIT, e, f"{len(seen)} distinct player states > {limit}; the rest are discarded")
