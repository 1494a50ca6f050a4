"""Checklists evaluated incrementally, as calls arrive (SPEC §13).

A `ChecklistWatch` subscribes to a tracker and, for every session an update touches, reads only
the calls and findings added since it last looked: a live session of 100k calls is never read
again from its start. Each (checklist, session) pair keeps a `Progress`; its verdict is computed
when asked for, because "failed" for a step still waiting depends on whether the session closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core import vocab
from ..core.findings import Finding
from ..core.protocols.media_collection import PARAMS as MC_PARAMS
from ..core.model import Entry, Session
from ..core.tracker import Tracker, Update
from .format import Checklist, EventMatch, FindingMatch, Step

PASSED, FAILED, INCOMPLETE = "passed", "failed", "incomplete"
CLOSERS = frozenset(("sessionComplete", "sessionEnd"))


# Checklists name details as Adobe's Media Collection API does (the names Adobe's pages use);
# the engine keeps them in its neutral vocabulary, the same for every protocol.
FIELDS: dict[str, str] = {key: field for names in MC_PARAMS.values() for key, field in names.items()}
FIELDS["media.qoe.bitrate"] = vocab.BITRATE


def param(entry: Entry, key: str) -> Any:
    """An event detail by its Media Collection name (`media.ad.podIndex`, `media.qoe.bitrate`),
    whichever protocol carried the event."""
    if key == "media.state.name":  # a state's start or end names one state
        names = entry.details.get(vocab.STATES_STARTED) or entry.details.get(vocab.STATES_ENDED) or [None]
        return names[0]
    field = FIELDS.get(key)
    return entry.details.get(field) if field is not None else None


def session_detail(session: Session, key: str) -> Any:
    """A sessionStart detail (`media.contentType`, `media.downloaded`), the same way."""
    field = FIELDS.get(key)
    return session.info.get(field) if field is not None else None


@dataclass(frozen=True, slots=True)
class StepVerdict:
    step: Step
    status: str
    detail: str
    call: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.step.title, "status": self.status, "detail": self.detail,
                "call": self.call, "source": self.step.source}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One checklist over one session."""

    checklist: Checklist
    sid: str
    status: str
    steps: tuple[StepVerdict, ...]

    @property
    def waiting_for(self) -> str | None:
        waiting = next((s for s in self.steps if s.status == INCOMPLETE), None)
        return waiting.detail if waiting is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {"session": self.sid, "status": self.status, "waiting_for": self.waiting_for,
                "steps": [s.as_dict() for s in self.steps]}


@dataclass(frozen=True, slots=True)
class ChecklistResult:
    """One checklist over every session it applies to."""

    checklist: Checklist
    status: str
    verdicts: tuple[Verdict, ...]
    detail: str

    def as_dict(self) -> dict[str, Any]:
        c = self.checklist
        return {"name": c.name, "title": c.title, "source": c.source, "applies_to": c.describe_scope(),
                "status": self.status, "detail": self.detail,
                "sessions": [v.as_dict() for v in self.verdicts]}


def overall(statuses: Sequence[str]) -> str:
    if FAILED in statuses:
        return FAILED
    return INCOMPLETE if not statuses or INCOMPLETE in statuses else PASSED


class _Chain:
    """One reading of the ordered event steps that has met its first step (see Progress)."""

    __slots__ = ("cursor", "hits", "near")

    def __init__(self, cursor: int, hits: dict[int, int]) -> None:
        self.cursor = cursor  # position in the ordered steps waited for now
        self.hits = hits  # step index -> call that met it
        self.near: dict[int, str] | None = None  # step index -> the first call of its type that did not fit


