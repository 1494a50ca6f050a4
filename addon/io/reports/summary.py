"""What every report format shows, computed once: findings grouped by session in a stable order,
counts per severity, and the rule facts (family, fix) looked up in the registry.

The engine's `findings` list is the authority: it also holds findings that belong to no session
(a sessionStart rejected before any sid existed), and those must be listed and counted too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ...core.findings import Finding, Registry, Severity
from ...core.metrics import METRIC_LABELS, Metric, session_metrics
from ...core.model import Session
from ...core.protocols import by_name
from .safe import literal, show

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)  # the order reports list them in
UNREGISTERED_FAMILY = "other"


class Result(Protocol):
    """What a report renders: the engine's tracker after a run, or anything shaped like it."""

    sessions: Mapping[str, Session]
    findings: Sequence[Finding]
    calls: int


@dataclass(frozen=True, slots=True)
class Group:
    """The findings of one session, or of the capture itself when `sid` is None.

    `session` is None for the capture group and for a sid that findings name but the engine did
    not keep a session for (nothing is dropped because the two disagree).
    """

    sid: str | None
    session: Session | None
    findings: tuple[Finding, ...]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def counts(self) -> dict[Severity, int]:
        return {s: self.count(s) for s in SEVERITIES}

    def worst_first(self) -> list[Finding]:
        """Errors, then warnings, then info; the stable order within each severity."""
        return sorted(self.findings, key=lambda f: -f.severity)


def groups(result: Result) -> list[Group]:
    """One group per session in order of appearance (also those without findings), then one per
    sid known only from findings, then the capture group if any finding has no session.

    Within a group, findings are ordered by call index (findings about no call last), then by
    emission order.
    """
    by_sid: dict[str | None, list[tuple[int, Finding]]] = {}
    for emitted, finding in enumerate(result.findings):
        by_sid.setdefault(finding.session, []).append((emitted, finding))

    def ordered(sid: str | None) -> tuple[Finding, ...]:
        pairs = by_sid.get(sid, [])
        pairs.sort(key=lambda p: (p[1].call is None, p[1].call or 0, p[0]))
        return tuple(f for _, f in pairs)

    out = [Group(sid, session, ordered(sid)) for sid, session in result.sessions.items()]
    out += [
        Group(sid, None, ordered(sid))
        for sid in by_sid
        if sid is not None and sid not in result.sessions
    ]
    if None in by_sid:
        out.append(Group(None, None, ordered(None)))
    return out


def ordered_findings(result: Result) -> list[Finding]:
    """Every finding once: session order, then call index, then emission."""
    return [f for group in groups(result) for f in group.findings]


def totals(result: Result) -> dict[Severity, int]:
    counts = {s: 0 for s in SEVERITIES}
    for finding in result.findings:
        counts[finding.severity] += 1
    return counts


def counts_phrase(counts: Mapping[Severity, int]) -> str:
    """'1 error, 2 warnings, 0 info'."""
    e, w, i = (counts[s] for s in SEVERITIES)
    return f"{e} error{'' if e == 1 else 's'}, {w} warning{'' if w == 1 else 's'}, {i} info"


def family_of(rules: Registry, rule_id: str) -> str:
    return rules[rule_id].family if rule_id in rules else UNREGISTERED_FAMILY


def fix_of(rules: Registry, rule_id: str) -> str | None:
    return rules[rule_id].fix if rule_id in rules else None


def families(rules: Registry, findings: Sequence[Finding] = ()) -> list[str]:
    """Every registered family in registration order, then families only `findings` reach."""
    names = dict.fromkeys(r.family for r in rules)
    names.update(dict.fromkeys(family_of(rules, f.rule) for f in findings))
    return list(names)


# Table contents shared by the Markdown and HTML reports: printable (through `literal`) but not yet
# escaped for either format.

