"""What the tracker builds and its listeners read: sessions, their calls (entries) and spans."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .call import Call
from .findings import Finding, Severity
from .metrics import Tally

NO_DETAILS: dict[str, Any] = {}  # shared by every event without details (pings): never written

# How each protocol's start metadata names a session's media (`Session.media`), filled in by the
# adapters as they are imported (core/protocols), so this module needs none of them.
MediaReader = Callable[[dict[str, Any]], dict[str, Any]]
MEDIA_READERS: dict[str, MediaReader] = {}


@dataclass(slots=True)
class Entry:
    """One call as part of a session: its event in the engine's vocabulary, the body as the device
    sent it, and what was found about it. The protocol adapter (core/protocols) fills it."""

    index: int  # position in the session, arrival order; 0 = sessionStart
    call: Call
    body: Any  # the parsed body (a JSON object) when it could be read, else None
    event_type: str | None  # core.vocab's name of the event
    ts: int | None  # epoch ms when the body carried a usable time
    playhead: float | None  # seconds
    details: dict[str, Any] = field(default_factory=dict)  # core.vocab fields the body carried
    sid: str | None = None  # the session id the body names (Media Edge), when it names one
    ts_suspect: bool = False  # ts is a number but not plausible epoch ms (seconds, microseconds)
    part: int | None = None  # the event's place in a downloaded batch (one call, a whole session)
    findings: list[Finding] = field(default_factory=list)
    state_after: str = ""  # the session's state label after this event was applied
    body_error: str | None = None  # why the body could not be read as an event, if it could not
    applied: bool = False  # whether the event reached the timeline (4xx/5xx answers do not)


@dataclass(slots=True)
class Span:
    """A stretch of the session's ts range: content, ad-break, ad, chapter, pause, buffer."""

    kind: str
    start_ts: int
    end_ts: int | None = None  # None while open
    label: str = ""


@dataclass(slots=True)
class Session:
    """One playback session, keyed by its sid."""

    sid: str
    protocol: str = "media-collection"  # the name of the protocol that carried it (core/protocols)
    entries: list[Entry] = field(default_factory=list)  # the calls kept in memory, oldest first
    dropped: int = 0  # earlier calls dropped from memory by the cap (core/retention.py)
    findings: list[Finding] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    ping_ts: list[int] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)  # the start's metadata as the wire named it
    info: dict[str, Any] = field(default_factory=dict)  # the start's details in core.vocab's names
    has_start: bool = False
    closed_by: str | None = None  # "sessionComplete" | "sessionEnd" | None
    state: str = "started"
    playhead: float | None = None
    first_ts: int | None = None
    last_ts: int | None = None
    last_seen: float = 0.0  # wall clock (call.time) of the newest call
    counts: dict[Severity, int] = field(
        default_factory=lambda: {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    )
    tally: Tally = field(default_factory=Tally)  # the metrics as events apply (core/metrics.py)

    @property
    def media(self) -> dict[str, Any]:
        """id, name, contentType and length as the start's metadata gave them (reports' `media`)."""
        read = MEDIA_READERS.get(self.protocol) or MEDIA_READERS["media-collection"]
        return read(self.params)

    @property
    def calls(self) -> int:
        """Every call the session had, kept in memory or dropped by the cap."""
        return self.dropped + len(self.entries)

    def entry(self, index: int) -> Entry | None:
        """Call `index` (arrival order), or None when it was dropped from memory or never was."""
        i = index - self.dropped
        return self.entries[i] if 0 <= i < len(self.entries) else None

    def add_finding(self, finding: Finding) -> None:
        self.findings.append(finding)
        self.counts[finding.severity] += 1
