"""The timeline of one session: its calls in arrival order, pings folded away by default.

A live session pings every 10 s for hours; folded, the rows are the events that change something,
each saying how many pings it stands in for. A ping that has a finding is never folded (a late or
dropped ping is the point), and the newest call always shows, so a playing session visibly moves.

Which entries are rows is kept as a list of call indexes, extended incrementally as calls arrive:
a redraw costs the new calls, not the session's length. A long run's memory cap drops a session's
oldest calls (core/retention.py): rows start at the oldest call still in memory, and a call dropped
between two redraws shows as "(dropped from memory)" until the next one.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence

from rich.text import Text

from ...core.model import Entry, Session
from ..messages import CallChosen, CallHighlighted
from ..rows import CALL_COLUMNS, call_cells
from .rowlist import RowList


def is_foldable(entry: Entry) -> bool:
    return entry.event_type == "ping" and not entry.findings


class Timeline(RowList):
    COLUMNS = CALL_COLUMNS

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session: Session | None = None
        self.fold = True
        self.follow = True
        self._shown: list[int] = []  # call indexes that are rows when folded (kept up unfolded too)
        self._scanned = 0  # calls looked at so far
        self._offset = 0  # calls dropped from memory when last synced: unfolded row 0 is this call
        self._findings_seen = 0  # session findings looked at so far

    # -- rows <-> entries -----------------------------------------------------------------

    def _rows(self) -> int:
        """Folded rows are the kept entries, plus the newest call when it is a folded ping."""
        if self.session is None:
            return 0
        if not self.fold:
            return self.session.calls - self._offset
        last = self.session.calls - 1
        return len(self._shown) + (1 if self.session.entries and (not self._shown or self._shown[-1] != last) else 0)

    def entry_index(self, row: int) -> int:
        """The call index row `row` shows."""
        if not self.fold:
            return self._offset + row
        return self._shown[row] if row < len(self._shown) else self.session.calls - 1

    def row_of(self, index: int) -> int:
        """The row showing entry `index`, or the row of the kept entry just before it."""
        if not self.fold:
            return max(0, index - self._offset)
        pos = bisect.bisect_right(self._shown, index) - 1  # the last kept entry <= index
        kept = pos >= 0 and self._shown[pos] == index
        if not kept and self.session is not None and index == self.session.calls - 1:
            return self._rows() - 1  # the newest call has a row of its own
        return max(0, pos)

    @property
    def current(self) -> Entry | None:
        if self.session is None or not self.row_count:
            return None
        return self.session.entry(self.entry_index(self.cursor))

    # -- keeping up -----------------------------------------------------------------------

    def show(self, session: Session | None) -> None:
        """Look at another session (under the tracker's lock): following, the cursor goes to its
        newest call, else to its first."""
        self.session = session
        self._shown, self._scanned, self._findings_seen = [], 0, 0
        self._scan()
        self.set_row_count(self._rows(), cursor=max(self._rows() - 1, 0) if self.follow else 0)
        if self.row_count:
            self.highlighted(self.cursor)

    def sync(self) -> None:
        """New calls or findings arrived for the session (under the tracker's lock)."""
        if self.session is None:
            return
        at_end = self.cursor >= self.row_count - 1
        current = self.entry_index(self.cursor) if self.row_count else None
        self._scan()
        rows = self._rows()
        if self.follow and at_end:
            cursor = rows - 1
        else:
            cursor = self.row_of(current) if current is not None else 0
        self.set_row_count(rows, cursor)

    def _scan(self) -> None:
        session = self.session
        if session is None:
            return
        entries, first = session.entries, session.dropped
        # Kept up whether folded or not, so folding is instant even for a session of 100k calls.
        if self._shown and self._shown[0] < first:  # dropped from memory since: no more rows
            del self._shown[:bisect.bisect_left(self._shown, first)]
        for i in range(max(self._scanned, first), session.calls):
            if not is_foldable(entries[i - first]):
                self._shown.append(i)
        # A call already folded may since have got a finding (a tick's "ping overdue"):
        for finding in session.findings[self._findings_seen:]:
            i = finding.call
            if i is not None and first <= i < self._scanned:
                pos = bisect.bisect_left(self._shown, i)
                if pos == len(self._shown) or self._shown[pos] != i:
                    self._shown.insert(pos, i)
        self._scanned = session.calls
        self._offset = first
        self._findings_seen = len(session.findings)

    def set_fold(self, fold: bool) -> None:
        """Fold or unfold pings, keeping the cursor on the same call (or the nearest kept one)."""
        if fold == self.fold:
            return
        current = self.entry_index(self.cursor) if self.row_count else None
        self.fold = fold
        self._scan()
        self.set_row_count(self._rows(), self.row_of(current) if current is not None else 0)
        if self.row_count:
            self.highlighted(self.cursor)

    def go_to_call(self, index: int) -> None:
        if self.session is not None and self.session.entry(index) is not None:
            self.move_cursor(self.row_of(index))

    # -- RowList ----------------------------------------------------------------------------

    def _folded(self, row: int, index: int) -> int:
        """How many pings row `row` (entry `index`) stands in for."""
        if not self.fold:
            return 0
        before = self._offset - 1  # pings dropped from memory are not counted as folded
        previous = self._shown[row - 1] if 0 < row <= len(self._shown) else before
        if row == len(self._shown):  # the newest call, a folded ping itself
            previous = self._shown[-1] if self._shown else before
        return max(0, index - previous - 1)

    def cells(self, row: int) -> Sequence[Text]:
        index = self.entry_index(row)
        entry = self.session.entry(index)
        if entry is None:  # dropped by the cap since the last redraw, which will remove the row
            return [Text(str(index), style="dim"), Text(""), Text(""), Text(""),
                    Text("(dropped from memory)", style="dim")]
        return call_cells(self.session, entry, self._folded(row, index))

    def row_key(self, row: int) -> Hashable:
        index = self.entry_index(row)
        entry = self.session.entry(index)
        if entry is None:
            return (self.session.sid, index, "dropped")
        return (self.session.sid, index, self._folded(row, index), entry.applied, len(entry.findings),
                self.session.first_ts)

    def highlighted(self, row: int) -> None:
        if self.session is not None:
            self.app.post_message(CallHighlighted(self.session.sid, self.entry_index(row)))

    def selected(self, row: int) -> None:
        if self.session is not None:
            self.app.post_message(CallChosen(self.session.sid, self.entry_index(row)))
