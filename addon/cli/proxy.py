"""`playhead proxy` (also plain `playhead`): the live proxy, with the dashboard or `--headless`.

Headless, findings stream to the console one line each as they happen; Ctrl-C (SIGINT) or SIGTERM
stops the proxy cleanly, which closes every open session and writes `--report`.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import signal
import sys
import threading
from pathlib import Path

from . import UsageError, dashboard, need_terminal
from ..core.retention import DEFAULT_LIVE_CAP
from .check import add_max_calls_option, add_schemas_option, tracker_config
from .checklists import add_panel_options

WAIT_STEP = 0.5  # seconds between checks that the proxy thread is still alive


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "proxy", help="run the proxy with the dashboard (or --headless); the default command",
        description="Run an intercepting proxy (mitmproxy) that checks Adobe's streaming-media tracking "
                    "(Media Collection and Media Edge APIs) as it passes. Point the device's HTTP proxy at --listen-host:--port and "
                    "install mitmproxy's CA from http://mitm.it through the proxy.")
    p.add_argument("--listen-host", default="127.0.0.1", metavar="HOST",
                   help="address to listen on (default 127.0.0.1; anything else is reachable from the network)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0: any free port)")
    p.add_argument("--sink", action="store_true",
                   help="answer the media APIs locally like Adobe's servers; nothing reaches Adobe")
    p.add_argument("--sink-org", default="", metavar="ORG",
                   help="with --sink: the IMS org of a Web SDK page (XXXX@AdobeOrg), so the sink stores "
                        "the identity cookie the SDK looks for (else it warns on every call)")
    p.add_argument("--record", type=Path, metavar="FILE",
                   help="append every captured API call to this JSON Lines recording")
    p.add_argument("--report", type=Path, metavar="FILE",
                   help="write a report when the proxy stops (.json, .xml = JUnit, .md, .html)")
    add_schemas_option(p)
    p.add_argument("--host", dest="hosts", action="append", default=[], metavar="PATTERN",
                   help="only capture this host (shell wildcards, repeatable); default: any host")
    add_max_calls_option(p, DEFAULT_LIVE_CAP)
    p.add_argument("--api-port", type=int, metavar="N",
                   help="also serve the automation API on 127.0.0.1:N (0: any free port, printed); "
                        "through the proxy it is always at http://playhead.api/")
    add_panel_options(p)
    p.add_argument("--headless", action="store_true",
                   help="no dashboard: findings stream to the console")
    p.add_argument("--script-path", action="store_true",
                   help="print the path of the script for `mitmdump -s` / `mitmproxy -s` and exit")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.script_path:
        from ..proxy import script_path

        print(script_path())
        return 0
    if not args.headless:
        need_terminal()
    check_listen(args, "the proxy")
    runner = _runner(args)
    if not args.headless:
        return dashboard("run_live", "use --headless")(args, runner)
    return run_headless(runner)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_listen(args: argparse.Namespace, what: str) -> None:
    """--port must be a port; anything but loopback is said aloud (SPEC §1). An IPv4 address
    written as IPv6 (`::ffff:127.0.0.1`) is the IPv4 one: an IPv6 socket cannot bind to it."""
    with contextlib.suppress(ValueError):
        mapped = getattr(ipaddress.ip_address(args.listen_host.strip("[]")), "ipv4_mapped", None)
        if mapped is not None:
            args.listen_host = str(mapped)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: not a port number (0-65535)")
    api_port = getattr(args, "api_port", None)
    if api_port is not None and not 0 <= api_port <= 65535:
        raise UsageError(f"--api-port {api_port}: not a port number (0-65535)")
    if not _is_loopback(args.listen_host):
        print(f"playhead: warning: listening on {args.listen_host}: {what} is reachable from the "
              "network, and anyone who reaches it can use it", file=sys.stderr)


def _runner(args: argparse.Namespace):
    """The proxy for these flags (not started): headless, a ProxyRunner in this process; under
    the dashboard, a ProxyProcess (mitmproxy in a child process, SPEC §2). UsageError for
    unusable schemas or hosts."""
    from ..core.schemas import SchemaLoadError
    from ..proxy.capture import HostFilter
    from .checklists import checked_checklist_dirs

    if args.headless:
        from ..proxy.runner import ProxyRunner as proxy_class
    else:
        from ..proxy.process import ProxyProcess as proxy_class  # type: ignore[assignment]
    try:
        HostFilter(args.hosts)
    except ValueError as exc:
        raise UsageError(f"--host: {exc}") from None
    try:
        return proxy_class(listen_host=args.listen_host, port=args.port, sink=args.sink,
                           record=args.record, report=args.report, schemas=args.schemas,
                           hosts=args.hosts, config=tracker_config(args), log=sys.stderr,
                           options={"playhead_sink_org": args.sink_org},
                           api_port=args.api_port, checklists=checked_checklist_dirs(args))
    except SchemaLoadError as exc:
        raise UsageError(str(exc)) from None


def run_headless(runner) -> int:
    """Run until SIGINT/SIGTERM; findings to stdout, everything else to stderr."""
    from ..proxy.console import FindingPrinter
    from ..proxy.runner import ProxyError

    printer = FindingPrinter(sys.stdout, sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    runner.tracker.subscribe(lambda update: printer.print(update.findings))
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            runner.start()
        except ProxyError as exc:  # a taken port, a recording it cannot use: unusable setup
            print(f"playhead: {exc}", file=sys.stderr)
            return 2
        print(_banner(runner), file=sys.stderr, flush=True)
        while not stop.wait(WAIT_STEP):
            if not runner.running:
                print(f"playhead: {runner.error or 'the proxy stopped unexpectedly'}", file=sys.stderr)
                break
        return stop_and_summarise(runner)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _banner(runner) -> str:
    from ..io.reports.safe import literal

    host, port = runner.listen_address
    mode = "sink mode: the API is answered here, nothing reaches Adobe" if runner.sink else "forward mode"
    lines = [
        f"playhead proxy listening on {host}:{port} ({mode})",
        f"  device: HTTP proxy {host}:{port}; install mitmproxy's CA from http://mitm.it through the proxy",
    ]
    lines.append("  automation API: http://playhead.api/v1/ through the proxy"
                 + (f", http://{runner.api_address[0]}:{runner.api_address[1]}/v1/" if runner.api_address else ""))
    if runner.record:
        lines.append(f"  recording to {runner.record}")
        if runner.addon.record_notice:
            lines.append(f"  {literal(runner.addon.record_notice)}")
    if runner.report:
        lines.append(f"  report to {runner.report} on exit")
    lines.append("  findings below as they happen; Ctrl-C to stop")
    return "\n".join(lines)


def stop_and_summarise(runner) -> int:
    """Stop the proxy (headless or under the dashboard) and leave its one line on the console:
    the run's summary (exit 0), why the report could not be written (exit 2, as for any output
    that cannot be written), or why it could not stop cleanly (exit 1)."""
    from ..proxy.runner import ProxyError

    try:
        runner.stop()
    except ProxyError as exc:
        print(f"playhead: {exc}", file=sys.stderr)
        return 2 if runner.report_error else 1
    print(_summary(runner), file=sys.stderr)
    return 0


def _summary(runner) -> str:
    from ..io.reports.summary import counts_phrase, totals

    tracker = runner.tracker
    with tracker.lock:
        text = (f"playhead: {tracker.calls} API call{'' if tracker.calls == 1 else 's'}, "
                f"{len(tracker.sessions)} session{'' if len(tracker.sessions) == 1 else 's'}: "
                f"{counts_phrase(totals(tracker))}")
        dropped, cap = tracker.retention.dropped, tracker.retention.cap
    if dropped:
        text += (f"; {dropped:,} call{'' if dropped == 1 else 's'} dropped from memory (--max-calls {cap:,})"
                 f"{', the recording keeps every call' if runner.record else ''}")
    if runner.report:
        text += f"; report written to {runner.report}"
    return text
