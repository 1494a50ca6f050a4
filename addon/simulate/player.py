"""The simulated player: sends a scenario's events as real HTTP calls, paced like a real player.

It speaks the Media Collection API the way a device does: POST /api/v1/sessions, take the sid from
the 201's Location, POST each event to /api/v1/sessions/{sid}/events, optionally through an HTTP
proxy (https is tunnelled with CONNECT and verified against a CA file, e.g. mitmproxy's). It
never raises on an HTTP answer: a 404 is what the `ignored-404` scenario is about, so every
exchange is recorded and the next step goes out regardless. Pure standard library, so `demo`,
`simulate`, tests and benchmarks need nothing else.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..core.protocols.media_collection import sid_from_location
from ..core.protocols.media_edge import new_session_id
from .edge import edge_body, edge_path
from .scenarios import Scenario, Step

_TS_UNITS = {"s": 1 / 1000, "us": 1000}
_ERROR_TEXT_LIMIT = 200  # characters of an error body kept in the record
_READ_LIMIT = 64 * 1024  # bytes of a response body read at most


def step_ts(step: Step, start_ts: int) -> int:
    """The ts a step carries: the real clock (start + at), whatever speed it is played at."""
    if isinstance(step.ts_override, int):
        return step.ts_override
    ts = start_ts + round(step.at * 1000)
    if step.ts_override is not None:
        return int(ts * _TS_UNITS[step.ts_override])
    return ts


def step_playhead(step: Step, start_ts: int) -> float | int:
    """Media seconds; live steps count from the start's seconds since UTC midnight, wrapping."""
    playhead = step.playhead
    if step.live:
        playhead = (start_ts / 1000 % 86400 + playhead) % 86400
    playhead = round(playhead, 3)
    return int(playhead) if playhead == int(playhead) else playhead


def build_body(step: Step, start_ts: int) -> dict[str, Any]:
    """The SPEC §3 event body for one step; absent parts are left out, as players do."""
    body: dict[str, Any] = {
        "playerTime": {"playhead": step_playhead(step, start_ts), "ts": step_ts(step, start_ts)},
        "eventType": step.event_type,
    }
    if step.params is not None:
        body["params"] = dict(step.params)
    if step.qoe is not None:
        body["qoeData"] = dict(step.qoe)
    if step.custom is not None:
        body["customMetadata"] = dict(step.custom)
    return body


def scenario_calls(scenario: Scenario, start_ts: int) -> list[dict[str, Any]]:
    """What playing the scenario would send, without a network: fixtures and benchmarks.

    Each item is {"at", "endpoint", "sid", "body"}; `sid` is None where the event goes to the
    sid the server assigns (unknown until a server answers), else the step's own sid.
    """
    return [
        {"at": s.at, "endpoint": s.endpoint, "sid": s.sid, "body": build_body(s, start_ts)}
        for s in scenario.steps
    ]


@dataclass(slots=True)
class Exchange:
    """One request the player made (or could not make) and what came back."""

    at: float
    endpoint: str
    event_type: str
    sid: str | None  # the sid the request went to; for sessions, the sid the 201 gave
    status: int | None  # None: no HTTP answer (connection failed, or not sent)
    error: str | None = None  # one line: HTTP error body, connection failure, or why not sent


@dataclass(slots=True)
class PlayResult:
    scenario: str
    start_ts: int
    exchanges: list[Exchange] = field(default_factory=list)
    interrupted: bool = False  # stopped (Ctrl-C or Player.stop) before the last step

    @property
    def sid(self) -> str | None:
        """The sid of the last session the server started for this play."""
        sids = [x.sid for x in self.exchanges if x.endpoint == "sessions" and x.sid is not None]
        return sids[-1] if sids else None

    @property
    def statuses(self) -> list[int | None]:
        return [x.status for x in self.exchanges]

    @property
    def errors(self) -> list[Exchange]:
        return [x for x in self.exchanges if x.error is not None]