class _Plan:
    """What every Progress of one checklist shares: its steps by kind, and the sets of event
    types its readings can wait for (one object per set, however many sessions)."""

    __slots__ = ("checklist", "ordered", "absent", "_waiting")

    def __init__(self, checklist: Checklist) -> None:
        self.checklist = checklist
        self.ordered = tuple(i for i, s in enumerate(checklist.steps) if s.kind == "event")
        self.absent = tuple(i for i, s in enumerate(checklist.steps) if s.kind == "absent")
        self._waiting: dict[tuple[int, ...], frozenset[str]] = {}

    def waiting(self, cursors: tuple[int, ...]) -> frozenset[str]:
        found = self._waiting.get(cursors)
        if found is None:
            steps, ordered = self.checklist.steps, self.ordered
            types = {t for i in self.absent for t in steps[i].match.types}  # type: ignore[union-attr]
            for cursor in cursors:
                if cursor < len(ordered):
                    types.update(steps[ordered[cursor]].match.types)  # type: ignore[union-attr]
            found = self._waiting[cursors] = frozenset(types)
        return found


class Progress:
    """What one checklist has seen of one session so far.

    Event steps are ordered. A step that never comes must fail alone, not take every later step
    down with it: so whenever a reading of the steps moves on to step k, readings that skip to
    k+1, k+2, ... start from that moment (replacing any that met nothing since). The verdict
    follows the first reading until a step is missing, then the first reading that met a later
    step after the last call the verdict accepted.
    """

    __slots__ = ("plan", "position", "findings_read", "_chains", "_anchors", "_near", "_settled", "_waiting",
                 "closed", "hit", "why")

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.position = 0  # the next call index to read
        self.findings_read = 0
        # Readings by the position they start at: those that met their first step, and for the
        # others the call after which they may start (-2: none started there yet). Most sessions
        # never need most readings, so they cost an int until they meet something.
        self._chains: dict[int, _Chain] = {}
        self._anchors = [-1] + [-2] * (len(plan.ordered) - 1) if plan.ordered else []
        self._near: dict[int, str] | None = None  # near misses of the readings not started yet
        # Once the engine closed the session, the event steps are settled: the readings give way
        # to their outcome (memory: a long run keeps thousands of closed sessions).
        self._settled: tuple[dict[int, int], dict[int, str]] | None = None
        # the event types a reading waits for or an absent step watches: calls of other types
        # (most pings, once each reading has seen its ping) cost one lookup
        self._waiting = plan.waiting((0,))
        self.closed = False  # a sessionComplete or sessionEnd was read (the engine's timeline may
        # still hold it back to reorder it by ts)
        self.hit: dict[int, int] | None = None  # step index -> call that broke it (absent, no_findings)
        self.why: dict[int, str] | None = None  # step index -> what broke it

    @property
    def checklist(self) -> Checklist:
        return self.plan.checklist

    def advance(self, session: Session) -> None:
        entries = session.entries  # the calls kept in memory; entries[i] is call i + dropped
        for i in range(max(self.position - session.dropped, 0), len(entries)):
            entry = entries[i]
            self.position = entry.index + 1
            status = entry.call.status
            if status is not None and status >= 400:
                continue  # the backend refused it: for Adobe it never happened
            kind = entry.event_type
            if kind in self._waiting:
                self._read(entry, kind)
            if kind in CLOSERS:
                self.closed = True
        for finding in session.findings[self.findings_read:]:
            self._finding(finding)
        self.findings_read = len(session.findings)
        if session.closed_by is not None and self._settled is None:
            self._settled = self._event_hits()
            self._chains, self._anchors, self._near = {}, [], None
            self._waiting = self.plan.waiting(())  # absent steps still watch what comes after

    def _broken(self, i: int, call: int, why: str) -> None:
        if self.hit is None or self.why is None:
            self.hit, self.why = {}, {}
        self.hit[i] = call
        self.why[i] = why

    def _read(self, entry: Entry, kind: str) -> None:
        steps = self.plan.checklist.steps
        for i in self.plan.absent:
            if (self.hit is None or i not in self.hit) and _mismatch(steps[i].match, entry) is None:
                self._broken(i, entry.index, f"call {entry.index} was {kind}")
        ordered, spawn = self.plan.ordered, []
        for chain in self._chains.values():
            if chain.cursor >= len(ordered):
                continue
            i = ordered[chain.cursor]
            match = steps[i].match
            if kind not in match.types:  # type: ignore[union-attr]
                continue
            miss = _mismatch(match, entry)
            if miss is None:
                chain.hits[i] = entry.index
                chain.cursor += 1
                spawn.append(chain.cursor + 1)
            elif chain.near is None or i not in chain.near:
                if chain.near is None:
                    chain.near = {}
                chain.near[i] = f"call {entry.index} was {kind} with {miss}"
        for start, anchor in enumerate(self._anchors):  # readings that wait for their first step
            if anchor == -2 or anchor >= entry.index or start in self._chains:
                continue
            i = ordered[start]
            if kind not in steps[i].match.types:  # type: ignore[union-attr]
                continue
            miss = _mismatch(steps[i].match, entry)
            if miss is None:
                self._chains[start] = _Chain(start + 1, {i: entry.index})
                spawn.append(start + 2)
            elif self._near is None or i not in self._near:
                self._near = self._near or {}
                self._near[i] = f"call {entry.index} was {kind} with {miss}"
        for first in spawn:  # new readings start with the next call
            for start in range(first, len(ordered)):
                chain = self._chains.get(start)
                if chain is None or min(chain.hits.values()) < entry.index:
                    self._chains.pop(start, None)
                    self._anchors[start] = entry.index
        if spawn:
            cursors = {c.cursor for c in self._chains.values()}
            cursors.update(s for s, a in enumerate(self._anchors) if a != -2 and s not in self._chains)
            self._waiting = self.plan.waiting(tuple(sorted(cursors)))

    def _finding(self, finding: Finding) -> None:
        for i, step in enumerate(self.plan.checklist.steps):
            match = step.match
            if step.kind != "no_findings" or (self.hit is not None and i in self.hit) \
                    or not isinstance(match, FindingMatch):
                continue
            if (match.severity is None or finding.severity >= match.severity) and \
                    (not match.rules or finding.rule in match.rules):
                where = f"call {finding.call}: " if finding.call is not None else ""
                self._broken(i, finding.call if finding.call is not None else -1,
                             f"{where}{finding.rule}: {finding.message}")

    def _event_hits(self) -> tuple[dict[int, int], dict[int, str]]:
        """Which call met each event step, following the readings as the class says."""
        if self._settled is not None:
            return self._settled
        hits: dict[int, int] = {}
        near: dict[int, str] = {}
        ordered, last = self.plan.ordered, -1
        chain: _Chain | None = self._chains.get(0)
        for pos, i in enumerate(ordered):
            if chain is None or i not in chain.hits:
                if chain is not None and chain.near is not None and i in chain.near:
                    near[i] = chain.near[i]
                elif self._near is not None and i in self._near:
                    near[i] = self._near[i]
                chain = self._resume_after(pos, last)
                continue
            hits[i] = last = chain.hits[i]
        return hits, near

    def _resume_after(self, missing: int, last: int) -> _Chain | None:
        """The reading that skipped step position `missing`: the first one that met a later step
        with a call after `last`."""
        for start in range(missing + 1, len(self.plan.ordered)):
            chain = self._chains.get(start)
            call = chain.hits.get(self.plan.ordered[start]) if chain is not None else None
            if chain is not None and call is not None and call > last:
                return chain
        return None

    def verdict(self, sid: str, closed: bool) -> Verdict:
        closed = closed or self.closed
        hits, near = self._event_hits()
        steps = []
        for i, step in enumerate(self.checklist.steps):
            if step.kind == "event":
                what = step.match.describe()
                seen = f" ({near[i]})" if i in near else ""
                call = hits.get(i)
                if call is not None:
                    steps.append(StepVerdict(step, PASSED, f"{what}: call {call}", call))
                elif closed:
                    steps.append(StepVerdict(step, FAILED, f"never seen before the session closed: {what}{seen}"))
                else:
                    steps.append(StepVerdict(step, INCOMPLETE, f"waiting for {what}{seen}"))
            elif self.hit is not None and self.why is not None and i in self.hit:
                call = self.hit[i]
                steps.append(StepVerdict(step, FAILED, self.why[i], call if call >= 0 else None))
            else:
                what = f"no {step.match.describe()}{' seen' if step.kind == 'absent' else ''}"
                steps.append(StepVerdict(step, PASSED if closed else INCOMPLETE,
                                         what if closed else f"{what} so far; judged when the session closes"))
        return Verdict(self.checklist, sid, overall([s.status for s in steps]), tuple(steps))


