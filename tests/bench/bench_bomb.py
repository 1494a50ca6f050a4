"""A decompression bomb through the proxy (SPEC §10): time and peak memory against a plain body.

Each case runs a fresh `playhead proxy --headless` (forward mode) in front of a local upstream
and sends one API POST through it: a plain 1 MiB JSON body (the baseline: what the body limit
lets through), a 1,681-byte brotli body that inflates to 1 GiB, and a ~1 MB gzip body that does
the same. While the bomb is in flight, a second client sends an unrelated non-API request through
the same proxy: its answer time says whether the proxy's event loop was free. Per case: the API
call's answer time, the unrelated request's, and the proxy's peak and final RSS (VmHWM, VmRSS).

    .venv/bin/python tests/bench/bench_bomb.py [--inflated-mib 1024]

`--inflated-mib 16` is the suite's smoke size (tests/test_benches.py). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

from goals import goal  # noqa: E402
from support_proxy import LISTENING, PLAYHEAD, TIMEOUT, spawn, stop_process  # noqa: E402

BOMB_BR = Path(__file__).resolve().parents[1] / "data" / "bomb-1gib.br"  # brotli, 1 GiB of zeros
MIB = 1 << 20


class _Upstream(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(201, {"Location": "/api/v1/sessions/" + "a" * 64})

    def do_GET(self) -> None:
        self._answer(200, {})

    def _answer(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in {**headers, "Content-Length": "0"}.items():
            self.send_header(k, v)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def gzip_bomb(inflated: int) -> bytes:
    """gzip of `inflated` zero bytes, made as a stream (never the whole input in memory)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(MIB)
    parts = [c.compress(chunk) for _ in range(inflated // MIB)]
    return b"".join(parts) + c.flush()


def brotli_bomb(inflated: int) -> bytes:
    if inflated == 1024 * MIB:
        return BOMB_BR.read_bytes()
    import brotli  # comes with mitmproxy

    return brotli.compress(bytes(inflated), quality=5)


def status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def one_case(body: bytes, encoding: str | None, upstream: str, env: dict[str, str]) -> dict:
    proc, _out, err = spawn([*PLAYHEAD, "proxy", "--headless", "--port", "0"], env=env)
    try:
        port = int(err.wait_for(LISTENING).group(1))
        rss_idle = status_kib(proc.pid, "VmRSS")
        aside: dict[str, float] = {}

        def unrelated() -> None:
            time.sleep(0.05)  # the API call is in flight by then
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT * 6)
            began = time.perf_counter()
            conn.request("GET", f"{upstream}/static/player.js")
            conn.getresponse().read()
            aside["seconds"] = time.perf_counter() - began
            conn.close()

        other = threading.Thread(target=unrelated)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT * 6)
        headers = {"Content-Type": "application/json", **({"Content-Encoding": encoding} if encoding else {})}
        began = time.perf_counter()
        other.start()
        conn.request("POST", f"{upstream}/api/v1/sessions", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        seconds = time.perf_counter() - began
        other.join(TIMEOUT * 6)
        conn.close()
        time.sleep(0.2)  # let the proxy settle before reading its final size
        return {"status": answer.status, "seconds": seconds, "aside": aside.get("seconds", float("nan")),
                "idle": rss_idle, "peak": status_kib(proc.pid, "VmHWM"), "after": status_kib(proc.pid, "VmRSS")}
    finally:
        proc.terminate()
        try:
            proc.wait(TIMEOUT)
        finally:
            stop_process(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflated-mib", type=int, default=1024, help="what each bomb inflates to")
    args = parser.parse_args()
    inflated = args.inflated_mib * MIB
    plain = b'{"eventType":"sessionStart","pad":"' + b"x" * (MIB - 40) + b'"}'
    cases = [("plain 1 MiB body", plain, None),
             (f"brotli bomb ({args.inflated_mib} MiB)", brotli_bomb(inflated), "br"),
             (f"gzip bomb ({args.inflated_mib} MiB)", gzip_bomb(inflated), "gzip")]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstream = f"http://127.0.0.1:{server.server_address[1]}"
    results = {}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "NO_COLOR": "1"}
        print("one API POST through `playhead proxy --headless`, a fresh proxy per case")
        print(f"  {'case':<28} {'sent':>10} {'answer':>8} {'unrelated GET':>14} {'RSS idle':>9} "
              f"{'peak':>9} {'after':>9}")
        for name, body, encoding in cases:
            r = results[name] = one_case(body, encoding, upstream, env)
            print(f"  {name:<28} {len(body):>8,} B {r['seconds']:>6.2f} s {r['aside'] * 1000:>11.0f} ms "
                  f"{r['idle'] / 1024:>5.0f} MiB {r['peak'] / 1024:>5.0f} MiB {r['after'] / 1024:>5.0f} MiB"
                  f"  (HTTP {r['status']})")
    server.shutdown()
    base = results[cases[0][0]]
    for name, _, _ in cases[1:]:
        r = results[name]
        ratio = r["peak"] / base["peak"]
        goal(f"{name} vs a plain 1 MiB body: proxy peak RSS",
             f"{ratio:.2f} x ({r['peak'] / 1024:.0f} MiB; answered in {r['seconds']:.2f} s, "
             f"unrelated request {r['aside'] * 1000:.0f} ms)", "<= 1.1 x", ratio <= 1.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
