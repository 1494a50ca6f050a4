"""The HTML report: the Markdown report's content as one self-contained page (inline CSS, no
scripts, no external resources) that can be mailed or attached to a ticket and opened anywhere.

Every string, wire or not, is written through `html.escape` (after `literal` for wire strings), so
a payload carrying `<script>` is shown, never run.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ... import __version__
from ...core.findings import Registry
from .checklists import STEP_COLUMNS, results_of, step_rows
from .safe import literal
from .lanes import IDLE, MARKS, PING, lane_axis, lane_rows
from .summary import (FINDING_COLUMNS, RULE_COLUMNS, SESSION_COLUMNS, Group, Result, counts_phrase,
                      finding_cells, groups, rules_fired, session_cells, totals)

LANE_WIDTH = 60

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #1b1b1b; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; }
tr.error td { background: #fde8e8; }
tr.warning td { background: #fff6dc; }
pre.lanes { background: #f6f6f6; padding: 0.6em; line-height: 1.15; }
.lane-content { color: #2e7d32; } .lane-ad-break { color: #ef6c00; } .lane-ad { color: #c62828; }
.lane-chapter { color: #1565c0; } .lane-pause { color: #757575; } .lane-buffer { color: #6a1b9a; }
.lane-pings { color: #455a64; } .mark-error { color: #c62828; font-weight: bold; }
.mark-warning { color: #b26a00; font-weight: bold; }
code { font-family: ui-monospace, monospace; }
"""
_MARK_CLASS = {mark: f"mark-{severity.label}" for severity, mark in MARKS.items()}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def render(result: Result, *, rules: Registry) -> str:
    all_groups = groups(result)
    sessions = len(result.sessions)
    body = [
        "<h1>playhead report</h1>",
        f"<p>playhead {_e(__version__)}: {sessions} session{'' if sessions == 1 else 's'}, "
        f"{result.calls} call{'' if result.calls == 1 else 's'}, "
        f"<strong>{_e(counts_phrase(totals(result)))}</strong></p>",
        "<h2>Sessions</h2>",
        _table(SESSION_COLUMNS, [session_cells(g) for g in all_groups], numeric=(4, 5, 7, 8, 9)),
    ]
    for number, group in enumerate(all_groups, 1):
        body += _group_section(number, group)
    checklists = results_of(result)
    if checklists:
        body.append("<h2>Checklists</h2>")
        for checklist in checklists:
            c = checklist.checklist
            source = _e(literal(c.source))
            if c.source.startswith(("https://", "http://")):  # a team's file may say anything
                source = f'<a href="{source}">{source}</a>'
            body.append(f"<h3>{_e(literal(c.title))}: {_e(checklist.status)}</h3>\n<p>source: {source}</p>")
            rows = step_rows(checklist)
            body.append(_table(STEP_COLUMNS[1:], [r[1:] for r in rows],
                               row_classes=[{"failed": "error", "incomplete": "warning"}.get(r[3], "") for r in rows]))
    fired = rules_fired(result, rules)
    if fired:
        body += ["<h2>Rules that fired</h2>", _table(RULE_COLUMNS, fired, numeric=(3,))]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>playhead report</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _group_section(number: int, group: Group) -> list[str]:
    cells = session_cells(group)
    if group.sid is None:
        out = ["<h2>Capture: findings about no session</h2>"]
    else:
        out = [f"<h2>{number}. Session <code>{_e(cells[0])}</code></h2>"]
    if group.session is not None:
        media = ", ".join(f"{col} {_e(cell)}" for col, cell in zip(SESSION_COLUMNS[1:5], cells[1:5]))
        closed = f"closed by {cells[6]}" if group.session.closed_by else cells[6]
        counts = _e(counts_phrase(group.counts()))
        out.append(f"<p>{media}; {cells[5]} calls; {_e(closed)}; {counts}</p>")
        out.append(_lanes(group))
    if group.findings:
        ordered = group.worst_first()
        out.append(_table(FINDING_COLUMNS, [finding_cells(f) for f in ordered], numeric=(0,),
                          row_classes=[f.severity.label for f in ordered]))
    else:
        out.append("<p>No findings.</p>")
    return out


def _lanes(group: Group) -> str:
    rows = lane_rows(group.session, LANE_WIDTH)
    pad = max(len(kind) for kind, _ in rows)
    lines = [f"{_e(kind.ljust(pad))} │{_colour_row(kind, row)}│" for kind, row in rows]
    lines.append(" " * (pad + 2) + _e(lane_axis(group.session, LANE_WIDTH)))
    return '<pre class="lanes">' + "\n".join(lines) + "</pre>"


def _colour_row(kind: str, row: str) -> str:
    """Wraps each run of equal non-idle cells in a span whose class gives it the lane's colour."""
    out, start = [], 0
    while start < len(row):
        end = start
        while end < len(row) and row[end] == row[start]:
            end += 1
        run, char = _e(row[start:end]), row[start]
        if char == IDLE:
            out.append(run)
        else:
            css = _MARK_CLASS.get(char, "lane-pings" if char == PING else f"lane-{kind}")
            out.append(f'<span class="{css}">{run}</span>')
        start = end
    return "".join(out)


def _table(columns: Sequence[str], rows: list[list[str]], numeric: tuple[int, ...] = (),
           row_classes: Sequence[str] | None = None) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    lines = [f"<table>\n<tr>{head}</tr>"]
    for i, row in enumerate(rows):
        css = f' class="{_e(row_classes[i])}"' if row_classes else ""
        tds = "".join(
            f'<td class="num">{_e(c)}</td>' if j in numeric else f"<td>{_e(c)}</td>"
            for j, c in enumerate(row)
        )
        lines.append(f"<tr{css}>{tds}</tr>")
    return "\n".join(lines) + "\n</table>"
