"""Shared helpers for test_rules.py and test_tracker.py: small sessions as real Calls.

Sessions are written with the simulator's `Script` (explicit times, `spread=0` so nothing moves
behind the test's back) and turned into the Calls a proxy would capture by `scenario_as_calls`
(201 + Location for the sessionStart, 204 for events). What a Script cannot say (a broken body,
an odd answer, a missing header, a skewed clock, an arrival order) is done by replacing fields
of those Calls, so each defect is one visible edit of an otherwise correct session.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from playhead.core.call import Call
from playhead.core.config import Config
from playhead.core.engine import check_calls
from playhead.core.findings import Finding, Severity
from playhead.core.schemas import SchemaSet
from playhead.core.tracker import Tracker
from playhead.simulate import Script, session_params
from playhead.simulate.offline import HOST, scenario_as_calls

START_TS = 1_764_115_200_000  # 2025-11-26T00:00:00Z, midnight UTC: live playheads start at 0
SID = "5e551011" * 8
OTHER_SID = "0badc0de" * 8
SCHEMAS = SchemaSet.load()  # compiled once for the whole run


def vod(length: float = 60.0, *, custom: dict[str, str] | None = None, **extra: Any) -> Script:
    """A Script that has sent its sessionStart (VOD, `length` s) at t=0; add events to it."""
    s = Script(spread=0)
    s.at(0).session_start(session_params("media-1", "Test episode", length, **extra), custom=custom)
    return s


def live(**extra: Any) -> Script:
    """As `vod`, for a live stream (media.length 86400, playhead = seconds since UTC midnight)."""
    s = Script(spread=0, live=True)
    s.at(0).session_start(session_params("live-1", "Test channel", 86400, content_type="live", **extra))
    return s


def played(script: Script, until: float, *, every: float = 10.0) -> Script:
    """Content playing from t=1, pinging at every multiple of `every` s before `until`."""
    script.at(1).play()
    k = 1
    while k * every < until:
        script.at(k * every).ping()
        k += 1
    return script.at(until)


def calls(script: Script, sid: str = SID, start_ts: int = START_TS) -> list[Call]:
    return scenario_as_calls(script.build("test", "test", "test"), sid, start_ts)


def edge_calls(script: Script, sid: str = SID, start_ts: int = START_TS) -> list[Call]:
    """The same session over the Media Edge API (200 + new-session handle, then 204s)."""
    scenario = dataclasses.replace(script.build("test", "test", "test"), protocol="media-edge")
    return scenario_as_calls(scenario, sid, start_ts)


def with_xdm(call: Call, **fields: Any) -> Call:
    """A Media Edge call with `events[0].xdm` fields replaced (None removes the field)."""
    body = body_of(call)
    _set_fields(body["events"][0]["xdm"], fields)
    return replace(call, request_body=json.dumps(body).encode())


def check(calls: list[Call], config: Config | None = None, schemas: SchemaSet | None = None) -> Tracker:
    return check_calls(calls, schemas or SCHEMAS, config)


def replace(call: Call, **changes: Any) -> Call:
    return dataclasses.replace(call, **changes)


def body_of(call: Call) -> dict[str, Any]:
    return json.loads(call.request_body)


def with_body(call: Call, **fields: Any) -> Call:
    """The call with top-level body fields replaced (None removes the field)."""
    body = body_of(call)
    _set_fields(body, fields)
    return replace(call, request_body=json.dumps(body).encode())


def _set_fields(target: dict[str, Any], fields: dict[str, Any]) -> None:
    """Set each field in place; a None value removes the field."""
    for key, value in fields.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value


def events_url(sid: str = SID) -> str:
    return f"{HOST}/api/v1/sessions/{sid}/events"


def sessions_url() -> str:
    return f"{HOST}/api/v1/sessions"


def of(tracker: Tracker, rule_id: str, severity: Severity | None = None) -> list[Finding]:
    return [f for f in tracker.findings
            if f.rule == rule_id and (severity is None or f.severity is severity)]


def serious(tracker: Tracker) -> list[Finding]:
    """Findings a user must look at: warnings and errors."""
    return [f for f in tracker.findings if f.severity >= Severity.WARNING]
