"""Proxy cost (SPEC §9): `playhead proxy --headless` against bare `mitmdump`, same loopback load.

Both proxies run as their own processes in front of the same local upstream (201 + Location,
then 204, HTTP/1.1 keep-alive on 127.0.0.1). One client sends the same Media Collection API calls
over one keep-alive connection: a realistic mix (`Load`: the simulator's VOD with pre-, mid- and
post-roll ads and pauses, a live stream with chapters, and Adobe's two documented timelines, one
session after another, their time compressed; about half the calls are pings), COUNT requests
per round after a warm-up, rounds interleaved so both see the same machine.
Prints requests/s and median latency per proxy and the ratios (goal: ≥ 0.9 × the requests/s,
≤ 1.1 × the median latency). A third playhead runs with `--api-port` while a client polls its
automation API's `/v1/sessions` at 10 Hz during its rounds: the API must cost no more than the
noise between the two bare mitmdump runs.

    .venv/bin/python tests/bench/bench_proxy.py [--count 2000] [--rounds 3]

Not part of the test run (pytest collects test_*.py only); timings are never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

from goals import goal  # noqa: E402
from support_proxy import MITMDUMP, TIMEOUT, spawn, stop_process  # noqa: E402

from playhead.simulate import SCENARIOS, Step, build_body  # noqa: E402

MIX = ("vod-clean", "live-chapters", "adobe-timeline-1", "adobe-timeline-3")  # Media Collection, no defects
WARMUP = 200
POLLED = "playhead + API 10 Hz"
POLL_INTERVAL = 0.1  # seconds: an automation client asking for the sessions ten times a second


def proxies(home: Path) -> dict[str, list[str]]:
    """The commands, with {port} to fill in (`mitmdump -q` prints nothing, not even its port)."""
    confdir = f"confdir={home / '.mitmproxy'}"
    return {
        "mitmdump": [MITMDUMP, "--listen-host", "127.0.0.1", "-p", "{port}", "--set", confdir],
        "mitmdump -q": [MITMDUMP, "-q", "--listen-host", "127.0.0.1", "-p", "{port}", "--set", confdir],
        "playhead --headless": [sys.executable, "-m", "playhead.cli", "proxy", "--headless", "--port", "{port}"],
        POLLED: [sys.executable, "-m", "playhead.cli", "proxy", "--headless", "--port", "{port}",
                 "--api-port", str(free_port())],
    }


class Poller:
    """GET /v1/sessions every POLL_INTERVAL on the proxy's --api-port while `with` lasts."""

    def __init__(self, command: list[str]) -> None:
        self.url = f"http://127.0.0.1:{command[command.index('--api-port') + 1]}/v1/sessions"
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _run(self) -> None:
        while not self._stop.wait(POLL_INTERVAL):
            with self._opener.open(self.url, timeout=TIMEOUT) as answer:
                answer.read()
            self.polls += 1

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict[str, str]):
    """Start a proxy on a free port; (process, port) once it accepts connections."""
    port = free_port()
    proc, out, err = spawn([part.replace("{port}", str(port)) for part in command], env=env)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    stop_process(proc)
    raise SystemExit(f"{command[0]} did not start listening:\n{out.rest(1)}\n{err.rest(1)}")


def mixed_steps() -> Iterator[Step]:
    """The steps of the MIX sessions, one session after another, for ever."""
    while True:
        for name in MIX:
            yield from SCENARIOS[name].steps


