"""`playhead demo`: a first look with no device and no network.

A sink-mode proxy (the API answered locally, nothing leaves the machine), the simulated player
playing every scenario (clean and broken) through it at once, and the dashboard watching.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.retention import DEFAULT_LIVE_CAP
from . import dashboard, need_terminal
from .check import add_max_calls_option, add_schemas_option
from .checklists import add_panel_options
from .proxy import check_listen


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="simulated players (clean and broken sessions) through a sink proxy, on the dashboard",
        description="Start the proxy in sink mode on a free local port, play the built-in scenarios "
                    "through it with the simulated player, and show the dashboard. Needs no device "
                    "and no network.")
    p.add_argument("--listen-host", default="127.0.0.1", metavar="HOST",
                   help="address the demo proxy listens on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    p.add_argument("--speed", type=float, default=None,
                   help="how many times faster than real time the players go (default 10)")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="play only this scenario (repeatable; see `playhead simulate --list`)")
    p.add_argument("--record", type=Path, metavar="FILE", help="also record the calls to this JSON Lines file")
    p.add_argument("--report", type=Path, metavar="FILE", help="write a report when the demo ends")
    add_schemas_option(p)
    add_max_calls_option(p, DEFAULT_LIVE_CAP)
    add_panel_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    need_terminal()
    check_listen(args, "the demo proxy")
    run_demo = dashboard("run_demo", "try `playhead simulate --list`")
    if args.speed is None:
        args.speed = dashboard("DEMO_SPEED", "try `playhead simulate --list`")
    return run_demo(args)
