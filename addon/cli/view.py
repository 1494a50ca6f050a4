"""`playhead view FILE...`: the dashboard over saved captures (HAR, mitmproxy flows, recordings)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.retention import DEFAULT_LIVE_CAP
from . import dashboard, need_terminal
from .check import add_max_calls_option, add_schemas_option
from .checklists import add_panel_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("view", help="the dashboard over saved captures, no proxy",
                       description="Read HAR files, mitmproxy flow files or playhead recordings and "
                                   "explore their sessions, timelines and findings in the dashboard.")
    p.add_argument("files", nargs="+", metavar="FILE", type=Path)
    add_schemas_option(p)
    add_max_calls_option(p, DEFAULT_LIVE_CAP)
    add_panel_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Its files and checklists are judged first: a wrong argument is said as such, with or
    without a terminal; then the dashboard needs one."""
    run_view = dashboard("run_view", "use `playhead check`")
    return run_view(args, need_terminal)
