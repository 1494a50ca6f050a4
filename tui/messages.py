"""The dashboard's messages: small dataclasses that say what happened, handled with `@on`."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ..core.findings import Finding


@dataclass
class TrackerChanged(Message):
    """The tracker took calls or raised findings. Posted from the proxy (or loader) thread, which
    `post_message` allows; a burst waiting in the queue collapses into one, so a thousand calls
    cost one redraw, not a thousand."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrackerChanged)


@dataclass
class SessionHighlighted(Message):
    """The sessions table's cursor is on this session: moved there (`chosen`), or put on the
    first session to arrive, which selects nothing yet (the findings feed stays on all)."""

    sid: str
    chosen: bool = True


@dataclass
class SessionChosen(Message):
    """Enter on a session: look at its timeline."""

    sid: str


@dataclass
class CallHighlighted(Message):
    """The timeline's cursor is on call `index` of session `sid`."""

    sid: str
    index: int


@dataclass
class CallChosen(Message):
    """Enter on a call: show its request and response."""

    sid: str
    index: int


@dataclass
class FindingHighlighted(Message):
    """The findings feed's cursor is on this finding (None: the feed is empty)."""

    finding: Finding | None


@dataclass
class FindingChosen(Message):
    """Enter on a finding: jump to the call it is about."""

    finding: Finding


@dataclass
class ProxyLogged(Message):
    """A warning from mitmproxy itself (a device refusing the CA shows up as a failed TLS
    handshake): one line, from the proxy thread."""

    line: str