class Load:
    """The client: one keep-alive connection through the proxy, API calls in session order."""

    def __init__(self, proxy_port: int, upstream_url: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=TIMEOUT)
        self.base = upstream_url
        self.sid: str | None = None
        self.ts = int(time.time() * 1000)  # the current session's start
        self._steps = mixed_steps()

    def one(self) -> float:
        """Send the next call; its latency in seconds."""
        step = next(self._steps)
        if step.endpoint == "sessions":
            self.ts = int(time.time() * 1000)
            url = f"{self.base}/api/v1/sessions"
        else:
            url = f"{self.base}/api/v1/sessions/{self.sid}/events"
        body = json.dumps(build_body(step, self.ts), separators=(",", ":")).encode()
        began = time.perf_counter()
        self.conn.request("POST", url, body=body, headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        response.read()
        latency = time.perf_counter() - began
        if response.status == 201:
            self.sid = response.headers["Location"].rsplit("/", 1)[-1]
        elif response.status != 204:
            raise SystemExit(f"unexpected answer {response.status}")
        return latency

    def round(self, count: int, pid: int) -> tuple[float, float, float | None]:
        """(requests/s, median latency in ms, the proxy's CPU ms per request) over `count`
        requests. CPU time is what the proxy itself spent, so it barely moves when other
        programs share the machine; wall-clock rates do."""
        cpu = cpu_seconds(pid)
        began = time.perf_counter()
        latencies = [self.one() for _ in range(count)]
        elapsed = time.perf_counter() - began
        after = cpu_seconds(pid)
        per_request = (after - cpu) / count * 1000 if cpu is not None and after is not None else None
        return count / elapsed, statistics.median(latencies) * 1000, per_request


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Upstream(BaseHTTPRequestHandler):
    """201 + Location for a sessionStart, 204 for an event; keep-alive, no logging."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.endswith("/sessions"):
            self.send_response_only(201)
            self.send_header("Location", f"/api/v1/sessions/{secrets.token_hex(32)}")
        else:
            self.send_response_only(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve_upstream(port: int) -> None:
    """The upstream runs in its own process so it never competes with the client for one GIL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Upstream)
    server.daemon_threads = True
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="requests per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per proxy, interleaved (default 3)")
    parser.add_argument("--serve-upstream", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        serve_upstream(args.serve_upstream)
        return 0

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "NO_COLOR": "1"}
        running = {}
        upstream = None
        try:
            upstream, upstream_port = start([sys.executable, __file__, "--serve-upstream", "{port}"], env)
            listening: dict[str, float] = {}  # seconds from spawn to accepting connections
            commands = proxies(Path(home))
            for name, command in commands.items():
                began = time.perf_counter()
                proc, port = start(command, env)
                listening[name] = time.perf_counter() - began
                running[name] = (proc, Load(port, f"http://127.0.0.1:{upstream_port}"))
            for proc, load in running.values():
                load.round(min(WARMUP, args.count), proc.pid)
            results: dict[str, list[tuple[float, float, float | None]]] = {name: [] for name in running}
            polls = 0
            for _ in range(args.rounds):
                for name, (proc, load) in running.items():
                    if name == POLLED:
                        with Poller(commands[name]) as poller:
                            results[name].append(load.round(args.count, proc.pid))
                        polls += poller.polls
                    else:
                        results[name].append(load.round(args.count, proc.pid))
        finally:
            if upstream is not None:
                running["upstream"] = (upstream, None)
            for proc, load in running.values():
                if load is not None:
                    load.conn.close()
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(TIMEOUT)
                finally:
                    stop_process(proc)

    print(f"{args.count} requests x {args.rounds} rounds, one keep-alive connection, loopback upstream; "
          f"the sessions of {', '.join(MIX)} in turn")
    summary = {}
    for name, rounds in results.items():
        rate = statistics.median(r[0] for r in rounds)
        latency = statistics.median(r[1] for r in rounds)
        cpus = [r[2] for r in rounds if r[2] is not None]
        cpu = statistics.median(cpus) if cpus else None
        summary[name] = (rate, latency, cpu)
        shown = ", ".join(f"{r[0]:.0f}" for r in rounds)
        cpu_text = f"   CPU {cpu:.3f} ms/request" if cpu is not None else ""
        print(f"  {name:<20} {rate:7.0f} req/s (rounds: {shown})   median latency {latency:.3f} ms{cpu_text}")
    ours = summary["playhead --headless"]
    for bare in ("mitmdump", "mitmdump -q"):
        theirs = summary[bare]
        line = (f"playhead / {bare}: {ours[0] / theirs[0]:.2f} x requests/s (goal >= 0.9), "
                f"{ours[1] / theirs[1]:.2f} x median latency (goal <= 1.1)")
        if ours[2] is not None and theirs[2]:
            line += f", {ours[2] / theirs[2]:.2f} x CPU per request"
        print(line)
    print("listening after: " + ", ".join(f"{name} {t:.2f} s" for name, t in listening.items()))
    # The goal lines take the baseline that makes playhead look worse: noise must not flatter it.
    rate = min(ours[0] / summary[bare][0] for bare in ("mitmdump", "mitmdump -q"))
    latency = max(ours[1] / summary[bare][1] for bare in ("mitmdump", "mitmdump -q"))
    goal("proxy --headless vs bare mitmdump, requests/s", f"{rate:.2f} x ({ours[0]:.0f} req/s)",
         ">= 0.9 x", rate >= 0.9)
    goal("proxy --headless vs bare mitmdump, median latency", f"{latency:.2f} x ({ours[1]:.2f} ms)",
         "<= 1.1 x", latency <= 1.1)
    polled = summary[POLLED]
    noise = max(summary["mitmdump"][0], summary["mitmdump -q"][0]) / min(summary["mitmdump"][0], summary["mitmdump -q"][0])
    print(f"{POLLED}: {polls} polls of /v1/sessions; {polled[0] / ours[0]:.2f} x the requests/s and "
          f"{polled[1] / ours[1]:.2f} x the median latency of playhead without polling "
          f"(bare mitmdump vs mitmdump -q differ by {noise:.2f} x)")
    goal("automation API polled at 10 Hz vs not, requests/s", f"{polled[0] / ours[0]:.2f} x ({polls} polls)",
         f">= 1 / noise ({1 / noise:.2f} x)", polled[0] / ours[0] >= 1 / noise)
    up = listening["playhead --headless"]
    goal("playhead proxy --headless listening after", f"{up:.2f} s (mitmdump {listening['mitmdump']:.2f} s)",
         "<= 2 s", up <= 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
