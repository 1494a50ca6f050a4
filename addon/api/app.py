"""The automation API as a Flask app; every route of SPEC §12, JSON in and out.

Bad requests get a 4xx JSON body `{"error": "...", "status": n}`. Every read of the tracker holds
its lock only while it copies what it answers, so a slow client never holds up the proxy thread;
`/v1/wait` waits on a condition the tracker's updates signal, never by polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from .. import __version__
from ..core.findings import Severity
from ..core.model import Entry, Session
from ..core.tracker import Update
from ..io.reports import render
from ..io.reports.checklists import with_checklists
from ..io.reports.json_report import session_object
from ..io.reports.summary import totals
from .openapi import document
from .source import Source

WAIT_LIMIT = 300.0  # seconds a /v1/wait may hold its request at most
WAIT_DEFAULT = 30.0
SETTLE_STEP = 0.25  # seconds a /v1/wait sleeps at most between looks: sessions settle with time
REPORT_TYPES = {"json": "application/json", "junit": "application/xml", "html": "text/html",
                "markdown": "text/markdown", "text": "text/plain"}


def make_app(source: Source) -> Flask:
    app = Flask("playhead.api")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    changed = _Changes(source)

    @app.errorhandler(HTTPException)
    def _error(exc: HTTPException) -> Response:
        answer = app.json.response({"error": exc.description or exc.name, "status": exc.code})
        answer.status_code = exc.code or 500
        for name, value in exc.get_headers():  # Allow on a 405, as RFC 9110 asks
            if name.lower() != "content-type":
                answer.headers[name] = value
        return answer

    @app.get("/v1/openapi.json")
    def openapi() -> dict[str, Any]:
        return document([c.name for c in source.watch.checklists])

    @app.get("/v1/status")
    def status() -> dict[str, Any]:
        tracker = source.tracker
        with tracker.lock:
            summary = {"sessions": len(tracker.sessions), "calls": tracker.calls,
                       **{severity.label: n for severity, n in totals(tracker).items()}}
            protocols: dict[str, int] = {}
            for session in tracker.sessions.values():
                name = session.protocol
                protocols[name] = protocols.get(name, 0) + 1
            reset = tracker.generation
        return {"tool": "playhead", "version": __version__, **source.setup(),
                "protocols": protocols, "summary": summary, "resets": reset}

    @app.get("/v1/sessions")
    def sessions() -> dict[str, Any]:
        state = _choice("state", ("open", "closed"))
        with source.tracker.lock:
            return {"sessions": [session_item(s, closed(s)) for s in source.tracker.sessions.values()
                                 if state is None or closed(s) == (state == "closed")]}

    @app.get("/v1/sessions/<sid>")
    def one_session(sid: str) -> dict[str, Any]:
        tracker = source.tracker
        with tracker.lock:
            session = tracker.sessions.get(sid)
            if session is None:
                raise NotFound(f"no session {sid!r}; GET /v1/sessions lists them")
            return {**session_item(session, closed(session)), "dropped_calls": session.dropped,
                    "calls_kept": [call_item(e) for e in session.entries],
                    "findings": [f.as_dict() for f in session.findings],
                    "checklists": [v.as_dict() | {"name": v.checklist.name}
                                   for v in source.watch.verdicts(sid)]}

    @app.get("/v1/findings")
    def findings() -> dict[str, Any]:
        severity = _choice("severity", tuple(s.label for s in Severity))
        rule, session = request.args.get("rule"), request.args.get("session")
        floor = Severity.parse(severity) if severity else Severity.INFO
        with source.tracker.lock:
            found = [f for f in source.tracker.findings
                     if f.severity >= floor and (rule is None or f.rule == rule)
                     and (session is None or f.session == session)]
            return {"findings": [f.as_dict() for f in found]}

    @app.get("/v1/report")
    def report() -> Response:
        fmt = _choice("format", tuple(REPORT_TYPES)) or "json"
        tracker, watch = source.tracker, source.watch
        names = request.args.getlist("checklist")
        chosen = [c for c in watch.checklists if c.name in names]
        if len(chosen) != len(set(names)):
            unknown = sorted(set(names) - {c.name for c in chosen})[0]
            raise BadRequest(f"checklist={unknown!r}: no such checklist; GET /v1/checklists lists them")
        with tracker.lock:
            body = render(with_checklists(tracker, [watch.result(c) for c in chosen]), fmt)
        return Response(body, content_type=f"{REPORT_TYPES[fmt]}; charset=utf-8")

    @app.post("/v1/reset")
    def reset() -> dict[str, Any]:
        source.reset()
        return {"reset": True, "resets": source.tracker.generation}

    @app.get("/v1/wait")
    def wait() -> tuple[dict[str, Any], int]:
        want = _number("sessions", 1, int, 1, 100_000)
        only_closed = _flag("closed", True)
        timeout = _number("timeout", WAIT_DEFAULT, float, 0, WAIT_LIMIT)
        deadline = time.monotonic() + timeout

        def ready() -> list[dict[str, Any]] | None:
            with source.tracker.lock:
                chosen = [s for s in source.tracker.sessions.values() if not only_closed or closed(s)]
                return [session_item(s, closed(s)) for s in chosen] if len(chosen) >= want else None

        found = changed.wait_for(ready, deadline)
        if found is not None:
            return {"sessions": found}, 200
        what = "closed " if only_closed else ""
        return {"error": f"fewer than {want} {what}session{'s' if want > 1 else ''} after {timeout:g} s",
                "status": 408}, 408

    @app.get("/v1/checklists")
    def checklists() -> dict[str, Any]:
        watch = source.watch
        with source.tracker.lock:
            results = watch.results()
        return {"checklists": [{k: v for k, v in r.as_dict().items() if k != "sessions"} for r in results]}

    @app.get("/v1/checklists/<name>")
    def checklist(name: str) -> dict[str, Any]:
        watch = source.watch
        chosen = next((c for c in watch.checklists if c.name == name), None)
        if chosen is None:
            raise NotFound(f"no checklist {name!r}; GET /v1/checklists lists them")
        with source.tracker.lock:
            return watch.result(chosen).as_dict()

    return app


def closed(session: Session) -> bool:
    """Closed by sessionComplete/sessionEnd as the engine applied it: live, once the backend's
    reorder window let the closer through (a second of silence; the same tick settles the gaps
    the closer ends), so a test that waits for closed sessions and then asks for findings gets
    them all. A defect that spans calls is said on its first call and counts on as it grows."""
    return session.closed_by is not None


def session_item(session: Session, is_closed: bool) -> dict[str, Any]:
    """A session as GET /v1/sessions lists it: the JSON report's object, its state and whether it
    closed, then its metrics (the newest addition goes last: the keys before it keep their order)."""
    item = session_object(session, session.counts)
    metrics = item.pop("metrics")
    return {**item, "state": session.state, "closed": is_closed, "metrics": metrics}


def call_item(entry: Entry) -> dict[str, Any]:
    return {"index": entry.index, "eventType": entry.event_type, "ts": entry.ts, "playhead": entry.playhead,
            "status": entry.call.status, "state_after": entry.state_after,
            "findings": [f.rule for f in entry.findings]}



def _choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in choices:
        raise BadRequest(f"{name}={value!r}: choose one of {', '.join(choices)}")
    return value


def _number(name: str, default: float, kind: Callable[[str], Any], low: float, high: float) -> Any:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise BadRequest(f"{name}={raw!r}: not a number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name}={raw!r}: must be between {low:g} and {high:g}")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false", "1", "0"):
        raise BadRequest(f"{name}={raw!r}: true or false")
    return raw.lower() in ("true", "1")


class _Changes:
    """Wakes /v1/wait requests when the tracker changes (its listener runs on the feeding thread
    and only notifies: nothing is computed there)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.condition = threading.Condition()
        self._subscribed: set[int] = set()

    def _changed(self, update: Update) -> None:
        with self.condition:
            self.condition.notify_all()

    def wait_for(self, ready: Callable[[], Any], deadline: float) -> Any:
        tracker = self.source.tracker
        if id(tracker) not in self._subscribed:  # the addon may build a new tracker (mitmdump -s)
            self._subscribed.add(id(tracker))
            tracker.subscribe(self._changed)
        while True:
            with self.condition:
                found = ready()
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self.condition.wait(min(left, SETTLE_STEP))
