"""`playhead check` throughput and start-up, as ratios (SPEC §9; memory is bench_memory.py).

Every figure is measured beside its baseline in this one command on this machine:

1. Throughput: `playhead check` (a whole process) over a generated HAR of N calls, against
   (a) a plain loop of precompiled `jsonschema` Draft 2020-12 validators (one per event type,
       built from playhead's own schemas) over the same bodies, and
   (b) a whole process that merely loads the HAR with the standard `json` module and
       `json.loads` every body.
   Goals: ≥ 4 × (a), and faster than (b). Process runs are interleaved and the medians compared.
   Two HARs of the same calls: "minimal" entries (method, URL, one header, body, status,
   Location), and the entries mitmproxy's own SaveHar writes for flows carrying the headers a
   device's SDK sends and Adobe's edge answers with (what `playhead check` is really given).
2. Start-up: `playhead --help` against a bare interpreter start, medians of several runs.
   Goal: ≤ 3 ×.

    .venv/bin/python tests/bench/bench_check.py [--calls 60000] [--runs 7] [--check-runs 3]

Not part of the test run; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib.resources
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from goals import goal
from playhead.core.schemas import EVENT_TYPES, SCHEMA_BASE
from playhead.simulate.offline import scenario_as_calls
from playhead.simulate.scenarios import SCENARIOS

PLAYHEAD = [sys.executable, "-m", "playhead.cli"]


SDK_REQUEST_HEADERS = {  # what AEP Media SDKs' network stack sends (values vary by device)
    "Host": "", "Content-Type": "application/json", "Accept": "*/*",
    "Accept-Language": "en-US;q=1.0", "Accept-Encoding": "gzip, deflate, br", "Connection": "keep-alive",
    "User-Agent": "Mozilla/5.0 (iPhone; CPU OS 17_4 like Mac OS X; en_US) AEPMedia/5.0.1",
}
EDGE_RESPONSE_HEADERS = {  # what the collection edge answers with, besides Location on a 201
    "Date": "Wed, 26 Nov 2025 00:00:00 GMT", "Connection": "keep-alive",
    "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Location",
    "Strict-Transport-Security": "max-age=31536000", "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache, no-store, must-revalidate", "Vary": "Origin",
}


def scenario_calls(count: int) -> list:
    """`count` API calls: the simulator's scenarios, played over and over with fresh sids."""
    calls = []
    start = 1764115200000
    while len(calls) < count:
        for scenario in SCENARIOS.values():
            calls.extend(scenario_as_calls(scenario, sid=secrets.token_hex(32), start_ts=start))
            start += 3_600_000
    return calls[:count]


def minimal_entry(call) -> dict:
    return {
        "startedDateTime": datetime.datetime.fromtimestamp(call.time, datetime.UTC).isoformat(),
        "time": 1,
        "request": {"method": "POST", "url": call.url, "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "Content-Type", "value": "application/json"}],
                    "postData": {"mimeType": "application/json", "text": call.request_body.decode()}},
        "response": {"status": call.status, "statusText": "", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": k, "value": v} for k, v in call.response_headers],
                     "content": {"size": 0, "mimeType": "", "text": ""}},
    }


def savehar_entries(calls: list) -> list[dict]:
    """The HAR entries mitmproxy's SaveHar writes for these calls as flows with SDK headers."""
    from mitmproxy import http  # noqa: PLC0415 - only this HAR needs mitmproxy
    from mitmproxy.addons.savehar import SaveHar
    from mitmproxy.test import tflow

    saver, entries, servers = SaveHar(), [], set()
    for call in calls:
        host = call.url.split("/")[2]
        request = http.Request.make("POST", call.url, call.request_body, {**SDK_REQUEST_HEADERS, "Host": host})
        request.timestamp_start, request.timestamp_end = call.time, call.time + 0.002
        response = http.Response.make(call.status, b"", {**EDGE_RESPONSE_HEADERS, **dict(call.response_headers)})
        response.timestamp_start, response.timestamp_end = call.time + 0.030, call.time + 0.031
        entries.append(saver.flow_entry(tflow.tflow(req=request, resp=response), servers))
    return entries


def make_har(path: Path, calls: list, shape: str) -> None:
    entries = [minimal_entry(c) for c in calls] if shape == "minimal" else savehar_entries(calls)
    har = {"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"}, "entries": entries}}
    path.write_text(json.dumps(har))


# As on a user's machine: bytecode cached (an installed wheel ships it; an editable install
# writes it on first run), whatever this shell's PYTHONDONTWRITEBYTECODE says.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - began


