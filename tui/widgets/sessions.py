"""The sessions table: one row per playback session, in order of appearance."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.text import Text

from ...core.model import Session
from ..messages import SessionChosen, SessionHighlighted
from ..rows import SESSION_COLUMNS, session_cells
from .rowlist import RowList


class SessionsTable(RowList):
    """The cursor stays on the same session (by sid) when sessions come and go."""

    COLUMNS = SESSION_COLUMNS

    def __init__(self, *, clock: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.sessions: list[Session] = []
        self._now = 0.0

    @property
    def current(self) -> Session | None:
        return self.sessions[self.cursor] if self.sessions else None

    def show(self, sessions: Sequence[Session]) -> None:
        """Take the sessions to list (called under the tracker's lock, a few times a second)."""
        current = self.current
        self.sessions = list(sessions)
        self._now = self.clock()
        cursor = self.cursor
        if current is not None:
            cursor = next((i for i, s in enumerate(self.sessions) if s is current), cursor)
        self.set_row_count(len(self.sessions), cursor)
        if current is None and self.sessions:
            self.highlighted(self.cursor)  # the first session: say so, the cursor did not move

    def select_sid(self, sid: str) -> bool:
        for i, session in enumerate(self.sessions):
            if session.sid == sid:
                self.move_cursor(i)
                return True
        return False

    def tick(self) -> None:
        """The clock moved: 'last call' ages change."""
        self._now = self.clock()
        self.refresh()

    def cells(self, index: int) -> Sequence[Text]:
        return session_cells(self.sessions[index], self._now)

    def highlighted(self, index: int) -> None:
        self.post_message(SessionHighlighted(self.sessions[index].sid))

    def selected(self, index: int) -> None:
        self.post_message(SessionChosen(self.sessions[index].sid))
