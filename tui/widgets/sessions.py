"""The sessions table: one row per playback session, in order of appearance."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from rich.text import Text

from ...core.findings import Finding, Severity
from ...core.model import Session
from ..messages import SessionChosen, SessionHighlighted
from ..rows import SESSION_COLUMNS, age, media_key, problem_cell, session_cells
from .rowlist import RowList


@dataclass(slots=True)
class Problems:
    """A session's worst rule so far, kept up incrementally (a session may have 100k findings)."""

    seen: int = 0
    worst: Severity | None = None
    rule: str = ""
    rules: set[str] = field(default_factory=set)

    def update(self, findings: Sequence[Finding]) -> None:
        for finding in findings[self.seen:]:
            if finding.severity > Severity.INFO:
                self.rules.add(finding.rule)
            if self.worst is None or finding.severity > self.worst:
                self.worst, self.rule = finding.severity, finding.rule
        self.seen = len(findings)

    def cell(self) -> Text:
        return problem_cell(self.worst, self.rule, max(len(self.rules) - 1, 0))


class SessionsTable(RowList):
    """The cursor stays on the same session (by sid) when sessions come and go."""

    COLUMNS = SESSION_COLUMNS

    def __init__(self, *, clock: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.sessions: list[Session] = []
        self._problems: dict[str, Problems] = {}
        self._copies: dict[str, tuple[int, int]] = {}  # sid -> (n, of) for media shown twice or more
        self._keys: dict[str, tuple[str, str]] = {}
        self._now = 0.0

    @property
    def current(self) -> Session | None:
        return self.sessions[self.cursor] if self.sessions else None

    def show(self, sessions: Sequence[Session]) -> None:
        """Take the sessions to list (called under the tracker's lock, a few times a second)."""
        current = self.current
        self.sessions = list(sessions)
        for session in self.sessions:
            self._problems.setdefault(session.sid, Problems()).update(session.findings)
        self._count_copies()
        self._now = self.clock()
        cursor = self.cursor
        if current is not None:
            cursor = next((i for i, s in enumerate(self.sessions) if s is current), cursor)
        self.set_row_count(len(self.sessions), cursor)
        if current is None and self.sessions:  # the first session: say so, the cursor did not move
            self.app.post_message(SessionHighlighted(self.sessions[self.cursor].sid, chosen=False))

    def _count_copies(self) -> None:
        """Number the sessions that play the same media, in order of appearance."""
        keys = [self._media_key(s) for s in self.sessions]
        totals = Counter(k for k in keys if k is not None)
        seen: Counter = Counter()
        self._copies = {}
        for session, key in zip(self.sessions, keys):
            if key is not None and totals[key] > 1:
                seen[key] += 1
                self._copies[session.sid] = (seen[key], totals[key])

    def _media_key(self, session: Session) -> tuple[str, str] | None:
        """Its media as shown, once known (a sessionStart's media does not change): worked out
        once per session, not on every redraw."""
        key = self._keys.get(session.sid)
        if key is None and session.has_start:
            key = self._keys[session.sid] = media_key(session)
        return key

    def select_sid(self, sid: str) -> bool:
        for i, session in enumerate(self.sessions):
            if session.sid == sid:
                self.move_cursor(i)
                return True
        return False

    def tick(self) -> None:
        """The clock moved: 'last call' ages change (only rows whose age reads differently)."""
        self._now = self.clock()
        self.repaint_changed()

    def cells(self, index: int) -> Sequence[Text]:
        session = self.sessions[index]
        return session_cells(session, self._now, self._problems[session.sid].cell(), self._copies.get(session.sid))

    def row_key(self, index: int) -> Hashable:
        session = self.sessions[index]
        return (session.sid, session.calls, len(session.findings), session.state, session.playhead,
                session.has_start, age(self._now - session.last_seen) if session.last_seen else "",
                self._copies.get(session.sid))

    def highlighted(self, index: int) -> None:
        self.app.post_message(SessionHighlighted(self.sessions[index].sid))

    def selected(self, index: int) -> None:
        self.app.post_message(SessionChosen(self.sessions[index].sid))
