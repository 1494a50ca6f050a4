"""Starting the dashboard: over a live proxy (`playhead proxy`), over the demo (`playhead demo`),
or over saved captures (`playhead view`).

Each builds the same `Dashboard` around a Tracker. What differs is who feeds it: the pipe from
the proxy's own process (a ProxyProcess: mitmproxy runs in a child, SPEC §2), the simulated
player through a sink-mode ProxyProcess, or a loader thread reading files. All three go through
`Tracker.feed`, so the dashboard sees the same thing in each.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .app import Dashboard
from .messages import ProxyLogged
from .widgets.status import Origin

DEMO_TARGET = "http://playhead-demo.hb-api.omtrdc.net"  # plain http: the sink answers, no TLS, no network
DEMO_SPEED = 10.0  # every scenario's sessions start at once; findings show within seconds


class DashboardLog(io.TextIOBase):
    """The runner's log stream: mitmproxy's warnings become notifications instead of text
    written over the screen. Lines before the app runs (or after it ends) are dropped."""

    def __init__(self) -> None:
        self.app: Dashboard | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        app = self.app
        if app is not None and app.is_running:
            for line in text.splitlines():
                if line.strip():
                    app.post_message(ProxyLogged(line.strip()))
        return len(text)


class _Terminal:
    """Ends the app like `q` on SIGTERM and SIGINT (a `kill -INT`: in the app's raw terminal
    Ctrl-C is a key, which quits too), and when its terminal goes away: SIGHUP (a closed tmux
    window, an ssh drop), or the terminal hung up or gone bad under it (poll says HUP/ERR; a read
    would say EOF or EIO). Without this the app ran on at 92 % CPU, its input thread spinning on
    EOF, and the proxy with it. The proxy then stops like after `q`: the report and the
    recording's end are written; what would be printed goes to /dev/null, as nobody is there."""

    POLL_EVERY = 0.5  # seconds between looks at the terminal

    def __init__(self, app: Dashboard) -> None:
        self.app = app
        self.gone = False
        self._done = threading.Event()
        self._previous: dict = {}

    def __enter__(self) -> _Terminal:
        for sig, gone in ((signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGHUP, True)):
            self._previous[sig] = signal.signal(sig, lambda *_, gone=gone: self._end(gone))
        threading.Thread(target=self._poll, name="playhead-terminal", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _end(self, gone: bool) -> None:
        """From a signal handler (the app's own thread) or the poll thread: wake the app's loop."""
        if gone and not self.gone:
            # stdin, stdout and stderr are a dead terminal: what the app still draws while it
            # shuts down, and the summary after it, would fail with EIO (or wait on it) there.
            self.gone = True
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                with contextlib.suppress(OSError):
                    os.dup2(devnull, fd)
            os.close(devnull)
        loop = self.app._loop  # noqa: SLF001 - the one way to wake it from a signal handler
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the app has ended
            loop.call_soon_threadsafe(self.app.exit)

    def _poll(self) -> None:
        poller = select.poll()
        for fd in (0, 1):
            poller.register(fd, select.POLLHUP | select.POLLERR | select.POLLNVAL)
        while not self._done.wait(self.POLL_EVERY):
            try:
                broken = any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL)
                             for _, mask in poller.poll(0))
            except OSError:
                broken = True
            if broken:
                self._end(True)
                return


def _serve(app: Dashboard, runner) -> int:
    """Run the app over a started runner; stop the runner however the app ends."""
    from ..cli.proxy import stop_and_summarise

    try:
        with _Terminal(app):
            app.run()
    finally:
        stopped = stop_and_summarise(runner)  # however the app ends
    return stopped


def _watch(runner) -> Callable[[Dashboard], None]:
    """A loader for live runs: tell the user if the proxy dies under the dashboard (what it
    sent stays, and the report is still written on quit)."""
    from textual.worker import get_current_worker

    def watch(app: Dashboard) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled and runner.running:
            time.sleep(0.2)
        if not worker.is_cancelled and app.is_running:
            why = runner.error or "it ended"
            app.call_from_thread(app.notify, f"proxy stopped: {why}; no more calls will arrive, and what "
                                 "arrived stays (q writes the report)", severity="error", markup=False, timeout=60)

    return watch


def _until_cancelled(stop: Callable[[], None]) -> None:
    """On a loader's worker thread: call `stop` once the app ends. The app's event loop waits
    for its worker threads as it closes, so a loader that played on after `q` held the
    terminal until the demo's players were done: 4-13 s."""
    from textual.worker import get_current_worker

    worker = get_current_worker()

    def poll() -> None:
        while not worker.is_cancelled and worker.state.name in ("PENDING", "RUNNING"):
            time.sleep(0.05)
        stop()

    threading.Thread(target=poll, name="playhead-loader-stop", daemon=True).start()


def _origin(runner, demo: bool = False) -> Origin:
    host, port = runner.listen_address
    return Origin("sink" if runner.sink else "forward", listen=f"{host}:{port}",
                  recording=str(runner.record) if runner.record else None, demo=demo)


def run_live(args: argparse.Namespace, runner) -> int:
    """`playhead proxy` with the dashboard: `runner` is a ProxyProcess, not started yet."""
    from ..cli.checklists import panel_names
    from ..proxy.runner import ProxyError

    panel = panel_names(args)
    log = DashboardLog()
    runner.log = log
    try:
        runner.start()
    except ProxyError as exc:
        print(f"playhead: {exc}", file=sys.stderr)
        return 2  # unusable setup (a taken port), not "errors found"
    app = Dashboard(runner.tracker, _origin(runner), loader=_watch(runner), watch=runner.watch, panel=panel)
    log.app = app
    return _serve(app, runner)


