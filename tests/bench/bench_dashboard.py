"""The dashboard's numbers (SPEC §9): proxy throughput with the dashboard attached, key-press
latency under 200 calls/s, how fast a call reaches the screen, and 100 sessions / 100k calls.

1. Throughput. The real `playhead proxy` (dashboard on) runs in a pseudo-terminal of 160x48 whose
   output a thread drains, as a terminal would; bare `mitmdump` runs beside it; both forward to
   the same loopback upstream (bench_proxy's). One keep-alive client per proxy sends API calls
   as fast as answers come (closed loop), rounds interleaved. Goal: ≥ 0.8 × mitmdump's requests/s.
2. Keys under load. In this process: a ProxyRunner (its own thread, as in `playhead proxy`) and
   the Dashboard driven by Textual's Pilot, while a separate process sends 200 calls/s through
   the proxy. A key press is timed from the moment its Key event is posted (as the terminal
   driver posts it) until the screen has been refreshed after it (`call_after_refresh`).
   Goal: p95 ≤ 50 ms.
3. Freshness. In the same setup, a probe call with a unique event type is sent and timed until
   the dashboard has drawn its finding. Goal: ≤ 250 ms.
4. Fluidity. 100 sessions of 1000 calls (100k, fed through the real engine), then one session of
   100k calls: key latencies for moving, switching session, folding pings and filtering, and the
   cost of a redraw after new calls arrive.

    .venv/bin/python tests/bench/bench_dashboard.py [--count 2000] [--rounds 3] [--seconds 10]

Not part of the test run (pytest collects test_*.py only); timings are never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_proxy: the shared load and upstream
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: support_proxy

from bench_proxy import Load, free_port, proxies, start  # noqa: E402
from support_proxy import TIMEOUT, stop_process  # noqa: E402

from playhead.core.call import Call  # noqa: E402
from playhead.core.tracker import Tracker  # noqa: E402
from playhead.simulate import session_params  # noqa: E402

PACED_RATE = 200.0  # calls/s
HOST = "http://bench.hb-api.omtrdc.net"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def ms(values: list[float]) -> str:
    return (f"p50 {statistics.median(values) * 1000:6.1f} ms  p95 {p95(values) * 1000:6.1f} ms  "
            f"max {max(values) * 1000:6.1f} ms  (n={len(values)})")


# -- 1. throughput: the real command in a pseudo-terminal ---------------------------------------


class Terminal:
    """`playhead proxy` in a pty; a thread reads its output as a terminal emulator would."""

    def __init__(self, args: list[str], env: dict[str, str], size=(160, 48)) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(sys.executable, [sys.executable, "-m", "playhead.cli", *args],
                          {**env, "TERM": "xterm-256color"})
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.bytes = 0
        self.tail = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            self.bytes += len(chunk)
            self.tail = (self.tail + chunk)[-(1 << 16):]

    def close(self) -> None:
        os.write(self.fd, b"q")
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def paced(load: Load, rate: float, seconds: float) -> tuple[float, list[float]]:
    """Send at `rate` calls/s for `seconds`; (achieved calls/s, latencies)."""
    latencies = []
    began = time.perf_counter()
    n = 0
    while (now := time.perf_counter()) - began < seconds:
        due = began + n / rate
        if due > now:
            time.sleep(due - now)
        latencies.append(load.one())
        n += 1
    return n / (time.perf_counter() - began), latencies


def throughput(args, env: dict[str, str], home: Path) -> None:
    upstream, upstream_port = start([sys.executable, str(Path(__file__).with_name("bench_proxy.py")),
                                     "--serve-upstream", "{port}"], env)
    mitmdump, mitm_port = start(proxies(home)["mitmdump"], env)
    dash_port = free_port()
    terminal = Terminal(["proxy", "--port", str(dash_port)], env)
    try:
        wait_listening(dash_port)
        target = f"http://127.0.0.1:{upstream_port}"
        loads = {"mitmdump": (Load(mitm_port, target), mitmdump.pid),
                 "playhead + dashboard": (Load(dash_port, target), terminal.pid)}
        for load, pid in loads.values():
            load.round(200, pid)  # warm-up
        results: dict[str, list[tuple[float, float, float | None]]] = {name: [] for name in loads}
        for _ in range(args.rounds):
            for name, (load, pid) in loads.items():
                results[name].append(load.round(args.count, pid))
        print(f"\n1. throughput: {args.count} requests x {args.rounds} rounds, closed loop, one keep-alive "
              "connection, loopback upstream; the dashboard draws to a 160x48 pseudo-terminal")
        summary = {}
        for name, rounds in results.items():
            rate = statistics.median(r for r, _, _ in rounds)
            cpus = [c for _, _, c in rounds if c is not None]
            cpu = statistics.median(cpus) if cpus else None
            summary[name] = (rate, cpu)
            print(f"   {name:<22} {rate:6.0f} req/s  (rounds: {', '.join(f'{r:.0f}' for r, _, _ in rounds)})"
                  + (f"   CPU {cpu:.3f} ms/request" if cpu is not None else ""))
        ours, bare = summary["playhead + dashboard"], summary["mitmdump"]
        print(f"   playhead with the dashboard / mitmdump: {ours[0] / bare[0]:.2f} x requests/s (goal >= 0.8)"
              + (f", {ours[1] / bare[1]:.2f} x CPU per request" if ours[1] and bare[1] else ""))
        print(f"   terminal output drained: {terminal.bytes / 1e6:.1f} MB")
        for name, (load, _) in loads.items():
            rate, latencies = paced(load, PACED_RATE, min(args.seconds, 5))
            print(f"   at {PACED_RATE:.0f} calls/s, {name:<22} achieved {rate:5.0f}/s, latency "
                  f"{ms(latencies)}")
        for load, _ in loads.values():
            load.conn.close()
    finally:
        terminal.close()
        for proc in (mitmdump, upstream):
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(TIMEOUT)
            finally:
                stop_process(proc)


# -- 2 and 3. keys and freshness under 200 calls/s, in process -----------------------------------


def serve_load(proxy_port: int, upstream_port: int, rate: float, seconds: float) -> None:
    """The paced client, in its own process so it never competes for the dashboard's GIL."""
    load = Load(proxy_port, f"http://127.0.0.1:{upstream_port}")
    rate_done, _ = paced(load, rate, seconds)
    print(f"{rate_done:.1f}", flush=True)