def jsonschema_loop(bodies_file: str) -> float:
    """Seconds for the plain loop: one precompiled Draft 2020-12 validator per event type (the
    baseline SPEC §9 names), each body already parsed. Run as its own process (--jsonschema-loop)
    so it takes turns with the other commands."""
    docs = {}
    for item in importlib.resources.files("playhead.schemas").iterdir():
        if item.name.endswith(".json"):
            docs[item.name] = json.loads(item.read_text())
    registry = Registry().with_resources(
        (SCHEMA_BASE + name, Resource.from_contents(doc, DRAFT202012)) for name, doc in docs.items()).crawl()
    validators = {t: Draft202012Validator(docs[t + ".json"], registry=registry) for t in EVENT_TYPES}
    parsed = [json.loads(line) for line in Path(bodies_file).read_text().splitlines()]
    began = time.perf_counter()
    for body in parsed:
        validators[body["eventType"]].is_valid(body) if body.get("eventType") in validators else None
    return time.perf_counter() - began


def loop_seconds(bodies_file: Path) -> float:
    out = subprocess.run([sys.executable, __file__, "--jsonschema-loop", str(bodies_file)],
                         check=True, capture_output=True, text=True, env=ENV).stdout
    return float(out)


STDLIB_LOAD = (
    "import json, sys\n"
    "har = json.load(open(sys.argv[1]))\n"
    "for e in har['log']['entries']:\n"
    "    json.loads(e['request']['postData']['text'])\n"
)


def median_run(command: list[str], runs: int) -> float:
    return statistics.median(timed(command) for _ in range(runs))


def interleaved(measures: dict[str, Callable[[], float]], runs: int) -> dict[str, float]:
    """Median seconds of each measure, the measures taking turns so they share the machine."""
    times: dict[str, list[float]] = {name: [] for name in measures}
    for measure in measures.values():
        measure()  # warm-up: bytecode and file cache, as every later run has them
    for _ in range(runs):
        for name, measure in measures.items():
            times[name].append(measure())
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60_000)
    parser.add_argument("--runs", type=int, default=7, help="runs of each start-up command")
    parser.add_argument("--check-runs", type=int, default=3, help="runs of each throughput command")
    parser.add_argument("--jsonschema-loop", metavar="BODIES", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.jsonschema_loop:
        print(jsonschema_loop(args.jsonschema_loop))
        return 0
    calls = scenario_calls(args.calls)
    n = len(calls)
    with tempfile.TemporaryDirectory() as tmp:
        bodies = Path(tmp) / "bodies.jsonl"
        bodies.write_bytes(b"\n".join(c.request_body for c in calls))
        measures: dict[str, Callable[[], float]] = {"loop": lambda: loop_seconds(bodies)}
        sizes = {}
        for shape in ("minimal", "SaveHar"):
            har = Path(tmp) / f"{shape}.har"
            make_har(har, calls, shape)
            sizes[shape] = har.stat().st_size // n
            check = [*PLAYHEAD, "check", str(har), "--format", "json", "-o", str(Path(tmp) / "r.json")]
            stdlib = [sys.executable, "-c", STDLIB_LOAD, str(har)]
            measures[f"check {shape}"] = functools.partial(timed, check)
            measures[f"stdlib {shape}"] = functools.partial(timed, stdlib)
        medians = interleaved(measures, args.check_runs)
    loop_rate = n / medians["loop"]
    rates = {shape: (n / medians[f"check {shape}"], n / medians[f"stdlib {shape}"], size)
             for shape, size in sizes.items()}
    timed([*PLAYHEAD, "--help"])  # warm-up, as above
    bare = median_run([sys.executable, "-c", "pass"], args.runs)
    help_ = median_run([*PLAYHEAD, "--help"], args.runs)

    print(f"check throughput over a HAR of {n} calls (whole process, median of {args.check_runs} runs)")
    print(f"  (a) jsonschema loop over the bodies        {loop_rate:9.0f} calls/s")
    for shape, (rate, stdlib, size) in rates.items():
        print(f"  {shape} HAR ({size} bytes per entry):")
        print(f"      playhead check                         {rate:9.0f} calls/s"
              f"  -> {rate / loop_rate:.2f} x (a)  (goal >= 4 x)")
        print(f"      (b) json load + loads bodies           {stdlib:9.0f} calls/s"
              f"  -> check is {rate / stdlib:.2f} x (b)  (goal > 1 x)")
    print(f"start-up: playhead --help {help_ * 1000:.0f} ms vs bare interpreter {bare * 1000:.0f} ms"
          f" -> {help_ / bare:.2f} x  (goal <= 3 x)")
    for shape, (rate, stdlib, size) in rates.items():
        goal(f"check vs jsonschema loop, {shape} HAR", f"{rate / loop_rate:.2f} x ({rate:.0f} calls/s)",
             ">= 4 x", rate / loop_rate >= 4)
        goal(f"check vs json load + loads, {shape} HAR ({size} B/entry)",
             f"{rate / stdlib:.2f} x ({stdlib:.0f} calls/s)", "> 1 x", rate > stdlib)
    goal("playhead --help vs bare interpreter", f"{help_ / bare:.2f} x ({help_ * 1000:.0f} ms)",
         "<= 3 x", help_ / bare <= 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