class Player:
    """Plays scenarios against `base_url` (e.g. https://example.hb-api.omtrdc.net or a prefix).

    `proxy`: "http://host:port" or "host:port"; without it no proxy is used, not even one from
    the environment (a demo on loopback must not wander off through HTTP_PROXY). `verify`: True,
    False, or a CA file path for https. `speed` divides the waits; 0 does not wait at all.
    A stopped player stays stopped: `stop()` is for shutting down.
    """

    def __init__(
        self,
        base_url: str,
        proxy: str | None = None,
        speed: float = 1.0,
        verify: bool | str = True,
        timeout: float = 5.0,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.speed = speed
        self.timeout = timeout
        self._stop = threading.Event()
        proxies = {}
        if proxy:
            proxy = proxy if "://" in proxy else f"http://{proxy}"
            proxies = {"http": proxy, "https": proxy}
        self.proxy = proxy
        context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        if verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler(proxies), urllib.request.HTTPSHandler(context=context)
        )

    def stop(self) -> None:
        """Stop every play in progress at its next wait; safe from any thread."""
        self._stop.set()

    def play(self, scenario: Scenario, start_ts: int | None = None) -> PlayResult:
        """Send the scenario's steps in time; returns what happened, partial if interrupted."""
        start_ts = int(time.time() * 1000) if start_ts is None else start_ts
        result = PlayResult(scenario.name, start_ts)
        begin = time.monotonic()
        first_at = scenario.steps[0].at if scenario.steps else 0.0
        sid: str | None = None
        try:
            for step in scenario.steps:
                if self._wait_until(begin, step.at - first_at):
                    result.interrupted = True
                    break
                exchange = self._send(step, start_ts, sid, scenario.protocol == "media-edge")
                if step.endpoint == "sessions" and exchange.sid is not None:
                    sid = exchange.sid
                result.exchanges.append(exchange)
        except KeyboardInterrupt:
            result.interrupted = True
        return result

    def play_many(self, scenarios: Iterable[Scenario], concurrency: int = 4) -> list[PlayResult]:
        """Play scenarios on `concurrency` threads at once; results in the scenarios' order.

        Ctrl-C stops every thread at its next wait and returns the results of the scenarios
        that had started (the interrupted ones marked so).
        """
        todo = list(enumerate(scenarios))
        results: list[PlayResult | None] = [None] * len(todo)
        lock = threading.Lock()

        def worker() -> None:
            while not self._stop.is_set():
                with lock:
                    if not todo:
                        return
                    index, scenario = todo.pop(0)
                results[index] = self.play(scenario)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, concurrency))]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        except KeyboardInterrupt:
            self.stop()
            for t in threads:
                t.join(self.timeout + 1)
        return [r for r in results if r is not None]

    # -- internals ----------------------------------------------------------------------------

    def _wait_until(self, begin: float, offset: float) -> bool:
        """Sleep until `offset`/speed seconds after `begin`; True when stopped meanwhile."""
        if self.speed == 0:
            return self._stop.is_set()
        deadline = begin + offset / self.speed
        while (remaining := deadline - time.monotonic()) > 0:
            if self._stop.wait(remaining):
                return True
        return self._stop.is_set()

    def _send(self, step: Step, start_ts: int, sid: str | None, edge: bool) -> Exchange:
        target = step.sid or sid
        if step.endpoint != "sessions" and target is None:
            return Exchange(step.at, step.endpoint, step.event_type, None, None,
                            "not sent: no session id (the sessionStart failed)")
        if edge:
            url = self.base_url + edge_path(step)
            body = edge_body(step, step_ts(step, start_ts), step_playhead(step, start_ts), target)
        else:
            url = f"{self.base_url}/api/v1/sessions" if step.endpoint == "sessions" else \
                f"{self.base_url}/api/v1/sessions/{target}/events"
            body = build_body(step, start_ts)
        data = json.dumps(body, separators=(",", ":")).encode()
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "playhead-simulator"},
        )
        status: int | None = None
        location: str | None = None
        answer = b""
        error: str | None = None
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                location = response.headers.get("Location")
                answer = response.read(_READ_LIMIT)
        except urllib.error.HTTPError as exc:  # 4xx/5xx: data, not a failure of the player
            status = exc.code
            error = f"HTTP {status}: {_error_text(exc)}".rstrip(": ")
        except (http.client.HTTPException, OSError) as exc:  # URLError is an OSError
            # Through a proxy, a failed connection is the proxy's (it answers 502 for the host).
            via = f" through the proxy {self.proxy}" if self.proxy else ""
            error = f"no answer from {url}{via}: {getattr(exc, 'reason', exc)}"
        if step.endpoint == "sessions":
            ok = 200 if edge else 201
            if edge:
                target = new_session_id(answer) if status == ok else None
            else:
                target = sid_from_location(location) if status == ok else None
            if status == ok and target is None:
                error = ("200 without a media-analytics:new-session handle" if edge
                         else f"201 without a usable Location ({location!r})")
            elif status is not None and status != ok and error is None:
                error = f"sessionStart answered {status}, not {ok}"
        return Exchange(step.at, step.endpoint, step.event_type, target, status, error)


def _error_text(exc: urllib.error.HTTPError) -> str:
    """The start of an error answer's body on one line; empty if it cannot be read."""
    try:
        text = exc.read(_READ_LIMIT).decode("utf-8", "replace")
    except (http.client.HTTPException, OSError):
        text = ""
    finally:
        exc.close()
    return " ".join(text.split())[:_ERROR_TEXT_LIMIT]
