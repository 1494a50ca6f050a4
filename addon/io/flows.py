"""mitmproxy flow-file reader (`mitmdump -w`, `save.file`, playhead's own proxy saves).

mitmproxy is imported inside the reading generator, so `playhead check x.har` never pays for it.
Bodies are the decoded content (gzip/deflate/br/zstd undone as a stream, cut just past the body
limit: core/inflate.py); when a body claims an encoding it does not have, the raw bytes are kept
and a warning says so. Only HTTP flows become
calls; TCP/UDP/DNS flows are counted and passed over.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import TYPE_CHECKING, BinaryIO

from playhead.core.call import Call
from playhead.core.config import Config
from playhead.core.inflate import InflateError, inflate
from playhead.io.reader import Capture, CaptureError, open_binary

if TYPE_CHECKING:
    from mitmproxy import http

BODY_LIMIT = Config().body_limit  # a compressed body is inflated just past what the engine parses


def read_flows(path: str | os.PathLike[str]) -> Capture:
    """The API calls of a mitmproxy flow file, lazily. A corrupt or cut file raises CaptureError
    during iteration, after the flows before the damage have been yielded."""
    path = os.fspath(path)
    f = open_binary(path)
    return Capture(path, "flows", lambda capture: _calls(path, f, capture))


def _calls(path: str, f: BinaryIO, capture: Capture) -> Generator[Call, None, None]:
    from mitmproxy import http
    from mitmproxy.io import FlowReader

    with f:
        stream = iter(FlowReader(_CappedReads(f)).stream())
        n = 0
        while True:
            try:
                flow = next(stream)
            except StopIteration:
                return
            except Exception as e:  # anything mitmproxy raises on a damaged file
                where = "not a mitmproxy flow file" if n == 0 else f"damaged after flow {n}"
                raise CaptureError(f"{path}: {where} ({str(e) or type(e).__name__})") from None
            n += 1
            if isinstance(flow, http.HTTPFlow):
                yield _flow_call(flow, f"{path}#{n}", capture)
            else:
                capture.skip()


class _CappedReads:
    """The file as FlowReader reads it, but no read asks for more than the file still holds: a
    tnetstring's length prefix comes from the file, and `999999999999:` made it allocate a
    terabyte (MemoryError, with no message) where it should read a short record and say so."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._size = os.fstat(f.fileno()).st_size

    def read(self, n: int | None = -1) -> bytes:
        left = max(0, self._size - self._f.tell())
        return self._f.read(left if n is None or n < 0 or n > left else n)

    def tell(self) -> int:
        return self._f.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._f.seek(offset, whence)


def _content(message: http.Message, what: str, capture: Capture) -> bytes | None:
    raw = message.raw_content
    encoding = message.headers.get("content-encoding", "")
    if raw is None or not encoding:
        return raw
    try:
        # Streamed and cut past the body limit: a bomb in a flow file costs no more than 1 MiB.
        return inflate(raw, encoding, BODY_LIMIT)
    except InflateError as e:
        capture.warn(f"{what} body says {encoding!r} but does not decode ({e}); kept as is")
        return raw


def _flow_call(flow: http.HTTPFlow, source: str, capture: Capture) -> Call:
    request, response = flow.request, flow.response
    return Call(
        method=request.method,
        url=request.pretty_url,
        request_body=_content(request, f"{source}: request", capture),
        status=response.status_code if response is not None else None,
        request_headers=tuple(request.headers.items(multi=True)),
        response_headers=(
            tuple(response.headers.items(multi=True)) if response is not None else None
        ),
        response_body=(
            _content(response, f"{source}: response", capture) if response is not None else None
        ),
        time=request.timestamp_start,
        source=source,
    )
