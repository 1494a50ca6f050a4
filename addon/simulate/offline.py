"""A scenario as the Calls a proxy would have captured, without any network.

Tests, the property test and benchmarks feed these straight to the tracker: the same bodies the
player sends, answered the way the collection server answers (201 + Location, then 204).
"""

from __future__ import annotations

import json
import time

from ..core.call import Call
from .edge import edge_body, edge_path, new_session_answer
from .player import build_body, step_playhead, step_ts
from .scenarios import Scenario

HOST = "https://playhead-demo.hb-api.omtrdc.net"
JSON_HEADERS = (("Content-Type", "application/json"),)


def scenario_as_calls(scenario: Scenario, sid: str = "0" * 64, start_ts: int | None = None,
                      host: str = HOST) -> list[Call]:
    """One Call per step; `time` (when the proxy saw it) follows the step's real clock."""
    if start_ts is None:
        start_ts = int(time.time() * 1000)
    if scenario.protocol == "media-edge":
        return _edge_calls(scenario, sid, start_ts, host)
    calls = []
    for step in scenario.steps:
        body = json.dumps(build_body(step, start_ts)).encode()
        seen = start_ts / 1000 + step.at
        if step.endpoint == "sessions":
            calls.append(Call("POST", f"{host}/api/v1/sessions", body, 201, JSON_HEADERS,
                              (("Location", f"/api/v1/sessions/{sid}"),), b"", seen))
        else:
            target = step.sid or sid
            calls.append(Call("POST", f"{host}/api/v1/sessions/{target}/events", body,
                              204 if target == sid else 404, JSON_HEADERS, (), b"", seen))
    return calls


def _edge_calls(scenario: Scenario, sid: str, start_ts: int, host: str) -> list[Call]:
    """The same over the Media Edge API: 200 + new-session handle, then 204 (404 elsewhere)."""
    calls = []
    for step in scenario.steps:
        target = step.sid or sid
        body = json.dumps(edge_body(step, step_ts(step, start_ts), step_playhead(step, start_ts),
                                    target)).encode()
        seen = start_ts / 1000 + step.at
        url = host + edge_path(step)
        if step.endpoint == "sessions":
            calls.append(Call("POST", url, body, 200, JSON_HEADERS, JSON_HEADERS, new_session_answer(sid), seen))
        else:
            status = 204 if target == sid and step.event_type == (step.edge_action or step.event_type) else (
                404 if target != sid else 400)
            calls.append(Call("POST", url, body, status, JSON_HEADERS, (), b"", seen))
    return calls
