"""Report writers: render the engine's result (sessions, findings, call count) as text, JSON
(the SPEC §7 contract), JUnit XML, Markdown or HTML, and write report files safely.

Reports hold visitor ids, so files are created readable by the owner only, and they are written
atomically (a temporary file renamed over the target) so a crash never leaves half a report;
`/dev/null`, `/dev/stdout` and FIFOs are written into as they are (io/output.py).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from ...core.findings import REGISTRY, Registry
from ..output import write_output
from .summary import Result

_MODULES = {"text": "text", "json": "json_report", "junit": "junit", "markdown": "markdown", "html": "html"}
FORMATS = tuple(_MODULES)
_BY_SUFFIX = {".json": "json", ".xml": "junit", ".md": "markdown", ".html": "html", ".htm": "html"}


def render(result: Result, fmt: str, *, color: bool = False, rules: Registry = REGISTRY) -> str:
    """The report as text. `color` adds ANSI colours and only applies to the text format.
    Each format's module is imported when asked for: `check` writes one format, not five."""
    if fmt not in _MODULES:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    if fmt == "text":
        return module.render(result, rules=rules, color=color)
    if fmt == "json":
        return module.render(result)
    return module.render(result, rules=rules)


def format_for_path(path: str | os.PathLike[str]) -> str:
    """The format a file name asks for: .json, .xml (JUnit), .md, .html/.htm, anything else text."""
    return _BY_SUFFIX.get(Path(path).suffix.lower(), "text")


def write_report(
    result: Result,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    rules: Registry = REGISTRY,
) -> str:
    """Write the report to `path` (format from its extension unless `fmt` is given): into a
    device or FIFO as it is, else owner-only and atomically (io/output.py). Returns the format
    written. Raises OutputError (an OSError, one line naming the path) when it cannot be
    written; the target is then left as it was."""
    fmt = fmt or format_for_path(path)
    write_output(path, render(result, fmt, rules=rules).encode("utf-8"))
    return fmt
