"""The backend's reorder window, reproduced: events are sorted by ts within 5 s or 10 events.

Sequence rules must judge the order the backend will process, not the order the network
delivered. Holding each event until it can no longer be overtaken inside the window gives that
order incrementally: one insertion and at most a few releases per event, whatever the session's
length. Equal ts keep their arrival order (the sort is stable), as Adobe's SDK often stamps a
bookend pair with one ts. An event that arrives later than the window allows is released at once,
in its arrival position, which is what the backend does with it too.
"""

from __future__ import annotations

import bisect
from typing import Generic, TypeVar

T = TypeVar("T")
_NOTHING: list = []  # shared and never written: what most pushes release while the window fills


class ReorderBuffer(Generic[T]):
    def __init__(self, window_ms: int, window_events: int) -> None:
        self.window_ms = window_ms
        self.window_events = window_events
        self._keys: list[tuple[int, int]] = []
        self._items: list[T] = []
        self._seq = 0
        self._newest_ts: int | None = None
        self._released_ts: int | None = None

    def __len__(self) -> int:
        return len(self._items)

    def push(self, ts: int | None, item: T) -> list[T]:
        """Add one arrival; return the items that are now safe to process, in order."""
        if ts is None:
            # No usable ts: it keeps its arrival position among its neighbours.
            ts = self._newest_ts if self._newest_ts is not None else (self._released_ts or 0)
        late = self._newest_ts is not None and self._newest_ts - ts > self.window_ms
        if late or (self._released_ts is not None and ts < self._released_ts):
            return self.flush() + [item]  # beyond the window: the backend takes it as it comes
        self._seq += 1
        key = (ts, self._seq)
        keys = self._keys
        if not keys or key > keys[-1]:  # in order, as almost every event is
            keys.append(key)
            self._items.append(item)
        else:
            i = bisect.bisect_right(keys, key)
            keys.insert(i, key)
            self._items.insert(i, item)
        if self._newest_ts is None or ts > self._newest_ts:
            self._newest_ts = ts
        return self._release()

    def _release(self) -> list[T]:
        horizon = (self._newest_ts or 0) - self.window_ms
        keys = self._keys
        if len(keys) <= self.window_events and keys[0][0] >= horizon:
            return _NOTHING
        out: list[T] = []
        while keys and (len(keys) > self.window_events or keys[0][0] < horizon):
            out.append(self._pop())
        return out

    def _pop(self) -> T:
        ts, _ = self._keys.pop(0)
        self._released_ts = ts
        return self._items.pop(0)

    def flush(self) -> list[T]:
        """Everything still held, in order (end of capture, or a live wait that ran out)."""
        out = []
        while self._items:
            out.append(self._pop())
        return out
