"""The Markdown report: a summary to paste into a ticket or a merge request. Totals, a table of
sessions, then per session its lane picture (in a code block, so it keeps its columns) and its
findings, and at the end the rules that fired with how to fix them.

Wire strings are made printable by `literal`, then every character Markdown or embedded HTML
could act on is backslash-escaped, so a media name like `<script>` or `[x](y)` is just text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ... import __version__
from ...core.findings import Registry
from .lanes import lane_axis, lane_rows
from .summary import (FINDING_COLUMNS, RULE_COLUMNS, SESSION_COLUMNS, Group, Result, counts_phrase,
                      finding_cells, groups, rules_fired, session_cells, totals)

LANE_WIDTH = 60
_ACTIVE_CHARS = re.compile(r"([\\`*_\[\]<>|&~$])")


def escape(text: str) -> str:
    """Backslash-escape the characters that start Markdown/GFM syntax or raw HTML inside a line."""
    return _ACTIVE_CHARS.sub(r"\\\1", text)


def render(result: Result, *, rules: Registry) -> str:
    all_groups = groups(result)
    sessions = len(result.sessions)
    out = [
        "# playhead report",
        "",
        f"playhead {__version__}: {sessions} session{'' if sessions == 1 else 's'}, "
        f"{result.calls} call{'' if result.calls == 1 else 's'}, **{counts_phrase(totals(result))}**",
        "",
        "## Sessions",
        "",
        *_table(SESSION_COLUMNS, [session_cells(g) for g in all_groups], numeric=(4, 5, 7, 8, 9)),
    ]
    for number, group in enumerate(all_groups, 1):
        out += ["", *_group_section(number, group)]
    fired = rules_fired(result, rules)
    if fired:
        out += ["", "## Rules that fired", "", *_table(RULE_COLUMNS, fired, numeric=(3,))]
    return "\n".join(out) + "\n"


def _group_section(number: int, group: Group) -> list[str]:
    cells = session_cells(group)
    if group.sid is None:
        lines = ["## Capture: findings about no session", ""]
    else:
        lines = [f"## {number}. Session {escape(cells[0])}", ""]
    if group.session is not None:
        media = ", ".join(f"{col} {escape(cell)}" for col, cell in zip(SESSION_COLUMNS[1:5], cells[1:5]))
        closed = f"closed by {cells[6]}" if group.session.closed_by else cells[6]
        counts = counts_phrase(group.counts())
        lines += [f"{media}; {cells[5]} calls; {escape(closed)}; {counts}", ""]
        lines += ["```text", *_lanes(group), "```", ""]
    if group.findings:
        lines += _table(FINDING_COLUMNS, [finding_cells(f) for f in group.worst_first()], numeric=(0,))
    else:
        lines.append("No findings.")
    return lines


def _lanes(group: Group) -> list[str]:
    rows = lane_rows(group.session, LANE_WIDTH)
    pad = max(len(kind) for kind, _ in rows)
    return [f"{kind:<{pad}} │{row}│" for kind, row in rows] + [
        " " * (pad + 2) + lane_axis(group.session, LANE_WIDTH)
    ]


def _table(columns: Sequence[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> list[str]:
    align = ["---:" if i in numeric else "---" for i in range(len(columns))]
    lines = [f"| {' | '.join(columns)} |", f"| {' | '.join(align)} |"]
    lines += [f"| {' | '.join(escape(cell) for cell in row)} |" for row in rows]
    return lines
