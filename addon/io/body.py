"""Which lines of a call's body a report shows for a finding: the JSON rows around the one the
finding's path points at (io/jsonrows.py), each clipped, so a megabyte body neither bloats the
report nor hides the line that matters. Formats only style what this chooses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.model import Entry
from .jsonrows import Row, anchor, json_rows
from .reports.safe import literal

BODY_LINES = 80  # lines shown, centred on the marked one
LINE_CHARS = 300  # characters of one value shown
TEXT_CHARS = 8000  # characters of a body that is not JSON shown


@dataclass(frozen=True, slots=True)
class BodyLine:
    row: Row | None  # the JSON row, or None for a line of a body that is not JSON
    text: str  # the row's value (or the line), printable and clipped
    clipped: str | None = None  # "… 1234 more characters (truncated)" when the text was clipped
    marked: bool = False


@dataclass(frozen=True, slots=True)
class BodyView:
    lines: list[BodyLine] = field(default_factory=list)
    note: str | None = None  # why there is nothing to show
    marked: bool = False  # whether a line is marked (the path, or the object it belongs in)
    cut_before: str | None = None
    cut_after: str | None = None


def _clip(text: str) -> tuple[str, str | None]:
    if len(text) <= LINE_CHARS:
        return text, None
    return text[:LINE_CHARS], f"… {len(text) - LINE_CHARS} more characters (truncated)"


def body_view(entry: Entry | None, path: str | None) -> BodyView:
    """The request body of `entry` with the row `path` points at marked."""
    if entry is None:
        return BodyView(note="this call is no longer in memory (the --max-calls cap dropped it)")
    if entry.body is None:
        return _text_view(entry.call.request_body)
    rows = json_rows(entry.body)
    target = anchor(path, {r.path for r in rows if r.path is not None}) if path else None
    index = next((i for i, r in enumerate(rows) if target is not None and r.path == target), None)
    lo = 0 if index is None else max(0, min(index - BODY_LINES // 2, len(rows) - BODY_LINES))
    hi = min(len(rows), lo + BODY_LINES)
    lines = [BodyLine(row, *_clip(row.text), marked=i == index) for i, row in enumerate(rows[lo:hi], lo)]
    return BodyView(lines, marked=index is not None,
                    cut_before=f"… {lo} lines above left out (truncated)" if lo else None,
                    cut_after=f"… {len(rows) - hi} more lines left out (truncated)" if hi < len(rows) else None)


def _text_view(body: bytes | None) -> BodyView:
    if body is None:
        return BodyView(note="the capture kept no body for this call")
    if not body:
        return BodyView(note="the body was empty")
    text = body.decode("utf-8", "backslashreplace")
    shown = text[:TEXT_CHARS].split("\n")
    lines = [BodyLine(None, *_clip(literal(line))) for line in shown[:BODY_LINES]]
    left = len(text) - TEXT_CHARS if len(text) > TEXT_CHARS else 0
    cut = (f"… {len(shown) - BODY_LINES} more lines" if len(shown) > BODY_LINES else "") + (
        f"{', ' if len(shown) > BODY_LINES else '… '}{left} more characters" if left else "")
    return BodyView(lines, note=None, cut_after=f"{cut} (truncated)" if cut else None)
