"""Adobe's certification tests and tracking scenarios as checklists that tick themselves (SPEC §13).

The built-in checklists are files in `builtin/`, in the same format a team writes its own in
(`--checklists DIR`, see format.py); each cites the Adobe page its steps come from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .evaluate import FAILED, INCOMPLETE, PASSED, ChecklistResult, ChecklistWatch, Verdict
from .format import Checklist, ChecklistError, load_file

BUILTIN = Path(__file__).with_name("builtin")
# Adobe's certification tests: what the dashboard's panel shows unless told otherwise (every
# checklist that applies would list, for a correct VOD, the ad scenarios it is not).
CERTIFICATION_TESTS = ("test1-standard-playback", "test2-media-interruption")
SUFFIXES = (".json", ".toml")

__all__ = [
    "FAILED", "INCOMPLETE", "PASSED", "BUILTIN", "CERTIFICATION_TESTS", "Checklist", "ChecklistError", "ChecklistResult",
    "ChecklistWatch", "Verdict", "load_checklists", "select",
]


def load_checklists(dirs: Sequence[str | os.PathLike[str]] = ()) -> dict[str, Checklist]:
    """The built-in checklists, then each folder's (a team's checklist replaces a built-in one
    of the same name). ChecklistError (one line) for a folder or file that cannot be used."""
    found: dict[str, Checklist] = {}
    for folder in (BUILTIN, *map(Path, dirs)):
        if not folder.is_dir():
            raise ChecklistError(f"{folder}: not a directory of checklists")
        for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES):
            checklist = load_file(path)
            if checklist.name in found and found[checklist.name].path and \
                    Path(found[checklist.name].path).parent == path.parent:
                raise ChecklistError(f"{path}: a second checklist named {checklist.name!r} in {folder}")
            found[checklist.name] = checklist
    return found


def select(available: dict[str, Checklist], names: Sequence[str]) -> list[Checklist]:
    """The checklists asked for by name, in order; ChecklistError naming the choices otherwise."""
    chosen = []
    for name in dict.fromkeys(names):
        if name not in available:
            raise ChecklistError(f"unknown checklist {name!r}; `playhead checklists` lists them")
        chosen.append(available[name])
    return chosen
