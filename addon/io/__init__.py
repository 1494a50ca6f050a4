"""Readers and writers of files: captures in (HAR, mitmproxy flow files, playhead recordings),
recordings and reports out.

Importing this package stays cheap (no mitmproxy): `playhead check x.har` only loads what it reads.

    from playhead.io import read_capture, CaptureError
    capture = read_capture("session.har")      # raises CaptureError: one line, file name first
    for call in capture: ...                   # API calls only
    capture.entries, capture.kept, capture.warnings
"""

from playhead.io.capture import detect_format, read_capture
from playhead.io.reader import Capture, CaptureError
from playhead.io.recording import RecordingWriter, read_recording

__all__ = [
    "Capture",
    "CaptureError",
    "RecordingWriter",
    "detect_format",
    "read_capture",
    "read_recording",
]
