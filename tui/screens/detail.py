"""Call detail: one call's request and response, its findings first, schema error paths marked
in the body."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import ContextManager

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ...core.call import Headers
from ...core.findings import REGISTRY
from ...core.model import Entry, Session
from ...io.reports.safe import literal, show
from ..jsonview import body_text
from ..rows import SEVERITY_STYLE, SEVERITY_TAG, short_sid


def _headers(headers: Headers | None) -> Text:
    if headers is None:
        return Text("(headers not captured)\n", style="dim")
    text = Text()
    for name, value in headers:
        text.append(literal(name), style="bold")
        text.append(": " + literal(value) + "\n")
    return text


def _section(title: str) -> Text:
    return Text(f"\n── {title} " + "─" * 40 + "\n", style="bold dim")


def utc_time(seconds: float) -> str:
    """'2025-11-26 00:00:30.000 UTC'; or why not, for a time no calendar holds."""
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
    except (OverflowError, OSError, ValueError):
        return "(not a date)"


def ts_text(ts: int | None) -> str:
    """The event's ts as a time, and as sent: 'ts 2025-11-26 00:00:30.000 UTC (1764115230000)'.
    A ts in seconds or microseconds (ts-units) reads as a wrong date, which is the point."""
    if ts is None:
        return "ts -"
    return f"ts {utc_time(ts / 1000)} ({show(ts)})"


def detail_text(session: Session | None, entry: Entry) -> Text:
    """Everything about one call, as plain text from the wire (never markup)."""
    call = entry.call
    text = Text()
    when = utc_time(call.time) if call.time else "-"
    text.append(f"call {entry.index}", style="bold")
    text.append(f"  {show(entry.event_type, '(no eventType)')}", style="bold")
    text.append(f"  session {short_sid(session.sid, 64) if session else '(none: rejected sessionStart)'}\n",
                style="dim")
    text.append(f"seen {when} · {ts_text(entry.ts)} · playhead {show(entry.playhead)}", style="dim")
    if call.source:
        text.append(f" · from {literal(call.source)}", style="dim")
    text.append("\n")
    if entry.state_after:
        text.append(f"state after: {literal(entry.state_after)}\n")

    text.append_text(_section(f"findings ({len(entry.findings)})"))
    if not entry.findings:
        text.append("none\n", style="green")
    for finding in entry.findings:
        text.append(f"{SEVERITY_TAG[finding.severity]:<5}", style=SEVERITY_STYLE[finding.severity])
        text.append(literal(finding.rule), style="bold")
        text.append("  " + literal(finding.message) + "\n")
        rule = REGISTRY.rules.get(finding.rule)
        if rule is not None:  # what it does to Adobe's reports, and what to change
            text.append("     impact ", style="dim")
            text.append(literal(rule.impact) + "\n")
            text.append("     fix    ", style="dim")
            text.append(literal(rule.fix) + "\n", style="green")

    marks: dict[str, list[str]] = {}
    for finding in entry.findings:
        if finding.rule == "schema" and finding.path:
            marks.setdefault(finding.path, []).append(finding.message.removeprefix(finding.path + ": "))
    if entry.body_error:
        marks.setdefault("$", []).append(entry.body_error)

    text.append_text(_section("request"))
    text.append(f"{literal(call.method)} ", style="bold")
    text.append(literal(call.url) + "\n")
    text.append_text(_headers(call.request_headers))
    text.append("\n")
    text.append_text(body_text(call.request_body, entry.body, marks))
    text.append("\n")

    text.append_text(_section("response"))
    if call.status is None:
        text.append("(no response captured)\n", style="dim")
    else:
        text.append(str(call.status) + "\n", style="red bold" if call.status >= 400 else "bold")
        text.append_text(_headers(call.response_headers))
        text.append("\n")
        text.append_text(body_text(call.response_body))
    return text


class CallDetail(ModalScreen[None]):
    """Escape closes; left/right walk through the session's calls. (`p` was "previous call"
    here and "fold pings" on the main screen: one key, one meaning.)"""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close"),
        Binding("left", "step(-1)", "Previous call", key_display="←"),
        Binding("right", "step(1)", "Next call", key_display="→"),
    ]

    def __init__(self, session: Session | None, entry: Entry, lock: ContextManager | None = None) -> None:
        super().__init__()
        self.session = session
        self.entry = entry
        self.lock = lock if lock is not None else contextlib.nullcontext()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-scroll"):
            yield Static(id="detail-body")
        yield Footer()

    def on_mount(self) -> None:
        self._draw()

    def _draw(self) -> None:
        with self.lock:
            text = detail_text(self.session, self.entry)
        scroll = self.query_one("#detail-scroll", VerticalScroll)
        scroll.border_title = Text(f"call {self.entry.index}")
        self.query_one("#detail-body", Static).update(text)
        scroll.scroll_home(animate=False)

    def action_step(self, delta: int) -> None:
        if self.session is None:
            return
        with self.lock:
            index = self.entry.index + delta
            entry = self.session.entry(index)
            dropped = 0 <= index < self.session.dropped
        if entry is None:  # before the first call or after the last, or dropped by the cap
            if dropped:
                self.notify(f"call {index} and the calls before it were dropped from memory by the cap "
                            "(--max-calls)", markup=False)
            return
        self.entry = entry
        self._draw()
