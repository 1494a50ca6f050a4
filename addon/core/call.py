"""`Call`: one captured HTTP exchange of a media tracking API, the only thing the engine eats.

Readers (HAR, flow files, recordings) and the live proxy all turn what they see into Calls, so
live and offline runs share every line of validation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .protocols import Route

Headers = tuple[tuple[str, str], ...]

_UNKNOWN = object()  # Call._route before it is worked out


def classify(path: str) -> Route | None:
    """Which protocol's API call a request path (or whole URL) is, matched by the end of its path
    (hosts are customer specific): a `Route` (protocol, start or event, and what the path names),
    or None."""
    return _router()(path)


@functools.cache
def _router() -> Callable[[str], Route | None]:
    """core.protocols.route, imported on first use: the adapters import this module."""
    from .protocols import route  # noqa: PLC0415

    return route


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
    def route(self) -> Route | None:
        """Which protocol's call the path is, whatever the method (see `classify`); worked out
        once, because readers, the tracker and the body rules all ask. Routes match the end of
        the path, which is the end of the URL once its query is gone: no need to split it."""
        route = self._route
        if route is _UNKNOWN:
            route = self._route = classify(self.url)
        return route  # type: ignore[return-value]  # a Route or None once worked out

    @property
    def endpoint(self) -> Route | None:
        """The route of a POST, the only method the API takes; None for anything else."""
        return self.route if self.method == "POST" or self.method.upper() == "POST" else None

    @property
    def location_sid(self) -> str | None:
        """The session id the answer to this start call names (a Media Collection 201's Location,
        a Media Edge 200's new-session handle), or None."""
        route = self.route
        return route.protocol.start_sid(self) if route is not None else None
