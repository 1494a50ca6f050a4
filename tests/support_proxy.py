"""Shared helpers for the proxy tests (test_proxy*.py, test_sink.py, test_simulate_cli.py).

Everything here is real: an upstream HTTP(S) server on 127.0.0.1 that records the exact bytes it
received, clients that talk to the proxy over sockets (HTTP/1.1 absolute-form, CONNECT + TLS, and
HTTP/2 with the `h2` state machine mitmproxy itself depends on), and subprocess helpers that read
a process's output with a deadline. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import ipaddress
import itertools
import json
import queue
import re
import secrets
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playhead.proxy.runner import ProxyRunner
from playhead.simulate import session_params

TIMEOUT = 10.0  # seconds any single wait may take before the test fails
PLAYHEAD = [sys.executable, "-m", "playhead.cli"]
MITMDUMP = str(Path(sys.executable).with_name("mitmdump"))
LISTENING = r"listening on 127\.0\.0\.1:(\d+)"  # what `playhead proxy` prints once it is up
MITMDUMP_LISTENING = r"listening at 127\.0\.0\.1:(\d+)"  # and what mitmdump prints
API_HOST = "example.hb-api.omtrdc.net"
_EVENTS = re.compile(r"/api/v1/sessions/([^/]+)/events")


def wait_for(predicate: Callable[[], Any], timeout: float = TIMEOUT, step: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; its value, or AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


# -- bodies -------------------------------------------------------------------------------------


def now_ms() -> int:
    return int(time.time() * 1000)


def session_start_body(ts: int | None = None, media_id: str = "proxy-test-1") -> bytes:
    return json.dumps({
        "playerTime": {"playhead": 0, "ts": ts or now_ms()},
        "eventType": "sessionStart",
        "params": session_params(media_id, "Proxy test", 60),
    }).encode()


def event_body(event_type: str, playhead: float = 0, ts: int | None = None, **extra: Any) -> bytes:
    body = {"playerTime": {"playhead": playhead, "ts": ts or now_ms()}, "eventType": event_type}
    body.update(extra)
    return json.dumps(body).encode()


# -- the upstream server ------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    """A collection-server stand-in: 201 + Location, 204 for known sids, 404 otherwise; other
    paths answer `extra_body`. Records every request's exact bytes."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    tls: bool = False
    requests: list[Received] = field(default_factory=list)
    sids: list[str] = field(default_factory=list)
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # path -> (status, body)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real API server

    def _serve(self) -> None:
        upstream: Upstream = self.server.upstream  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with upstream.lock:
            upstream.requests.append(Received(self.command, self.path, dict(self.headers.items()), body))
            status, payload, headers = self._answer(upstream)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _answer(self, upstream: Upstream) -> tuple[int, bytes, dict[str, str]]:
        if self.path in upstream.answers:
            status, payload = upstream.answers[self.path]
            return status, payload, {"Content-Type": "application/octet-stream"}
        if self.command == "POST" and self.path.endswith("/api/v1/sessions"):
            sid = secrets.token_hex(32)
            upstream.sids.append(sid)
            return 201, b"", {"Location": f"/api/v1/sessions/{sid}"}
        m = _EVENTS.search(self.path)
        if self.command == "POST" and m and m.group(1) in upstream.sids:
            return 204, b"", {}
        return 404, b'{"error":"not found"}', {"Content-Type": "application/json"}

    do_POST = do_GET = do_PUT = do_OPTIONS = _serve

    def send_response(self, code: int, message: str | None = None) -> None:
        self.send_response_only(code, message)  # no Server/Date headers: fewer moving parts

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def upstream_server(tls_dir: Path | None = None) -> Iterator[Upstream]:
    """An upstream on 127.0.0.1 (HTTPS with a self-signed cert written into `tls_dir`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if tls_dir is not None:
        cert, key = self_signed_cert(tls_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    upstream = Upstream(server, thread, tls=tls_dir is not None)
    server.upstream = upstream  # type: ignore[attr-defined]
    thread.start()
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "upstream-cert.pem", folder / "upstream-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


# -- the proxy ----------------------------------------------------------------------------------


@contextlib.contextmanager
def running_proxy(confdir: Path, **kwargs: Any) -> Iterator[ProxyRunner]:
    """A started ProxyRunner on an ephemeral 127.0.0.1 port with its CA in `confdir`."""
    options = {"confdir": str(confdir), **kwargs.pop("options", {})}
    runner = ProxyRunner(port=0, options=options, **kwargs)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()


def ca_file(confdir: Path) -> Path:
    return confdir / "mitmproxy-ca-cert.pem"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class ProxyClient:
    """One keep-alive connection to the proxy. Plain HTTP uses absolute-form request targets;
    `https_host` tunnels with CONNECT and verifies the proxy's certificate against `cafile`."""

    def __init__(self, proxy: tuple[str, int], https_host: tuple[str, int] | None = None,
                 cafile: Path | None = None) -> None:
        host, port = proxy
        self.https = https_host is not None
        if https_host is None:
            self.conn: http.client.HTTPConnection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        else:
            context = ssl.create_default_context(cafile=str(cafile))
            context.set_alpn_protocols(["http/1.1"])
            self.conn = http.client.HTTPSConnection(host, port, timeout=TIMEOUT, context=context)
            self.conn.set_tunnel(*https_host)

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        if self.https:  # inside the tunnel: origin-form
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        else:
            target = url
        self.conn.request(method, target, body=body, headers=headers or {})
        response = self.conn.getresponse()
        return Answer(response.status, response.headers, response.read())

    def post(self, url: str, body: bytes, headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", url, body, {"Content-Type": "application/json", **(headers or {})})

    def close(self) -> None:
        self.conn.close()


def h2_post(proxy: tuple[str, int], host: str, cafile: Path, path: str, body: bytes,
            extra: list[tuple[str, str]] = ()) -> tuple[str, dict[str, str], bytes]:
    """POST over HTTP/2 through the proxy (CONNECT, TLS with ALPN h2); (alpn, headers, body)."""
    import h2.connection
    import h2.events

    sock = socket.create_connection(proxy, timeout=TIMEOUT)
    try:
        sock.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
        reply = b""
        while b"\r\n\r\n" not in reply and len(reply) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply[:100]
        context = ssl.create_default_context(cafile=str(cafile))
        context.set_alpn_protocols(["h2"])
        tls = context.wrap_socket(sock, server_hostname=host)
        alpn = tls.selected_alpn_protocol() or ""
        conn = h2.connection.H2Connection()
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "POST"), (":path", path), (":scheme", "https"),
                                   (":authority", host), ("content-type", "application/json"),
                                   *extra])
        conn.send_data(stream, body, end_stream=True)
        tls.sendall(conn.data_to_send())
        headers: dict[str, str] = {}
        data = b""
        for _ in range(1000):
            chunk = tls.recv(65536)
            if not chunk:
                break
            ended = False
            for event in conn.receive_data(chunk):
                if isinstance(event, h2.events.ResponseReceived):
                    headers = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                               for k, v in event.headers}
                elif isinstance(event, h2.events.DataReceived):
                    data += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    ended = True
            tls.sendall(conn.data_to_send())
            if ended:
                break
        return alpn, headers, data
    finally:
        sock.close()


# -- subprocesses -------------------------------------------------------------------------------


class Output:
    """Reads a process's stream line by line on a thread, so tests can wait with a deadline."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, ""):
            self._queue.put(line)
        self._queue.put(None)

    def _more(self, timeout: float):
        """Lines as they arrive, until the stream closes or `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)
            yield line

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> re.Match[str]:
        regex = re.compile(pattern)
        for line in itertools.chain(list(self.lines), self._more(timeout)):  # stop at the first match
            if m := regex.search(line):
                return m
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{self.text}")

    def rest(self, timeout: float = TIMEOUT) -> str:
        """Everything until the stream closes (the process ended)."""
        for _ in self._more(timeout):
            pass
        return self.text

    @property
    def text(self) -> str:
        return "".join(self.lines)


def spawn(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[subprocess.Popen, Output, Output]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd)
    return proc, Output(proc.stdout), Output(proc.stderr)


def stop_process(proc: subprocess.Popen) -> None:
    """Make sure a test's process is gone (it ends by itself when the test passes)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(TIMEOUT)
