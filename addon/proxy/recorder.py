"""Writes that must never hold up the proxy's event loop: items wait in a queue bounded in
bytes, one thread writes them (`Spool`). Two users: `--record` (`BackgroundRecording`), and the
dashboard's proxy process handing its calls to the dashboard through a pipe (`child.py`).

A write on the event loop that blocks (a slow or hung disk, a network filesystem, a dashboard
that stopped reading its pipe) stalls every connection of the proxy, and SIGTERM with them:
measured with a FIFO nobody read, all traffic hung after 65 calls. So the loop only queues the
item; the thread takes what is queued, a batch at a time, and writes it. The queue is bounded in
bytes: when the writer falls behind that far, further items are refused (`put` says False and
counts them; the caller says so, the engine still checks the calls); `close` drains what is
queued, so a clean stop writes every item that was accepted.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from ..core.call import Call
from ..io.recording import RecordingWriter

MAX_QUEUED_BYTES = 64 << 20  # bodies waiting to be written; past it items are refused
CLOSE_TIMEOUT = 5.0  # seconds `close` waits for the queue to drain
LINE_OVERHEAD = 512  # method, url, headers and JSON around the bodies, roughly
_BATCH = 256  # items written at most in one go
_END = object()

T = TypeVar("T")


class Spool(Generic[T]):
    """Items queued by anyone, never waiting, and written by one thread in arrival order.

    `write(batch)` runs on the thread with what is queued (at most _BATCH items); `size(item)`
    is what an item costs the bound; `finish()` runs on the thread once `close` has drained
    the queue. `on_error(exc)` is called on the thread, once per kind of failure, when a write
    raises; the batch's items count as refused."""

    def __init__(self, write: Callable[[list[T]], None], size: Callable[[T], int],
                 on_error: Callable[[Exception], None], finish: Callable[[], None] = lambda: None,
                 max_bytes: int = MAX_QUEUED_BYTES, name: str = "playhead-spool") -> None:
        self._write, self._size, self.on_error, self._finish = write, size, on_error, finish
        self.max_bytes = max_bytes
        self.refused = 0  # items not written: the queue was full, closed, or the write failed
        self._queued = 0  # bytes waiting
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._errors: set[str] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: T, force: bool = False) -> bool:
        """Queue the item, never waiting; False when it cannot be (behind, or closed). `force`
        queues a small item past the bound (a mark that must stay in order with the rest)."""
        size = self._size(item)
        with self._lock:
            if self._closed or (not force and self._queued + size > self.max_bytes):
                self.refused += 1
                return False
            self._queued += size
        self._queue.put(item)
        return True

    def close(self, timeout: float = CLOSE_TIMEOUT) -> bool:
        """Write what is queued, then `finish`. False when the writer did not finish within
        `timeout` (a hung disk): what is left is then left to the thread."""
        with self._lock:
            if self._closed:
                return True
            self._closed = True
        self._queue.put(_END)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        ended = False
        while not ended:
            batch: list = []
            item = self._queue.get()
            while item is not _END:
                batch.append(item)
                if len(batch) >= _BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            ended = item is _END
            if batch:
                self._write_batch(batch)
        self._finish()

    def _write_batch(self, batch: list) -> None:
        try:
            self._write(batch)
        except Exception as exc:  # noqa: BLE001 - a broken pipe must not end the writing thread
            self.failed(exc, len(batch))
        finally:
            with self._lock:
                self._queued -= sum(self._size(item) for item in batch)

    def failed(self, exc: Exception, items: int = 1) -> None:
        """`items` were not written because of `exc` (from `write`, for a writer that fails
        item by item): counted as refused, and said once per kind of failure."""
        with self._lock:
            self.refused += items
        kind = f"{type(exc).__name__}: {exc}"
        if kind in self._errors:
            return
        self._errors.add(kind)
        try:
            self.on_error(exc)
        except Exception:  # noqa: BLE001 - telling of a failure must not fail the writer
            pass


class _Mark(str):
    """A mark line (`reset`) queued between the calls it stands between."""


def _size(item: Call | _Mark) -> int:
    if isinstance(item, _Mark):
        return LINE_OVERHEAD
    return len(item.request_body or b"") + len(item.response_body or b"") + LINE_OVERHEAD


class BackgroundRecording:
    """A RecordingWriter fed from a Spool. `on_error(exc)` is called on the writing thread, once
    per kind of failure, when a write fails (a full disk)."""

    def __init__(self, writer: RecordingWriter, on_error: Callable[[Exception], None],
                 max_bytes: int | None = None) -> None:
        self.writer = writer
        self.path = writer.path
        self._spool: Spool[Call | _Mark] = Spool(
            self._write, _size, on_error, writer.close,
            MAX_QUEUED_BYTES if max_bytes is None else max_bytes, "playhead-record")

    @property
    def unrecorded(self) -> int:
        """Calls not recorded: the queue was full, or the write failed."""
        return self._spool.refused

    def put(self, call: Call) -> bool:
        """Queue the call, never waiting; False when it cannot be (behind, or closed)."""
        return self._spool.put(call)

    def mark(self, what: str) -> None:
        """Queue a mark line (the automation API's reset), in order with the calls around it."""
        self._spool.put(_Mark(what), force=True)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> bool:
        """Write what is queued, then close the file. False when the writer did not finish
        within `timeout` (a hung disk): the file is then left to the thread."""
        return self._spool.close(timeout)

    def _write(self, batch: list[Call | _Mark]) -> None:
        for item in batch:
            try:
                if isinstance(item, _Mark):
                    self.writer.mark(item)
                else:
                    self.writer.write(item)
            except Exception as exc:  # noqa: BLE001 - a full disk: this call is lost, not the next
                self._spool.failed(exc)
