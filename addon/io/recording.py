"""playhead's own recording: every captured API call, appended as it completes (`--record FILE`).

Format: JSON Lines, UTF-8 (JSON's ASCII escapes keep any odd header text exact). The first line is
a header, then one object per call:

    {"playhead_recording": 1, "created": 1718000000.25, "tool_version": "0.1.0"}
    {"method": "POST", "url": "https://x.hb-api.omtrdc.net/api/v1/sessions", "time": 1718000001.5,
     "request_headers": [["content-type", "application/json"]], "request_body": "{...}",
     "status": 201, "response_headers": [["location", "/api/v1/sessions/abc"]],
     "response_body": ""}

- `time` is epoch seconds when the request was seen; `status` is null when no response came.
- `response_headers` null means none were captured (unlike `[]`, an empty list).
- `{"playhead_mark": "reset", "time": ...}` marks where the automation API reset the run; readers
  skip it (the recording keeps every call, before the reset and after).
- A body is null when not captured, else the decoded body as text when it is UTF-8; otherwise it
  is base64 and the object also has `"request_body_encoding": "base64"` (or `response_...`).

Why this shape: the recording is appended to while the proxy runs and must survive `kill -9`. One
`os.write` per call on an O_APPEND descriptor means each call reaches the OS as soon as it is
written (no user-space buffer to lose), and a crash can cut at most the line in flight, which the
reader skips with a warning. The file holds visitor ids, so it is created owner-only (0600), and an
existing one that others can read is made owner-only. Only a regular file is recorded to.

Appending to an existing recording continues it. If the previous writer was killed mid-line, the
new writer first ends that cut line and writes a fresh header: the reader recognises "a broken line
followed by a header" as a crash point and skips the broken line with a warning, instead of
treating it as corruption in the middle of the file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
import threading
import time
from collections.abc import Generator
from typing import Any, BinaryIO

from playhead import __version__
from playhead.core.call import Call, Headers
from playhead.io.reader import Capture, CaptureError, open_binary

FORMAT_VERSION = 1
_HEADER_KEY = "playhead_recording"
_HEADER_PREFIX = b'{"' + _HEADER_KEY.encode() + b'"'
_MAX_HEADER_LINE = 64 * 1024
_MARK_KEY = "playhead_mark"  # a line that is not a call: where the automation API reset the run


def _header_line() -> bytes:
    header = {_HEADER_KEY: FORMAT_VERSION, "created": time.time(), "tool_version": __version__}
    return json.dumps(header, separators=(",", ":")).encode() + b"\n"


def _put_body(obj: dict[str, Any], key: str, body: bytes | None) -> None:
    if body is None:
        obj[key] = None
        return
    try:
        obj[key] = body.decode("utf-8")
    except UnicodeDecodeError:
        obj[key] = base64.b64encode(body).decode("ascii")
        obj[key + "_encoding"] = "base64"


def encode_call(call: Call) -> bytes:
    """One recording line (with its newline) for a call."""
    obj: dict[str, Any] = {
        "method": call.method,
        "url": call.url,
        "time": call.time,
        "request_headers": [[k, v] for k, v in call.request_headers],
    }
    _put_body(obj, "request_body", call.request_body)
    obj["status"] = call.status
    obj["response_headers"] = (
        None if call.response_headers is None else [[k, v] for k, v in call.response_headers]
    )
    _put_body(obj, "response_body", call.response_body)
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


class RecordingWriter:
    """Appends calls to a recording; one line per call, handed to the OS at once.

    Safe to call `write` from one thread while another calls `close`. Raises CaptureError (one
    line, file name first) when the file cannot be opened or is some other kind of file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self.notice: str | None = None  # what was done about an existing file's mode, if anything
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            # The mode applies on creation only, and umask can only remove bits from it.
            # O_RDWR never waits for a FIFO's reader, so a FIFO is refused below, not hung on.
            fd = os.open(self.path, flags, 0o600)
        except OSError as e:
            raise CaptureError(f"{self.path}: cannot open for recording ({e.strerror})") from None
        try:
            self._owner_only(os.fstat(fd), fd)
            self._start(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd: int | None = fd

    def _owner_only(self, st: os.stat_result, fd: int) -> None:
        """A recording is a regular file (a FIFO blocks the writer once full, /dev/zero loses
        every call), and holds visitor ids: an existing one others can read is made owner-only,
        or said to be readable when it is not ours to change."""
        if not stat.S_ISREG(st.st_mode):
            raise CaptureError(
                f"{self.path}: not a regular file; a recording must be a file it can append to")
        mode = stat.S_IMODE(st.st_mode)
        if not mode & 0o077:
            return
        try:
            os.fchmod(fd, mode & 0o700)
        except OSError:
            self.notice = (f"{self.path}: warning: readable by others (mode {mode:04o}) and not "
                           "ours to change; it will hold visitor ids")
        else:
            self.notice = f"{self.path}: was readable by others (mode {mode:04o}); made owner-only ({mode & 0o700:04o})"

    def _start(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if size == 0:
            _write_all(fd, _header_line())
            return
        os.lseek(fd, 0, os.SEEK_SET)
        first = os.read(fd, len(_HEADER_PREFIX))
        if first != _HEADER_PREFIX:
            raise CaptureError(
                f"{self.path}: exists and is not a playhead recording; not appending to it"
            )
        os.lseek(fd, size - 1, os.SEEK_SET)
        if os.read(fd, 1) != b"\n":
            # The last writer died mid-line: close that line and mark where this run starts.
            _write_all(fd, b"\n" + _header_line())

    def write(self, call: Call) -> None:
        line = encode_call(call)
        with self._lock:
            if self._fd is None:
                raise ValueError(f"{self.path}: recording is closed")
            _write_all(self._fd, line)

    def mark(self, what: str) -> None:
        """A line saying what happened to the run here (`reset`); readers skip it, so every
        call recorded before and after is still read."""
        line = json.dumps({_MARK_KEY: what, "time": time.time()}, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            if self._fd is None:
                raise ValueError(f"{self.path}: recording is closed")
            _write_all(self._fd, line)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _BadLine(Exception):
    """A line that is not valid JSON: a crash cut when it is the last line or precedes a header."""


class _BadShape(Exception):
    """Valid JSON that is not a recording record: never a crash artefact, always an error."""


def read_recording(path: str | os.PathLike[str]) -> Capture:
    """The calls of a recording, lazily. A cut last line becomes a warning on the Capture; any
    other bad line raises CaptureError naming its line number (during iteration)."""
    path = os.fspath(path)
    f = open_binary(path)
    return Capture(path, "recording", lambda capture: _calls(path, f, capture))


def _calls(path: str, f: BinaryIO, capture: Capture) -> Generator[Call, None, None]:
    with f:
        held: tuple[int, str, bytes] | None = None  # a broken line waiting to see what follows
        seen_header = False
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = _parse(raw, f"{path}#{lineno}")
            except _BadLine as e:
                if held is not None:
                    raise CaptureError(f"{path}: line {held[0]}: {held[1]}") from None
                held = (lineno, str(e), raw)
                continue
            except _BadShape as e:
                raise CaptureError(f"{path}: line {lineno}: {e}") from None
            if held is not None:
                if not isinstance(record, dict):  # a call after a broken line: real corruption
                    raise CaptureError(f"{path}: line {held[0]}: {held[1]}")
                capture.skip(f"{path}: line {held[0]}: cut short by a crash; skipped")
                held = None
            if isinstance(record, dict) and _MARK_KEY in record:
                continue
            if isinstance(record, dict):
                _check_header(record, path, lineno)
                seen_header = True
                continue
            if not seen_header:
                raise CaptureError(f"{path}: line {lineno}: not a playhead recording (no header)")
            yield record
        if held is not None:
            if not seen_header and not held[2].startswith(_HEADER_PREFIX):
                raise CaptureError(f"{path}: line {held[0]}: not a playhead recording ({held[1]})")
            capture.skip(f"{path}: line {held[0]}: last line cut short (crash?); skipped")


def _check_header(header: dict[str, Any], path: str, lineno: int) -> None:
    version = header.get(_HEADER_KEY)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CaptureError(f"{path}: line {lineno}: bad recording header version {version!r}")
    if version > FORMAT_VERSION:
        raise CaptureError(
            f"{path}: line {lineno}: recording format {version} is newer than this playhead "
            f"reads ({FORMAT_VERSION}); upgrade playhead"
        )


def _parse(raw: bytes, source: str) -> Call | dict[str, Any]:
    """A header (dict) or a Call from one line."""
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError) as e:
        # A crash leaves a line without its newline; a complete object without one is still whole.
        cut = "" if raw.endswith(b"\n") else ", no newline at end"
        reason = "nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise _BadLine(f"not valid JSON ({reason}{cut})") from None
    if not isinstance(obj, dict):
        raise _BadShape(f"expected a JSON object, got {type(obj).__name__}")
    if _HEADER_KEY in obj or _MARK_KEY in obj:
        return obj
    return _call(obj, source)


def _call(obj: dict[str, Any], source: str) -> Call:
    method, url, t = obj.get("method"), obj.get("url"), obj.get("time")
    if not isinstance(method, str) or not method:
        raise _BadShape("call has no method")
    if not isinstance(url, str) or not url:
        raise _BadShape("call has no url")
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise _BadShape("call has no numeric time")
    status = obj.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise _BadShape(f"status is not an integer: {status!r}")
    request_headers = _headers(obj.get("request_headers"), "request_headers")
    if request_headers is None:
        request_headers = ()
    return Call(
        method=method,
        url=url,
        request_body=_body(obj, "request_body"),
        status=status,
        request_headers=request_headers,
        response_headers=_headers(obj.get("response_headers"), "response_headers"),
        response_body=_body(obj, "response_body"),
        time=float(t),
        source=source,
    )


def _headers(value: Any, key: str) -> Headers | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _BadShape(f"{key} is not a list")
    pairs = []
    for pair in value:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], str)
        ):
            raise _BadShape(f"{key} holds something other than [name, value] strings")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _body(obj: dict[str, Any], key: str) -> bytes | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadShape(f"{key} is not a string")
    encoding = obj.get(key + "_encoding")
    if encoding is None:
        return value.encode("utf-8", "surrogatepass")
    if encoding != "base64":
        raise _BadShape(f"{key}_encoding {encoding!r} is not base64")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _BadShape(f"{key} is not valid base64") from None
