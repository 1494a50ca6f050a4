"""The HTML report (SPEC §7): what a QA engineer attaches to a bug ticket. One self-contained page
(inline CSS, no scripts, no external resources) that reads at any width: tables wrap their cells
instead of growing past the page, long sids are shortened (the full one in a selectable `<code>`
and on hover), and a summary links to a section per session, headed by its media name and
protocol. Each finding says when in the session it happened, what it means for Adobe's reports
and how to fix it, and shows the body of the call it points at with the path marked. Each session
shows the metrics Adobe would compute from it (core/metrics.py) and its lane picture.

Every string, wire or not, is written through `html.escape` (after `literal` for wire strings), so
a payload carrying `<script>` is shown, never run.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ... import __version__
from ...core.findings import Finding, Registry
from ..body import BodyView, body_view
from .checklists import STEP_COLUMNS, results_of, step_rows
from .lanes import IDLE, MARKS, PING, lane_axis, lane_rows
from .safe import literal, show
from .summary import (METRICS_HEADING, RULE_COLUMNS, SEVERITIES, SUMMARY_COLUMNS, SUMMARY_NUMERIC, Group,
                      Result, counts_phrase, groups, media_name, metric_rows, protocol_label, rules_fired,
                      section_id, session_title, short_sid, summary_facts, time_in_session, totals)

LANE_WIDTH = 60

_CSS = """
body { font-family: system-ui, sans-serif; color: #1b1b1b; line-height: 1.4; margin: 0 auto;
       padding: 1em 1.5em; max-width: 80em; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
td.name { overflow-wrap: anywhere; }
@media (max-width: 40em) { th, td { overflow-wrap: anywhere; } }
td.num, th.num { text-align: right; }
tr.error td { background: #fde8e8; } tr.warning td { background: #fff6dc; }
code { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
code.sid { user-select: all; }
h2 .protocol { font-size: 0.7em; font-weight: normal; color: #555; }
section.session { border-top: 2px solid #ddd; margin-top: 2em; }
p.meta { color: #444; overflow-wrap: anywhere; }
.metrics { background: #f3f7fb; border: 1px solid #cfdbe8; padding: 0.3em 0.8em; margin: 0.8em 0; }
.metrics h3 { margin: 0.3em 0; font-size: 1em; }
.metrics dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(18em, 1fr)); gap: 0.1em 1.5em;
              margin: 0.3em 0; }
.metrics dl div { display: flex; justify-content: space-between; gap: 0.5em; }
.metrics dt { color: #444; }
.metrics dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: bold; white-space: nowrap; }
pre { overflow-x: auto; max-width: 100%; }
pre.lanes { background: #f6f6f6; padding: 0.6em; line-height: 1.15; }
.lane-content { color: #2e7d32; } .lane-ad-break { color: #ef6c00; } .lane-ad { color: #c62828; }
.lane-chapter { color: #1565c0; } .lane-pause { color: #757575; } .lane-buffer { color: #6a1b9a; }
.lane-pings { color: #455a64; } .mark-error { color: #c62828; font-weight: bold; }
.mark-warning { color: #b26a00; font-weight: bold; }
ol.findings { padding-left: 0; list-style: none; }
li.finding { border-left: 4px solid #999; padding: 0.2em 0.8em; margin: 0.8em 0; background: #fafafa; }
li.finding.error { border-color: #c62828; } li.finding.warning { border-color: #e0a100; }
li.finding p { margin: 0.25em 0; overflow-wrap: anywhere; }
.sev { font-weight: bold; text-transform: uppercase; font-size: 0.85em; }
li.error .sev { color: #c62828; } li.warning .sev { color: #9a6700; } li.info .sev { color: #1565c0; }
li.finding dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1em 0.8em; margin: 0.3em 0; }
li.finding dt { color: #555; } li.finding dd { margin: 0; overflow-wrap: anywhere; }
pre.body { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; border: 1px solid #ddd;
           padding: 0.4em; font-size: 0.85em; }
pre.body mark { background: #ffd6d6; outline: 1px solid #c62828; }
pre.body .k { color: #1a4fa0; } pre.body .s { color: #2e7d32; } pre.body .n { color: #00838f; }
pre.body .l { color: #8e24aa; } pre.body .cut { color: #777; font-style: italic; }
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
        '<h2 id="summary">Sessions</h2>',
        _summary(all_groups),
    ]
    for number, group in enumerate(all_groups, 1):
        body += _section(number, group, rules)
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
            body.append(_table(STEP_COLUMNS[1:], [[_e(cell) for cell in r[1:]] for r in rows],
                               row_classes=[{"failed": "error", "incomplete": "warning"}.get(r[3], "") for r in rows]))
    fired = rules_fired(result, rules)
    if fired:
        body += ['<h2 id="rules">Rules that fired</h2>',
                 _table(RULE_COLUMNS, [[_e(cell) for cell in row] for row in fired], numeric=(3,))]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>playhead report</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


# -- the summary --------------------------------------------------------------------------------

def _summary(all_groups: list[Group]) -> str:
    """One row per section, each naming its session by media and linking to it."""
    rows, classes = [], []
    for number, group in enumerate(all_groups, 1):
        link = f'<a href="#{section_id(number)}">{_e(media_name(group))}</a>'
        if group.sid is not None:
            link += f' <code title="{_e(literal(group.sid))}">{_e(short_sid(group.sid))}</code>'
        rows.append([str(number), link, *(_e(f) for f in summary_facts(group))])
        classes.append(next((s.label for s in SEVERITIES[:2] if group.count(s)), ""))
    return _table(SUMMARY_COLUMNS, rows, numeric=SUMMARY_NUMERIC, row_classes=classes, names=(1,))


# -- a session's section ------------------------------------------------------------------------

def _section(number: int, group: Group, rules: Registry) -> list[str]:
    out = [f'<section class="session" id="{section_id(number)}">']
    session = group.session
    if session is None:
        out.append(f"<h2>{number}. {_e(session_title(group))}</h2>")
        if group.sid is not None:
            out.append(f'<p class="meta">session <code class="sid">{_e(literal(group.sid))}</code></p>')
    else:
        out.append(f'<h2>{number}. {_e(media_name(group))} <span class="protocol">{_e(protocol_label(session))}'
                   f' · <code title="{_e(literal(group.sid or ""))}">{_e(short_sid(group.sid or ""))}</code>'
                   "</span></h2>")
        media = session.media
        facts = [f'session <code class="sid" title="click to select">{_e(literal(session.sid))}</code>',
                 f"media id {_e(show(media['id']))}", f"content type {_e(show(media['contentType']))}",
                 f"length {_e(show(media['length']))}", f"{session.calls} calls",
                 _e(f"closed by {session.closed_by}" if session.closed_by else "not closed"),
                 _e(counts_phrase(group.counts())), '<a href="#summary">back to the summary</a>']
        out.append(f'<p class="meta">{" · ".join(facts)}</p>')
        out.append(_metrics(group))
        out.append(_lanes(group))
    if group.findings:
        out.append("<h3>Findings</h3>")
        out.append('<ol class="findings">')
        out += [_finding(f, group, rules) for f in group.worst_first()]
        out.append("</ol>")
    else:
        out.append("<p>No findings.</p>")
    out.append("</section>")
    return out


def _metrics(group: Group) -> str:
    assert group.session is not None
    items = "".join(f"<div><dt>{_e(label)}</dt><dd>{_e(value)}</dd></div>"
                    for label, value in metric_rows(group.session))
    return f'<div class="metrics"><h3>{_e(METRICS_HEADING)}</h3><dl>{items}</dl></div>'


def _finding(finding: Finding, group: Group, rules: Registry) -> str:
    sev = finding.severity.label
    where = [f"at <time>{_e(time_in_session(finding.ts, group.session))}</time>"]
    if finding.call is not None:
        where.append(f"call {finding.call}")
    if finding.event_type is not None:
        where.append(_e(show(finding.event_type)))
    parts = [f'<li class="finding {sev}">',
             f'<p><span class="sev">{sev}</span> <code>{_e(literal(finding.rule))}</code> · {" · ".join(where)}</p>',
             f"<p>{_e(literal(finding.message))}</p>"]
    rule = rules[finding.rule] if finding.rule in rules else None
    facts = [] if rule is None else [("impact", rule.impact), ("fix", rule.fix)]
    if finding.path is not None:
        facts.append(("path", finding.path))
    if facts:
        parts.append("<dl>" + "".join(f"<dt>{k}</dt><dd>{_e(literal(v))}</dd>" for k, v in facts) + "</dl>")
    entry = group.session.entry(finding.call) if group.session is not None and finding.call is not None else None
    if finding.call is not None and group.session is not None:
        view = body_view(entry, finding.path)
        opened = " open" if finding.severity is SEVERITIES[0] else ""
        marked = f" with {_e(literal(finding.path))} marked" if finding.path and view.marked else ""
        parts.append(f"<details{opened}><summary>body of call {finding.call}{marked}</summary>"
                     f"{_body(view)}</details>")
    parts.append("</li>")
    return "".join(parts)


_ROW_CLASS = {"string": "s", "number": "n", "literal": "l"}


def _body(view: BodyView) -> str:
    """The body's lines as the view chose them: keys and values coloured, the marked line in a
    <mark>, cut lines and left-out stretches said in grey."""
    if view.note is not None:
        return f'<p class="meta">{_e(view.note)}</p>'
    lines = [f'<span class="cut">{_e(view.cut_before)}</span>'] if view.cut_before else []
    for line in view.lines:
        if line.row is None:
            text = _e(line.text)
        else:
            row = line.row
            text = "  " * row.depth
            if row.key is not None:
                text += f'<span class="k">{_e(row.key)}</span>: '
            css = _ROW_CLASS.get(row.kind)
            value = _e(line.text)
            text += f'<span class="{css}">{value}</span>' if css else value
            text += row.comma
        if line.clipped:
            text += f'<span class="cut"> {_e(line.clipped)}</span>'
        lines.append(f"<mark>{text}</mark>" if line.marked else text)
    if view.cut_after:
        lines.append(f'<span class="cut">{_e(view.cut_after)}</span>')
    return '<pre class="body">' + "\n".join(lines) + "</pre>"


def _lanes(group: Group) -> str:
    assert group.session is not None
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
           row_classes: Sequence[str] | None = None, names: tuple[int, ...] = ()) -> str:
    """A table of cells already escaped (or built of escaped parts). Cells wrap between words; a
    `names` column (wire text that may have no space at all) wraps anywhere, so it gives way
    before the others do."""
    head = "".join(f'<th class="num">{_e(c)}</th>' if j in numeric else f"<th>{_e(c)}</th>"
                   for j, c in enumerate(columns))
    lines = [f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>"]
    for i, row in enumerate(rows):
        css = f' class="{_e(row_classes[i])}"' if row_classes and row_classes[i] else ""
        tds = "".join(f'<td class="num">{c}</td>' if j in numeric else
                      f'<td class="name">{c}</td>' if j in names else f"<td>{c}</td>" for j, c in enumerate(row))
        lines.append(f"<tr{css}>{tds}</tr>")
    return "\n".join(lines) + "\n</tbody>\n</table>"
