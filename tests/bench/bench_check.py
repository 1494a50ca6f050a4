"""`playhead check` throughput, memory per retained call and start-up, as ratios (SPEC §9).

Every figure is measured beside its baseline in this one command on this machine:

1. Throughput: `playhead check` (a whole process) over a generated HAR of N calls, against
   (a) a plain loop of precompiled `jsonschema` Draft 2020-12 validators (one per event type,
       built from playhead's own schemas) over the same bodies, and
   (b) a whole process that merely loads the HAR with the standard `json` module and
       `json.loads` every body.
   Goals: ≥ 4 × (a), and faster than (b).
2. Memory: bytes held per call retained by a Tracker fed the same capture (tracemalloc).
   Goal: ≤ 2 KB per call.
3. Start-up: `playhead --help` against a bare interpreter start, medians of several runs.
   Goal: ≤ 3 ×.

    .venv/bin/python tests/bench/bench_check.py [--calls 60000]

Not part of the test run; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.resources
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from playhead.core.schemas import EVENT_TYPES, SCHEMA_BASE
from playhead.core.tracker import Tracker
from playhead.io.capture import read_capture
from playhead.simulate.offline import scenario_as_calls
from playhead.simulate.scenarios import SCENARIOS

PLAYHEAD = [sys.executable, "-m", "playhead.cli"]


def make_har(path: Path, count: int) -> list[bytes]:
    """A HAR of `count` API calls: the simulator's scenarios, played over and over."""
    entries, bodies = [], []
    start = 1764115200000
    while len(entries) < count:
        for scenario in SCENARIOS.values():
            for call in scenario_as_calls(scenario, sid=secrets.token_hex(32), start_ts=start):
                entries.append({
                    "startedDateTime": datetime.datetime.fromtimestamp(call.time, datetime.UTC).isoformat(),
                    "time": 1,
                    "request": {"method": "POST", "url": call.url, "httpVersion": "HTTP/1.1",
                                "headers": [{"name": "Content-Type", "value": "application/json"}],
                                "postData": {"mimeType": "application/json", "text": call.request_body.decode()}},
                    "response": {"status": call.status, "statusText": "", "httpVersion": "HTTP/1.1",
                                 "headers": [{"name": k, "value": v} for k, v in call.response_headers],
                                 "content": {"size": 0, "mimeType": "", "text": ""}},
                })
                bodies.append(call.request_body)
            start += 3_600_000
    har = {"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"}, "entries": entries[:count]}}
    path.write_text(json.dumps(har))
    return bodies[:count]


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def jsonschema_loop(bodies: list[bytes]) -> float:
    docs = {}
    for item in importlib.resources.files("playhead.schemas").iterdir():
        if item.name.endswith(".json"):
            docs[item.name] = json.loads(item.read_text())
    registry = Registry().with_resources(
        (SCHEMA_BASE + name, Resource.from_contents(doc, DRAFT202012)) for name, doc in docs.items()).crawl()
    validators = {t: Draft202012Validator(docs[t + ".json"], registry=registry) for t in EVENT_TYPES}
    parsed = [json.loads(b) for b in bodies]
    began = time.perf_counter()
    for body in parsed:
        validators[body["eventType"]].is_valid(body) if body.get("eventType") in validators else None
    return time.perf_counter() - began


STDLIB_LOAD = (
    "import json, sys\n"
    "har = json.load(open(sys.argv[1]))\n"
    "for e in har['log']['entries']:\n"
    "    json.loads(e['request']['postData']['text'])\n"
)


def memory_per_call(har: Path) -> tuple[float, int]:
    calls = list(read_capture(har))
    tracker = Tracker()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for call in calls:
        tracker.feed(call)
    tracker.finish()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    body_bytes = sum(len(c.request_body or b"") for c in calls)
    return held / len(calls), body_bytes // len(calls)


def median_run(command: list[str], runs: int) -> float:
    return statistics.median(timed(command) for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60_000)
    parser.add_argument("--runs", type=int, default=7, help="runs of each start-up command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        har = Path(tmp) / "capture.har"
        bodies = make_har(har, args.calls)
        n = len(bodies)
        check = timed([*PLAYHEAD, "check", str(har), "--format", "json", "-o", str(Path(tmp) / "r.json")])
        loop = jsonschema_loop(bodies)
        stdlib = timed([sys.executable, "-c", STDLIB_LOAD, str(har)])
        per_call, body_size = memory_per_call(har)
    bare = median_run([sys.executable, "-c", "pass"], args.runs)
    help_ = median_run([*PLAYHEAD, "--help"], args.runs)

    rate = n / check
    print(f"check throughput over a HAR of {n} calls (whole process)")
    print(f"  playhead check                 {rate:9.0f} calls/s  ({check:.2f} s)")
    print(f"  (a) jsonschema loop            {n / loop:9.0f} calls/s  -> check is {rate / (n / loop):.2f} x  (goal >= 4 x)")
    print(f"  (b) json load + loads bodies   {n / stdlib:9.0f} calls/s  -> check is {rate / (n / stdlib):.2f} x  (goal > 1 x)")
    print(f"memory: {per_call:.0f} bytes per retained call (bodies average {body_size} bytes)  (goal <= 2048)")
    print(f"start-up: playhead --help {help_ * 1000:.0f} ms vs bare interpreter {bare * 1000:.0f} ms"
          f" -> {help_ / bare:.2f} x  (goal <= 3 x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
