"""HAR 1.2 reader, tolerant of what real exporters write.

Exporters and their habits this reader is built around:
- mitmproxy (`savehar` addon, `save.har` command): bodies decoded while the headers still say
  `Content-Encoding: gzip`; binary response bodies as base64 in `content` (`"encoding": "base64"`);
  non-UTF-8 request text as surrogate escapes; a flow without a response gets status 0 and empty
  headers; `.zhar` files are the same JSON compressed with zlib.
- Chrome DevTools: HTTP/2 entries (`httpVersion` "h2" or "http/2.0"), lowercase header names
  and pseudo-headers (`:authority`, `:method`, `:path`, `:scheme`); status 0 (blocked, with
  `_error`) or -1 (aborted); no `postData` when the body was empty; `Z` timestamps with
  milliseconds.
- Charles: response content base64-encoded even for JSON; timestamps with a local offset.
- Proxyman: no `log.pages`, entries with no or a null `response`, timestamps without fractions.
- Some tools (Reqable; the HAR 1.3 draft) put binary request bodies in `postData` as base64 with
  `"encoding": "base64"`, which HAR 1.2 only defines for `content`.

Two ways to read one file: msgspec decodes the entries into Structs of only the fields read here
(har_typed.py: most of a HAR is timings, cookies and sizes nobody reads), and a file with shapes
those do not describe is read whole as plain JSON values by orjson (or `json`, which explains
what orjson refuses). Both end in the same `_call`, so an entry reads the same either way.

Choices, so the engine can tell "not captured" from "empty":
- Pseudo-headers are not headers: they are dropped from the header tuples (method, URL and status
  are fields already); `:scheme` and `:authority` rebuild the URL when an exporter wrote a path.
- Status 0, -1 or missing means no response was captured: status None, response headers and body
  None.
- A response that has a status but no `headers` key, or `headers: []`, gets response_headers None:
  every real HTTP response carries some header (Date, Content-Length...), so an empty list means
  the exporter dropped them, and a rule must not read "no Location" from it.
- A body is None when the HAR has no text for it (no `postData`; `content` without `text` and a
  non-zero size, as in "Save all as HAR" without content); b"" when the HAR says it was empty.
- HAR text is meant to be decoded already, but some exporters store the compressed bytes (base64).
  A body is decompressed only when its Content-Encoding says so AND the bytes really look
  compressed; when decoding fails the bytes are kept as they are and a warning says why.
- `startedDateTime` becomes Call.time (epoch seconds); without a UTC offset it is read as UTC;
  missing or unreadable gives 0.0 (and a warning when unreadable).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Generator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson

from playhead.core import inflate
from playhead.core.call import Call, Headers, header
from playhead.core.config import Config
from playhead.core.inflate import is_zlib
from playhead.core.protocols import might_be_api
from playhead.io import har_typed as typed
from playhead.io.reader import Capture, CaptureError, open_binary

BODY_LIMIT = Config().body_limit  # a compressed body is inflated just past what the engine parses
ZHAR_RATIO = 200  # a .zhar inflating to more than this many times its size is refused ...
ZHAR_FLOOR = 32 << 20  # ... once past this many bytes


def read_har(path: str | os.PathLike[str]) -> Capture:
    """The API calls of a HAR (or mitmproxy .zhar) file. The file is parsed at once, so a file that
    is not HAR raises CaptureError here; malformed entries become warnings while iterating."""
    path = os.fspath(path)
    with open_binary(path) as f:
        try:
            data = f.read()
        except OSError as e:
            raise CaptureError(f"{path}: cannot read ({e.strerror or e})") from None
    entries = _entries(path, data)
    return Capture(path, "har", lambda capture: calls(path, entries, capture))


def _entries(path: str, data: bytes) -> list[Any]:
    """The entries, decoded into Structs of only the fields read (har_typed.py) or, when the file
    has shapes those do not describe, as plain JSON values."""
    if is_zlib(data):
        data = _unzhar(path, data, _not_har(path))
    entries = typed.entries(data)
    return entries if entries is not None else plain_entries(path, data)


def _not_har(path: str) -> Callable[[str], CaptureError]:
    return lambda why: CaptureError(f"{path}: not a HAR file ({why})")


def plain_entries(path: str, data: bytes | bytearray) -> list[Any]:
    """The entries as plain JSON values (the tolerant path), or CaptureError saying why not."""
    not_har = _not_har(path)
    try:
        doc = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))  # Fiddler and others write a BOM
    except orjson.JSONDecodeError:
        doc = _parse_slowly(data, not_har)  # json decides what orjson refuses, and explains
    if not isinstance(doc, dict):
        raise not_har(f"top level is a JSON {type(doc).__name__}, not an object")
    log = doc.get("log")
    if not isinstance(log, dict):
        raise not_har("no log object")
    entries = log.get("entries")
    if not isinstance(entries, list):
        raise not_har("no log.entries list")
    return entries


def _unzhar(path: str, data: bytes, not_har: Callable[[str], CaptureError]) -> bytes | bytearray:
    """A `.zhar` inflated as a stream, refused once it inflates past what a real HAR could:
    HAR text compresses ~5-50 times, a zlib bomb ~1000 times (510 KB became 1.5 GiB of memory)."""
    most = max(ZHAR_FLOOR, ZHAR_RATIO * len(data))
    try:
        inflated = inflate.take(inflate.stream(data, "deflate"), most + 1)
    except inflate.InflateError as e:
        raise not_har(f"zlib data that does not decompress: {e}") from None
    if len(inflated) > most:
        raise CaptureError(
            f"{path}: refused: its zlib data inflates past {most >> 20} MiB, over {ZHAR_RATIO} times "
            "its size (a decompression bomb?)")
    return inflated


def _parse_slowly(data: bytes | bytearray, not_har: Callable[[str], CaptureError]) -> Any:
    """What orjson refuses: surrogate escapes (mitmproxy writes non-UTF-8 bodies so), integers
    beyond 64 bits, or a file that is not JSON at all, which `json` then explains."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise not_har(f"not UTF-8 text at byte {e.start}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise not_har(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise not_har("JSON nested too deeply") from None
    except ValueError:  # Python refuses integers of over 4300 digits (int_max_str_digits)
        raise not_har("JSON holds a number too long to read") from None


def calls(path: str, entries: list[Any], capture: Capture) -> Generator[Call, None, None]:
    """The Calls of the entries (Structs or plain values), each entry dropped once read."""
    read = _typed_call if entries and isinstance(entries[0], typed.Entry) else _entry_call
    for i, entry in enumerate(entries):
        entries[i] = None  # the parsed entry is garbage once read: its memory serves the next calls
        call = read(entry, f"{path}#{i + 1}", capture)
        if call is not None:
            yield call


def _entry_call(entry: Any, source: str, capture: Capture) -> Call | None:
    """A Call from an entry as plain JSON values, whatever their shapes (the tolerant path)."""
    if not isinstance(entry, dict):
        capture.skip(f"{source}: entry skipped: not an object")
        return None
    request = entry.get("request")
    if not isinstance(request, dict):
        capture.skip(f"{source}: entry skipped: no request")
        return None
    method, url = request.get("method"), request.get("url")
    if not _wanted(method, url, source, capture):
        return None
    post = request.get("postData")
    if not isinstance(post, dict):
        post = _NO_POST
    response = entry.get("response")
    if not isinstance(response, dict):
        response = _NO_RESPONSE
    content = response.get("content")
    if not isinstance(content, dict):
        content = _NO_CONTENT
    return _call(
        method, url, _headers(request.get("headers")),
        (post.get("text"), post.get("encoding"), post.get("params")),
        response.get("status"), _headers(response.get("headers"))[0],
        (content.get("text"), content.get("encoding"), content.get("size")) if content else None,
        entry.get("startedDateTime"), source, capture)


_NO_POST: dict[str, Any] = {}  # shared, never written: what a missing or odd postData reads as
_NO_RESPONSE: dict[str, Any] = {}
_NO_CONTENT: dict[str, Any] = {}


def _typed_call(entry: typed.Entry[Any], source: str, capture: Capture) -> Call | None:
    """A Call from an entry msgspec decoded (the same reading as `_entry_call`: only the shapes
    differ, and a shape the Structs do not describe never gets here)."""
    request = entry.request
    if request is None:
        capture.skip(f"{source}: entry skipped: no request")
        return None
    method, url = request.method, request.url
    if not _wanted(method, url, source, capture):
        return None
    post = request.postData
    response = entry.response
    content = response.content if response is not None else None
    headers = _header_pairs(request.headers) if request.headers is not None else _NONE
    status = response.status if response is not None else None
    answer_headers = (_header_pairs(response.headers)[0]
                      if response is not None and response.headers is not None else ())
    if post is not None and content is not None:
        text, answer = post.text, content.text
        # An answered call whose bodies are ASCII JSON or empty text, as API calls are: what
        # `_call` reads it as (no coding to undo, no warning, no URL to rebuild), read in one go.
        if (type(status) is int and status > 0
                and type(text) is str and text.isascii() and text[:1] in _JSON_TEXT
                and type(answer) is str and answer.isascii() and answer[:1] in _JSON_TEXT
                and post.encoding in _PLAIN and content.encoding in _PLAIN
                and url.startswith(_SCHEMES)):
            return Call(  # by position, in Call's field order: half the cost of keywords
                method.upper(), url, text.encode(), status, headers[0], answer_headers or None,
                answer.encode(), _started(entry.startedDateTime, source, capture), source)
    return _call(
        method, url, headers,
        (post.text, post.encoding, post.params and [{"name": p.name, "value": p.value} for p in post.params])
        if post is not None else (None, None, None),
        status, answer_headers,
        (content.text, content.encoding, content.size) if content is not None else None,
        entry.startedDateTime, source, capture)


def _header_pairs(items: list[typed.Header] | list[typed.TextHeader]) -> tuple[Headers, dict[str, str]]:
    """`_pairs` of a decoded header list; TextHeaders have names that are text and not empty and
    values that are text, so only the pseudo-headers are looked for."""
    pairs = [(h.name, h.value) for h in items]
    if items and type(items[0]) is typed.TextHeader:  # the file's headers all are
        for name, _ in pairs:
            if name[0] == ":":
                return _pairs(pairs)
        return tuple(pairs), _NO_PSEUDO
    return _pairs(pairs)


_JSON_TEXT = ("{", "[", "")  # how an ASCII JSON text (no coding's output) or an empty one starts
_PLAIN = (None, "")  # a body's `encoding` that says it is the text itself
_SCHEMES = ("https://", "http://")


def _wanted(method: Any, url: Any, source: str, capture: Capture) -> bool:
    """Whether an entry may be an API call, its request having a method and a URL; counted and
    skipped (said why when it is malformed) if not."""
    if not isinstance(method, str) or not method or not isinstance(url, str) or not url:
        capture.skip(f"{source}: entry skipped: request has no method or url")
        return False
    if not might_be_api(url):  # a page's images and scripts: counted, never decoded
        capture.skip()
        return False
    return True


def _call(method: str, url: str, request_headers: tuple[Headers, dict[str, str]],
          post: tuple[Any, Any, Any], status: Any, response_headers: Headers,
          content: tuple[Any, Any, Any] | None, started: Any, source: str, capture: Capture) -> Call:
    """The Call of one wanted entry's fields (post and content: text, encoding and params or size)."""
    headers, pseudo = request_headers
    url = _absolute(url, pseudo, headers)
    request_body = _post_data(*post, headers, source, capture)
    status, answer_headers, response_body = _response(status, response_headers, content, source, capture)
    return Call(  # method, url, request_body, status, request_headers, response_headers,
        method.upper(), url, request_body, status, headers,  # response_body, time, source
        answer_headers, response_body, _started(started, source, capture), source)


def _headers(value: Any) -> tuple[Headers, dict[str, str]]:
    """(headers, pseudo-headers) from a HAR header list; items that are not name/value skipped."""
    if not isinstance(value, list):
        return _NONE
    try:  # the usual list of {"name": str, "value": str}: read in one go
        pairs = [(item["name"], item["value"]) for item in value]
    except (TypeError, KeyError, IndexError):
        pairs = [(item["name"], item["value"]) for item in value
                 if isinstance(item, dict) and "name" in item and "value" in item]
    return _pairs(pairs)


def _pairs(pairs: list[tuple[Any, Any]]) -> tuple[Headers, dict[str, str]]:
    """(headers, pseudo-headers) of (name, value) pairs: names not strings or empty and null
    values skipped, other values as text."""
    for name, val in pairs:
        if type(name) is not str or type(val) is not str or not name or name[0] == ":":
            break
    else:  # the usual headers, no pseudo-headers
        return tuple(pairs), _NO_PSEUDO
    headers: list[tuple[str, str]] = []
    pseudo = _NO_PSEUDO
    for name, val in pairs:
        if type(name) is not str or not name or val is None:
            continue
        if type(val) is not str:
            val = str(val)
        if name[0] == ":":
            if pseudo is _NO_PSEUDO:
                pseudo = {}
            pseudo[name.lower()] = val
        else:
            headers.append((name, val))
    return tuple(headers), pseudo


_NO_PSEUDO: dict[str, str] = {}  # shared, never written: most exporters write no pseudo-headers
_NONE: tuple[Headers, dict[str, str]] = ((), _NO_PSEUDO)


def _absolute(url: str, pseudo: dict[str, str], headers: Headers) -> str:
    if url.startswith(_SCHEMES):
        return url
    try:
        if urlsplit(url).scheme:
            return url
    except ValueError:  # "http://[::1/..." has a scheme, and an authority urlsplit rejects
        return url
    authority = pseudo.get(":authority") or header(headers, "host")
    if not authority:
        return url
    scheme = pseudo.get(":scheme", "https")
    return f"{scheme}://{authority}{url if url.startswith('/') else '/' + url}"


def _post_data(text: Any, encoding: Any, params: Any, headers: Headers, source: str,
               capture: Capture) -> bytes | None:
    if isinstance(text, str):
        body = _text_bytes(text, encoding, f"{source}: request body", capture)
    elif isinstance(params, list):
        # Form posts may come as params only (HAR 1.2 allows text or params).
        pairs = [(p.get("name", ""), p.get("value", "")) for p in params if isinstance(p, dict)]
        body = urlencode(pairs).encode()
    else:
        return None
    if not body:
        return body
    return _decompress(body, headers, f"{source}: request", capture)


def _response(
    status: Any, headers: Headers, content: tuple[Any, Any, Any] | None, source: str, capture: Capture
) -> tuple[int | None, Headers | None, bytes | None]:
    status = _status(status)
    if status is None:
        return None, None, None
    response_headers = headers or None
    body: bytes | None = None
    if content is not None:
        text, encoding, size = content
        if isinstance(text, str):
            body = _text_bytes(text, encoding, f"{source}: response body", capture)
            body = _decompress(body, response_headers, f"{source}: response", capture)
        elif size == 0:
            body = b""
    return status, response_headers, body


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and value > 0:
        return value
    return None


def _text_bytes(text: str, encoding: Any, what: str, capture: Capture) -> bytes:
    if encoding == "base64":
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            capture.warn(f"{what} is marked base64 but is not valid base64; kept as text")
    elif encoding not in (None, ""):
        capture.warn(f"{what} has unknown encoding {str(encoding)!r}; kept as text")
    try:
        # mitmproxy writes non-UTF-8 bytes of a text body as surrogate escapes: undo them exactly.
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


_JSON_STARTS = (b"{", b"[")  # neither a gzip nor a zlib header's first byte


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_compressed(data: bytes, coding: str) -> bool:
    if not data:
        return False
    if coding in ("gzip", "x-gzip"):
        return data[:2] == b"\x1f\x8b"
    if coding == "deflate":
        return is_zlib(data) or not _is_utf8(data)
    # br has no magic bytes; compressed bytes are (practically) never valid UTF-8.
    return not _is_utf8(data)


def _decompress(data: bytes, headers: Headers | None, what: str, capture: Capture) -> bytes:
    """Undo Content-Encoding when the bytes are really still compressed (see module notes)."""
    if not data or (data[:1] in _JSON_STARTS and data.isascii()):
        return data  # ASCII JSON, as most bodies are: no coding's output looks so; no header read
    content_encoding = header(headers, "content-encoding")
    if not content_encoding:
        return data
    for coding in reversed(inflate.codings(content_encoding)):  # the last applied is undone first
        if coding == "identity":
            continue
        if not inflate.supported(coding):
            if not _is_utf8(data):
                capture.warn(f"{what} body has unsupported Content-Encoding {coding!r}; kept as is")
            return data
        if not _looks_compressed(data, coding):
            return data  # the exporter already decoded it, as HAR says it should
        try:
            # Streamed and cut past the body limit: a bomb in a HAR costs no more than 1 MiB.
            data = inflate.inflate(data, coding, BODY_LIMIT)
        except inflate.InflateError as e:
            capture.warn(f"{what} body says {coding} but does not decode ({e}); kept as is")
            return data
    return data


def _started(value: Any, source: str, capture: Capture) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, str):
        try:
            # Python >= 3.12 reads "Z", offsets and .NET's seven fraction digits itself.
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.timestamp()
    capture.warn(f"{source}: startedDateTime {str(value)[:40]!r} is not ISO 8601; time set to 0")
    return 0.0
