"""`ProxyProcess`: the dashboard's proxy, in a process of its own (SPEC §2).

In one process, mitmproxy's thread and the dashboard waited on one interpreter lock: at 200
calls/s a key's frame needed ~10 ms of CPU but waited ~25 ms for the lock. Here mitmproxy runs
in a child (child.py) that answers every flow by itself (sink answers, recording) and hands each
captured Call through a pipe; this process reads the pipe on a thread of its own and feeds the
tracker the dashboard observes. Findings, the report, the checklists and the automation API live
here, with the tracker (`http://playhead.api/` through the proxy is relayed to this process's
API server).

The face is ProxyRunner's, so the dashboard and `stop_and_summarise` take either:

    proxy = ProxyProcess(port=8080, sink=True, record="run.jsonl", report="run.json")
    proxy.start()              # returns once the child listens; ProxyError (one line) if not
    proxy.listen_address, proxy.api_address, proxy.running, proxy.error, proxy.watch
    proxy.stop()               # the child stops (recording whole), then the report is written

The child never outlives this process: the end of its control pipe (on `stop`, or when this
process dies however it dies) stops it. When the child dies instead, `running` turns False and
`error` says why; what was received stays, and `stop` still writes the report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

from ..api.app import make_app
from ..api.serve import LoopbackServer
from ..checklists import ChecklistError, ChecklistWatch, load_checklists
from ..core.tracker import Tracker
from ..io.output import OutputError, check_writable
from ..io.reports import write_report
from . import wire
from .runner import START_TIMEOUT, STOP_TIMEOUT, ProxyError, ProxySettings

TICK = 1.0  # seconds between wall-clock ticks (ping overdue, silent sessions)
RESET_TIMEOUT = 5.0  # seconds the API's reset waits for the child's mark to come back


class ProxyProcess(ProxySettings):
    """The arguments are ProxySettings'; `options` (mitmproxy's, by name) go to the child."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.record_notice: str | None = None
        self.report_error: str | None = None
        self.watch: ChecklistWatch | None = None
        self._error: str | None = None
        self._proc: subprocess.Popen | None = None
        self._in: Connection | None = None
        self._control: Connection | None = None
        self._control_lock = threading.Lock()
        self._api: LoopbackServer | None = None
        self._ended = threading.Event()  # the pipe from the child has ended
        self._stopping = threading.Event()
        self._reset_done = threading.Event()
        self._stderr: deque[str] = deque(maxlen=20)
        self._live = False

    # -- what the dashboard reads -----------------------------------------------------------

    @property
    def error(self) -> str | None:
        """Why the proxy could not start, or why it ended on its own (one line)."""
        return self._error

    @property
    def running(self) -> bool:
        return self.listen_address is not None and not self._ended.is_set()

    @property
    def api_address(self) -> tuple[str, int] | None:
        """Where --api-port answers (the real port when 0 was asked for), once running."""
        return self._api.address if self._api is not None and self.api_port is not None else None

    # -- start and stop ---------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the child and return once it listens. Raises ProxyError (one line) otherwise."""
        if self._proc is not None:
            raise ProxyError("this proxy was started already")
        if self.report is not None:
            try:  # a report that could never be written is said now, not when the run ends
                check_writable(self.report.expanduser())
            except OutputError as exc:
                raise ProxyError(f"playhead_report: {exc}") from None
        try:
            self.watch = ChecklistWatch(self.tracker, list(load_checklists(self.checklists).values()))
        except ChecklistError as exc:
            raise ProxyError(f"playhead_checklists: {exc}") from None
        try:
            self._api = LoopbackServer(make_app(_Source(self)), self.api_port or 0)
        except OSError as exc:
            raise ProxyError(f"cannot serve the API on 127.0.0.1:{self.api_port}: {exc.strerror or exc}") from None
        try:
            self._spawn()
            self._await_ready(timeout)
        except ProxyError:
            self._shutdown_child(STOP_TIMEOUT)
            self._api.stop()
            if self._in is not None:
                self._in.close()
            raise
        threading.Thread(target=self._read, name="playhead-pipe", daemon=True).start()
        threading.Thread(target=self._tick, name="playhead-tick", daemon=True).start()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the child (it closes the recording), take in what it still sent, close every
        open session and write the report. Raises ProxyError when the report could not be written."""
        if self._proc is None or self._stopping.is_set():
            return
        self._stopping.set()
        self._shutdown_child(timeout)
        if self._api is not None:
            self._api.stop()
        self.tracker.finish()
        if self.report is not None:
            try:
                with self.tracker.lock:
                    write_report(self.tracker, self.report.expanduser())
            except OSError as exc:
                self.report_error = f"cannot write the report: {exc}"
                raise ProxyError(self.report_error) from None

    # -- the child --------------------------------------------------------------------------

    def _spawn(self) -> None:
        assert self._api is not None
        spec = {"listen_host": self.listen_host, "port": self.port, "sink": self.sink,
                "record": str(self.record) if self.record else None, "hosts": list(self.hosts),
                "options": self.options, "api_port": self._api.address[1]}
        out_r, out_w = os.pipe()
        control_r, control_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "playhead.proxy.child", json.dumps(spec), str(out_w), str(control_r)],
                pass_fds=(out_w, control_r), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            for fd in (out_r, out_w, control_r, control_w):
                os.close(fd)
            raise ProxyError(f"cannot start the proxy process: {exc}") from None
        os.close(out_w)  # the child's ends: once it exits, reading says end of file
        os.close(control_r)
        self._in = Connection(out_r, writable=False)
        self._control = Connection(control_w, readable=False)
        threading.Thread(target=self._drain_stderr, name="playhead-child-stderr", daemon=True).start()

    def _await_ready(self, timeout: float) -> None:
        assert self._in is not None
        deadline = time.monotonic() + timeout
        while self._in.poll(max(0.0, deadline - time.monotonic())):
            try:
                kind, payload = self._in.recv()
            except (EOFError, OSError):
                raise ProxyError(self._died()) from None
            if kind == wire.READY:
                self.listen_address = tuple(payload["listen"])  # type: ignore[assignment]
                self.record_notice = payload["record_notice"]
                return
            if kind == wire.ERROR:
                raise ProxyError(payload)
            self._take(kind, payload)
            if time.monotonic() >= deadline:
                break
        raise ProxyError(f"the proxy did not start listening within {timeout:g} s")

    def _shutdown_child(self, timeout: float) -> None:
        """Close the control pipe (the child's signal to stop), wait for it, kill it if need be."""
        with self._control_lock:
            if self._control is not None:
                self._control.close()
                self._control = None
        proc = self._proc
        if proc is None:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self.listen_address is not None:
            self._ended.wait(timeout)  # what the child sent before it ended is taken in

    def _died(self) -> str:
        """Why the child's pipe ended without its goodbye, in one line."""
        try:
            code = self._proc.wait(STOP_TIMEOUT) if self._proc is not None else None
        except subprocess.TimeoutExpired:  # its pipe closed, the process not (yet) gone
            code = None
        how = (f"killed by signal {-code}" if code is not None and code < 0 else
               f"exit status {code}" if code is not None else "its pipe closed")
        last = next((line for line in reversed(self._stderr) if line.strip()), "")
        return f"the proxy process ended ({how}){': ' + last if last else ''}"

    def _drain_stderr(self) -> None:
        """What the child says on stderr (a crash's traceback): its last lines say why it died."""
        proc = self._proc
        assert proc is not None and proc.stderr is not None
        for raw in proc.stderr:
            self._stderr.append(raw.decode(errors="replace").rstrip())

    # -- the calls --------------------------------------------------------------------------

    def _read(self) -> None:
        """The pipe, off the dashboard's thread: calls into the tracker in the order they came."""
        assert self._in is not None
        clean = False
        while True:
            try:
                kind, payload = self._in.recv()
            except (EOFError, OSError):
                break
            if kind == wire.BYE:
                clean = True
                if payload["undelivered"]:
                    self.tracker.internal_error(wire.undelivered(payload["undelivered"]))
            elif kind == wire.ERROR:
                self._error = payload
            else:
                try:
                    self._take(kind, payload)
                except Exception as exc:  # noqa: BLE001 - the reader must go on, or the pipe fills
                    self.tracker.internal_error(f"taking in the proxy's {kind} failed: {type(exc).__name__}: {exc}")
        if not clean and self._error is None:
            self._error = self._died()
        self._ended.set()
        self._reset_done.set()  # nobody waits for a mark that will not come

    def _take(self, kind: str, payload: Any) -> None:
        if kind == wire.CALLS:
            self._live = True
            for fields in payload:
                self.tracker.feed(wire.call(fields))
        elif kind == wire.NOTE:
            self.tracker.internal_error(payload)
        elif kind == wire.LOG:
            if self.log is not None:
                self.log.write(payload + "\n")
        elif kind == wire.MARK:
            self.tracker.reset()
            self._reset_done.set()

    def _tick(self) -> None:
        while not self._ended.wait(TICK):
            if self._live:
                self.tracker.tick(time.time())

    def reset(self) -> None:
        """Forget what was seen (the API's POST /v1/reset). The mark goes through the child, so
        it stands at the same place in the recording and in the calls the tracker takes."""
        with self._control_lock:
            control = self._control
            if control is not None and self.running:
                self._reset_done.clear()
                try:
                    control.send((wire.MARK, "reset"))
                except OSError:
                    control = None
        if control is None or not self._reset_done.wait(RESET_TIMEOUT) or not self.running:
            self.tracker.reset()


class _Source:
    """The automation API's view of a ProxyProcess (api.source.Source)."""

    def __init__(self, proxy: ProxyProcess) -> None:
        self.proxy = proxy

    @property
    def tracker(self) -> Tracker:
        return self.proxy.tracker

    @property
    def watch(self) -> ChecklistWatch:
        assert self.proxy.watch is not None
        return self.proxy.watch

    def setup(self) -> dict[str, Any]:
        proxy = self.proxy
        listen = f"{proxy.listen_address[0]}:{proxy.listen_address[1]}" if proxy.listen_address else None
        api = proxy.api_address
        return {"listen": listen, "mode": "sink" if proxy.sink else "forward",
                "recording": str(proxy.record) if proxy.record else None, "api_port": api[1] if api else None}

    def reset(self) -> None:
        self.proxy.reset()
