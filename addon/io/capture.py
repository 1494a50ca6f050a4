"""`read_capture`: one entry point for every capture format, chosen by the file's content.

Users name files as they like (`traffic.json`, `session.txt`, `dump`), so the first bytes decide:
- a first line starting `{"playhead_recording"` is a playhead recording;
- JSON (`{` or `[`, after an optional BOM) or zlib data (mitmproxy's `.zhar`) is read as HAR;
- a tnetstring (`<digits>:`) is a mitmproxy flow file.
Only when the content says nothing does the extension decide (.mitm/.flow/.flows, .har/.zhar,
.jsonl); anything else is a one-line CaptureError naming the file.
"""

from __future__ import annotations

import os
import re

from playhead.io.flows import read_flows
from playhead.io.har import is_zlib, read_har
from playhead.io.reader import Capture, CaptureError, open_binary
from playhead.io.recording import read_recording

_SNIFF = 4096
_TNETSTRING = re.compile(rb"\d{1,12}:")
_BY_EXTENSION = {
    ".mitm": "flows",
    ".flow": "flows",
    ".flows": "flows",
    ".har": "har",
    ".zhar": "har",
    ".jsonl": "recording",
}
_READERS = {"har": read_har, "flows": read_flows, "recording": read_recording}

__all__ = ["Capture", "CaptureError", "detect_format", "read_capture"]


def detect_format(path: str | os.PathLike[str]) -> str:
    """"har", "flows" or "recording"; CaptureError when unreadable or none of them."""
    path = os.fspath(path)
    with open_binary(path) as f:
        try:
            head = f.read(_SNIFF)
        except OSError as e:
            raise CaptureError(f"{path}: cannot read ({e.strerror or e})") from None
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise CaptureError(f"{path}: empty file (only whitespace)")
    if text.startswith(b'{"playhead_recording"'):
        return "recording"
    if text[:1] in (b"{", b"[") or is_zlib(text):
        return "har"
    if _TNETSTRING.match(text):
        return "flows"
    fmt = _BY_EXTENSION.get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise CaptureError(
            f"{path}: not a HAR file, mitmproxy flow file or playhead recording "
            "(unrecognised content)"
        )
    return fmt


def read_capture(path: str | os.PathLike[str]) -> Capture:
    """The API calls of any supported capture file, with counts and warnings (see `Capture`)."""
    return _READERS[detect_format(path)](path)
