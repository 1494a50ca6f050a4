"""A body as pretty-printed JSON rows that know their JSON path, for every view that shows a call's
body with what a finding points at marked in place: the dashboard's call detail (tui/jsonview.py)
and the HTML report. Each view only styles the rows; walking, bounding and escaping are here once.

Paths are written by the same `json_path` the schema checks use, so `$.params['media.id']` in a
finding and in a row are the same string. Every key and value is dumped as JSON and made printable
with `literal`: a body can neither drive a terminal nor carry markup into a page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..core.schemas import json_path
from .reports.safe import literal

MAX_LINES = 4000
MAX_DEPTH = 64

# Row kinds: a scalar's JSON type, or the structure around values.
STRING, NUMBER, LITERAL, OTHER = "string", "number", "literal", "other"
OPEN, CLOSE, MORE = "open", "close", "more"


@dataclass(frozen=True, slots=True)
class Row:
    path: str | None  # the value's JSON path; None for closing brackets and "… more" rows
    depth: int  # indentation level
    key: str | None  # the member's key as printable JSON text, inside an object
    text: str  # the scalar as printable JSON, an opening or closing bracket, or "… N more"
    kind: str
    comma: str = ""


def dump(value: Any) -> str:
    try:
        return literal(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return literal(repr(value))


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return STRING
    if isinstance(value, bool) or value is None:
        return LITERAL
    return NUMBER if isinstance(value, (int, float)) else OTHER


def json_rows(value: Any, max_lines: int = MAX_LINES) -> list[Row]:
    """The rows of the pretty-printed value; an object or array past `max_lines` rows ends with a
    MORE row saying how many of its members were left out."""
    out: list[Row] = []

    def walk(node: Any, parts: list[str | int], depth: int, key: str | None, comma: str) -> None:
        path = json_path(parts)
        if not (isinstance(node, (dict, list)) and node) or depth >= MAX_DEPTH:
            out.append(Row(path, depth, key, dump(node), _kind(node), comma))
            return
        opening, closing = ("{", "}") if isinstance(node, dict) else ("[", "]")
        out.append(Row(path, depth, key, opening, OPEN))
        items: Iterable[tuple[str | int, Any]] = node.items() if isinstance(node, dict) else enumerate(node)
        items = list(items)
        for i, (name, child) in enumerate(items):
            if len(out) >= max_lines:
                out.append(Row(None, depth + 1, None, f"… {len(items) - i} more", MORE))
                break
            walk(child, parts + [name], depth + 1, dump(name) if isinstance(node, dict) else None,
                 "," if i < len(items) - 1 else "")
        out.append(Row(None, depth, None, closing, CLOSE, comma))

    walk(value, [], 0, None, "")
    return out


def anchor(path: str, paths: set[str]) -> str | None:
    """The row a path is shown on: itself, else its nearest enclosing path that has a row (a
    finding about a missing key marks the object the key belongs in)."""
    if path in paths:
        return path
    best = None
    for candidate in paths:
        if path.startswith(candidate) and path[len(candidate):len(candidate) + 1] in (".", "[") and (
                best is None or len(candidate) > len(best)):
            best = candidate
    return best