def _mismatch(match: EventMatch | FindingMatch, entry: Entry) -> str | None:
    """None when the entry meets the match; "" when its type differs; else what differs."""
    if not isinstance(match, EventMatch) or entry.event_type not in match.types:
        return ""
    for key, expected in match.params:
        value = param(entry, key)
        if not _fits(value, expected):
            return f"{key} {'missing' if value is None else _show(value)}"
    low, high = match.playhead
    playhead = entry.playhead
    if (low is not None or high is not None) and (
            playhead is None or (low is not None and playhead < low) or (high is not None and playhead > high)):
        return f"playhead {_show(playhead)}"
    return None


def _fits(value: Any, expected: Any) -> bool:
    if not isinstance(expected, dict):
        return value == expected and type(value) is not bool or value is expected
    if expected.get("present"):
        return value is not None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    low, high = expected.get("min"), expected.get("max")
    return (low is None or value >= low) and (high is None or value <= high)


def _show(value: Any) -> str:
    return repr(value)[:40]


class ChecklistWatch:
    """Checklists kept up to date with a tracker. Readers hold `tracker.lock`."""

    def __init__(self, tracker: Tracker, checklists: Sequence[Checklist]) -> None:
        self.tracker = tracker
        self.checklists = list(checklists)
        self._plans = [_Plan(c) for c in self.checklists]
        self._progress: dict[str, list[Progress]] = {}  # sid -> the progress of each checklist that applies
        self._generation = tracker.generation
        with tracker.lock:
            for session in tracker.sessions.values():
                self._advance(session)
        tracker.subscribe(self._updated)

    def _updated(self, update: Update) -> None:
        with self.tracker.lock:
            if self.tracker.generation != self._generation:
                self._generation = self.tracker.generation
                self._progress.clear()
            for session in update.sessions:
                self._advance(session)

    def _advance(self, session: Session) -> None:
        if not session.entries and session.dropped:
            # Summarised by the session cap (core/retention.py: every kept session holds its
            # newest call): checked no more, so its checklists are let go with its rule state.
            self._progress.pop(session.sid, None)
            return
        progress = self._progress.get(session.sid)
        if progress is None:
            if not session.has_start:
                return  # what it is (VOD? live?) is not known yet
            content_type = session.media.get("contentType")
            downloaded = session_detail(session, "media.downloaded") is True
            progress = self._progress[session.sid] = [
                Progress(plan) for plan in self._plans if plan.checklist.applies_to(content_type, downloaded)]
        for p in progress:
            p.advance(session)

    def verdicts(self, sid: str, final: bool = False) -> list[Verdict]:
        """Every checklist that applies to this session, in the watch's order."""
        session = self.tracker.sessions.get(sid)
        if session is None:
            return []
        closed = final or session.closed_by is not None
        return [p.verdict(sid, closed) for p in self._progress.get(sid, ())]

    def result(self, checklist: Checklist, final: bool = False) -> ChecklistResult:
        verdicts = []
        for sid, progress in self._progress.items():
            session = self.tracker.sessions.get(sid)
            mine = next((p for p in progress if p.checklist is checklist), None)
            if session is not None and mine is not None:
                verdicts.append(mine.verdict(sid, final or session.closed_by is not None))
        status = overall([v.status for v in verdicts])
        if not verdicts:
            detail = f"waiting for a session ({checklist.describe_scope()})"
        elif status == PASSED:
            detail = f"passed on {len(verdicts)} session{'s' if len(verdicts) > 1 else ''}"
        else:
            worst = next(v for v in verdicts if v.status == status)
            step = next(s for s in worst.steps if s.status == status)
            detail = f"session {worst.sid[:12]}: {step.step.title}: {step.detail}"
        return ChecklistResult(checklist, status, tuple(verdicts), detail)

    def results(self, final: bool = False) -> list[ChecklistResult]:
        return [self.result(c, final) for c in self.checklists]
