"""The Markdown report: a summary to paste into a ticket or a merge request. Totals, a table of
sessions named by media and linking to their sections, then per session (headed by media name,
protocol and short sid) the metrics Adobe would compute, its lane picture (in a code block, so it
keeps its columns) and its findings with their time in the session, and at the end the rules
that fired with how to fix them.

Wire strings are made printable by `literal`, then every character Markdown or embedded HTML
could act on is backslash-escaped, so a media name like `<script>` or `[x](y)` is just text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ... import __version__
from ...core.findings import Registry
from .lanes import lane_axis, lane_rows
from .safe import literal, show
from .summary import (FINDING_COLUMNS, METRICS_HEADING, RULE_COLUMNS, SUMMARY_COLUMNS, SUMMARY_NUMERIC, Group,
                      Result, counts_phrase, finding_cells, groups, media_name, metric_rows, rules_fired,
                      section_id, session_title, short_sid, summary_facts, totals)

LANE_WIDTH = 60
_ACTIVE_CHARS = re.compile(r"([\\`*_\[\]<>|&~$])")


def escape(text: str) -> str:
    """Backslash-escape the characters that start Markdown/GFM syntax or raw HTML inside a line."""
    return _ACTIVE_CHARS.sub(r"\\\1", text)


def render(result: Result, *, rules: Registry) -> str:
    all_groups = groups(result)
    sessions = len(result.sessions)
    summary = []
    for number, group in enumerate(all_groups, 1):
        link = f"[{escape(media_name(group))}](#{section_id(number)})"
        if group.sid is not None:
            link += f" {escape(short_sid(group.sid))}"
        summary.append([str(number), link, *(escape(f) for f in summary_facts(group))])
    out = [
        "# playhead report",
        "",
        f"playhead {__version__}: {sessions} session{'' if sessions == 1 else 's'}, "
        f"{result.calls} call{'' if result.calls == 1 else 's'}, **{counts_phrase(totals(result))}**",
        "",
        "## Sessions",
        "",
        *_table(SUMMARY_COLUMNS, summary, numeric=SUMMARY_NUMERIC),
    ]
    for number, group in enumerate(all_groups, 1):
        out += ["", *_group_section(number, group)]
    fired = rules_fired(result, rules)
    if fired:
        out += ["", "## Rules that fired", "",
                *_table(RULE_COLUMNS, [[escape(c) for c in row] for row in fired], numeric=(3,))]
    return "\n".join(out) + "\n"


def _group_section(number: int, group: Group) -> list[str]:
    """A section headed by the session's media name, protocol and short sid; the fixed anchor
    before it is what the summary links to (heading slugs would depend on wire text)."""
    lines = [f'<a id="{section_id(number)}"></a>', "", f"## {number}. {escape(session_title(group))}", ""]
    session = group.session
    if group.sid is not None:
        lines += [f"session {escape(literal(group.sid))}", ""]
    if session is not None:
        media = session.media
        closed = f"closed by {session.closed_by}" if session.closed_by else "not closed"
        lines += [f"media id {escape(show(media['id']))}; content type {escape(show(media['contentType']))}; "
                  f"length {escape(show(media['length']))}; {session.calls} calls; {closed}; "
                  f"{counts_phrase(group.counts())}", ""]
        lines += [f"**{METRICS_HEADING}**", "",
                  *_table(("metric", "value"), metric_rows(session), numeric=(1,)), ""]
        lines += ["```text", *_lanes(group), "```", ""]
    if group.findings:
        lines += _table(FINDING_COLUMNS, [[escape(c) for c in finding_cells(f, session)]
                                          for f in group.worst_first()], numeric=(1,))
    else:
        lines.append("No findings.")
    return lines


def _lanes(group: Group) -> list[str]:
    assert group.session is not None
    rows = lane_rows(group.session, LANE_WIDTH)
    pad = max(len(kind) for kind, _ in rows)
    return [f"{kind:<{pad}} │{row}│" for kind, row in rows] + [
        " " * (pad + 2) + lane_axis(group.session, LANE_WIDTH)
    ]


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]], numeric: tuple[int, ...] = ()) -> list[str]:
    """A GFM table of cells already escaped."""
    align = ["---:" if i in numeric else "---" for i in range(len(columns))]
    lines = [f"| {' | '.join(columns)} |", f"| {' | '.join(align)} |"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return lines
