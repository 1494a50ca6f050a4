"""What the automation API reads: the tracker, the checklists watching it, and how the run is set up."""

from __future__ import annotations

from typing import Any, Protocol

from ..checklists import ChecklistWatch
from ..core.tracker import Tracker


class Source(Protocol):
    """A running proxy as the API sees it. Readers of `tracker` hold `tracker.lock`."""

    @property
    def tracker(self) -> Tracker: ...

    @property
    def watch(self) -> ChecklistWatch: ...

    def setup(self) -> dict[str, Any]:
        """`listen` ("host:port" or None), `mode` ("forward" | "sink"), `recording` (path or None)."""
        ...

    def reset(self) -> None:
        """Forget what was seen; the recording goes on and marks the reset."""
        ...
