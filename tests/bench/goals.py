"""One line per SPEC §9 goal, printed by each bench and gathered by run.py into one table.

A bench prints its own detailed table, then `goal(...)` lines; `make bench` (run.py) collects
those lines from every bench and prints them together, with the machine they ran on, in the form
the README keeps.
"""

from __future__ import annotations

PREFIX = "§9 | "


def goal(measure: str, result: str, target: str, met: bool) -> None:
    print(f"{PREFIX}{measure} | {result} | {target} | {'met' if met else 'NOT met'}", flush=True)


def parse(line: str) -> list[str] | None:
    """The cells of a goal line, or None for any other output."""
    if not line.startswith(PREFIX):
        return None
    return [cell.strip() for cell in line[len(PREFIX):].split(" | ")]
