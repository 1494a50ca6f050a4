"""Memory of long runs (SPEC §9): bytes per retained call, and what the memory cap keeps of a long
run (`--max-calls`, core/retention.py), measured with tracemalloc in this one process.

Two long runs are fed call by call to a real Tracker, each once with no cap and once with a cap;
the calls are generated as they are fed, so the figures are what the tracker holds (each call's
bodies, its parsed event, its entry, sessions, findings), not the generator's:

- many sessions: the simulator's scenarios played over and over, one after another, fresh sids
  (tens of thousands of short sessions, most of them closed: the cap summarises them);
- long sessions: 64 live sessions pinging every 10 s for most of a day, all open (the cap drops
  their oldest calls).

Per run: peak traced memory while feeding, bytes per retained call (held / calls in memory), and
the feeding time of the capped run against the uncapped one (the cap's cost per call: freeing
what it drops included), timed without tracemalloc, best of --repeats alternating runs.

    .venv/bin/python tests/bench/bench_memory.py [--calls 300000] [--cap 30000] [--repeats 2]

Not part of the test run; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator

from goals import goal
from playhead.core.call import Call
from playhead.core.config import Config
from playhead.core.schemas import SchemaSet
from playhead.core.tracker import Tracker
from playhead.simulate import SCENARIOS, session_params
from playhead.simulate.offline import scenario_as_calls

START = 1764115200000
HOST = "https://bench.hb-api.omtrdc.net"
MIB = 1 << 20


def many_sessions(count: int) -> Iterator[Call]:
    n, start = 0, START
    while True:
        for scenario in SCENARIOS.values():
            for call in scenario_as_calls(scenario, sid=f"{n:064x}", start_ts=start, host=HOST):
                yield call
                count -= 1
                if not count:
                    return
            n += 1
            start += 600_000


def long_sessions(count: int, sessions: int = 64) -> Iterator[Call]:
    """`sessions` live sessions started together, then pinging in turn every 10 s each."""
    sids = [f"{s:064x}" for s in range(sessions)]
    for s, sid in enumerate(sids):
        body = {"playerTime": {"playhead": 0, "ts": START + s}, "eventType": "sessionStart",
                "params": session_params(f"live-{s}", "Live channel", 86400)}
        yield Call("POST", f"{HOST}/api/v1/sessions", json.dumps(body).encode(), 201,
                   (("Content-Type", "application/json"),), (("Location", f"/api/v1/sessions/{sid}"),), b"",
                   (START + s) / 1000)
    for k in range(count - sessions):
        s, tick = k % sessions, k // sessions
        ts = START + 10_000 * tick + s
        body = {"playerTime": {"playhead": 10.0 * tick, "ts": ts}, "eventType": "play" if tick == 0 else "ping"}
        yield Call("POST", f"{HOST}/api/v1/sessions/{sids[s]}/events", json.dumps(body).encode(), 204,
                   (("Content-Type", "application/json"),), (), b"", ts / 1000)


def feed(schemas: SchemaSet, calls: Iterator[Call], cap: int | None, traced: bool) -> dict:
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    tracker = Tracker(schemas=schemas, config=Config(max_calls=cap))
    for call in calls:
        tracker.feed(call)
    seconds = time.perf_counter() - began
    held, peak = tracemalloc.get_traced_memory() if traced else (0, 0)
    if traced:
        tracemalloc.stop()
    kept = sum(len(s.entries) for s in tracker.sessions.values()) + len(tracker.orphans)
    return {"held": held, "peak": peak, "kept": kept, "calls": tracker.calls,
            "sessions": len(tracker.sessions), "dropped": tracker.retention.dropped, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300_000)
    parser.add_argument("--cap", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each, the best counts")
    args = parser.parse_args()
    schemas = SchemaSet.load()
    runs: list[tuple[str, Callable[[int], Iterator[Call]]]] = [("many sessions", many_sessions),
                                                                ("long sessions", long_sessions)]
    print(f"memory of a long run of {args.calls:,} calls, without a cap and with --max-calls {args.cap:,}")
    print(f"  {'run':<14} {'sessions':>8} {'per retained call':>18} {'peak, no cap':>13} "
          f"{'peak with cap':>14} {'kept':>8} {'capped, per session':>20} {'time with cap':>14}")
    measured = []
    for name, make in runs:
        whole = feed(schemas, make(args.calls), None, traced=True)
        capped = feed(schemas, make(args.calls), args.cap, traced=True)
        # Timing apart from tracemalloc, which slows allocation-heavy code unevenly.
        plain = fast = float("inf")
        for _ in range(args.repeats):
            plain = min(plain, feed(schemas, make(args.calls), None, traced=False)["seconds"])
            fast = min(fast, feed(schemas, make(args.calls), args.cap, traced=False)["seconds"])
        per_call = whole["held"] / whole["calls"]
        print(f"  {name:<14} {whole['sessions']:>8,} {per_call:>12,.0f} bytes {whole['peak'] / MIB:>9,.0f} MiB "
              f"{capped['peak'] / MIB:>10,.0f} MiB {capped['kept']:>8,} "
              f"{capped['held'] / capped['sessions'] / 1024:>14,.1f} KiB {fast / plain:>12.2f} x")
        measured.append((name, per_call, whole, capped))
    print("  per retained call: what the uncapped run holds, over its calls (sessions' own state included);"
          " goal <= 2048 bytes")
    print("  kept: calls still in memory at the end of the capped run (each session keeps its newest);"
          " capped, per session: what that run holds")
    print("  over its sessions (the floor no cap lowers: rule state, the newest calls, findings, ping ticks);"
          " time: feeding with the cap over feeding without")
    for name, per_call, whole, capped in measured:
        goal(f"memory per retained call, {name}", f"{per_call:,.0f} bytes", "<= 2048 bytes", per_call <= 2048)
    for name, _, whole, capped in measured:
        goal(f"long run of {args.calls:,} calls, {name}: peak with --max-calls {args.cap:,}",
             f"{capped['peak'] / MIB:,.0f} MiB (no cap: {whole['peak'] / MIB:,.0f} MiB), "
             f"{capped['kept']:,} calls kept", "capped", capped["kept"] <= args.cap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
