"""The dashboard's numbers (SPEC §9): proxy throughput with the dashboard attached, key-press
latency under 200 calls/s, how fast a call reaches the screen, and 100 sessions / 100k calls.

1. Throughput. The real `playhead proxy` (dashboard on) runs in a pseudo-terminal of 160x48 whose
   output a thread drains, as a terminal would; bare `mitmdump` runs beside it; both forward to
   the same loopback upstream (bench_proxy's). One keep-alive client per proxy sends API calls
   as fast as answers come (closed loop), rounds interleaved. Goal: ≥ 0.8 × mitmdump's requests/s.
2. Keys under load. A child process on its own 160x48 pseudo-terminal runs a ProxyRunner (its own
   thread, as `playhead proxy` does) and the Dashboard with a real terminal driver, while another
   process sends 200 calls/s through the proxy. The child posts key events as the terminal driver
   does and times each until the first frame written after the app has handled everything the
   key caused (Textual's `_display`, where frames go to the terminal). Goal: p95 ≤ 50 ms.
3. Freshness. In the same child, a probe call with a unique event type is sent and timed until
   the frame showing its finding has been written. Goal: ≤ 250 ms.
4. Fluidity. The same child over 100 sessions of 1000 calls (100k, fed through the real engine),
   then over one session of 100k calls: key latencies for moving, switching session, folding
   pings and filtering, and how long 200 more calls take to reach the screen.

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

    def __init__(self, args: list[str], env: dict[str, str], size=(160, 48), script: list[str] | None = None) -> None:
        argv = [sys.executable, *script] if script else [sys.executable, "-m", "playhead.cli", *args]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(sys.executable, argv, {**env, "TERM": "xterm-256color"})
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
        try:
            os.write(self.fd, b"q")
        except OSError:
            pass  # it has ended already
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


# -- 2, 3 and 4: the dashboard in a real terminal, timed from inside ----------------------------


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



def timed_dashboard():
    """The Dashboard with a stopwatch: `_display` is where Textual hands a finished frame to the
    terminal driver (encoded and written), so a key is answered when the last frame it caused has
    been displayed. Bench-only: it relies on that one private hook."""
    from textual import events

    from playhead.tui.app import Dashboard

    class Timed(Dashboard):
        def __init__(self, *args, plan, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.plan = plan
            self.results: dict[str, list[float]] = {}
            self.last_frame = 0.0
            self._frame = asyncio.Event()

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is not None:
                self.last_frame = time.perf_counter()
                self._frame.set()

        async def answered(self, began: float) -> float | None:
            """When the change asked for since `began` was on screen: the first frame written
            after the app has handled every message it caused (the panes post theirs to the
            app), or, if none comes, the last one written meanwhile; None if nothing changed."""
            for _ in range(3):
                done = asyncio.Event()
                self.call_later(done.set)
                await asyncio.wait_for(done.wait(), TIMEOUT)
            self._frame.clear()
            try:
                await asyncio.wait_for(self._frame.wait(), 0.2)
            except TimeoutError:
                pass
            return self.last_frame - began if self.last_frame > began else None

        def _state(self) -> tuple:
            focused = self.focused
            return (focused, getattr(focused, "cursor", None), self.timeline.session,
                    self.timeline.fold, self.findings.filter)

        async def key(self, key: str, record: str) -> None:
            """A key posted as the terminal driver posts it, timed until it is on screen. A key
            that changed nothing (the cursor already at the end) is not a sample: the frame
            that would be timed is some other work's."""
            before = self._state()
            began = time.perf_counter()
            self.post_message(events.Key(key, key if len(key) == 1 else None))
            took = await self.answered(began)
            if took is not None and self._state() != before:
                self.results.setdefault(record, []).append(took)

        async def until_drawn(self, predicate, began: float, record: str) -> None:
            while not predicate():
                await asyncio.sleep(0.002)
            took = await self.answered(began)
            self.results.setdefault(record, []).append(took if took is not None else 0.0)

        def on_mount(self) -> None:
            super().on_mount()
            self.run_worker(self.plan(self), exclusive=False)

    return Timed


