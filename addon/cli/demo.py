"""`playhead demo`: a first look with no device and no network.

A sink-mode proxy (the API answered locally, nothing leaves the machine), the simulated player
playing every scenario (clean and broken) through it at once, and the dashboard watching.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import UsageError
from .check import add_schemas_option
from .proxy import _is_loopback


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
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: not a port number (0-65535)")
    if not _is_loopback(args.listen_host):
        print(f"playhead: warning: listening on {args.listen_host}: the demo proxy is reachable from "
              "the network", file=sys.stderr)
    try:
        from ..tui.launch import DEMO_SPEED, run_demo
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(("playhead.tui", "textual")):
            raise UsageError("the dashboard is not part of this build (textual missing); "
                             "try `playhead simulate --list`") from None
        raise
    if args.speed is None:
        args.speed = DEMO_SPEED
    return run_demo(args)
