"""`playhead simulate`: the scripted player alone, sending scenarios through any proxy.

A smoke test of a setup: start `playhead proxy --sink` (or any proxy), then
`playhead simulate --proxy http://127.0.0.1:8080 --scenario ad-outside-break` and watch the
finding appear. A proxy is required: the default target is an Adobe host name, and test traffic
sent straight to Adobe would land in a report suite.
"""

from __future__ import annotations

import argparse
import socket
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from . import UsageError

DEFAULT_TARGET = "https://example.hb-api.omtrdc.net"
MITMPROXY_CA = Path("~/.mitmproxy/mitmproxy-ca-cert.pem")
CONNECT_TIMEOUT = 5.0  # seconds to reach the proxy before playing


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate", help="play scripted sessions (clean and broken) through a proxy",
        description="Send a scenario's Media Collection API calls through a proxy, paced like a real "
                    "player (--speed compresses the waits, never the ts values). Use --list to see "
                    "the scenarios and the findings each one should produce.")
    p.add_argument("--proxy", metavar="URL", help="the proxy to send through, e.g. http://127.0.0.1:8080")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="scenario to play (repeatable; 'all' plays every one at once)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="divide the waits between calls by this (default 1 = real time; 0 = no waits)")
    p.add_argument("--target", default=DEFAULT_TARGET, metavar="URL",
                   help=f"the API's base URL, with any path prefix (default {DEFAULT_TARGET})")
    p.add_argument("--cafile", type=Path, metavar="PATH",
                   help=f"CA to trust for https (default: mitmproxy's, {MITMPROXY_CA}, when it exists)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..io.reports.safe import literal
    from ..simulate import ALL_SCENARIOS as SCENARIOS, Player
    from ..simulate.certification import BY_NAME

    known = {**SCENARIOS, **BY_NAME}  # 'all' is the demo's set; the checklists' playbacks by name
    if args.list:
        width = max(len(name) for name in known)
        for name, scenario in known.items():
            if name == next(iter(BY_NAME)):
                print("\nplaybacks for the checklists (`playhead checklists`), one right and one broken each:")
            expect = ("clean: no error, no warning" if scenario.clean else
                      ", ".join(scenario.expected) + " (warnings and errors; nothing else)")
            if name in BY_NAME and scenario.description != "clean":
                expect = f"{', '.join(scenario.expected) or 'no error, no warning'}; the checklist fails: " \
                         f"{scenario.description}"
            print(f"{name:<{width}}  {scenario.title} ({scenario.duration:.0f} s)\n{'':<{width}}  expect: {expect}")
        return 0
    if not args.proxy:
        raise UsageError("--proxy URL is required (e.g. --proxy http://127.0.0.1:8080)")
    if not args.scenario:
        raise UsageError("--scenario NAME is required (see --list)")
    names = list(SCENARIOS) if "all" in args.scenario else list(dict.fromkeys(args.scenario))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown scenario {unknown[0]!r}; choose one of: all, {', '.join(SCENARIOS)} "
                         "(or a checklist playback: see --list)")
    if args.speed < 0:
        raise UsageError("--speed must be 0 or more")
    if not args.target.startswith(("http://", "https://")):
        raise UsageError(f"--target {args.target}: must start with http:// or https://")
    verify = _verify(args.cafile)
    _reach(args.proxy)
    player = Player(args.target, proxy=args.proxy, speed=args.speed, verify=verify)

    scenarios = [known[n] for n in names]
    longest = max(s.duration for s in scenarios)
    pace = "no waits" if args.speed == 0 else f"about {longest / args.speed:.0f} s"
    print(f"playing {', '.join(names)} through {args.proxy} to {args.target} ({pace})", flush=True)
    results = player.play_many(scenarios, concurrency=len(scenarios))

    unanswered = False
    for scenario, result in zip(scenarios, results):
        statuses = Counter("no answer" if s is None else str(s) for s in result.statuses)
        tally = ", ".join(f"{n}× {status}" for status, n in statuses.items())
        sid = f" session {literal(result.sid)}" if result.sid else ""
        print(f"{scenario.name}:{sid} {len(result.exchanges)} calls ({tally})"
              + (" - interrupted" if result.interrupted else ""))
        problems = Counter(literal(x.error or "") for x in result.errors)  # one line per kind
        for text, n in problems.items():
            print(f"  {n}× {text}")
        if any(s is None for s in result.statuses):  # what playhead saw is not the scenario
            unanswered = True
            continue
        expect = ", ".join(scenario.expected) if scenario.expected else "no error and no warning"
        print(f"  playhead should report: {expect} (offline; live, a silence may also show ping-late"
              " from the wall clock)")
    if any(r.interrupted for r in results):
        return 130
    return 1 if unanswered else 0


def _reach(proxy: str) -> None:
    """Connect to the proxy once before playing: when nothing listens there, that is the whole
    story (unusable setup, exit 2), not 58 calls the upstream host supposedly did not answer."""
    try:
        url = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = url.hostname, url.port or (443 if url.scheme == "https" else 80)
    except ValueError as exc:
        raise UsageError(f"--proxy {proxy}: not a proxy URL ({exc})") from None
    if not host:
        raise UsageError(f"--proxy {proxy}: not a proxy URL (no host)")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise UsageError(f"--proxy {proxy}: cannot connect to the proxy ({exc.strerror or exc}); "
                         "is it running?") from None


def _verify(cafile: Path | None) -> bool | str:
    if cafile is not None:
        if not cafile.is_file():
            raise UsageError(f"--cafile {cafile}: no such file")
        return str(cafile)
    default = MITMPROXY_CA.expanduser()
    return str(default) if default.is_file() else True