def demo_app(args: argparse.Namespace) -> tuple[Dashboard, object, object]:
    """The demo, started: (app, runner, player). The runner listens in sink mode; the app's
    loader plays the scenarios through it. Callers run the app, then stop player and runner."""
    from ..cli import UsageError
    from ..cli.check import load_schemas, tracker_config
    from ..cli.checklists import checked_checklist_dirs, panel_names
    from ..proxy.process import ProxyProcess
    from ..simulate import ALL_SCENARIOS as SCENARIOS, Player

    names = list(dict.fromkeys(args.scenario)) or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise UsageError(f"unknown scenario {unknown[0]!r}; choose from: {', '.join(SCENARIOS)}")
    if args.speed <= 0:
        raise UsageError("--speed must be more than 0")
    from ..core.tracker import Tracker

    panel = panel_names(args)
    tracker = Tracker(schemas=load_schemas(args.schemas), config=tracker_config(args))
    log = DashboardLog()
    runner = ProxyProcess(listen_host=args.listen_host, port=args.port, sink=True, record=args.record,
                         report=args.report, tracker=tracker, log=log,
                         checklists=checked_checklist_dirs(args))
    runner.start()
    host, port = runner.listen_address
    player = Player(DEMO_TARGET, proxy=f"http://{host}:{port}", speed=args.speed)
    scenarios = [SCENARIOS[n] for n in names]
    adobe = [s for s in scenarios if s.name.startswith("adobe-")]  # as published: warnings, no error
    broken = [s for s in scenarios if not s.clean and s not in adobe]
    mix = (f"{len(scenarios) - len(broken) - len(adobe)} clean, {len(adobe)} of Adobe's documented "
           f"timelines as published (warnings, no error), {len(broken)} broken")

    def play(app: Dashboard) -> None:
        app.call_from_thread(
            app.notify,
            f"{len(scenarios)} simulated players ({mix}) "
            f"are playing through the proxy at {args.speed:g}× speed. Red sessions have errors: "
            "pick one, and read the findings on the right (the box under them says how to fix it).",
            title="playhead demo", markup=False, timeout=20)
        _until_cancelled(player.stop)
        results = player.play_many(scenarios, concurrency=len(scenarios))
        if app.is_running and not any(r.interrupted for r in results):
            app.call_from_thread(app.notify, "demo finished: every scenario has played", markup=False, timeout=8)

    app = Dashboard(tracker, _origin(runner, demo=True), loader=play, watch=runner.watch, panel=panel)
    log.app = app
    return app, runner, player


def run_demo(args: argparse.Namespace) -> int:
    """`playhead demo`: sink-mode proxy + simulated player + dashboard; no network needed."""
    from ..proxy.runner import ProxyError

    try:
        app, runner, player = demo_app(args)
    except ProxyError as exc:
        print(f"playhead: {exc}", file=sys.stderr)
        return 2  # unusable setup (a taken port), not "errors found"
    try:
        return _serve(app, runner)
    finally:
        player.stop()


def view_app(args: argparse.Namespace) -> Dashboard:
    """The dashboard over saved captures. The files are read before anything is drawn, so a file
    that is not a capture (or is damaged) is refused like `check` refuses it: one line, exit 2,
    instead of an empty dashboard and a toast. The engine then runs on a worker thread."""
    from ..checklists import ChecklistWatch
    from ..cli import UsageError
    from ..cli.check import load_schemas, tracker_config
    from ..cli.checklists import available, panel_names
    from ..core.tracker import Tracker
    from ..io.capture import CaptureError, read_capture
    from ..io.reports.safe import literal

    paths: list[Path] = list(args.files)
    captures = []
    for path in paths:
        try:  # a Capture reads its whole file before its first call (it sorts them by time)
            capture = read_capture(path)
            captures.append((path, list(capture), capture.warnings))
        except CaptureError as exc:
            raise UsageError(literal(str(exc))) from None  # the line `check` prints
    tracker = Tracker(schemas=load_schemas(args.schemas), config=tracker_config(args))
    panel = panel_names(args)
    watch = ChecklistWatch(tracker, list(available(args).values()))

    def load(app: Dashboard) -> None:
        for path, calls, warnings in captures:
            tracker.feed_all(calls)
            if warnings:
                app.call_from_thread(
                    app.notify, f"{path}: {len(warnings)} record(s) skipped; first: {warnings[0]}",
                    severity="warning", markup=False, timeout=10)
        captures.clear()  # the tracker holds what it keeps; the rest may go
        tracker.finish()

    def capture_end() -> float:
        """'now' for last-call ages: the newest call of the capture, not today's clock."""
        with tracker.lock:
            return max((s.last_seen for s in tracker.sessions.values()), default=0.0)

    origin = Origin("view", files=tuple(str(p) for p in paths))
    return Dashboard(tracker, origin, clock=capture_end, loader=load, watch=watch, panel=panel)


def run_view(args: argparse.Namespace, need_terminal: Callable[[], None] = lambda: None) -> int:
    """`playhead view FILE...`: the dashboard over captures, no proxy. The files and checklists
    are checked before `need_terminal` asks for a terminal."""
    app = view_app(args)
    need_terminal()
    with _Terminal(app):
        app.run()
    return 0
