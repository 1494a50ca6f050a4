"""The JSON report: the shape of SPEC §7, a public contract that CI scripts parse. Keys, order and
types are fixed here and nowhere else."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import orjson

from ... import __version__
from ...core.findings import Severity
from ...core.metrics import session_metrics
from ...core.model import Session
from .checklists import results_of
from .safe import UNSAFE_BEYOND_C0
from .summary import Result, groups, ordered_findings, totals


def report(result: Result) -> dict[str, Any]:
    """The report as plain data, in the contract's key order."""
    count = totals(result)
    sessions = []
    for group in groups(result):
        if group.session is None:
            continue  # findings without a kept session are still in "findings" and the summary
        sessions.append(session_object(group.session, group.counts()))
    data = {
        "tool": "playhead",
        "version": __version__,
        "summary": {
            "sessions": len(result.sessions),
            "calls": result.calls,
            **{s.label: count[s] for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)},
        },
        "sessions": sessions,
        "findings": [f.as_dict() for f in ordered_findings(result)],
    }
    checklists = results_of(result)
    if checklists:
        data["checklists"] = [c.as_dict() for c in checklists]
    return data


def session_object(session: Session, counts: Mapping[Severity, int]) -> dict[str, Any]:
    """One session as the contract shows it (the automation API adds its own keys after these)."""
    return {
        "id": session.sid,
        "media": {k: _finite(v) for k, v in session.media.items()},
        "calls": session.calls,
        "closed_by": session.closed_by,
        **{s.label: counts[s] for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)},
        "protocol": session.protocol,  # additions (SPEC §7): the contract's keys stand
        "metrics": session_metrics(session),  # what Adobe would compute (core/metrics.py)
    }


def render(result: Result) -> str:
    """Strict JSON text (no NaN) that keeps non-ASCII readable. The characters `literal` guards
    against (C1 controls, bidi overrides, lone surrogates such as a body's `"\\ud800"`) are written
    as `\\u` escapes: the same JSON value, but safe to print on a terminal and to encode."""
    data = report(result)
    try:
        # orjson writes the same JSON ~20x faster than json's pure-Python indenting encoder.
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8")
    except TypeError:  # lone surrogates or integers beyond 64 bits, from the wire: json can
        text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    return UNSAFE_BEYOND_C0.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def _finite(value: Any) -> Any:
    """Media values come from the wire: Python's JSON parser accepts NaN and Infinity, strict JSON
    does not, so those become the strings a reader can still see."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
