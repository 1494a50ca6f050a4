"""The findings feed: every finding across sessions, newest first, with filters.

The tracker's finding list only grows; the feed keeps the indexes of the findings that pass the
filter and extends them as findings arrive, so a redraw costs the new findings only. Changing the
filter rebuilds the index list once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text

from ...core.findings import Finding, Severity
from ...core.model import Session
from ..messages import FindingChosen, FindingHighlighted
from ..rows import FINDING_COLUMNS, SCOPED_FINDING_COLUMNS, finding_cells
from .rowlist import RowList


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """Which findings the feed shows. `rule` and `session` match as case-insensitive substrings;
    `session` also matches the session's media id and name. `scope`: the one session the feed
    is about (the one selected in the sessions table), or None for all of them."""

    severity: Severity = Severity.INFO  # the lowest severity shown
    rule: str = ""
    session: str = ""
    scope: str | None = None

    @property
    def active(self) -> bool:
        return self != FindingFilter()

    def describe(self) -> str:
        """'errors only · rule ~ ad · session ~ 04a1' (plain text: it may quote user input); the
        scope is said by the pane's title."""
        parts = []
        if self.severity is Severity.ERROR:
            parts.append("errors only")
        elif self.severity is Severity.WARNING:
            parts.append("warnings and errors")
        if self.rule:
            parts.append(f"rule ~ {self.rule}")
        if self.session:
            parts.append(f"session ~ {self.session}")
        return " · ".join(parts)

    def matcher(self, sessions: Mapping[str, Session]) -> Callable[[Finding], bool]:
        """Whether a finding passes, for a run of findings: each rule and each session is judged
        once, not once per finding (a filter change goes over every finding there is)."""
        rule_needle, session_needle = self.rule.lower(), self.session.lower()
        rules: dict[str, bool] = {}
        places: dict[str | None, bool] = {}

        def rule_passes(rule: str) -> bool:
            if rule not in rules:
                rules[rule] = rule_needle in rule.lower()
            return rules[rule]

        def session_passes(sid: str | None) -> bool:
            if sid not in places:
                session = sessions.get(sid) if sid is not None else None
                haystack = [sid or ""]
                if session is not None:
                    haystack += [str(session.media["id"] or ""), str(session.media["name"] or "")]
                places[sid] = any(session_needle in h.lower() for h in haystack)
            return places[sid]

        def matches(finding: Finding) -> bool:
            return (finding.severity >= self.severity
                    and (self.scope is None or finding.session == self.scope)
                    and (not rule_needle or rule_passes(finding.rule))
                    and (not session_needle or session_passes(finding.session)))

        return matches


class FindingsFeed(RowList):
    COLUMNS = FINDING_COLUMNS

    def __init__(self, findings: Sequence[Finding], sessions: Mapping[str, Session], **kwargs) -> None:
        super().__init__(**kwargs)
        self.findings = findings  # the tracker's own list: read under its lock
        self.sessions = sessions
        self.filter = FindingFilter()
        self.follow = True
        self.start = 0  # findings before this index were cleared from view
        self._matched: list[int] = []
        self._scanned = 0

    @property
    def current(self) -> Finding | None:
        return self.findings[self._matched[-1 - self.cursor]] if self._matched else None

    def sync(self) -> None:
        """Take the findings raised since the last call (under the tracker's lock)."""
        before = len(self._matched)
        matches = self.filter.matcher(self.sessions)
        for i in range(max(self._scanned, self.start), len(self.findings)):
            if matches(self.findings[i]):
                self._matched.append(i)
        self._scanned = len(self.findings)
        new = len(self._matched) - before
        keep_newest = self.follow and self.cursor == 0
        cursor = self.cursor if keep_newest or not before else self.cursor + new
        self.set_row_count(len(self._matched), cursor)
        if new and (keep_newest or not before):
            self.highlighted(self.cursor)

    def set_filter(self, flt: FindingFilter) -> None:
        """Apply another filter; the cursor stays on the same finding if it still passes."""
        current = self._matched[-1 - self.cursor] if self._matched else None
        if (flt.scope is None) != (self.filter.scope is None):  # the session column comes or goes
            self.COLUMNS = FINDING_COLUMNS if flt.scope is None else SCOPED_FINDING_COLUMNS
            self.refresh()
        self.filter = flt
        self._matched, self._scanned = [], self.start
        self.sync()
        cursor = 0
        if current is not None and current in self._matched:
            cursor = len(self._matched) - 1 - self._matched.index(current)
        self.set_row_count(len(self._matched), cursor)
        self.highlighted(self.cursor)

    def clear(self) -> None:
        """Hide every finding raised so far; new ones keep coming in."""
        self.start = len(self.findings)
        self._matched, self._scanned = [], self.start
        self.set_row_count(0, 0)
        self.highlighted(0)

    def select(self, finding: Finding) -> bool:
        """Put the cursor on this finding; False when the filter (or a clear) hides it."""
        for row in range(len(self._matched)):
            if self.findings[self._matched[-1 - row]] is finding:
                self.move_cursor(row)
                return True
        return False

    def cells(self, index: int) -> Sequence[Text]:
        return finding_cells(self.findings[self._matched[-1 - index]], self.filter.scope is not None)

    def row_key(self, index: int) -> Hashable:
        at = self._matched[-1 - index]
        finding = self.findings[at]  # a finding that counts a run of calls says more as it grows
        return at, finding.rule, finding.severity, finding.message, self.filter.scope is None

    def highlighted(self, index: int) -> None:
        self.app.post_message(FindingHighlighted(self.current))

    def selected(self, index: int) -> None:
        finding = self.current
        if finding is not None:
            self.app.post_message(FindingChosen(finding))
