"""The mitmproxy addon: every media tracking call (Media Collection or Media Edge API) that crosses
the proxy goes to the engine.

Used three ways with the same findings: by `playhead proxy` (headless or with the dashboard, through
`ProxyRunner`), and by plain `mitmdump -s` / `mitmproxy -s` through `mitm_script.py`.

What it does, by hook:
- `load` declares the `playhead_*` options; `configure` checks them and raises OptionsError with
  a one-line reason (mitmproxy shows it; the runner turns it into a start error).
- `request`: in sink mode, answers API calls itself (see sink.py); anything else passes.
- `response` / `error`: the finished call becomes a `Call`: queued for the recording first (so
  nothing is lost if the engine fails; a thread writes it, recorder.py), then fed to the tracker; findings are logged and written
  onto the flows they concern (marker + comment).
- `running` starts a once-a-second tick so a session that went silent shows `ping-late` from the
  wall clock; `done` stops it, closes every open question (`finish`), writes the report and closes
  the recording.

The proxy never breaks traffic: any exception inside playhead becomes an `internal-error` finding
and the flow goes on as it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from mitmproxy import command, ctx, exceptions, hooks, http, types

from ..api.app import make_app
from ..api.serve import LoopbackServer
from ..checklists import Checklist, ChecklistError, load_checklists
from ..core.call import Call
from ..core.config import Config
from ..core.findings import Finding, Severity
from ..core.retention import DEFAULT_LIVE_CAP
from ..core.schemas import SchemaLoadError, SchemaSet
from ..core.tracker import Tracker
from ..io.output import OutputError, check_writable
from ..io.reader import CaptureError
from ..io.recording import RecordingWriter
from ..io.reports import write_report
from .api_host import AddonSource, ApiHost
from .capture import HostFilter, call_from_flow, is_api
from .console import FindingPrinter, finding_text
from .marking import mark
from .recorder import BackgroundRecording
from .sink import Sink

logger = logging.getLogger("playhead")  # findings and reports (playhead_log)
internal_logger = logging.getLogger("playhead.internal")  # playhead's own failures

# Error findings are logged as warnings: mitmdump exits when an error is logged while it starts
# up, and `mitmdump -nr capture.har` feeds the whole file during start-up.
_LOG_LEVEL = {Severity.ERROR: logging.WARNING, Severity.WARNING: logging.WARNING, Severity.INFO: logging.INFO}
_RECENT_FLOWS = 512  # flows remembered so a later finding about their call can still mark them


class PlayheadAddon:
    """The addon. `tracker`: a Tracker built by the host process (the runner, the dashboard);
    without one the addon builds its own from the `playhead_schemas` option."""

    tick_interval = 1.0  # seconds between wall-clock ticks while running

    def __init__(self, tracker: Tracker | None = None) -> None:
        self.tracker: Tracker = tracker if tracker is not None else Tracker(
            config=Config(max_calls=DEFAULT_LIVE_CAP))
        self._tracker_given = tracker is not None
        # What this addon's own tracker was built with: schema folders and memory cap (0: none).
        self._built_with: tuple[tuple[str, ...], int] = ((), DEFAULT_LIVE_CAP)
        self.hosts = HostFilter()
        self.sink: Sink | None = None
        self.recording: BackgroundRecording | None = None
        self.record_notice: str | None = None  # an existing recording's mode, tightened or not
        self._record_behind = False
        self.report_error: str | None = None  # why the report could not be written, if so
        self._log = True
        self._printer: FindingPrinter | None = None  # findings mitmdump -q would hide
        self._live = False  # seen a live flow: wall-clock timers make sense (not for files read)
        self._ticker: asyncio.Task | None = None
        self._fed: weakref.WeakSet[http.HTTPFlow] = weakref.WeakSet()
        self._recent: OrderedDict[int, http.HTTPFlow] = OrderedDict()  # id(call) -> its flow
        # The automation API (SPEC §12): the magic host is a child addon, so mitmproxy runs it
        # right after this addon's request hook; --api-port starts a loopback server once running.
        self.checklists: list[Checklist] = list(load_checklists().values())
        self.listen: str | None = None  # "host:port" once listening
        self.api_server: LoopbackServer | None = None
        self.api_source = AddonSource(self)
        self.api_app = make_app(self.api_source)
        self.api_host = ApiHost(self.api_app)
        self.addons = [self.api_host]

    # -- options ----------------------------------------------------------------------------

    def load(self, loader) -> None:
        loader.add_option("playhead_sink", bool, False,
                          "Answer the media APIs locally like Adobe's servers (Media Collection: 201 + "
                          "Location, 204, 400, 404; Media Edge: 200 + session handle, 204, RFC 7807 "
                          "problems; CORS) instead of forwarding them.")
        loader.add_option("playhead_sink_org", str, "",
                          "With playhead_sink: the IMS org (XXXX@AdobeOrg) of a Web SDK page, so the sink "
                          "stores the identity cookie the SDK looks for.")
        loader.add_option("playhead_record", str, "",
                          "Append every captured API call to this JSON Lines recording (owner-only).")
        loader.add_option("playhead_report", str, "",
                          "Write a report here when the proxy stops (.json, .xml = JUnit, .md, .html; "
                          "anything else: text).")
        loader.add_option("playhead_schemas", Sequence[str], [],
                          "Folders of extra JSON Schemas (<eventType>.json, all.json) that tighten "
                          "the built-in ones. Only before the first call is captured.")
        loader.add_option("playhead_max_calls", int, DEFAULT_LIVE_CAP,
                          "Keep at most this many API calls in memory (0: all): past it, closed sessions are "
                          "summarised and the oldest calls dropped from memory; findings, counts and the "
                          "recording keep every call. Only before the first call is captured.")
        loader.add_option("playhead_hosts", Sequence[str], [],
                          "Only capture these hosts (shell wildcards, e.g. *.hb-api.omtrdc.net). "
                          "Default: any host, matched by the API path.")
        loader.add_option("playhead_api", bool, True,
                          "Answer the automation API at http://playhead.api/ through the proxy.")
        loader.add_option("playhead_api_port", int, -1,
                          "Also serve the automation API on 127.0.0.1 at this port (0: any free port; "
                          "-1: not at all).")
        loader.add_option("playhead_checklists", Sequence[str], [],
                          "Folders of a team's own checklists (.json/.toml) beside the built-in ones.")
        loader.add_option("playhead_log", bool, True,
                          "Log each finding through mitmproxy's log as it happens.")

    def configure(self, updated: set[str]) -> None:
        opts = ctx.options
        if "playhead_schemas" in updated or "playhead_max_calls" in updated:
            self._configure_tracker(opts.playhead_schemas, opts.playhead_max_calls)
        if "playhead_hosts" in updated:
            try:
                self.hosts = HostFilter(opts.playhead_hosts)
            except ValueError as exc:
                raise exceptions.OptionsError(f"playhead_hosts: {exc}") from None
        if {"playhead_sink", "playhead_schemas", "playhead_sink_org"} & updated:
            # The server checks bodies against Adobe's schemas, not a team's tightened ones.
            self.sink = Sink(SchemaSet.load(), self.tracker.config.body_limit,
                             org=opts.playhead_sink_org) if opts.playhead_sink else None
            if self.sink is not None and getattr(opts, "connection_strategy", None) == "eager":
                # Eager mode connects upstream before a request is even read: a sink answering
                # for a host that does not resolve (no network, a made-up host) would get a 502.
                logger.info("playhead: sink mode: connection_strategy set to lazy (no upstream needed)")
                opts.update(connection_strategy="lazy")
        if "playhead_record" in updated:
            self._configure_record(opts.playhead_record)
        if "playhead_report" in updated and opts.playhead_report:
            try:  # a report that could never be written is said now, not when the run ends
                check_writable(Path(opts.playhead_report).expanduser())
            except OutputError as exc:
                raise exceptions.OptionsError(f"playhead_report: {exc}") from None
        if "playhead_log" in updated:
            self._log = opts.playhead_log
        if "playhead_api" in updated:
            self.api_host.enabled = opts.playhead_api
        if "playhead_api_port" in updated and not -1 <= opts.playhead_api_port <= 65535:
            raise exceptions.OptionsError("playhead_api_port: a port (0: any free one), or -1 for none")
        if "playhead_checklists" in updated:
            try:
                self.checklists = list(load_checklists(opts.playhead_checklists).values())
            except ChecklistError as exc:
                raise exceptions.OptionsError(f"playhead_checklists: {exc}") from None

    def _configure_tracker(self, dirs: Sequence[str], max_calls: int) -> None:
        """Build the addon's own tracker from playhead_schemas and playhead_max_calls. A tracker
        handed in (by the runner) was built with --schemas and --max-calls already."""
        if self._tracker_given:
            if dirs:
                raise exceptions.OptionsError(
                    "playhead_schemas: this tracker was built by playhead itself; pass --schemas to it")
            return
        if (tuple(dirs), max_calls) == self._built_with:
            return  # mitmproxy configures every option when a script loads: keep the tracker
        if self.tracker.calls:
            raise exceptions.OptionsError(
                "playhead_schemas and playhead_max_calls can only be set before the first API call")
        if max_calls < 0:
            raise exceptions.OptionsError("playhead_max_calls: must be 0 (keep every call) or more")
        for d in dirs:
            if not Path(d).expanduser().is_dir():
                raise exceptions.OptionsError(f"playhead_schemas: {d}: not a directory")
        try:
            schemas = SchemaSet.load([Path(d).expanduser() for d in dirs])
        except SchemaLoadError as exc:
            raise exceptions.OptionsError(f"playhead_schemas: {exc}") from None
        self.tracker = Tracker(schemas=schemas, config=Config(max_calls=max_calls or None))
        self._built_with = (tuple(dirs), max_calls)

    def _configure_record(self, path: str) -> None:
        recording = None
        if path:
            try:
                writer = RecordingWriter(Path(path).expanduser())
            except CaptureError as exc:
                raise exceptions.OptionsError(f"playhead_record: {exc}") from None
            if writer.notice:
                logger.warning(f"playhead: {writer.notice}")
            recording = BackgroundRecording(writer, self._recording_failed)
        self.record_notice = recording.writer.notice if recording is not None else None
        self._record_behind = False
        old, self.recording = self.recording, recording
        if old is not None:
            self._close_recording(old)

    def _recording_failed(self, exc: Exception) -> None:
        """A write failed on the recording's thread (a full disk): a finding, never a lost flow."""
        recording = self.recording
        self._internal_error(f"recording to {recording.path if recording else 'the recording'}", exc, None)

    def _close_recording(self, recording: BackgroundRecording) -> None:
        if not recording.close():
            internal_logger.warning(f"playhead: recording to {recording.path} did not finish writing "
                                    "(the disk does not answer); calls still queued may be missing")
        if recording.unrecorded:
            internal_logger.warning(f"playhead: {recording.unrecorded} call(s) were not recorded to "
                                    f"{recording.path}; the findings include them")

    # -- traffic ----------------------------------------------------------------------------

    def request(self, flow: http.HTTPFlow) -> None:
        if self.sink is None or flow.response is not None:
            return
        try:
            if is_api(flow, self.hosts):
                answer = self.sink.answer(flow.request)
                if answer is not None:
                    flow.response = answer
        except Exception as exc:  # noqa: BLE001 - the flow then goes upstream, untouched
            self._internal_error("sink answer", exc, flow)

    def response(self, flow: http.HTTPFlow) -> None:
        self._capture(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        self._capture(flow)  # no response (upstream unreachable, client gone): status None

    def _capture(self, flow: http.HTTPFlow) -> None:
        try:
            if flow.request.method != "POST" or flow in self._fed or not is_api(flow, self.hosts):
                return
            self._fed.add(flow)
            call = call_from_flow(flow, self.tracker.config.body_limit)
        except Exception as exc:  # noqa: BLE001
            self._internal_error("reading the flow", exc, flow)
            return
        if flow.live:
            self._live = True
        if self.recording is not None and not self.recording.put(call) and not self._record_behind:
            self._record_behind = True  # said once: every call after it would say the same
            self._internal_error(f"recording to {self.recording.path}", RuntimeError(
                "the writer fell behind; calls are checked but not recorded until it catches up"), flow)
        self._check(call, flow)

    def _check(self, call: Call, flow: http.HTTPFlow) -> None:
        """The recorded call goes to the engine; its findings are logged and marked on flows."""
        try:
            update = self.tracker.feed(call)
            self._remember(call, flow)
            self._publish(update.findings, flow, call)
        except Exception as exc:  # noqa: BLE001
            self._internal_error("checking the call", exc, flow)

    # -- lifecycle --------------------------------------------------------------------------

    def running(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick_loop(), name="playhead tick")
        addrs = ctx.master.addons.get("proxyserver").listen_addrs()
        self.listen = f"{addrs[0][0]}:{addrs[0][1]}" if addrs else None
        self.api_source.watch  # noqa: B018 - checklists follow the traffic from the first call
        port = ctx.options.playhead_api_port
        if port >= 0 and self.api_server is None:
            try:
                self.api_server = LoopbackServer(self.api_app, port)
            except OSError as exc:
                logger.error(f"playhead: cannot serve the API on 127.0.0.1:{port}: {exc.strerror or exc}")
            else:
                logger.info(f"playhead: automation API on http://127.0.0.1:{self.api_server.address[1]}/v1/")

    def reset(self) -> None:
        """Forget every session and finding (the API's POST /v1/reset); the recording keeps
        every call and gets a line saying where the reset happened."""
        self.tracker.reset()
        if self.recording is not None:
            try:
                self.recording.mark("reset")
            except Exception as exc:  # noqa: BLE001 - a full disk must not stop the proxy
                self._internal_error(f"recording to {self.recording.path}", exc, None)

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            if self._live:
                self.tick(time.time())

    def tick(self, now: float) -> None:
        """Let the wall clock speak: silent sessions, events still waiting for their start."""
        try:
            self._publish(self.tracker.tick(now).findings, None, None)
        except Exception as exc:  # noqa: BLE001
            self._internal_error("wall-clock check", exc, None)

    def done(self) -> None:
        if self.api_server is not None:
            self.api_server.stop()
            self.api_server = None
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        try:
            self._publish(self.tracker.finish().findings, None, None)
        except Exception as exc:  # noqa: BLE001
            self._internal_error("closing the sessions", exc, None)
        if ctx.options.playhead_report:
            self.report(ctx.options.playhead_report)
        if self.recording is not None:
            self._close_recording(self.recording)
            self.recording = None

    @command.command("playhead.report")
    def report(self, path: types.Path) -> None:
        """Write a report of everything seen so far (format from the extension)."""
        target = Path(path).expanduser()
        try:
            with self.tracker.lock:
                write_report(self.tracker, target)
        except OSError as exc:
            self.report_error = f"cannot write the report: {exc}"  # OutputError: names the path
            logger.error(f"playhead: {self.report_error}")
        else:
            self.report_error = None
            logger.info(f"playhead: report written to {target}")

    # -- findings onto flows ----------------------------------------------------------------

    def _remember(self, call: Call, flow: http.HTTPFlow) -> None:
        self._recent[id(call)] = flow
        if len(self._recent) > _RECENT_FLOWS:
            self._recent.popitem(last=False)

    def _flow_of(self, finding: Finding, flow: http.HTTPFlow | None, call: Call | None) -> http.HTTPFlow | None:
        """The flow whose call the finding is about: findings may concern an earlier call (a
        reordered or held event, a silent session's last call)."""
        if finding.session is None or finding.call is None:
            return flow  # a call that got no session (rejected start) or playhead's own failure
        session = self.tracker.sessions.get(finding.session)
        if session is None or not 0 <= finding.call < session.calls:
            return flow
        entry = session.entry(finding.call)
        if entry is None:
            return None  # dropped from memory by the cap (core/retention.py): its flow is long gone
        about = entry.call
        return flow if about is call else self._recent.get(id(about))

    def _publish(self, findings: list[Finding], flow: http.HTTPFlow | None, call: Call | None) -> None:
        if not findings:
            return
        if self._log:
            for finding in findings:
                logger.log(_LOG_LEVEL[finding.severity], f"playhead: {finding_text(finding)}")
            self._print_what_termlog_hides(findings)
        self._mark(findings, flow, call)

    def _print_what_termlog_hides(self, findings: list[Finding]) -> None:
        """`mitmdump -q` sets mitmproxy's terminal log to errors only, to quiet mitmproxy's own
        lines; playhead's findings (logged as warnings, see _LOG_LEVEL) vanished with them. They
        are what the user runs the script for, so the ones the terminal log would hide are
        written where it writes, as the headless console does; `playhead_log=false` silences them."""
        termlog = ctx.master.addons.get("termlog")
        handler = getattr(termlog, "logger", None)
        out = getattr(handler, "file", None)
        if handler is None or out is None:  # mitmproxy's console UI, or the runner: no terminal log
            return
        hidden = [f for f in findings if _LOG_LEVEL[f.severity] < handler.level]
        if hidden:
            if self._printer is None or self._printer.out is not out:
                self._printer = FindingPrinter(out, bool(getattr(handler, "has_vt_codes", False)))
            self._printer.print(hidden)

    def _mark(self, findings: list[Finding], flow: http.HTTPFlow | None, call: Call | None) -> None:
        by_flow: dict[int, tuple[http.HTTPFlow, list[Finding]]] = {}
        with self.tracker.lock:
            for finding in findings:
                target = self._flow_of(finding, flow, call)
                if target is not None:
                    by_flow.setdefault(id(target), (target, []))[1].append(finding)
        for target, found in by_flow.values():
            mark(target, found)
        earlier = [target for target, _ in by_flow.values() if target is not flow]
        if earlier:  # their views were drawn already
            ctx.master.addons.trigger(hooks.UpdateHook(earlier))

    def _internal_error(self, what: str, exc: Exception, flow: http.HTTPFlow | None) -> None:
        """A failure inside playhead: an `internal-error` finding in the tracker, a warning in
        the log (always: it is a failure, not a finding about the device), never a lost flow."""
        found = self.tracker.internal_error(failure(what, exc, flow)).findings
        internal_logger.warning(f"playhead: {finding_text(found[0])}", exc_info=exc)
        try:
            self._mark(found, flow, None)
        except Exception:  # noqa: BLE001 - reporting the failure must not fail the flow either
            internal_logger.debug("playhead: could not mark the flow", exc_info=True)


def failure(what: str, exc: Exception, flow: http.HTTPFlow | None) -> str:
    """An internal-error finding's message: what failed, how, and on which flow (bounded)."""
    return f"{what} failed: {type(exc).__name__}: {exc}"[:300] + f" ({_where(flow)})"


def _where(flow: http.HTTPFlow | None) -> str:
    if flow is None:
        return "no flow"
    return f"{flow.request.method} {flow.request.pretty_url}"[:200]
