"""The `playhead` command."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("playhead: not built yet", file=sys.stderr)
    return 2
