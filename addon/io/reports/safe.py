"""Wire strings made safe to show: every report, the console and the dashboard print sids, media
names and messages that a device under test chose, so a payload must never move the cursor, recolour
a terminal, break a table line or make an XML file unparseable. `literal` keeps every character
visible instead of dropping it, so nothing the device sent is lost from view."""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls (ESC, BEL, NUL, newlines ...) and, beyond them: DEL and C1 controls (CSI U+009B acts
# like ESC [ on some terminals), the bidirectional overrides that reorder text on screen, the line
# and paragraph separators, the two non-characters XML forbids, and lone surrogates (no encoder
# accepts them). JSON escapes C0 itself, so the JSON report only needs the second set.
_BEYOND_C0 = "\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff"
UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
UNSAFE_BEYOND_C0 = re.compile(f"[{_BEYOND_C0}]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def literal(text: str) -> str:
    """`text` with every control or reordering character replaced by a visible escape (`\\x1b`).

    Printable text, including Rich markup such as `[bold red]`, is left as is: markup only means
    something to a renderer that parses it, and callers that use Rich must pass the result as
    plain text (rich.text.Text), never as markup.
    """
    return UNSAFE.sub(_escape, text)


def show(value: Any, missing: str = "-") -> str:
    """Any value from a parsed body (string, number, object, null) as one printable line."""
    if value is None:
        return missing
    if isinstance(value, str):
        return literal(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # not JSON data, or nested beyond reason
        text = f"<{type(value).__name__}>"
    return literal(text)
