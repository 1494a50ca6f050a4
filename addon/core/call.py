"""`Call`: one captured HTTP exchange of the Media Collection API, the only thing the engine eats.

Readers (HAR, flow files, recordings) and the live proxy all turn what they see into Calls, so
live and offline runs share every line of validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

Headers = tuple[tuple[str, str], ...]

API_PATH = "/api/v1/sessions"  # in every Media Collection API path: the cheap first test
# /api/v1/sessions (sessionStart) or /api/v1/sessions/{sid}/events, at the end of the path.
_ROUTE = re.compile(r"/api/v1/sessions(?:/([^/?#]+)/events)?/?$")


_UNKNOWN = object()  # Call._route before it is worked out


class Endpoint(Enum):
    SESSIONS = "sessions"
    EVENTS = "events"


def classify(path: str) -> tuple[Endpoint, str | None] | None:
    """Which API endpoint a request path is, matched by path (hosts are customer specific).

    Returns (SESSIONS, None), (EVENTS, sid) or None for anything else.
    """
    if API_PATH not in path:
        return None  # almost everything a proxy sees: no need to look closer
    if "?" in path:
        path = path.split("?", 1)[0]
    m = _ROUTE.search(path)
    if m is None:
        return None
    sid = m.group(1)
    return (Endpoint.SESSIONS, None) if sid is None else (Endpoint.EVENTS, sid)


def header(headers: Headers | None, name: str) -> str | None:
    """First value of a header, case-insensitively; None when absent or not captured."""
    if not headers:
        return None
    name = name.lower()
    size = len(name)
    for k, v in headers:
        if len(k) == size and k.lower() == name:
            return v
    return None


_AUTHORITY = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*")


def url_path(url: str) -> str:
    """The path of a URL, even one whose authority urlsplit rejects ("http://[::1/api/..." from a
    hostile capture or Location header): the path still decides what the call is."""
    try:
        return urlsplit(url).path
    except ValueError:
        return re.split(r"[?#]", _AUTHORITY.sub("", url, count=1), maxsplit=1)[0]


def sid_from_location(location: str | None) -> str | None:
    """The session id is the last path segment of the 201's Location (absolute or relative)."""
    if not location:
        return None
    path = url_path(location.strip()).rstrip("/")
    if not re.search(r"/sessions/[^/]+$", path):
        return None
    return path.rsplit("/", 1)[-1] or None


@dataclass(slots=True)
class Call:
    """One request/response pair as captured.

    Bodies are the decoded content (compression removed). `response_headers` is None when the
    capture recorded no response headers at all (some exporters drop them), which is different
    from an empty tuple; `status` is None when no response was captured.
    """

    method: str
    url: str
    request_body: bytes | None
    status: int | None = None
    request_headers: Headers = ()
    response_headers: Headers | None = ()
    response_body: bytes | None = None
    time: float = 0.0  # epoch seconds when the request was sent/seen
    source: str = ""  # where it came from, for messages: "file.har#12", a flow id
    _route: object = field(default=_UNKNOWN, init=False, repr=False, compare=False)

    @property
    def path(self) -> str:
        return url_path(self.url)

    @property
    def host(self) -> str:
        try:
            return urlsplit(self.url).hostname or ""
        except ValueError:  # an unparsable authority names no host
            return ""

    @property
    def route(self) -> tuple[Endpoint, str | None] | None:
        """Which API endpoint the path is, whatever the method (see `classify`); worked out once,
        because readers, the tracker and the body rules all ask."""
        route = self._route
        if route is _UNKNOWN:
            route = self._route = classify(self.path)
        return route

    @property
    def endpoint(self) -> tuple[Endpoint, str | None] | None:
        """The route of a POST, the only method the API takes; None for anything else."""
        return self.route if self.method == "POST" or self.method.upper() == "POST" else None

    @property
    def location_sid(self) -> str | None:
        return sid_from_location(header(self.response_headers, "location"))
