"""`--record` off the proxy's event loop: calls wait in a bounded queue, a thread writes them.

A write on the event loop that blocks (a slow or hung disk, a network filesystem) stalls every
connection of the proxy, and SIGTERM with them: measured with a FIFO nobody read, all traffic hung
after 65 calls. So the loop only queues the call; one thread encodes and appends it (io/recording.py
still writes one line per call, flushed to the OS at once). The queue is bounded in bytes: when the
writer falls behind that far, further calls are not recorded (the engine still checks them) and
the addon raises one `internal-error` finding and a console line; `close` drains what is queued,
so a clean stop writes every call that was accepted.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from ..core.call import Call
from ..io.recording import RecordingWriter

MAX_QUEUED_BYTES = 64 << 20  # bodies waiting to be written; past it calls go unrecorded
CLOSE_TIMEOUT = 5.0  # seconds `close` waits for the queue to drain
_LINE_OVERHEAD = 512  # method, url, headers and JSON around the bodies, roughly
_END = None


class _Mark(str):
    """A mark line (`reset`) queued between the calls it stands between."""


def _size(item: Call | _Mark) -> int:
    if isinstance(item, _Mark):
        return _LINE_OVERHEAD
    return len(item.request_body or b"") + len(item.response_body or b"") + _LINE_OVERHEAD


class BackgroundRecording:
    """A RecordingWriter fed from a queue by its own thread. `on_error(exc)` is called on that
    thread, once per kind of failure, when a write fails (a full disk)."""

    def __init__(self, writer: RecordingWriter, on_error: Callable[[Exception], None],
                 max_bytes: int | None = None) -> None:
        self.writer = writer
        self.path = writer.path
        self.on_error = on_error
        self.max_bytes = MAX_QUEUED_BYTES if max_bytes is None else max_bytes
        self.unrecorded = 0  # calls not recorded: the queue was full, or the write failed
        self._queued = 0  # bytes waiting
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Call | _Mark | None] = queue.SimpleQueue()
        self._errors: set[str] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="playhead-record", daemon=True)
        self._thread.start()

    def put(self, call: Call) -> bool:
        """Queue the call, never waiting; False when it cannot be (behind, or closed)."""
        size = _size(call)
        with self._lock:
            if self._closed or self._queued + size > self.max_bytes:
                self.unrecorded += 1
                return False
            self._queued += size
        self._queue.put(call)
        return True

    def mark(self, what: str) -> None:
        """Queue a mark line (the automation API's reset), in order with the calls around it."""
        with self._lock:
            if self._closed:
                return
            self._queued += _LINE_OVERHEAD
        self._queue.put(_Mark(what))

    def close(self, timeout: float = CLOSE_TIMEOUT) -> bool:
        """Write what is queued, then close the file. False when the writer did not finish
        within `timeout` (a hung disk): the file is then left to the thread."""
        with self._lock:
            if self._closed:
                return True
            self._closed = True
        self._queue.put(_END)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _END:
            try:
                if isinstance(item, _Mark):
                    self.writer.mark(item)
                else:
                    self.writer.write(item)
            except Exception as exc:  # noqa: BLE001 - a full disk must not end the recording thread
                with self._lock:
                    self.unrecorded += 1
                self._report(exc)
            finally:
                with self._lock:
                    self._queued -= _size(item)
        self.writer.close()

    def _report(self, exc: Exception) -> None:
        kind = f"{type(exc).__name__}: {exc}"
        if kind in self._errors:
            return
        self._errors.add(kind)
        try:
            self.on_error(exc)
        except Exception:  # noqa: BLE001 - telling of a failure must not fail the writer
            pass
