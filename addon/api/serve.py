"""Serving the API app: on the magic host through mitmproxy, and on a loopback port.

Through the proxy, mitmproxy's `asgiapp` hosts the app (as it hosts http://mitm.it). Its WSGI
adapter runs every request on one shared thread, so a long `/v1/wait` would hold up every other
API request: `PooledWsgi` runs each on a thread of its own pool instead. The proxy's event loop
only awaits. On `--api-port`, werkzeug's threaded server answers on 127.0.0.1, one thread per
client, so a slow client holds only its own thread.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.wsgi import WsgiToAsgi, WsgiToAsgiInstance
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

HOST = "playhead.api"
STOP_POLL = 0.05  # seconds between the server's looks at `stop`: its default 0.5 s held up every quit
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="playhead-api")


class _PooledInstance(WsgiToAsgiInstance):
    async def run_wsgi_app(self, body):  # type: ignore[override]
        run = WsgiToAsgiInstance.__dict__["run_wsgi_app"].func  # the plain function asgiref wraps
        await asyncio.get_running_loop().run_in_executor(_POOL, run, self, body)


class PooledWsgi(WsgiToAsgi):
    async def __call__(self, scope, receive, send):
        await _PooledInstance(self.wsgi_application, self.duplicate_header_limit)(scope, receive, send)


class _QuietHandler(WSGIRequestHandler):
    """No access log: a test suite polling the API would drown its own output in it."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class LoopbackServer:
    """The app on 127.0.0.1:port (0: a free port) in a thread of its own."""

    def __init__(self, app, port: int) -> None:
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True,
                                                      request_handler=_QuietHandler)
        self._server.daemon_threads = True
        self.address = ("127.0.0.1", self._server.server_port)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(STOP_POLL,), name="playhead-api-port",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
