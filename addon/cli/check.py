"""`playhead check FILE...`: the CI gate over saved captures (HAR, mitmproxy flows, recordings)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from . import UsageError
from .checklists import add_checklists_option

FORMATS = ("text", "json", "junit", "markdown", "html")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check saved captures and print findings (exit 1 on errors)",
                       description="Read HAR files, mitmproxy flow files or playhead recordings, rebuild "
                                   "every session and print the findings. Exit 0: no errors; 1: errors "
                                   "found (or warnings with --fail-on warning); 2: unreadable input or bad usage.")
    p.add_argument("files", nargs="+", metavar="FILE", type=Path)
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format (default: text; with -o, chosen by the file's extension)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--fail-on", choices=("error", "warning"), default="error",
                   help="lowest severity that makes the exit code 1 (default: error)")
    add_schemas_option(p)
    add_max_calls_option(p, 0)
    p.add_argument("--checklist", action="append", default=[], metavar="NAME",
                   help="also run this checklist (repeatable; `playhead checklists` lists them): "
                        "exit 1 when it fails or stays incomplete")
    add_checklists_option(p)
    p.set_defaults(run=run)


def add_schemas_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--schemas", type=Path, action="append", default=[], metavar="DIR",
                   help="extra JSON Schemas (<eventType>.json, all.json) that tighten the built-in ones")


def _calls(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of calls") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text}: must be 0 (keep every call) or more")
    return value


def add_max_calls_option(p: argparse.ArgumentParser, default: int) -> None:
    """--max-calls: the memory cap of a long run (core/retention.py); 0 keeps every call."""
    p.add_argument("--max-calls", type=_calls, default=default, metavar="N",
                   help=f"keep at most N calls in memory (default {f'{default:,}' if default else 'all'}; 0: all): beyond it, "
                        "closed sessions are summarised and the oldest calls dropped from memory; findings, "
                        "counts and recordings keep everything")


def tracker_config(args: argparse.Namespace):
    """The engine's Config for these flags."""
    from ..core.config import Config

    return Config(max_calls=args.max_calls or None)


def load_schemas(dirs: list[Path]):
    from ..core.schemas import SchemaLoadError, SchemaSet

    for d in dirs:
        if not d.is_dir():
            raise UsageError(f"--schemas {d}: not a directory")
    try:
        return SchemaSet.load(dirs)
    except SchemaLoadError as exc:
        raise UsageError(str(exc)) from None


def exit_code(findings, fail_on: str) -> int:
    from ..core.findings import Severity

    threshold = Severity.parse(fail_on)
    return 1 if any(f.severity >= threshold for f in findings) else 0


def run(args: argparse.Namespace) -> int:
    from ..core.tracker import Tracker
    from ..io.capture import CaptureError, read_capture
    from ..io.reports import format_for_path, render, write_report
    from ..io.reports.safe import literal

    from ..io.output import OutputError, check_writable, why

    if args.output is not None:
        # Only an extension that names a format must agree; /dev/stdout or a FIFO takes --format.
        named = format_for_path(args.output)
        if args.format is not None and named != "text" and args.format != named:
            raise UsageError(f"-o {args.output}: extension does not match --format {args.format}")
        try:
            check_writable(args.output)  # before the work, not after it
        except OutputError as exc:
            raise UsageError(f"-o {literal(str(exc))}") from None
    tracker = Tracker(schemas=load_schemas(args.schemas), config=tracker_config(args))
    watch = _watch(tracker, args)
    files = usable_inputs(args.files)
    unreadable, read = len(files) < len(args.files), False
    # What the engine builds stays alive until the report is written, and what dies on the way
    # (bodies' text, updates) forms no reference cycles: the cyclic collector would only re-walk
    # a growing heap (~15 % of a large check). Reference counting still frees what dies.
    gc.disable()
    for path in files:
        before = tracker.calls
        try:
            with read_capture(path) as capture:
                tracker.feed_all(capture)
        except CaptureError as exc:
            print(f"playhead: {literal(str(exc))}", file=sys.stderr)
            unreadable = True
            read |= tracker.calls > before  # damaged part-way: the calls before it are reported
            continue
        read = True
        print(f"playhead: {literal(str(path))}: {capture.format}, {capture.entries} records,"
              f" {capture.kept} API calls", file=sys.stderr)
        for warning in capture.warnings:
            print(f"playhead: {literal(warning)}", file=sys.stderr)
    tracker.finish()
    gc.freeze()  # all of it lives until exit: re-enabled, the collector would walk it all once
    gc.enable()
    if not read:  # no file could be read: a report of nothing would pass for a clean run
        return 2
    result = tracker
    if watch is not None:
        from ..io.reports.checklists import with_checklists

        result = with_checklists(tracker, watch.results(final=True))
    try:
        if args.output is not None:
            write_report(result, args.output, fmt=args.format)
        else:
            color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
            sys.stdout.write(render(result, args.format or "text", color=color))
            sys.stdout.flush()
    except OutputError as exc:
        raise UsageError(f"-o {literal(str(exc))}") from None
    except OSError as exc:  # stdout: a full disk, a closed pipe
        _silence_stdout()
        raise UsageError(f"stdout: cannot write ({why(exc)})") from None
    if unreadable:
        return 2
    unfinished = any(r.status != "passed" for r in getattr(result, "checklists", ()))
    return max(exit_code(tracker.findings, args.fail_on), 1 if unfinished else 0)


def usable_inputs(paths: list[Path]) -> list[Path]:
    """The captures that can be opened and are of a known kind. Each one that cannot (missing,
    empty, a directory, unrecognised content) is said in one line now, before anything is read
    or printed; the others are still checked (and the run exits 2)."""
    from ..io.capture import CaptureError, detect_format
    from ..io.reports.safe import literal

    usable = []
    for path in paths:
        try:
            detect_format(path)
        except CaptureError as exc:
            print(f"playhead: {literal(str(exc))}", file=sys.stderr)
        else:
            usable.append(path)
    return usable


def _silence_stdout() -> None:
    """After a failed write to stdout, point it at /dev/null: Python's own flush at exit would
    otherwise print a second error (and a traceback) about the same stream."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _watch(tracker, args: argparse.Namespace):
    """The checklists --checklist names, watching the tracker from the first call; or None."""
    if not args.checklist:
        if args.checklist_dirs:
            raise UsageError("--checklists DIR needs --checklist NAME: which one to run")
        return None
    from ..checklists import ChecklistWatch
    from .checklists import chosen

    return ChecklistWatch(tracker, chosen(args))
