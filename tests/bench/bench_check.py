"""`playhead check` throughput and start-up, as ratios (SPEC §9; memory is bench_memory.py).

Every figure is measured beside its baselines in this one command on this machine, for each
protocol, over a generated HAR of N calls shaped like a real capture: the simulator's sessions as
the entries mitmproxy's SaveHar writes, with the request headers the SDK sends (Adobe's mobile
Media SDK for Media Collection, the Web SDK in a browser for Media Edge) and the headers and
bodies Adobe's edge answers with.

1. Throughput: `playhead check` (a whole process) against
   (a) the lean peer a user would write: a script that loads the HAR with the standard `json`,
       `json.loads` every request body and runs one precompiled `jsonschema` Draft 2020-12
       validator of the event envelope over it (the top-level shape: eventType and playerTime;
       or events[0].xdm with eventType, timestamp and mediaCollection.playhead). It is timed as
       a whole process, as check is: both do the same job, from the file to a verdict. The
       validation loop alone (bodies parsed beforehand, untimed) is printed beside it, so the
       share of reading in the peer's time is seen;
   (b) a whole process that merely loads the HAR with the standard `json` module and
       `json.loads` every request body.
   Goals: ≥ 4 × (a), ≥ 1 × (b). The processes take turns and the medians are compared.
2. Start-up: `playhead --help` against a bare interpreter start, medians of several runs.
   Goal: ≤ 3 ×.

    .venv/bin/python tests/bench/bench_check.py [--calls 60000] [--runs 7] [--check-runs 3]

Not part of the test run (tests/test_benches.py runs it on a tiny HAR); nothing here is asserted.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from goals import goal
from playhead.simulate.offline import scenario_as_calls
from playhead.simulate.scenarios import SCENARIOS

PLAYHEAD = [sys.executable, "-m", "playhead.cli"]

MC_REQUEST_HEADERS = {  # what AEP Media SDKs' network stack sends (values vary by device)
    "Host": "", "Content-Type": "application/json", "Accept": "*/*",
    "Accept-Language": "en-US;q=1.0", "Accept-Encoding": "gzip, deflate, br", "Connection": "keep-alive",
    "User-Agent": "Mozilla/5.0 (iPhone; CPU OS 17_4 like Mac OS X; en_US) AEPMedia/5.0.1",
}
MC_RESPONSE_HEADERS = {  # what the collection edge answers with, besides Location on a 201
    "Date": "Wed, 26 Nov 2025 00:00:00 GMT", "Connection": "keep-alive",
    "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Location",
    "Strict-Transport-Security": "max-age=31536000", "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache, no-store, must-revalidate", "Vary": "Origin",
}
EDGE_REQUEST_HEADERS = {  # the Web SDK's fetch from a page in Chrome (tests/data/alloy)
    "Host": "", "content-type": "text/plain; charset=UTF-8", "cache-control": "max-age=0",
    "sec-ch-ua-platform": '"macOS"', "sec-ch-ua": '"Not:A-Brand";v="8", "Chromium";v="142"',
    "sec-ch-ua-mobile": "?0", "accept": "*/*", "origin": "https://www.example-broadcaster.com",
    "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/142.0.0.0 Safari/537.36",
    "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty",
    "referer": "https://www.example-broadcaster.com/watch/harbour-lights-s1e1",
    "accept-encoding": "gzip, deflate, br, zstd", "accept-language": "en-GB,en;q=0.9", "priority": "u=1, i",
    "cookie": "kndctr_5BFE274A5F6980A50A495C08_AdobeOrg_identity=CiY3NTQwNjI3MTM4OTEyNTYzMjUyMTMyODk5MDY1NDkx"
              "MDk1NDQzNw==; kndctr_5BFE274A5F6980A50A495C08_AdobeOrg_cluster=irl1",
}
EDGE_RESPONSE_HEADERS = {  # what the Edge Network answers with
    "date": "Wed, 26 Nov 2025 00:00:00 GMT", "content-type": "application/json;charset=utf-8",
    "access-control-allow-origin": "https://www.example-broadcaster.com",
    "access-control-allow-credentials": "true", "vary": "Origin", "x-request-id": "7c6f0a6e-9a4b-4b5c-a1de",
    "x-adobe-edge": "IRL1;6", "x-konductor": "25.47.3:1a2b3c4", "strict-transport-security": "max-age=31536000",
    "server": "jag", "cache-control": "no-store, no-cache",
}
HEADERS = {"media-collection": (MC_REQUEST_HEADERS, MC_RESPONSE_HEADERS),
           "media-edge": (EDGE_REQUEST_HEADERS, EDGE_RESPONSE_HEADERS)}

# The minimal schemas a user would write for each protocol's event envelope.
ENVELOPES = {
    "media-collection": {
        "type": "object", "required": ["eventType", "playerTime"],
        "properties": {
            "eventType": {"type": "string"},
            "playerTime": {"type": "object", "required": ["playhead", "ts"],
                           "properties": {"playhead": {"type": "number"}, "ts": {"type": "integer"}}},
            "params": {"type": "object"}, "qoeData": {"type": "object"}, "customMetadata": {"type": "object"},
        },
    },
    "media-edge": {
        "type": "object", "required": ["events"],
        "properties": {"events": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["xdm"],
            "properties": {"xdm": {
                "type": "object", "required": ["eventType", "timestamp", "mediaCollection"],
                "properties": {
                    "eventType": {"type": "string"}, "timestamp": {"type": "string"},
                    "mediaCollection": {"type": "object", "required": ["playhead"],
                                        "properties": {"playhead": {"type": "integer"},
                                                       "sessionID": {"type": "string"}}},
                }}}}}},
    },
}


def scenario_calls(protocol: str, count: int) -> list:
    """`count` API calls: the simulator's scenarios over `protocol`, played over and over with
    fresh sids (the Media Edge starts answered as the Edge Network does, identity handles too)."""
    calls = []
    start = 1764115200000
    while len(calls) < count:
        for scenario in SCENARIOS.values():
            sid = secrets.token_hex(32)
            for call in scenario_as_calls(replace(scenario, protocol=protocol), sid=sid, start_ts=start):
                if protocol == "media-edge" and call.status == 200:
                    call.response_body = edge_answer(sid)
                calls.append(call)
            start += 3_600_000
    return calls[:count]


def edge_answer(sid: str) -> bytes:
    """A sessionStart's 200 as the Edge Network writes it for the Web SDK (tests/data/alloy)."""
    return json.dumps({"requestId": "60717f47-cd4b-41a6-9e3d-6f54d115eeb0", "handle": [
        {"type": "state:store", "payload": [{"key": "kndctr_5BFE274A5F6980A50A495C08_AdobeOrg_identity",
                                             "value": "CiY3NTQwNjI3MTM4OTEyNTYzMjUyMTMyODk5MDY1NDkxMDk1NDQzNw==",
                                             "maxAge": 34128000, "attrs": {"SameSite": "None"}}]},
        {"type": "identity:result", "payload": [{"id": "75406271389125632521328990654910954437",
                                                 "namespace": {"code": "ECID"}}]},
        {"type": "media-analytics:new-session", "eventIndex": 0, "payload": [{"sessionId": sid}]},
    ]}).encode()


