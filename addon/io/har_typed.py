"""The HAR fields the reader uses, decoded by msgspec straight into Structs: the fast path.

A HAR is mostly what `playhead check` never reads (timings, cookies, query strings, sizes,
exporters' own `_fields`), and reading all of it into dicts was a third of a check. msgspec
decodes only the fields named here and skips the rest without building them: the SDK-shaped
60k-call HARs of bench_check read ~5 times faster than with orjson into dicts, into a fraction of
the memory.

The Structs fix the shapes of containers (an entry, its request, response, postData, content,
header and form param lists); a field read as a value is any JSON scalar, so har.py reads it
exactly as on its tolerant path, where orjson decodes the file. Integers are held to 64 bits:
beyond, orjson reads a float (and `json` a huge int), msgspec an exact int, and a status or a
header value would differ. A document these shapes do not describe (a header that is not an
object, a `request` that is a string, an integer past 64 bits, JSON msgspec refuses such as lone
surrogate escapes, NaN or 1e400) gives None, and har.py reads the whole file the tolerant way
instead: never lost, never judged differently (tests/test_har_typed.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import msgspec

Scalar = str | Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)] | float | bool | None


class Header(msgspec.Struct, gc=False):
    name: Scalar
    value: Scalar


class TextHeader(msgspec.Struct, gc=False):
    """A header as exporters write them: a name that is text and not empty, a value that is text.
    A file whose headers all are so is decoded with these, and har.py need not check each one."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    value: str


H = TypeVar("H", Header, TextHeader)


class Param(msgspec.Struct, gc=False):
    name: Scalar = ""
    value: Scalar = ""


class PostData(msgspec.Struct, gc=False):
    text: Scalar = None
    encoding: Scalar = None
    params: list[Param] | None = None


class Content(msgspec.Struct, gc=False):
    text: Scalar = None
    encoding: Scalar = None
    size: Scalar = None


class Request(msgspec.Struct, Generic[H], gc=False):
    method: Scalar = None
    url: Scalar = None
    headers: list[H] | None = None
    postData: PostData | None = None


class Response(msgspec.Struct, Generic[H], gc=False):
    status: Scalar = None
    headers: list[H] | None = None
    content: Content | None = None


class Entry(msgspec.Struct, Generic[H], gc=False):
    startedDateTime: Scalar = None
    request: Request[H] | None = None
    response: Response[H] | None = None


class _Log(msgspec.Struct, Generic[H], gc=False):
    entries: list[Entry[H]]


class _Har(msgspec.Struct, Generic[H], gc=False):
    log: _Log[H]


# Text headers first, as nearly every file has them; any header else, in a file the first refuses.
_DECODERS = (msgspec.json.Decoder(_Har[TextHeader]), msgspec.json.Decoder(_Har[Header]))
_BOM = b"\xef\xbb\xbf"


def entries(data: bytes | bytearray) -> list[Entry[Any]] | None:
    """The entries of a HAR document, or None when it is not one these Structs describe."""
    view = memoryview(data)
    if view[:3] == _BOM:  # Fiddler and others write one
        view = view[3:]
    for decoder in _DECODERS:
        try:
            return decoder.decode(view).log.entries
        except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
            continue
    return None
