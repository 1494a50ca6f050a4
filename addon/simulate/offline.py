"""A scenario as the Calls a proxy would have captured, without any network.

Tests, the property test and benchmarks feed these straight to the tracker: the same bodies the
player sends, answered the way the collection server answers (201 + Location, then 204).
"""

from __future__ import annotations

import json
import time

from ..core.call import Call
from .scenarios import Scenario
from .player import build_body

HOST = "https://playhead-demo.hb-api.omtrdc.net"
JSON_HEADERS = (("Content-Type", "application/json"),)


def scenario_as_calls(scenario: Scenario, sid: str = "0" * 64, start_ts: int | None = None,
                      host: str = HOST) -> list[Call]:
    """One Call per step; `time` (when the proxy saw it) follows the step's real clock."""
    if start_ts is None:
        start_ts = int(time.time() * 1000)
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
