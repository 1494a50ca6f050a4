"""How a session, a call and a finding read as one row of cells.

Every cell is a `rich.text.Text` built from plain strings: text from the wire (sids, media names,
event types, messages that quote them) goes through `literal`/`show` first, so control characters
become visible escapes, and it is never parsed as Rich markup, so `[bold red]` in a payload is
shown as those eleven characters. Keeping the formatting here, apart from the widgets, lets the
same rows be checked without a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from ..core.findings import Finding, Severity
from ..core.model import Entry, Session
from ..core.rules.playhead import DAY
from ..core.protocols import by_name
from ..core.vocab import is_live
from ..io.reports.safe import literal, show

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
SEVERITY_MARK = {Severity.ERROR: "●", Severity.WARNING: "▲", Severity.INFO: "·"}
SEVERITY_TAG = {Severity.ERROR: "ERR", Severity.WARNING: "WARN", Severity.INFO: "info"}

# Colours of the lane picture, also used to colour event names so a row and its lane match.
LANE_STYLE = {
    "content": "green",
    "ad-break": "yellow",
    "ad": "magenta",
    "chapter": "blue",
    "pause": "bright_black",
    "buffer": "dark_orange",
    "pings": "bright_black",
}

_EVENT_STYLE = {
    "sessionStart": "bold",
    "sessionComplete": "bold",
    "sessionEnd": "bold",
    "play": LANE_STYLE["content"],
    "ping": "dim",
    "pauseStart": LANE_STYLE["pause"],
    "bufferStart": LANE_STYLE["buffer"],
    "adBreakStart": LANE_STYLE["ad-break"],
    "adBreakComplete": LANE_STYLE["ad-break"],
    "adStart": LANE_STYLE["ad"],
    "adComplete": LANE_STYLE["ad"],
    "adSkip": LANE_STYLE["ad"],
    "chapterStart": LANE_STYLE["chapter"],
    "chapterComplete": LANE_STYLE["chapter"],
    "chapterSkip": LANE_STYLE["chapter"],
    "error": "red",
}

# State icons: one cell wide in every terminal (no emoji-capable code points).
ICON_CLOSED = "■"
ICON_AD = "◆"
ICON_PAUSED = "‖"
ICON_BUFFERING = "◌"
ICON_PLAYING = "▶"
ICON_IDLE = "○"


def worst(counts: dict[Severity, int]) -> Severity | None:
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        if counts.get(severity):
            return severity
    return None


def state_icon(session: Session) -> Text:
    """The state as one glyph, coloured by the worst finding (green: nothing wrong so far)."""
    state = session.state
    if state in ("complete", "ended"):
        glyph = ICON_CLOSED
    elif state.startswith(("in ad", "in break")):
        glyph = ICON_AD
    elif state.startswith("paused"):
        glyph = ICON_PAUSED
    elif state.startswith("buffering"):
        glyph = ICON_BUFFERING
    elif state.startswith("playing"):
        glyph = ICON_PLAYING
    else:
        glyph = ICON_IDLE
    severity = worst(session.counts)
    style = SEVERITY_STYLE[severity] if severity in (Severity.ERROR, Severity.WARNING) else "green"
    return Text(glyph, style=style)


def short_sid(sid: str | None, width: int = 8) -> str:
    """The first characters of a sid (made printable): enough to tell sessions apart."""
    if sid is None:
        return "-"
    text = literal(sid)
    return text if len(text) <= width else text[:width]


def age(seconds: float) -> str:
    """How long ago, coarse: 0 s, 42 s, 3 min, 5 h, 2 d."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def playhead_cell(session: Session) -> Text:
    """'12.0 / 60.0' for VOD, both to a tenth (a length of 60.3333333 read '45.0 / 60.3333');
    'live 14:03:22' for live, whose playhead is seconds since midnight UTC."""
    playhead = session.playhead
    length = session.media["length"]
    if is_live(session.info) and playhead is not None and 0 <= playhead < DAY:
        h, rest = divmod(int(playhead), 3600)
        return Text(f"live {h:02d}:{rest // 60:02d}:{rest % 60:02d}")
    left = "-" if playhead is None else f"{playhead:.1f}"
    number = _number(length)
    right = show(length) if number is None else f"{number:.1f}"
    return Text(f"{left} / {right}")


def media_key(session: Session) -> tuple[str, str]:
    """What a tester tells a session's media by: its id and name as shown."""
    return show(session.media["id"]), show(session.media["name"])


def media_cell(session: Session, copy: tuple[int, int] | None = None) -> Text:
    """The media id, then its name dimmed: what a tester recognises a session by. `copy`
    (n, of) when several sessions in the table play the same media (Adobe's documented
    timelines all play "VA API Sample Player ClickMe"; a device replaying a video): `#n/of`
    tells their rows apart where the rest of the row may well read the same."""
    media = session.media
    text = Text()
    if copy is not None:
        text.append(f"#{copy[0]}/{copy[1]} ", style="bold")
    text.append(show(media["id"], "(no sessionStart)" if not session.has_start else "-"))
    if media["name"] is not None:
        text.append(" " + show(media["name"]), style="dim")
    return text


# Adobe's documented media.contentType values, in the case its pages write them. Clients send
# "VOD" and "vod" alike; one spelling per type keeps a column of them readable. Anything else is
# shown as sent.
CONTENT_TYPES = {t.lower(): t for t in ("VOD", "Live", "Linear", "Podcast", "Audiobook", "AOD")}


def content_type_cell(value: Any) -> Text:
    if isinstance(value, str) and value.lower() in CONTENT_TYPES:
        return Text(CONTENT_TYPES[value.lower()])
    return Text(show(value))


def count_cell(n: int, severity: Severity) -> Text:
    return Text(str(n), style=SEVERITY_STYLE[severity] if n else "dim")