def child(mode: str, result_path: str, extra: list[str]) -> None:
    """Runs inside the pseudo-terminal: the dashboard, its stopwatch, and the plan for `mode`."""
    from playhead.tui.widgets.status import Origin

    Timed = timed_dashboard()
    result = Path(result_path)
    if mode == "live":
        from playhead.proxy.runner import ProxyRunner

        upstream_port, seconds = int(extra[0]), float(extra[1]) + 1  # outlive the load
        runner = ProxyRunner(port=0, log=None, options={"confdir": os.environ["HOME"] + "/.mitmproxy"})
        runner.start()
        port = runner.listen_address[1]
        result.with_suffix(".port").write_text(str(port))
        probe = Probe(port, upstream_port)

        async def plan(app) -> None:
            cycle = ["down", "down", "tab", "up", "down", "p", "tab", "down", "e", "e", "tab", "up"]
            end = time.perf_counter() + seconds
            i = 0
            kinds = {"down": "keys: up/down", "up": "keys: up/down", "tab": "keys: tab",
                     "p": "keys: fold pings", "e": "keys: errors only"}
            while time.perf_counter() < end:
                key = cycle[i % len(cycle)]
                await app.key(key, kinds[key])
                i += 1
                if i % 5 == 0:  # a call in, until its finding is on screen
                    sent = time.perf_counter()
                    name = await asyncio.to_thread(probe.send)
                    tracker = app.tracker
                    await app.until_drawn(
                        lambda: any(name in f.message for f in tracker.findings[-20:])
                        and app._counted == len(tracker.findings), sent, "fresh")
                await asyncio.sleep(0.1)
            app.results["calls"] = [float(app.tracker.calls)]
            app.exit()

        app = Timed(runner.tracker, Origin("forward", listen=f"127.0.0.1:{port}"), plan=plan)
        try:
            app.run()
        finally:
            runner.stop()
    else:
        from playhead.tui.widgets.findings import FindingFilter

        sessions, each = int(extra[0]), int(extra[1])
        calls = long_sessions(sessions, each, int(time.time() * 1000) - 3_600_000)
        tracker = Tracker()
        began = time.perf_counter()
        for call in calls[:-200]:
            tracker.feed(call)
        fed = time.perf_counter() - began

        async def plan(app) -> None:
            await asyncio.sleep(0.5)
            for _ in range(20 if sessions > 1 else 0):
                for k in ("down", "down", "up"):
                    await app.key(k, "sessions")
            app.timeline.focus()
            for _ in range(10):
                for k in ("pageup", "pageup", "down", "pagedown", "home", "end"):
                    await app.key(k, "timeline")
            for _ in range(10):
                await app.key("p", "fold")
            for flt in (FindingFilter(rule="ping"), FindingFilter(), FindingFilter(session="bench-05")) * 3:
                began = time.perf_counter()
                app._set_filter(flt)
                await app.until_drawn(lambda: True, began, "filter")
            began = time.perf_counter()
            for call in calls[-200:]:
                tracker.feed(call)
            total = len(tracker.findings)
            await app.until_drawn(lambda: app._counted == total and not app._wake_pending, began, "more")
            app.results["fed"] = [fed]
            app.results["counts"] = [float(tracker.calls), float(len(tracker.findings))]
            app.exit()

        app = Timed(tracker, Origin("forward", listen="127.0.0.1:8080"), plan=plan)
        app.run()
    result.write_text(json.dumps(app.results))


