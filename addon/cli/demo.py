"""`playhead demo`: the built-in scenarios through the engine, for a first look with no device."""

from __future__ import annotations

import argparse
import os
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="play the built-in scenarios (clean and broken) and show the findings")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import secrets

    from ..core.tracker import Tracker
    from ..io.reports import render
    from ..simulate.offline import scenario_as_calls
    from ..simulate.scenarios import SCENARIOS

    tracker = Tracker()
    for scenario in SCENARIOS.values():
        tracker.feed_all(scenario_as_calls(scenario, sid=secrets.token_hex(32)))
    tracker.finish()
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    sys.stdout.write(render(tracker, "text", color=color))
    return 0