class Probe:
    """A session of its own whose events carry a unique eventType: each becomes a finding."""

    def __init__(self, proxy_port: int, upstream_port: int) -> None:
        self.load = Load(proxy_port, f"http://127.0.0.1:{upstream_port}")
        self.load.one()  # its sessionStart
        self.n = 0

    def send(self) -> str:
        self.n += 1
        name = f"probe{self.n:05d}"
        self.load.ts += 1000
        body = json.dumps({"playerTime": {"playhead": self.n, "ts": self.load.ts}, "eventType": name})
        conn = self.load.conn
        conn.request("POST", f"{self.load.base}/api/v1/sessions/{self.load.sid}/events", body=body,
                     headers={"Content-Type": "application/json"})
        conn.getresponse().read()
        return name


async def answer(app, key: str) -> float:
    """Seconds from a key press to the screen refreshed after it."""
    from textual import events

    done = asyncio.Event()
    began = time.perf_counter()
    app.post_message(events.Key(key, key if len(key) == 1 else None))
    app.call_after_refresh(done.set)
    await asyncio.wait_for(done.wait(), TIMEOUT)
    return time.perf_counter() - began


async def drawn(app, predicate, began: float) -> float:
    """Seconds from `began` until `predicate()` holds and the screen has refreshed after it."""
    while not predicate():
        if time.perf_counter() - began > TIMEOUT:
            raise SystemExit("never drawn")
        await asyncio.sleep(0.002)
    done = asyncio.Event()
    app.call_after_refresh(done.set)
    await asyncio.wait_for(done.wait(), TIMEOUT)
    return time.perf_counter() - began


async def keys_under_load(args, env: dict[str, str]) -> None:
    from playhead.proxy.runner import ProxyRunner
    from playhead.tui.app import Dashboard
    from playhead.tui.widgets.status import Origin

    upstream, upstream_port = start([sys.executable, str(Path(__file__).with_name("bench_proxy.py")),
                                     "--serve-upstream", "{port}"], env)
    runner = ProxyRunner(port=0, log=None, options={"confdir": env["HOME"] + "/.mitmproxy"})
    runner.start()
    host, port = runner.listen_address
    app = Dashboard(runner.tracker, Origin("forward", listen=f"{host}:{port}"))
    load = subprocess.Popen([sys.executable, __file__, "--serve-load", str(port), str(upstream_port),
                             str(PACED_RATE), str(args.seconds)], stdout=subprocess.PIPE, text=True, env=env)
    keys: list[float] = []
    fresh: list[float] = []
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            probe = Probe(port, upstream_port)
            cycle = ["down", "down", "tab", "up", "down", "p", "tab", "down", "e", "e", "tab", "up"]
            i = 0
            await pilot.pause()
            while load.poll() is None:
                keys.append(await answer(app, cycle[i % len(cycle)]))
                i += 1
                if i % 5 == 0:  # freshness: from sending a call to its finding on screen
                    sent = time.perf_counter()
                    name = await asyncio.to_thread(probe.send)
                    fresh.append(await drawn(app, lambda: any(
                        name in f.message for f in app.findings.findings[app.findings.start:][-20:])
                        and app._counted == len(app.tracker.findings), sent))
                await asyncio.sleep(0.1)
            achieved = load.stdout.read().strip()
            calls = runner.tracker.calls
    finally:
        runner.stop()
        stop_process(load)
        upstream.send_signal(signal.SIGINT)
        upstream.wait(TIMEOUT)
    print(f"\n2. keys under load: {achieved} calls/s through the proxy for {args.seconds:g} s "
          f"({calls} API calls), dashboard in the same process")
    print(f"   key press handled and drawn: {ms(keys)}  (goal p95 <= 50 ms)")
    print(f"\n3. freshness: probe call sent -> its finding drawn: {ms(fresh)}  (goal <= 250 ms)")


