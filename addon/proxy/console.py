"""One line per finding, as it happens: the headless console and mitmproxy's log both use it.

Session ids, event types and messages come from the wire, so they pass through `literal`: a
payload cannot move the cursor or recolour the terminal. Colour comes only from the fixed codes
below, and only when asked for.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

from ..core.findings import Finding, Severity
from ..io.reports.safe import literal

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_COLOUR = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
SHORT_SID = 12


def short_sid(sid: str | None) -> str:
    if sid is None:
        return "-"
    text = literal(sid)
    return text if len(text) <= SHORT_SID else text[:SHORT_SID] + "…"


def finding_text(finding: Finding) -> str:
    """`error ad-outside-break session 3f2a91c0ab12… call 7 adStart: <message>` (no colour)."""
    where = f"session {short_sid(finding.session)}"
    if finding.call is not None:
        where += f" call {finding.call}"
    if finding.event_type is not None:
        where += f" {literal(finding.event_type)}"
    path = f" at {literal(finding.path)}" if finding.path else ""
    return f"{finding.severity.label} {literal(finding.rule)} {where}: {literal(finding.message)}{path}"


class FindingPrinter:
    """Prints findings to a stream, one line each with the wall-clock time; safe from any thread."""

    def __init__(self, out: TextIO, color: bool) -> None:
        self.out = out
        self.color = color
        self._lock = threading.Lock()

    def line(self, finding: Finding) -> str:
        stamp = time.strftime("%H:%M:%S")
        text = finding_text(finding)
        if not self.color:
            return f"{stamp} {text}"
        label = finding.severity.label
        return f"{_DIM}{stamp}{_RESET} {_COLOUR[finding.severity]}{label}{_RESET}{text[len(label):]}"

    def print(self, findings: list[Finding]) -> None:
        if not findings:
            return
        lines = "".join(self.line(f) + "\n" for f in findings)
        with self._lock:
            self.out.write(lines)
            self.out.flush()
