"""The JUnit XML report, for CI test reporters (Jenkins, GitLab, GitHub actions).

Mapping: a <testsuite> per session, named as a person names it (media name, protocol, short sid;
the full sid is a property), plus "capture" for findings about no session; a <testcase> per rule
family; at most one <failure> per testcase, whose text lists every error finding of that family
with where it happened and the fix. Jenkins, GitLab and GitHub reporters show one failure per
testcase, so several would hide all but the first. Warnings and info go to <system-out>. A
session suite lists every registered family, so a clean family shows as a passing test; the
capture suite lists only the families it has findings for. The session's media, calls, protocol
and metrics (core/metrics.py) are <properties>.

Wire strings pass through `literal`: XML 1.0 cannot carry most control characters even escaped,
and an unparseable report would hide every finding.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ...core.findings import Finding, Registry, Severity
from ...core.metrics import session_metrics
from .checklists import results_of, step_rows
from .safe import literal, show
from .summary import (Group, Result, families, family_of, fix_of, groups, session_title,
                      time_in_session)

CAPTURE_SUITE = "capture"


def render(result: Result, *, rules: Registry) -> str:
    root = ET.Element("testsuites", name="playhead")
    tests = failures = 0
    for group in groups(result):
        suite = _suite(group, rules)
        root.append(suite)
        tests += int(suite.get("tests"))
        failures += int(suite.get("failures"))
    for checklist in results_of(result):
        suite = _checklist_suite(checklist)
        root.append(suite)
        tests += int(suite.get("tests"))
        failures += int(suite.get("failures"))
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(group: Group, rules: Registry) -> ET.Element:
    name = CAPTURE_SUITE if group.sid is None else session_title(group)
    suite = ET.Element("testsuite", name=name)
    session = group.session
    if group.sid is not None:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="session", value=literal(group.sid))
        if session is not None:
            for key, value in session.media.items():
                ET.SubElement(props, "property", name=f"media.{key}", value=show(value, missing=""))
            ET.SubElement(props, "property", name="calls", value=str(session.calls))
            ET.SubElement(props, "property", name="closed_by", value=session.closed_by or "")
            ET.SubElement(props, "property", name="protocol", value=session.protocol)
            for key, value in session_metrics(session).items():
                ET.SubElement(props, "property", name=f"metrics.{key}", value="" if value is None else str(value))
    by_family: dict[str, list[Finding]] = {}
    for finding in group.findings:
        by_family.setdefault(family_of(rules, finding.rule), []).append(finding)
    names = families(rules, group.findings) if session is not None else list(by_family)
    failed = 0
    for family in names:
        case = _case(name, family, by_family.get(family, []), rules, group)
        failed += case.find("failure") is not None
        suite.append(case)
    suite.set("tests", str(len(names)))
    suite.set("failures", str(failed))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", "0")
    return suite


def _case(suite_name: str, family: str, findings: list[Finding], rules: Registry, group: Group) -> ET.Element:
    """One family: a single <failure> listing its errors (each with the fix, said once per rule),
    the warnings and info in <system-out>."""
    case = ET.Element("testcase", classname=suite_name, name=family, time="0")
    errors = [f for f in findings if f.severity == Severity.ERROR]
    if errors:
        first = errors[0]
        message = f"{literal(first.rule)}: {literal(first.message)}"
        if len(errors) > 1:
            message = f"{len(errors)} errors; first {message}"
        failure = ET.SubElement(case, "failure", type=literal(first.rule), message=message)
        lines, fixed = [], set()
        for f in errors:
            lines.append(f"{literal(f.rule)} at {_where(f, group)}: {literal(f.message)}")
            fix = fix_of(rules, f.rule)
            if fix and f.rule not in fixed:
                fixed.add(f.rule)
                lines.append(f"  fix: {fix}")
        failure.text = "\n".join(lines)
    others = [f for f in findings if f.severity != Severity.ERROR]
    if others:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(
            f"{f.severity.label} {literal(f.rule)} at {_where(f, group)}: {literal(f.message)}" for f in others)
    return case


def _checklist_suite(checklist) -> ET.Element:
    """A checklist as a suite: a testcase per step and session; failed and incomplete steps fail
    (a checklist passes only when every step passed, SPEC §13)."""
    suite = ET.Element("testsuite", name=f"checklist {literal(checklist.checklist.name)}")
    rows = step_rows(checklist)
    for name, session, step, status, detail in rows:
        case = ET.SubElement(suite, "testcase", classname=f"checklist {name} session {session}", name=step, time="0")
        if status != "passed":
            ET.SubElement(case, "failure", type=status, message=f"{status}: {detail}").text = detail
    suite.set("tests", str(len(rows)))
    suite.set("failures", str(sum(r[3] != "passed" for r in rows)))
    for key in ("errors", "skipped", "time"):
        suite.set(key, "0")
    return suite


def _where(finding: Finding, group: Group) -> str:
    """'00:40, call 9, adStart', with whatever of the three the finding knows."""
    when = time_in_session(finding.ts, group.session)
    parts = [] if when == "-" else [when]
    parts += [] if finding.call is None else [f"call {finding.call}"]
    parts += [] if finding.event_type is None else [show(finding.event_type)]
    return ", ".join(parts) or "no call"
