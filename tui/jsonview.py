"""Bodies as the call detail shows them: pretty JSON whose lines know their JSON path, so the
lines a `schema` finding points at can be highlighted in place.

Paths are written by the same `json_path` the schema checks use, so `$.params['media.id']` in a
finding and in a line are the same string. A finding about a key that is missing has no line of
its own; it marks the nearest enclosing line that exists (the object the key belongs in).
Every key and value is dumped as JSON and then made printable with `literal`, and goes into a
`Text` as plain text: a body can neither style the screen nor move the cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from rich.text import Text

from ..core.schemas import json_path
from ..io.reports.safe import literal

MAX_LINES = 4000
MAX_DEPTH = 64
MAX_TEXT = 64 * 1024  # characters of a non-JSON body shown
_KEY = "bold blue"
_STRING = "green"
_NUMBER = "cyan"
_LITERAL = "magenta"
MARK_LINE = "on #5f0000"
MARK_NOTE = "bold red"


def _dump(value: Any) -> str:
    try:
        return literal(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return literal(repr(value))


def _scalar(value: Any) -> Text:
    if isinstance(value, str):
        return Text(_dump(value), style=_STRING)
    if isinstance(value, bool) or value is None:
        return Text(_dump(value), style=_LITERAL)
    if isinstance(value, (int, float)):
        return Text(_dump(value), style=_NUMBER)
    return Text(_dump(value))


def json_lines(value: Any) -> list[tuple[str | None, Text]]:
    """(path, line) for each line of the pretty-printed value; closing brackets have no path."""
    out: list[tuple[str | None, Text]] = []

    def walk(node: Any, parts: list[str | int], depth: int, prefix: Text, comma: str) -> None:
        pad = "  " * depth
        path = json_path(parts)
        container = isinstance(node, (dict, list)) and node
        if not container or depth >= MAX_DEPTH:
            out.append((path, Text(pad) + prefix + _scalar(node) + Text(comma)))
            return
        opening, closing = ("{", "}") if isinstance(node, dict) else ("[", "]")
        out.append((path, Text(pad) + prefix + Text(opening)))
        items: Iterable[tuple[str | int, Any]] = node.items() if isinstance(node, dict) else enumerate(node)
        items = list(items)
        for i, (key, child) in enumerate(items):
            if len(out) >= MAX_LINES:
                out.append((None, Text(f"{pad}  … {len(items) - i} more", style="dim")))
                break
            label = Text(_dump(key), style=_KEY) + Text(": ") if isinstance(node, dict) else Text()
            walk(child, parts + [key], depth + 1, label, "," if i < len(items) - 1 else "")
        out.append((None, Text(pad + closing + comma)))

    walk(value, [], 0, Text(), "")
    return out


def _anchor(path: str, paths: set[str]) -> str | None:
    """The line a path is shown on: itself, else its nearest enclosing path that has a line."""
    if path in paths:
        return path
    best = None
    for candidate in paths:
        if path.startswith(candidate) and path[len(candidate):len(candidate) + 1] in (".", "[") and (
                best is None or len(candidate) > len(best)):
            best = candidate
    return best


def json_text(value: Any, marks: Mapping[str, list[str]] | None = None) -> Text:
    """Pretty JSON; lines a mark points at get a red background and the marks' messages."""
    lines = json_lines(value)
    inline: dict[str, list[str]] = {}  # about the value on this line
    below: dict[str, list[str]] = {}  # about a key missing from the object opened on this line
    paths = {p for p, _ in lines if p is not None}
    for path, messages in (marks or {}).items():
        anchor = _anchor(path, paths) or "$"
        (inline if anchor == path else below).setdefault(anchor, []).extend(messages)
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
