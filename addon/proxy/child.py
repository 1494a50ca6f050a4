"""The dashboard's proxy process: `python -m playhead.proxy.child SPEC OUT_FD CONTROL_FD`.

Started by `ProxyProcess` (process.py), never by hand. It runs mitmproxy exactly as headless
does (`ProxyRunner`, a plain Master with the default addons) with `RelayAddon`, which hands every
Call to the dashboard through OUT_FD instead of checking it here (SPEC §2: the proxy and the
dashboard then never wait on one interpreter lock).

SPEC is JSON: listen_host, port, sink, record, hosts, options (mitmproxy's, by name) and
api_port (the dashboard's API server, where http://playhead.api/ is relayed). The first message
out says `ready` (with the address) or `error` (one line). CONTROL_FD carries the dashboard's
reset marks; its end of file means stop, whether the dashboard closed it on `q` or died: this
process never outlives the dashboard. It stops cleanly (the recording ends on a whole line),
says `bye`, and exits. It runs in a session of its own, so a Ctrl-C meant for the terminal
reaches the dashboard, which decides.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection

from . import wire
from .recorder import CLOSE_TIMEOUT
from .relay import Handoff, RelayAddon
from .runner import ProxyError, ProxyRunner

WAIT_STEP = 0.2  # seconds between looks at the proxy thread while the control pipe is quiet


class _PipeLog:
    """The runner's log stream: mitmproxy's warnings travel to the dashboard, a line each."""

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.handoff.put((wire.LOG, line.strip()), force=True)
        return len(text)

    def flush(self) -> None:
        pass


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    handoff = Handoff(Connection(int(argv[1]), readable=False))
    control = Connection(int(argv[2]), writable=False)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    addon = RelayAddon(handoff, spec["api_port"])
    runner = ProxyRunner(listen_host=spec["listen_host"], port=spec["port"], sink=spec["sink"],
                         record=spec["record"], hosts=spec["hosts"], log=_PipeLog(handoff),  # type: ignore[arg-type]
                         options={**spec["options"], "playhead_api": False}, addon=addon)
    try:
        runner.start()
    except ProxyError as exc:
        handoff.put((wire.ERROR, str(exc)), force=True)
        handoff.close(CLOSE_TIMEOUT)
        return 2
    handoff.put((wire.READY, {"listen": runner.listen_address, "record_notice": addon.record_notice}), force=True)
    error = _serve(control, runner, addon, stop)
    try:
        runner.stop()
    except ProxyError as exc:
        error = error or str(exc)
    if error:
        handoff.put((wire.ERROR, error), force=True)
    handoff.put((wire.BYE, {"undelivered": addon.undelivered}), force=True)
    handoff.close(CLOSE_TIMEOUT)
    return 0


def _serve(control: Connection, runner: ProxyRunner, addon: RelayAddon, stop: threading.Event) -> str | None:
    """Until the control pipe ends (or SIGTERM): None, or why the proxy stopped on its own."""
    while not stop.is_set():
        if not runner.running:
            return runner.error or "the proxy stopped"
        if addon.handoff.broken:
            return None  # the dashboard is gone
        try:
            if not control.poll(WAIT_STEP):
                continue
            message = control.recv()
        except (EOFError, OSError):
            return None  # stop: `q`, or the dashboard has ended
        if message == (wire.MARK, "reset"):
            runner.call_soon(addon.reset)
    return None


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    # Everything this process owes is written by now (the recording closed, the pipe drained):
    # tearing down mitmproxy's modules object by object took 0.2-0.4 s of the user's `q`.
    os._exit(code)
