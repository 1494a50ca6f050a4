"""`playhead checklists`: Adobe's certification tests and tracking scenarios as checklists (SPEC §13),
listed with the page each comes from; and the flags other commands share to choose them."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("checklists", help="list the checklists (Adobe's certification tests, tracking scenarios)",
                       description="List the checklists `check --checklist NAME`, the dashboard and the "
                                   "automation API evaluate: built-in ones and a team's own (--checklists DIR).")
    add_checklists_option(p)
    p.add_argument("--steps", action="store_true", help="list every step with its source")
    p.set_defaults(run=run)


def add_checklists_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checklists", dest="checklist_dirs", type=Path, action="append", default=[], metavar="DIR",
                   help="a folder of your own checklists (.json/.toml; see the README) beside the built-in ones")


def add_panel_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checklist", action="append", default=[], metavar="NAME",
                   help="a checklist the dashboard's panel shows (repeatable; default: Adobe's Test 1 "
                        "and Test 2; `playhead checklists` lists them)")
    add_checklists_option(p)


def panel_names(args: argparse.Namespace) -> list[str]:
    """The checklists the panel shows, checked now (UsageError for an unknown name)."""
    from ..checklists import CERTIFICATION_TESTS

    return [c.name for c in chosen(args)] if getattr(args, "checklist", None) else list(CERTIFICATION_TESTS)


def available(args: argparse.Namespace) -> dict:
    """Every checklist for these flags; UsageError (one line) for a folder or file that is wrong."""
    from ..checklists import ChecklistError, load_checklists

    try:
        return load_checklists(getattr(args, "checklist_dirs", ()))
    except ChecklistError as exc:
        raise UsageError(str(exc)) from None


def checked_checklist_dirs(args: argparse.Namespace) -> list[Path]:
    """--checklists folders, checked now so a mistake is one line before the proxy starts."""
    available(args)
    return list(getattr(args, "checklist_dirs", ()))


def chosen(args: argparse.Namespace) -> list:
    """The checklists --checklist names, in order."""
    from ..checklists import ChecklistError, select

    try:
        return select(available(args), args.checklist)
    except ChecklistError as exc:
        raise UsageError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from ..io.reports.safe import literal

    checklists = available(args)
    width = max(len(name) for name in checklists)
    for name, checklist in checklists.items():
        print(f"{name:<{width}}  {literal(checklist.title)} ({checklist.describe_scope()})")
        print(f"{'':<{width}}  source: {literal(checklist.source)}")
        if args.steps:
            for number, step in enumerate(checklist.steps, 1):
                print(f"{'':<{width}}  {number:2}. {literal(step.title)}")
                if step.source != checklist.source:
                    print(f"{'':<{width}}      source: {literal(step.source)}")
    return 0
