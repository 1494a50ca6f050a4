"""Findings written back onto flows, so mitmproxy's and mitmweb's own views show them.

A flow with findings is marked (the marker says the worst severity) and its comment carries one
line `playhead: <rule ids>`; a comment or marker the user set by hand is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..core.findings import Finding, Severity

if TYPE_CHECKING:
    from mitmproxy import flow as mflow

MARKERS = {Severity.ERROR: ":red_circle:", Severity.WARNING: ":warning:", Severity.INFO: ":large_blue_circle:"}
_SEVERITY_OF = {marker: severity for severity, marker in MARKERS.items()}
COMMENT_PREFIX = "playhead: "


def mark(flow: mflow.Flow, findings: Iterable[Finding]) -> None:
    findings = list(findings)
    if not findings:
        return
    worst = max(f.severity for f in findings)
    if flow.marked in _SEVERITY_OF:
        worst = max(worst, _SEVERITY_OF[flow.marked])
        flow.marked = MARKERS[worst]
    elif not flow.marked:
        flow.marked = MARKERS[worst]
    lines = flow.comment.splitlines() if flow.comment else []
    ours = next((i for i, line in enumerate(lines) if line.startswith(COMMENT_PREFIX)), None)
    rules = lines[ours][len(COMMENT_PREFIX):].split(", ") if ours is not None else []
    for finding in findings:
        if finding.rule not in rules:
            rules.append(finding.rule)
    line = COMMENT_PREFIX + ", ".join(rules)
    if ours is None:
        lines.append(line)
    else:
        lines[ours] = line
    flow.comment = "\n".join(lines)
