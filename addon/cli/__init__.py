"""The `playhead` command.

Each subcommand lives in its own module with `register(subparsers)`; heavy imports (mitmproxy,
textual, jsonschema) happen inside the command that needs them, so `playhead --help` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

# Module names under playhead.cli, in the order their commands are listed in --help.
COMMANDS = ["proxy", "demo", "check", "view", "simulate", "rules", "checklists"]
DEFAULT_COMMAND = "proxy"


class UsageError(Exception):
    """Bad usage or unreadable input: printed as one line, exit code 2."""


def dashboard(entry: str, instead: str):
    """`playhead.tui.launch.<entry>`, or a one-line UsageError naming what to use `instead` when
    the dashboard (or textual) is not part of this build."""
    try:
        launch = importlib.import_module("playhead.tui.launch")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(("playhead.tui", "textual")):
            raise UsageError(f"the dashboard is not part of this build (textual missing); {instead}") from None
        raise
    return getattr(launch, entry)


def need_terminal() -> None:
    """The dashboard draws on a terminal and reads keys from it: without one (`view f >file`,
    `</dev/null`, a CI job) it drew escape codes into a file and spun on a core until killed."""
    for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout)):
        try:
            tty = stream is not None and stream.isatty()
        except (OSError, ValueError):
            tty = False
        if not tty:
            raise UsageError(f"the dashboard needs a terminal and {name} is not one; for a report use "
                             "`playhead check FILE...`, for the proxy alone `playhead proxy --headless`")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playhead",
        description="Live QA for Adobe Media Collection API traffic. Without a command: proxy + dashboard.",
    )
    parser.add_argument("--version", action="version", version=f"playhead {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # that command is not part of this build
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    if DEFAULT_COMMAND in commands and not any(a in commands for a in args_list) and \
            not any(a in ("-h", "--help", "--version") for a in args_list):
        args_list.insert(0, DEFAULT_COMMAND)
    args, unknown = parser.parse_known_args(args_list)
    if unknown:
        # The command's own usage, not the top level's: `check --bogus` is a mistake in `check`.
        commands.get(args.command, parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"playhead: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
