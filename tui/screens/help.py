"""The help screen: what each pane shows, what the marks mean, and the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from ..rows import ICON_AD, ICON_BUFFERING, ICON_CLOSED, ICON_IDLE, ICON_PAUSED, ICON_PLAYING

HELP = f"""\
# playhead dashboard

playhead rebuilds every Adobe Media Collection session from the calls it sees and checks it
against the API's schemas and timeline rules. **Red is what Adobe will drop or miscount**;
yellow deviates from Adobe's guidance; blue is worth knowing.

## Panes

- **Status line** (top): mode, the proxy's address, how to install the CA, calls/s, recording,
  follow-live, and the totals of calls, sessions, errors and warnings.
- **Sessions**: one row per session. The icon is the state ({ICON_PLAYING} playing, {ICON_PAUSED} paused,
  {ICON_BUFFERING} buffering, {ICON_AD} in an ad break, {ICON_CLOSED} closed, {ICON_IDLE} started/idle),
  coloured by the worst finding (green: nothing wrong). `problem` names the session's worst rule;
  `last` is the age of its newest call.
- **Lanes**: the selected session (named on the first line) across its time: content, ad break,
  ad, chapter, pause and buffer spans, `|` for each ping, `!` error and `?` warning where findings
  are. The highlighted column is the call under the timeline's cursor. A missing bookend shows as
  a span that never ends; a missing ping as a gap in the ping row.
- **Timeline**: the selected session's calls in arrival order: `t` seconds since its first ts,
  `Δts` since the previous call, playhead, event, HTTP status, state after the event, and its
  findings (● error, ▲ warning, · info). Pings are folded into the next row (`+3 pings`)
  unless they carry a finding.
- **Findings**: every finding, newest first; moving to a session shows that session's alone
  (`a`: all sessions again). The box under it explains the highlighted one: what it does to
  Adobe's reports and how to fix it.

## Keys

| key | does |
|---|---|
| `tab` / `shift+tab` | next / previous pane |
| `↑` `↓` `pgup` `pgdn` `home` `end` | move in a list |
| `enter` | sessions: open its timeline; timeline: call detail; findings: jump to the call |
| `/` | filter findings by rule, session and severity |
| `a` | findings of all sessions again |
| `e` | errors only (findings) |
| `p` | fold / unfold pings in the timeline |
| `f` | follow live: keep the newest call and finding in view |
| `s` | save a report (.html, .md, .json, .xml = JUnit, else text) |
| `c` | clear: hide what is shown now (the report keeps everything) |
| `ctrl+p` | command palette |
| `?` | this help |
| `q` | quit |

In the call detail, `←` / `→` step through the session's calls and `esc` closes.

## Pointing a device at the proxy

Set the device's HTTP proxy to the address in the status line, then open `http://mitm.it` in
the device's browser (through the proxy) to install mitmproxy's CA certificate.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll"):
            yield Markdown(HELP)
