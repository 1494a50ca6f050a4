"""Save the dashboard's own screenshot (SVG) of `playhead demo`, for the README.

Runs the real demo (sink-mode proxy on loopback, the simulated players sending real HTTP through
it) with the dashboard headless, waits until the broken sessions have raised their findings,
selects the session whose mid-roll ad break is never closed, and has the app save the screen.

    make screenshot      # = .venv/bin/python -m playhead.tui.screenshot [--output FILE] [--size 160x48]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from ..cli import build_parser
from .launch import DEMO_SPEED, demo_app

WAIT_LIMIT = 60.0  # seconds: a bound, the demo needs about 16


async def shoot(output: Path, size: tuple[int, int]) -> None:
    # The demo's own options and defaults, whatever they become (the speed's lives beside the app).
    args = build_parser().parse_args(["demo", "--port", "0", "--speed", str(DEMO_SPEED)])
    app, runner, player = demo_app(args)
    try:
        async with app.run_test(size=size) as pilot:
            deadline = time.monotonic() + WAIT_LIMIT
            target = None
            while time.monotonic() < deadline:
                await pilot.pause(0.5)
                with app.tracker.lock:
                    target = next((f for f in app.tracker.findings if f.rule == "ad-break-not-closed"), None)
                    done = sum(1 for s in app.tracker.sessions.values() if s.closed_by) >= 9
                if target is not None and done:
                    break
            if target is None:
                raise SystemExit("the demo raised no ad-break-not-closed finding in time")
            app.findings.select(target)  # the box under the feed explains it
            app.jump_to(target)  # that session, its timeline on the call
            await pilot.pause(0.5)
            output.parent.mkdir(parents=True, exist_ok=True)
            app.save_screenshot(filename=output.name, path=str(output.parent))
    finally:
        player.stop()
        runner.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "screenshot.svg")
    parser.add_argument("--size", default="160x48", help="terminal size, COLUMNSxLINES (default 160x48)")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    asyncio.run(shoot(args.output, (width, height)))
    print(f"saved {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
