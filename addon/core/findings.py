"""Severities, findings, and the rule registry that `playhead rules`, reports and the dashboard read."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """Ordered so that `max()` picks the worst; the value names are the report strings."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule. `severities` lists every severity it can emit, worst first."""

    id: str
    severities: tuple[Severity, ...]
    family: str
    summary: str  # fires when ...
    impact: str  # what it means for Adobe's reports
    fix: str
    source: str  # where the requirement comes from

    @property
    def severity(self) -> Severity:
        return self.severities[0]

    @property
    def severity_label(self) -> str:
        return " / ".join(s.label for s in self.severities)


@dataclass(frozen=True, slots=True)
class Finding:
    """One defect (or remark) about one call of one session, as SPEC §5 and §7 describe it."""

    rule: str
    severity: Severity
    message: str
    session: str | None = None
    call: int | None = None  # index of the call in its session, 0 = sessionStart, arrival order
    event_type: str | None = None
    ts: int | None = None
    path: str | None = None  # JSON path, for `schema`

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity.label,
            "session": self.session,
            "call": self.call,
            "eventType": self.event_type,
            "ts": self.ts,
            "message": self.message,
            "path": self.path,
        }


@dataclass
class Registry:
    rules: dict[str, Rule] = field(default_factory=dict)

    def add(self, rule: Rule) -> Rule:
        if rule.id in self.rules:
            raise ValueError(f"rule {rule.id} registered twice")
        self.rules[rule.id] = rule
        return rule

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def __contains__(self, rule_id: str) -> bool:
        return rule_id in self.rules

    def __iter__(self):
        return iter(self.rules.values())


REGISTRY = Registry()


def rule(
    id: str,
    severity: Severity | tuple[Severity, ...],
    *,
    family: str,
    summary: str,
    impact: str,
    fix: str,
    source: str = "SPEC §5",
) -> Rule:
    """Register a rule; rule modules call this at import time, one family per module."""
    severities = severity if isinstance(severity, tuple) else (severity,)
    return REGISTRY.add(Rule(id, severities, family, summary, impact, fix, source))
