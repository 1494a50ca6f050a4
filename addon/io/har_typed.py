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

from typing import Annotated

import msgspec

Scalar = str | Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)] | float | bool | None


class Header(msgspec.Struct, gc=False):
    name: Scalar
    value: Scalar


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


class Request(msgspec.Struct, gc=False):
    method: Scalar = None
    url: Scalar = None
    headers: list[Header] | None = None
    postData: PostData | None = None


class Response(msgspec.Struct, gc=False):
    status: Scalar = None
    headers: list[Header] | None = None
    content: Content | None = None


class Entry(msgspec.Struct, gc=False):
    startedDateTime: Scalar = None
    request: Request | None = None
    response: Response | None = None


class _Log(msgspec.Struct, gc=False):
    entries: list[Entry]


class _Har(msgspec.Struct, gc=False):
    log: _Log


_DECODER = msgspec.json.Decoder(_Har)
_BOM = b"\xef\xbb\xbf"


def entries(data: bytes | bytearray) -> list[Entry] | None:
    """The entries of a HAR document, or None when it is not one these Structs describe."""
    view = memoryview(data)
    if view[:3] == _BOM:  # Fiddler and others write one
        view = view[3:]
    try:
        return _DECODER.decode(view).log.entries
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
