"""The session tracker: the one door through which every captured call enters the engine.

Readers, the proxy and the dashboard all feed `Tracker.feed(call)`; findings and session updates
come out to subscribers. A sessionStart is linked to its sid by the 201's Location; events of a
sid not yet linked are held and replayed, never dropped (clients queue events until the 201 and
flush them in a burst).
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .call import Call, Endpoint
from .config import Config
from .findings import Finding
from .model import Entry, Session
from .parse import BodyError, event_fields, mapping, parse_body
from .retention import Retention
from .rules import FAMILIES, BodyChecks
from .schemas import SchemaSet
from .timeline import Context, Timeline


@dataclass(slots=True)
class Update:
    """What one feed/tick/finish changed: the sessions it touched and the findings it raised."""

    sessions: list[Session] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set, repr=False)

    def touch(self, session: Session | None) -> None:
        sessions = self.sessions
        if session is None or (sessions and sessions[-1] is session):
            return  # the usual case: one call touches its one session several times
        if id(session) not in self._seen:
            self._seen.add(id(session))
            sessions.append(session)


@dataclass(slots=True)
class _Held:
    calls: list[Call]
    since: float


class Tracker:
    def __init__(self, schemas: SchemaSet | None = None, config: Config | None = None) -> None:
        self.schemas = schemas if schemas is not None else SchemaSet.load()
        self.config = config or Config()
        self.sessions: dict[str, Session] = {}
        self.findings: list[Finding] = []
        self.orphans: list[Entry] = []  # sessionStarts that never became a session
        self.calls = 0
        self.retention = Retention(self.config.max_calls)
        self._timelines: dict[str, Timeline] = {}
        self._unlinked: deque[Entry] = deque()  # 201s captured without response headers
        self._held: dict[str, _Held] = {}
        self._listeners: list[Callable[[Update], None]] = []
        self._update = Update()
        self._unlinked_names = itertools.count(1)
        # Live, the proxy thread feeds while the dashboard reads: readers hold this lock too.
        self.lock = threading.RLock()

    # -- the door -------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Update], None]) -> None:
        self._listeners.append(listener)

    def feed(self, call: Call) -> Update:
        """Take one captured call. Calls that are not Media Collection API calls are ignored."""
        endpoint = call.endpoint
        if endpoint is None:
            return Update()
        self.calls += 1
        if self.calls > self.retention.trim_at:
            self._run(self.retention.trim, self)
        return self._run(self._feed, call, endpoint)

    def feed_all(self, calls: Iterable[Call]) -> None:
        for call in calls:
            self.feed(call)

    def tick(self, now: float) -> Update:
        """Live: let wall-clock timers speak (ping overdue, silent sessions, held events)."""
        return self._run(self._tick, now)

    def finish(self) -> Update:
        """End of the capture: release what is held and close every open question."""
        return self._run(self._finish)

    def internal_error(self, message: str) -> Update:
        """A failure of playhead outside the tracker (a reader, the proxy): an `internal-error`
        finding like any other, so reports, subscribers and the dashboard all hear of it."""
        return self._run(lambda: self._orphan_context().emit("internal-error", None, message[:300]))

    def _run(self, work: Callable, *args) -> Update:
        with self.lock:
            self._update = update = Update()
            try:
                work(*args)
            except Exception as exc:  # noqa: BLE001 - never lose a call to a bug in playhead
                call = args[0] if args and isinstance(args[0], Call) else None
                self._orphan_context().emit(
                    "internal-error", None,
                    f"tracker failed{' on ' + call.source if call and call.source else ''}: "
                    f"{type(exc).__name__}: {exc}"[:300])
        for listener in self._listeners:
            listener(update)
        return update

    # -- internals ------------------------------------------------------------------------

    def _sink(self, finding: Finding, session: Session | None, entry: Entry | None) -> None:
        self.findings.append(finding)
        self._update.findings.append(finding)
        if entry is not None:
            entry.findings.append(finding)
        if session is not None:
            session.add_finding(finding)
            self._update.touch(session)

    def _orphan_context(self) -> Context:
        return Context(None, self.config, self.schemas, self._sink)

    def _entry(self, call: Call, index: int) -> Entry:
        try:
            event = parse_body(call.request_body, self.config.body_limit)
        except BodyError as exc:
            return Entry(index, call, None, None, None, None, body_error=str(exc))
        event_type, ts, playhead = event_fields(event)
        return Entry(index, call, event, event_type, ts, playhead)

    def _feed(self, call: Call, endpoint: tuple[Endpoint, str | None]) -> None:
        kind, sid = endpoint
        if kind is Endpoint.SESSIONS:
            self._session_start(call)
        else:
            assert sid is not None
            self._event(call, sid)

    def _session_start(self, call: Call) -> None:
        entry = self._entry(call, 0)
        sid = call.location_sid
        if call.status == 201 and sid:
            self._open(sid, entry)
            self._replay(sid)
        elif call.status is None or (call.status == 201 and call.response_headers is None):
            self._unlinked.append(entry)  # linked by order when an unseen sid shows up
        else:
            self._reject(entry)

    def _reject(self, entry: Entry) -> None:
        ctx = self._orphan_context()
        BodyChecks(ctx).arrive(entry)
        call = entry.call
        if call.status is None:
            why = "no response was captured"
        elif call.status == 201:
            why = "201 without a usable Location header"
        else:
            why = f"answered {call.status}"
        ctx.emit("session-start-rejected", entry, f"sessionStart {why}: no session exists")
        self.orphans.append(entry)

    def _open(self, sid: str, start: Entry | None) -> Session:
        """Create the session (or complete one created before its start was seen)."""
        session = self.sessions.get(sid)
        if session is None:
            session = self.sessions[sid] = Session(sid)
            self._timelines[sid] = Timeline(session, self.config, self.schemas, self._sink, FAMILIES)
            if self.retention.over_session_cap(self):
                self.retention.summarise_sessions(self, session, start.call.time if start else 0.0)
        elif sid not in self._timelines:  # summarised by the session cap (core/retention.py)
            if start is not None:
                self.retention.late_call(session, start.call.time)
            return session
        if start is not None:
            if start.event is not None and start.event_type == "sessionStart":
                session.params = dict(mapping(start.event, "params"))
            session.has_start = True
            start.index = session.calls
            self._timelines[sid].add(start)
        self._update.touch(session)
        return session

    def _event(self, call: Call, sid: str) -> None:
        if sid in self.sessions:
            self._add(sid, call)
        elif self._unlinked:
            start = self._unlinked.popleft()
            session = self._open(sid, start)
            Context(session, self.config, self.schemas, self._sink).emit(
                "session-link-inferred", start,
                "capture has no response headers: this sessionStart was linked by order to the"
                " first unseen sid")
            self._replay(sid)
            self._add(sid, call)
        else:
            held = self._held.setdefault(sid, _Held([], call.time))
            held.calls.append(call)

    def _add(self, sid: str, call: Call) -> None:
        timeline = self._timelines.get(sid)
        if timeline is None:  # summarised by the session cap (core/retention.py)
            self.retention.late_call(self.sessions[sid], call.time)
            return
        session = timeline.session
        timeline.add(self._entry(call, session.calls))
        self._update.touch(session)

    def _replay(self, sid: str) -> None:
        held = self._held.pop(sid, None)
        for call in held.calls if held else ():
            self._add(sid, call)

    def _release_unknown(self, sid: str) -> None:
        """Events whose sessionStart never came: the capture began mid-session."""
        held = self._held.pop(sid)
        session = self._open(sid, None)
        first = self._entry(held.calls[0], 0)
        self._timelines[sid].add(first)
        Context(session, self.config, self.schemas, self._sink).emit(
            "unknown-session", first, "events for a sid whose sessionStart is not in the capture")
        for call in held.calls[1:]:
            self._add(sid, call)

    def _tick(self, now: float) -> None:
        for sid in [s for s, h in self._held.items() if now - h.since > self.config.hold_seconds]:
            self._release_unknown(sid)
        for timeline in self._timelines.values():
            before = len(self._update.findings)
            timeline.tick(now)
            if len(self._update.findings) != before or timeline.session.state != timeline.state.label:
                self._update.touch(timeline.session)

    def _finish(self) -> None:
        for sid in list(self._held):
            self._release_unknown(sid)
        while self._unlinked:
            start = self._unlinked.popleft()
            if start.call.status == 201:
                self._open(f"(unlinked {next(self._unlinked_names)})", start)
            else:
                self._reject(start)
        for timeline in self._timelines.values():
            timeline.finish()
            self._update.touch(timeline.session)
