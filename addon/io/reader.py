"""What every capture reader hands back: a `Capture` of API calls, or a one-line `CaptureError`.

`playhead check` prints "read 120 entries, 37 API calls" and any warnings per file, and exits 2 on
an unreadable file; so every reader (HAR, mitmproxy flows, recordings) reports the same counts and
the same kind of error, and keeps only the calls whose path is the Media Collection API.
"""

from __future__ import annotations

import operator
import os
import re
import stat
from collections.abc import Callable, Generator, Iterator
from typing import BinaryIO

from playhead.core.call import Call

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


class CaptureError(Exception):
    """A capture file that cannot be read. The message is one line and starts with the file name."""

    def __init__(self, message: str) -> None:
        # Exception texts from parsers (and odd file names) may carry line breaks: one line always.
        super().__init__(_LINE_BREAKS.sub(" ", message).strip())


class Capture(Iterator[Call]):
    """The API calls of one capture file, in time order (see `_in_time_order`).

    Counts grow as the iteration proceeds and are final once it ends:
    `entries` is every record in the file (HAR entries, flows, recording lines with a call),
    including ones skipped as malformed; `kept` is the API calls yielded; `warnings` are one-line
    messages about records that were skipped or bodies that could not be decoded.
    """

    def __init__(
        self, path: str, format: str, produce: Callable[[Capture], Generator[Call, None, None]]
    ):
        self.path = path
        self.format = format  # "har", "flows" or "recording"
        self.entries = 0
        self.kept = 0
        self.warnings: list[str] = []
        self._calls = self._in_time_order(produce(self))

    def warn(self, message: str) -> None:
        self.warnings.append(_LINE_BREAKS.sub(" ", message).strip())

    def skip(self, message: str | None = None) -> None:
        """A record that does not become a Call: counted, and said why when it is malformed."""
        self.entries += 1
        if message:
            self.warn(message)

    def __next__(self) -> Call:
        call = next(self._calls)
        self.entries += 1
        self.kept += 1
        return call

    def _in_time_order(self, calls: Iterator[Call]) -> Generator[Call, None, None]:
        """The API calls sorted by when their request was sent, stably (ties keep file order).

        HAR 1.2 asks readers to sort entries by startedDateTime: exporters write them grouped by
        connection, and a session's calls spread over several connections came out of order (one
        clean session read as 35 errors). Flow files and recordings hold calls in completion
        order, which is not when they were sent either. Calls with no time (0) come first, in
        file order. The whole file is read before the first call (only its API calls are kept);
        a file damaged part-way gives the calls before the damage, then its CaptureError."""
        kept: list[Call] = []
        damage: CaptureError | None = None
        try:
            for call in calls:
                if call.route is None:
                    self.entries += 1  # not an API call: counted, not kept
                else:
                    kept.append(call)
        except CaptureError as exc:
            damage = exc
        kept.sort(key=_SENT)
        yield from kept
        if damage is not None:
            raise damage

    def close(self) -> None:
        """Release the file early when the caller stops before the end."""
        self._calls.close()

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SENT = operator.attrgetter("time")  # a Call's time, read in C: the sort key of every call


def open_binary(path: str) -> BinaryIO:
    """Open a capture for reading, or say in one line why not (missing, directory, empty...)."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise CaptureError(f"{path}: is a directory, not a capture file")
        if not stat.S_ISREG(st.st_mode):
            raise CaptureError(f"{path}: not a regular file")
        if st.st_size == 0:
            raise CaptureError(f"{path}: empty file")
        return open(path, "rb")
    except FileNotFoundError:
        raise CaptureError(f"{path}: no such file") from None
    except PermissionError:
        raise CaptureError(f"{path}: permission denied") from None
    except OSError as e:
        raise CaptureError(f"{path}: cannot read ({e.strerror or e})") from None