# Media id, content type and length are in each session's section: the summary keeps what fits
# beside a long media name on a narrow page.
SUMMARY_COLUMNS = ("#", "session", "protocol", "calls", "closed by", "errors", "warnings", "info")
SUMMARY_NUMERIC = (0, 3, 5, 6, 7)
FINDING_COLUMNS = ("time", "call", "event", "severity", "rule", "message")
RULE_COLUMNS = ("rule", "family", "severity", "count", "fix")


def summary_facts(group: Group) -> list[str]:
    """The summary row after its number and session cells: protocol, calls, closed by, then the
    counts per severity."""
    counts = [str(group.count(s)) for s in SEVERITIES]
    session = group.session
    if session is None:
        return ["-"] * 3 + counts
    return [protocol_label(session), str(session.calls), session.closed_by or "not closed", *counts]


def media_name(group: Group) -> str:
    """The session's title without its short sid: what a summary links from."""
    title = session_title(group)
    return title.rsplit(" · ", 2)[0] if group.session is not None else title


SHORT_SID = 8  # characters of a sid that tell sessions apart by eye (a real one has 64)


def short_sid(sid: str) -> str:
    """`3f9a1c2e…` for a long sid; a short one as it is. Printable."""
    return literal(sid if len(sid) <= SHORT_SID + 4 else sid[:SHORT_SID] + "…")


def session_title(group: Group) -> str:
    """How a person names a session: its media name (else its media id), the protocol and the
    short sid, e.g. `ClickMe · Media Edge API · 3f9a1c2e…`. Printable, not yet escaped."""
    if group.sid is None:
        return "capture: findings about no session"
    session = group.session
    if session is None:
        return f"session {short_sid(group.sid)} (no session kept for this id)"
    media = session.media
    name = next((media[k] for k in ("name", "id") if media[k] not in (None, "")), None)
    return f"{show(name, missing='unnamed media')} · {protocol_label(session)} · {short_sid(group.sid)}"


def section_id(number: int) -> str:
    """The anchor of the report's n-th session section (never from the wire)."""
    return f"session-{number}"


def time_in_session(ts: int | None, session: Session | None) -> str:
    """`mm:ss` from the session's first ts to `ts` (minutes run past 59), `-` when either is
    unknown or the session's clock is not epoch ms."""
    start = session.first_ts if session is not None else None
    if ts is None or start is None or session is None or session.tally.bad_clock:
        return "-"
    seconds = (ts - start) // 1000 if ts >= start else -((start - ts) // 1000)
    sign = "-" if seconds < 0 else ""
    minutes, rest = divmod(abs(seconds), 60)
    return f"{sign}{minutes:02d}:{rest:02d}"


def metric_text(value: Metric) -> str:
    """A metric as reports print it: `-` unknown, `45`, `5.05`."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def metric_rows(session: Session) -> list[tuple[str, str]]:
    """(label, value) for each metric, in METRIC_LABELS' order."""
    return [(METRIC_LABELS[key], metric_text(value)) for key, value in session_metrics(session).items()]


METRICS_HEADING = "Metrics Adobe would compute (playhead's computation)"


def protocol_label(session: Session) -> str:
    """The protocol that carried a session, as people name it ("Media Edge API")."""
    return by_name(session.protocol).label


def finding_cells(finding: Finding, session: Session | None) -> list[str]:
    return [time_in_session(finding.ts, session), "-" if finding.call is None else str(finding.call),
            show(finding.event_type), finding.severity.label, literal(finding.rule), literal(finding.message)]


def rules_fired(result: Result, rules: Registry) -> list[list[str]]:
    """One row per rule that fired anywhere, worst severity first, then most frequent."""
    seen: dict[str, tuple[Severity, int]] = {}
    for finding in result.findings:
        worst, count = seen.get(finding.rule, (finding.severity, 0))
        seen[finding.rule] = (max(worst, finding.severity), count + 1)
    order = sorted(seen.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    return [[literal(rule_id), family_of(rules, rule_id), worst.label, str(count),
             fix_of(rules, rule_id) or ""] for rule_id, (worst, count) in order]