def run_child(mode: str, extra: list[str], env: dict[str, str], home: Path, limit: float,
              during=None) -> dict[str, list[float]]:
    """Start the child in a 160x48 pseudo-terminal, run `during(port)` meanwhile, get its results."""
    result = home / f"{mode}-{'-'.join(extra)}.json"
    port_file = result.with_suffix(".port")
    result.unlink(missing_ok=True)
    port_file.unlink(missing_ok=True)
    terminal = Terminal([], env, script=[__file__, "--child", mode, str(result), *extra])
    try:
        if during is not None:
            deadline = time.monotonic() + TIMEOUT
            while not port_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            during(int(port_file.read_text()))
        deadline = time.monotonic() + limit
        while not result.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not result.exists():
            raise SystemExit(f"the {mode} dashboard did not finish:\n{terminal.tail[-2000:].decode(errors='replace')}")
        return json.loads(result.read_text())
    finally:
        terminal.close()


def keys_under_load(args, env: dict[str, str], home: Path) -> None:
    upstream, upstream_port = start([sys.executable, str(Path(__file__).with_name("bench_proxy.py")),
                                     "--serve-upstream", "{port}"], env)
    achieved = []

    def load(port: int) -> None:
        proc = subprocess.Popen([sys.executable, __file__, "--serve-load", str(port), str(upstream_port),
                                 str(PACED_RATE), str(args.seconds)], stdout=subprocess.PIPE, text=True, env=env)
        threading.Thread(target=lambda: achieved.append(proc.communicate()[0].strip()), daemon=True).start()

    try:
        results = run_child("live", [str(upstream_port), str(args.seconds)], env, home, args.seconds + 60, load)
    finally:
        upstream.send_signal(signal.SIGINT)
        upstream.wait(TIMEOUT)
    print(f"\n2. keys under load: {achieved[0] if achieved else '?'} calls/s through the proxy for "
          f"{args.seconds:g} s ({int(results['calls'][0])} API calls); dashboard and proxy in one "
          "process, drawing to a 160x48 pseudo-terminal")
    every = [t for name, values in results.items() if name.startswith("keys") for t in values]
    print(f"   key press -> its frame written to the terminal: {ms(every)}  (goal p95 <= 50 ms)")
    for name in sorted(n for n in results if n.startswith("keys: ")):
        print(f"     {name[6:]:<14} {ms(results[name])}")
    print(f"\n3. freshness: probe call sent -> its finding's frame written: {ms(results['fresh'])}  "
          "(goal <= 250 ms)")


def fluidity(env: dict[str, str], home: Path) -> None:
    print("\n4. fluidity (160x48 pseudo-terminal; key press -> its frame written)")
    for sessions, each in ((100, 1000), (1, 100_000)):
        r = run_child("big", [str(sessions), str(each)], env, home, 600)
        calls, findings = (int(x) for x in r["counts"])
        print(f"   {sessions} session(s) x {each} calls = {calls} calls ({findings} findings), "
              f"fed in {r['fed'][0]:.1f} s")
        if "sessions" in r:
            print(f"     sessions table up/down (switches session):   {ms(r['sessions'])}")
        print(f"     timeline pgup/pgdn/home/end/down:            {ms(r['timeline'])}")
        print(f"     fold / unfold pings:                         {ms(r['fold'])}")
        print(f"     findings filter change:                      {ms(r['filter'])}")
        print(f"     200 more calls fed, until their frame:       {r['more'][0] * 1000:6.1f} ms "
              "(includes feeding them and up to one redraw interval)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="requests per throughput round")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds per proxy")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of paced load for the key test")
    parser.add_argument("--only", choices=("throughput", "keys", "fluidity"), help="run one part")
    parser.add_argument("--serve-load", nargs=4, metavar=("PROXY", "UPSTREAM", "RATE", "SECONDS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_load:
        proxy_port, upstream_port, rate, seconds = args.serve_load
        serve_load(int(proxy_port), int(upstream_port), float(rate), float(seconds))
        return 0
    if args.child:
        child(args.child[0], args.child[1], args.child[2:])
        return 0
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "NO_COLOR": "1"}
        if args.only in (None, "throughput"):
            throughput(args, env, Path(home))
        if args.only in (None, "keys"):
            keys_under_load(args, env, Path(home))
        if args.only in (None, "fluidity"):
            fluidity(env, Path(home))
    return 0


if __name__ == "__main__":
    sys.exit(main())
