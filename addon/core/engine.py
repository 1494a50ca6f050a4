"""Offline use of the tracker: a whole capture in, the finished tracker out."""

from __future__ import annotations

from collections.abc import Iterable

from .call import Call
from .config import Config
from .schemas import SchemaSet
from .tracker import Tracker


def check_calls(calls: Iterable[Call], schemas: SchemaSet | None = None,
                config: Config | None = None) -> Tracker:
    tracker = Tracker(schemas=schemas, config=config)
    tracker.feed_all(calls)
    tracker.finish()
    return tracker
