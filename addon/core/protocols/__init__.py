"""The wire protocols the engine understands, each in its own module behind `base.Protocol`.

A third protocol (legacy heartbeats, say) is a new module here, its schemas folder and its tests,
plus its line in PROTOCOLS: nothing in the rules, the state machine or the tracker changes.
"""

from __future__ import annotations

from .base import Kind, Protocol, Route
from .media_collection import MEDIA_COLLECTION
from .media_edge import MEDIA_EDGE

PROTOCOLS: tuple[Protocol, ...] = (MEDIA_COLLECTION, MEDIA_EDGE)
_BY_NAME = {p.name: p for p in PROTOCOLS}
for _protocol in PROTOCOLS:
    _protocol.checks()  # each protocol's own rules are registered with the rest
_MARKERS = tuple(marker for p in PROTOCOLS for marker in p.markers)


def might_be_api(url: str) -> bool:
    """False for what is surely no protocol's call (a page's images and scripts): readers skip
    those without decoding them. True needs `route` to be sure."""
    for marker in _MARKERS:  # a plain loop: this runs for every entry of a capture
        if marker in url:
            return True
    return False


_ROUTES: dict[str, Route | None] = {}  # path -> its route: every call of a session has one path
_ROUTES_LIMIT = 4096
_UNSEEN = object()  # not in _ROUTES (None is a route answer: no protocol's)


def route(path: str) -> Route | None:
    """Which protocol's call a request path (query and fragment allowed) is, or None."""
    if "?" in path or "#" in path:
        path = path.split("?", 1)[0].split("#", 1)[0]
    found = _ROUTES.get(path, _UNSEEN)
    if found is not _UNSEEN:
        return found  # type: ignore[return-value]
    found = None
    for protocol in PROTOCOLS:
        found = protocol.route(path)
        if found is not None:
            break
    if len(_ROUTES) >= _ROUTES_LIMIT:  # paths are the wire's (made-up sids): bound what is kept
        _ROUTES.clear()
    _ROUTES[path] = found
    return found



def by_name(name: str) -> Protocol:
    """The protocol of a session's `protocol` name (an unknown name reads as Media Collection, the
    protocol of recordings made before there were two)."""
    return _BY_NAME.get(name, MEDIA_COLLECTION)


__all__ = ["PROTOCOLS", "Kind", "Protocol", "Route", "by_name", "might_be_api", "route"]