def savehar_entries(calls: list, protocol: str) -> list[dict]:
    """The HAR entries mitmproxy's SaveHar writes for these calls as flows with the SDK's headers."""
    from mitmproxy import http  # noqa: PLC0415 - only the HAR's making needs mitmproxy
    from mitmproxy.addons.savehar import SaveHar
    from mitmproxy.test import tflow

    request_headers, response_headers = HEADERS[protocol]
    saver, entries, servers = SaveHar(), [], set()
    for call in calls:
        host = call.url.split("/")[2]
        request = http.Request.make("POST", call.url, call.request_body, {**request_headers, "Host": host})
        request.timestamp_start, request.timestamp_end = call.time, call.time + 0.002
        response = http.Response.make(call.status, call.response_body or b"",
                                      {**response_headers, **dict(call.response_headers or ())})
        response.timestamp_start, response.timestamp_end = call.time + 0.030, call.time + 0.031
        entries.append(saver.flow_entry(tflow.tflow(req=request, resp=response), servers))
    return entries


def make_har(path: Path, calls: list, protocol: str) -> None:
    har = {"log": {"version": "1.2", "creator": {"name": "bench", "version": "1"},
                   "entries": savehar_entries(calls, protocol)}}
    path.write_text(json.dumps(har))


# As on a user's machine: bytecode cached (an installed wheel ships it; an editable install
# writes it on first run), whatever this shell's PYTHONDONTWRITEBYTECODE says.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - began


