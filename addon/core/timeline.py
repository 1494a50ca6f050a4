"""One session's run: arrival checks, the reorder window, then rules and the state machine.

Each rule family is a small class instantiated per session, so its memory (what it already
reported, where a pause began) lives beside the rules that need it. A family has up to four
hooks: `arrive` (arrival order, every call), `event` (ts order, calls the backend accepted,
with the state as it was before the event), `tick` (live wall clock) and `finish` (end of
capture). A family that raises becomes an `internal-error` finding; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .config import Config
from .findings import Finding, Rule, Severity
from .model import Entry, Session
from .reorder import ReorderBuffer
from .state import State, StateMachine
from .vocab import PING, SESSION_START

if TYPE_CHECKING:
    from .protocols.base import Protocol
    from .schemas import SchemaSet

Sink = Callable[..., None]  # (finding, session, entry, revised=False): the tracker's _sink


class Family:
    """Base of a rule family; hooks do nothing unless the family overrides them.

    Once the session is complete or ended, `event` reaches only families that judge what may
    follow (`after_close = True`): a stray adStart after sessionEnd is one defect, not three.
    A family whose `event` only reacts to some event types names them in `events`, and is not
    called for the others (most calls are pings, which most families have nothing to say about).
    """

    after_close = False
    events: frozenset[str] | None = None  # the event types `event` reacts to; None: every type

    def __init__(self, ctx: Timeline) -> None:
        self.ctx = ctx  # typed as the session's Timeline: a rejected start's checks get a Context

    def arrive(self, e: Entry) -> None:
        pass

    def event(self, e: Entry) -> None:
        pass

    def tick(self, now: float) -> None:
        pass

    def finish(self) -> None:
        pass


class Run:
    """One defect that touches a run of calls (events after sessionEnd, a dead sid used again):
    one finding, on the run's first call, that counts them (SPEC §2 "one defect, one finding").

    The finding is said at once, on the first call, so live views and the automation API see it
    as it happens; each further call of the run revises it in place (its count, and its rule or
    severity where the run shows more, as a 404 that the client then ignores). The run ends at
    `flush` (the end of the capture, or what the family knows ends it) or, live, once the session
    has been silent for `hold_seconds`: a run that starts again later is a new finding.
    `say(first, count)` returns (rule, message) or (rule, message, severity)."""

    __slots__ = ("ctx", "say", "first", "count", "seen", "finding")

    def __init__(self, ctx: Timeline, say: Callable[[Entry, int], tuple]) -> None:
        self.ctx = ctx
        self.say = say
        self.first: Entry | None = None
        self.count = 0
        self.seen = 0.0
        self.finding: Finding | None = None

    def add(self, e: Entry) -> None:
        if self.first is None:
            self.first = e
        self.count += 1
        self.seen = e.call.time
        said = self.say(self.first, self.count)
        severity = said[2] if len(said) > 2 else None
        if self.finding is None:
            self.finding = self.ctx.emit(said[0], self.first, said[1], severity=severity)
        else:
            self.ctx.revise(self.finding, said[0], said[1], severity)

    def tick(self, now: float) -> None:
        if self.first is not None and now - self.seen > self.ctx.config.hold_seconds:
            self.flush()

    def flush(self) -> None:
        self.first, self.count, self.finding = None, 0, None


class Context:
    """What a family can see about a call: config, the protocol and its schemas, the session
    (None for a call without one), and `emit`."""

    def __init__(self, session: Session | None, config: Config, protocol: Protocol,
                 schemas: SchemaSet, sink: Sink) -> None:
        self.session = session
        self.config = config
        self.protocol = protocol
        self.schemas = schemas
        self._sink = sink

    bad_ts = False  # a ts that is not epoch ms was seen: ts arithmetic would only produce noise

    def emit(self, rule: Rule, e: Entry | None, message: str, *, severity: Severity | None = None,
             path: str | None = None, field: str | None = None) -> Finding:
        """Report `rule` about call `e`. `field` (a core.vocab name) points the finding at where
        the body as sent carried that field; `path` says it outright."""
        sev = severity if severity is not None else rule.severity
        if sev not in rule.severities:
            raise ValueError(f"{rule.id} cannot be {sev.label}")
        if path is None and field is not None and e is not None:
            path = self.protocol.path(e.event_type, field, e.part)
        finding = Finding(
            rule=rule.id, severity=sev, message=message,
            session=self.session.sid if self.session else None,
            call=e.index if e else None,
            event_type=e.event_type if e else None,
            ts=e.ts if e else None, path=path,
        )
        self._sink(finding, self.session, e)
        return finding

    def revise(self, finding: Finding, rule: Rule, message: str, severity: Severity | None = None) -> None:
        """Say more in a finding already given (a Run's count): the same finding object, so every
        list that holds it (the tracker's, the session's, its call's) reads the new text; the
        session's counts follow a change of severity."""
        sev = severity if severity is not None else rule.severity
        if sev not in rule.severities:
            raise ValueError(f"{rule.id} cannot be {sev.label}")
        session = self.session
        if session is not None and sev is not finding.severity:
            session.counts[finding.severity] -= 1
            session.counts[sev] += 1
        object.__setattr__(finding, "rule", rule.id)  # findings are frozen to all but their emitter
        object.__setattr__(finding, "message", message)
        object.__setattr__(finding, "severity", sev)
        self._sink(finding, session, None, revised=True)

    def failed(self, hook: Callable, where: str, e: Entry | None, exc: Exception) -> None:
        """A family's hook `where` raised: a failure inside playhead is a finding, never a lost
        call."""
        from .rules.http import INTERNAL_ERROR  # noqa: PLC0415 - the rules import this module

        name = f"{type(getattr(hook, '__self__', hook)).__name__}.{where}"
        self.emit(INTERNAL_ERROR, e, f"{name} failed: {type(exc).__name__}: {exc}"[:300])


_ROUTES: dict[tuple[tuple[type, ...], str | None, bool], tuple[int, ...]] = {}
_ROUTES_LIMIT = 4096


class Timeline(Context):
    """Feeds one session's calls through arrival checks, the reorder window and the timeline."""

    def __init__(self, session: Session, config: Config, protocol: Protocol, schemas: SchemaSet,
                 sink: Sink, families: list[type[Family]]) -> None:
        super().__init__(session, config, protocol, schemas, sink)
        self.session: Session = session
        self.machine = StateMachine(session)
        self.state: State = self.machine.state  # the one State the machine changes in place
        self.buffer: ReorderBuffer[Entry] = ReorderBuffer(config.reorder_ms, config.reorder_events)
        self.prev: Entry | None = None  # previous event in timeline order
        self.prev_timed: Entry | None = None  # previous event that had a usable ts ...
        self.prev_ts: int | None = None  # ... and that ts
        self.start_ts: int | None = None  # the sessionStart's ts, once it arrived with one
        self.refused: Entry | None = None  # the latest-stamped call the backend refused (4xx/5xx)
        self.families = [f(self) for f in families]
        # Only the hooks a family overrides are called, as bound methods: most families need one
        # or two of the four, and this loop runs for every call.
        def bound(hook: str) -> list[Callable]:
            return [getattr(f, hook) for f in self.families
                    if getattr(type(f), hook) is not getattr(Family, hook)]
        self._arrive = bound("arrive")
        self._event = bound("event")
        self._kinds = tuple(type(f) for f in self.families)  # the key of the shared routing
        self._tick = bound("tick")
        self._finish = bound("finish")
        self._label = ""  # the state label, worked out again only when the state may change

    def add(self, e: Entry) -> None:
        s = self.session
        s.entries.append(e)
        if e.call.time > s.last_seen:
            s.last_seen = e.call.time
        if e.ts_suspect:
            self.bad_ts = s.tally.bad_clock = True
        if e.index == 0 and e.event_type == SESSION_START:
            self.start_ts = e.ts
        for hook in self._arrive:
            try:
                hook(e)
            except Exception as exc:  # noqa: BLE001 - any bug in a rule must surface, not stop traffic
                self.failed(hook, "arrive", e, exc)
        status = e.call.status
        if status is not None and status >= 400:
            refused = self.refused
            if e.ts is not None and (refused is None or refused.ts is None or e.ts > refused.ts):
                self.refused = e  # the client did call then (cadence measures gaps from it)
            return  # the backend did not take it: it is not part of the timeline
        if e.event_type == SESSION_START and e.index != 0:
            return  # a sessionStart posted to /events starts nothing (wrong-endpoint says so)
        for ready in self.buffer.push(e.ts, e):
            self._apply(ready)

    def _apply(self, e: Entry) -> None:
        ts = e.ts if e.ts is not None else self.prev_ts
        closed = self.machine.state.closed
        route = _ROUTES.get((self._kinds, e.event_type, closed))
        if route is None:
            route = self._route(e.event_type, closed)
        for i in route:
            hook = self._event[i]
            try:
                hook(e)
            except Exception as exc:  # noqa: BLE001 - any bug in a rule must surface, not stop traffic
                self.failed(hook, "event", e, exc)
        if ts is not None:
            self.machine.apply(e, ts)
        s = self.session
        s.tally.apply(e.event_type, e.details, ts)
        e.applied = True
        if e.event_type != PING or not self._label:  # a ping changes no state
            self._label = self.machine.state.label
        e.state_after = s.state = self._label
        if e.playhead is not None:
            s.playhead = e.playhead
        if e.ts is not None:
            if s.first_ts is None or e.ts < s.first_ts:
                s.first_ts = e.ts
            if s.last_ts is None or e.ts > s.last_ts:
                s.last_ts = e.ts
            start = self.start_ts
            if start is None or e.ts >= start or not self.early(e):  # a replayed backlog moves no gap
                self.prev_timed, self.prev_ts = e, e.ts
        self.prev = e

    def early(self, e: Entry) -> bool:
        """Stamped before the sessionStart, by more than the re-stamp Adobe's Web SDK does (a
        player that held the sessions call back and then replayed what it had queued)."""
        start = self.start_ts
        return (start is not None and e.ts is not None and e.index > 0
                and start - e.ts >= self.config.start_restamp_ms)

    def _route(self, kind: str | None, closed: bool) -> tuple[int, ...]:
        """Which `event` hooks an event of this type reaches: worked out once per type for all
        sessions with the same families (kept per session, it cost ~1 KB each)."""
        families = [type(getattr(hook, "__self__")) for hook in self._event]
        route = tuple(i for i, family in enumerate(families)
                      if (not closed or family.after_close)
                      and (family.events is None or kind in family.events))
        if len(_ROUTES) < _ROUTES_LIMIT:  # event types are the wire's: bound what is remembered
            _ROUTES[(self._kinds, kind, closed)] = route
        return route

    def drain(self) -> None:
        for e in self.buffer.flush():
            self._apply(e)

    def tick(self, now: float) -> None:
        if len(self.buffer) and now - self.session.last_seen > 1.0:
            self.drain()  # live: nothing more is coming within the window
        for hook in self._tick:
            try:
                hook(now)
            except Exception as exc:  # noqa: BLE001
                self.failed(hook, "tick", None, exc)

    def finish(self) -> None:
        self.drain()
        for hook in self._finish:
            try:
                hook()
            except Exception as exc:  # noqa: BLE001
                self.failed(hook, "finish", None, exc)
        if self.session.last_ts is not None:
            self.machine.close_all(self.session.last_ts)
