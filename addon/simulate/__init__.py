"""The scripted player used by `playhead demo`, `playhead simulate`, tests and benchmarks.

Pure standard library: it must run where only Python is installed, through any proxy.
"""

from .player import Exchange, Player, PlayResult, build_body, scenario_calls
from .scenarios import ALL_SCENARIOS, EDGE_SCENARIOS, SCENARIOS, STALE_SID, Scenario, Script, Step, session_params

__all__ = [
    "ALL_SCENARIOS",
    "EDGE_SCENARIOS",
    "SCENARIOS",
    "STALE_SID",
    "Exchange",
    "PlayResult",
    "Player",
    "Scenario",
    "Script",
    "Step",
    "build_body",
    "scenario_calls",
    "session_params",
]
