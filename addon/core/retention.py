"""Long runs: a cap on the calls the tracker keeps in memory (SPEC §9). The recording keeps all.

A live proxy left running for a day sees millions of calls; each retained call costs its bodies and
its parsed event. When the tracker holds more calls than `Config.max_calls`, a trim drops entries:

1. closed sessions (sessionComplete/sessionEnd seen) are summarised, oldest first: their calls go,
   the session keeps its counts, findings, spans, ping ticks, params and first/last ts; then the
   oldest rejected sessionStarts go (nothing more can happen to them either);
2. if that is not enough, the oldest calls of open sessions go, oldest by when they were seen
   across all open sessions.

Every session keeps its newest call whatever happens: the rules that speak at a tick or at the end
of the capture (ping overdue, not closed, break still open) attach their finding to it. Everything
else the rules remember lives in their own state in the Timeline, never in the dropped entries.
Findings keep their call index; `Session.entry(i)` is None for a dropped call and `Session.dropped`
says how many went.

Cost: a trim goes down to 90 % of the cap, so the next one waits for a tenth of the cap to arrive;
its work (one pass over the sessions, then the calls it drops) is shared by those calls.

Sessions are capped too, because each one kept in full costs its rule state whatever its calls
(~9 KB for a one-call session): made-up sids from any client grew the proxy by ~10 KB each, past
any `--max-calls`. At most `session_cap` sessions (a twentieth of the call cap, at least 100:
10,000 for the live default) are kept in full. Past it, sessions are summarised, a tenth of the
cap at a time: closed ones first, then those silent past the backend's expiry (600 s: the backend
has closed them), then the least recently seen. Summarising finishes the session as the end of a
capture would (its open questions are answered now: `session-not-closed` and the like), then
drops its rule state and every call it still holds, and keeps a small record: sid, counts,
findings, spans, ping ticks, first/last ts and its start's metadata. A call that still comes for a
summarised session is counted in it (and recorded, with `--record`) but checked no more:
`unchecked` says how many.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter

TYPE_CHECKING = False  # the CLI imports this module for its default: no `typing` at start-up
if TYPE_CHECKING:
    from collections.abc import Iterator

    from .model import Session
    from .timeline import Timeline
    from .tracker import Tracker

DEFAULT_LIVE_CAP = 200_000  # calls: the proxy, the dashboard and the mitmproxy addon; `check` keeps all
SESSIONS_PER_CALL_CAP = 20  # the sessions kept in full: a twentieth of the call cap ...
MIN_SESSION_CAP = 100  # ... and never fewer than this

# A closing event that arrived may still wait in the reorder window (offline, until the capture
# ends): the session counts as closed for the cap as soon as it is seen.
_CLOSING = frozenset({"sessionComplete", "sessionEnd"})


class Retention:
    """The cap and what it has dropped so far; `trim` runs under the tracker's lock."""

    def __init__(self, cap: int | None) -> None:
        if cap is not None and cap < 1:
            raise ValueError(f"max_calls must be at least 1, not {cap}")
        self.cap = cap
        self.batch = max(1, cap // 10) if cap else 0
        self.dropped = 0  # calls dropped from memory: sessions' and rejected sessionStarts'
        # The tracker trims when its call count passes this: one comparison per call.
        self.trim_at: float = cap if cap is not None else float("inf")
        self.session_cap = max(MIN_SESSION_CAP, cap // SESSIONS_PER_CALL_CAP) if cap else None
        self.summarised = 0  # sessions summarised: their rule state dropped
        self.unchecked = 0  # calls that came for a summarised session: counted, not checked

    def trim(self, tracker: Tracker) -> None:
        assert self.cap is not None
        need = tracker.calls - self.dropped - (self.cap - self.batch)
        open_sessions = []
        for session in tracker.sessions.values():
            if len(session.entries) <= 1:
                continue
            if session.closed_by is None and session.entries[-1].event_type not in _CLOSING:
                open_sessions.append(session)
            elif need > 0:
                need -= self._drop(session, len(session.entries) - 1)
        if need > 0 and tracker.orphans:  # rejected sessionStarts: nothing more can happen to them
            k = min(need, len(tracker.orphans))
            del tracker.orphans[:k]
            self.dropped += k
            need -= k
        if need > 0:
            self._drop_oldest(open_sessions, need)
        # Held calls (a sid not linked yet) cannot go: when nothing more could, wait a batch.
        self.trim_at = max(self.cap + self.dropped, tracker.calls + self.batch)

    def _drop(self, session: Session, count: int) -> int:
        del session.entries[:count]
        session.dropped += count
        self.dropped += count
        return count

    def _drop_oldest(self, sessions: list[Session], need: int) -> None:
        """Drop the `need` calls seen first across `sessions`, each keeping its newest call."""
        def droppable(session: Session) -> Iterator[tuple[float, str]]:
            older = itertools.islice(session.entries, len(session.entries) - 1)
            return ((e.call.time, session.sid) for e in older)

        oldest = itertools.islice(heapq.merge(*map(droppable, sessions)), need)
        by_sid = {s.sid: s for s in sessions}
        for sid, count in Counter(sid for _, sid in oldest).items():
            self._drop(by_sid[sid], count)

    # -- sessions -----------------------------------------------------------------------------

    def over_session_cap(self, tracker: Tracker) -> bool:
        return self.session_cap is not None and len(tracker._timelines) > self.session_cap  # noqa: SLF001

    def summarise_sessions(self, tracker: Tracker, keep: Session, now: float) -> None:
        """Summarise sessions down to 90 % of the session cap; never `keep` (just opened)."""
        assert self.session_cap is not None
        timelines = tracker._timelines  # noqa: SLF001 - the tracker's own: retention is its helper
        need = len(timelines) - (self.session_cap - max(1, self.session_cap // 10))
        expiry = tracker.config.expiry

        def order(t: Timeline) -> tuple[int, float]:
            s = t.session
            closed = s.closed_by is not None or (bool(s.entries) and s.entries[-1].event_type in _CLOSING)
            return (0 if closed else 1 if now - s.last_seen > expiry else 2), s.last_seen

        victims = heapq.nsmallest(need, (t for t in timelines.values() if t.session is not keep), key=order)
        for timeline in victims:
            self._summarise(tracker, timeline)

    def _summarise(self, tracker: Tracker, timeline: Timeline) -> None:
        session = timeline.session
        timeline.finish()  # what the end of the capture would say about it, said now
        tracker._update.touch(session)  # noqa: SLF001
        del tracker._timelines[session.sid]  # noqa: SLF001
        self._drop(session, len(session.entries))
        self.summarised += 1

    def late_call(self, session: Session, time: float) -> None:
        """A call for a summarised session: counted in it, not checked (its rule state is gone)."""
        session.dropped += 1
        session.last_seen = max(session.last_seen, time)
        self.dropped += 1
        self.unchecked += 1
