"""A flow's body as the engine reads it: Content-Encoding undone, at most `limit + 1` bytes.

mitmproxy's own `get_content()` decodes the whole body first (and keeps the result in its decode
cache), so a small compressed bomb cost gigabytes and seconds on the proxy's event loop. This
inflates the raw bytes as a stream and stops just past the limit (core/inflate.py); the flow
itself is never touched, so the device and the server still see exactly what was sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.inflate import InflateError, inflate

if TYPE_CHECKING:
    from mitmproxy import http


def decoded_body(message: http.Message | None, limit: int) -> bytes | None:
    """The decoded body cut at `limit + 1` bytes; when it does not decode (or names a coding
    nobody reads), the raw bytes so cut, which the engine reports as they are."""
    if message is None:
        return None
    raw = message.raw_content
    if raw is None:
        return None
    encoding = message.headers.get("content-encoding")
    if encoding:
        try:
            return inflate(raw, encoding, limit)
        except InflateError:
            pass
    return raw[: limit + 1] if len(raw) > limit else raw
