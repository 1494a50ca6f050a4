"""Report writers: render the engine's result (sessions, findings, call count) as text, JSON
(the SPEC §7 contract), JUnit XML, Markdown or HTML, and write report files safely.

Reports hold visitor ids, so files are created readable by the owner only, and they are written
atomically (a temporary file renamed over the target) so a crash never leaves half a report.
"""

from __future__ import annotations

import importlib
import os
import secrets
from pathlib import Path

from ...core.findings import REGISTRY, Registry
from .summary import Result

_MODULES = {"text": "text", "json": "json_report", "junit": "junit", "markdown": "markdown", "html": "html"}
FORMATS = tuple(_MODULES)
_BY_SUFFIX = {".json": "json", ".xml": "junit", ".md": "markdown", ".html": "html", ".htm": "html"}
FILE_MODE = 0o600


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
    """Write the report to `path` (format from its extension unless `fmt` is given), owner-only
    (created 0600, which a umask can only narrow) and atomically. Returns the format written.
    Raises OSError when it cannot be written; the target is then left as it was."""
    fmt = fmt or format_for_path(path)
    data = render(result, fmt, rules=rules).encode("utf-8")
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return fmt
