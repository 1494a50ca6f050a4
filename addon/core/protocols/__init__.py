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
    return any(marker in url for marker in _MARKERS)


def route(path: str) -> Route | None:
    """Which protocol's call a request path (query and fragment allowed) is, or None."""
    if "?" in path or "#" in path:
        path = path.split("?", 1)[0].split("#", 1)[0]
    for protocol in PROTOCOLS:
        found = protocol.route(path)
        if found is not None:
            return found
    return None


def by_name(name: str) -> Protocol:
    """The protocol of a session's `protocol` name (an unknown name reads as Media Collection, the
    protocol of recordings made before there were two)."""
    return _BY_NAME.get(name, MEDIA_COLLECTION)


__all__ = ["PROTOCOLS", "Kind", "Protocol", "Route", "by_name", "might_be_api", "route"]