def lean_loop(protocol: str, bodies_file: str) -> float:
    """Seconds for the lean peer's loop: one precompiled Draft 2020-12 validator of the envelope
    over every body, each already parsed by `json`. Run as its own process (--lean-loop) so it
    takes turns with the other commands."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    validator = Draft202012Validator(ENVELOPES[protocol])
    parsed = [json.loads(line) for line in Path(bodies_file).read_text().splitlines()]
    began = time.perf_counter()
    for body in parsed:
        validator.is_valid(body)
    return time.perf_counter() - began


def loop_seconds(protocol: str, bodies_file: Path) -> float:
    out = subprocess.run([sys.executable, __file__, "--lean-loop", protocol, str(bodies_file)],
                         check=True, capture_output=True, text=True, env=ENV).stdout
    return float(out)


STDLIB_LOAD = (
    "import json, sys\n"
    "har = json.load(open(sys.argv[1]))\n"
    "for e in har['log']['entries']:\n"
    "    json.loads(e['request']['postData']['text'])\n"
)
LEAN_PEER = (  # (a): the script a user would write to check a capture's bodies
    "import json, sys\n"
    "from jsonschema import Draft202012Validator\n"
    "validator = Draft202012Validator(json.loads(sys.argv[2]))\n"
    "har = json.load(open(sys.argv[1]))\n"
    "for e in har['log']['entries']:\n"
    "    validator.is_valid(json.loads(e['request']['postData']['text']))\n"
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
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the HARs here and keep them")
    parser.add_argument("--lean-loop", nargs=2, metavar=("PROTOCOL", "BODIES"), help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.lean_loop:
        print(lean_loop(*args.lean_loop))
        return 0
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        measures: dict[str, Callable[[], float]] = {}
        sizes = {}
        for protocol in HEADERS:
            calls = scenario_calls(protocol, args.calls)
            bodies = Path(tmp) / f"{protocol}.jsonl"
            bodies.write_bytes(b"\n".join(c.request_body for c in calls))
            har = folder / f"{protocol}.har"
            make_har(har, calls, protocol)
            sizes[protocol] = (len(calls), har.stat().st_size // len(calls))
            check = [*PLAYHEAD, "check", str(har), "--format", "json", "-o", str(Path(tmp) / "r.json")]
            measures[f"check {protocol}"] = functools.partial(timed, check)
            measures[f"stdlib {protocol}"] = functools.partial(timed, [sys.executable, "-c", STDLIB_LOAD, str(har)])
            measures[f"peer {protocol}"] = functools.partial(
                timed, [sys.executable, "-c", LEAN_PEER, str(har), json.dumps(ENVELOPES[protocol])])
            measures[f"loop {protocol}"] = functools.partial(loop_seconds, protocol, bodies)
        medians = interleaved(measures, args.check_runs)
    for protocol, (n, size) in sizes.items():
        rates[protocol] = tuple(n / medians[f"{what} {protocol}"] for what in ("check", "peer", "loop", "stdlib"))
    timed([*PLAYHEAD, "--help"])  # warm-up, as above
    bare = median_run([sys.executable, "-c", "pass"], args.runs)
    help_ = median_run([*PLAYHEAD, "--help"], args.runs)

    print(f"check throughput over SDK-shaped HARs (whole process, median of {args.check_runs} runs)")
    for protocol, (check, peer, loop, stdlib) in rates.items():
        n, size = sizes[protocol]
        print(f"  {protocol}: {n} calls, {size} bytes per entry")
        print(f"      playhead check                           {check:9.0f} calls/s")
        print(f"      (a) lean peer: json load, loads, envelope {peer:8.0f} calls/s  -> check is {check / peer:.2f} x"
              "  (goal >= 4 x)")
        print(f"          its validation loop alone            {loop:9.0f} calls/s  -> check is {check / loop:.2f} x")
        print(f"      (b) json load + loads bodies             {stdlib:9.0f} calls/s  -> check is {check / stdlib:.2f} x"
              "  (goal >= 1 x)")
    print(f"start-up: playhead --help {help_ * 1000:.0f} ms vs bare interpreter {bare * 1000:.0f} ms"
          f" -> {help_ / bare:.2f} x  (goal <= 3 x)")
    for protocol, (check, peer, _loop, stdlib) in rates.items():
        n, size = sizes[protocol]
        goal(f"check vs lean peer (json + envelope jsonschema), {protocol} SDK HAR",
             f"{check / peer:.2f} x ({check:.0f} calls/s)", ">= 4 x", check >= 4 * peer)
        goal(f"check vs json load + loads, {protocol} SDK HAR ({size} B/entry)",
             f"{check / stdlib:.2f} x ({stdlib:.0f} calls/s)", ">= 1 x", check >= stdlib)
    goal("playhead --help vs bare interpreter", f"{help_ / bare:.2f} x ({help_ * 1000:.0f} ms)",
         "<= 3 x", help_ / bare <= 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
