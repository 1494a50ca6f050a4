"""Thresholds of the rules (SPEC §5 says they are options; these are its defaults), and the cap
on the calls a long run keeps in memory (SPEC §9)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Config:
    body_limit: int = 1 << 20  # bytes; larger bodies are not parsed
    ping_interval: float = 10.0  # seconds between pings while content plays
    ping_tolerance: float = 2.0
    expiry: float = 600.0  # a gap this long and the backend has closed the session
    silence_close: float = 600.0  # live: this long silent and the session counts as not closed
    stall: float = 1800.0  # playhead frozen this long and the backend closes the session
    max_span: float = 86400.0  # a session longer than this is split by the backend
    reorder_ms: int = 5000  # the backend reorders within 5 s ...
    reorder_events: int = 10  # ... or 10 events
    clock_skew: float = 300.0  # seconds between ts and the time the call was seen
    # Adobe's Web SDK stamps sessionStart when it sends it, after the events queued behind it were
    # stamped: those may precede it by 20-80 ms (reference/alloy-wire.md §3). Under this, no finding.
    start_restamp_ms: int = 1000
    state_limit: int = 10
    pod_second_tolerance: float = 2.0  # seconds between a break's podSecond and its playhead
    fast_ping: float = 5.0  # content pings closer than this ...
    fast_ping_for: float = 60.0  # ... for this long are ping-rate
    playhead_tolerance: float = 5.0  # seconds past media.length still in range
    pause_drift: float = 1.0  # playhead may move this much while paused / in a break
    rate_tolerance: float = 0.5  # playhead speed off by more than 50 % ...
    rate_min: float = 2.0  # ... and by more than 2 s ...
    rate_window: float = 10.0  # ... over at least 10 s of playing
    hold_seconds: float = 5.0  # live: how long events of an unseen sid wait for their sessionStart
    max_calls: int | None = None  # calls kept in memory (core/retention.py); None: all of them

    @property
    def ping_limit(self) -> float:
        return self.ping_interval + self.ping_tolerance