def problem_cell(worst: Severity | None, rule: str, others: int) -> Text:
    """The session's first rule of its worst severity (info is not a problem), and how many
    other rules fired: what a tester reads first."""
    if worst is None or worst is Severity.INFO:
        return Text("ok", style="green")
    text = Text(literal(rule), style=SEVERITY_STYLE[worst])
    if others:
        text.append(f" +{others} more", style="dim")
    return text


SESSION_COLUMNS: tuple[tuple[str, int, str], ...] = (
    # (heading, width (0 = shares the rest), justify)
    ("", 1, "left"),
    ("session", 8, "left"),
    ("via", 4, "left"),
    ("media", 0, "left"),
    ("problem", 0, "left"),
    ("type", 6, "left"),
    ("state", 20, "left"),
    ("playhead", 15, "right"),
    ("calls", 6, "right"),
    ("err", 4, "right"),
    ("warn", 4, "right"),
    ("last", 6, "right"),
)


def session_cells(session: Session, now: float, problem: Text,
                  copy: tuple[int, int] | None = None) -> list[Text]:
    return [
        state_icon(session),
        Text(short_sid(session.sid)),
        Text(by_name(session.protocol).short, style="dim"),
        media_cell(session, copy),
        problem,
        content_type_cell(session.media["contentType"]),
        Text(literal(session.state)),
        playhead_cell(session),
        Text(str(session.calls)),
        count_cell(session.counts[Severity.ERROR], Severity.ERROR),
        count_cell(session.counts[Severity.WARNING], Severity.WARNING),
        Text(age(now - session.last_seen) if session.last_seen else "-", style="dim"),
    ]


CALL_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("#", 6, "right"),
    ("t", 7, "right"),
    ("Δts", 7, "right"),
    ("playhead", 8, "right"),
    ("event", -3, "left"),
    ("http", 4, "right"),
    ("state after", -2, "left"),
    ("found", 5, "left"),
)


def event_cell(entry: Entry, folded: int = 0) -> Text:
    """The event type (coloured like its lane), or why there is none; `+N pings` when folded."""
    if entry.event_type is not None:
        text = Text(literal(entry.event_type), style=_EVENT_STYLE.get(entry.event_type, "red"))
    elif entry.body_error is not None:
        text = Text("(unreadable body)", style="red")
    else:
        text = Text("(no eventType)", style="red")
    if folded:
        text.append(f" +{folded} ping{'s' if folded != 1 else ''}", style="dim")
    return text


def marks_cell(findings: Sequence[Finding]) -> Text:
    """●2 ▲1: how many findings of each severity this call has."""
    text = Text()
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        n = sum(1 for f in findings if f.severity == severity)
        if n:
            text.append(f"{SEVERITY_MARK[severity]}{n}", style=SEVERITY_STYLE[severity])
    return text


def offset(later: int | None, earlier: int | None) -> str:
    """A signed ts difference in at most 7 characters: +12.345, +600.0, +12:34, +27h05.
    Milliseconds show while they matter (duplicate and out-of-order ts)."""
    if later is None or earlier is None:
        return "-"
    ms = later - earlier
    sign = "-" if ms < 0 else "+"
    seconds = abs(ms) / 1000
    if seconds < 100:
        return f"{sign}{seconds:.3f}"
    if seconds < 1000:
        return f"{sign}{seconds:.1f}"
    minutes = int(seconds) // 60
    if minutes < 100:
        return f"{sign}{minutes}:{int(seconds) % 60:02d}"
    hours = minutes // 60
    return f"{sign}{hours}h{minutes % 60:02d}" if hours < 1000 else f"{sign}{hours // 24}d"


def state_after_cell(entry: Entry) -> Text:
    """The state after the event; an event not applied yet is waiting in the backend's reorder
    window (live), and one the server refused never reaches the timeline."""
    if entry.applied:
        return Text(literal(entry.state_after))
    status = entry.call.status
    if status is not None and status >= 400:
        return Text("(refused by server)", style="dim")
    return Text("(reorder window)", style="dim")


def call_cells(session: Session, entry: Entry, folded: int = 0) -> list[Text]:
    """One call of the timeline. Δts is against the previous call in arrival order."""
    previous = session.entry(entry.index - 1)  # None for the first call, or one dropped by the cap
    status = entry.call.status
    status_style = "red" if status is not None and status >= 400 else "dim"
    return [
        Text(str(entry.index), style="dim"),
        Text(offset(entry.ts, session.first_ts)),
        Text(offset(entry.ts, previous.ts if previous else None), style="dim"),
        Text("-" if entry.playhead is None else f"{entry.playhead:.1f}"),
        event_cell(entry, folded),
        Text("-" if status is None else str(status), style=status_style),
        state_after_cell(entry),
        marks_cell(entry.findings),
    ]


# A feed scoped to one session leaves its session column out (the pane's title names it), so
# the message keeps the room (it had ~14 characters at 160 columns).
FINDING_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("sev", 4, "left"),
    ("rule", 24, "left"),
    ("session", 8, "left"),
    ("call", 4, "right"),
    ("message", 0, "left"),
)
SCOPED_FINDING_COLUMNS = tuple(c for c in FINDING_COLUMNS if c[0] != "session")


def finding_cells(finding: Finding, scoped: bool = False) -> list[Text]:
    style = SEVERITY_STYLE[finding.severity]
    cells = [
        Text(SEVERITY_TAG[finding.severity], style=style),
        Text(literal(finding.rule), style=style),
        Text(short_sid(finding.session) if finding.session is not None else "(none)", style="dim"),
        Text("-" if finding.call is None else str(finding.call)),
        Text(literal(finding.message)),
    ]
    if scoped:
        del cells[2]
    return cells
