"""The text report (the default on a terminal): one block per session, errors first, each finding
on one line with the rule's fix hint under its first occurrence in the session.

Every wire string goes through `literal`, so a payload cannot drive the terminal; colour, when
asked for, comes only from the fixed codes below.
"""

from __future__ import annotations

from ...core.findings import Finding, Registry, Severity
from .safe import literal, show
from .checklists import results_of, text_lines
from .summary import Group, Result, counts_phrase, fix_of, groups, metric_rows, protocol_label, totals

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_SEVERITY_COLOUR = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFO: "\x1b[36m",
}


class _Paint:
    """Wraps text in ANSI codes when colour is on, and is the identity when it is off."""

    def __init__(self, color: bool):
        self.color = color

    def __call__(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.color else text


def render(result: Result, *, rules: Registry, color: bool = False) -> str:
    paint = _Paint(color)
    lines: list[str] = []
    for group in groups(result):
        lines += _group_lines(group, rules, paint)
        lines.append("")
    checklists = results_of(result)
    if checklists:
        lines += [*text_lines(checklists), ""]
    lines.append(_summary_line(result, paint))
    return "\n".join(lines) + "\n"


def _group_lines(group: Group, rules: Registry, paint: _Paint) -> list[str]:
    lines = [_header(group, paint)]
    if group.session is not None:
        lines.append("  " + paint(_DIM, "metrics (playhead's computation): " + ", ".join(
            f"{label} {value}" for label, value in metric_rows(group.session))))
    if not group.findings:
        lines.append("  no findings")
    hinted: set[str] = set()
    for finding in group.worst_first():
        lines.append("  " + _finding_line(finding, paint))
        fix = fix_of(rules, finding.rule)
        if fix and finding.rule not in hinted:
            hinted.add(finding.rule)
            lines.append("      " + paint(_DIM, f"fix: {fix}"))
    return lines


def _header(group: Group, paint: _Paint) -> str:
    counts = counts_phrase(group.counts())
    if group.sid is None:
        return f"{paint(_BOLD, 'capture')} (findings about no session)  {counts}"
    title = paint(_BOLD, f"session {literal(group.sid)}")
    session = group.session
    if session is None:
        return f"{title}  (no session kept for this id)  {counts}"
    media = session.media
    parts = [title, f"media {show(media['id'])}"]
    if media["name"] is not None:
        parts[-1] += f' "{show(media["name"])}"'
    parts += [
        f"{session.calls} call{'' if session.calls == 1 else 's'}",
        f"closed by {session.closed_by}" if session.closed_by else "not closed",
        counts,
        f"[{protocol_label(session)}]",
    ]
    return "  ".join(parts)


def _finding_line(finding: Finding, paint: _Paint) -> str:
    call = "-" if finding.call is None else str(finding.call)
    severity = paint(_SEVERITY_COLOUR[finding.severity], f"{finding.severity.label:<7}")
    return (
        f"call {call:>3} {show(finding.event_type):<16} {severity}  "
        f"{literal(finding.rule)}  {literal(finding.message)}"
    )


def _summary_line(result: Result, paint: _Paint) -> str:
    count = totals(result)
    sessions = len(result.sessions)
    text = (
        f"{sessions} session{'' if sessions == 1 else 's'}, "
        f"{result.calls} call{'' if result.calls == 1 else 's'}: {counts_phrase(count)}"
    )
    worst = next((s for s in (Severity.ERROR, Severity.WARNING) if count[s]), None)
    return paint(_SEVERITY_COLOUR[worst], text) if worst else text
