"""The addon of the dashboard's proxy process: playhead's addon with the engine left out.

Everything that must answer a flow at once stays here, beside mitmproxy: the sink (with the sids
it issued, to answer 404 for others), the host filter, reading a flow into a Call, and the
recording (written by this process as headless does, so a dashboard that falls behind or dies
never costs a recorded call). Each Call is then handed to the dashboard's process, which feeds
its tracker: findings, reports, the checklists and the automation API live there.
`http://playhead.api/` through the proxy is relayed to the dashboard's own API server.

The hand-off never waits: calls queue for a thread that writes them to the pipe (recorder.Spool),
bounded in bytes. A dashboard that stops reading costs it calls (counted, said once through the
pipe when it reads again, and at the end), never a stalled flow.
"""

from __future__ import annotations

import logging
from multiprocessing.connection import Connection

from mitmproxy import http

from ..api.serve import HOST
from ..core.call import Call
from . import wire
from .addon import PlayheadAddon, failure
from .recorder import LINE_OVERHEAD, Spool

internal_logger = logging.getLogger("playhead.internal")


def _size(message: wire.Message) -> int:
    kind, payload = message
    return sum(wire.size(fields) for fields in payload) if kind == wire.CALLS else LINE_OVERHEAD


class Handoff:
    """Messages to the dashboard, written by a thread (a Spool) in the order they were put."""

    def __init__(self, out: Connection) -> None:
        self.out = out
        self.spool: Spool[wire.Message] = Spool(self._write, _size, self._broken, name="playhead-handoff")
        self.broken = False  # the pipe is gone: the dashboard has ended

    def put(self, message: wire.Message, force: bool = False) -> bool:
        return self.spool.put(message, force)

    def close(self, timeout: float) -> bool:
        return self.spool.close(timeout)

    def _write(self, batch: list[wire.Message]) -> None:
        run: list = []  # consecutive calls travel as one message: one write, one wake-up
        for kind, payload in batch:
            if kind == wire.CALLS:
                run.extend(payload)
                continue
            if run:
                self.out.send((wire.CALLS, run))
                run = []
            self.out.send((kind, payload))
        if run:
            self.out.send((wire.CALLS, run))

    def _broken(self, exc: Exception) -> None:
        self.broken = True


class RelayAddon(PlayheadAddon):
    """`api_port`: where the dashboard's process serves the automation API on loopback."""

    def __init__(self, handoff: Handoff, api_port: int | None) -> None:
        super().__init__()
        self.handoff = handoff
        self.api_port = api_port
        self.undelivered = 0  # calls the dashboard did not take in time (its pipe was full)
        self._told = 0

    def request(self, flow: http.HTTPFlow) -> None:
        if self.api_port is not None and flow.request.host == HOST:
            flow.request.scheme, flow.request.host, flow.request.port = "http", "127.0.0.1", self.api_port
            return
        super().request(flow)

    def _check(self, call: Call, flow: http.HTTPFlow) -> None:
        try:
            delivered = self.handoff.put((wire.CALLS, [wire.fields(call)]))
        except Exception as exc:  # noqa: BLE001 - never a lost flow
            self._internal_error("handing the call to the dashboard", exc, flow)
            return
        if not delivered:
            self.undelivered += 1
        elif self._told < self.undelivered:
            self._told = self.undelivered
            self.handoff.put((wire.NOTE, wire.undelivered(self.undelivered)))

    def _internal_error(self, what: str, exc: Exception, flow: http.HTTPFlow | None) -> None:
        """As in the addon, but the finding is made by the dashboard's tracker."""
        message = failure(what, exc, flow)
        internal_logger.warning(f"playhead: internal-error: {message}", exc_info=exc)
        self.handoff.put((wire.NOTE, message), force=True)

    def running(self) -> None:
        from mitmproxy import ctx

        addrs = ctx.master.addons.get("proxyserver").listen_addrs()
        self.listen = f"{addrs[0][0]}:{addrs[0][1]}" if addrs else None

    def reset(self) -> None:
        """The dashboard's reset, on the event loop: the mark stands at the same place among
        the calls in the recording and in the pipe, so the tracker forgets exactly what came
        before it."""
        if self.recording is not None:
            self.recording.mark("reset")
        self.handoff.put((wire.MARK, "reset"), force=True)

    def done(self) -> None:
        if self.recording is not None:
            self._close_recording(self.recording)
            self.recording = None
