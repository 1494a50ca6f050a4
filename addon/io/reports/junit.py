"""The JUnit XML report, for CI test reporters (Jenkins, GitLab, GitHub actions).

Mapping: a <testsuite> per session (plus "capture" for findings about no session), a <testcase>
per rule family, a <failure> per error finding. A session suite lists every registered family, so
a clean family shows as a passing test; the capture suite lists only the families it has findings
for. `failures` counts failed testcases (not <failure> elements), as reporters expect.

Several reporters (Jenkins, action-junit-report) show only the first <failure> of a testcase, so
each testcase's <system-out> lists all of its findings, one per line, errors included.

Wire strings pass through `literal`: XML 1.0 cannot carry most control characters even escaped,
and an unparseable report would hide every finding.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ...core.findings import Finding, Registry, Severity
from .checklists import results_of, step_rows
from .safe import literal, show
from .summary import Group, Result, families, family_of, fix_of, groups

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
    name = CAPTURE_SUITE if group.sid is None else literal(group.sid)
    suite = ET.Element("testsuite", name=name)
    if group.session is not None:
        props = ET.SubElement(suite, "properties")
        for key, value in group.session.media.items():
            ET.SubElement(props, "property", name=f"media.{key}", value=show(value, missing=""))
        ET.SubElement(props, "property", name="calls", value=str(group.session.calls))
        ET.SubElement(props, "property", name="closed_by", value=group.session.closed_by or "")
        ET.SubElement(props, "property", name="protocol", value=group.session.protocol)
    by_family: dict[str, list[Finding]] = {}
    for finding in group.findings:
        by_family.setdefault(family_of(rules, finding.rule), []).append(finding)
    names = families(rules, group.findings) if group.session is not None else list(by_family)
    failed = 0
    for family in names:
        case = _case(name, family, by_family.get(family, []), rules)
        failed += case.find("failure") is not None
        suite.append(case)
    suite.set("tests", str(len(names)))
    suite.set("failures", str(failed))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", "0")
    return suite


def _case(suite_name: str, family: str, findings: list[Finding], rules: Registry) -> ET.Element:
    case = ET.Element("testcase", classname=suite_name, name=family, time="0")
    for finding in findings:
        if finding.severity == Severity.ERROR:
            failure = ET.SubElement(
                case,
                "failure",
                type=literal(finding.rule),
                message=f"{literal(finding.rule)}: {literal(finding.message)}",
            )
            fix = fix_of(rules, finding.rule)
            failure.text = _where(finding) + (f"\nfix: {fix}" if fix else "")
    if findings:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(
            f"{f.severity.label} {literal(f.rule)} {_where(f)}: {literal(f.message)}" for f in findings
        )
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


def _where(finding: Finding) -> str:
    """'call 9, adStart, ts 1764115240000', with whatever of the three the finding knows."""
    parts = [] if finding.call is None else [f"call {finding.call}"]
    parts += [] if finding.event_type is None else [show(finding.event_type)]
    parts += [] if finding.ts is None else [f"ts {finding.ts}"]
    return ", ".join(parts) or "no call"
