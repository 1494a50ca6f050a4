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

from .call import Call
from .config import Config
from .findings import Finding, Severity
from .model import Entry, Session
from .protocols import Kind, Protocol, Route
from .retention import Retention
from .rules import FAMILIES
from .rules.http import INTERNAL_ERROR, SESSION_LINK_INFERRED, SESSION_START_REJECTED, UNKNOWN_SESSION
from .schemas import SchemaSet
from .timeline import Context, Timeline
from .protocols.media_collection import MEDIA_COLLECTION
from .vocab import DOWNLOADED, SESSION_START


@dataclass(slots=True)
class Update:
    """What one feed/tick/finish changed: the sessions it touched and the findings it raised."""

    sessions: list[Session] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    revised: list[Finding] = field(default_factory=list)  # given before, now saying more (a Run's count)
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
    """Events of a sid not linked yet, in arrival order (their index is set when they join)."""

    protocol: Protocol
    entries: list[Entry]
    since: float


class Tracker:
    """`schemas`: the Media Collection API's (possibly tightened by a team's folders); every other
    protocol's built-in schemas are loaded when its first call arrives."""

    def __init__(self, schemas: SchemaSet | None = None, config: Config | None = None) -> None:
        self.schemas = schemas if schemas is not None else MEDIA_COLLECTION.default_schemas
        self.config = config or Config()
        self.sessions: dict[str, Session] = {}
        self.findings: list[Finding] = []
        self.orphans: list[Entry] = []  # sessionStarts that never became a session
        self.calls = 0
        self.retention = Retention(self.config.max_calls)
        self._timelines: dict[str, Timeline] = {}
        # Starts whose answer the capture did not keep, per protocol: linked by order.
        self._unlinked: dict[Protocol, deque[Entry]] = {}
        self._held: dict[str, _Held] = {}
        self._listeners: list[Callable[[Update], None]] = []
        self._update = Update()
        self._unlinked_names = itertools.count(1)
        self._downloaded_names = itertools.count(1)
        self.generation = 0  # how many times reset() forgot everything; readers that keep
        # positions into sessions or findings compare it to know theirs went stale
        # Live, the proxy thread feeds while the dashboard reads: readers hold this lock too.
        self.lock = threading.RLock()

    # -- the door -------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Update], None]) -> None:
        self._listeners.append(listener)

    def feed(self, call: Call) -> Update:
        """Take one captured call. Calls that are not media tracking are ignored."""
        route = call.endpoint
        if route is None:
            return Update()
        update = self._run(self._feed, call, route)
        if self.calls > self.retention.trim_at:
            self._run(self.retention.trim, self)
        return update

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
        return self._run(lambda: self._orphan_context().emit(INTERNAL_ERROR, None, message[:300]))

    def reset(self) -> None:
        """Forget every session, finding and held call (the automation API's reset between
        tests). Lists and dicts are emptied in place, so readers holding them stay valid."""
        with self.lock:
            self.sessions.clear()
            self.findings.clear()
            self.orphans.clear()
            self.calls = 0
            self.retention = Retention(self.config.max_calls)
            self._timelines.clear()
            self._unlinked.clear()
            self._held.clear()
            self.generation += 1
        for listener in self._listeners:
            listener(Update())

    def _run(self, work: Callable, *args) -> Update:
        with self.lock:
            self._update = update = Update()
            try:
                work(*args)
            except Exception as exc:  # noqa: BLE001 - never lose a call to a bug in playhead
                call = args[0] if args and isinstance(args[0], Call) else None
                self._orphan_context().emit(
                    INTERNAL_ERROR, None,
                    f"tracker failed{' on ' + call.source if call and call.source else ''}: "
                    f"{type(exc).__name__}: {exc}"[:300])
        for listener in self._listeners:
            listener(update)
        return update

    # -- internals ------------------------------------------------------------------------

    def _sink(self, finding: Finding, session: Session | None, entry: Entry | None, *,
              revised: bool = False) -> None:
        if revised:
            self._update.revised.append(finding)
            self._update.touch(session)
            return
        self.findings.append(finding)
        self._update.findings.append(finding)
        if entry is not None:
            entry.findings.append(finding)
        if session is not None:
            session.add_finding(finding)
            self._update.touch(session)

    def _orphan_context(self, protocol: Protocol = MEDIA_COLLECTION) -> Context:
        return Context(None, self.config, protocol, self.schemas_for(protocol), self._sink)

    def schemas_for(self, protocol: Protocol) -> SchemaSet:
        return self.schemas if protocol is MEDIA_COLLECTION else protocol.default_schemas

    def _feed(self, call: Call, route: Route) -> None:
        protocol = route.protocol
        if route.kind is not Kind.EVENT:
            parts = protocol.batch(call, route, self.config.body_limit)
            if parts is not None:
                self.calls += 1
                self._downloaded(parts, protocol)
                return
        entry = protocol.entry(call, route, 0, self.config.body_limit)
        if entry is None:
            return  # the body shows it is not media tracking (an Edge interact for something else)
        self.calls += 1
        if route.kind is Kind.START:
            self._session_start(entry, protocol)
            return
        sid = route.sid or entry.sid
        if sid is None:  # the body names no session (unreadable, or no sessionID): judged alone
            self._orphan(entry, protocol, None)
        else:
            self._event(entry, sid, protocol)

    def _session_start(self, entry: Entry, protocol: Protocol) -> None:
        call = entry.call
        sid = protocol.start_sid(call)
        if sid:
            self._open(sid, entry, protocol)
            self._replay(sid)
        elif protocol.start_rejected(call) is None:
            self._unlinked.setdefault(protocol, deque()).append(entry)  # linked by order later
        else:
            self._reject(entry, protocol)

    def _orphan(self, entry: Entry, protocol: Protocol, message: str | None) -> None:
        """A call that belongs to no session: its body checks, and why, if it has a why (a 400
        whose body checks found the error already said it: one defect, one finding)."""
        ctx = self._orphan_context(protocol)
        protocol.checks()(ctx).arrive(entry)  # type: ignore[arg-type]
        explained = entry.call.status == 400 and any(f.severity is Severity.ERROR for f in entry.findings)
        if message is not None and not explained:
            ctx.emit(SESSION_START_REJECTED, entry, message)
        self.orphans.append(entry)

    def _reject(self, entry: Entry, protocol: Protocol) -> None:
        why = protocol.start_rejected(entry.call) or "no response was captured"
        self._orphan(entry, protocol, f"sessionStart {why}: no session exists")

    def _downloaded(self, parts: list[Entry], protocol: Protocol) -> None:
        """A whole offline session in one call: one session, its events in the batch's order."""
        first = parts[0]
        if first.body_error is not None and len(parts) == 1:
            self._orphan(first, protocol, None)  # the batch cannot be read: its body finding says why
            return
        sid = protocol.start_sid(first.call) or f"(downloaded {next(self._downloaded_names)})"
        start = first if first.event_type == SESSION_START else None
        self._open(sid, start, protocol, downloaded=True)
        for entry in parts if start is None else parts[1:]:
            self._add(sid, entry)

    def _open(self, sid: str, start: Entry | None, protocol: Protocol, *, downloaded: bool = False) -> Session:
        """Create the session (or complete one created before its start was seen)."""
        session = self.sessions.get(sid)
        if session is None:
            session = self.sessions[sid] = Session(sid, protocol=protocol.name)
            self._timelines[sid] = Timeline(session, self.config, protocol, self.schemas_for(protocol),
                                            self._sink, [protocol.checks(), *FAMILIES])
            if self.retention.over_session_cap(self):
                self.retention.summarise_sessions(self, session, start.call.time if start else 0.0)
        elif sid not in self._timelines:  # summarised by the session cap (core/retention.py)
            if start is not None:
                self.retention.late_call(session, start.call.time)
            return session
        if start is not None:
            if start.body is not None and start.event_type == SESSION_START:
                session.params = protocol.start_metadata(start)
                session.info = dict(start.details)
            if downloaded:  # as Adobe marks it (isDownloaded), whatever the start said
                session.info[DOWNLOADED] = True
            session.has_start = True
            start.index = session.calls
            self._timelines[sid].add(start)
        self._update.touch(session)
        return session

    def _event(self, entry: Entry, sid: str, protocol: Protocol) -> None:
        if sid in self.sessions:
            self._add(sid, entry)
            return
        unlinked = self._unlinked.get(protocol)
        if unlinked:
            start = unlinked.popleft()
            self._open(sid, start, protocol)
            self._timelines[sid].emit(
                SESSION_LINK_INFERRED, start,
                "the capture kept no answer naming this start's session: linked by order to the"
                " first unseen sid")
            self._replay(sid)
            self._add(sid, entry)
        else:
            held = self._held.setdefault(sid, _Held(protocol, [], entry.call.time))
            held.entries.append(entry)

    def _add(self, sid: str, entry: Entry) -> None:
        timeline = self._timelines.get(sid)
        if timeline is None:  # summarised by the session cap (core/retention.py)
            self.retention.late_call(self.sessions[sid], entry.call.time)
            return
        session = timeline.session
        entry.index = session.calls
        timeline.add(entry)
        self._update.touch(session)

    def _replay(self, sid: str) -> None:
        held = self._held.pop(sid, None)
        for entry in held.entries if held else ():
            self._add(sid, entry)

    def _release_unknown(self, sid: str) -> None:
        """Events whose sessionStart never came: the capture began mid-session."""
        held = self._held.pop(sid)
        self._open(sid, None, held.protocol)
        first, *rest = held.entries
        self._add(sid, first)
        self._timelines[sid].emit(
            UNKNOWN_SESSION, first, "events for a sid whose sessionStart is not in the capture")
        for entry in rest:
            self._add(sid, entry)

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
        for protocol, unlinked in self._unlinked.items():
            while unlinked:
                start = unlinked.popleft()
                if protocol.start_answered(start.call):
                    self._open(f"(unlinked {next(self._unlinked_names)})", start, protocol)
                else:
                    self._reject(start, protocol)
        for timeline in self._timelines.values():
            timeline.finish()
            self._update.touch(timeline.session)
