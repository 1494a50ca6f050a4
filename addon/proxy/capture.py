"""Which flows are API calls, and how a mitmproxy flow becomes a `Call` for the engine.

Hosts are customer specific, so a flow is an API call by its path (`classify`), on any host unless
`--host` patterns narrow it down. Bodies go to the engine decoded (gzip, deflate, br, zstd) as a
stream and cut just past the engine's size limit (body.py): the engine only needs to know a body
is too big to report it, and decoding a compressed bomb whole would stall the proxy.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..core.call import Call, classify
from .body import decoded_body

if TYPE_CHECKING:
    from mitmproxy import http

_HOST_PATTERN = re.compile(r"[a-z0-9*?.\-\[\]!]+")


class HostFilter:
    """`--host` patterns: shell-style wildcards on the host name, case-insensitive
    (`*.hb-api.omtrdc.net`, `media.example.com`). No patterns: every host."""

    def __init__(self, patterns: Iterable[str] = ()) -> None:
        raw_patterns = tuple(patterns)
        self.patterns = tuple(p.strip().lower() for p in raw_patterns)
        for raw, pattern in zip(raw_patterns, self.patterns):
            if not _HOST_PATTERN.fullmatch(pattern):
                raise ValueError(
                    f"host pattern {raw!r} is not a host name with * wildcards "
                    "(e.g. *.hb-api.omtrdc.net)")
        self._regex = (re.compile("|".join(fnmatch.translate(p) for p in self.patterns))
                       if self.patterns else None)

    def __bool__(self) -> bool:
        return self._regex is not None

    def matches(self, host: str) -> bool:
        return self._regex is None or self._regex.match(host.lower().rstrip(".")) is not None


def is_api(flow: http.HTTPFlow, hosts: HostFilter) -> bool:
    """A media API path (either protocol, any method) on a captured host."""
    request = flow.request
    if classify(request.path) is None:
        return False
    return not hosts or hosts.matches(request.pretty_host)  # pretty_host costs header lookups


def call_from_flow(flow: http.HTTPFlow, limit: int) -> Call:
    """The Call for a finished flow; `status` and response headers are None when no response
    came (the flow failed)."""
    request, response = flow.request, flow.response
    return Call(
        method=request.method,
        url=request.pretty_url,
        request_body=decoded_body(request, limit),
        status=response.status_code if response is not None else None,
        request_headers=tuple(request.headers.items(multi=True)),
        response_headers=tuple(response.headers.items(multi=True)) if response is not None else None,
        response_body=decoded_body(response, limit),
        time=request.timestamp_start,
        source=f"flow {flow.id}",
    )