# -- 4. 100 sessions, 100k calls -----------------------------------------------------------------


def long_sessions(sessions: int, calls_each: int, start_ts: int) -> list[Call]:
    """Real API calls: a sessionStart, play, then pings 10 s apart with an ad break every 100
    calls and a pause now and then; sessions interleaved as a proxy would see them."""
    per_session: list[list[Call]] = []
    for s in range(sessions):
        sid = f"{s:064x}"
        url = f"{HOST}/api/v1/sessions/{sid}/events"
        ts, playhead = start_ts + s * 137, 0.0
        start = {"playerTime": {"playhead": 0, "ts": ts}, "eventType": "sessionStart",
                 "params": session_params(f"bench-{s:03d}", f"Bench show {s}", 86400 * 2)}
        calls = [Call("POST", f"{HOST}/api/v1/sessions", json.dumps(start).encode(), 201, (),
                      (("Location", f"/api/v1/sessions/{sid}"),), b"", ts / 1000)]

        def event(kind: str, params: dict | None = None) -> None:
            body = {"playerTime": {"playhead": playhead, "ts": ts}, "eventType": kind}
            if params:
                body["params"] = params
            calls.append(Call("POST", url, json.dumps(body).encode(), 204, (), (), b"", ts / 1000))

        event("play")
        pod = 0
        while len(calls) < calls_each:
            n = len(calls)
            ts += 10_000
            if n % 100 == 0:
                pod += 1
                event("adBreakStart", {"media.ad.podIndex": pod, "media.ad.podSecond": playhead})
                ts += 10
                event("adStart", {"media.ad.id": f"ad-{pod}", "media.ad.length": 10,
                                  "media.ad.podPosition": 1, "media.ad.playerName": "bench"})
                ts += 10_000
                event("adComplete")
                ts += 10
                event("adBreakComplete")
                ts += 10
                event("play")
            elif n % 37 == 0:
                event("pauseStart")
                ts += 5_000
                event("play")
            else:
                playhead += 10
                event("ping")
        per_session.append(calls[:calls_each])
    interleaved = [c for batch in zip(*per_session) for c in batch]
    return interleaved


async def timed_keys(app, keys: list[str], repeat: int) -> list[float]:
    return [await answer(app, key) for _ in range(repeat) for key in keys]


async def fluidity() -> None:
    from playhead.tui.app import Dashboard
    from playhead.tui.widgets.findings import FindingFilter
    from playhead.tui.widgets.status import Origin

    start_ts = int(time.time() * 1000) - 3_600_000
    print("\n4. fluidity")
    for sessions, each in ((100, 1000), (1, 100_000)):
        calls = long_sessions(sessions, each, start_ts)
        tracker = Tracker(live=True)
        began = time.perf_counter()
        for call in calls[:-200]:
            tracker.feed(call)
        fed = time.perf_counter() - began
        app = Dashboard(tracker, Origin("forward", listen="127.0.0.1:8080"))
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            print(f"   {sessions} session(s) x {each} calls = {tracker.calls} calls "
                  f"({len(tracker.findings)} findings), fed in {fed:.1f} s")
            moves = await timed_keys(app, ["down", "down", "up"], 20)
            print(f"     sessions table up/down (switches session):   {ms(moves)}")
            app.timeline.focus()
            pages = await timed_keys(app, ["pageup", "pageup", "down", "pagedown", "home", "end"], 10)
            print(f"     timeline pgup/pgdn/home/end:                 {ms(pages)}")
            folds = await timed_keys(app, ["p"], 10)
            print(f"     fold / unfold pings:                         {ms(folds)}")
            filters = []
            for flt in (FindingFilter(rule="ping"), FindingFilter(), FindingFilter(session="bench-05")) * 3:
                began = time.perf_counter()
                app._set_filter(flt)
                filters.append(await drawn(app, lambda: True, began))
            print(f"     findings filter change:                      {ms(filters)}")
            began = time.perf_counter()
            for call in calls[-200:]:
                tracker.feed(call)
            fed = len(tracker.findings)
            took = await drawn(app, lambda: app._counted == fed and not app._wake_pending, began)
            print(f"     200 more calls fed, until drawn:             {took * 1000:6.1f} ms "
                  "(includes the feeding and up to one redraw interval)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="requests per throughput round")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds per proxy")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of paced load for the key test")
    parser.add_argument("--only", choices=("throughput", "keys", "fluidity"), help="run one part")
    parser.add_argument("--serve-load", nargs=4, metavar=("PROXY", "UPSTREAM", "RATE", "SECONDS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_load:
        proxy_port, upstream_port, rate, seconds = args.serve_load
        serve_load(int(proxy_port), int(upstream_port), float(rate), float(seconds))
        return 0
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "NO_COLOR": "1"}
        if args.only in (None, "throughput"):
            throughput(args, env, Path(home))
        if args.only in (None, "keys"):
            asyncio.run(keys_under_load(args, env))
        if args.only in (None, "fluidity"):
            asyncio.run(fluidity())
    return 0


if __name__ == "__main__":
    sys.exit(main())
