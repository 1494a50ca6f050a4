"""The checklists part of a report (SPEC §13): JSON, JUnit, HTML and text all show the same rows.

A report shows checklists when the result carries them (`Checked`): `check --checklist NAME`
and the automation API's report do; a plain run's report is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...core.findings import Finding
from ...core.model import Session
from .safe import literal

STEP_COLUMNS = ("checklist", "session", "step", "status", "detail")


@dataclass(frozen=True, slots=True)
class Checked:
    """A run's result with the checklists evaluated over it (each a ChecklistResult)."""

    sessions: Mapping[str, Session]
    findings: Sequence[Finding]
    calls: int
    checklists: Sequence[Any]


def with_checklists(result: Any, checklists: Sequence[Any]) -> Checked:
    return Checked(result.sessions, result.findings, result.calls, checklists)


def results_of(result: Any) -> Sequence[Any]:
    return getattr(result, "checklists", ())


def step_rows(checklist_result: Any) -> list[list[str]]:
    """One row per step per session; a checklist that applied to no session is one row."""
    name = literal(checklist_result.checklist.name)  # a team's file may name it anything
    if not checklist_result.verdicts:
        return [[name, "-", "-", checklist_result.status, literal(checklist_result.detail)]]
    return [[name, literal(v.sid[:12]), f"{n}. {literal(s.step.title)}", s.status, literal(s.detail)]
            for v in checklist_result.verdicts for n, s in enumerate(v.steps, 1)]


def text_lines(results: Sequence[Any]) -> list[str]:
    lines = []
    for r in results:
        c = r.checklist
        lines.append(f"checklist {literal(c.name)}: {r.status.upper()}  {literal(c.title)} ({literal(c.source)})")
        if not r.verdicts:
            lines.append(f"  {literal(r.detail)}")
        for v in r.verdicts:
            lines.append(f"  session {literal(v.sid)}: {v.status}")
            lines += [f"    {'✓' if s.status == 'passed' else '✗' if s.status == 'failed' else '…'} "
                      f"{n}. {literal(s.step.title)}" + ("" if s.status == "passed" else f": {literal(s.detail)}")
                      for n, s in enumerate(v.steps, 1)]
    return lines
