"""`ProxyRunner`: mitmproxy with playhead's addon, in its own thread with its own event loop.

This is how `playhead proxy` (headless or with the dashboard) runs the proxy inside its own
process. It builds a plain `mitmproxy.master.Master` with mitmproxy's default addons plus
playhead's, not `DumpMaster`: DumpMaster exits the whole process when the port is taken, where a
dashboard wants a one-line error it can show.

For the dashboard (the whole API):

    runner = ProxyRunner(port=8080, sink=True, record="run.jsonl")
    runner.tracker.subscribe(on_update)     # before start: called on the proxy thread
    runner.start()                          # returns once listening; ProxyError (one line) if not
    runner.listen_address                   # ("127.0.0.1", 8080): the real port when port=0
    runner.api_address                      # ("127.0.0.1", N) with api_port=N (0: a free port)
    runner.sink, runner.record, runner.report
    runner.running                          # False once the proxy thread has ended
    runner.error                            # why it ended on its own, if it did (one line)
    runner.stop()                           # clean shutdown: finish, --report written, recording closed

Readers of `runner.tracker.sessions` / `.findings` on another thread hold `runner.tracker.lock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..core.config import Config
from ..core.schemas import SchemaSet
from ..core.tracker import Tracker
from ..io.reports.safe import literal
from .addon import PlayheadAddon

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class ProxyError(Exception):
    """The proxy could not start (port taken, bad option) or stop cleanly; one line."""


class ProxySettings:
    """What a proxy is asked to be, shared by ProxyRunner and the dashboard's ProxyProcess.

    `schemas`: folders of extra JSON Schemas and `config` (thresholds, the memory cap): the proxy
    builds the tracker with them; or pass a ready `tracker` instead. `options`: further mitmproxy
    options by name (`confdir`, `ssl_insecure`, `hardump`, `mode` ...). `log`: a stream for
    mitmproxy's own warnings and errors once listening (TLS handshakes a device refused,
    unreachable upstreams); None keeps them quiet.
    """

    def __init__(
        self,
        listen_host: str = "127.0.0.1",
        port: int = 8080,
        sink: bool = False,
        record: str | os.PathLike[str] | None = None,
        report: str | os.PathLike[str] | None = None,
        schemas: Sequence[str | os.PathLike[str]] = (),
        hosts: Sequence[str] = (),
        tracker: Tracker | None = None,
        config: Config | None = None,
        options: Mapping[str, Any] | None = None,
        log: TextIO | None = None,
        api_port: int | None = None,
        checklists: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        if tracker is not None and schemas:
            raise ValueError("pass either schemas or a tracker built with them, not both")
        if tracker is not None and config is not None:
            raise ValueError("pass either a config or a tracker built with it, not both")
        self.tracker = tracker if tracker is not None else Tracker(
            schemas=SchemaSet.load([Path(s) for s in schemas]), config=config)
        self.listen_host = listen_host
        self.port = port
        self.sink = sink
        self.record = Path(record) if record is not None else None
        self.report = Path(report) if report is not None else None
        self.hosts = tuple(hosts)
        self.options = dict(options or {})
        self.log = log
        self.api_port = api_port  # None: the API only through the proxy (http://playhead.api/)
        self.checklists = [str(c) for c in checklists]
        self.listen_address: tuple[str, int] | None = None


class ProxyRunner(ProxySettings):
    """mitmproxy + playhead in a background thread. The arguments are ProxySettings'; `addon`
    replaces playhead's own (the dashboard's proxy process relays calls instead, relay.py), and
    the runner's tracker is then the addon's."""

    def __init__(self, *args: Any, addon: PlayheadAddon | None = None, **kwargs: Any) -> None:
        if addon is not None:
            kwargs["tracker"] = addon.tracker
        super().__init__(*args, **kwargs)
        self.addon = addon if addon is not None else PlayheadAddon(self.tracker)
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: str | None = None
        self._master = None  # mitmproxy.master.Master, once the thread has built it
        self._log_handler: logging.Handler | None = None

    @property
    def error(self) -> str | None:
        """Why the proxy could not start, or why its thread ended on its own (one line)."""
        return self._error

    @property
    def api_address(self) -> tuple[str, int] | None:
        """Where --api-port answers (the real port when 0 was asked for), once running."""
        server = self.addon.api_server
        return server.address if server is not None else None

    @property
    def report_error(self) -> str | None:
        """Why the report could not be written at the end, if so (one line)."""
        return self.addon.report_error

    @property
    def watch(self):
        """The checklists the API evaluates, following the tracker (the dashboard's panel)."""
        return self.addon.api_source.watch

    def call_soon(self, callback) -> None:
        """Run `callback` on the proxy's event loop, in order with the flows' hooks."""
        master = self._master
        if master is not None:
            master.event_loop.call_soon_threadsafe(callback)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.listen_address is not None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the proxy and return once it listens. Raises ProxyError (one line) otherwise."""
        if self._thread is not None:
            raise ProxyError("this proxy was started already")
        self._thread = threading.Thread(target=self._thread_main, name="playhead-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            with contextlib.suppress(ProxyError):
                self.stop()
            raise ProxyError(f"the proxy did not start listening within {timeout:g} s")
        if self._error is not None:
            self._thread.join(STOP_TIMEOUT)
            raise ProxyError(self._error)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Shut down cleanly: open sessions are closed, the report written, the recording closed.
        Raises ProxyError when the report could not be written or the thread does not end."""
        thread, master = self._thread, self._master
        if thread is None:
            return
        if master is not None:
            master.shutdown()  # thread-safe
        thread.join(timeout)
        if thread.is_alive():
            raise ProxyError(f"the proxy did not stop within {timeout:g} s")
        if self.addon.report_error:
            raise ProxyError(self.addon.report_error)

    # -- the proxy thread -------------------------------------------------------------------

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as exc:  # noqa: BLE001 - whatever stops mitmproxy, say it in one line
            self._fail(f"the proxy stopped: {type(exc).__name__}: {exc}")
        finally:
            self._ready.set()

    def _fail(self, message: str) -> None:
        if self._error is None:
            self._error = message.splitlines()[0] if message else "the proxy failed"

    async def _main(self) -> None:
        from mitmproxy import exceptions, master, options
        from mitmproxy.addons import default_addons

        opts = options.Options()
        m = master.Master(opts)
        m.addons.add(*default_addons(), self.addon, _Startup(self))
        settings: dict[str, Any] = {
            "listen_host": self.listen_host,
            "listen_port": self.port,
            "playhead_sink": self.sink,
            "playhead_record": str(self.record) if self.record else "",
            "playhead_report": str(self.report) if self.report else "",
            "playhead_hosts": list(self.hosts),
            "playhead_log": False,  # findings reach the console and the dashboard via the tracker
            "playhead_api_port": -1 if self.api_port is None else self.api_port,
            "playhead_checklists": self.checklists,
        }
        settings.update(self.options)
        try:
            opts.update(**settings)
        except (exceptions.OptionsError, KeyError) as exc:
            self._fail(str(exc).strip("'\""))
            return
        self._master = m
        try:
            await m.run()
        finally:
            if self._log_handler is not None:
                logging.getLogger().removeHandler(self._log_handler)
            for server in list(m.addons.get("proxyserver").servers):
                if server.is_running:  # close the listening sockets (mitmproxy leaves them open)
                    await server.stop()

    def _started(self, proxyserver) -> None:
        """Called by _Startup when mitmproxy is running: listening, or why not."""
        failures = [s.last_exception for s in proxyserver.servers if s.last_exception is not None]
        addrs = proxyserver.listen_addrs()
        if failures or not addrs:
            self._fail(_listen_error(self.listen_host, self.port, failures[0] if failures else None))
            self._master.shutdown()
        else:
            host, port = addrs[0][:2]
            self.listen_address = (host, port)
            if self.log is not None:
                self._log_handler = _ConsoleLog(self.log)
                logging.getLogger().addHandler(self._log_handler)
        self._ready.set()


class _Startup:
    """Last addon in the chain: its `running` hook sees whether the servers came up."""

    def __init__(self, runner: ProxyRunner) -> None:
        self.runner = runner

    def running(self) -> None:
        from mitmproxy import ctx

        self.runner._started(ctx.master.addons.get("proxyserver"))


def _listen_error(host: str, port: int, exc: BaseException | None) -> str:
    where = f"{host or '*'}:{port}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the address is already in use (another proxy? try --port)"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: no such address on this machine (check --listen-host)"
    if isinstance(exc, OSError) and exc.errno == errno.EINVAL:
        return f"cannot listen on {where}: not an address a socket can listen on (check --listen-host)"
    if isinstance(exc, OSError) and exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied (ports below 1024 need privileges)"
    detail = str(exc).splitlines()[0] if exc is not None else "no listening socket"
    return f"cannot listen on {where}: {detail}"


class _ConsoleLog(logging.Handler):
    """mitmproxy's own warnings and errors and playhead's internal failures, one literal line
    each (hosts and TLS errors come from the wire). Findings and report messages (the "playhead"
    logger) are left out: the console prints findings from the tracker, stop() raises for a
    report that could not be written."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(logging.WARNING)
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "playhead":
            return
        try:
            message = record.getMessage()
            first = message.splitlines()[0] if message else ""
            self.out.write(f"proxy: {record.levelname.lower()}: {literal(first)}\n")
            self.out.flush()
        except Exception:  # noqa: BLE001 - a closed console must not take the proxy down
            pass
