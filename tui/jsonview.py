"""Bodies as the call detail shows them: pretty JSON whose lines know their JSON path, so the
lines a `schema` finding points at can be highlighted in place.

The rows, their paths and their escaping come from io/jsonrows.py (the HTML report shows bodies
from the same rows); here they become `Text` as plain text: a body can neither style the screen
nor move the cursor.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.text import Text

from ..io.jsonrows import LITERAL, MORE, NUMBER, STRING, anchor, json_rows
from ..io.reports.safe import literal

MAX_TEXT = 64 * 1024  # characters of a non-JSON body shown
_KEY = "bold blue"
_STYLES = {STRING: "green", NUMBER: "cyan", LITERAL: "magenta", MORE: "dim"}
MARK_LINE = "on #5f0000"
MARK_NOTE = "bold red"


def json_lines(value: Any) -> list[tuple[str | None, Text]]:
    """(path, line) for each line of the pretty-printed value; closing brackets have no path."""
    out: list[tuple[str | None, Text]] = []
    for row in json_rows(value):
        line = Text("  " * row.depth)
        if row.key is not None:
            line += Text(row.key, style=_KEY) + Text(": ")
        line += Text(row.text, style=_STYLES.get(row.kind, ""))
        out.append((row.path, line + Text(row.comma)))
    return out


def json_text(value: Any, marks: Mapping[str, list[str]] | None = None) -> Text:
    """Pretty JSON; lines a mark points at get a red background and the marks' messages."""
    lines = json_lines(value)
    inline: dict[str, list[str]] = {}  # about the value on this line
    below: dict[str, list[str]] = {}  # about a key missing from the object opened on this line
    paths = {p for p, _ in lines if p is not None}
    for path, messages in (marks or {}).items():
        line_path = anchor(path, paths) or "$"
        (inline if line_path == path else below).setdefault(line_path, []).extend(messages)
    out: list[Text] = []
    for path, line in lines:
        out.append(line)
        if path in inline or path in below:
            line.stylize(MARK_LINE)
        for message in inline.pop(path, []) if path is not None else []:
            line.append("  ◀ " + literal(message), style=MARK_NOTE)
        indent = len(line.plain) - len(line.plain.lstrip(" ")) + 2
        for message in below.pop(path, []) if path is not None else []:
            out.append(Text(" " * indent + "✗ " + literal(message), style=MARK_NOTE))
    return Text("\n").join(out)


def body_text(body: bytes | None, parsed: Any = None, marks: Mapping[str, list[str]] | None = None) -> Text:
    """A request or response body: pretty JSON when it parses, else its text, else a summary."""
    if body is None:
        return Text("(not captured)", style="dim")
    if not body:
        return Text("(empty)", style="dim")
    if parsed is None:
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            parsed = None
    if parsed is not None:
        return json_text(parsed, marks)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", "backslashreplace")
        note = Text(f"({len(body)} bytes, not UTF-8)\n", style="dim")
    else:
        note = Text()
    clipped = len(text) > MAX_TEXT
    shown = "\n".join(literal(line) for line in text[:MAX_TEXT].split("\n"))
    result = note + Text(shown)
    if clipped:
        result.append(f"\n… {len(text) - MAX_TEXT} more characters", style="dim")
    return result
