"""The lane picture of one session: its ts range cut into fixed-width columns, one text row per
span kind plus ping ticks and finding marks, so a missing bookend or a silent gap is seen, not read.

Markdown and HTML reports draw these rows; the dashboard can draw the same computation in colour.
"""

from __future__ import annotations

from ...core.findings import Finding, Severity
from ...core.model import Session

SPAN_KINDS = ("content", "ad-break", "ad", "chapter", "pause", "buffer")
ROW_KINDS = SPAN_KINDS + ("pings", "findings")
ACTIVE = "█"
IDLE = " "
PING = "|"
MARKS = {Severity.ERROR: "!", Severity.WARNING: "?"}  # info is not a defect: not drawn


class _Columns:
    """Maps a ts onto a column of [lo, hi] cut into `width` equal cells."""

    def __init__(self, lo: int, hi: int, width: int):
        self.lo, self.range, self.width = lo, max(hi - lo, 0), width

    def of(self, ts: int) -> int:
        if self.range == 0:
            return 0
        return min(self.width - 1, max(0, int((ts - self.lo) * self.width // self.range)))

    def of_all(self, points: list[int]) -> set[int]:
        """The cells a run of ts fall in: `of` for each, without a call per point."""
        if self.range == 0:
            return {0} if points else set()
        lo, width, span = self.lo, self.width, self.range
        cells = {(ts - lo) * width // span for ts in points}  # few distinct: clamp those after
        return {min(width - 1, max(0, int(c))) for c in cells}

    def covering(self, start: int, end: int) -> range:
        """The cells that [start, end) touches; at least one, so an instant span still shows."""
        first = self.of(start)
        if self.range == 0:
            return range(first, first + 1)
        last = int(-(-(end - self.lo) * self.width // self.range)) - 1
        last = min(self.width - 1, max(first, last))
        return range(first, last + 1)


def ts_range(session: Session) -> tuple[int, int] | None:
    """[first_ts, last_ts], widened to any span, ping or finding outside it (nothing is clipped)."""
    points = [t for t in (session.first_ts, session.last_ts) if t is not None]
    for span in session.spans:
        points += [t for t in (span.start_ts, span.end_ts) if t is not None]
    if session.ping_ts:  # a long session has ~100k: their ends are enough
        points += (min(session.ping_ts), max(session.ping_ts))
    points += [t for t in (finding_ts(session, f) for f in session.findings) if t is not None]
    return (min(points), max(points)) if points else None


def finding_ts(session: Session, finding: Finding) -> int | None:
    """Where a finding sits: its own ts, else the ts of the call it is about."""
    if finding.ts is not None:
        return finding.ts
    entry = session.entry(finding.call) if finding.call is not None else None
    return entry.ts if entry is not None else None


def lane_rows(session: Session, width: int = 60) -> list[tuple[str, str]]:
    """(kind, row) for every kind in ROW_KINDS, each row exactly `width` characters.

    A span marks the cells it touches with ACTIVE (an open span runs to the end of the range), a
    ping puts PING in its cell, a finding puts `!` (error) or `?` (warning) in its cell, the worse
    one winning when two share a cell. A session with no ts at all gives blank rows.
    """
    if width < 1:
        raise ValueError(f"lane width must be at least 1, got {width}")
    cells = {kind: [IDLE] * width for kind in ROW_KINDS}
    bounds = ts_range(session)
    if bounds is not None:
        cols = _Columns(*bounds, width)
        for span in session.spans:
            row = cells.get(span.kind)
            if row is None:
                continue  # a kind this picture has no row for
            end = bounds[1] if span.end_ts is None else span.end_ts
            for c in cols.covering(span.start_ts, end):
                row[c] = ACTIVE
        for c in cols.of_all(session.ping_ts):
            cells["pings"][c] = PING
        worst: dict[int, Severity] = {}
        for finding in session.findings:
            ts = finding_ts(session, finding)
            if ts is None or finding.severity not in MARKS:
                continue
            c = cols.of(ts)
            worst[c] = max(worst.get(c, finding.severity), finding.severity)
        for c, severity in worst.items():
            cells["findings"][c] = MARKS[severity]
    return [(kind, "".join(cells[kind])) for kind in ROW_KINDS]


def lane_axis(session: Session, width: int = 60) -> str:
    """A `width`-wide scale line under the rows: '0 s' at the left, the duration at the right."""
    bounds = ts_range(session)
    right = f"{(bounds[1] - bounds[0]) / 1000:.1f} s" if bounds else ""
    left = "0 s" if bounds else ""
    return left + right.rjust(max(width - len(left), 0))
