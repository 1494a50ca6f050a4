"""A soak with many distinct session ids (SPEC §9, §10): the proxy's RSS over time.

Any client on the proxy can make up sids; each new session used to cost ~10 KB of rule state for
good, whatever `--max-calls` said. This runs `playhead proxy --headless --sink` (the live default
cap: 200,000 calls, 10,000 sessions in full) and sends `--sessions` one-call sessions through it,
each a sessionStart the sink answers with a fresh sid, on one keep-alive connection. Every
`--every` sessions it prints the proxy's RSS; at the end, the growth per session past the
session cap against SPEC §9's 2 KB per retained call, and how long the proxy took to stop.

    .venv/bin/python tests/bench/bench_soak.py [--sessions 50000] [--every 5000]

`--sessions 300 --every 100` is the suite's smoke size (tests/test_benches.py). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

from goals import goal  # noqa: E402
from support_proxy import LISTENING, PLAYHEAD, TIMEOUT, spawn, stop_process  # noqa: E402

TARGET = "http://soak.hb-api.omtrdc.net/api/v1/sessions"
MIB = 1 << 20


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_body(n: int) -> bytes:
    return json.dumps({
        "playerTime": {"playhead": 0, "ts": 1764115200000 + n}, "eventType": "sessionStart",
        "params": {"analytics.trackingServer": "soak.sc.omtrdc.net", "analytics.reportSuite": "rsid",
                   "visitor.marketingCloudOrgId": "ORG@AdobeOrg", "media.id": f"soak-{n}",
                   "media.name": "soak", "media.contentType": "vod", "media.playerName": "soak",
                   "media.channel": "soak", "media.length": 60},
    }).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50_000)
    parser.add_argument("--every", type=int, default=5_000, help="sessions between RSS samples")
    parser.add_argument("--since", type=int, default=15_000,
                        help="growth is measured from this many sessions on (past the 10,000 kept in full)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "NO_COLOR": "1"}
        proc, out, err = spawn([*PLAYHEAD, "proxy", "--headless", "--sink", "--port", "0"], env=env)
        try:
            port = int(err.wait_for(LISTENING).group(1))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            began = time.perf_counter()
            samples = [(0, rss_kib(proc.pid), 0.0)]
            statuses: dict[int, int] = {}
            print(f"{args.sessions:,} one-call sessions, distinct sids, through `playhead proxy --headless --sink`")
            print(f"  {'sessions':>9} {'RSS':>9} {'seconds':>8}")
            print(f"  {0:>9,} {samples[0][1] / 1024:>5.0f} MiB {0:>8.1f}", flush=True)
            for n in range(1, args.sessions + 1):
                conn.request("POST", TARGET, body=start_body(n), headers={"Content-Type": "application/json"})
                answer = conn.getresponse()
                answer.read()
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
                if n % args.every == 0 or n == args.sessions:
                    samples.append((n, rss_kib(proc.pid), time.perf_counter() - began))
                    print(f"  {n:>9,} {samples[-1][1] / 1024:>5.0f} MiB {samples[-1][2]:>8.1f}", flush=True)
            conn.close()
            stopping = time.perf_counter()
            proc.send_signal(signal.SIGTERM)
            proc.wait(TIMEOUT * 12)
            stop_seconds = time.perf_counter() - stopping
        finally:
            stop_process(proc)
    # Growth once the session cap applies: the first 10,000 sessions are kept in full by design.
    since = min(args.since, args.sessions // 2)
    first = next(s for s in samples if s[0] >= since)
    last = samples[-1]
    per_session = (last[1] - first[1]) * 1024 / max(1, last[0] - first[0])
    print(f"  answers: {', '.join(f'{n:,} x {status}' for status, n in sorted(statuses.items()))}")
    print(f"  growth from {first[0]:,} to {last[0]:,} sessions: {per_session:,.0f} bytes per session (one call each);"
          f" stopping took {stop_seconds:.1f} s")
    goal(f"soak of {args.sessions:,} one-call sessions with distinct sids: RSS growth per call",
         f"{per_session:,.0f} bytes ({samples[0][1] / 1024:.0f} -> {last[1] / 1024:.0f} MiB; stop {stop_seconds:.1f} s)",
         "<= 2048 bytes", per_session <= 2048)
    return 0


if __name__ == "__main__":
    sys.exit(main())
